public enum LeakModelVersion { public static let string = "0.1.0" }
