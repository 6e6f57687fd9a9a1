import LibCurl
import Testing

/// libcurl is opened with dlopen on first use (issue 14), so a missing or wrong
/// library shows up as a clear reason at the first request, not as a crash.
@Suite struct CurlLibraryTests {
    @Test func debiansLibcurlServes() {
        #expect(CurlLibrary.problem() == nil)
    }

    @Test func aMissingLibraryIsNamed() throws {
        let problem = try #require(CurlLibrary.problem(loading: "libcurl-absent.so.4"))
        #expect(problem.hasPrefix("cannot load libcurl-absent.so.4: "), "\(problem)")
    }

    @Test func aLibraryWithoutCurlsFunctionsIsRefused() throws {
        // libc opens fine but has no curl_global_init.
        let problem = try #require(CurlLibrary.problem(loading: "libc.so.6"))
        #expect(problem == "libc.so.6 has no curl_global_init")
    }

    @Test func aFailedProbeLeavesTheLoadedLibraryInPlace() async throws {
        _ = CurlLibrary.problem(loading: "libcurl-absent.so.4")
        let client = CurlHTTPClient(userAgent: "btcrate-test/1")
        // Nothing listens on port 1: the error is libcurl's own, so libcurl ran.
        let request = HTTPRequest(url: "http://127.0.0.1:1/", connectTimeout: 2, totalTimeout: 2, maxBodyBytes: 1024)
        await #expect(throws: HTTPClientError.self) { try await client.send(request) }
        do {
            _ = try await client.send(request)
        } catch let error as HTTPClientError {
            #expect(!"\(error)".contains("libcurl is not usable"), "\(error)")
        }
    }
}
