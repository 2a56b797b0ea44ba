import ArgumentParser
import Foundation
import Hummingbird
import Offload
import OffloadHTTP

/// `thumbnail-app`: a Hummingbird app that hands its heavy work to Offload. Its own routes
/// submit and read typed `Thumbnail` jobs; Offload's dashboard and HTTP API are mounted
/// under `/offload` of the same server.
@main
struct ThumbnailApp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnail-app",
        abstract: "Serve POST /thumbnails and GET /thumbnails/{id}, with Offload's dashboard at /offload."
    )

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on.")
    var port = 8081

    @Option(name: .long, help: "Redis URL (default: $REDIS_URL or redis://127.0.0.1:6379).")
    var redisURL = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"

    func run() async throws {
        let offload: OffloadClient
        do {
            offload = try OffloadClient(redisURL: redisURL)
        } catch {
            throw ValidationError(error.message)
        }
        let router = Router(options: .autoGenerateHeadEndpoints)
        ThumbnailRoutes(offload: offload).register(on: router)
        router.addOffloadRoutes(offload, atPath: "/offload")
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "thumbnail-app"),
            // The client closes its Redis connections when the app shuts down.
            services: [offload]
        )
        try await app.runService()
    }
}
