/// The text of one model file, with the line table needed to turn byte offsets into positions.
public struct SourceFile: Sendable {
    /// The path as the user named it (used in diagnostics and traces).
    public let path: String
    /// The raw bytes of the file; invalid UTF-8 is kept as bytes and diagnosed by the lexer.
    public let bytes: [UInt8]
    /// Byte offset of the first byte of every line.
    public let lineStarts: [Int]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// 1-based line and column (column counted in bytes) of a byte offset.
    public func position(of offset: Int) -> (line: Int, column: Int) {
        let clamped = max(0, min(offset, bytes.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= clamped { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, clamped - lineStarts[lo] + 1)
    }

    /// The text of a 1-based line without its line terminator (invalid UTF-8 repaired).
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// The text a span covers.
    public func text(of span: SourceSpan) -> String {
        let s = max(0, min(span.start, bytes.count)), e = max(s, min(span.end, bytes.count))
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }
}

/// A half-open range of byte offsets `[start, end)` in a source file.
public struct SourceSpan: Hashable, Sendable, Comparable, Codable {
    public var start: Int
    public var end: Int
    public init(start: Int, end: Int) { self.start = start; self.end = end }
    public static let none = SourceSpan(start: 0, end: 0)
    public static func < (a: SourceSpan, b: SourceSpan) -> Bool {
        (a.start, a.end) < (b.start, b.end)
    }
    /// The smallest span covering both.
    public func union(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(start: min(start, other.start), end: max(end, other.end))
    }
}
