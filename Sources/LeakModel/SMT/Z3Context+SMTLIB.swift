internal import CZ3

/// Writing formulas as SMT-LIB 2 text (proof certificates), and what a formula mentions.
///
/// There is deliberately no reader: Z3's SMT-LIB parser is a command interpreter
/// (`set-option`, `echo`, `include`... act on the process), so certificate text is read by
/// `CertificateParser` and built through the term API instead.
extension Z3Context {
    /// The formula as an SMT-LIB 2 script: a declaration of every constant it uses, then one
    /// `assert`. Reading it back (`CertificateParser`, then `CertificateTermBuilder`) gives
    /// the same constants, because Z3 identifies a constant by its name and sort.
    public func smtlib2Script(asserting e: Z3Expr) throws -> String {
        let solver = try Z3Solver(self)
        try solver.assert(e)
        return solver.description
    }

    /// What a formula mentions besides interpreted operators and numerals: its uninterpreted
    /// constants, and a description of anything else (an uninterpreted function applied to
    /// arguments, a bound variable, a quantifier) that a caller may want to refuse.
    public func symbols(of e: Z3Expr) throws -> (constants: [Z3Expr], others: [String]) {
        try requireOwned(e)
        var constants: [Z3Expr] = [], others: [String] = []
        var seen = Set<UInt32>()
        var stack = [e]
        let c = raw
        while let node = stack.popLast() {
            guard seen.insert(node.id).inserted else { continue }
            try withExtendedLifetime(node) {
                switch Z3_get_ast_kind(c, node.raw) {
                case Z3_NUMERAL_AST:
                    break
                case Z3_APP_AST:
                    let app = Z3_to_app(c, node.raw)!
                    let n = Z3_get_app_num_args(c, app)
                    if Z3_get_decl_kind(c, Z3_get_app_decl(c, app)) == Z3_OP_UNINTERPRETED {
                        if n == 0 { constants.append(node) } else { others.append("the function application \(node)") }
                    }
                    for i in 0..<n { stack.append(try expr(Z3_get_app_arg(c, app, i), "Z3_get_app_arg")) }
                case Z3_VAR_AST:
                    others.append("a bound variable")
                case Z3_QUANTIFIER_AST:
                    others.append("a quantifier")
                default:
                    others.append("the term \(node)")
                }
            }
        }
        return (constants, others)
    }
}
