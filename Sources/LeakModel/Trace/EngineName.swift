/// What ran in a check and is named in its report: an engine that searched or proved, or a
/// step around them (symmetry reduction, coverage). Reports print the raw value.
///
/// The engine option (`Checker`'s `Engine`) is what the user chooses (`auto` runs several of
/// these in turn); this is what actually ran.
public enum EngineName: String, Hashable, Sendable, CaseIterable {
    /// Bounded model checking with Z3.
    case bmc
    /// A stored certificate's invariant, re-checked with one query.
    case certificate
    /// The visit for what some schedule reaches.
    case coverage
    /// The explicit-state engine.
    case explicit
    /// k-induction with Z3.
    case kInduction = "k-induction"
    /// Z3's Spacer (constrained Horn clauses).
    case spacer
    /// Symmetry reduction over interchangeable guests.
    case symmetry
    /// Z3 itself, when it stopped before any engine decided (out of memory).
    case z3

    /// The engines of `names` as reports print them: sorted by name, joined with `+`
    /// ("bmc+explicit" when the cores of a model were decided by different engines).
    public static func describe(_ names: [EngineName]) -> String {
        Set(names).map(\.rawValue).sorted().joined(separator: "+")
    }
}
