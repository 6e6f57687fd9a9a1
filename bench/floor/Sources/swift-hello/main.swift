import FoundationEssentials
import Glibc

// Says it is up (with a FoundationEssentials value, so that the library is used), then idles.
print("up \(Int(Date().timeIntervalSince1970))")
fflush(nil)
while true { pause() }
