import LeakSemantics

/// How a `SystemState` is laid out in bit-vectors: widths and value codes shared by the
/// encoder and the decoder.
struct StateLayout: Sendable {
    /// Program-counter codes: 0 = guest (base level) or inactive (handler levels), 1 = ready.
    static let guestCode: UInt64 = 0
    static let readyCode: UInt64 = 1

    let pcWidth: Int
    let guestWidth: Int
    let tableWidth: Int
    let exitWidth: Int
    let threadWidth: Int
    let regionWidth: Int

    init(model: Model, program: Program) {
        pcWidth = Self.bits(program.instructions.count + 2)
        guestWidth = Self.bits(model.guests.count)
        tableWidth = Self.bits(model.tables.count)
        exitWidth = Self.bits(model.exits.count + 1)
        threadWidth = max(1, model.threads.count)
        regionWidth = max(1, model.regions.count)
    }

    /// Bits needed to hold the values `0..<n`.
    static func bits(_ n: Int) -> Int {
        var w = 1
        while (1 << w) < n { w += 1 }
        return w
    }

    static func code(_ p: SystemState.Position) -> UInt64 {
        switch p {
        case .guest: guestCode
        case .ready: readyCode
        case .instruction(let i): UInt64(i + 2)
        }
    }

    static func code(instruction i: Int) -> UInt64 { UInt64(i + 2) }

    static func position(_ code: UInt64) -> SystemState.Position {
        switch code {
        case guestCode: .guest
        case readyCode: .ready
        default: .instruction(Int(code) - 2)
        }
    }
}
