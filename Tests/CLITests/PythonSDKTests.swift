import Foundation
import Testing

/// The Python SDK (`sdk/python`, installed into `.build/python` by scripts/setup.sh) against a
/// real node: `Tests/python/sdk_test.py` calls every SDK method and provokes every error code.
/// (The seed's example runs in `ReadmeExamplesTests`, which owns ports 8000 and 9000.)
@Suite struct PythonSDKTests {
    @Test func theSDKCallsEveryEndpointAndRaisesEveryError() async throws {
        let (status, text) = try await runPythonScript("sdk_test.py", timeout: 180)
        #expect(status == 0, "\(text)")
        #expect(text.contains("OK"), "\(text)")
    }
}
