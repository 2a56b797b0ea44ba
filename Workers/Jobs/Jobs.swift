import OffloadWorker

/// The job types the stock worker serves. Add a handler here to make it runnable.
enum Jobs {
    static let all: [any RunnableJob] = [CountPrimes(), SHA256Chain(), PBKDF2(), Mandelbrot(), MatMul(), HTTPFetch()]
}
