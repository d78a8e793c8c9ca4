package dk.akuersi.android

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import android.security.keystore.UserNotAuthenticatedException
import dk.akuersi.AkuersiException
import dk.akuersi.KeyStore
import dk.akuersi.shell.Ecdsa
import java.security.GeneralSecurityException
import java.security.KeyPairGenerator
import java.security.PrivateKey
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.security.KeyStore as JavaKeyStore

/**
 * The device key in Android Keystore: a non-exportable P-256 key that signs
 * inside the secure hardware (StrongBox where the phone has it, the TEE
 * otherwise). The private key never reaches the app's memory.
 *
 * Optional user-authentication binding: with [userAuthentication] set, the
 * key only signs after a strong biometric (or, if allowed, the device
 * credential). With `timeoutSeconds = 0` every signature needs its own
 * authentication, given through [authenticator], which must show a
 * `BiometricPrompt` with a `CryptoObject(signature)` and return once the
 * owner has authenticated (it is called on a background thread and may block).
 *
 * Every method blocks (Keystore operations take tens of milliseconds,
 * StrongBox more) and is called by the core off the main thread.
 *
 * Android only: compiled with the Android SDK, not by the host JVM tests.
 */
class AndroidKeyStoreKeyStore(
    context: Context,
    private val preferStrongBox: Boolean = true,
    private val userAuthentication: UserAuthentication? = null,
    private val authenticator: SignatureAuthenticator? = null,
) : KeyStore {
    /** How the key is bound to the owner's authentication. */
    data class UserAuthentication(
        /** 0: every use needs its own authentication; otherwise the window in seconds. */
        val timeoutSeconds: Int = 0,
        /** Also accept the device PIN/pattern/password, not only a strong biometric. */
        val allowDeviceCredential: Boolean = false,
    )

    /** Authenticates one signature operation, e.g. with `BiometricPrompt`. Blocks until done. */
    fun interface SignatureAuthenticator {
        /** Return [signature] once the owner has authenticated it; throw to cancel. */
        fun authenticate(signature: Signature): Signature
    }

    private val hasStrongBox: Boolean =
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
            context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

    private fun keyStore(): JavaKeyStore = JavaKeyStore.getInstance(PROVIDER).apply { load(null) }

    override fun generate(alias: String): ByteArray = keyStoreCall {
        if (keyStore().containsAlias(alias)) throw AkuersiException.KeyStore("a key named $alias already exists")
        val generator = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, PROVIDER)
        val pair = try {
            generator.initialize(spec(alias, strongBox = preferStrongBox && hasStrongBox))
            generator.generateKeyPair()
        } catch (e: StrongBoxUnavailableException) {
            generator.initialize(spec(alias, strongBox = false))
            generator.generateKeyPair()
        }
        Ecdsa.uncompressedPoint(pair.public as ECPublicKey)
    }

    override fun publicKey(alias: String): ByteArray = keyStoreCall {
        val certificate = keyStore().getCertificate(alias) ?: throw AkuersiException.KeyStore("no key named $alias")
        Ecdsa.uncompressedPoint(certificate.publicKey as ECPublicKey)
    }

    override fun sign(alias: String, message: ByteArray): ByteArray = keyStoreCall {
        val key = keyStore().getKey(alias, null) as? PrivateKey ?: throw AkuersiException.KeyStore("no key named $alias")
        var signature = Signature.getInstance("SHA256withECDSA")
        signature.initSign(key)
        if (userAuthentication?.timeoutSeconds == 0) {
            val auth = authenticator ?: throw AkuersiException.KeyStore("this key needs an authenticator for every use")
            signature = auth.authenticate(signature)
        }
        signature.update(message)
        Ecdsa.derToRaw(signature.sign())
    }

    override fun delete(alias: String) = keyStoreCall {
        val ks = keyStore()
        if (ks.containsAlias(alias)) ks.deleteEntry(alias)
    }

    private fun spec(alias: String, strongBox: Boolean): KeyGenParameterSpec =
        KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .apply {
                if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(true)
                userAuthentication?.let { ua ->
                    setUserAuthenticationRequired(true)
                    setInvalidatedByBiometricEnrollment(true)
                    if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                        val kinds = if (ua.allowDeviceCredential) {
                            KeyProperties.AUTH_BIOMETRIC_STRONG or KeyProperties.AUTH_DEVICE_CREDENTIAL
                        } else {
                            KeyProperties.AUTH_BIOMETRIC_STRONG
                        }
                        setUserAuthenticationParameters(ua.timeoutSeconds, kinds)
                    } else {
                        @Suppress("DEPRECATION")
                        setUserAuthenticationValidityDurationSeconds(if (ua.timeoutSeconds == 0) -1 else ua.timeoutSeconds)
                    }
                }
            }
            .build()

    private inline fun <T> keyStoreCall(block: () -> T): T =
        try {
            block()
        } catch (e: AkuersiException) {
            throw e
        } catch (e: UserNotAuthenticatedException) {
            throw AkuersiException.KeyStore("the owner must authenticate first")
        } catch (e: GeneralSecurityException) {
            throw AkuersiException.KeyStore("Android Keystore: ${e.javaClass.simpleName}")
        } catch (e: IllegalArgumentException) {
            throw AkuersiException.KeyStore("Android Keystore returned an unexpected value: ${e.message}")
        }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
    }
}
