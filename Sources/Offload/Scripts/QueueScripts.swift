import OffloadRedis

/// Every script of the engine, one folder each beside this file: what `Broker` loads again
/// when Redis has forgotten them (a restart, SCRIPT FLUSH).
package enum QueueScripts {
    package static let all: [RedisScript] = [
        EnqueueScript.script, ClaimScript.script, CompleteScript.script, FailScript.script, ExtendLeasesScript.script,
        ReapScript.script, ProgressScript.script, CancelScript.script, RetryScript.script, PurgeScript.script,
        ReleaseScript.script, ReleaseWorkerScript.script, QueueStateScript.script, PendingPageScript.script,
        RemoveQueueScript.script,
    ]
}
