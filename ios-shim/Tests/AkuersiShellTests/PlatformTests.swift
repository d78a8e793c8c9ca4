import XCTest
@testable import Akuersi
@testable import AkuersiShell

/// Swift implementations of the foreign traits, used by the core; mirrors
/// android-shim's PlatformTest.
final class PlatformTests: ServiceTestCase {
    func testASwiftKeyStoreHoldsTheDeviceKeyAndSignsForTheCore() async throws {
        let keys = CryptoKitKeyStore()
        let app = try openClient(service, keyStore: keys)
        let profile = try await activate(service, app)
        XCTAssertEqual(keys.count, 1)
        let signedAtActivation = keys.signatures

        let request = try service.createLogOn(userId: user)
        _ = try await app.refresh(profileId: profile.profileId)
        let outcome = try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: pin)
        XCTAssertEqual(outcome.status, .approved)
        XCTAssertEqual(try service.poll(pollHandle: request.pollHandle).evidenceValid, true)
        XCTAssertGreaterThan(keys.signatures, signedAtActivation + 2)
    }

    func testAFailingKeyStoreGivesAClearErrorAndChangesNothing() async throws {
        let keys = CryptoKitKeyStore()
        let app = try openClient(service, keyStore: keys)
        let profile = try await activate(service, app)
        let request = try service.createLogOn(userId: user)
        _ = try await app.refresh(profileId: profile.profileId)

        keys.failSigning = true
        let e = await expectError { try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: pin) }
        XCTAssertEqual(e, .KeyStore(reason: "the user cancelled Face ID"))
        XCTAssertEqual(try service.poll(pollHandle: request.pollHandle).status, .pending)

        keys.failSigning = false
        let outcome = try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: pin)
        XCTAssertEqual(outcome.status, .approved)
    }

    func testAFailingTransportGivesNetworkAndTheCallCanBeRetried() async throws {
        let transport = FlakyTransport(service.transport())
        let app = try openClient(service, transport: transport)
        let profile = try await activate(service, app)
        _ = try service.createLogOn(userId: user)

        transport.offline = true
        let e = await expectError { try await app.refresh(profileId: profile.profileId) }
        XCTAssertEqual(e, .Network(reason: "no route to host"))
        transport.offline = false
        let views = try await app.refresh(profileId: profile.profileId)
        XCTAssertEqual(views.count, 1)
    }

    func testPendingUpdatesYieldTheCountdown() async throws {
        let app = try openClient(service)
        let profile = try await activate(service, app)
        let request = try service.createLogOn(userId: user)
        var iterator = app.pendingUpdates(profileId: profile.profileId, tickSeconds: 0.05, refreshEverySeconds: 0.2).makeAsyncIterator()
        let first = await iterator.next()
        XCTAssertNil(first?.error)
        XCTAssertEqual(first?.requests.first?.requestId, request.requestId)
        XCTAssertEqual(first?.requests.first?.secondsLeft, 300)
    }
}
