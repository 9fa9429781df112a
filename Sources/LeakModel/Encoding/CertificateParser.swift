import LeakSyntax

/// Reads a proof certificate's text as data, against the state variables of one model, and
/// accepts only the small grammar that leakcheck itself writes (docs/PROOFS.md, "Certificate
/// grammar"); everything else is refused with the line and column where it stands.
///
/// A certificate comes from a file that anyone may have written, so no solver ever reads its
/// text: an SMT-LIB interpreter would also obey `set-option` (redirect its output to any file,
/// change limits for the rest of the run), `echo`, `include` and the rest. What this parser
/// accepts is a sort-checked DAG (`CertificateFormula`) that the term builder turns into a
/// formula through the ordinary API, node by node.
///
/// Accepted, and nothing else:
///
///     certificate := (comment | command)*            ; comments run from ';' to the line end
///     command     := (declare-fun NAME () SORT) | (declare-const NAME SORT) | (assert TERM)
///     SORT        := Bool | (_ BitVec N)
///     TERM        := true | false | NAME | #b[01]+ | #x[0-9a-fA-F]+ | (_ bvN N)
///                  | (OP TERM+) | ((_ extract N N) TERM) | ((_ bit2bool N) TERM)
///                  | (let ((NAME TERM)+) TERM)
///     OP          := not and or => = ite bvnot bvand bvor bvule bvult bvuge bvugt concat
///
/// with exactly one `assert`, of a Boolean term. A declared NAME must be a current-state
/// variable of the model with the same sort, declared once and before it is used; a NAME in a
/// term is a declared variable or a `let` name in scope. Operators are sort-checked
/// (SMT-LIB's arities; `=` and the bit-vector operators on equal sorts).
///
/// Limits (each an error, never a crash): `maxBytes` of text; parentheses nested at most
/// `maxDepth` deep; and, with every `let` expanded, at most `maxDepth` deep and at most
/// `maxExpandedNodes` nodes, so that code walking the formula as a tree (the translation into
/// the model's terms) stays bounded in time and stack; no bit-vector wider than the model's
/// widest state variable. The parser itself is a loop over an explicit stack: no recursion.
public struct CertificateParser: Sendable {
    /// The longest certificate text read: 4 MiB. Spacer's certificates are a few KiB
    /// (asi.leak: 4.5 KiB); one of mined clauses is larger (asi.leak: 200 KiB, a generated
    /// 8-exit model about 1 MiB).
    public static let maxBytes = 4 << 20
    /// The deepest nesting of parentheses, and of the formula with its `let`s expanded.
    /// leakcheck's own certificates nest fewer than 20 deep.
    public static let maxDepth = 1_000
    /// The most nodes of the formula with its `let`s expanded: about what a `let`-free text of
    /// `maxBytes` can hold, so sharing cannot make a formula bigger than a plain file could.
    public static let maxExpandedNodes = 4_000_000

    /// A place in the text: line and column (both from 1; columns count bytes).
    public struct Position: Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public init(line: Int, column: Int) { self.line = line; self.column = column }
        public var description: String { "\(line):\(column)" }
    }

    /// Why a text is not a certificate for this model: where, and what (lowercase).
    public struct Rejection: Error, Hashable, Sendable, CustomStringConvertible {
        public var position: Position
        public var message: String
        init(_ position: Position, _ message: String) { self.position = position; self.message = message }
        /// `line:column: message`.
        public var description: String { "\(position): \(message)" }
    }

    /// The model's current-state variables: name and sort.
    public let variables: [String: CertificateFormula.Sort]
    /// The widest bit-vector a formula may build (the widest state variable).
    let maxWidth: Int

    public init(variables: [String: CertificateFormula.Sort]) {
        self.variables = variables
        maxWidth = variables.values.reduce(1) { w, sort in
            if case .bitVector(let width) = sort { return max(w, width) }
            return w
        }
    }

    /// The formula of `text`, or the first reason it is refused.
    public func parse(_ text: String) -> Result<CertificateFormula, Rejection> {
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maxBytes else {
            return .failure(Rejection(Position(line: 1, column: 1),
                                      "the certificate has \(Self.grouped(bytes.count)) bytes, more than the limit of \(Self.grouped(Self.maxBytes)) (4 MiB)"))
        }
        var run = Run(parser: self, lexer: CertificateLexer(bytes: bytes, maxDepth: Self.maxDepth))
        do throws(Rejection) {
            return .success(try run.certificate())
        } catch {
            return .failure(error)
        }
    }

    /// `1,048,576`.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}

extension CertificateParser {
    /// One parse: the lexer, the nodes built so far and the names in scope.
    private struct Run {
        typealias Sort = CertificateFormula.Sort
        typealias Operator = CertificateFormula.Operator

        let parser: CertificateParser
        var lexer: CertificateLexer
        var nodes: [CertificateFormula.Node] = []
        var sorts: [Sort] = []
        /// Per node: its size and depth with every `let` expanded (saturating).
        var expandedSize: [Int] = []
        var expandedDepth: [Int] = []
        var declarations: [CertificateFormula.Declaration] = []
        /// Declared variables: one node each.
        var shared: [String: Int] = [:]
        /// `true` and `false`: one node each.
        var literals: [Bool: Int] = [:]
        /// The names bound by the `let`s around the current term, innermost last.
        var scopes: [[String: Int]] = []

        init(parser: CertificateParser, lexer: CertificateLexer) {
            self.parser = parser
            self.lexer = lexer
        }

        // MARK: Commands

        mutating func certificate() throws(Rejection) -> CertificateFormula {
            var root: Int?
            while true {
                let token = try lexer.next()
                switch token.kind {
                case .end:
                    guard let root else { throw Rejection(token.position, "the certificate has no (assert ...)") }
                    return CertificateFormula(nodes: nodes, sorts: sorts, root: root, declarations: declarations)
                case .open:
                    break
                default:
                    throw Rejection(token.position, "expected '(' to start a command, found \(Self.describe(token.kind))")
                }
                let command = try lexer.next()
                guard case .symbol(let name) = command.kind else {
                    throw Rejection(command.position, "expected a command name after '(', found \(Self.describe(command.kind))")
                }
                switch name {
                case "declare-fun":
                    let (variable, at) = try symbol("a variable name")
                    try expect(.open, "'(' (a state variable takes no arguments)")
                    try expect(.close, "')' (a state variable takes no arguments)")
                    try declare(variable, try sort(), at: at)
                case "declare-const":
                    let (variable, at) = try symbol("a variable name")
                    try declare(variable, try sort(), at: at)
                case "assert":
                    if root != nil {
                        throw Rejection(command.position, "a second assert: a certificate asserts exactly one formula")
                    }
                    let at = lexer.position()
                    let term = try self.term()
                    guard sorts[term] == .bool else {
                        throw Rejection(at, "the asserted term has sort \(sorts[term]), not Bool")
                    }
                    root = term
                default:
                    throw Rejection(command.position,
                                    "the command '\(name)' is not allowed in a certificate (only declare-fun, declare-const and one assert)")
                }
                try expect(.close, "')' to end the \(name) command")
            }
        }

        mutating func declare(_ name: String, _ sort: Sort, at: Position) throws(Rejection) {
            guard let expected = parser.variables[name] else {
                throw Rejection(at, "'\(name)' is not a state variable of this model")
            }
            guard expected == sort else {
                throw Rejection(at, "'\(name)' is declared with sort \(sort), but the model's state variable has sort \(expected)")
            }
            guard shared[name] == nil else { throw Rejection(at, "'\(name)' is declared twice") }
            declarations.append(.init(name: name, sort: sort))
            shared[name] = add(.variable(name), sort, arguments: [])
        }

        mutating func sort() throws(Rejection) -> Sort {
            let token = try lexer.next()
            switch token.kind {
            case .symbol("Bool"):
                return .bool
            case .open:
                try expect(.symbol("_"), "'_' (a sort is Bool or (_ BitVec N))")
                try expect(.symbol("BitVec"), "'BitVec' (a sort is Bool or (_ BitVec N))")
                let (width, at) = try index("a width")
                guard width >= 1 else { throw Rejection(at, "a bit-vector width must be at least 1") }
                try expect(.close, "')' to end the sort")
                return .bitVector(width: width)
            default:
                throw Rejection(token.position, "expected a sort (Bool or (_ BitVec N)), found \(Self.describe(token.kind))")
            }
        }

        // MARK: Terms

        /// What the term parser is inside of.
        enum Frame {
            /// `(OP` with the arguments read so far.
            case apply(Operator, name: String, at: Position, arguments: [Int])
            /// The binding list of `(let (`: the names bound so far, and the one whose term
            /// comes next.
            case bindings(at: Position, bound: [String: Int], pending: String?)
            /// The body of a `let` (its names are in scope), once read.
            case body(at: Position, result: Int?)
        }

        /// One term, with an explicit stack of open frames.
        mutating func term() throws(Rejection) -> Int {
            var stack: [Frame] = []
            while true {
                var done: Int?
                switch stack.last {
                case .bindings(let at, let bound, nil)?:
                    let token = try lexer.next()
                    switch token.kind {
                    case .close:
                        guard !bound.isEmpty else { throw Rejection(at, "a let binds no name") }
                        stack.removeLast()
                        scopes.append(bound)
                        stack.append(.body(at: at, result: nil))
                    case .open:
                        let (name, nameAt) = try symbol("a name to bind")
                        guard bound[name] == nil else { throw Rejection(nameAt, "'\(name)' is bound twice in one let") }
                        stack[stack.count - 1] = .bindings(at: at, bound: bound, pending: name)
                    default:
                        throw Rejection(token.position, "expected '(NAME TERM)' or ')' in the bindings of a let, found \(Self.describe(token.kind))")
                    }
                    continue
                case .body(_, let result?)?:
                    try expect(.close, "')' after the body of the let")
                    stack.removeLast()
                    scopes.removeLast()
                    done = result
                default:
                    let token = try lexer.next()
                    if token.kind == .close {
                        guard case .apply(let op, let name, let at, let arguments)? = stack.last else {
                            throw Rejection(token.position, "expected a term, found ')'")
                        }
                        stack.removeLast()
                        done = try apply(op, name: name, at: at, arguments)
                    } else if token.kind == .open {
                        if let literal = try open(token.position, &stack) { done = literal }
                    } else {
                        done = try atom(token)
                    }
                }
                // Hand a finished term to the frame that waits for it.
                guard let finished = done else { continue }
                switch stack.last {
                case nil:
                    return finished
                case .apply(let op, let name, let at, var arguments)?:
                    arguments.append(finished)
                    stack[stack.count - 1] = .apply(op, name: name, at: at, arguments: arguments)
                case .bindings(let at, var bound, let name?)?:
                    bound[name] = finished
                    try expect(.close, "')' to end the binding of '\(name)'")
                    stack[stack.count - 1] = .bindings(at: at, bound: bound, pending: nil)
                case .body(let at, nil)?:
                    stack[stack.count - 1] = .body(at: at, result: finished)
                case .bindings(_, _, nil)?, .body(_, _?)?:
                    preconditionFailure("handled before a term is read")
                }
            }
        }

        /// After `(` in a term: a `let`, an operator (pushed), or a literal `(_ bvN W)` (returned).
        mutating func open(_ at: Position, _ stack: inout [Frame]) throws(Rejection) -> Int? {
            let head = try lexer.next()
            switch head.kind {
            case .symbol("let"):
                try expect(.open, "'(' to start the bindings of the let")
                stack.append(.bindings(at: head.position, bound: [:], pending: nil))
                return nil
            case .symbol("_"):
                return try numeral(at: head.position)
            case .open:
                try expect(.symbol("_"), "'_' of an indexed operator ((_ extract i j) or (_ bit2bool i))")
                let (name, nameAt) = try symbol("an indexed operator")
                let op: Operator
                switch name {
                case "extract":
                    let (high, _) = try index("the high bit")
                    let (low, lowAt) = try index("the low bit")
                    guard low <= high else { throw Rejection(lowAt, "extract's low bit \(low) is above its high bit \(high)") }
                    op = .extract(high: high, low: low)
                case "bit2bool":
                    op = .bit(try index("the bit").value)
                default:
                    throw Rejection(nameAt, "unknown indexed operator '\(name)' (only extract and bit2bool)")
                }
                try expect(.close, "')' to end the indexed operator")
                stack.append(.apply(op, name: name, at: head.position, arguments: []))
                return nil
            case .symbol(let name):
                guard let op = Self.operators[name] else {
                    if lookup(name) != nil {
                        throw Rejection(head.position, "'\(name)' is not an operator: it cannot be applied")
                    }
                    throw Rejection(head.position, "unknown operator '\(name)'")
                }
                stack.append(.apply(op, name: name, at: head.position, arguments: []))
                return nil
            default:
                throw Rejection(head.position, "expected an operator after '(', found \(Self.describe(head.kind))")
            }
        }

        static let operators: [String: Operator] = [
            "not": .not, "and": .and, "or": .or, "=>": .implies, "=": .equal, "ite": .ite,
            "bvnot": .bvnot, "bvand": .bvand, "bvor": .bvor, "bvule": .bvule, "bvult": .bvult,
            "bvuge": .bvuge, "bvugt": .bvugt, "concat": .concat,
        ]

        mutating func atom(_ token: CertificateLexer.Token) throws(Rejection) -> Int {
            switch token.kind {
            case .symbol("true"), .symbol("false"):
                let value = token.kind == .symbol("true")
                if let node = literals[value] { return node }
                let node = add(.bool(value), .bool, arguments: [])
                literals[value] = node
                return node
            case .symbol(let name):
                if let node = lookup(name) { return node }
                if parser.variables[name] != nil {
                    throw Rejection(token.position, "'\(name)' is used before it is declared")
                }
                throw Rejection(token.position, "unknown symbol '\(name)'")
            case .binary(let digits):
                return try literal(bits: digits.utf8.map { $0 == UInt8(ascii: "1") ? 1 : 0 }, bitsPerDigit: 1, at: token.position)
            case .hex(let digits):
                return try literal(bits: digits.utf8.map { UInt64(Self.hexValue($0)) }, bitsPerDigit: 4, at: token.position)
            case .numeral:
                throw Rejection(token.position, "a bare numeral is not a term (bit-vector literals are #b..., #x... or (_ bvN W))")
            case .open, .close, .end:
                throw Rejection(token.position, "expected a term, found \(Self.describe(token.kind))")
            }
        }

        /// A declared variable or a bound name, innermost binding first.
        func lookup(_ name: String) -> Int? {
            for scope in scopes.reversed() { if let node = scope[name] { return node } }
            return shared[name]
        }

        /// `#b`/`#x` digits, most significant first.
        mutating func literal(bits digits: [UInt64], bitsPerDigit: Int, at: Position) throws(Rejection) -> Int {
            let width = digits.count * bitsPerDigit
            guard width <= parser.maxWidth else {
                throw Rejection(at, "a \(width)-bit literal is wider than any state variable (\(parser.maxWidth) bits)")
            }
            var limbs = [UInt64](repeating: 0, count: (width + 63) / 64)
            for (i, digit) in digits.reversed().enumerated() {
                let bit = i * bitsPerDigit
                limbs[bit / 64] |= digit << UInt64(bit % 64)   // a digit never straddles: 64 % 4 == 0
            }
            return add(.bitVector(limbs: limbs, width: width), .bitVector(width: width), arguments: [])
        }

        /// After `(_`: `bvN W)`, the literal N of width W.
        mutating func numeral(at: Position) throws(Rejection) -> Int {
            let (name, nameAt) = try symbol("bvN in a literal (_ bvN W)")
            guard name.hasPrefix("bv"), name.count > 2, name.dropFirst(2).utf8.allSatisfy(CertificateLexer.isDigit) else {
                throw Rejection(nameAt, "expected a literal (_ bvN W), found '(_ \(name)'")
            }
            let (width, widthAt) = try index("the literal's width")
            guard width >= 1, width <= parser.maxWidth else {
                throw Rejection(widthAt, "a \(width)-bit literal is not 1 to \(parser.maxWidth) bits wide (the widest state variable)")
            }
            try expect(.close, "')' to end the literal")
            // 2^W has fewer than W/3 + 1 decimal digits: a longer numeral cannot fit, and is
            // not converted (that would take time quadratic in its length).
            let decimal = Array(name.utf8.dropFirst(2))
            guard decimal.count <= width / 3 + 1 else {
                throw Rejection(nameAt, "\(name.dropFirst(2)) does not fit in \(width) bits")
            }
            // Room for 2W + 64 bits: W/3 + 1 decimal digits need fewer than 1.11 W + 4, so
            // nothing carries out of the last limb and the test below sees every set bit.
            var limbs = [UInt64](repeating: 0, count: (2 * width + 63) / 64 + 1)
            for d in decimal {
                var carry = UInt64(d - UInt8(ascii: "0"))
                for i in limbs.indices {
                    let (high, low) = limbs[i].multipliedFullWidth(by: 10)
                    let (sum, overflow) = low.addingReportingOverflow(carry)
                    limbs[i] = sum
                    carry = high + (overflow ? 1 : 0)
                }
            }
            let fits = limbs.indices.allSatisfy { i in
                let first = i * 64
                if first >= width { return limbs[i] == 0 }
                return width - first >= 64 || limbs[i] >> UInt64(width - first) == 0
            }
            guard fits else { throw Rejection(nameAt, "\(name.dropFirst(2)) does not fit in \(width) bits") }
            limbs.removeLast(limbs.count - (width + 63) / 64)
            return add(.bitVector(limbs: limbs, width: width), .bitVector(width: width), arguments: [])
        }

        /// Sort-checks `(name arguments...)` and adds its node.
        mutating func apply(_ op: Operator, name: String, at: Position, _ arguments: [Int]) throws(Rejection) -> Int {
            let argumentSorts = arguments.map { sorts[$0] }
            let count = arguments.count
            func arity(_ ok: Bool, _ what: String) throws(Rejection) {
                if !ok { throw Rejection(at, "'\(name)' takes \(what), not \(count)") }
            }
            func allBool() throws(Rejection) {
                if let i = argumentSorts.firstIndex(where: { $0 != .bool }) {
                    throw Rejection(at, "argument \(i + 1) of '\(name)' has sort \(argumentSorts[i]), not Bool")
                }
            }
            /// The common width of bit-vector arguments.
            func sameWidth() throws(Rejection) -> Int {
                guard case .bitVector(let w)? = argumentSorts.first else {
                    throw Rejection(at, "'\(name)' takes bit-vectors, and its first argument has sort \(argumentSorts.first ?? .bool)")
                }
                if let i = argumentSorts.firstIndex(where: { $0 != .bitVector(width: w) }) {
                    throw Rejection(at, "argument \(i + 1) of '\(name)' has sort \(argumentSorts[i]), not \(Sort.bitVector(width: w))")
                }
                return w
            }
            let sort: Sort
            switch op {
            case .not:
                try arity(count == 1, "one argument"); try allBool(); sort = .bool
            case .and, .or:
                try arity(count >= 1, "at least one argument"); try allBool(); sort = .bool
            case .implies:
                try arity(count >= 2, "at least two arguments"); try allBool(); sort = .bool
            case .equal:
                try arity(count >= 2, "at least two arguments")
                if let i = argumentSorts.firstIndex(where: { $0 != argumentSorts[0] }) {
                    throw Rejection(at, "argument \(i + 1) of '=' has sort \(argumentSorts[i]), not \(argumentSorts[0])")
                }
                sort = .bool
            case .ite:
                try arity(count == 3, "three arguments")
                guard argumentSorts[0] == .bool else {
                    throw Rejection(at, "the condition of 'ite' has sort \(argumentSorts[0]), not Bool")
                }
                guard argumentSorts[1] == argumentSorts[2] else {
                    throw Rejection(at, "the branches of 'ite' have sorts \(argumentSorts[1]) and \(argumentSorts[2])")
                }
                sort = argumentSorts[1]
            case .bvnot:
                try arity(count == 1, "one argument"); sort = .bitVector(width: try sameWidth())
            case .bvand, .bvor:
                try arity(count >= 2, "at least two arguments"); sort = .bitVector(width: try sameWidth())
            case .bvule, .bvult, .bvuge, .bvugt:
                try arity(count == 2, "two arguments"); _ = try sameWidth(); sort = .bool
            case .concat:
                try arity(count >= 2, "at least two arguments")
                var total = 0
                for (i, s) in argumentSorts.enumerated() {
                    guard case .bitVector(let w) = s else {
                        throw Rejection(at, "argument \(i + 1) of 'concat' has sort \(s), not a bit-vector")
                    }
                    total += w
                }
                guard total <= parser.maxWidth else {
                    throw Rejection(at, "'concat' makes \(total) bits, wider than any state variable (\(parser.maxWidth) bits)")
                }
                sort = .bitVector(width: total)
            case .extract(let high, let low):
                try arity(count == 1, "one argument")
                let w = try sameWidth()
                guard high < w else { throw Rejection(at, "extract's high bit \(high) is outside a \(w)-bit vector") }
                sort = .bitVector(width: high - low + 1)
            case .bit(let index):
                try arity(count == 1, "one argument")
                let w = try sameWidth()
                guard index < w else { throw Rejection(at, "bit2bool's bit \(index) is outside a \(w)-bit vector") }
                sort = .bool
            }
            let node = add(.apply(op, arguments), sort, arguments: arguments)
            guard expandedDepth[node] <= CertificateParser.maxDepth else {
                throw Rejection(at, "with its lets expanded, the formula nests deeper than \(CertificateParser.grouped(CertificateParser.maxDepth)), the limit for a certificate")
            }
            guard expandedSize[node] <= CertificateParser.maxExpandedNodes else {
                throw Rejection(at, "with its lets expanded, the formula has more than \(CertificateParser.grouped(CertificateParser.maxExpandedNodes)) nodes, the limit for a certificate")
            }
            return node
        }

        mutating func add(_ node: CertificateFormula.Node, _ sort: Sort, arguments: [Int]) -> Int {
            var size = 1, depth = 0
            for a in arguments {
                size = min(size + expandedSize[a], CertificateParser.maxExpandedNodes + 1)
                depth = max(depth, expandedDepth[a])
            }
            nodes.append(node)
            sorts.append(sort)
            expandedSize.append(size)
            expandedDepth.append(depth + 1)
            return nodes.count - 1
        }

        // MARK: Tokens

        mutating func expect(_ kind: CertificateLexer.Kind, _ what: String) throws(Rejection) {
            let token = try lexer.next()
            guard token.kind == kind else {
                throw Rejection(token.position, "expected \(what), found \(Self.describe(token.kind))")
            }
        }

        mutating func symbol(_ what: String) throws(Rejection) -> (String, Position) {
            let token = try lexer.next()
            guard case .symbol(let name) = token.kind else {
                throw Rejection(token.position, "expected \(what), found \(Self.describe(token.kind))")
            }
            return (name, token.position)
        }

        /// A small numeral: an index or a width (at most 9 digits).
        mutating func index(_ what: String) throws(Rejection) -> (value: Int, at: Position) {
            let token = try lexer.next()
            guard case .numeral(let digits) = token.kind else {
                throw Rejection(token.position, "expected \(what) (a numeral), found \(Self.describe(token.kind))")
            }
            guard digits.count <= 9, let value = Int(digits) else {
                throw Rejection(token.position, "\(what) \(digits) is too large")
            }
            return (value, token.position)
        }

        static func hexValue(_ b: UInt8) -> UInt8 {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            default: b - UInt8(ascii: "A") + 10
            }
        }

        static func describe(_ kind: CertificateLexer.Kind) -> String {
            switch kind {
            case .open: "'('"
            case .close: "')'"
            case .symbol(let s): "'\(s.count > 40 ? s.prefix(40) + "..." : s)'"
            case .numeral(let s): "the numeral \(s.count > 40 ? s.prefix(40) + "..." : s)"
            case .binary, .hex: "a bit-vector literal"
            case .end: "the end of the certificate"
            }
        }
    }
}
