package dk.akuersi.shell

import dk.akuersi.Akuersi
import dk.akuersi.AkuersiException
import dk.akuersi.core.ActivityEntry
import dk.akuersi.core.DecisionOutcome
import dk.akuersi.core.Profile
import dk.akuersi.core.RequestView
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.emptyFlow
import kotlinx.coroutines.flow.flatMapLatest
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.withContext

/**
 * What the pending-requests screen shows at one moment.
 *
 * @property requests the live requests, each with its seconds left.
 * @property error the last refresh's failure (e.g. no network), or `null`;
 *   the requests are then the ones fetched before, still counting down.
 */
data class PendingSnapshot(
    val requests: List<RequestView>,
    val error: AkuersiException? = null,
)

/**
 * Coroutine-friendly wrapper around [Akuersi]: every call that may block
 * (storage, key store, PIN derivation, network) runs on [io]
 * (`Dispatchers.IO` by default), so it is safe to call from the main thread.
 * Errors arrive as [AkuersiException] subclasses, e.g.
 * [AkuersiException.WrongPin] with `attemptsLeft`.
 *
 * The wrapper holds no state of its own; share one per installation.
 */
class AkuersiClient(
    /** The installation; also usable directly from a background thread. */
    val core: Akuersi,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    /** See [Akuersi.profiles]. */
    suspend fun profiles(): List<Profile> = withContext(io) { core.profiles() }

    /** See [Akuersi.activate]. The PIN string is handed to Rust, which wipes its copy. */
    suspend fun activate(userId: String, activationCode: String, newPin: String, deviceName: String): Profile =
        withContext(io) { core.activate(userId, activationCode, newPin, deviceName) }

    /** See [Akuersi.setLanguage]. */
    suspend fun setLanguage(profileId: String, language: String) =
        withContext(io) { core.setLanguage(profileId, language) }

    /** See [Akuersi.refresh]: asks the service, so call it when the owner opens the app. */
    suspend fun refresh(profileId: String): List<RequestView> = withContext(io) { core.refresh(profileId) }

    /** See [Akuersi.pending]: no network, seconds left recomputed now. */
    suspend fun pending(profileId: String): List<RequestView> = withContext(io) { core.pending(profileId) }

    /** See [Akuersi.confirmChannel]: the code typed or QR value scanned from the initiating screen. */
    suspend fun confirmChannel(profileId: String, requestId: String, answer: String) =
        withContext(io) { core.confirmChannel(profileId, requestId, answer) }

    /** See [Akuersi.freeze]. */
    suspend fun freeze(profileId: String) = withContext(io) { core.freeze(profileId) }

    /** See [Akuersi.approve]. */
    suspend fun approve(profileId: String, requestId: String, pin: String): DecisionOutcome =
        withContext(io) { core.approve(profileId, requestId, pin) }

    /** See [Akuersi.reject]. */
    suspend fun reject(profileId: String, requestId: String): DecisionOutcome =
        withContext(io) { core.reject(profileId, requestId) }

    /** See [Akuersi.report]. */
    suspend fun report(profileId: String, requestId: String): DecisionOutcome =
        withContext(io) { core.report(profileId, requestId) }

    /** See [Akuersi.activity]. */
    suspend fun activity(profileId: String): List<ActivityEntry> = withContext(io) { core.activity(profileId) }

    /**
     * Pending requests of a profile while the app is in the foreground, for a
     * live list with countdowns.
     *
     * Whenever [foreground] turns `true` (the owner opened the app) the flow
     * asks the service ([Akuersi.refresh]), then emits the list every [tickMs]
     * with the seconds left recomputed (no network), and asks the service
     * again every [refreshEveryMs] while the owner keeps looking. When
     * [foreground] turns `false` it stops asking and emits nothing until the
     * app comes back: requests never pop up by themselves. A failed refresh
     * is reported in [PendingSnapshot.error] and the flow goes on.
     *
     * On Android pass `ProcessLifecycleOwner`'s state (see
     * `AkuersiAndroid.foregroundFlow()`); in tests a `MutableStateFlow`.
     */
    @OptIn(ExperimentalCoroutinesApi::class)
    fun pendingWhileForeground(
        profileId: String,
        foreground: Flow<Boolean>,
        tickMs: Long = 1_000,
        refreshEveryMs: Long = 15_000,
    ): Flow<PendingSnapshot> =
        foreground.distinctUntilChanged().flatMapLatest { visible ->
            if (!visible) {
                emptyFlow()
            } else {
                flow {
                    var sinceRefresh = 0L
                    var error: AkuersiException? = refreshOrError(profileId)
                    while (true) {
                        emit(PendingSnapshot(core.pending(profileId), error))
                        delay(tickMs)
                        sinceRefresh += tickMs
                        if (sinceRefresh >= refreshEveryMs) {
                            sinceRefresh = 0
                            error = refreshOrError(profileId)
                        }
                    }
                }.flowOn(io)
            }
        }

    private fun refreshOrError(profileId: String): AkuersiException? =
        try {
            core.refresh(profileId)
            null
        } catch (e: AkuersiException) {
            e
        }
}
