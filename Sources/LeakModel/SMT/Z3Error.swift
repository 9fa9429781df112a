internal import CZ3

/// An error reported by Z3 (or by the Swift layer around it) instead of aborting the process.
public struct Z3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why a call failed: a Z3 error code, or a check made by the Swift layer.
    public enum Code: Sendable, Equatable, CustomStringConvertible {
        /// `Z3_SORT_ERROR`: arguments of the wrong sort.
        case sortError
        /// `Z3_IOB`: index out of bounds.
        case indexOutOfBounds
        /// `Z3_INVALID_ARG`: invalid argument.
        case invalidArgument
        /// `Z3_PARSER_ERROR`: a parser failed.
        case parserError
        /// `Z3_NO_PARSER`: no parser output available.
        case noParser
        /// `Z3_INVALID_PATTERN`: an invalid quantifier pattern.
        case invalidPattern
        /// `Z3_MEMOUT_FAIL`: out of memory.
        case memoryOut
        /// `Z3_FILE_ACCESS_ERROR`: a file could not be accessed.
        case fileAccess
        /// `Z3_INTERNAL_FATAL`: an internal Z3 error.
        case internalFatal
        /// `Z3_INVALID_USAGE`: the API was used wrongly (e.g. no model after unsat, bad pop).
        case invalidUsage
        /// `Z3_DEC_REF_ERROR`: a reference count went negative.
        case decRefError
        /// `Z3_EXCEPTION`: a generic Z3 exception (a sort mismatch is reported this way).
        case exception
        /// A Z3 error code this layer does not know.
        case other(UInt32)
        /// A Z3 call returned NULL without setting an error code.
        case nullHandle
        /// Handles of two different contexts were combined.
        case mixedContexts
        /// An argument was rejected before calling Z3 (negative width, value too wide...).
        case badArgument
        /// A model value was asked for that is not a Boolean or a numeral of at most 64 bits.
        case valueUnavailable

        init(_ code: Z3_error_code) {
            switch code {
            case Z3_SORT_ERROR: self = .sortError
            case Z3_IOB: self = .indexOutOfBounds
            case Z3_INVALID_ARG: self = .invalidArgument
            case Z3_PARSER_ERROR: self = .parserError
            case Z3_NO_PARSER: self = .noParser
            case Z3_INVALID_PATTERN: self = .invalidPattern
            case Z3_MEMOUT_FAIL: self = .memoryOut
            case Z3_FILE_ACCESS_ERROR: self = .fileAccess
            case Z3_INTERNAL_FATAL: self = .internalFatal
            case Z3_INVALID_USAGE: self = .invalidUsage
            case Z3_DEC_REF_ERROR: self = .decRefError
            case Z3_EXCEPTION: self = .exception
            default: self = .other(code.rawValue)
            }
        }

        /// A short name for messages.
        public var description: String {
            switch self {
            case .sortError: "sort error"
            case .indexOutOfBounds: "index out of bounds"
            case .invalidArgument: "invalid argument"
            case .parserError: "parser error"
            case .noParser: "no parser"
            case .invalidPattern: "invalid pattern"
            case .memoryOut: "out of memory"
            case .fileAccess: "file access error"
            case .internalFatal: "internal fatal error"
            case .invalidUsage: "invalid usage"
            case .decRefError: "dec_ref error"
            case .exception: "exception"
            case .other(let raw): "error code \(raw)"
            case .nullHandle: "null handle"
            case .mixedContexts: "handles of different contexts"
            case .badArgument: "bad argument"
            case .valueUnavailable: "value unavailable"
            }
        }
    }

    /// Why the call failed.
    public let code: Code
    /// Z3's message (`Z3_get_error_msg`) or the Swift layer's explanation.
    public let message: String

    /// Makes an error with the given code and message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// "Z3 error (<code>): <message>".
    public var description: String { "Z3 error (\(code)): \(message)" }
}
