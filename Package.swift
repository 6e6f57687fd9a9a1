// swift-tools-version:6.2
import PackageDescription

// Layers, from the bottom up (see README "Code layout"):
//   C modules (CRRD, CCurl, CSystemd,  -> one per system library, shims only where Swift cannot call
//              CSpawn)                    (CSpawn: libc's GNU extensions for the render workers;
//                                          CCurl: libcurl through dlopen, loaded on first use)
//   BlockingCalls                       -> the one bounded thread pool for blocking calls (NIO's NIOThreadPool)
//   Lib* wrappers                       -> a thin Swift API per C library
//   BTCRateCore                         -> domain logic in pure Swift (no C)
//   BTCRateCLI                          -> wires the domain to the wrappers; the subcommands
//   btcrate                             -> the executable: just `main`
let package = Package(
    name: "btcrate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "btcrate", targets: ["btcrate"]),
        .executable(name: "btcrate-fake-sources", targets: ["btcrate-fake-sources"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Without its default FullFoundation trait, Hummingbird imports only
        // FoundationEssentials: the full Foundation (with ICU) stays out of btcrate.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["ConfigurationSupport"]),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: C libraries
        .systemLibrary(name: "CRRD", pkgConfig: "librrd", providers: [.apt(["librrd-dev"])]),
        // libcurl is opened with dlopen by the processes that speak HTTP, not linked (Sources/CCurl).
        .target(name: "CCurl"),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CSpawn"),

        // MARK: blocking calls off the cooperative pool
        .target(name: "BlockingCalls", dependencies: [
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // MARK: thin Swift wrappers, one per C library
        .target(name: "LibRRD", dependencies: ["CRRD"]),
        .target(name: "LibCurl", dependencies: ["CCurl", "BlockingCalls"]),
        .target(name: "LibSystemd", dependencies: [
            "CSystemd",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: domain
        .target(name: "BTCRateCore", dependencies: [
            "BlockingCalls",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: services
        // The graph service: HTTP endpoints and connections, the render workers, the cache, the page.
        .target(name: "BTCRateGraph", dependencies: [
            "BTCRateCore", "LibRRD", "CSpawn", "BlockingCalls",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: application
        .target(name: "BTCRateCLI", dependencies: [
            "BTCRateCore", "BTCRateGraph", "LibRRD", "LibCurl", "LibSystemd", "BlockingCalls",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            // The watchdog's plain-HTTP probe of the graph service (Adapters/PlainHTTPClient).
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "btcrate", dependencies: ["BTCRateCLI"], linkerSettings: [
            // Release links (the .deb, the image, the benchmarks) use lld, so that:
            // - the relative relocations are packed (DT_RELR, glibc >= 2.36): 1.6 MB of
            //   .rela.dyn that every process read at start becomes 14 kB;
            // - the executable exports nothing: the Swift toolchain's static-stdlib
            //   arguments add --export-dynamic, which put 23,000 symbols in .dynsym that
            //   the dynamic loader searched first for every symbol of every C library.
            // Together: 4 MB off the stripped binary and 2.5 MiB off each process's Rss
            // (bench/lean.sh, README "Lean"). lld ships with the Swift toolchain.
            .unsafeFlags([
                "-use-ld=lld",
                "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                "-Xlinker", "--no-export-dynamic",
            ], .when(platforms: [.linux], configuration: .release)),
        ]),

        // MARK: test and benchmark support: a loopback fake of the price APIs
        .target(name: "FakePriceServer"),
        .executableTarget(name: "btcrate-fake-sources", dependencies: ["FakePriceServer"]),
        // Test doubles for the domain's protocols (HTTP, store, logging).
        .target(name: "BTCRateTestSupport", dependencies: [
            "BTCRateCore", .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/Support"),

        // MARK: tests
        .testTarget(name: "BTCRateCoreTests", dependencies: ["BTCRateCore", "BTCRateTestSupport", "FakePriceServer"]),
        .testTarget(name: "LibraryWrapperTests", dependencies: [
            "LibRRD", "LibCurl", "LibSystemd", "FakePriceServer", "BTCRateTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // "btcrate": the render workers the graph service spawns are the real binary.
        .testTarget(name: "GraphServiceTests", dependencies: [
            "BTCRateGraph", "BTCRateCore", "LibRRD", "BTCRateTestSupport", "btcrate",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "CollectorTests", dependencies: [
            "BTCRateCLI", "BTCRateCore", "LibRRD", "LibCurl", "FakePriceServer", "BTCRateTestSupport", "btcrate",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
