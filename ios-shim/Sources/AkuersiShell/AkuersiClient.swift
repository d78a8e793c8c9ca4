import Foundation
import Akuersi

/// What the pending-requests screen shows at one moment.
public struct PendingSnapshot: Sendable {
    /// The live requests, each with its seconds left.
    public let requests: [RequestView]
    /// The last refresh's failure (e.g. no network), or nil; the requests are
    /// then the ones fetched before, still counting down.
    public let error: AkuersiError?
}

/// async/await wrapper around `Akuersi`: every call that may block (storage,
/// key store, PIN derivation, network) runs on a background queue, so it can
/// be awaited from the main actor. Errors are `AkuersiError` cases, e.g.
/// `.WrongPin(attemptsLeft:)`.
public final class AkuersiClient: @unchecked Sendable {
    /// The installation; its methods may also be called directly off the main thread.
    public let core: Akuersi
    private let queue: DispatchQueue

    public init(core: Akuersi, queue: DispatchQueue = DispatchQueue(label: "dk.akuersi.core", qos: .userInitiated, attributes: .concurrent)) {
        self.core = core
        self.queue = queue
    }

    /// Open (or create) an installation in the app's Application Support
    /// folder, with the device key in the Secure Enclave, the device secret
    /// sealed by a Keychain key, and URLSession to `serviceURL`.
    public static func open(serviceURL: URL, keyStore: KeyStore? = SecureEnclaveKeyStore(), vault: SecretVault? = KeychainVault()) async throws -> AkuersiClient {
        let queue = DispatchQueue(label: "dk.akuersi.core", qos: .userInitiated, attributes: .concurrent)
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    let folder = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
                    let path = folder.appendingPathComponent("akuersi.sqlite").path
                    let core = try Akuersi(
                        config: defaultConfig(databasePath: path, platform: "ios"),
                        transport: URLSessionTransport(baseURL: serviceURL),
                        keyStore: keyStore,
                        vault: vault
                    )
                    return AkuersiClient(core: core, queue: queue)
                })
            }
        }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// See `Akuersi.profiles()`.
    public func profiles() async throws -> [Profile] {
        return try await run { try self.core.profiles() }
    }

    /// See `Akuersi.activate(...)`. The PIN is handed to Rust, which wipes its copy.
    public func activate(userId: String, activationCode: String, newPin: String, deviceName: String) async throws -> Profile {
        return try await run {
            try self.core.activate(userId: userId, activationCode: activationCode, newPin: newPin, deviceName: deviceName)
        }
    }

    /// See `Akuersi.setLanguage(...)`.
    public func setLanguage(profileId: String, language: String) async throws {
        try await run { try self.core.setLanguage(profileId: profileId, language: language) }
    }

    /// See `Akuersi.refresh(...)`: asks the service; call it when the owner opens the app.
    public func refresh(profileId: String) async throws -> [RequestView] {
        return try await run { try self.core.refresh(profileId: profileId) }
    }

    /// See `Akuersi.pending(...)`: no network, seconds left recomputed now.
    public func pending(profileId: String) async throws -> [RequestView] {
        return try await run { try self.core.pending(profileId: profileId) }
    }

    /// See `Akuersi.confirmChannel(...)`: the code typed or QR value scanned from the initiating screen.
    public func confirmChannel(profileId: String, requestId: String, answer: String) async throws {
        try await run { try self.core.confirmChannel(profileId: profileId, requestId: requestId, answer: answer) }
    }

    /// See `Akuersi.approve(...)`.
    public func approve(profileId: String, requestId: String, pin: String) async throws -> DecisionOutcome {
        return try await run { try self.core.approve(profileId: profileId, requestId: requestId, pin: pin) }
    }

    /// See `Akuersi.reject(...)`.
    public func reject(profileId: String, requestId: String) async throws -> DecisionOutcome {
        return try await run { try self.core.reject(profileId: profileId, requestId: requestId) }
    }

    /// See `Akuersi.report(...)`.
    public func report(profileId: String, requestId: String) async throws -> DecisionOutcome {
        return try await run { try self.core.report(profileId: profileId, requestId: requestId) }
    }

    /// See `Akuersi.activity(...)`.
    public func activity(profileId: String) async throws -> [ActivityEntry] {
        return try await run { try self.core.activity(profileId: profileId) }
    }

    /// See `Akuersi.freeze(...)`.
    public func freeze(profileId: String) async throws {
        try await run { try self.core.freeze(profileId: profileId) }
    }

    /// Pending requests while the caller keeps iterating, for a live list with
    /// countdowns. Start it from SwiftUI's `.task` while `scenePhase == .active`:
    /// leaving the screen or the foreground cancels the task, and then nothing
    /// is fetched any more, so requests never pop up by themselves.
    ///
    /// It asks the service at once, then yields the list every `tickSeconds`
    /// with the seconds left recomputed (no network), and asks again every
    /// `refreshEverySeconds`. A failed refresh is reported in
    /// `PendingSnapshot.error` and the stream goes on.
    public func pendingUpdates(profileId: String, tickSeconds: Double = 1, refreshEverySeconds: Double = 15) -> AsyncStream<PendingSnapshot> {
        return AsyncStream { continuation in
            let task = Task {
                var sinceRefresh = 0.0
                var error = await self.refreshOrError(profileId: profileId)
                while !Task.isCancelled {
                    let requests = (try? await self.pending(profileId: profileId)) ?? []
                    continuation.yield(PendingSnapshot(requests: requests, error: error))
                    try? await Task.sleep(nanoseconds: UInt64(tickSeconds * 1_000_000_000))
                    sinceRefresh += tickSeconds
                    if sinceRefresh >= refreshEverySeconds {
                        sinceRefresh = 0
                        error = await self.refreshOrError(profileId: profileId)
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func refreshOrError(profileId: String) async -> AkuersiError? {
        do {
            _ = try await refresh(profileId: profileId)
            return nil
        } catch let e as AkuersiError {
            return e
        } catch {
            return AkuersiError.Internal(reason: "\(type(of: error))")
        }
    }
}
