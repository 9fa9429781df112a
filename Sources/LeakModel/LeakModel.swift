// The library product `LeakModel`: every stage of the pipeline but the Z3 layer, re-exported,
// so that the command-line tool and the tests keep one `import LeakModel`. The stages are
// separate targets (docs/ARCHITECTURE.md), so the compiler keeps their arrows; this target
// has no code of its own. LeakSMT is left out on purpose: nothing above the engines names Z3
// (a test of the Z3 layer imports LeakSMT itself).
@_exported import LeakSyntax
@_exported import LeakSemantics
@_exported import LeakSteps
@_exported import LeakTrace
@_exported import LeakExplicit
@_exported import LeakEncoding
@_exported import LeakEngines
@_exported import LeakExport
@_exported import LeakReport
