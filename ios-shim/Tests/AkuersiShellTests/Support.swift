import CryptoKit
import Foundation
import XCTest
@testable import Akuersi
@testable import AkuersiShell

let pin = "482916"
let wrongPin = "730518"
let user = "Aviaja.K-1970"

/// The shared fixture: a fresh in-process `TestService` for each test.
class ServiceTestCase: XCTestCase {
    var service: TestService!

    override func setUpWithError() throws {
        try super.setUpWithError()
        service = try TestService()
    }
}

/// An installation on `service`'s clock, with cheap PIN derivation.
func openClient(_ service: TestService, transport: Transport? = nil, keyStore: KeyStore? = nil) throws -> AkuersiClient {
    var config = defaultConfig(databasePath: ":memory:", platform: "ios")
    config = InstallationConfig(
        databasePath: config.databasePath,
        platform: config.platform,
        kdfIterations: 1_000,
        defaultLanguage: config.defaultLanguage
    )
    let app = try service.openApp(config: config, transport: transport ?? service.transport(), keyStore: keyStore, vault: nil)
    return AkuersiClient(core: app)
}

/// Create `user` if needed, issue a code and activate `client` with `pin`.
func activate(_ service: TestService, _ client: AkuersiClient, device: String = "iPhone") async throws -> Profile {
    _ = try? service.createIdentity(userId: user)
    let code = try service.issueActivationCode(userId: user)
    return try await client.activate(userId: user, activationCode: code, newPin: pin, deviceName: device)
}

/// Awaits `body` and returns the `AkuersiError` it throws; fails the test otherwise.
func expectError<T>(_ body: () async throws -> T, file: StaticString = #filePath, line: UInt = #line) async -> AkuersiError? {
    do {
        _ = try await body()
        XCTFail("expected an AkuersiError", file: file, line: line)
        return nil
    } catch let e as AkuersiError {
        return e
    } catch {
        XCTFail("expected an AkuersiError, got \(error)", file: file, line: line)
        return nil
    }
}

/// A KeyStore written in Swift on CryptoKit (software keys, for tests): the
/// core uses it exactly as it would use `SecureEnclaveKeyStore`.
final class CryptoKitKeyStore: KeyStore, @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String: P256.Signing.PrivateKey] = [:]
    private(set) var signatures = 0
    var failSigning = false

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return keys.count
    }

    func generate(alias: String) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        if keys[alias] != nil {
            throw AkuersiError.KeyStore(reason: "a key named \(alias) already exists")
        }
        let key = P256.Signing.PrivateKey()
        keys[alias] = key
        return key.publicKey.x963Representation
    }

    func publicKey(alias: String) throws -> Data {
        return try key(alias).publicKey.x963Representation
    }

    func sign(alias: String, message: Data) throws -> Data {
        if failSigning {
            throw AkuersiError.KeyStore(reason: "the user cancelled Face ID")
        }
        let signature = try key(alias).signature(for: message)
        lock.lock()
        signatures += 1
        lock.unlock()
        return signature.rawRepresentation
    }

    func delete(alias: String) throws {
        lock.lock()
        keys[alias] = nil
        lock.unlock()
    }

    private func key(_ alias: String) throws -> P256.Signing.PrivateKey {
        lock.lock()
        defer { lock.unlock() }
        guard let key = keys[alias] else {
            throw AkuersiError.KeyStore(reason: "no key named \(alias)")
        }
        return key
    }
}

/// Wraps a transport: counts calls and can go "offline".
final class FlakyTransport: Transport, @unchecked Sendable {
    private let inner: Transport
    private let lock = NSLock()
    private(set) var calls = 0
    var offline = false

    init(_ inner: Transport) {
        self.inner = inner
    }

    func post(path: String, body: Data) throws -> TransportResponse {
        lock.lock()
        calls += 1
        let down = offline
        lock.unlock()
        if down {
            throw AkuersiError.Network(reason: "no route to host")
        }
        return try inner.post(path: path, body: body)
    }
}
