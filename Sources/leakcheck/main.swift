import LeakModel
print("leakcheck \(LeakModelVersion.string)")
