#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LeakSyntax

/// What the frontend made of one model file.
public struct FrontendResult: Sendable {
    /// The file read; nil when it could not be read.
    public var file: SourceFile?
    /// The checked model; nil if and only if `diagnostics` holds an error.
    public var model: Model?
    /// Errors and warnings sorted by position (stable), then any "too many" notes.
    public var diagnostics: [Diagnostic]

    public init(file: SourceFile?, model: Model?, diagnostics: [Diagnostic]) {
        self.file = file; self.model = model; self.diagnostics = diagnostics
    }

    /// True when some diagnostic is an error (then `model` is nil).
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// The entry point from a model file to a checked `Model`: read, lex, parse, resolve.
public enum Frontend {
    /// Files larger than this are refused rather than read: no model is that large, and the
    /// frontend must never hang on a stray multi-gigabyte file.
    public static let maxFileSize = 64 << 20

    /// Reads and checks the file at `path`. A missing file, a directory or an unreadable file
    /// gives a single error diagnostic and a nil `file`.
    public static func load(path: String) -> FrontendResult {
        switch readFile(path: path) {
        case .success(let bytes):
            return load(file: SourceFile(path: path, bytes: bytes))
        case .failure(let reason):
            let d = Diagnostic(.unreadableFile(path: path, reason: reason.message), at: .none)
            return FrontendResult(file: nil, model: nil, diagnostics: [d])
        }
    }

    /// Checks a file already in memory.
    public static func load(file: SourceFile) -> FrontendResult {
        let sink = DiagnosticSink()
        // A NUL byte near the start means a binary file (the heuristic of git and grep): one
        // error says so, instead of a hundred about its bytes.
        if let nul = file.bytes.prefix(8192).firstIndex(of: 0) {
            sink.report(.binaryFile(path: file.path),
                       at: SourceSpan(start: nul, end: nul + 1),
                       help: "model files are UTF-8 text; this one has a NUL byte")
            return FrontendResult(file: file, model: nil, diagnostics: sink.finish(endOfFile: file.bytes.count))
        }
        let tree = Parser.parse(file, sink: sink)
        var model: Model? = nil
        // Past the error cap, resolving would only produce errors nobody sees.
        if !sink.isSaturated {
            var resolver = Resolver(file: file, sink: sink)
            model = resolver.resolve(tree)
        }
        let diagnostics = sink.finish(endOfFile: file.bytes.count)
        return FrontendResult(file: file, model: sink.hasErrors ? nil : model, diagnostics: diagnostics)
    }

    struct ReadFailure: Error {
        var message: String
    }

    /// The bytes of a regular file, with POSIX error messages ("no such file or directory").
    /// Only regular files are read: opening a FIFO (named pipe) blocks until something writes
    /// to it, and a device may never end, so both are refused before they are opened.
    static func readFile(path: String) -> Result<[UInt8], ReadFailure> {
        var before = stat()
        guard stat(path, &before) == 0 else { return .failure(ReadFailure(message: describeErrno(errno))) }
        if let kind = nonRegularKind(before.st_mode) { return .failure(ReadFailure(message: kind)) }
        // O_NONBLOCK: should the path become a FIFO between stat and open, open must not block.
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return .failure(ReadFailure(message: describeErrno(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(ReadFailure(message: describeErrno(errno))) }
        if let kind = nonRegularKind(info.st_mode) { return .failure(ReadFailure(message: kind)) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        if Int(info.st_size) > maxFileSize {
            return .failure(ReadFailure(message: "file is larger than \(maxFileSize >> 20) MiB"))
        }
        // Read until end of file rather than trusting st_size: pipes and /proc files report 0.
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(message: describeErrno(errno)))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maxFileSize {
                return .failure(ReadFailure(message: "file is larger than \(maxFileSize >> 20) MiB"))
            }
        }
        return .success(bytes)
    }

    /// What a file that is not a regular file is ("is a FIFO (named pipe), not a regular
    /// file"); nil for a regular file.
    static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "is a directory"
        case S_IFIFO: return "is a FIFO (named pipe), not a regular file"
        case S_IFSOCK: return "is a socket, not a regular file"
        case S_IFCHR: return "is a character device, not a regular file"
        case S_IFBLK: return "is a block device, not a regular file"
        default: return "is not a regular file"
        }
    }

    /// strerror, lowercased at the start to fit the house style ("no such file or directory").
    private static func describeErrno(_ code: Int32) -> String {
        guard let c = strerror(code) else { return "error \(code)" }
        let s = String(cString: c)
        return s.prefix(1).lowercased() + s.dropFirst()
    }
}
