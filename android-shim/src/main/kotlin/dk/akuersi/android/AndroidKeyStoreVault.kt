package dk.akuersi.android

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import dk.akuersi.AkuersiException
import dk.akuersi.SecretVault
import java.security.GeneralSecurityException
import java.security.KeyStore as JavaKeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Seals the device secret with an AES-256-GCM key held in Android Keystore
 * (non-exportable). Sealed form: 12-byte IV ‖ ciphertext ‖ 16-byte tag; the
 * label is the associated data, so a sealed value cannot be moved to
 * another label. Blocks briefly; called by the core off the main thread.
 *
 * Android only: compiled with the Android SDK, not by the host JVM tests.
 */
class AndroidKeyStoreVault(private val keyAlias: String = "akuersi-vault") : SecretVault {
    override fun seal(label: String, plaintext: ByteArray): ByteArray = vaultCall {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, key())
        cipher.updateAAD(aad(label))
        cipher.iv + cipher.doFinal(plaintext)
    }

    override fun open(label: String, sealed: ByteArray): ByteArray = vaultCall {
        if (sealed.size < IV_BYTES + TAG_BYTES) throw AkuersiException.Vault("sealed value is too short")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(TAG_BYTES * 8, sealed, 0, IV_BYTES))
        cipher.updateAAD(aad(label))
        cipher.doFinal(sealed, IV_BYTES, sealed.size - IV_BYTES)
    }

    @Synchronized
    private fun key(): SecretKey {
        val ks = JavaKeyStore.getInstance(PROVIDER).apply { load(null) }
        (ks.getKey(keyAlias, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        generator.init(
            KeyGenParameterSpec.Builder(keyAlias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    private fun aad(label: String) = "akuersi/v1/vault:$label".toByteArray(Charsets.UTF_8)

    private inline fun <T> vaultCall(block: () -> T): T =
        try {
            block()
        } catch (e: AkuersiException) {
            throw e
        } catch (e: GeneralSecurityException) {
            throw AkuersiException.Vault("sealed value does not open or seal (${e.javaClass.simpleName})")
        }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
        const val TAG_BYTES = 16
    }
}
