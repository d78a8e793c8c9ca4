//! The one canonical byte encoding used for everything that is signed, and the
//! base64url helpers used for bytes inside JSON.
//!
//! Canonical form (see docs/PROTOCOL.md, "Signed bytes"):
//! * a message starts with its domain tag, itself encoded as a string field, so
//!   that bytes signed for one purpose can never be read as another;
//! * `bytes`/`str`: 4-byte big-endian length, then the bytes (strings as UTF-8);
//! * `u8`: one byte; `u32`: 4 bytes big-endian; `u64`/`i64`: 8 bytes big-endian
//!   (two's complement for `i64`);
//! * `option`: one byte 0 (absent) or 1 (present) followed by the value;
//! * `list`: 4-byte big-endian count, then the items.
//!
//! There is exactly one encoding per value and a decoder that refuses trailing
//! or missing bytes, so decode → encode gives back the input.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Error from decoding canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed canonical bytes: {0}")]
pub struct DecodeError(pub &'static str);

/// Builds canonical bytes field by field.
#[derive(Debug)]
pub struct CanonicalWriter {
    buf: Vec<u8>,
}

impl CanonicalWriter {
    /// Start a message with its domain tag.
    pub fn new(domain: &str) -> Self {
        let mut w = Self {
            buf: Vec::with_capacity(256),
        };
        w.str(domain);
        w
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        // Every input is bounded far below 4 GiB by the message size limit.
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(b);
        self
    }

    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// Four bytes, big-endian.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Eight bytes, big-endian.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Eight bytes, big-endian two's complement.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A presence byte, then the value if present.
    pub fn option<T: ?Sized>(&mut self, v: Option<&T>, f: impl FnOnce(&mut Self, &T)) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(x) => {
                self.u8(1);
                f(self, x);
                self
            }
        }
    }

    /// A count, then each item.
    pub fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) -> &mut Self {
        self.u32(u32::try_from(items.len()).unwrap_or(u32::MAX));
        for item in items {
            f(self, item);
        }
        self
    }

    /// The finished bytes.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads canonical bytes back, refusing anything that is not exactly one encoding.
#[derive(Debug)]
pub struct CanonicalReader<'a> {
    rest: &'a [u8],
}

impl<'a> CanonicalReader<'a> {
    /// Start reading; fails unless the message begins with `domain`.
    pub fn new(input: &'a [u8], domain: &str) -> Result<Self, DecodeError> {
        let mut r = Self { rest: input };
        if r.str()? != domain {
            return Err(DecodeError("wrong domain tag"));
        }
        Ok(r)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError("truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.bytes()?).map_err(|_| DecodeError("string is not UTF-8"))
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    /// Four bytes, big-endian.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Eight bytes, big-endian.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// Eight bytes, big-endian two's complement.
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(self.u64()? as i64)
    }

    /// A presence byte; only 0 and 1 are accepted.
    pub fn present(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError("option flag must be 0 or 1")),
        }
    }

    /// A list count, bounded by `max` so that a hostile count cannot make us allocate.
    pub fn count(&mut self, max: u32) -> Result<u32, DecodeError> {
        let n = self.u32()?;
        if n > max {
            return Err(DecodeError("list too long"));
        }
        Ok(n)
    }

    /// Succeeds only if every byte was consumed.
    pub fn end(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError("trailing bytes"))
        }
    }
}

/// Encode bytes as unpadded base64url, the form used for every byte field in JSON.
pub fn b64_encode(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// Decode unpadded base64url.
pub fn b64_decode(s: &str) -> Result<Vec<u8>, DecodeError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| DecodeError("invalid base64url"))
}

/// Serde adapter: `Vec<u8>` as an unpadded base64url string.
pub mod b64 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize bytes as base64url.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::b64_encode(v))
    }

    /// Deserialize bytes from base64url.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::b64_decode(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for a P-256 signature (r ‖ s) as base64url: exactly 64
/// bytes, so a signature of another length is `malformed` when the message
/// is read, not a signature that merely fails to verify.
pub mod b64_signature {
    use serde::{Deserializer, Serializer};

    /// The length of an ECDSA P-256 signature in fixed (r ‖ s) form.
    pub const LEN: usize = 64;

    /// Serialize bytes as base64url.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        super::b64::serialize(v, s)
    }

    /// Deserialize 64 bytes from base64url; any other length is an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let v = super::b64::deserialize(d)?;
        if v.len() != LEN {
            return Err(serde::de::Error::custom(format_args!(
                "a signature is {LEN} bytes, not {}",
                v.len()
            )));
        }
        Ok(v)
    }
}

/// Serde adapter: `Zeroizing<Vec<u8>>` as an unpadded base64url string, for
/// secret fields (a PIN verifier's `w0`). The base64 text is built in a
/// zeroizing string too; both wipe themselves when dropped.
pub mod b64_secret {
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    /// Serialize secret bytes as base64url, through a zeroizing string.
    pub fn serialize<S: Serializer>(v: &Zeroizing<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(super::b64_encode(v));
        s.serialize_str(&text)
    }

    /// Deserialize secret bytes from base64url into a zeroizing buffer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Zeroizing<Vec<u8>>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let s = Zeroizing::new(s.into_owned());
        super::b64_decode(&s)
            .map(Zeroizing::new)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        let mut w = CanonicalWriter::new("test/v1");
        w.bytes(b"abc").str("æøå").u8(7).u32(9).u64(10).i64(-5);
        w.option(Some(&3u8), |w, v| {
            w.u8(*v);
        });
        w.list(&["x", "y"], |w, s| {
            w.str(s);
        });
        let bytes = w.finish();

        let mut r = CanonicalReader::new(&bytes, "test/v1").unwrap();
        assert_eq!(r.bytes().unwrap(), b"abc");
        assert_eq!(r.str().unwrap(), "æøå");
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.u32().unwrap(), 9);
        assert_eq!(r.u64().unwrap(), 10);
        assert_eq!(r.i64().unwrap(), -5);
        assert!(r.present().unwrap());
        assert_eq!(r.u8().unwrap(), 3);
        assert_eq!(r.count(10).unwrap(), 2);
        assert_eq!(r.str().unwrap(), "x");
        assert_eq!(r.str().unwrap(), "y");
        r.end().unwrap();

        assert!(CanonicalReader::new(&bytes, "other/v1").is_err());
        let read_all = |input: &[u8]| -> Result<(), DecodeError> {
            let mut r = CanonicalReader::new(input, "test/v1")?;
            r.bytes()?;
            r.str()?;
            r.u8()?;
            r.u32()?;
            r.u64()?;
            r.i64()?;
            r.present()?;
            r.u8()?;
            r.count(10)?;
            r.str()?;
            r.str()?;
            r.end()
        };
        assert!(read_all(&bytes).is_ok());
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(read_all(&longer), Err(DecodeError("trailing bytes")));
        assert_eq!(
            read_all(&bytes[..bytes.len() - 1]),
            Err(DecodeError("truncated"))
        );
    }

    #[test]
    fn domain_prevents_confusion_between_kinds() {
        let a = CanonicalWriter::new("akuersi/v1/a").finish();
        let b = CanonicalWriter::new("akuersi/v1/b").finish();
        assert_ne!(a, b);
    }

    #[test]
    fn hostile_counts_and_lengths_are_refused() {
        let mut w = CanonicalWriter::new("t");
        w.u32(u32::MAX);
        let bytes = w.finish();
        let mut r = CanonicalReader::new(&bytes, "t").unwrap();
        assert!(r.count(100).is_err());
        let mut r = CanonicalReader::new(&bytes, "t").unwrap();
        assert!(r.bytes().is_err());
    }

    #[test]
    fn base64url_round_trip() {
        let b = [0u8, 255, 62, 63];
        assert_eq!(b64_decode(&b64_encode(&b)).unwrap(), b);
        assert!(b64_decode("not base64!").is_err());
    }
}
