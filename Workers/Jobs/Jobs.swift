import OffloadWorker

/// The job types this worker serves. Add a handler here to make it runnable.
enum Jobs {
    static func registry(includeTestJobs: Bool) -> JobRegistry {
        var registry = JobRegistry()
        registry.register(CountPrimes())
        registry.register(SHA256Chain())
        registry.register(PBKDF2())
        registry.register(Mandelbrot())
        registry.register(MatMul())
        registry.register(HTTPFetch())
        if includeTestJobs {
            registry.register(TestJobs.Noop())
            registry.register(TestJobs.StartedAt())
            registry.register(TestJobs.Sleep())
            registry.register(TestJobs.Fail())
            registry.register(TestJobs.Crash())
            registry.register(TestJobs.Hang())
        }
        return registry
    }
}
