/// Placeholder; replaced below.
public struct HTMLReport: Sendable {
    public init() {}
    public func render(_ report: Checker.Report) -> String { "" }
}
