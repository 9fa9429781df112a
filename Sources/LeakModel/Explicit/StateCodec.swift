import LeakSemantics

/// Packs a `SystemState` into a fixed number of 64-bit words and back, for the explicit
/// engine's state store.
///
/// Every variable of the state gets a bit field as wide as its range in this model needs
/// (a position among the program's instructions, a table, a guest, one bit per region of a
/// buffer), so equal states have equal words and a state costs a few words instead of a
/// tree of arrays. `decode(encode(s)) == s` for every state the interpreter produces; the
/// codec tests check it on every reachable state of random models.
public struct StateCodec: Sendable {
    /// Words per packed state.
    public let wordCount: Int
    private let threadCount: Int
    private let regionCount: Int
    private let coreCount: Int
    private let buffersPerCore: Int
    private let flagCopies: [Int]
    private let guestBits: Int
    private let tableBits: Int
    /// A frame's position: 0 no frame (an `irq` or `nmi` level not active), 1 guest,
    /// 2 ready, 3 idle, 4 + q at instruction q.
    private let positionBits: Int
    /// A fault return or an exit reason: 0 none, 1 + value.
    private let returnBits: Int
    private let exitBits: Int
    /// The bits of one thread's fields: thread k's are bits k * threadBits ..< (k + 1) *
    /// threadBits, the buffers' and flags' follow all threads'.
    private let threadBits: Int

    public init(model: Model, program: Program) {
        threadCount = model.threads.count
        regionCount = model.regions.count
        coreCount = model.cores.count
        buffersPerCore = model.buffers.count
        flagCopies = model.flags.indices.map(model.flagCopies)
        guestBits = Self.bits(model.guests.count + 1)
        tableBits = Self.bits(model.tables.count)
        positionBits = Self.bits(program.instructions.count + 4)
        returnBits = Self.bits(program.instructions.count + 1)
        exitBits = Self.bits(model.exits.count + 1)
        // Every field is at most 64 bits wide (`holds` has a bit per thread), which the
        // unchecked `BitWriter` and `BitReader` rely on.
        precondition(threadCount <= 64, "a model has at most 64 threads (Resolver.maxThreads)")
        let frame = positionBits + returnBits + 1
        threadBits = guestBits + tableBits + 3 * frame + exitBits + 4 + threadCount
        let total = threadCount * threadBits + coreCount * buffersPerCore * regionCount + flagCopies.reduce(0, +)
        wordCount = Swift.max(1, (total + 63) / 64)
    }

    /// Bits to hold the values 0..<n.
    private static func bits(_ n: Int) -> Int { n <= 1 ? 0 : Int.bitWidth - (n - 1).leadingZeroBitCount }

    /// Writes the packed form of `s` into `out` (which has `wordCount` words).
    public func encode(_ s: SystemState, into out: UnsafeMutableBufferPointer<UInt64>) {
        encode(s, replacing: nil, into: out)
    }

    /// Writes the packed form of `s` with thread `ti` in state `moved` (as
    /// `encode(s.replacing(ti, with: moved), into:)`, without building that state).
    package func encode(_ s: SystemState, replacing ti: Int, with moved: SystemState.ThreadState,
                        into out: UnsafeMutableBufferPointer<UInt64>) {
        encode(s, replacing: (ti, moved), into: out)
    }

    @inline(__always)
    private func encode(_ s: SystemState, replacing replacement: (thread: Int, state: SystemState.ThreadState)?,
                        into out: UnsafeMutableBufferPointer<UInt64>) {
        var w = BitWriter(out)
        for k in s.threads.indices {
            if let replacement, k == replacement.thread { put(replacement.state, &w) } else { put(s.threads[k], &w) }
        }
        for core in s.buffers {
            for set in core {
                var left = regionCount
                for word in set.words where left > 0 {
                    w.put(word, Swift.min(64, left))
                    left -= 64
                }
            }
        }
        for copies in s.flags { for f in copies { w.put(f ? 1 : 0, 1) } }
    }

    /// Writes the packed form of the state packed in `parent` with thread `ti` in state
    /// `moved`: `parent`'s words with thread `ti`'s bits written again. A step changes the
    /// moving thread and, far less often, the buffers, the flags or a sibling
    /// (`VisitedStates.stage` takes this path only where nothing else changed).
    package func encode(_ moved: SystemState.ThreadState, asThread ti: Int, over parent: UnsafeBufferPointer<UInt64>,
                        into out: UnsafeMutableBufferPointer<UInt64>) {
        let start = ti * threadBits, end = start + threadBits
        for k in 0..<wordCount {
            // Thread ti's bits cleared: those of word k in start..<end.
            let low = Swift.max(start - 64 * k, 0), high = Swift.min(end - 64 * k, 64)
            guard low < high else { out[k] = parent[k]; continue }
            let span: UInt64 = high - low == 64 ? ~0 : ((1 << UInt64(high - low)) - 1) << UInt64(low)
            out[k] = parent[k] & ~span
        }
        var w = BitWriter(overwriting: out, at: start)
        put(moved, &w)
    }

    @inline(__always)
    private func put(_ t: SystemState.ThreadState, _ w: inout BitWriter) {
        w.put(UInt64(t.served), guestBits)
        w.put(UInt64(t.table), tableBits)
        put(t.base, &w)
        put(t.irq, &w)
        put(t.nmi, &w)
        w.put(t.exitReason.map { UInt64($0 + 1) } ?? 0, exitBits)
        w.put(t.interruptsOn ? 1 : 0, 1)
        w.put(t.nmiSavedInterrupts ? 1 : 0, 1)
        w.put(t.kickPending ? 1 : 0, 1)
        w.put(t.crashed ? 1 : 0, 1)
        w.put(t.holds, threadCount)
    }

    @inline(__always)
    private func put(_ frame: SystemState.Frame?, _ w: inout BitWriter) {
        guard let frame else {
            w.put(0, positionBits + returnBits + 1)
            return
        }
        let position: UInt64 = switch frame.position {
        case .guest: 1
        case .ready: 2
        case .idle: 3
        case .instruction(let q): UInt64(q + 4)
        }
        w.put(position, positionBits)
        w.put(frame.faultReturn.map { UInt64($0 + 1) } ?? 0, returnBits)
        w.put(frame.retry ? 1 : 0, 1)
    }

    /// The state packed in `words`.
    public func decode(_ words: UnsafeBufferPointer<UInt64>) -> SystemState {
        let empty = SystemState.ThreadState(served: 0, table: 0, base: .init(position: .idle))
        var s = SystemState(threads: Array(repeating: empty, count: threadCount),
                            buffers: Array(repeating: Array(repeating: RegionSet(count: regionCount), count: buffersPerCore),
                                           count: coreCount),
                            flags: flagCopies.map { Array(repeating: false, count: $0) })
        decode(words, into: &s)
        return s
    }

    /// The state packed in `words`, written over `s`, a state of this model (as `decode`
    /// returns them): a search decodes every state it expands, and reusing the arrays of the
    /// last one spares their allocations (they are copied only where something still shares
    /// them).
    public func decode(_ words: UnsafeBufferPointer<UInt64>, into s: inout SystemState) {
        precondition(s.threads.count == threadCount && s.buffers.count == coreCount && s.flags.count == flagCopies.count,
                     "decode(_:into:) overwrites a state of the codec's model")
        var r = BitReader(words)
        for k in 0..<threadCount {
            let served = Int(r.take(guestBits))
            let table = Int(r.take(tableBits))
            let base = frame(&r)!
            let irq = frame(&r)
            let nmi = frame(&r)
            let exit = Int(r.take(exitBits))
            let interruptsOn = r.take(1) == 1
            let nmiSaved = r.take(1) == 1
            let kick = r.take(1) == 1
            let crashed = r.take(1) == 1
            let holds = r.take(threadCount)
            s.threads[k] = .init(served: served, table: table, base: base, irq: irq, nmi: nmi,
                                 exitReason: exit == 0 ? nil : exit - 1, interruptsOn: interruptsOn,
                                 nmiSavedInterrupts: nmiSaved, holds: holds, kickPending: kick, crashed: crashed)
        }
        for c in 0..<coreCount {
            for b in 0..<buffersPerCore {
                for k in 0..<s.buffers[c][b].wordCount {
                    let word = r.take(Swift.min(64, regionCount - 64 * k))
                    // Only a changed word writes: an unchanged set stays shared.
                    if s.buffers[c][b].word(k) != word { s.buffers[c][b].setWord(k, word) }
                }
            }
        }
        for f in flagCopies.indices {
            for c in 0..<flagCopies[f] {
                let bit = r.take(1) == 1
                if s.flags[f][c] != bit { s.flags[f][c] = bit }
            }
        }
    }

    @inline(__always)
    private func frame(_ r: inout BitReader) -> SystemState.Frame? {
        let position = r.take(positionBits)
        let faultReturn = Int(r.take(returnBits))
        let retry = r.take(1) == 1
        let p: SystemState.Position
        switch position {
        case 0: return nil
        case 1: p = .guest
        case 2: p = .ready
        case 3: p = .idle
        default: p = .instruction(Int(position) - 4)
        }
        return .init(position: p, faultReturn: faultReturn == 0 ? nil : faultReturn - 1, retry: retry)
    }
}

/// Appends bit fields to a run of words, low bits first.
private struct BitWriter {
    let out: UnsafeMutableBufferPointer<UInt64>
    var bit = 0
    init(_ out: UnsafeMutableBufferPointer<UInt64>) {
        self.out = out
        for k in out.indices { out[k] = 0 }
    }
    /// A writer from bit `bit` of `out`, whose bits from there on that the fields written
    /// will cover are zero.
    init(overwriting out: UnsafeMutableBufferPointer<UInt64>, at bit: Int) {
        self.out = out
        self.bit = bit
    }
    // Inlined, and without bounds checks (the fields, each at most 64 bits, add up to
    // `wordCount` words): a call per field was 8% of a search's time.
    @inline(__always)
    mutating func put(_ value: UInt64, _ width: Int) {
        guard width > 0 else { return }
        let word = bit >> 6, offset = bit & 63
        let p = out.baseAddress.unsafelyUnwrapped
        p[word] |= value << UInt64(offset)
        if offset + width > 64 { p[word + 1] |= value >> UInt64(64 - offset) }
        bit += width
    }
}

/// Reads the fields a `BitWriter` wrote, in the same order.
private struct BitReader {
    let words: UnsafeBufferPointer<UInt64>
    var bit = 0
    init(_ words: UnsafeBufferPointer<UInt64>) { self.words = words }
    @inline(__always)
    mutating func take(_ width: Int) -> UInt64 {
        guard width > 0 else { return 0 }
        let word = bit >> 6, offset = bit & 63
        let p = words.baseAddress.unsafelyUnwrapped
        var value = p[word] >> UInt64(offset)
        if offset + width > 64 { value |= p[word + 1] << UInt64(64 - offset) }
        bit += width
        return width == 64 ? value : value & ((1 << UInt64(width)) - 1)
    }
}
