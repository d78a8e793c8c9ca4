package dk.akuersi.shell

import dk.akuersi.AkuersiException
import dk.akuersi.KeyStore
import dk.akuersi.TestService
import dk.akuersi.Transport
import dk.akuersi.core.Profile
import dk.akuersi.protocol.TransportResponse
import dk.akuersi.defaultConfig
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger

const val PIN = "482916"
const val WRONG_PIN = "730518"
const val USER = "Aviaja.K-1970"

/** The shared fixture: a fresh in-process [TestService] for each test, closed after it. */
abstract class ServiceTest {
    protected lateinit var service: TestService

    @BeforeEach
    fun start() {
        service = TestService()
    }

    @AfterEach
    fun stop() {
        service.close()
    }
}

/** An installation on [service]'s clock, with cheap PIN derivation. */
fun openClient(
    service: TestService,
    transport: Transport = service.transport(),
    keyStore: KeyStore? = null,
): AkuersiClient {
    val config = defaultConfig(":memory:", "android").copy(kdfIterations = 1_000u)
    return AkuersiClient(service.openApp(config, transport, keyStore, null))
}

/** Create [USER] if needed, issue a code and activate [client] with [PIN]. */
suspend fun activate(service: TestService, client: AkuersiClient, device: String = "Pixel 8"): Profile {
    try {
        service.createIdentity(USER)
    } catch (_: AkuersiException.Refused) {
        // Already there.
    }
    return client.activate(USER, service.issueActivationCode(USER), PIN, device)
}

/**
 * A KeyStore written in Kotlin on java.security: P-256 keys in memory,
 * "SHA256withECDSA" signatures converted from DER to r ‖ s.
 */
class JcaKeyStore : KeyStore {
    val keys = ConcurrentHashMap<String, KeyPair>()
    val signatures = AtomicInteger()
    val failSigning = AtomicBoolean(false)

    override fun generate(alias: String): ByteArray {
        val generator = KeyPairGenerator.getInstance("EC")
        generator.initialize(ECGenParameterSpec("secp256r1"))
        val pair = generator.generateKeyPair()
        if (keys.putIfAbsent(alias, pair) != null) throw AkuersiException.KeyStore("a key named $alias already exists")
        return Ecdsa.uncompressedPoint(pair.public as ECPublicKey)
    }

    override fun publicKey(alias: String): ByteArray =
        Ecdsa.uncompressedPoint(pair(alias).public as ECPublicKey)

    override fun sign(alias: String, message: ByteArray): ByteArray {
        if (failSigning.get()) throw AkuersiException.KeyStore("the user cancelled the biometric prompt")
        val signer = Signature.getInstance("SHA256withECDSA")
        signer.initSign(pair(alias).private)
        signer.update(message)
        signatures.incrementAndGet()
        return Ecdsa.derToRaw(signer.sign())
    }

    override fun delete(alias: String) {
        keys.remove(alias)
    }

    private fun pair(alias: String) = keys[alias] ?: throw AkuersiException.KeyStore("no key named $alias")
}

/** Wraps a transport: counts calls and can go "offline" or throw a plain exception. */
class FlakyTransport(private val inner: Transport) : Transport {
    val calls = AtomicInteger()
    val offline = AtomicBoolean(false)
    val crash = AtomicBoolean(false)

    override fun post(path: String, body: ByteArray): TransportResponse {
        calls.incrementAndGet()
        if (crash.get()) throw IllegalStateException("bug in the shell's transport")
        if (offline.get()) throw AkuersiException.Network("no route to host")
        return inner.post(path, body)
    }
}
