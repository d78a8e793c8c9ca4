//! Identities and activation codes: the operator calls that create an
//! identity and issue its codes, and how codes are written and stored.

use akuersi_protocol::activity::ActivityKind;
use akuersi_protocol::crypto::{random_array, random_id, sha256};
use akuersi_protocol::identity::UserId;
use akuersi_protocol::wire::{CodeChannel, ErrorCode, IssueActivationCodeResponse};

use super::{err, log, Service};
use crate::error::{Result, ServiceError};
use crate::storage::{NewActivationCode, NewIdentity, Outcome};

/// Alphabet of activation codes: no 0/O, 1/I/L.
/// Crockford's base32 alphabet: no I, L, O or U, so codes read aloud or typed
/// from paper are hard to get wrong.
pub(crate) const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in an activation code (60 bits).
const CODE_CHARS: usize = 12;
/// Wrong tries after which an activation code is blocked.
pub(crate) const CODE_MAX_FAILURES: u32 = 3;

/// Unkeyed code hash; see [`Service::code_hash`] for what is stored.
fn hash_code(normalized: &str) -> [u8; 32] {
    sha256(&[b"akuersi/v1/activation-code", normalized.as_bytes()])
}

/// Upper-case, drop spaces and dashes; `None` unless 12 characters of the alphabet remain.
pub(crate) fn normalize_code(input: &str) -> Option<String> {
    // Crockford's reading rules: O is 0, I and L are 1; case does not matter.
    let s: String = input
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (s.len() == CODE_CHARS && s.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(s)
}

impl Service {
    /// What is stored for an activation code: HMAC-SHA256 under a key only
    /// the service holds, so a copy of the codes table alone cannot be
    /// searched for the (60-bit) codes.
    /// The key lives outside the database (`crate::keys`).
    pub(crate) fn code_hash(&self, normalized: &str) -> Result<[u8; 32]> {
        self.keys.code_mac(&hash_code(normalized))
    }

    /// Create an identity for a new user ID. Writes state.
    pub fn create_identity(&self, user_id: &str) -> Result<String> {
        let user =
            UserId::parse(user_id).map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        let identity_id = random_id().map_err(ServiceError::internal)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let taken = tx.user_key_taken(user.key())?;
            if taken {
                return Err(err(ErrorCode::IdentityExists, "this user ID is taken"));
            }
            tx.insert_identity(&NewIdentity {
                identity_id: &identity_id,
                user_id: user.as_str(),
                user_key: user.key(),
                created_at_ms: now,
            })?;
            log(
                tx,
                &identity_id,
                now,
                ActivityKind::IdentityCreated,
                None,
                None,
                "identity created",
            )?;
            Ok(Outcome::Done(()))
        })?;
        Ok(identity_id)
    }

    /// Issue a one-time activation code for a user ID: 48 hours on paper,
    /// 30 minutes by SMS. Writes state.
    pub fn issue_activation_code(
        &self,
        user_id: &str,
        channel: CodeChannel,
    ) -> Result<IssueActivationCodeResponse> {
        let user =
            UserId::parse(user_id).map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        let raw = random_array::<CODE_CHARS>().map_err(ServiceError::internal)?;
        let code: String = raw
            .iter()
            .map(|b| CODE_ALPHABET[(*b & 31) as usize] as char)
            .collect();
        let now = self.now_ms();
        let expires_at_ms = now + channel.lifetime_ms();
        let channel_name = match channel {
            CodeChannel::Paper => "paper",
            CodeChannel::Sms => "sms",
        };
        self.db.write(|tx| {
            let identity_id: String = tx
                .identity_by_user_key(user.key())?
                .ok_or_else(|| err(ErrorCode::InvalidUserId, "no identity has this user ID"))?;
            tx.insert_activation_code(&NewActivationCode {
                identity_id: &identity_id,
                code_hash: &self.code_hash(&code)?,
                channel: channel_name,
                issued_at_ms: now,
                expires_at_ms,
            })?;
            log(
                tx,
                &identity_id,
                now,
                ActivityKind::ActivationCodeIssued,
                None,
                None,
                &format!("activation code issued ({channel_name})"),
            )?;
            Ok(Outcome::Done(()))
        })?;
        let grouped = format!("{}-{}-{}", &code[0..4], &code[4..8], &code[8..12]);
        Ok(IssueActivationCodeResponse {
            code: grouped,
            expires_at_ms,
        })
    }
}
