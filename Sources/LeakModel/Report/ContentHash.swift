import Crypto

/// The SHA-256 of a model file's bytes as 64 lowercase hex digits, by apple/swift-crypto.
///
/// Reports name the file they checked by this hash (JSON `sha256`, SARIF `hashes`, the HTML
/// header, proof certificates) and SARIF fingerprints are cut from it.
public enum ContentHash {
    /// The digest of `bytes` in lowercase hex.
    public static func sha256(_ bytes: [UInt8]) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
