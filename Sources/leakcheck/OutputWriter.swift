#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writing results where they were asked for, and saying so when that fails: a full disk, a
/// closed pipe or a closed standard output is an error (exit 2), never a silent exit 0. Errors
/// are described in plain words from `errno` ("no space left on device"), never as a
/// Foundation error domain and code.
enum OutputWriter {
    /// Why a write failed, in words: "permission denied".
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `text` to the file at `path`. A regular file (or a path that does not exist yet)
    /// is written to a temporary file in the same folder and renamed over it, so a failed write
    /// leaves the old file (or nothing) rather than a truncated one; anything else (a device
    /// such as `/dev/stdout`, a pipe) is written in place.
    static func write(_ text: String, toFile path: String) throws(Failure) {
        var info = stat()
        let exists = lstat(path, &info) == 0
        if exists && (info.st_mode & S_IFMT) == S_IFDIR { throw Failure(description: "is a directory") }
        if exists && (info.st_mode & S_IFMT) != S_IFREG {
            let target = exists && (info.st_mode & S_IFMT) == S_IFLNK ? resolved(path) : path
            var targetInfo = stat()
            if stat(target, &targetInfo) == 0, (targetInfo.st_mode & S_IFMT) == S_IFREG {
                return try writeAtomically(text, to: target)
            }
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw Failure(description: describe(errno: errno)) }
            try writeAll(text, to: fd, closing: true)
            return
        }
        try writeAtomically(text, to: path)
    }

    /// The temporary-file-and-rename write of a regular file.
    private static func writeAtomically(_ text: String, to path: String) throws(Failure) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var template = Array((folder + "/." + url.lastPathComponent + ".leakcheck-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            // No temporary file in that folder (read-only, or a pseudo file system such as
            // /proc): an existing file is written in place, else the folder's error is the answer.
            let reason = errno
            var info = stat()
            guard stat(path, &info) == 0 else { throw Failure(description: describe(errno: reason)) }
            let direct = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard direct >= 0 else { throw Failure(description: describe(errno: errno)) }
            return try writeAll(text, to: direct, closing: true)
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // mkstemp creates the file 0600: give it the mode of the file it replaces, or what a
        // plain create would (0666 less the umask).
        var old = stat()
        if stat(path, &old) == 0 {
            _ = fchmod(fd, old.st_mode & 0o7777)
        } else {
            let mask = umask(0)
            umask(mask)
            _ = fchmod(fd, 0o666 & ~mask)
        }
        do {
            try writeAll(text, to: fd, closing: true)
        } catch {
            unlink(temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let reason = describe(errno: errno)
            unlink(temporary)
            throw Failure(description: reason)
        }
    }

    /// Writes every byte of `text` to `fd`, then closes it when asked (a failing close is a
    /// failed write too: NFS reports a full disk there).
    private static func writeAll(_ text: String, to fd: Int32, closing: Bool) throws(Failure) {
        var failure: Int32 = 0
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        if closing, close(fd) != 0, failure == 0 { failure = errno }
        if failure != 0 { throw Failure(description: describe(errno: failure)) }
    }

    /// Keeps a closed standard output from being reused: were descriptor 1 closed when the
    /// run starts, the first file opened (a model) would get it and `print` would write into
    /// that file. It is taken by `/dev/null` opened read-only, so every write to it fails and
    /// `flushStandardOutput` reports it; a closed stdin or stderr gets `/dev/null` as well.
    static func reserveStandardDescriptors() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let null = open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY)
            if null >= 0 && null != fd {
                dup2(null, fd)
                close(null)
            }
        }
    }

    /// Flushes standard output; nil when everything printed reached it, else why not. A write
    /// that failed earlier (the buffer was flushed while printing) is caught here as well,
    /// through the stream's error flag.
    static func flushStandardOutput() -> String? {
        errno = 0
        let flushed = fflush(stdout) == 0
        let code = errno
        if flushed && ferror(stdout) == 0 { return nil }
        if code != 0 { return describe(errno: code) }
        // The failed write was an earlier one and its errno is gone: ask the descriptor. An
        // empty write reports a closed descriptor (and a full device); poll, a pipe with no reader.
        var none: UInt8 = 0
        if Glibc.write(1, &none, 0) < 0 { return describe(errno: errno) }
        var watch = pollfd(fd: 1, events: Int16(POLLOUT), revents: 0)
        if poll(&watch, 1, 0) == 1, watch.revents & Int16(POLLERR) != 0 { return describe(errno: EPIPE) }
        return "write error"
    }

    /// `strerror`, lowercased at the start to fit the house style ("no space left on device").
    static func describe(errno code: Int32) -> String {
        guard let c = strerror(code) else { return "error \(code)" }
        let s = String(cString: c)
        return s.prefix(1).lowercased() + s.dropFirst()
    }

    /// A Foundation file error in plain words: the POSIX error underneath when there is one,
    /// else the file error it stands for ("no such file or directory").
    static func describe(_ error: Error) -> String {
        if let failure = error as? Failure { return failure.description }
        if let posix = error as? POSIXError { return describe(errno: posix.code.rawValue) }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error, !(underlying is CocoaError) {
            return describe(underlying)
        }
        if ns.domain == NSPOSIXErrorDomain { return describe(errno: Int32(ns.code)) }
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: return describe(errno: ENOENT)
            case .fileReadNoPermission, .fileWriteNoPermission: return describe(errno: EACCES)
            case .fileWriteOutOfSpace: return describe(errno: ENOSPC)
            case .fileWriteVolumeReadOnly: return describe(errno: EROFS)
            case .fileWriteFileExists: return describe(errno: EEXIST)
            case .fileReadTooLarge: return "file too large"
            case .fileReadInapplicableStringEncoding, .fileReadUnknownStringEncoding: return "not UTF-8 text"
            case .fileReadCorruptFile: return "the file is corrupt"
            default: break
            }
            return cocoa.isFileError ? "file error" : "error"
        }
        if ns.domain == NSCocoaErrorDomain { return "file error" }
        return "\(error)"
    }

    /// The real path of `path` (symbolic links resolved), or `path` itself when it does not
    /// resolve (a file not written yet).
    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }
}
