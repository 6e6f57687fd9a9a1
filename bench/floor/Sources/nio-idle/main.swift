import Glibc
import NIOCore
import NIOPosix

// One event loop with a socket listening on 127.0.0.1 (the port is printed), then idle.
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
print("up \(channel.localAddress?.port ?? 0)")
fflush(nil)
while true { pause() }
