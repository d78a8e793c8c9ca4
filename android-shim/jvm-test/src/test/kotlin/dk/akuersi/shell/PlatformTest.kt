package dk.akuersi.shell

import com.sun.net.httpserver.HttpServer
import dk.akuersi.AkuersiException
import dk.akuersi.protocol.RequestStatus
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket

/** Kotlin implementations of the foreign traits, used by the core. */
class PlatformTest : ServiceTest() {
    @Test
    fun `a Kotlin key store holds the device key and signs for the core`() = runBlocking {
        val keys = JcaKeyStore()
        val app = openClient(service, keyStore = keys)
        val profile = activate(service, app)
        assertEquals(1, keys.keys.size)
        val signedAtActivation = keys.signatures.get()
        assertTrue(signedAtActivation >= 1)

        val request = service.createLogOn(USER)
        app.refresh(profile.profileId)
        assertEquals(RequestStatus.APPROVED, app.approve(profile.profileId, request.requestId, PIN).status)
        // The requester's evidence was signed by the Kotlin key and verifies.
        val poll = service.poll(request.pollHandle)
        assertEquals(true, poll.evidenceValid)
        assertTrue(keys.signatures.get() > signedAtActivation + 2)
    }

    @Test
    fun `a failing key store gives a clear error and changes nothing`() = runBlocking {
        val keys = JcaKeyStore()
        val app = openClient(service, keyStore = keys)
        val profile = activate(service, app)
        val request = service.createLogOn(USER)
        app.refresh(profile.profileId)

        keys.failSigning.set(true)
        val e = assertThrows<AkuersiException.KeyStore> {
            runBlocking { app.approve(profile.profileId, request.requestId, PIN) }
        }
        assertTrue(e.reason.contains("cancelled"), e.reason)
        assertEquals(RequestStatus.PENDING, service.poll(request.pollHandle).status)
        assertEquals(1, app.pending(profile.profileId).size)

        keys.failSigning.set(false)
        assertEquals(RequestStatus.APPROVED, app.approve(profile.profileId, request.requestId, PIN).status)
    }

    @Test
    fun `a Kotlin transport that fails gives Network and the call can be retried`() = runBlocking {
        val transport = FlakyTransport(service.transport())
        val app = openClient(service, transport = transport)
        val profile = activate(service, app)
        service.createLogOn(USER)

        transport.offline.set(true)
        val e = assertThrows<AkuersiException.Network> { runBlocking { app.refresh(profile.profileId) } }
        assertEquals("no route to host", e.reason)
        transport.crash.set(true)
        // A plain exception from the shell is still an error, never a crash.
        assertThrows<AkuersiException.Network> { runBlocking { app.refresh(profile.profileId) } }

        transport.offline.set(false)
        transport.crash.set(false)
        assertEquals(1, app.refresh(profile.profileId).size)
    }

    @Test
    fun `the HTTP transport talks to the service over loopback`() = runBlocking {
        val upstream = service.transport()
        val server = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        server.createContext("/") { exchange ->
            val body = exchange.requestBody.readBytes()
            val answer = upstream.post(exchange.requestURI.path, body)
            exchange.responseHeaders.add("Content-Type", "application/json")
            exchange.sendResponseHeaders(answer.status.toInt(), answer.body.size.toLong())
            exchange.responseBody.use { it.write(answer.body) }
        }
        server.start()
        try {
            val base = "http://127.0.0.1:${server.address.port}"
            val app = openClient(service, transport = HttpTransport(base))
            val profile = activate(service, app)
            val request = service.createLogOn(USER)
            assertEquals(1, app.refresh(profile.profileId).size)
            // Error answers (403 with an error body) come through as typed errors.
            val wrong = assertThrows<AkuersiException.WrongPin> {
                runBlocking { app.approve(profile.profileId, request.requestId, WRONG_PIN) }
            }
            assertEquals(9u, wrong.attemptsLeft)
            assertEquals(RequestStatus.APPROVED, app.approve(profile.profileId, request.requestId, PIN).status)
        } finally {
            server.stop(0)
        }
    }

    @Test
    fun `the HTTP transport reports unreachable and slow services as Network`() = runBlocking {
        val closedPort = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
        val refused = HttpTransport("http://127.0.0.1:$closedPort", connectTimeoutMs = 2_000)
        assertThrows<AkuersiException.Network> { refused.post("/v1/device/pending", "{}".toByteArray()) }

        val slow = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        slow.createContext("/") { exchange ->
            Thread.sleep(1_500)
            exchange.sendResponseHeaders(200, 0)
            exchange.close()
        }
        slow.start()
        try {
            val transport = HttpTransport("http://127.0.0.1:${slow.address.port}", readTimeoutMs = 200)
            val app = openClient(service, transport = transport)
            val e = assertThrows<AkuersiException.Network> {
                runBlocking { activate(service, app) }
            }
            assertTrue(e.reason.contains("Timeout"), e.reason)
            // Nothing was kept: the activation can be done again on a working transport.
            assertEquals(emptyList<Any>(), app.profiles())
        } finally {
            slow.stop(0)
        }
    }

    @Test
    fun `DER signatures become r and s`() {
        val keys = JcaKeyStore()
        keys.generate("k")
        repeat(50) { i ->
            val raw = keys.sign("k", "message $i".toByteArray())
            assertEquals(64, raw.size)
        }
        assertThrows<IllegalArgumentException> { Ecdsa.derToRaw(byteArrayOf(0x30, 0x03, 0x02, 0x01)) }
        assertThrows<IllegalArgumentException> { Ecdsa.derToRaw(ByteArray(64)) }
    }
}
