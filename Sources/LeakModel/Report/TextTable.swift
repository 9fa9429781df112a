/// Aligned plain-text tables: the first column right-aligned (step numbers, lines), the
/// others left-aligned, a rule under the header row.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for (i, row) in rows.enumerated() {
            let line = row.enumerated().map { c, text in
                c == 0 ? String(repeating: " ", count: widths[c] - text.count) + text
                       : text + String(repeating: " ", count: widths[c] - text.count)
            }.joined(separator: "  ")
            out += line.trimmingTrailingSpaces() + "\n"
            if i == 0 {
                out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            }
        }
        return out
    }
}
