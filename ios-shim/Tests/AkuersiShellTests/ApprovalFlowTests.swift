import XCTest
@testable import Akuersi
@testable import AkuersiShell

/// The whole approval flow through the generated bindings and the async
/// wrappers; mirrors android-shim's ApprovalFlowTest.
final class ApprovalFlowTests: ServiceTestCase {
    func testActivateOpenSeeTheTextAndCountdownWrongPinApprove() async throws {
        let app = try openClient(service)
        let profile = try await activate(service, app)
        XCTAssertEqual(profile.userId, user)
        XCTAssertEqual(profile.language, "kl")

        // Nothing is there until the owner opens the app.
        let request = try service.createLogOn(userId: user, channelBinding: nil)
        let before = try await app.pending(profileId: profile.profileId)
        XCTAssertTrue(before.isEmpty)

        let views = try await app.refresh(profileId: profile.profileId)
        XCTAssertEqual(views.count, 1)
        let view = views[0]
        XCTAssertEqual(view.requestId, request.requestId)
        XCTAssertEqual(view.requesterName, "Demo Bank")
        XCTAssertEqual(view.action, .logOn)
        XCTAssertEqual(view.header, "Demo Bank-imut iserneq")
        XCTAssertEqual(view.body, "Demo Bank-imut iserniarputit")
        XCTAssertEqual(view.otherLanguages, ["da", "en"])
        XCTAssertEqual(view.secondsLeft, 300)

        // The countdown follows the service's clock.
        service.advanceSecs(secs: 42)
        let later = try await app.pending(profileId: profile.profileId)
        XCTAssertEqual(later[0].secondsLeft, 258)

        // A wrong PIN is counted and says how many tries are left.
        let wrong = await expectError { try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: wrongPin) }
        guard case .WrongPin(let attemptsLeft)? = wrong else {
            return XCTFail("expected WrongPin, got \(String(describing: wrong))")
        }
        XCTAssertEqual(attemptsLeft, 9)
        XCTAssertFalse(String(describing: wrong!).contains(wrongPin))
        XCTAssertEqual(try service.pinFailures(deviceId: profile.deviceId), 1)

        let outcome = try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: pin)
        XCTAssertEqual(outcome.status, .approved)
        let poll = try service.poll(pollHandle: request.pollHandle)
        XCTAssertEqual(poll.status, .approved)
        XCTAssertEqual(poll.decision, .approve)
        XCTAssertEqual(poll.evidenceValid, true)

        let kinds = try await app.activity(profileId: profile.profileId).map { $0.kind }
        XCTAssertEqual(kinds, [.approved, .wrongPin, .activated])
    }

    func testRejectAndReport() async throws {
        let app = try openClient(service)
        let profile = try await activate(service, app)

        let first = try service.createLogOn(userId: user)
        _ = try await app.refresh(profileId: profile.profileId)
        let rejected = try await app.reject(profileId: profile.profileId, requestId: first.requestId)
        XCTAssertEqual(rejected.status, .rejected)

        let second = try service.createLogOn(userId: user)
        _ = try await app.refresh(profileId: profile.profileId)
        let reported = try await app.report(profileId: profile.profileId, requestId: second.requestId)
        XCTAssertEqual(reported.status, .reported)
        XCTAssertEqual(try service.poll(pollHandle: second.pollHandle).evidenceValid, true)
    }

    func testALapsedRequestIsRefusedOnTheDevice() async throws {
        let app = try openClient(service)
        let profile = try await activate(service, app)
        let request = try service.createLogOn(userId: user)
        _ = try await app.refresh(profileId: profile.profileId)
        service.advanceSecs(secs: 300)
        let e = await expectError { try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: pin) }
        XCTAssertEqual(e, .RequestExpired)
    }

    func testAChannelBoundRequestNeedsTheCodeFromTheScreenFirst() async throws {
        let app = try openClient(service)
        let profile = try await activate(service, app)
        let request = try service.createLogOn(userId: user, channelBinding: .code)
        let code = try XCTUnwrap(request.channelCode)
        let views = try await app.refresh(profileId: profile.profileId)
        XCTAssertEqual(views.first?.channelBinding, .code)

        let early = await expectError { try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: pin) }
        XCTAssertEqual(early, .ChannelBindingRequired)
        let wrongCode = code == "0000" ? "1111" : "0000"
        XCTAssertThrowsError(try app.core.confirmChannel(profileId: profile.profileId, requestId: request.requestId, answer: wrongCode)) { error in
            XCTAssertEqual(error as? AkuersiError, .WrongChannelCode(attemptsLeft: 2))
        }
        try await app.confirmChannel(profileId: profile.profileId, requestId: request.requestId, answer: code)
        let outcome = try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: pin)
        XCTAssertEqual(outcome.status, .approved)
    }

    func testDuringACallApprovalNeedsASecondStep() async throws {
        let app = try openClient(service)
        let profile = try await activate(service, app)
        let request = try service.createLogOn(userId: user)
        app.core.setCallActive(active: true)
        let views = try await app.refresh(profileId: profile.profileId)
        XCTAssertEqual(views.first?.callWarning, true)
        let e = await expectError { try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: pin) }
        XCTAssertEqual(e, .CallInProgress)
        try app.core.confirmDespiteCall(profileId: profile.profileId, requestId: request.requestId)
        let outcome = try await app.approve(profileId: profile.profileId, requestId: request.requestId, pin: pin)
        XCTAssertEqual(outcome.status, .approved)
    }

    func testSecurityRulesAndSupport() async throws {
        let app = try openClient(service)
        let profile = try await activate(service, app)
        XCTAssertTrue(try app.core.needsSecurityRules(profileId: profile.profileId))
        XCTAssertEqual(try app.core.securityRules(profileId: profile.profileId).count, 5)
        try app.core.acknowledgeSecurityRules(profileId: profile.profileId)
        XCTAssertFalse(try app.core.needsSecurityRules(profileId: profile.profileId))
        // The deployment's own contact (here a fictional one): the library has none.
        let support = defaultSupportSettings(phone: "+45 00 00 00 00", webForm: "https://support.akuersi.example/contact")
        XCTAssertEqual(try supportContact(language: "da", settings: support).phone, "+45 00 00 00 00")
    }

    func testFreezeHidesRequestsUntilUnfrozen() async throws {
        let app = try openClient(service)
        let profile = try await activate(service, app)
        try await app.freeze(profileId: profile.profileId)
        XCTAssertTrue(try app.core.identityStatus(profileId: profile.profileId).frozen)
        _ = try service.createLogOn(userId: user)
        let views = try await app.refresh(profileId: profile.profileId)
        XCTAssertTrue(views.isEmpty)
        let outcome = try app.core.unfreeze(profileId: profile.profileId, pin: pin, activationCode: try service.issueActivationCode(userId: user))
        XCTAssertTrue(outcome.unfrozen)
    }
}
