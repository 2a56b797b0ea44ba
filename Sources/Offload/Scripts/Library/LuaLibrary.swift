import OffloadRedis

/// The Lua functions several scripts share, one `.lua` file per concern in this folder.
/// A script's source is the pieces it calls, with the pieces those call, in the order of
/// the cases below (each function defined before its first use), then the script's own Lua.
enum LuaLibrary: CaseIterable {
    /// `pending.lua`: the per-priority pending lists (push, pop, remove, depth, promote).
    case pending
    /// `integer-texts.lua`: scores shared by a batch, printed once as integers.
    case integerTexts
    /// `events.lua`: entries of the queue's events stream.
    case events
    /// `run-stats.lua`: this minute's throughput and the run totals per job type.
    case runStats
    /// `retention.lua`: result TTLs, sweeps of finished jobs, the dead set's bounds.
    case retention
    /// `wake.lua`: wake-up tokens for blocked workers.
    case wake
    /// `unique.lua`: freeing a job's uniqueness key.
    case unique
    /// `give-back.lua`: an active job back to pending without counting its run.
    case giveBack

    var source: String {
        switch self {
        case .pending: EmbeddedFiles.pendingLua
        case .integerTexts: EmbeddedFiles.integerTextsLua
        case .events: EmbeddedFiles.eventsLua
        case .runStats: EmbeddedFiles.runStatsLua
        case .retention: EmbeddedFiles.retentionLua
        case .wake: EmbeddedFiles.wakeLua
        case .unique: EmbeddedFiles.uniqueLua
        case .giveBack: EmbeddedFiles.giveBackLua
        }
    }

    /// The pieces whose functions this one calls.
    var uses: [LuaLibrary] {
        switch self {
        case .giveBack: [.pending, .events, .retention, .wake, .unique]
        case .pending, .integerTexts, .events, .runStats, .retention, .wake, .unique: []
        }
    }

    /// The script `name`: the pieces `body` calls (`using`), what they need, then `body`.
    static func script(_ name: String, using pieces: [LuaLibrary], _ body: String) -> RedisScript {
        var included = Set<LuaLibrary>()
        var toVisit = pieces
        while let piece = toVisit.popLast() {
            if included.insert(piece).inserted { toVisit += piece.uses }
        }
        let parts = allCases.filter(included.contains).map(\.source) + [body]
        return RedisScript(name: name, source: parts.joined(separator: "\n"))
    }
}
