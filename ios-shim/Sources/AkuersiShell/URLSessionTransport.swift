import Foundation
import Akuersi

/// A `Transport` on URLSession, the platform's HTTP stack (system TLS, proxy
/// settings, App Transport Security), so the library carries no network code.
///
/// Each call POSTs the JSON body to `baseURL + path` and hands back status and
/// body whatever the status is: the core reads the service's error bodies
/// itself. No connection, a timeout or an oversized answer becomes
/// `AkuersiError.Network`, after which the core has changed nothing.
///
/// `post` blocks its (background) thread until the answer comes; the core
/// calls it from the thread that called into `Akuersi`, which `AkuersiClient`
/// keeps off the main thread.
public final class URLSessionTransport: Transport, @unchecked Sendable {
    private let baseURL: URL
    private let session: URLSession
    private let timeout: TimeInterval
    private let maxBodyBytes: Int

    /// - Parameters:
    ///   - baseURL: the identity service, e.g. `https://id.example.gl`.
    ///   - session: the session to use (an ephemeral one by default: no cookies, no cache).
    ///   - timeout: seconds to wait for an answer.
    ///   - maxBodyBytes: the largest answer accepted.
    public init(
        baseURL: URL,
        session: URLSession = URLSession(configuration: .ephemeral),
        timeout: TimeInterval = 30,
        maxBodyBytes: Int = 64 * 1024
    ) {
        self.baseURL = baseURL
        self.session = session
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
    }

    public func post(path: String, body: Data) throws -> TransportResponse {
        guard path.hasPrefix("/"), let url = URL(string: baseURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path) else {
            throw AkuersiError.Network(reason: "bad path")
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")

        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        let task = session.dataTask(with: request) { data, response, error in
            if let error = error {
                box.result = .failure(AkuersiError.Network(reason: error.localizedDescription))
            } else if let http = response as? HTTPURLResponse {
                box.result = .success((http.statusCode, data ?? Data()))
            } else {
                box.result = .failure(AkuersiError.Network(reason: "the answer was not HTTP"))
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            throw AkuersiError.Network(reason: "no answer within \(Int(timeout)) s")
        }
        guard let result = box.result else {
            throw AkuersiError.Network(reason: "no answer")
        }
        switch result {
        case .success(let (status, data)):
            guard data.count <= maxBodyBytes else {
                throw AkuersiError.Network(reason: "the answer is larger than \(maxBodyBytes) bytes")
            }
            guard let code = UInt16(exactly: status) else {
                throw AkuersiError.Network(reason: "bad HTTP status \(status)")
            }
            return TransportResponse(status: code, body: data)
        case .failure(let error):
            throw error
        }
    }
}

/// Carries the answer from URLSession's callback to the waiting thread.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<(Int, Data), AkuersiError>?

    var result: Result<(Int, Data), AkuersiError>? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
        set {
            lock.lock()
            value = newValue
            lock.unlock()
        }
    }
}
