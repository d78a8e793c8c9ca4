package dk.akuersi.shell

import dk.akuersi.AkuersiException
import dk.akuersi.protocol.ChannelBindingKind
import dk.akuersi.protocol.RequestStatus
import dk.akuersi.defaultSupportSettings
import dk.akuersi.supportContact
import dk.akuersi.supportStatus
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Security rules, channel binding, the call warning and support, through the bindings. */
class WhatTheUserSeesTest : ServiceTest() {
    @Test
    fun `the security rules are shown until read`() = runBlocking {
        val app = openClient(service)
        val profile = activate(service, app)
        val core = app.core
        assertTrue(core.needsSecurityRules(profile.profileId))
        val rules = core.securityRules(profile.profileId)
        assertEquals(5, rules.size)
        assertTrue(rules.all { it.title.isNotBlank() && it.body.isNotBlank() })
        core.acknowledgeSecurityRules(profile.profileId)
        assertFalse(core.needsSecurityRules(profile.profileId))
    }

    @Test
    fun `a channel-bound request needs the code from the screen first`() = runBlocking {
        val app = openClient(service)
        val profile = activate(service, app)
        val request = service.createLogOn(USER, ChannelBindingKind.CODE)
        val code = request.channelCode!!
        assertEquals(4, code.length)

        val view = app.refresh(profile.profileId).single()
        assertEquals(ChannelBindingKind.CODE, view.channelBinding)
        assertFalse(view.channelConfirmed)
        assertThrows<AkuersiException.ChannelBindingRequired> {
            runBlocking { app.approve(profile.profileId, request.requestId, PIN) }
        }

        val wrongCode = if (code == "0000") "1111" else "0000"
        val wrong = assertThrows<AkuersiException.WrongChannelCode> {
            runBlocking { withContext(Dispatchers.IO) { app.core.confirmChannel(profile.profileId, request.requestId, wrongCode) } }
        }
        assertEquals(2u, wrong.attemptsLeft)

        app.confirmChannel(profile.profileId, request.requestId, code)
        assertTrue(app.pending(profile.profileId).single().channelConfirmed)
        assertEquals(RequestStatus.APPROVED, app.approve(profile.profileId, request.requestId, PIN).status)
        assertEquals(true, service.poll(request.pollHandle).evidenceValid)
    }

    @Test
    fun `during a phone call approval needs a second, deliberate step`() = runBlocking {
        val app = openClient(service)
        val profile = activate(service, app)
        val request = service.createLogOn(USER)
        app.core.setCallActive(true)
        assertTrue(app.refresh(profile.profileId).single().callWarning)
        assertThrows<AkuersiException.CallInProgress> {
            runBlocking { app.approve(profile.profileId, request.requestId, PIN) }
        }
        app.core.confirmDespiteCall(profile.profileId, request.requestId)
        assertEquals(RequestStatus.APPROVED, app.approve(profile.profileId, request.requestId, PIN).status)
    }

    @Test
    fun `support contact and opening hours in the owner's language`() {
        // The deployment's own contact (here a fictional one): the library has none.
        val support = defaultSupportSettings("+45 00 00 00 00", "https://support.akuersi.example/contact")
        val contact = supportContact("da", support)
        assertEquals("+45 00 00 00 00", contact.phone)
        assertTrue(contact.hoursText.isNotBlank())
        val status = supportStatus("kl", support)
        assertTrue(status.text.isNotBlank())
        assertTrue(status.nextChangeUtcMs > 0)
    }
}
