import Logging
import Testing

@testable import Offload

@Suite struct LoggingTests {
    @Test func logLevelIsReadInAnyCaseAndUnknownNamesFallBackToInfo() {
        #expect(OffloadLogging.logLevel("WARNING") == .warning)
        #expect(OffloadLogging.logLevel("warn") == .warning)
        #expect(OffloadLogging.logLevel("Debug") == .debug)
        #expect(OffloadLogging.logLevel("bogus") == .info)
        #expect(OffloadLogging.logLevel(nil) == .info)
    }
}
