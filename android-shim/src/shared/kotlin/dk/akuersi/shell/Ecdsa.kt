package dk.akuersi.shell

import java.math.BigInteger
import java.security.interfaces.ECPublicKey

/**
 * Conversions between what Java's security providers (and Android Keystore)
 * produce and what the Akuersi core expects from a `KeyStore`: a 65-byte
 * uncompressed public key and a 64-byte `r ‖ s` signature.
 */
object Ecdsa {
    /** Bytes in one P-256 coordinate or scalar. */
    const val FIELD_BYTES = 32

    /** `0x04 ‖ x ‖ y`, each coordinate left-padded to 32 bytes. */
    fun uncompressedPoint(key: ECPublicKey): ByteArray {
        val out = ByteArray(1 + 2 * FIELD_BYTES)
        out[0] = 0x04
        fixed(key.w.affineX).copyInto(out, 1)
        fixed(key.w.affineY).copyInto(out, 1 + FIELD_BYTES)
        return out
    }

    /**
     * Turn an ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }` (what
     * `Signature.getInstance("SHA256withECDSA")` returns) into the 64-byte
     * `r ‖ s` form. Throws [IllegalArgumentException] on anything else.
     */
    fun derToRaw(der: ByteArray): ByteArray {
        var pos = 0
        fun byte(): Int {
            require(pos < der.size) { "truncated DER signature" }
            return der[pos++].toInt() and 0xff
        }
        fun length(): Int {
            val first = byte()
            if (first < 0x80) return first
            require(first == 0x81) { "unexpected DER length form" }
            return byte().also { require(it >= 0x80) { "non-minimal DER length" } }
        }
        fun integer(): BigInteger {
            require(byte() == 0x02) { "expected a DER INTEGER" }
            val len = length()
            require(len in 1..(FIELD_BYTES + 1) && pos + len <= der.size) { "bad DER INTEGER length" }
            val value = BigInteger(1, der.copyOfRange(pos, pos + len))
            pos += len
            return value
        }
        require(byte() == 0x30) { "expected a DER SEQUENCE" }
        val seqLen = length()
        require(pos + seqLen == der.size) { "DER SEQUENCE length does not match" }
        val r = integer()
        val s = integer()
        require(pos == der.size) { "trailing bytes after the DER signature" }
        return fixed(r) + fixed(s)
    }

    /** `value` as exactly 32 unsigned big-endian bytes. */
    private fun fixed(value: BigInteger): ByteArray {
        val bytes = value.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
        require(bytes.size <= FIELD_BYTES) { "value does not fit in $FIELD_BYTES bytes" }
        return ByteArray(FIELD_BYTES - bytes.size) + bytes
    }
}
