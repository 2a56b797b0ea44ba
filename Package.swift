// swift-tools-version:6.1
import PackageDescription

/// Applied to every target so the whole code base is compiled under the same rules.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "offload",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "offload-api", targets: ["offload-api"]),
        .executable(name: "offload-worker", targets: ["offload-worker"]),
        .executable(name: "offload", targets: ["offload"]),
        .executable(name: "offload-bench", targets: ["offload-bench"]),
        .library(name: "Offload", targets: ["Offload"]),
        .library(name: "OffloadWorker", targets: ["OffloadWorker"]),
        .library(name: "OffloadHTTP", targets: ["OffloadHTTP"]),
    ],
    dependencies: [
        // `swift package generate-documentation` (scripts/docs.sh, `make docs`); build tooling only.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // 3.12.3 up to the 4.x already resolved for swift-certificates; `from:` alone would force 3.x.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Compiles a target's .lua/.json/.html/.js/.css files into it as string constants
        // (`EmbeddedFiles`), so the binaries are self-contained with no resource bundle.
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["EmbedFilesTool"]),
        .executableTarget(name: "EmbedFilesTool", path: "Plugins/EmbedFilesTool"),
        // C interop: hiredis's RESP reader and command encoder.
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // prctl and friends, which Swift cannot call directly (variadic C).
        .target(name: "COffloadSystem"),
        // Redis client: SwiftNIO sockets, hiredis parsing, pipelining, pool, reconnect.
        .target(
            name: "OffloadRedis",
            dependencies: [
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                // SHA1 of Lua scripts, so EVALSHA needs no SCRIPT LOAD round trip first.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The queue engine (keys, Lua scripts, broker, inspector) and its public face: job
        // definitions and the `OffloadClient` that submits and follows them.
        .target(
            name: "Offload",
            dependencies: [
                "OffloadRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedFiles"]
        ),
        // HTTP API on Hummingbird; `buildApplication` is shared by main and the tests.
        .target(
            name: "OffloadHTTP",
            dependencies: [
                "Offload",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedFiles"]
        ),
        // Worker runtime: job protocols, claim loop, dedicated threads, heartbeats, the
        // supervisor, and `OffloadWorkerCommand`, the whole worker command line.
        .target(
            name: "OffloadWorker",
            dependencies: [
                "Offload",
                "OffloadRedis",
                "OffloadCommandLine",
                "COffloadSystem",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command-line options the three executables share (`RedisOptions`).
        .target(
            name: "OffloadCommandLine",
            dependencies: [
                "Offload",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // CLI commands, built on the engine's inspector.
        .target(
            name: "OffloadCLI",
            dependencies: [
                "Offload",
                "OffloadCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "offload-api",
            dependencies: [
                "Offload",
                "OffloadHTTP",
                "OffloadCommandLine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "offload",
            dependencies: ["OffloadCLI"],
            swiftSettings: swiftSettings
        ),
        // The stock worker: the example jobs and a main calling `OffloadWorkerCommand`,
        // built only on the public products, as a user builds theirs.
        .executableTarget(
            name: "offload-worker",
            dependencies: [
                "OffloadWorker",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Workers",
            swiftSettings: swiftSettings
        ),
        // Benchmarks run by hand (`make bench-redis-client`, `make bench-engine`), never in tests.
        .executableTarget(
            name: "offload-bench",
            dependencies: [
                "OffloadRedis",
                "Offload",
                "OffloadWorker",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/offload-bench",
            swiftSettings: swiftSettings
        ),
        // Test support: a real redis-server per test run, spawned processes, an HTTP client,
        // a clock that moves only when told to.
        .target(
            name: "OffloadTestSupport",
            dependencies: [
                "OffloadRedis",
                "Offload",
                "OffloadWorker",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/OffloadTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OffloadRedisTests",
            dependencies: ["OffloadRedis", "OffloadTestSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OffloadTests",
            dependencies: [
                "Offload", "OffloadRedis", "OffloadTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OffloadHTTPTests",
            dependencies: [
                "OffloadHTTP", "Offload", "OffloadTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OffloadJobsTests",
            dependencies: [
                "offload-worker", "OffloadWorker", "OffloadTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The worker runtime's parts in this process, on a real Redis, with time moved by hand.
        .testTarget(
            name: "OffloadWorkerTests",
            dependencies: [
                "OffloadWorker", "Offload", "OffloadRedis", "OffloadTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OffloadEndToEndTests",
            dependencies: [
                "Offload", "OffloadRedis", "OffloadTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
