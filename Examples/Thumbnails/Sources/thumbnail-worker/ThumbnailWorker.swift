import OffloadWorker
import ThumbnailJobs

/// `thumbnail-worker`: Offload's whole worker command line (`--processes`, `--queues`,
/// `--redis-url`, ... see `--help`) serving the one job type of this app.
@main
struct ThumbnailWorker {
    static func main() async {
        await OffloadWorkerCommand.main(jobs: [Thumbnail()])
    }
}
