package dk.akuersi.shell

import dk.akuersi.AkuersiException
import dk.akuersi.protocol.AdditionStatus
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Backup device, freeze, notifications and the identity's log, through the bindings. */
class DeviceCareTest : ServiceTest() {
    @Test
    fun `a backup device joins after the waiting period with a pairing code`() = runBlocking {
        val phone = openClient(service)
        val profile = activate(service, phone)
        val tablet = openClient(service)

        val addition = withContext(Dispatchers.IO) { phone.core.startDeviceAddition(profile.profileId, PIN) }
        assertEquals(AdditionStatus.WAITING, addition.status)
        // Every device is told at once.
        val notices = withContext(Dispatchers.IO) { phone.core.notifications(profile.profileId) }
        assertTrue(notices.any { it.event == "device_addition_started" }, notices.toString())
        // No pairing code before the wait is over.
        assertThrows<AkuersiException> {
            phone.core.pairingCode(profile.profileId, addition.additionId)
        }

        service.advanceSecs(3_600)
        val pairing = withContext(Dispatchers.IO) { phone.core.pairingCode(profile.profileId, addition.additionId) }
        assertTrue(pairing.payload.startsWith("AKUERSI-PAIR:1:"))
        val joined = withContext(Dispatchers.IO) {
            tablet.core.activateWithPairingCode(pairing.payload, "593071", "iPad")
        }
        assertEquals(USER, joined.userId)

        val devices = withContext(Dispatchers.IO) { phone.core.devices(profile.profileId) }
        assertEquals(setOf("Pixel 8", "iPad"), devices.map { it.name }.toSet())
        assertEquals("Pixel 8", devices.single { it.thisDevice }.name)

        // The identity's log verifies and tells the story.
        val page = withContext(Dispatchers.IO) { tablet.core.activityLog(joined.profileId, 0u, 50u) }
        assertTrue(page.total >= 3uL)
        assertTrue(page.entries.any { it.kind.name.contains("ADDITION") || it.kind.name.contains("DEVICE") }, page.toString())
    }

    @Test
    fun `freeze stops everything until unfrozen with PIN and activation code`() = runBlocking {
        val app = openClient(service)
        val profile = activate(service, app)
        withContext(Dispatchers.IO) { app.core.freeze(profile.profileId) }
        assertTrue(withContext(Dispatchers.IO) { app.core.identityStatus(profile.profileId) }.frozen)

        // While frozen a requester gets the unknown-user answer: nothing reaches the app.
        service.createLogOn(USER)
        assertEquals(0, app.refresh(profile.profileId).size)

        val outcome = withContext(Dispatchers.IO) {
            app.core.unfreeze(profile.profileId, PIN, service.issueActivationCode(USER))
        }
        assertTrue(outcome.unfrozen)
        assertFalse(outcome.waitingForSecondProof)
        assertFalse(withContext(Dispatchers.IO) { app.core.identityStatus(profile.profileId) }.frozen)
    }

    @Test
    fun `removing the last device needs to be meant`() = runBlocking {
        val app = openClient(service)
        val profile = activate(service, app)
        assertThrows<AkuersiException.LastDevice> {
            app.core.removeDevice(profile.profileId, profile.deviceId, PIN)
        }
        assertEquals(1, withContext(Dispatchers.IO) { app.core.devices(profile.profileId) }.size)
    }
}
