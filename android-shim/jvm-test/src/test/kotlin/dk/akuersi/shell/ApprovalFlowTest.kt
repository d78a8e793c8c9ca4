package dk.akuersi.shell

import dk.akuersi.AkuersiException
import dk.akuersi.core.LocalActivityKind
import dk.akuersi.protocol.Action
import dk.akuersi.protocol.Decision
import dk.akuersi.protocol.RequestStatus
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The whole approval flow through the generated bindings and the coroutine wrappers. */
class ApprovalFlowTest : ServiceTest() {
    @Test
    fun `activate, open, see the text and countdown, wrong PIN, approve`() = runBlocking {
        val app = openClient(service)
        val profile = activate(service, app)
        assertEquals(USER, profile.userId)
        assertEquals("kl", profile.language)
        assertEquals(listOf(profile), app.profiles())

        // Nothing is there until the owner opens the app.
        assertEquals(emptyList<Any>(), app.pending(profile.profileId))
        val request = service.createLogOn(USER)
        assertEquals(emptyList<Any>(), app.pending(profile.profileId))

        val views = app.refresh(profile.profileId)
        assertEquals(1, views.size)
        val view = views.single()
        assertEquals(request.requestId, view.requestId)
        assertEquals("Demo Bank", view.requesterName)
        assertEquals(Action.LOG_ON, view.action)
        assertEquals("kl", view.language)
        assertEquals("Demo Bank-imut iserneq", view.header)
        assertEquals("Demo Bank-imut iserniarputit", view.body)
        assertEquals(listOf("da", "en"), view.otherLanguages)
        assertEquals(300u, view.secondsLeft)
        assertEquals(request.expiresAtMs, view.expiresAtMs)

        // The countdown follows the service's clock without asking it again.
        service.advanceSecs(42)
        assertEquals(258u, app.pending(profile.profileId).single().secondsLeft)

        // The owner prefers Danish.
        app.setLanguage(profile.profileId, "da")
        val danish = app.pending(profile.profileId).single()
        assertEquals("Log på Demo Bank", danish.header)
        assertEquals(listOf("en", "kl"), danish.otherLanguages)

        // A wrong PIN is counted by the service and says how many tries are left.
        val wrong = assertThrows<AkuersiException.WrongPin> {
            runBlocking { app.approve(profile.profileId, request.requestId, WRONG_PIN) }
        }
        assertEquals(9u, wrong.attemptsLeft)
        assertTrue(wrong.toString().contains("9 attempts left"), wrong.toString())
        assertFalse(wrong.toString().contains(WRONG_PIN))
        assertEquals(1u, service.pinFailures(profile.deviceId))
        assertEquals(RequestStatus.PENDING, service.poll(request.pollHandle).status)

        // A PIN that is not six digits never reaches the service.
        assertThrows<AkuersiException.InvalidPin> {
            runBlocking { app.approve(profile.profileId, request.requestId, "12ab") }
        }

        val outcome = app.approve(profile.profileId, request.requestId, PIN)
        assertEquals(RequestStatus.APPROVED, outcome.status)
        assertEquals(request.requestId, outcome.requestId)
        assertEquals(0u, service.pinFailures(profile.deviceId))

        // The requester sees the approval with evidence that verifies.
        val poll = service.poll(request.pollHandle)
        assertEquals(RequestStatus.APPROVED, poll.status)
        assertEquals(Decision.APPROVE, poll.decision)
        assertEquals(true, poll.evidenceValid)

        // Decided requests leave the list; deciding again is refused.
        assertEquals(emptyList<Any>(), app.pending(profile.profileId))
        assertThrows<AkuersiException.RequestNotFound> {
            runBlocking { app.approve(profile.profileId, request.requestId, PIN) }
        }

        val kinds = app.activity(profile.profileId).map { it.kind }
        assertEquals(listOf(LocalActivityKind.APPROVED, LocalActivityKind.WRONG_PIN, LocalActivityKind.ACTIVATED), kinds)
    }

    @Test
    fun `reject and report`() = runBlocking {
        val app = openClient(service)
        val profile = activate(service, app)

        val first = service.createLogOn(USER)
        app.refresh(profile.profileId)
        assertEquals(RequestStatus.REJECTED, app.reject(profile.profileId, first.requestId).status)
        assertEquals(RequestStatus.REJECTED, service.poll(first.pollHandle).status)
        assertEquals(Decision.REJECT, service.poll(first.pollHandle).decision)

        val second = service.createLogOn(USER)
        app.refresh(profile.profileId)
        assertEquals(RequestStatus.REPORTED, app.report(profile.profileId, second.requestId).status)
        val poll = service.poll(second.pollHandle)
        assertEquals(RequestStatus.REPORTED, poll.status)
        assertEquals(true, poll.evidenceValid)

        assertEquals(
            listOf(LocalActivityKind.REPORTED, LocalActivityKind.REJECTED, LocalActivityKind.ACTIVATED),
            app.activity(profile.profileId).map { it.kind },
        )
    }

    @Test
    fun `a lapsed request is refused on the device`() = runBlocking {
        val app = openClient(service)
        val profile = activate(service, app)
        val request = service.createLogOn(USER)
        app.refresh(profile.profileId)
        service.advanceSecs(299)
        assertEquals(1u, app.pending(profile.profileId).single().secondsLeft)
        service.advanceSecs(1)
        assertThrows<AkuersiException.RequestExpired> {
            runBlocking { app.approve(profile.profileId, request.requestId, PIN) }
        }
        assertEquals(emptyList<Any>(), app.pending(profile.profileId))
        assertEquals(RequestStatus.EXPIRED, service.poll(request.pollHandle).status)
    }

    @Test
    fun `activation errors explain themselves`() = runBlocking {
        val app = openClient(service)
        service.createIdentity(USER)
        assertThrows<AkuersiException.InvalidActivationCode> {
            runBlocking { app.activate(USER, "AAAA-BBBB-CCCC", PIN, "Pixel 8") }
        }
        assertThrows<AkuersiException.InvalidPin> {
            runBlocking { app.activate(USER, service.issueActivationCode(USER), "123456", "Pixel 8") }
        }
        assertThrows<AkuersiException.InvalidUserId> {
            runBlocking { app.activate("0101701234", service.issueActivationCode(USER), PIN, "Pixel 8") }
        }
        assertThrows<AkuersiException.UnknownProfile> {
            runBlocking { app.refresh("no-such-profile") }
        }
        assertEquals(emptyList<Any>(), app.profiles())
    }
}
