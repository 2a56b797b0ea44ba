import OffloadWorker

/// `offload-worker`: Offload's stock worker, built as any user builds theirs. Its job
/// types are the examples in `Jobs/`.
@main
struct StockWorker {
    static func main() async {
        await OffloadWorkerCommand.main(jobs: Jobs.all)
    }
}
