import LeakSemantics
import LeakTrace

/// The shortest fair starving lasso (DESIGN.md 6.2) in an explored state graph.
///
/// A loop starves thread t when t is in guest mode in none of its states; it is fair when no
/// interrupt handler starts in it and every thread that has a move other than an interrupt
/// start in one of its states takes a step in it (strong fairness over threads).
///
/// Existence: for each thread t, the graph of the states where t is not in guest mode, with
/// the steps that start no interrupt, is cut into strongly connected components; a component
/// in which some thread can move but never steps loses the states where that thread can move
/// and is cut again (Emerson-Lei). What is left with a step inside it is fair: a loop through
/// all of it is a fair starving loop, and every fair starving loop lies in such a component
/// (none of its states is ever removed: a thread that can move on it steps on it).
///
/// Shortest: a lasso is a shortest path to its loop's first state s plus a loop through s,
/// so the shortest lasso is the least `depth(s) + loop(s)` over the states s of fair
/// components, where `loop(s)` is the shortest fair loop through s, found by a breadth-first
/// search over (state, threads that stepped, threads that could move) within s's component.
/// Candidates are taken by depth, and each search is cut at the best length found so far.
struct LassoSearch {
    /// A step in the graph: the successor's index and the action.
    typealias Edge = (to: Int, action: Action)

    let states: [SystemState]
    /// Breadth-first depth of each state (its shortest distance from an initial state).
    let depth: [Int]
    /// Parent of each state in the breadth-first tree (nil: initial).
    let parent: [(Int, Action)?]
    /// Outgoing steps of the states whose successors were recorded (nil: not recorded).
    let edges: [[Edge]?]
    /// Bit i: thread i has a move other than starting an interrupt handler in the state.
    let enabled: [UInt64]
    let threadCount: Int
    /// The threads that can starve: those some guest is placed on (a host-only thread never
    /// runs a guest).
    let starvable: [Int]

    /// The shortest lasso of at most `maxLength` steps, if any; nil as well when `stop` gives
    /// a reason (returned in `stopped`).
    func shortest(maxLength: Int?, stop: () -> String?) -> Result {
        var best: (length: Int, thread: Int, start: Int, loop: [Edge])?
        for t in starvable {
            let component = fairComponents(starving: t)
            let candidates = component.indices.filter { component[$0] >= 0 }
                .sorted { (depth[$0], $0) < (depth[$1], $1) }
            for (n, s) in candidates.enumerated() {
                if n % 64 == 0, let reason = stop() { return .stopped(reason) }
                // A loop has at least one step.
                var limit = (maxLength ?? Int.max) - depth[s]
                if let best { limit = min(limit, best.length - 1 - depth[s]) }
                guard limit >= 1 else { break }
                if let loop = shortestLoop(through: s, component: component, limit: limit) {
                    best = (depth[s] + loop.count, t, s, loop)
                }
            }
        }
        guard let best else { return .none }
        var prefix: [Trace.Step] = []
        var k = best.start
        while let (p, action) = parent[k] {
            prefix.append(.init(action: action, state: states[k]))
            k = p
        }
        let steps = prefix.reversed() + best.loop.map { Trace.Step(action: $0.action, state: states[$0.to]) }
        return .lasso(Trace(initial: states[k], steps: Array(steps), finding: .starvation(thread: best.thread),
                            loopStart: depth[best.start]))
    }

    enum Result {
        case lasso(Trace)
        case none
        case stopped(String)
    }

    // MARK: Fair components

    /// Whether a step may be part of a loop (no interrupt handler starts in one).
    private func inLoop(_ e: Edge) -> Bool {
        if case .interrupt = e.action { return false }
        return true
    }

    /// The fair components of the states where thread `t` is not in guest mode: the component
    /// number of each state (-1: in none).
    private func fairComponents(starving t: Int) -> [Int] {
        var component = Array(repeating: -1, count: states.count)
        var count = 0
        var alive = states.indices.map { i in
            edges[i] != nil && !states[i].isCrashed && !states[i].threads[t].inGuest
        }
        var work: [[Int]] = [states.indices.filter { alive[$0] }]
        while let nodes = work.popLast() {
            for scc in stronglyConnected(nodes, alive: alive) {
                let members = Set(scc)
                var stepped: UInt64 = 0, inside = false
                for u in scc {
                    for e in edges[u]! where inLoop(e) && members.contains(e.to) && !e.action.isIdle {
                        stepped |= 1 << UInt64(e.action.thread)
                        inside = true
                    }
                }
                guard inside else { continue }
                var couldMove: UInt64 = 0
                for u in scc { couldMove |= enabled[u] }
                let unfair = couldMove & ~stepped
                if unfair == 0 {
                    for u in scc { component[u] = count }
                    count += 1
                    continue
                }
                // A thread that can move here never steps inside: no fair loop passes where it
                // can move. Drop those states and cut the rest again.
                var rest: [Int] = []
                for u in scc {
                    if enabled[u] & unfair != 0 { alive[u] = false } else { rest.append(u) }
                }
                if !rest.isEmpty { work.append(rest) }
            }
        }
        return component
    }

    /// The strongly connected components of the subgraph on `nodes` (alive states, steps that
    /// start no interrupt), by Tarjan's algorithm without recursion.
    private func stronglyConnected(_ nodes: [Int], alive: [Bool]) -> [[Int]] {
        let members = Set(nodes)
        var index: [Int: Int] = [:], low: [Int: Int] = [:]
        var onStack = Set<Int>(), stack: [Int] = []
        var next = 0
        var result: [[Int]] = []
        for root in nodes where index[root] == nil {
            // Each frame: a node and how many of its edges were looked at.
            var frames: [(node: Int, edge: Int)] = [(root, 0)]
            index[root] = next; low[root] = next; next += 1
            stack.append(root); onStack.insert(root)
            while var frame = frames.popLast() {
                let u = frame.node
                let out = edges[u]!
                var descended = false
                while frame.edge < out.count {
                    let e = out[frame.edge]
                    frame.edge += 1
                    guard inLoop(e), members.contains(e.to), alive[e.to] else { continue }
                    let v = e.to
                    if index[v] == nil {
                        index[v] = next; low[v] = next; next += 1
                        stack.append(v); onStack.insert(v)
                        frames.append(frame)
                        frames.append((v, 0))
                        descended = true
                        break
                    } else if onStack.contains(v) {
                        low[u] = min(low[u]!, index[v]!)
                    }
                }
                if descended { continue }
                if low[u] == index[u] {
                    var scc: [Int] = []
                    while true {
                        let w = stack.removeLast()
                        onStack.remove(w)
                        scc.append(w)
                        if w == u { break }
                    }
                    result.append(scc.sorted())
                }
                if let parent = frames.last?.node { low[parent] = min(low[parent]!, low[u]!) }
            }
        }
        return result
    }

    // MARK: Shortest loop

    /// The shortest fair loop through `s` inside its component, of at most `limit` steps.
    private func shortestLoop(through s: Int, component: [Int], limit: Int) -> [Edge]? {
        struct Node: Hashable { var state: Int; var stepped: UInt64; var seen: UInt64 }
        let c = component[s]
        let start = Node(state: s, stepped: 0, seen: enabled[s])
        var parent: [Node: (Node, Edge)] = [:]
        var layer = [start]
        var visited: Set<Node> = [start]
        for length in 1...limit {
            var next: [Node] = []
            for node in layer {
                for e in edges[node.state]! where inLoop(e) && component[e.to] == c {
                    // An idle step is no step for fairness, and a loop of idle steps is no loop.
                    let n = Node(state: e.to, stepped: node.stepped | (e.action.isIdle ? 0 : 1 << UInt64(e.action.thread)),
                                 seen: node.seen | enabled[e.to])
                    if n.state == s, n.stepped != 0, n.seen & ~n.stepped == 0 {
                        var loop = [e]
                        var k = node
                        while let (p, edge) = parent[k] { loop.append(edge); k = p }
                        precondition(loop.count == length)
                        return loop.reversed()
                    }
                    if visited.insert(n).inserted {
                        parent[n] = (node, e)
                        next.append(n)
                    }
                }
            }
            if next.isEmpty { return nil }
            layer = next
        }
        return nil
    }
}
