import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts programs with `posix_spawn` — a new process image, never a `fork()` of this
/// threaded process — with chosen file descriptors, the default signal state and an
/// explicit environment. The one way Offload (and its tests) start processes.
package enum ProcessSpawner {
    /// What a file descriptor of the new process is.
    package enum FileDescriptor: Sendable {
        case devNull
        /// Appended to; created if missing.
        case appendToFile(String)
        /// A copy of a descriptor of this process.
        case duplicate(Int32)
    }

    package struct SpawnError: Error, CustomStringConvertible {
        package let description: String
    }

    /// `argv[0]` must be an absolute path. Descriptors not named stay as inherited.
    package static func spawn(
        _ argv: [String], environment: [String: String], fileDescriptors: [Int32: FileDescriptor] = [:]
    ) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in fileDescriptors.sorted(by: { $0.key < $1.key }) {
            switch source {
            case .devNull: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0)
            case .appendToFile(let path): posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .duplicate(let fd): posix_spawn_file_actions_adddup2(&actions, fd, target)
            }
        }

        // The spawning thread may block or ignore signals (signal handling in this process
        // does); the new process starts with an empty mask and default handlers, so it
        // really receives SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var catchable = sigset_t()
        sigfillset(&catchable)
        sigdelset(&catchable, SIGKILL)
        sigdelset(&catchable, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &catchable)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArgs { free(pointer) }
            for pointer in cEnv { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, &cEnv)
        guard status == 0 else { throw SpawnError(description: "cannot spawn \(argv[0]): \(String(cString: strerror(status)))") }
        return pid
    }
}
