package dk.akuersi.android

import android.content.Context
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.ProcessLifecycleOwner
import dk.akuersi.Akuersi
import dk.akuersi.KeyStore
import dk.akuersi.SecretVault
import dk.akuersi.Transport
import dk.akuersi.defaultConfig
import dk.akuersi.shell.AkuersiClient
import dk.akuersi.shell.HttpTransport
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.withContext

/**
 * Android glue: open the installation with the platform's key store, vault
 * and HTTP stack, and tell the pending-requests flow when the app is in the
 * foreground.
 *
 * Android only: compiled with the Android SDK, not by the host JVM tests.
 */
object AkuersiAndroid {
    /**
     * Open (or create) the installation in the app's private files, with the
     * device key in Android Keystore (StrongBox where available), the device
     * secret sealed by an Android Keystore AES key, and [HttpTransport] to
     * [serviceUrl]. Runs on `Dispatchers.IO`.
     */
    suspend fun open(
        context: Context,
        serviceUrl: String,
        keyStore: KeyStore = AndroidKeyStoreKeyStore(context),
        vault: SecretVault = AndroidKeyStoreVault(),
        transport: Transport = HttpTransport(serviceUrl),
    ): AkuersiClient = withContext(Dispatchers.IO) {
        val path = context.getDatabasePath("akuersi.sqlite").apply { parentFile?.mkdirs() }.absolutePath
        AkuersiClient(Akuersi(defaultConfig(path, "android"), transport, keyStore, vault))
    }

    /** `true` while any activity of the app is started (visible), from `ProcessLifecycleOwner`. */
    fun foregroundFlow(): Flow<Boolean> =
        ProcessLifecycleOwner.get().lifecycle.currentStateFlow
            .map { it.isAtLeast(Lifecycle.State.STARTED) }
            .distinctUntilChanged()
            .flowOn(Dispatchers.Main)
}
