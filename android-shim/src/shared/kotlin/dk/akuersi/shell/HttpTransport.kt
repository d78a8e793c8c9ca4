package dk.akuersi.shell

import dk.akuersi.AkuersiException
import dk.akuersi.Transport
import dk.akuersi.protocol.TransportResponse
import java.io.IOException
import java.io.InputStream
import java.net.HttpURLConnection
import java.net.URL

/**
 * A [Transport] on the platform's own HTTP stack ([HttpURLConnection], which
 * Android backs with its system TLS and the JVM with its own), so the library
 * carries no network code.
 *
 * Each call POSTs the JSON body to `baseUrl + path` and hands back status and
 * body whatever the status is: the core reads the service's error bodies
 * itself. A failure to connect, a timeout or an answer over [maxBodyBytes]
 * becomes [AkuersiException.Network], after which the core has changed
 * nothing and the call can be retried.
 *
 * Blocking: [post] blocks until the answer comes. The core calls it on the
 * thread that called into `Akuersi`, which [AkuersiClient] keeps on
 * `Dispatchers.IO`.
 *
 * @param baseUrl the identity service, e.g. `https://id.example.gl` (no trailing slash needed).
 * @param connectTimeoutMs how long to wait for a connection.
 * @param readTimeoutMs how long to wait for the answer.
 */
class HttpTransport(
    baseUrl: String,
    private val connectTimeoutMs: Int = 10_000,
    private val readTimeoutMs: Int = 30_000,
    private val maxBodyBytes: Int = 64 * 1024,
) : Transport {
    private val base = baseUrl.trimEnd('/')

    override fun post(path: String, body: ByteArray): TransportResponse {
        if (!path.startsWith("/")) throw AkuersiException.Network("bad path")
        val connection = try {
            URL(base + path).openConnection() as HttpURLConnection
        } catch (e: IOException) {
            throw AkuersiException.Network(describe(e))
        }
        try {
            connection.requestMethod = "POST"
            connection.connectTimeout = connectTimeoutMs
            connection.readTimeout = readTimeoutMs
            connection.doOutput = true
            connection.useCaches = false
            connection.instanceFollowRedirects = false
            connection.setRequestProperty("Content-Type", "application/json")
            connection.setRequestProperty("Accept", "application/json")
            connection.setFixedLengthStreamingMode(body.size)
            connection.outputStream.use { it.write(body) }
            val status = connection.responseCode
            val stream = if (status >= 400) connection.errorStream else connection.inputStream
            val answer = stream?.use { readLimited(it) } ?: ByteArray(0)
            return TransportResponse(status.toUShort(), answer)
        } catch (e: IOException) {
            throw AkuersiException.Network(describe(e))
        } finally {
            connection.disconnect()
        }
    }

    private fun readLimited(input: InputStream): ByteArray {
        val out = java.io.ByteArrayOutputStream()
        val buf = ByteArray(8192)
        while (true) {
            val n = input.read(buf)
            if (n < 0) break
            if (out.size() + n > maxBodyBytes) throw IOException("the answer is larger than $maxBodyBytes bytes")
            out.write(buf, 0, n)
        }
        return out.toByteArray()
    }

    // Only the exception's kind and message: they come from the network
    // stack and hold no secrets (the body is never echoed).
    private fun describe(e: IOException): String =
        "${e.javaClass.simpleName}: ${e.message ?: "no detail"}"
}
