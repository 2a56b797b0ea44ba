import OffloadWorker
import ThumbnailJobs

/// How the worker runs a thumbnail: on one of its CPU threads, reporting progress every
/// tenth of the image and stopping between rows once the job is cancelled.
extension Thumbnail: CPUJob {
    public func run(_ input: Input, context: JobContext) throws -> Output {
        guard Self.widths.contains(input.width) else {
            // Bad input is not worth retrying: the job goes to dead at once.
            throw PermanentJobError("width must be between \(Self.widths.lowerBound) and \(Self.widths.upperBound)")
        }
        let step = max(1, input.width / 10)
        return try Self.render(input) { rows in
            try context.checkCancellation()
            if rows % step == 0 || rows == input.width {
                context.progress(rows * 100 / input.width, "rendered \(rows) of \(input.width) rows")
            }
        }
    }
}
