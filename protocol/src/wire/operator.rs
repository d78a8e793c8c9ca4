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
