import Testing
@testable import LeakModel
@testable import LeakSyntax
@Test func versionIsSet() { #expect(!LeakModelVersion.string.isEmpty) }
