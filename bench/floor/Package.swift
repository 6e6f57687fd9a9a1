// swift-tools-version:6.2
import PackageDescription

// The floors under btcrate's processes (bench/lean.sh, issue 14): the smallest
// programs on the libraries each process must use, built and linked exactly as
// btcrate is (release, Swift runtime static, lld, packed relocations, nothing
// exported). Their idle Rss is what no btcrate process built on them can go below.
let linkedLikeBTCRate: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
                 .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "btcrate-floor",
    dependencies: [
        // As btcrate takes them (Package.swift at the top): Hummingbird without its Foundation trait.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Swift and FoundationEssentials: every btcrate process.
        .executableTarget(name: "swift-hello", linkerSettings: linkedLikeBTCRate),
        // SwiftNIO with one event loop and a listening socket: the watchdog's and collect's pool for blocking calls.
        .executableTarget(name: "nio-idle", dependencies: [.product(name: "NIOPosix", package: "swift-nio")],
                          linkerSettings: linkedLikeBTCRate),
        // Hummingbird answering GET /healthz: the graph service's HTTP process.
        .executableTarget(name: "hummingbird-hello", dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
                          linkerSettings: linkedLikeBTCRate),
    ]
)
