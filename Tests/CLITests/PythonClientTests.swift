import Foundation
import Testing

/// A client that is not ours: `Tests/python/client_test.py` (grpcio stubs generated from the
/// proto at run time, `requests` for HTTP, `cryptography` to sign its peer calls) against a
/// real node.
@Suite struct PythonClientTests {
    @Test func aPythonClientCallsEveryMethodAndEndpoint() async throws {
        let (status, text) = try await runPythonScript("client_test.py", timeout: 180)
        #expect(status == 0, "\(text)")
        #expect(text.contains("OK"), "\(text)")
    }
}
