import LeakSemantics
import LeakTrace

extension FastPathAnalyzer {
    /// Checks the all-slow design, each exit fast alone, each pair of exits, then searches for
    /// the largest set of exits that can be fast together. `progress` is told before each
    /// check: (index, what).
    public func analyze(_ model: Model, progress: ((Int, String) -> Void)? = nil) throws -> Analysis {
        let plan = try FastPathPlan(model: model)
        var inner = checker
        // Each variant is one verdict: the per-check answers and coverage are not read.
        inner.options.answerEachCheck = false
        inner.options.coverage = false
        inner.options.certificate = nil
        inner.options.wantsCertificate = false
        var cache: [[Int]: Answer] = [:]
        var count = 0
        func answer(_ fast: [Int]) -> Answer {
            if let known = cache[fast] { return known }
            let what = fast.isEmpty ? "every exit slow" : "fast: " + fast.map { model.exits[$0].name }.joined(separator: ", ")
            progress?(count, what)
            count += 1
            let set = Set(fast)
            let needs = plan.needs(fast: set)
            let result: Answer
            if checker.options.cancellation?.isCancelled == true {
                result = Answer(fast: fast, needs: needs, report: nil, error: "not checked (interrupted)")
            } else {
                do {
                    result = Answer(fast: fast, needs: needs, report: try inner.check(plan.variant(fast: set, needs: needs)), error: nil)
                } catch {
                    result = Answer(fast: fast, needs: needs, report: nil, error: "\(error)")
                }
            }
            cache[fast] = result
            return result
        }

        let allSlow = answer([])
        let alone = plan.exits.map { answer([$0]) }
        let n = plan.exits.count
        var jointDiffers: [Answer] = []
        if n <= exhaustiveLimit {
            for (i, a) in alone.enumerated() {
                for b in alone[(i + 1)...] {
                    let pair = answer([a.fast[0], b.fast[0]])
                    if pair.keepsChecks != (a.keepsChecks && b.keepsChecks) { jointDiffers.append(pair) }
                }
            }
        }

        func undecided() -> Int { cache.values.filter { $0.status == .unknown || $0.status == .error }.count }
        if n <= exhaustiveLimit {
            // Largest first: the first size with a safe set is the maximum, unless a larger set
            // was left undecided. Every set is checked, not only supersets of safe ones: making an
            // exit fast drops its slow path's holds and waits, which can also remove a finding (a
            // deadlock), so safety is not monotone.
            var open = 0
            for size in stride(from: n, through: 0, by: -1) {
                let answers = Self.subsets(of: plan.exits, size: size).map(answer)
                let found = answers.filter(\.keepsChecks)
                if let first = found.first {
                    let search: Search = open > 0 ? .undecided(largerSetsUndecided: open)
                        : .maximum(largerSetsChecked: Self.setsLarger(than: size, of: n))
                    return Analysis(plan: plan, allSlow: allSlow, alone: alone, jointDiffers: jointDiffers, best: first,
                                    ties: found.dropFirst().map(\.fast), search: search, variantsChecked: count, undecided: undecided())
                }
                open += answers.filter { $0.status == .unknown || $0.status == .error }.count
            }
            let search: Search = open > 0 ? .undecided(largerSetsUndecided: open) : .maximum(largerSetsChecked: 1 << n)
            return Analysis(plan: plan, allSlow: allSlow, alone: alone, jointDiffers: jointDiffers, best: nil, ties: [],
                            search: search, variantsChecked: count, undecided: undecided())
        }
        // Greedy: add any exit that keeps the set safe, in source order, until none does. The
        // result is maximal among the sets reached this way; it is not proved maximum, and an
        // exit that fails now is tried again after each addition (safety is not monotone).
        var best: Answer? = allSlow.keepsChecks ? allSlow : nil
        var grew = true
        while grew {
            grew = false
            for x in plan.exits where !(best?.fast ?? []).contains(x) {
                let candidate = answer(((best?.fast ?? []) + [x]).sorted())
                if candidate.keepsChecks { best = candidate; grew = true }
            }
        }
        let reason = "greedy: exits added one at a time in source order while the set stays safe, until none can be added; a larger set may exist (\(n) exits exceed --exhaustive \(exhaustiveLimit))"
        return Analysis(plan: plan, allSlow: allSlow, alone: alone, jointDiffers: jointDiffers, best: best, ties: [],
                        search: .maximal(reason: reason), variantsChecked: count, undecided: undecided())
    }

    /// How many sets of more than `size` of `n` exits there are.
    static func setsLarger(than size: Int, of n: Int) -> Int {
        var total = 0, choose = 1
        for k in 0...n {
            if k > size { total += choose }
            choose = choose * (n - k) / (k + 1)
        }
        return total
    }

    /// The subsets of `items` with `size` elements, in lexicographic order of positions.
    static func subsets(of items: [Int], size: Int) -> [[Int]] {
        guard size <= items.count else { return [] }
        if size == 0 { return [[]] }
        var out: [[Int]] = []
        for (i, x) in items.enumerated() {
            for rest in subsets(of: Array(items[(i + 1)...]), size: size - 1) { out.append([x] + rest) }
        }
        return out
    }
}
