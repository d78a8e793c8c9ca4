package dk.akuersi.bench

import dk.akuersi.Akuersi
import dk.akuersi.TestService
import dk.akuersi.Transport
import dk.akuersi.core.RequestView
import dk.akuersi.protocol.TransportResponse
import dk.akuersi.defaultConfig
import dk.akuersi.defaultKdfIterations
import java.io.File
import java.nio.file.Files

/**
 * An installation enrolled against the in-process test service, with
 * [requests] requests fetched by `refresh` and waiting, for FfiBench to list.
 *
 * Written in Kotlin because the setup needs Kotlin-only API (the unsigned
 * kdfIterations, default arguments); the benchmark class itself is Java so that
 * JMH's annotation processor sees it. The database is a real file in a temporary
 * directory, as on a phone: ":memory:" would make `pending`'s two SQLite look-ups
 * cheaper than they are in an app.
 *
 * The service keeps at most one request waiting per user ID (a second one is
 * refused with pending_request_exists), so a profile really has 0 or 1. For more
 * than one, [WideningTransport] copies the one the service sent under new ids in
 * the answer to /v1/device/pending: the core parses, checks, caches and lists
 * them exactly as if the service had sent them.
 */
class PendingFixture(val requests: Int) : AutoCloseable {
    private val dir: File = Files.createTempDirectory("akuersi-jmh").toFile()
    val service = TestService()
    val app: Akuersi
    val profileId: String

    init {
        require(requests >= 1) { "at least one request to list" }
        // 1,000 PBKDF2 iterations: activation is setup, not what is measured.
        val config = defaultConfig(File(dir, "akuersi.sqlite").path, "android").copy(kdfIterations = 1_000u)
        val transport = if (requests == 1) service.transport() else WideningTransport(service.transport(), requests)
        app = service.openApp(config, transport, null, null)
        service.createIdentity(USER)
        profileId = app.activate(USER, service.issueActivationCode(USER), PIN, "JMH").profileId
        service.createLogOn(USER, null)
        // The one call that asks the service; `pending` then lists what it fetched.
        val fetched = app.refresh(profileId).size
        check(fetched == requests) { "refresh fetched $fetched requests, expected $requests" }
        // The service's test clock stands still unless advanced, so the requests
        // (300 s lifetime) do not lapse while the benchmark runs.
        val listed = listed()
        check(listed == requests) { "pending lists $listed requests, expected $requests" }
    }

    /** What the benchmark calls: the requests fetched at the last refresh, from the core's cache and the local database. */
    fun pending(): List<RequestView> = app.pending(profileId)

    fun listed(): Int = pending().size

    override fun close() {
        app.destroy()
        service.destroy()
        dir.deleteRecursively()
    }

    companion object {
        private const val USER = "Aviaja.K-1970"
        private const val PIN = "482916"

        /**
         * `defaultKdfIterations()`, the cheapest exported call: no argument, a u32
         * back, no allocation or I/O on either side. It returns kotlin.UInt, and
         * Java cannot call a top-level Kotlin function returning an inline class
         * by name; this forwarder has an Int signature and is inlined by the JIT
         * (UInt is an inline class: toInt() costs nothing).
         */
        @JvmStatic
        fun trivial(): Int = defaultKdfIterations().toInt()
    }
}

/**
 * Passes everything to [inner]; in a 200 answer to /v1/device/pending, repeats
 * the single waiting request until there are [copies], each with its own
 * request_id. The answer is plain JSON from the same service, so this only
 * rewrites the "requests" array and leaves every field's value as sent.
 */
class WideningTransport(private val inner: Transport, private val copies: Int) : Transport {
    override fun post(path: String, body: ByteArray): TransportResponse {
        val answer = inner.post(path, body)
        if (path != "/v1/device/pending" || answer.status.toInt() != 200) return answer
        val json = answer.body.toString(Charsets.UTF_8)
        val open = json.indexOf("\"requests\":[")
        check(open >= 0) { "no requests array in the pending answer: $json" }
        val start = open + "\"requests\":[".length
        val end = closingBracket(json, start - 1)
        val one = json.substring(start, end)
        check(one.startsWith("{") && closingBracket(json, start) == end - 1) {
            "expected exactly one waiting request in the pending answer: $json"
        }
        val id = Regex("\"request_id\":\"([^\"]+)\"").find(one)?.groupValues?.get(1)
            ?: error("no request_id in $one")
        val widened = (0 until copies).joinToString(",") { i ->
            if (i == 0) one else one.replace("\"request_id\":\"$id\"", "\"request_id\":\"$id-copy$i\"")
        }
        val rewritten = json.substring(0, start) + widened + json.substring(end)
        return answer.copy(body = rewritten.toByteArray(Charsets.UTF_8))
    }

    /** Index of the bracket or brace closing the one at [at], skipping JSON strings. */
    private fun closingBracket(s: String, at: Int): Int {
        var depth = 0
        var inString = false
        var i = at
        while (i < s.length) {
            val c = s[i]
            if (inString) {
                if (c == '\\') i++ else if (c == '"') inString = false
            } else when (c) {
                '"' -> inString = true
                '[', '{' -> depth++
                ']', '}' -> if (--depth == 0) return i
            }
            i++
        }
        error("unbalanced JSON: $s")
    }
}
