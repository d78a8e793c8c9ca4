//! Identities: user IDs, freezing, contact data and settings.

use rusqlite::params;

use super::Store;
use crate::error::Result;

/// A new identity.
pub(crate) struct NewIdentity<'a> {
    /// Its id.
    pub(crate) identity_id: &'a str,
    /// The user ID as given.
    pub(crate) user_id: &'a str,
    /// The user ID's comparison key (unique).
    pub(crate) user_key: &'a str,
    /// When it was made.
    pub(crate) created_at_ms: i64,
}

/// Where an identity's notifications go, and in which language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contact {
    /// Phone number for SMS.
    pub(crate) phone: Option<String>,
    /// E-mail address.
    pub(crate) email: Option<String>,
    /// Language of the texts.
    pub(crate) language: String,
}

/// An identity as its devices see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdentityOverview {
    /// The user ID.
    pub(crate) user_id: String,
    /// Frozen or not.
    pub(crate) frozen: bool,
    /// Phone number for SMS.
    pub(crate) phone: Option<String>,
    /// E-mail address.
    pub(crate) email: Option<String>,
    /// Notice on every use.
    pub(crate) notify_every_use: bool,
}

impl Store<'_> {
    /// Whether any identity has this user key.
    pub(crate) fn user_key_taken(&self, user_key: &str) -> Result<bool> {
        self.value(
            "SELECT EXISTS(SELECT 1 FROM identities WHERE user_key = ?1)",
            [user_key],
        )
    }

    /// Whether an identity other than `identity_id` has this user key.
    pub(crate) fn user_key_taken_by_other(
        &self,
        user_key: &str,
        identity_id: &str,
    ) -> Result<bool> {
        self.value(
            "SELECT EXISTS(SELECT 1 FROM identities WHERE user_key = ?1 AND identity_id != ?2)",
            params![user_key, identity_id],
        )
    }

    /// Insert a new, active, unfrozen identity.
    pub(crate) fn insert_identity(&self, i: &NewIdentity<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO identities(identity_id, user_id, user_key, status, created_at_ms)
             VALUES (?1, ?2, ?3, 'active', ?4)",
            params![i.identity_id, i.user_id, i.user_key, i.created_at_ms],
        )
    }

    /// The identity with this user key.
    pub(crate) fn identity_by_user_key(&self, user_key: &str) -> Result<Option<String>> {
        self.maybe_value(
            "SELECT identity_id FROM identities WHERE user_key = ?1",
            [user_key],
        )
    }

    /// Whether an identity is frozen (an error if there is no such identity).
    pub(crate) fn is_frozen(&self, identity_id: &str) -> Result<bool> {
        self.value(
            "SELECT frozen FROM identities WHERE identity_id = ?1",
            [identity_id],
        )
    }

    /// Freeze or unfreeze an identity.
    pub(crate) fn set_frozen(&self, identity_id: &str, frozen: bool) -> Result<()> {
        let sql = if frozen {
            "UPDATE identities SET frozen = 1 WHERE identity_id = ?1"
        } else {
            "UPDATE identities SET frozen = 0 WHERE identity_id = ?1"
        };
        self.exec(sql, [identity_id])
    }

    /// Whether the owner wants a notice on every use.
    pub(crate) fn notify_every_use(&self, identity_id: &str) -> Result<bool> {
        self.value(
            "SELECT notify_every_use FROM identities WHERE identity_id = ?1",
            [identity_id],
        )
    }

    /// Turn the notice on every use on or off.
    pub(crate) fn set_notify_every_use(&self, identity_id: &str, on: bool) -> Result<()> {
        self.exec(
            "UPDATE identities SET notify_every_use = ?2 WHERE identity_id = ?1",
            params![identity_id, on],
        )
    }

    /// Give an identity a new user ID.
    pub(crate) fn set_user_id(
        &self,
        identity_id: &str,
        user_id: &str,
        user_key: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE identities SET user_id = ?2, user_key = ?3 WHERE identity_id = ?1",
            params![identity_id, user_id, user_key],
        )
    }

    /// An identity's phone number and e-mail address.
    pub(crate) fn contact_addresses(
        &self,
        identity_id: &str,
    ) -> Result<(Option<String>, Option<String>)> {
        self.one(
            "SELECT phone, email FROM identities WHERE identity_id = ?1",
            [identity_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Replace an identity's phone number and e-mail address.
    pub(crate) fn set_contact_addresses(
        &self,
        identity_id: &str,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<()> {
        self.exec(
            "UPDATE identities SET phone = ?2, email = ?3 WHERE identity_id = ?1",
            params![identity_id, phone, email],
        )
    }

    /// Where an identity's notifications go.
    pub(crate) fn contact(&self, identity_id: &str) -> Result<Contact> {
        self.one(
            "SELECT phone, email, language FROM identities WHERE identity_id = ?1",
            [identity_id],
            row_to!(Contact {
                phone,
                email,
                language
            }),
        )
    }

    /// An identity as its devices see it.
    pub(crate) fn identity_overview(&self, identity_id: &str) -> Result<IdentityOverview> {
        self.one(
            "SELECT user_id, frozen, phone, email, notify_every_use FROM identities WHERE identity_id = ?1",
            [identity_id],
            row_to!(IdentityOverview { user_id, frozen, phone, email, notify_every_use }),
        )
    }
}
