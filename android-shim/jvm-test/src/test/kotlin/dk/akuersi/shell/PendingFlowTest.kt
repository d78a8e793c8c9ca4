package dk.akuersi.shell

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The Flow of pending requests asks the service only while the app is in the foreground. */
class PendingFlowTest : ServiceTest() {
    @Test
    fun `pending requests flow while in the foreground only`() = runBlocking {
        val transport = FlakyTransport(service.transport())
        val app = openClient(service, transport = transport)
        val profile = activate(service, app)
        val request = service.createLogOn(USER)

        val foreground = MutableStateFlow(false)
        val snapshots = Channel<PendingSnapshot>(Channel.UNLIMITED)
        val job = launch {
            app.pendingWhileForeground(profile.profileId, foreground, tickMs = 50, refreshEveryMs = 200)
                .collect { snapshots.send(it) }
        }
        try {
            // In the background nothing is fetched and nothing is shown.
            val callsBefore = transport.calls.get()
            assertNull(withTimeoutOrNull(300) { snapshots.receive() })
            assertEquals(callsBefore, transport.calls.get())

            // The owner opens the app: the request appears with its countdown.
            foreground.value = true
            val first = withTimeout(5_000) { snapshots.receive() }
            assertNull(first.error)
            assertEquals(request.requestId, first.requests.single().requestId)
            assertEquals(300u, first.requests.single().secondsLeft)

            service.advanceSecs(10)
            val later = withTimeout(5_000) {
                var s = snapshots.receive()
                while (s.requests.singleOrNull()?.secondsLeft != 290u) s = snapshots.receive()
                s
            }
            assertEquals(290u, later.requests.single().secondsLeft)

            // Offline: the flow goes on, reporting the error, with what it had.
            transport.offline.set(true)
            val failed = withTimeout(5_000) {
                var s = snapshots.receive()
                while (s.error == null) s = snapshots.receive()
                s
            }
            assertTrue(failed.error is dk.akuersi.AkuersiException.Network)
            transport.offline.set(false)

            // Back to the background: no more calls to the service.
            foreground.value = false
            kotlinx.coroutines.delay(300)
            while (snapshots.tryReceive().isSuccess) { /* drain */ }
            val callsInBackground = transport.calls.get()
            kotlinx.coroutines.delay(500)
            assertEquals(callsInBackground, transport.calls.get())
            assertTrue(snapshots.tryReceive().isFailure)
        } finally {
            job.cancel()
        }
    }
}
