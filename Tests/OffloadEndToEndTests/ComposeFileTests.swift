import Foundation
import OffloadTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// docker-compose.yml and the Dockerfile against the binaries they run: every command
/// names a built executable, every `--flag` is one that executable's `--help` lists (with
/// a value where it takes one), Redis has AOF and a healthcheck, and the worker service
/// can be scaled; the `cluster` profile joins six such nodes as 3 primaries with a
/// replica each, and runs the API and a worker on them through redis+cluster://. No Docker engine is needed; `docker-compose config -q` runs when
/// Debian's docker-compose is installed.
@Suite(.timeLimit(.minutes(2))) struct ComposeFileTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var composePath: String { repositoryRoot.appendingPathComponent("docker-compose.yml").path }
    static var dockerfilePath: String { repositoryRoot.appendingPathComponent("Dockerfile").path }
    static let dockerCompose: String? = try? Executable.find("docker-compose")

    @Test func composeFileMatchesTheBuiltBinaries() async throws {
        let text = try String(contentsOfFile: Self.composePath, encoding: .utf8)
        let problems = try await ComposeChecker().problems(inComposeYAML: text)
        #expect(problems.isEmpty, "docker-compose.yml drifted:\n\(problems.joined(separator: "\n"))")
    }

    /// The checker itself: each edit below is a drift it must report.
    struct Drift: Sendable, CustomTestStringConvertible {
        let name: String
        let original: String
        let replacement: String
        let expectedProblem: String
        var testDescription: String { name }
    }

    static let drifts: [Drift] = [
        Drift(name: "renamed worker flag", original: "      - --processes\n", replacement: "      - --procs\n", expectedProblem: "--procs"),
        Drift(name: "renamed api flag", original: #""--host", "0.0.0.0""#, replacement: #""--hostname", "0.0.0.0""#, expectedProblem: "--hostname"),
        Drift(name: "option without its value", original: "      - --nice\n      - \"10\"\n", replacement: "      - --nice\n", expectedProblem: "--nice"),
        Drift(name: "unknown executable", original: "      - offload-worker\n", replacement: "      - offload-workers\n", expectedProblem: "offload-workers"),
        Drift(name: "worker container_name", original: "  worker:\n", replacement: "  worker:\n    container_name: offload-worker\n", expectedProblem: "container_name"),
        Drift(name: "worker host port", original: "  worker:\n", replacement: "  worker:\n    ports:\n      - \"9000:9000\"\n", expectedProblem: "host port"),
        Drift(name: "AOF off", original: #""--appendonly", "yes""#, replacement: #""--appendonly", "no""#, expectedProblem: "--appendonly yes"),
        Drift(name: "healthcheck disabled", original: #"test: ["CMD", "redis-cli", "ping"]"#, replacement: #"test: ["NONE"]"#, expectedProblem: "healthcheck"),
        Drift(name: "REDIS_URL elsewhere", original: "REDIS_URL: redis://redis:6379", replacement: "REDIS_URL: redis://127.0.0.1:6379", expectedProblem: "REDIS_URL"),
        Drift(name: "no wait for healthy redis", original: "condition: service_healthy", replacement: "condition: service_started", expectedProblem: "service_healthy"),
        Drift(name: "stop grace shorter than --grace-seconds", original: "stop_grace_period: 40s", replacement: "stop_grace_period: 35s", expectedProblem: "stop_grace_period"),
        Drift(name: "api port not published", original: "\"8080:8080\"", replacement: "\"8080:8081\"", expectedProblem: "--port"),
        // The cluster profile.
        Drift(
            name: "cluster nodes outside the profile", original: "  image: redis:7\n  profiles: [cluster]\n", replacement: "  image: redis:7\n",
            expectedProblem: "exactly one service on a redis image"),
        Drift(
            name: "cluster api outside the profile", original: "    profiles: [cluster]\n    command: [\"offload-api\"",
            replacement: "    command: [\"offload-api\"", expectedProblem: "cluster-api: REDIS_URL must point at the redis service"),
        Drift(name: "cluster without replicas", original: "--cluster-replicas 1", replacement: "--cluster-replicas 0", expectedProblem: "--cluster-replicas 1"),
        Drift(
            name: "a node left out of the cluster", original: "redis-node-5 redis-node-6; do", replacement: "redis-node-5; do",
            expectedProblem: "does not join redis-node-6"),
        Drift(
            name: "cluster URL on one node", original: "REDIS_URL: &cluster-url redis+cluster://", replacement: "REDIS_URL: &cluster-url redis://",
            expectedProblem: "redis+cluster://"),
        Drift(
            name: "cluster api not waiting for the cluster", original: "condition: service_completed_successfully",
            replacement: "condition: service_started", expectedProblem: "service_completed_successfully"),
        Drift(
            name: "cluster node without AOF", original: #""redis-node-2", "--cluster-preferred-endpoint-type", "hostname", "--appendonly", "yes""#,
            replacement: #""redis-node-2", "--cluster-preferred-endpoint-type", "hostname", "--appendonly", "no""#,
            expectedProblem: "redis-node-2: AOF is off"),
        Drift(
            name: "cluster nodes sharing a volume", original: "      - redis-node-4:/data\n", replacement: "      - redis-node-3:/data\n",
            expectedProblem: "share a data volume"),
        Drift(name: "one-shot that restarts", original: "    restart: \"no\"\n", replacement: "    restart: unless-stopped\n", expectedProblem: "must not restart"),
        Drift(name: "both APIs on one host port", original: "\"8081:8080\"", replacement: "\"8080:8080\"", expectedProblem: "host port 8080"),
    ]

    @Test(arguments: ComposeFileTests.drifts) func driftIsReported(_ drift: Drift) async throws {
        let text = try String(contentsOfFile: Self.composePath, encoding: .utf8)
        try #require(text.contains(drift.original), "docker-compose.yml no longer contains \(drift.original.debugDescription); update this drift case")
        let drifted = text.replacingOccurrences(of: drift.original, with: drift.replacement)
        let problems = try await ComposeChecker().problems(inComposeYAML: drifted)
        #expect(
            problems.contains { $0.contains(drift.expectedProblem) },
            "no problem mentioning \(drift.expectedProblem.debugDescription) in: \(problems)")
    }

    @Test func dockerfileBuildsAndRunsTheRealBinaries() async throws {
        let text = try String(contentsOfFile: Self.dockerfilePath, encoding: .utf8)
        let checker = ComposeChecker()
        for product in ComposeChecker.products {
            #expect(text.contains(product), "the Dockerfile does not mention \(product)")
        }
        #expect(text.contains("--static-swift-stdlib"))
        #expect(text.contains("FROM debian:bookworm-slim"))
        #expect(text.contains("libhiredis0.14"))
        #expect(text.range(of: #"(?m)^USER\s+(?!root\b|0\b)\S+"#, options: .regularExpression) != nil, "no non-root USER")
        // The default CMD is an exec-form JSON array run through the same flag check.
        let cmdLine = try #require(text.split(separator: "\n").last { $0.hasPrefix("CMD ") })
        let command = try #require(
            try JSONSerialization.jsonObject(with: Data(cmdLine.dropFirst(4).utf8)) as? [String], "CMD is not exec form")
        var problems: [String] = []
        await checker.checkCommand(service: "Dockerfile CMD", command, problems: &problems)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test(.enabled(if: ComposeFileTests.dockerCompose != nil, "docker-compose is not installed"))
    func dockerComposeAcceptsTheFile() async throws {
        for profile in [[], ["--profile", "cluster"]] {
            let result = try await ComposeChecker.run(
                try #require(Self.dockerCompose), ["-f", Self.composePath] + profile + ["config", "-q"],
                environment: ["OFFLOAD_API_TOKEN": ""])
            #expect(result.status == 0, "docker-compose \(profile) config -q failed:\n\(result.output)")
        }
    }

    /// `docker compose up` without a profile starts what it always started.
    @Test func withoutTheProfileComposeStartsRedisTheAPIAndOneWorker() async throws {
        let document = try await ComposeChecker.parseYAML(try String(contentsOfFile: Self.composePath, encoding: .utf8))
        let services = try #require(document["services"] as? [String: [String: Any]])
        let plain = services.filter { ComposeChecker.strings($0.value["profiles"]).isEmpty }.keys.sorted()
        #expect(plain == ["api", "redis", "worker"])
    }
}

/// Reads a compose file through Python's yaml module and checks it against the binaries
/// in `OffloadBinaries.directory`.
final class ComposeChecker {
    static let products = ["offload-api", "offload-worker", "offload"]

    struct Help {
        /// Long option name (without dashes) → whether it takes a value.
        var options: [String: Bool] = [:]
        var acceptsPositionals = false
    }

    private var helpCache: [String: Help] = [:]

    // MARK: The checks

    func problems(inComposeYAML yaml: String) async throws -> [String] {
        let document = try await Self.parseYAML(yaml)
        guard let services = document["services"] as? [String: Any], !services.isEmpty else {
            return ["no services"]
        }
        let namedVolumes = Set((document["volumes"] as? [String: Any])?.keys.map { $0 } ?? [])
        var problems: [String] = []
        // `docker compose up` starts the services without a profile; `--profile cluster` adds its own.
        var plain: [String: [String: Any]] = [:]
        var cluster: [String: [String: Any]] = [:]
        for (name, value) in services {
            guard let service = value as? [String: Any] else {
                problems.append("\(name): not a mapping")
                continue
            }
            let profiles = Self.strings(service["profiles"])
            if profiles.isEmpty {
                plain[name] = service
            } else if profiles == ["cluster"] {
                cluster[name] = service
            } else {
                problems.append("\(name): profiles \(profiles); the file has one profile, cluster")
            }
        }
        await checkPlainStack(plain, namedVolumes: namedVolumes, problems: &problems)
        await checkClusterProfile(cluster, namedVolumes: namedVolumes, problems: &problems)
        // Both stacks can run at once (`docker compose --profile cluster up`).
        var publishers: [String: [String]] = [:]
        for (name, value) in services.sorted(by: { $0.key < $1.key }) {
            for port in Self.ports((value as? [String: Any])?["ports"]) { if let host = port.published { publishers[host, default: []].append(name) } }
        }
        for (port, names) in publishers.sorted(by: { $0.key < $1.key }) where names.count > 1 {
            problems.append("host port \(port) is published by \(names.joined(separator: " and "))")
        }
        return problems
    }

    /// Without a profile: one Redis, and an API and a worker on it.
    private func checkPlainStack(_ services: [String: [String: Any]], namedVolumes: Set<String>, problems: inout [String]) async {
        let redisNames = services.keys.filter { Self.isRedisImage(services[$0]!) }.sorted()
        guard redisNames.count == 1, let redisName = redisNames.first, let redis = services[redisName] else {
            problems.append("expected exactly one service on a redis image without a profile, found \(redisNames)")
            return
        }
        checkRedisServer(redisName, redis, namedVolumes: namedVolumes, problems: &problems)
        var executables: Set<String> = []
        for (name, service) in services.sorted(by: { $0.key < $1.key }) where name != redisName {
            guard let executable = await checkOffloadService(name, service, problems: &problems) else { continue }
            executables.insert(executable)
            let redisURL = (Self.environment(service)["REDIS_URL"] as? String).flatMap(URLComponents.init(string:))
            let pointsAtRedis =
                ["redis", "rediss"].contains(redisURL?.scheme ?? "") && redisURL?.host == redisName && (redisURL?.port ?? 6379) == 6379
            if !pointsAtRedis {
                problems.append("\(name): REDIS_URL must point at the \(redisName) service, e.g. redis://\(redisName):6379 (got \(Self.environment(service)["REDIS_URL"] ?? "nothing"))")
            }
            Self.requireDependency(of: name, service, on: redisName, condition: "service_healthy", problems: &problems)
        }
        if !executables.contains("offload-api") { problems.append("no service runs offload-api") }
        if !executables.contains("offload-worker") { problems.append("no service runs offload-worker") }
    }

    /// `--profile cluster`: six cluster nodes, one service that joins them as 3 primaries
    /// with a replica each, and an API and a worker reaching them through redis+cluster://.
    private func checkClusterProfile(_ services: [String: [String: Any]], namedVolumes: Set<String>, problems: inout [String]) async {
        let redisImages = services.keys.filter { Self.isRedisImage(services[$0]!) }
        let nodes = redisImages.filter { Self.value(after: "--cluster-enabled", in: Self.strings(services[$0]!["command"])) == "yes" }.sorted()
        let creators = redisImages.filter { Self.strings(services[$0]!["command"]).joined(separator: " ").contains("--cluster create") }.sorted()
        if nodes.count != 6 { problems.append("cluster: expected 6 nodes (redis-server --cluster-enabled yes), found \(nodes)") }
        for node in nodes {
            checkRedisServer(node, services[node]!, namedVolumes: namedVolumes, problems: &problems)
        }
        let volumes = nodes.compactMap { Self.dataVolume(services[$0]!) }
        if Set(volumes).count != volumes.count { problems.append("cluster: nodes share a data volume (\(volumes))") }

        guard creators.count == 1, let creatorName = creators.first, let creator = services[creatorName] else {
            problems.append("cluster: expected one service running redis-cli --cluster create, found \(creators)")
            return
        }
        let script = Self.strings(creator["command"]).joined(separator: " ")
        for required in ["--cluster-replicas 1", "--cluster-yes"] where !script.contains(required) {
            problems.append("\(creatorName): redis-cli --cluster create needs \(required)")
        }
        for node in nodes {
            if script.range(of: #"\b\#(node)\b"#, options: .regularExpression) == nil {
                problems.append("\(creatorName): does not join \(node)")
            }
            Self.requireDependency(of: creatorName, creator, on: node, condition: "service_healthy", problems: &problems)
        }
        if ["always", "unless-stopped", "on-failure"].contains(creator["restart"] as? String ?? "no") {
            problems.append("\(creatorName): a one-shot service must not restart (restart: \"no\")")
        }

        var executables: Set<String> = []
        for (name, service) in services.sorted(by: { $0.key < $1.key }) where !redisImages.contains(name) {
            guard let executable = await checkOffloadService(name, service, problems: &problems) else { continue }
            executables.insert(executable)
            let url = Self.environment(service)["REDIS_URL"] as? String ?? ""
            let seeds = Self.clusterSeeds(url)
            if seeds == nil || seeds!.contains(where: { !nodes.contains($0.host) || $0.port != 6379 }) || seeds!.isEmpty {
                problems.append("\(name): REDIS_URL must be redis+cluster:// naming the cluster nodes, e.g. redis+cluster://\(nodes.map { "\($0):6379" }.joined(separator: ",")) (got \(url))")
            }
            Self.requireDependency(of: name, service, on: creatorName, condition: "service_completed_successfully", problems: &problems)
        }
        if !executables.contains("offload-api") { problems.append("cluster: no service runs offload-api") }
        if !executables.contains("offload-worker") { problems.append("cluster: no service runs offload-worker") }
    }

    /// AOF with a bounded fsync, a ping healthcheck, and its data on a named volume.
    private func checkRedisServer(_ name: String, _ redis: [String: Any], namedVolumes: Set<String>, problems: inout [String]) {
        let redisCommand = Self.strings(redis["command"])
        if Self.value(after: "--appendonly", in: redisCommand) != "yes" {
            problems.append("\(name): AOF is off; its command needs --appendonly yes (got \(redisCommand))")
        }
        if !["everysec", "always"].contains(Self.value(after: "--appendfsync", in: redisCommand) ?? "") {
            problems.append("\(name): --appendfsync everysec (or always) is missing")
        }
        let healthTest = Self.strings((redis["healthcheck"] as? [String: Any])?["test"])
        let healthText = healthTest.joined(separator: " ")
        if healthTest.first == "NONE" || !healthText.contains("redis-cli") || !healthText.contains("ping")
            || (redis["healthcheck"] as? [String: Any])?["disable"] as? Bool == true
        {
            problems.append("\(name): no healthcheck running redis-cli ping (got \(healthTest))")
        }
        if !namedVolumes.contains(Self.dataVolume(redis) ?? "") {
            problems.append("\(name): /data is not on a named volume (got \(Self.strings(redis["volumes"])))")
        }
    }

    /// The command's flags, and what the API and the worker need in a container. Returns
    /// the executable, or nil when the service names none.
    private func checkOffloadService(_ name: String, _ service: [String: Any], problems: inout [String]) async -> String? {
        let command = Self.strings(service["command"])
        guard let executable = command.first else {
            problems.append("\(name): no command; the image's default CMD is not checked here, so name the executable")
            return nil
        }
        await checkCommand(service: name, command, problems: &problems)
        switch executable {
        case "offload-api":
            if Self.value(after: "--host", in: command) != "0.0.0.0" {
                problems.append("\(name): offload-api must listen on --host 0.0.0.0 to be reachable from outside its container")
            }
            let port = Self.value(after: "--port", in: command) ?? "8080"
            let targets = Self.ports(service["ports"]).map(\.target)
            if !targets.contains(port) {
                problems.append("\(name): --port \(port) is not published in ports (container ports: \(targets))")
            }
        case "offload-worker":
            if service["container_name"] != nil {
                problems.append("\(name): container_name stops `docker compose up --scale \(name)=N`")
            }
            if Self.ports(service["ports"]).contains(where: { $0.published != nil }) {
                problems.append("\(name): a fixed host port stops `docker compose up --scale \(name)=N`")
            }
            let grace = Double(Self.value(after: "--grace-seconds", in: command) ?? "30") ?? 30
            let stop = (service["stop_grace_period"] as? String).flatMap(Self.seconds) ?? 10  // Docker's default
            // The supervisor SIGKILLs children 5 s after --grace-seconds; Docker must wait longer.
            if stop <= grace + 5 {
                problems.append(
                    "\(name): stop_grace_period (\(stop)s) must exceed --grace-seconds + 5 (\(grace + 5)s), or Docker kills the supervisor while jobs drain")
            }
        default:
            break
        }
        return executable
    }

    /// The executable is one of the built products and every option is in its --help.
    func checkCommand(service: String, _ command: [String], problems: inout [String]) async {
        guard let executable = command.first else { return }
        guard Self.products.contains(executable) else {
            problems.append("\(service): \(executable) is not one of the built executables \(Self.products)")
            return
        }
        let path = OffloadBinaries.path(executable)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            problems.append("\(service): \(path) is not built")
            return
        }
        let help: Help
        do {
            help = try await self.help(path)
        } catch {
            problems.append("\(service): \(executable) --help failed: \(error)")
            return
        }
        var index = 1
        while index < command.count {
            let token = command[index]
            index += 1
            guard token.hasPrefix("--") else {
                if !help.acceptsPositionals {
                    problems.append("\(service): \(executable) takes no argument \(token.debugDescription) (a stray value?)")
                }
                continue
            }
            let parts = token.dropFirst(2).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard let takesValue = help.options[name] else {
                problems.append("\(service): \(executable) has no option --\(name) (see \(executable) --help)")
                if parts.count == 1, index < command.count, !command[index].hasPrefix("--") { index += 1 }  // its value
                continue
            }
            if takesValue, parts.count == 1 {
                if index < command.count, !command[index].hasPrefix("--") {
                    index += 1
                } else {
                    problems.append("\(service): --\(name) takes a value and has none")
                }
            } else if !takesValue, parts.count == 2 {
                problems.append("\(service): --\(name) is a flag and takes no value")
            }
        }
    }

    /// Options from the binary's own `--help`: `  --name <value>` lines and `-h, --help`.
    func help(_ path: String) async throws -> Help {
        if let cached = helpCache[path] { return cached }
        let result = try await Self.run(path, ["--help"])
        guard result.status == 0 else { throw TestSupportError("exit \(result.status): \(result.output)") }
        var help = Help()
        let pattern = try NSRegularExpression(pattern: #"^\s+(?:-\w, )?--([a-z0-9][a-z0-9-]*)(?: <[^>]+>)?"#)
        for line in result.output.split(separator: "\n").map(String.init) {
            let range = NSRange(line.startIndex..., in: line)
            guard let match = pattern.firstMatch(in: line, range: range), let nameRange = Range(match.range(at: 1), in: line) else {
                continue
            }
            let matched = String(line[Range(match.range, in: line)!])
            help.options[String(line[nameRange])] = matched.hasSuffix(">")
        }
        help.acceptsPositionals = result.output.contains("\nARGUMENTS:") || result.output.contains("\nSUBCOMMANDS:")
        guard help.options["help"] != nil, help.options.count > 1 else {
            throw TestSupportError("cannot read options from \(path) --help:\n\(result.output)")
        }
        helpCache[path] = help
        return help
    }

    // MARK: YAML through Python

    static let parserScript = """
        import json, shlex, sys, yaml
        with open(sys.argv[1]) as f:
            doc = yaml.safe_load(f)
        for service in ((doc or {}).get("services") or {}).values():
            if not isinstance(service, dict):
                continue
            if isinstance(service.get("command"), str):
                service["command"] = shlex.split(service["command"])
            env = service.get("environment")
            if isinstance(env, list):
                service["environment"] = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
            deps = service.get("depends_on")
            if isinstance(deps, list):
                service["depends_on"] = {d: {"condition": "service_started"} for d in deps}
        with open(sys.argv[2], "w") as f:
            json.dump(doc, f, default=str)
        """

    /// Debian's python3 (with python3-yaml) first, then whatever python3 is on PATH.
    static func parseYAML(_ yaml: String) async throws -> [String: Any] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("offload-compose-\(UUID().uuidString).yml")
        let parsed = file.appendingPathExtension("json")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: parsed)
        }
        var candidates = ["/usr/bin/python3"]
        if let onPath = try? Executable.find("python3"), onPath != candidates[0] { candidates.append(onPath) }
        var failures: [String] = []
        for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
            let result = try await run(python, ["-c", parserScript, file.path, parsed.path])
            if result.status == 0 {
                guard let object = try JSONSerialization.jsonObject(with: try Data(contentsOf: parsed)) as? [String: Any] else {
                    throw TestSupportError("the compose file is not a mapping")
                }
                return object
            }
            failures.append("\(python): \(result.output)")
        }
        throw TestSupportError("cannot parse YAML (needs python3 with yaml: apt-get install python3-yaml):\n\(failures.joined(separator: "\n"))")
    }

    // MARK: Helpers

    /// Runs a short-lived program to completion without holding a thread while it runs (a
    /// test that blocks one starves every other test of the process on a small machine):
    /// its exit status and its output, stdout and stderr together.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws
        -> (status: Int32, output: String)
    {
        let process = try ChildProcess(executable, arguments, environment: environment)
        defer { try? FileManager.default.removeItem(atPath: process.logPath) }
        guard await process.waitForExit(timeout: .seconds(60)) else {
            process.signal(SIGKILL)
            throw TestSupportError("\(executable) \(arguments) did not finish in 60 s:\n\(process.output)")
        }
        return (process.exitCode ?? -1, process.output)
    }

    static func isRedisImage(_ service: [String: Any]) -> Bool {
        (service["image"] as? String).map { $0.hasPrefix("redis:") || $0 == "redis" } ?? false
    }

    static func environment(_ service: [String: Any]) -> [String: Any] { service["environment"] as? [String: Any] ?? [:] }

    /// The named volume (or path) mounted at /data.
    static func dataVolume(_ service: [String: Any]) -> String? {
        strings(service["volumes"]).lazy.map { $0.split(separator: ":").map(String.init) }.first { $0.count >= 2 && $0[1] == "/data" }?.first
    }

    static func requireDependency(of name: String, _ service: [String: Any], on dependency: String, condition: String, problems: inout [String]) {
        let dependsOn = service["depends_on"] as? [String: Any]
        if (dependsOn?[dependency] as? [String: Any])?["condition"] as? String != condition {
            problems.append("\(name): depends_on \(dependency) needs condition: \(condition)")
        }
    }

    /// The host:port seeds of a `redis+cluster://` or `rediss+cluster://` URL, nil for any other.
    static func clusterSeeds(_ url: String) -> [(host: String, port: Int)]? {
        guard let schemeEnd = url.range(of: "://"), ["redis+cluster", "rediss+cluster"].contains(url[..<schemeEnd.lowerBound]) else { return nil }
        return url[schemeEnd.upperBound...].split(separator: "/").first.map { authority in
            authority.split(separator: ",").map { seed in
                let parts = seed.split(separator: ":")
                return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? -1 : 6379)
            }
        } ?? []
    }

    /// A YAML list of strings, a single string, or nothing.
    static func strings(_ value: Any?) -> [String] {
        if let list = value as? [Any] { return list.map { "\($0)" } }
        if let string = value as? String { return [string] }
        return []
    }

    /// The value of `--name value` or `--name=value` in a command.
    static func value(after option: String, in command: [String]) -> String? {
        for (index, token) in command.enumerated() {
            if token == option { return index + 1 < command.count ? command[index + 1] : nil }
            if token.hasPrefix(option + "=") { return String(token.dropFirst(option.count + 1)) }
        }
        return nil
    }

    /// Compose `ports` entries, short ("8080:8080", "127.0.0.1:80:8080/tcp", "8080") or long form.
    static func ports(_ value: Any?) -> [(published: String?, target: String)] {
        (value as? [Any] ?? []).compactMap { entry in
            if let entry = entry as? [String: Any] {
                guard let target = entry["target"] else { return nil }
                return (entry["published"].map { "\($0)" }, "\(target)")
            }
            let spec = "\(entry)".split(separator: "/").first.map(String.init) ?? ""
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard let target = parts.last else { return nil }
            return (parts.count > 1 ? parts[parts.count - 2] : nil, target)
        }
    }

    /// A compose duration ("40s", "1m30s", "1h", "500ms") in seconds.
    static func seconds(_ duration: String) -> Double? {
        let units: [String: Double] = ["h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000_001]
        let regex = try! NSRegularExpression(pattern: #"(\d+(?:\.\d+)?)(ms|us|h|m|s)"#)
        let range = NSRange(duration.startIndex..., in: duration)
        let matches = regex.matches(in: duration, range: range)
        guard !matches.isEmpty, matches.map(\.range.length).reduce(0, +) == range.length else { return nil }
        return matches.reduce(0) { total, match in
            let number = Double(duration[Range(match.range(at: 1), in: duration)!]) ?? 0
            return total + number * units[String(duration[Range(match.range(at: 2), in: duration)!])]!
        }
    }
}
