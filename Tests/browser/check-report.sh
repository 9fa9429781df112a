#!/usr/bin/env bash
# Loads `leakcheck report` pages in headless Chromium and checks them as a reader's browser
# sees them: the DOM after the page's script ran (swim lanes, the marked finding step, the
# model matrix; for a safe model the proof and its mitigations), no console errors, nothing
# fetched from the network, and a screenshot of each page.
#
#   Tests/browser/check-report.sh [LEAKCHECK_BINARY] [OUTPUT_DIR]
#
# Defaults: .build/debug/leakcheck and a fresh temporary folder (screenshots are kept there:
# finding.png, crash.png, safe.png). Reports are made with the explicit engine (no Z3: the
# page is under test, not the engines; LEAKCHECK_REPORT_ENGINE=auto to change that). Needs
# `chromium` (Debian's package; script/setup installs it). Ends with
# "browser: N passed, M failed" and exits non-zero when a check failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=${1:-.build/debug/leakcheck}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "check-report: no chromium on PATH (script/setup installs it)" >&2
    exit 2
fi
if [ ! -x "$bin" ]; then
    echo "check-report: no leakcheck binary at $bin (run swift build)" >&2
    exit 2
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
expect_grep() { # NAME FILE PATTERN [MIN_COUNT]
    local n
    n=$(grep -o -- "$3" "$2" | wc -l)
    if [ "$n" -ge "${4:-1}" ]; then ok; else bad "$1: expected ${4:-1}+ of '$3' in $(basename "$2"), found $n"; fi
}
expect_no_grep() { # NAME FILE PATTERN
    if grep -q -- "$3" "$2"; then bad "$1: unexpected '$3' in $(basename "$2")"; else ok; fi
}

run_browser() { # PAGE ARGS...
    local page=$1; shift
    local profile
    profile=$(mktemp -d)
    timeout 120 "$browser" --headless --disable-gpu --no-sandbox --no-first-run --no-default-browser-check \
        --disable-extensions --disable-background-networking --user-data-dir="$profile" \
        --hide-scrollbars "$@" "file://$page"
    local status=$?
    rm -rf "$profile"
    return $status
}

check_page() { # NAME MODEL KIND(finding|safe) LANES
    local name=$1 model=$2 kind=$3 lanes=$4
    local page="$out/$name.html"
    "$bin" report --engine "${LEAKCHECK_REPORT_ENGINE:-explicit}" "$model" -o "$page" 2>"$out/$name.report.log"
    local status=$?
    if [ ! -s "$page" ]; then bad "$name: leakcheck report wrote nothing (status $status)"; cat "$out/$name.report.log" >&2; return; fi
    ok

    # Self-contained: no external resources at all.
    expect_no_grep "$name" "$page" 'src="http'
    expect_no_grep "$name" "$page" 'href="http'
    expect_no_grep "$name" "$page" 'url(http'
    expect_no_grep "$name" "$page" '@import'

    # The DOM after the page's script ran, and the console (uncaught errors) of that load.
    run_browser "$page" --enable-logging=stderr --v=0 --dump-dom >"$out/$name.dom.html" 2>"$out/$name.console.log"
    if [ ! -s "$out/$name.dom.html" ]; then bad "$name: chromium dumped no DOM"; tail -5 "$out/$name.console.log" >&2; return; fi
    ok
    if grep -E 'Uncaught|ERROR:CONSOLE' "$out/$name.console.log" >&2; then
        bad "$name: console errors (see $out/$name.console.log)"
    else
        ok
    fi
    expect_grep "$name" "$out/$name.dom.html" 'data-report-ready="yes"'
    expect_grep "$name" "$out/$name.dom.html" 'id="verdict"'
    expect_grep "$name" "$out/$name.dom.html" 'id="matrix"'
    if [ "$kind" = finding ]; then
        expect_grep "$name" "$out/$name.dom.html" 'id="schedule"'
        expect_grep "$name" "$out/$name.dom.html" 'class="lane"' "$lanes"
        expect_grep "$name" "$out/$name.dom.html" 'class="buffer-lane"'
        expect_grep "$name" "$out/$name.dom.html" 'id="finding-step"'
        expect_grep "$name" "$out/$name.dom.html" '<tr id="row-[0-9]*" data-step="[0-9]*" class="finding"'
    else
        expect_grep "$name" "$out/$name.dom.html" 'id="proof"'
        expect_grep "$name" "$out/$name.dom.html" 'id="mitigations"'
        expect_no_grep "$name" "$out/$name.dom.html" 'id="finding-step"'
    fi

    # A screenshot, to look at.
    run_browser "$page" --screenshot="$out/$name.png" --window-size=1400,900 >/dev/null 2>"$out/$name.shot.log"
    if [ -s "$out/$name.png" ] && [ "$(head -c 8 "$out/$name.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
        ok
    else
        bad "$name: no screenshot"
    fi
}

check_page finding Models/asi-kick.leak finding 2
check_page crash Models/asi-nmi.leak finding 2
check_page safe Models/asi.leak safe 0

echo "screenshots: $out/finding.png $out/crash.png $out/safe.png"
echo "browser: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
