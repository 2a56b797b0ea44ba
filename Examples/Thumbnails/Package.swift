// swift-tools-version:6.1
import PackageDescription

/// A small app built on Offload's library products, as a user's project would be: one module
/// with the job definition, shared by the web app that submits thumbnails and the worker
/// that renders them.
let package = Package(
    name: "thumbnails",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "offload", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // All already in Offload's own graph, so they cost no extra download or build.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The job definition, imported by everything that submits or runs it.
        .target(
            name: "ThumbnailJobs",
            dependencies: [.product(name: "Offload", package: "offload")]
        ),
        // The worker: how a thumbnail job runs, and Offload's worker command line.
        .executableTarget(
            name: "thumbnail-worker",
            dependencies: [
                "ThumbnailJobs",
                .product(name: "OffloadWorker", package: "offload"),
            ]
        ),
        // The web app: its own routes submit and read typed jobs; Offload's API and
        // dashboard are mounted under /offload.
        .executableTarget(
            name: "thumbnail-app",
            dependencies: [
                "ThumbnailJobs",
                .product(name: "Offload", package: "offload"),
                .product(name: "OffloadHTTP", package: "offload"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The end-to-end check run by `make test` against a live app, API and worker.
        .executableTarget(
            name: "thumbnail-check",
            dependencies: [
                "ThumbnailJobs",
                .product(name: "Offload", package: "offload"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
