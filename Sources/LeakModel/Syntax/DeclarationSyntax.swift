/// One top-level declaration.
package enum DeclarationSyntax {
    /// `model "title"`.
    case model(title: String, span: SourceSpan)
    /// `core NAME { THREAD ... }`; `threads` is nil when the block could not be read (reported).
    case core(name: Identifier, threads: [Identifier]?, span: SourceSpan)
    /// `host NAME[, NAME...]`.
    case hosts([Identifier], span: SourceSpan)
    /// `guest NAME[, NAME...]`.
    case guests([Identifier], span: SourceSpan)
    /// `trusted GUEST[, GUEST...]`: guests that do not attack.
    case trusted([Identifier], span: SourceSpan)
    /// `attack GUEST[, ...] reads TARGET[, ...]`: what the guests can read (a buffer, or
    /// `siblings` for what the siblings are exposed to).
    case attack(guests: [Identifier], reads: [Identifier], span: SourceSpan)
    /// `sched core`: core scheduling on every core.
    case schedCore(span: SourceSpan)
    case region(RegionSyntax)
    case table(TableSyntax)
    /// `buffer NAME [cache] fill KIND`; `fill` is nil after an error already reported.
    case buffer(name: Identifier, fill: BufferFill?, cache: Bool, span: SourceSpan)
    /// `flag NAME per thread|per core`; `scope` is nil after an error already reported.
    case flag(name: Identifier, scope: FlagScope?, span: SourceSpan)
    /// `start THREAD[, ...] in TABLE`.
    case start(threads: [Identifier], table: Identifier, span: SourceSpan)
    /// `run GUEST[, ...] on THREAD[, ...]`.
    case run(guests: [Identifier], threads: [Identifier], span: SourceSpan)
    /// `on vmexit|vmentry|fault { ... }`; `kind` is nil for an unknown hook (already reported),
    /// whose body is still resolved so the errors inside it are found.
    case hook(kind: HookKind?, kindSpan: SourceSpan, body: BlockSyntax, span: SourceSpan)
    /// `exit NAME { ... }`.
    case exit(name: Identifier, body: BlockSyntax, span: SourceSpan)
    /// `interrupt nmi|irq NAME [on THREAD, ...] { ... }`; `threads` is nil without `on`.
    case interrupt(kind: InterruptKind, name: Identifier, threads: [Identifier]?, body: BlockSyntax, span: SourceSpan)
    /// `check ...`; nil after an error already reported (the model still names a check, so
    /// "model has no check" would be a cascade).
    case check(CheckSyntax?, span: SourceSpan)
    /// `bound N`; `value` is nil when the number did not fit (already reported).
    case bound(value: Int?, valueSpan: SourceSpan, span: SourceSpan)
    /// `expect VERDICT`.
    case expect(ExpectedVerdict, span: SourceSpan)
}

/// `region NAME public | owner DOMAIN | per guest [uncached]`.
package struct RegionSyntax {
    package enum Ownership {
        case `public`
        case owner(Identifier)
        case perGuest
    }
    package var name: Identifier
    /// nil after an error already reported.
    package var ownership: Ownership?
    /// `uncached`: the region never enters a `cache` buffer.
    package var uncached = false
    var span: SourceSpan
}

/// `table NAME [per guest] maps all | maps REGION, ...`.
package struct TableSyntax {
    package enum Maps {
        case all(SourceSpan)
        case regions([Identifier])
    }
    package var name: Identifier
    package var perGuest: Bool
    /// nil after an error already reported.
    package var maps: Maps?
    var span: SourceSpan
}

/// `check corun | residue BUFFER | crash | deadlock | progress`.
package enum CheckSyntax {
    case corun
    case residue(Identifier)
    case crash
    case deadlock
    case progress
}

/// The three hook blocks.
package enum HookKind: String, CaseIterable {
    case vmexit, vmentry, fault
}
