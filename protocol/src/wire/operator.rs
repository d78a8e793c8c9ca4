//! Operator (support) ↔ service.

use super::care::NotificationItem;
use serde::{Deserialize, Serialize};

/// Operator → service: create an identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIdentity {
    /// Operator token given to the service at start-up.
    pub token: String,
    /// The owner's chosen user ID.
    pub user_id: String,
}

/// Service → operator: the identity exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIdentityResponse {
    /// The new identity's id.
    pub identity_id: String,
}

/// How an activation code reaches the owner; it sets the code's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum CodeChannel {
    /// Printed on paper at a service desk: valid 48 hours.
    Paper,
    /// Sent by SMS: valid 30 minutes.
    Sms,
}

impl CodeChannel {
    /// How long a code sent this way stays valid, in milliseconds.
    pub fn lifetime_ms(self) -> i64 {
        match self {
            CodeChannel::Paper => 48 * 3600 * 1000,
            CodeChannel::Sms => 30 * 60 * 1000,
        }
    }
}

/// Operator → service: issue an activation code for a user ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueActivationCode {
    /// Operator token.
    pub token: String,
    /// The owner's user ID.
    pub user_id: String,
    /// Paper or SMS.
    pub channel: CodeChannel,
}

/// Service → operator: the code, to hand to the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueActivationCodeResponse {
    /// The code, in groups of four characters.
    pub code: String,
    /// When it lapses.
    pub expires_at_ms: i64,
}

/// Operator → service: freeze or unfreeze an identity (support route).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorFreeze {
    /// Operator token.
    pub token: String,
    /// The owner's user ID.
    pub user_id: String,
    /// True to freeze, false to unfreeze.
    pub frozen: bool,
}

/// Operator → service: set an identity's contact data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorSetContact {
    /// Operator token.
    pub token: String,
    /// The owner's user ID.
    pub user_id: String,
    /// Phone number, or none.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail address, or none.
    #[serde(default)]
    pub email: Option<String>,
}

/// Operator → service: read the notification outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorOutbox {
    /// Operator token.
    pub token: String,
    /// Only this user ID's notifications, or all.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Only after this id.
    #[serde(default)]
    pub after_id: u64,
}

/// Service → operator: outbox entries of every channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxResponse {
    /// Oldest first.
    pub items: Vec<NotificationItem>,
}

/// A requester's display names, one per language the app speaks; the owner
/// reads the one in their language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterNames {
    /// Kalaallisut.
    pub kl: String,
    /// Danish.
    pub da: String,
    /// English.
    pub en: String,
}

impl RequesterNames {
    /// The name in `language` ("kl", "da"; anything else gets English).
    pub fn for_language(&self, language: &str) -> &str {
        match language {
            "kl" => &self.kl,
            "da" => &self.da,
            _ => &self.en,
        }
    }
}

/// A channel-binding mode a requester may ask for; `none` is a request
/// without channel binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelMode {
    /// No channel binding.
    None,
    /// A 4-digit code.
    Code,
    /// An animated QR value.
    Qr,
}

impl ChannelMode {
    /// Stable wire name (also stored by the reference service).
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelMode::None => "none",
            ChannelMode::Code => "code",
            ChannelMode::Qr => "qr",
        }
    }

    /// Parse a wire name.
    pub fn from_wire(s: &str) -> Option<Self> {
        Some(match s {
            "none" => ChannelMode::None,
            "code" => ChannelMode::Code,
            "qr" => ChannelMode::Qr,
            _ => return None,
        })
    }

    /// The mode of a create's `channel_binding`.
    pub fn of(kind: Option<super::ChannelBindingKind>) -> Self {
        match kind {
            None => ChannelMode::None,
            Some(super::ChannelBindingKind::Code) => ChannelMode::Code,
            Some(super::ChannelBindingKind::Qr) => ChannelMode::Qr,
        }
    }
}

/// A registered requester as the operator sets it and reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterInfo {
    /// Stable id, `[a-z0-9._-]{1,64}`.
    pub requester_id: String,
    /// The names the owner reads.
    pub names: RequesterNames,
    /// The actions it may ask for (at least one).
    pub actions: Vec<crate::request::Action>,
    /// The channel-binding modes it may use (at least one).
    pub channel_modes: Vec<ChannelMode>,
    /// Most creates in any 60 seconds (at least 1).
    pub max_per_minute: u32,
    /// Most creates in any hour (at least 1).
    pub max_per_hour: u32,
    /// Its credential: a P-256 public key, uncompressed SEC1 (65 bytes).
    #[serde(with = "crate::encoding::b64")]
    pub public_key: Vec<u8>,
    /// When it was registered (service clock; ignored on registration).
    #[serde(default)]
    pub registered_at_ms: i64,
    /// When it was revoked, if it was (ignored on registration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at_ms: Option<i64>,
}

/// Operator → service: register a requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequester {
    /// Operator token.
    pub token: String,
    /// The requester.
    pub requester: RequesterInfo,
}

/// Operator → service: list the registered requesters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListRequesters {
    /// Operator token.
    pub token: String,
}

/// Service → operator: every registered requester, revoked ones included, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterList {
    /// The requesters.
    pub requesters: Vec<RequesterInfo>,
}

/// Operator → service: revoke a requester; its calls are refused from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequester {
    /// Operator token.
    pub token: String,
    /// The requester.
    pub requester_id: String,
}
