/// "Did you mean ...?" suggestions by edit distance.
package enum Spelling {
    /// Above this many candidates no suggestion is computed: the search is quadratic in name
    /// length and linear in candidates, and a file with that many names is generated anyway.
    static let maxCandidates = 5_000

    /// The closest candidate to `word`, if one is close enough to be a plausible typo.
    ///
    /// Close enough: an optimal-string-alignment distance (insertions, deletions, substitutions,
    /// adjacent transpositions) of at most 1 when the longer of the two words has up to 4
    /// characters, 2 up to 8, 3 beyond; a case-only difference always counts. Ties go to the
    /// candidate that starts with the word, then to the earliest, so the result is deterministic.
    static func suggest(_ word: String, among candidates: [String]) -> String? {
        guard !word.isEmpty, candidates.count <= maxCandidates else { return nil }
        let w = Array(word.lowercased().utf8)
        var best: (distance: Int, name: String)? = nil
        for c in candidates where c != word {
            let cb = Array(c.lowercased().utf8)
            let longer = max(cb.count, w.count)
            let limit = longer <= 4 ? 1 : (longer <= 8 ? 2 : 3)
            if abs(cb.count - w.count) > limit { continue }
            let d = distance(w, cb)
            // Among equally close candidates prefer one that extends the word ('of' -> 'off').
            let score = 2 * d - (cb.starts(with: w) ? 1 : 0)
            if d <= limit, d < longer, best == nil || score < best!.distance { best = (score, c) }
        }
        return best?.name
    }

    /// Optimal string alignment distance between two byte strings.
    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { v = min(v, prev2[j - 2] + 1) }
                cur[j] = v
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }

    /// `help:` text for a suggestion.
    package static func help(_ word: String, among candidates: [String]) -> String? {
        suggest(word, among: candidates).map { "did you mean '\($0)'?" }
    }
}
