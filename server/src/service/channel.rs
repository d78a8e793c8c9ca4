//! Channel binding: the owner proves they are at the screen that started a
//! request, by typing its 4-digit code or scanning its animated QR value into
//! the app, before the app may approve. The answer is checked here (wrong
//! answers counted: 3 cancel the request) and then signed into the approval.

use akuersi_protocol::activity::ActivityKind;
use akuersi_protocol::crypto::ct_eq;
use akuersi_protocol::wire::{
    qr_counter, qr_value, Ack, ChannelBindingKind, ChannelCheck, DeviceSigned, ErrorCode,
};

use super::{err, frozen_error, log, Service};
use crate::error::{Result, ServiceError};
use crate::storage::{Outcome, RequestRow};

/// Wrong answers after which the request is cancelled.
pub const CHANNEL_MAX_FAILURES: u32 = 3;
/// How many seconds old a scanned QR value may be.
pub const QR_MAX_AGE_SECS: u64 = 10;

/// The QR counter at `now`: whole seconds since the request was created.
pub(crate) fn qr_counter_at(row: &RequestRow, now: i64) -> u64 {
    u64::try_from((now - row.created_at_ms).max(0) / 1000).unwrap_or(0)
}

fn answer_is_right(row: &RequestRow, answer: &str, now: i64) -> bool {
    match row.channel_kind {
        Some(ChannelBindingKind::Code) => row
            .channel_code
            .as_deref()
            .is_some_and(|c| ct_eq(c.as_bytes(), answer.as_bytes())),
        Some(ChannelBindingKind::Qr) => {
            let (Some(secret), Some(counter)) =
                (&row.channel_secret, qr_counter(answer, &row.request_id))
            else {
                return false;
            };
            let current = qr_counter_at(row, now);
            counter <= current
                && current - counter <= QR_MAX_AGE_SECS
                && ct_eq(
                    qr_value(&row.request_id, secret, counter).as_bytes(),
                    answer.as_bytes(),
                )
        }
        None => false,
    }
}

impl Service {
    /// Check a channel-binding answer from a device of the request's identity.
    /// A right one is remembered for that device (the approval must then carry
    /// it); a wrong one is counted, and the third cancels the request. Writes state.
    pub fn channel_check(&self, msg: DeviceSigned<ChannelCheck>) -> Result<Ack> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            if self.is_frozen(tx, &device.identity_id)? {
                return Err(frozen_error());
            }
            let row =
                self.request_for_device(tx, &msg.body.request_id, &device.identity_id, now)?;
            if row.channel_kind.is_none() {
                return Err(err(
                    ErrorCode::Malformed,
                    "this request does not ask for channel binding",
                ));
            }
            if answer_is_right(&row, msg.body.answer.trim(), now) {
                tx.set_channel_ok(&row.request_id, &msg.device_id, msg.body.answer.trim())?;
                return Ok(Outcome::Done(Ack {
                    server_time_ms: now,
                }));
            }
            let failures = row.channel_failures + 1;
            if failures >= CHANNEL_MAX_FAILURES {
                tx.cancel_after_channel_failures(&row.request_id, failures, now)?;
                log(
                    tx,
                    &device.identity_id,
                    now,
                    ActivityKind::RequestCancelled,
                    Some(&msg.device_id),
                    Some(&row.request_id),
                    "cancelled after 3 wrong channel-binding codes",
                )?;
            } else {
                tx.count_channel_failure(&row.request_id, failures)?;
            }
            Ok(Outcome::Refuse(ServiceError {
                attempts_left: Some(CHANNEL_MAX_FAILURES.saturating_sub(failures)),
                ..err(
                    ErrorCode::WrongChannelCode,
                    "the code does not match the screen that started this request",
                )
            }))
        })
    }
}
