//! Identity care: devices, freeze, status, notifications, the activity log,
//! user ID, contact data, settings and the PIN.

use super::device::PakeProof;
use super::enrollment::VerifierRegistration;
use crate::encoding::b64;
use serde::{Deserialize, Serialize};

/// A plain "done" answer with the service's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: the identity's devices (signed, empty body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceListQuery {}
signed_body!(DeviceListQuery, "akuersi/v1/device/devices", |s, w| {});

wire_enum! {
    /// Where a device stands with its PIN attempts.
    DeviceStatus {
        /// Usable.
        Active = "active",
        /// Too many wrong PINs: paused for a while.
        Suspended = "suspended",
        /// Too many wrong PINs: needs a new activation.
        Blocked = "blocked",
    }
}

wire_enum! {
    /// Where a device addition stands.
    AdditionStatus {
        /// In its waiting period; any device can veto it.
        Waiting = "waiting",
        /// Waiting period over: the pairing code may be shown.
        Ready = "ready",
        /// The new device joined.
        Completed = "completed",
        /// A device of the identity stopped it (or a freeze did).
        Vetoed = "vetoed",
        /// Closed after too many wrong pairing proofs.
        Failed = "failed",
        /// Not completed in time.
        Lapsed = "lapsed",
    }
}

wire_enum! {
    /// A channel the identity is told things on.
    Channel {
        /// In the app, when it is opened.
        App = "app",
        /// By text message to the registered phone.
        Sms = "sms",
        /// By e-mail to the registered address.
        Email = "email",
    }
}

/// A device as the owner sees it in the device list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSummary {
    /// Device id.
    pub device_id: String,
    /// Name.
    pub name: String,
    /// Platform label.
    pub platform: String,
    /// Active, suspended or blocked.
    pub status: DeviceStatus,
    /// When it was enrolled.
    pub enrolled_at_ms: i64,
    /// When it was last used.
    pub last_used_at_ms: i64,
}

/// Service → device: the identity's active devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceListResponse {
    /// Devices, oldest first.
    pub devices: Vec<DeviceSummary>,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: rename a device of the identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameDevice {
    /// The device to rename (this one or another).
    pub device_id: String,
    /// The new name (1–40 visible characters).
    pub name: String,
}
signed_body!(RenameDevice, "akuersi/v1/device/rename", |s, w| {
    w.str(&s.device_id).str(&s.name);
});

/// Device → service: remove a device (PIN proof with purpose `remove_device`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveDevice {
    /// The device to remove.
    pub device_id: String,
    /// Set to remove the identity's last device (it then needs a new activation code).
    pub allow_last: bool,
    /// The PIN proof.
    pub pake: PakeProof,
}
signed_body!(RemoveDevice, "akuersi/v1/device/remove", |s, w| {
    w.str(&s.device_id).u8(u8::from(s.allow_last));
    s.pake.encode(w);
});

/// Device → service: freeze the whole identity at once (no PIN needed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freeze {}
signed_body!(Freeze, "akuersi/v1/device/freeze", |s, w| {});

/// Device → service: one proof towards lifting a freeze: this device's PIN,
/// plus optionally an activation code as the second proof. Without a code, a
/// second active device must send its own `Unfreeze` within 15 minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unfreeze {
    /// PIN proof with purpose `unfreeze`.
    pub pake: PakeProof,
    /// An activation code issued to the owner, as the second proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_code: Option<String>,
}
signed_body!(Unfreeze, "akuersi/v1/device/unfreeze", |s, w| {
    s.pake.encode(w);
    w.option(s.activation_code.as_ref(), |w, c| {
        w.str(c);
    });
});

/// Service → device: where the unfreeze stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnfreezeResponse {
    /// True once the identity is no longer frozen.
    pub unfrozen: bool,
    /// True when this proof was recorded and a second one is still needed.
    pub waiting_for_second_proof: bool,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: the identity's state (frozen, device additions under
/// way, channels, settings). Signed, empty body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityStatusQuery {}
signed_body!(IdentityStatusQuery, "akuersi/v1/device/status", |s, w| {});

/// A device addition under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AdditionView {
    /// Id of the addition.
    pub addition_id: String,
    /// Waiting (veto possible), ready (pairing may be shown), or closed.
    pub status: AdditionStatus,
    /// The device that started it.
    pub started_by: String,
    /// When it started.
    pub started_at_ms: i64,
    /// End of the waiting period.
    pub wait_until_ms: i64,
}

/// Service → device: the identity's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityStatus {
    /// The user ID as the owner chose it.
    pub user_id: String,
    /// The service's id for the identity (as activation answers it).
    pub identity_id: String,
    /// The service's activity-log signing key (as activation answers it), so
    /// that a device whose activation answer was lost can finish enrolling.
    #[serde(with = "b64")]
    pub service_public_key: Vec<u8>,
    /// True while the identity is frozen.
    pub frozen: bool,
    /// Device additions waiting or ready.
    pub additions: Vec<AdditionView>,
    /// Channels set up: always the app, plus SMS and e-mail when contact data exists.
    pub channels: Vec<Channel>,
    /// The owner opted in to a notice on every use.
    pub notify_every_use: bool,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Most notifications one answer carries (device notifications and the
/// operator outbox); ask again after the last id for more.
pub const MAX_NOTIFICATION_PAGE: u32 = 64;

/// Device → service: app-channel notifications after `after_id`, at most
/// [`MAX_NOTIFICATION_PAGE`] of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsQuery {
    /// Only notifications with a larger id (0 for all).
    pub after_id: u64,
}
signed_body!(
    NotificationsQuery,
    "akuersi/v1/device/notifications",
    |s, w| {
        w.u64(s.after_id);
    }
);

/// A notification as a channel carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NotificationItem {
    /// Increasing id.
    pub id: u64,
    /// When.
    pub at_ms: i64,
    /// The channel it went out on.
    pub channel: Channel,
    /// Phone number or e-mail address (empty for the app channel).
    pub address: String,
    /// Event name ("device_addition_started", "identity_frozen", …).
    pub event: String,
    /// The rendered message.
    pub text: String,
}

/// Service → device: app-channel notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsResponse {
    /// Oldest first.
    pub items: Vec<NotificationItem>,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Most entries one activity-log page carries; a larger `limit` is served as this.
pub const MAX_ACTIVITY_PAGE: u32 = 64;

/// Device → service: a page of the activity log, the entries after `after_seq`
/// (0 for the first), oldest first, at most `limit` of them (1 or more; the
/// service serves at most [`MAX_ACTIVITY_PAGE`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// Only entries with a larger `seq` (0 for all).
    pub after_seq: u64,
    /// How many entries at most.
    pub limit: u32,
}
signed_body!(ActivityQuery, "akuersi/v1/device/activity", |s, w| {
    w.u64(s.after_seq);
    w.u32(s.limit);
});

/// Service → device: one page of the activity log, and the head of the whole
/// log, signed now. The page ends at the head when it is the last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityResponse {
    /// The entries after the query's `after_seq`, oldest first.
    pub entries: Vec<crate::activity::LogEntry>,
    /// The head of the whole log, signed now.
    pub head: crate::activity::SignedHead,
    /// Every rotation of the service's key, oldest first; an app follows them
    /// from the key it trusts ([`crate::service_key::follow_rotations`]).
    pub key_rotations: Vec<crate::service_key::KeyRotation>,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: change the user ID (PIN proof with purpose `change_user_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeUserId {
    /// The new user ID.
    pub new_user_id: String,
    /// The PIN proof.
    pub pake: PakeProof,
}
signed_body!(ChangeUserId, "akuersi/v1/device/user-id", |s, w| {
    w.str(&s.new_user_id);
    s.pake.encode(w);
});

/// Device → service: change contact data (PIN proof with purpose `change_contact`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeContact {
    /// Phone number for SMS, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The PIN proof.
    pub pake: PakeProof,
}
signed_body!(ChangeContact, "akuersi/v1/device/contact", |s, w| {
    w.option(s.phone.as_ref(), |w, p| {
        w.str(p);
    });
    w.option(s.email.as_ref(), |w, e| {
        w.str(e);
    });
    s.pake.encode(w);
});

/// Device → service: change settings (PIN proof with purpose `change_settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSettings {
    /// Send a notice on every use.
    pub notify_every_use: bool,
    /// The PIN proof.
    pub pake: PakeProof,
}
signed_body!(ChangeSettings, "akuersi/v1/device/settings", |s, w| {
    w.u8(u8::from(s.notify_every_use));
    s.pake.encode(w);
});

/// Device → service: choose a new PIN, proved with the old one (purpose `change_pin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePin {
    /// The new verifier.
    pub verifier: VerifierRegistration,
    /// The PIN proof with the old PIN.
    pub pake: PakeProof,
}
signed_body!(ChangePin, "akuersi/v1/device/pin", |s, w| {
    s.verifier.encode(w);
    s.pake.encode(w);
});
