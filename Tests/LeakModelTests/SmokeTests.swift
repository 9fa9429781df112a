import Testing
@testable import LeakModel
@Test func versionIsSet() { #expect(!LeakModelVersion.string.isEmpty) }
