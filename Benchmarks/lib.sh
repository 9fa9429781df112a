# Shared by Benchmarks/run, Benchmarks/scaling and Benchmarks/explicit (sourced, not run).
# Needs $work (a scratch folder), $spin_timeout (seconds per SPIN step) and $exporter (a
# leakcheck binary with `export`).

# "median" (ms, one decimal) of the numbers (ns) on stdin.
median() { python3 -c 'import statistics, sys; print(f"{statistics.median(int(x) / 1e6 for x in sys.stdin.read().split()):.1f}")'; }

ms_of() { python3 -c "print(f'{$1 / 1e6:.1f}')"; }
mb_of() { python3 -c "print(f'{${1:-0} / 1024:.0f}')"; }

# timed CMD...: runs CMD once under /usr/bin/time; sets `elapsed_ns`, `rss_kb` (peak
# resident set size), `cpu_ms` (CPU time, user + sys, ms; /usr/bin/time counts 10 ms steps),
# `rc` and `out` (stdout).
timed() {
    local t0 t1
    t0=$(date +%s%N)
    set +e
    out=$(/usr/bin/time -v -o "$work/time.txt" "$@" 2>/dev/null)
    rc=$?
    set -e
    t1=$(date +%s%N)
    elapsed_ns=$((t1 - t0))
    rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$work/time.txt")
    cpu_ms=$(awk -F': ' '/^[[:space:]]*(User|System) time \(seconds\):/ { s += $2 } END { printf "%.0f", s * 1000 }' "$work/time.txt")
}

# spin_run NAME FILE SEARCH: exports FILE to Promela and runs SPIN on it, each step under
# `timeout`: `spin -a`, then `gcc -O2 -DBFS -DNOREDUCE pan.c` for SEARCH=bfs (breadth-first:
# the depth of a violation is the shortest length + 1) or `gcc -O2 -DSAFETY -DNOREDUCE pan.c`
# for SEARCH=full (depth-first, the full search a proof needs), or `gcc -O2 -DNOREDUCE
# -DNOSTUTTER pan.c` and `./pan -a` for SEARCH=accept (a model with `check progress`: the
# acceptance-cycle search of the export's never claim, docs/EXPORT.md), then `./pan`. Sets
# spin_verdict ("finding at depth N", "starvation (acceptance cycle)", "no finding",
# "(timeout in STEP)" or "(STEP failed)"),
# gcc_ms, pan_ms, spin_ms (all four steps) and spin_peak_kb (the largest step's peak RSS);
# of the ./pan step alone also pan_cpu_ms (user + sys), pan_peak_kb and pan_states (its
# "N states, stored"), "-" (0 for pan_peak_kb) when pan did not run.
spin_run() {
    local dir="$work/$1.spin" total=0 step
    local file; file="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"   # the steps run in $dir
    rm -rf "$dir"; mkdir -p "$dir"
    local flags=(-O2 -DBFS -DNOREDUCE)
    [ "$3" = full ] && flags=(-O2 -DSAFETY -DNOREDUCE)
    [ "$3" = accept ] && flags=(-O2 -DNOREDUCE -DNOSTUTTER)
    local pan_flags=(-m10000000 -w24)
    [ "$3" = accept ] && pan_flags=(-a -m10000000 -w24)
    gcc_ms="-"; pan_ms="-"; spin_ms="-"; spin_peak_kb=0; pan_cpu_ms="-"; pan_peak_kb=0; pan_states="-"
    pushd "$dir" >/dev/null
    for step in export spin gcc pan; do
        case "$step" in
            export) timed timeout "$spin_timeout" "$exporter" export "$file" --to promela -o model.pml ;;
            spin) timed timeout "$spin_timeout" spin -a model.pml ;;
            gcc) timed timeout "$spin_timeout" gcc "${flags[@]}" -o pan pan.c ;;
            pan) timed timeout "$spin_timeout" ./pan "${pan_flags[@]}" ;;
        esac
        total=$((total + elapsed_ns))
        [ "${rss_kb:-0}" -gt "$spin_peak_kb" ] && spin_peak_kb=$rss_kb
        [ "$step" = gcc ] && gcc_ms=$(ms_of "$elapsed_ns")
        if [ "$step" = pan ]; then
            pan_ms=$(ms_of "$elapsed_ns"); pan_cpu_ms=$cpu_ms; pan_peak_kb=${rss_kb:-0}
            # pan prints the count with %9.8g: exact below 10^8
            pan_states=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*\([0-9][0-9.e+]*\) states, stored.*/\1/p' | head -1 \
                | python3 -c 'import sys; s = sys.stdin.read().strip(); print(int(float(s)) if s else "-")')
        fi
        if [ "$rc" -eq 124 ]; then spin_verdict="(timeout in $step)"; popd >/dev/null; return; fi
        if [ "$rc" -ne 0 ]; then spin_verdict="($step failed)"; popd >/dev/null; return; fi
    done
    popd >/dev/null
    spin_ms=$(ms_of "$total")
    local errors depth
    errors=$(printf '%s\n' "$out" | sed -n 's/.*errors: \([0-9]*\).*/\1/p' | head -1)
    depth=$(printf '%s\n' "$out" | sed -n 's/.*violated.*at depth \([0-9]*\).*/\1/p; s/^pan:.* at depth \([0-9]*\)$/\1/p' | head -1)
    if [ -z "$errors" ]; then spin_verdict="(no pan summary)"
    elif [ "$errors" -gt 0 ] && printf '%s\n' "$out" | grep -q "acceptance cycle"; then spin_verdict="starvation (acceptance cycle)"
    elif [ "$errors" -gt 0 ]; then spin_verdict="finding${depth:+ at depth $depth}"
    else spin_verdict="no finding"; fi
}

# agreement VERDICT SPIN_VERDICT [LENGTH]: "yes" when SPIN's answer is leakcheck's (a finding
# at depth LENGTH + 1 when a length is given), "NO" when it contradicts it, "-" when SPIN did
# not answer.
agreement() {
    case "$2" in
        "no finding") case "$1" in safe*) echo yes ;; *) echo NO ;; esac ;;
        starvation*) case "$1" in starvation*) echo yes ;; *) echo NO ;; esac ;;
        finding*)
            case "$1" in
                leak*|crash*|deadlock*)
                    if [ -n "${3:-}" ] && [ "$2" != "finding at depth $(($3 + 1))" ]; then echo NO; else echo yes; fi ;;
                *) echo NO ;;
            esac ;;
        *) echo - ;;
    esac
}

# table: the rows on stdin ("a|b|c" lines, the first the header) in aligned columns; the
# column numbers in $1 (comma-separated) are right-aligned, a column that is "|" stays one.
table() {
    python3 -c '
import sys
right = {int(c) for c in sys.argv[1].split(",") if c}
rows = [l.split("|") for l in sys.stdin.read().splitlines() if l]
widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
for r in rows:
    print("  ".join(t.rjust(w) if c in right else t.ljust(w) for c, (t, w) in enumerate(zip(r, widths))).rstrip())' "$1"
}
