//! The approval statement: the exact bytes a device signs when the owner
//! approves, rejects or reports a request. It binds everything the owner was
//! shown and everything the service checks, so that changing any byte of it
//! makes the signature fail.

use serde::{Deserialize, Serialize};

use crate::crypto::{device_id_for, verify_p256};
use crate::encoding::{b64, CanonicalReader, CanonicalWriter, DecodeError};
use crate::request::{Action, Amount, LocalizedText, MAX_LANGUAGES};
use crate::wire::PendingRequest;

/// Domain tag of the approval statement.
pub const APPROVAL_DOMAIN: &str = "akuersi/v1/approval-statement";

/// What the owner decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Decision {
    /// The owner approved, proving the PIN.
    Approve,
    /// The owner declined.
    Reject,
    /// The owner declined and said they did not start this request.
    Report,
}

impl Decision {
    /// Stable wire name, also used in the signed bytes.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
            Decision::Report => "report",
        }
    }

    /// Parse a wire name.
    pub fn from_wire(s: &str) -> Option<Self> {
        Some(match s {
            "approve" => Decision::Approve,
            "reject" => Decision::Reject,
            "report" => Decision::Report,
            _ => return None,
        })
    }
}

/// The public part of the PIN proof (SPAKE2+) that an approval is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PakeBinding {
    /// The service's id for the PIN-proof session.
    pub session_id: String,
    /// The device's share (65 bytes, uncompressed P-256 point).
    #[serde(with = "b64")]
    pub share_p: Vec<u8>,
    /// The service's share (65 bytes).
    #[serde(with = "b64")]
    pub share_v: Vec<u8>,
}

/// Everything a device signs for one decision. See docs/PROTOCOL.md, "Approval statement".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalStatement {
    /// The request's id.
    pub request_id: String,
    /// The service's random nonce for the request (32 bytes).
    pub nonce: Vec<u8>,
    /// Who asks.
    pub requester_id: String,
    /// The requester's display name as the owner saw it: the service's
    /// registry name in the owner's language, never the requester's own words.
    pub requester_name: String,
    /// The action verb.
    pub action: Action,
    /// Every language's text, sorted by language code.
    pub texts: Vec<LocalizedText>,
    /// The amount shown, if any.
    pub amount: Option<Amount>,
    /// The account number shown, if any.
    pub account: Option<String>,
    /// Absolute expiry, milliseconds since the epoch, by the service's clock.
    pub expires_at_ms: i64,
    /// The decision.
    pub decision: Decision,
    /// The deciding device.
    pub device_id: String,
    /// The PIN proof the approval rests on (present for approvals).
    pub pake: Option<PakeBinding>,
    /// The channel-binding answer the owner entered, when the request asked for one.
    pub channel_binding: Option<String>,
}

impl ApprovalStatement {
    /// The statement that decides `request` (as a device fetched it, or as
    /// the service holds it): the one place where a request's fields become
    /// what is signed, for the app, the service and every test device.
    pub fn for_request(
        request: &PendingRequest,
        decision: Decision,
        device_id: &str,
        pake: Option<PakeBinding>,
        channel_binding: Option<String>,
    ) -> Self {
        ApprovalStatement {
            request_id: request.request_id.clone(),
            nonce: request.nonce.clone(),
            requester_id: request.requester_id.clone(),
            requester_name: request.requester_name.clone(),
            action: request.action,
            texts: request.texts.clone(),
            amount: request.amount.clone(),
            account: request.account.clone(),
            expires_at_ms: request.expires_at_ms,
            decision,
            device_id: device_id.to_owned(),
            pake,
            channel_binding,
        }
    }

    /// The canonical bytes to sign.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = CanonicalWriter::new(APPROVAL_DOMAIN);
        w.str(&self.request_id)
            .bytes(&self.nonce)
            .str(&self.requester_id)
            .str(&self.requester_name)
            .str(self.action.as_str())
            .list(&self.texts, |w, t| {
                w.str(&t.lang).str(&t.header).str(&t.body);
            })
            .option(self.amount.as_ref(), |w, a| {
                w.i64(a.minor_units).str(&a.currency);
            })
            .option(self.account.as_deref(), |w, a| {
                w.str(a);
            })
            .i64(self.expires_at_ms)
            .str(self.decision.as_str())
            .str(&self.device_id)
            .option(self.pake.as_ref(), |w, p| {
                w.str(&p.session_id).bytes(&p.share_p).bytes(&p.share_v);
            })
            .option(self.channel_binding.as_ref(), |w, c| {
                w.str(c);
            });
        w.finish()
    }

    /// Parse canonical bytes back into a statement; anything else is refused.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = CanonicalReader::new(bytes, APPROVAL_DOMAIN)?;
        let request_id = r.str()?.to_owned();
        let nonce = r.bytes()?.to_vec();
        let requester_id = r.str()?.to_owned();
        let requester_name = r.str()?.to_owned();
        let action = Action::from_wire(r.str()?).ok_or(DecodeError("unknown action"))?;
        let n = r.count(MAX_LANGUAGES as u32)?;
        let mut texts = Vec::with_capacity(n as usize);
        for _ in 0..n {
            texts.push(LocalizedText {
                lang: r.str()?.to_owned(),
                header: r.str()?.to_owned(),
                body: r.str()?.to_owned(),
            });
        }
        let amount = if r.present()? {
            Some(Amount {
                minor_units: r.i64()?,
                currency: r.str()?.to_owned(),
            })
        } else {
            None
        };
        let account = if r.present()? {
            Some(r.str()?.to_owned())
        } else {
            None
        };
        let expires_at_ms = r.i64()?;
        let decision = Decision::from_wire(r.str()?).ok_or(DecodeError("unknown decision"))?;
        let device_id = r.str()?.to_owned();
        let pake = if r.present()? {
            Some(PakeBinding {
                session_id: r.str()?.to_owned(),
                share_p: r.bytes()?.to_vec(),
                share_v: r.bytes()?.to_vec(),
            })
        } else {
            None
        };
        let channel_binding = if r.present()? {
            Some(r.str()?.to_owned())
        } else {
            None
        };
        r.end()?;
        Ok(Self {
            request_id,
            nonce,
            requester_id,
            requester_name,
            action,
            texts,
            amount,
            account,
            expires_at_ms,
            decision,
            device_id,
            pake,
            channel_binding,
        })
    }
}

/// The device's signed evidence for a decision, as the requester receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The deciding device's id.
    pub device_id: String,
    /// Its public key (uncompressed SEC1 P-256).
    #[serde(with = "b64")]
    pub device_public_key: Vec<u8>,
    /// The canonical approval statement bytes.
    #[serde(with = "b64")]
    pub statement: Vec<u8>,
    /// ECDSA P-256/SHA-256 signature (r ‖ s) over `statement`.
    #[serde(with = "crate::encoding::b64_signature")]
    pub signature: Vec<u8>,
}

/// Why evidence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// The statement bytes are not a canonical statement.
    #[error(transparent)]
    Malformed(#[from] DecodeError),
    /// The signature does not verify under the given key.
    #[error("the device signature does not verify")]
    BadSignature,
    /// The device id does not belong to the public key, or to the statement.
    #[error("the device id does not match the key or the statement")]
    DeviceMismatch,
    /// The statement decides another requester's request.
    #[error("the statement is for another requester")]
    OtherRequester,
}

impl Evidence {
    /// Check the signature, that key, id and statement belong together, and
    /// that the statement decides a request of `requester_id` (the requester
    /// verifying); return the statement the device signed. A requester should
    /// also check that the request id, decision, texts, expiry, its name and
    /// the channel-binding answer are the ones it expects.
    pub fn verify(&self, requester_id: &str) -> Result<ApprovalStatement, EvidenceError> {
        if device_id_for(&self.device_public_key) != self.device_id {
            return Err(EvidenceError::DeviceMismatch);
        }
        verify_p256(&self.device_public_key, &self.statement, &self.signature)
            .map_err(|_| EvidenceError::BadSignature)?;
        let statement = ApprovalStatement::decode(&self.statement)?;
        if statement.device_id != self.device_id {
            return Err(EvidenceError::DeviceMismatch);
        }
        if statement.requester_id != requester_id {
            return Err(EvidenceError::OtherRequester);
        }
        Ok(statement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> ApprovalStatement {
        ApprovalStatement {
            request_id: "0123456789abcdef0123456789abcdef".into(),
            nonce: vec![7; 32],
            requester_id: "demo-bank".into(),
            requester_name: "Demo Bank".into(),
            action: Action::LogOn,
            texts: vec![
                LocalizedText {
                    lang: "da".into(),
                    header: "Log på".into(),
                    body: "Log på Demo Bank".into(),
                },
                LocalizedText {
                    lang: "kl".into(),
                    header: "Iserit".into(),
                    body: "Demo Bank-mut iserit".into(),
                },
            ],
            amount: Some(Amount {
                minor_units: 900_000,
                currency: "DKK".into(),
            }),
            account: Some("GL8964710001000206".into()),
            expires_at_ms: 1_800_000_300_000,
            decision: Decision::Approve,
            device_id: "fedcba9876543210fedcba9876543210".into(),
            pake: Some(PakeBinding {
                session_id: "00112233445566778899aabbccddeeff".into(),
                share_p: vec![4; 65],
                share_v: vec![4; 65],
            }),
            channel_binding: None,
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        let s = sample();
        let bytes = s.encode();
        assert_eq!(ApprovalStatement::decode(&bytes).unwrap(), s);
        let mut s2 = s.clone();
        s2.pake = None;
        s2.channel_binding = Some("4711".into());
        assert_eq!(ApprovalStatement::decode(&s2.encode()).unwrap(), s2);
    }

    #[test]
    fn every_field_changes_the_bytes() {
        let base = sample().encode();
        let mutations: Vec<fn(&mut ApprovalStatement)> = vec![
            |s| s.request_id.push('0'),
            |s| s.nonce[0] ^= 1,
            |s| s.requester_id.push('x'),
            |s| s.requester_name.push('x'),
            |s| s.action = Action::Sign,
            |s| s.texts[0].body.push('x'),
            |s| s.texts[1].header.push('x'),
            |s| s.texts[1].lang = "en".into(),
            |s| s.expires_at_ms += 1,
            |s| s.amount.as_mut().unwrap().minor_units = 90_000,
            |s| s.amount.as_mut().unwrap().currency = "EUR".into(),
            |s| s.account = None,
            |s| s.decision = Decision::Reject,
            |s| s.device_id.push('0'),
            |s| s.pake = None,
            |s| s.channel_binding = Some(String::new()),
        ];
        for m in mutations {
            let mut s = sample();
            m(&mut s);
            assert_ne!(s.encode(), base);
        }
    }

    #[test]
    fn evidence_verifies_only_for_the_requester_it_decides() {
        use ring::rand::SystemRandom;
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng).unwrap();
        let public = pair.public_key().as_ref().to_vec();
        let mut st = sample();
        st.device_id = device_id_for(&public);
        let statement = st.encode();
        let evidence = Evidence {
            device_id: st.device_id.clone(),
            device_public_key: public,
            signature: pair.sign(&rng, &statement).unwrap().as_ref().to_vec(),
            statement,
        };
        assert_eq!(evidence.verify("demo-bank").unwrap(), st);
        assert_eq!(
            evidence.verify("other-bank"),
            Err(EvidenceError::OtherRequester)
        );
        assert_eq!(evidence.verify(""), Err(EvidenceError::OtherRequester));
    }
}
