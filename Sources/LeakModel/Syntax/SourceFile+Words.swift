extension SourceFile {
    /// The span of the whole word `word` in the declaration whose name is at `nameSpan`: after
    /// the name, up to the end of the declaration (a list may continue over lines that end with a
    /// comma; comments are skipped). Used by SARIF's finding cause and by explain's candidates.
    package func wordSpan(_ word: String, afterDeclaration nameSpan: SourceSpan) -> SourceSpan? {
        let bytes = self.bytes
        var i = nameSpan.end
        var lastNonBlank: UInt8 = 0
        let target = Array(word.utf8)
        func isName(_ b: UInt8) -> Bool { b == 95 || (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\n") {
                if lastNonBlank != UInt8(ascii: ",") { return nil }
                i += 1; continue
            }
            if b == UInt8(ascii: "#") {
                while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
                continue
            }
            if b == UInt8(ascii: ";") { return nil }
            if isName(b) {
                let start = i
                while i < bytes.count, isName(bytes[i]) { i += 1 }
                if Array(bytes[start..<i]) == target { return SourceSpan(start: start, end: i) }
                lastNonBlank = bytes[i - 1]
                continue
            }
            if b != UInt8(ascii: " "), b != UInt8(ascii: "\t"), b != UInt8(ascii: "\r") { lastNonBlank = b }
            i += 1
        }
        return nil
    }
}
