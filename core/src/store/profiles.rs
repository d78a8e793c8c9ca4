//! The `profiles` table: one row per identity set up on this installation.
//!
//! Reads take a `&Connection` (a [`Transaction`] derefs to one); writes take
//! the caller's `&Transaction`, so that the caller decides what else goes
//! into the same transaction and whether it is a durable
//! ([`Store::write`](super::Store::write)) or routine
//! ([`Store::write_routine`](super::Store::write_routine)) commit. Reads of
//! one row return `None` when the profile does not exist; the caller decides
//! the error.

use rusqlite::types::FromSql;
use rusqlite::{params, Connection, ToSql, Transaction};

use super::optional;
use crate::app::{Profile, ProfileSecrets};
use crate::error::{Error, Result};
use akuersi_protocol::identity::UserId;

/// A new row of `profiles`, as [`insert`] stores it.
pub(crate) struct NewProfile<'a> {
    /// The profile as the app shows it (ids, user ID, names, language).
    pub(crate) profile: &'a Profile,
    /// The normalised user ID (`UserId::key`), unique per installation.
    pub(crate) user_key: &'a str,
    /// Alias of the device key in the key store.
    pub(crate) key_alias: &'a str,
    /// The device secret, sealed by the vault.
    pub(crate) sealed_device_secret: &'a [u8],
    /// PBKDF2 iterations of the PIN registered with the service.
    pub(crate) kdf_iterations: u32,
    /// The first sequence number not yet leased.
    pub(crate) next_seq: i64,
    /// The service's clock minus this device's, in ms.
    pub(crate) clock_offset_ms: i64,
    /// When the profile was created, by this device's clock.
    pub(crate) created_at_ms: i64,
    /// The service's activity-log signing key, learned at activation.
    pub(crate) service_public_key: &'a [u8],
}

const PROFILE_COLUMNS: &str = "profile_id, user_id, identity_id, device_id, device_name, language";

fn row_to_profile(r: &rusqlite::Row<'_>) -> rusqlite::Result<Profile> {
    Ok(Profile {
        profile_id: r.get(0)?,
        user_id: r.get(1)?,
        identity_id: r.get(2)?,
        device_id: r.get(3)?,
        device_name: r.get(4)?,
        language: r.get(5)?,
    })
}

/// Every profile, oldest first (ties by id).
pub(crate) fn list(conn: &Connection) -> Result<Vec<Profile>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {PROFILE_COLUMNS} FROM profiles ORDER BY created_at_ms, profile_id"
    ))?;
    let rows = stmt.query_map([], row_to_profile)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// One profile by id.
pub(crate) fn get(conn: &Connection, profile_id: &str) -> Result<Option<Profile>> {
    optional(conn.query_row(
        &format!("SELECT {PROFILE_COLUMNS} FROM profiles WHERE profile_id = ?1"),
        [profile_id],
        row_to_profile,
    ))
}

/// What signing and PIN proofs need of a profile.
pub(crate) fn secrets(conn: &Connection, profile_id: &str) -> Result<Option<ProfileSecrets>> {
    optional(conn.query_row(
        "SELECT device_id, key_alias, sealed_device_secret, kdf_iterations FROM profiles WHERE profile_id = ?1",
        [profile_id],
        |r| {
            Ok(ProfileSecrets {
                device_id: r.get(0)?,
                key_alias: r.get(1)?,
                sealed_device_secret: r.get(2)?,
                kdf_iterations: r.get(3)?,
            })
        },
    ))
}

/// True if a profile with this normalised user ID (`UserId::key`) exists.
pub(crate) fn exists_by_user_key(conn: &Connection, user_key: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM profiles WHERE user_key = ?1)",
        [user_key],
        |r| r.get(0),
    )?)
}

/// Store a new profile. A clash on the profile id, user key or device id
/// fails with the database's constraint error (`Error::Storage`).
pub(crate) fn insert(tx: &Transaction<'_>, new: &NewProfile<'_>) -> Result<()> {
    let p = new.profile;
    tx.execute(
        "INSERT INTO profiles(profile_id, user_id, user_key, identity_id, device_id, key_alias,
            sealed_device_secret, kdf_iterations, next_seq, clock_offset_ms, language,
            device_name, created_at_ms, service_public_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            p.profile_id,
            p.user_id,
            new.user_key,
            p.identity_id,
            p.device_id,
            new.key_alias,
            new.sealed_device_secret,
            new.kdf_iterations,
            new.next_seq,
            new.clock_offset_ms,
            p.language,
            p.device_name,
            new.created_at_ms,
            new.service_public_key
        ],
    )?;
    Ok(())
}

/// Delete a profile and its local activity log.
pub(crate) fn delete(tx: &Transaction<'_>, profile_id: &str) -> Result<()> {
    tx.execute("DELETE FROM profiles WHERE profile_id = ?1", [profile_id])?;
    super::identity_log::delete_for_profile(tx, profile_id)?;
    super::activity::delete_for_profile(tx, profile_id)
}

/// Lease `block` sequence numbers: advance the profile's high-water mark by
/// `block` and return the first number of the lease. Commit the transaction
/// before using any of them. A missing profile fails (`Error::Storage`).
pub(crate) fn lease_seq(tx: &Transaction<'_>, profile_id: &str, block: i64) -> Result<i64> {
    Ok(tx.query_row(
        "UPDATE profiles SET next_seq = next_seq + ?2 WHERE profile_id = ?1 RETURNING next_seq - ?2",
        params![profile_id, block],
        |r| r.get(0),
    )?)
}

/// Move the profile's high-water mark past `last_seq`, the last number the
/// service accepted (when another process on this profile, or a store
/// restored from a backup, left this one behind). Never moves it back. A
/// missing profile fails (`Error::Storage`).
pub(crate) fn skip_seq_past(tx: &Transaction<'_>, profile_id: &str, last_seq: u64) -> Result<()> {
    let past = i64::try_from(last_seq)
        .ok()
        .and_then(|s| s.checked_add(1))
        .ok_or_else(|| Error::Storage("the service's sequence number is out of range".into()))?;
    let changed = tx.execute(
        "UPDATE profiles SET next_seq = MAX(next_seq, ?2) WHERE profile_id = ?1",
        params![profile_id, past],
    )?;
    if changed == 0 {
        return Err(Error::Storage("no such profile".into()));
    }
    Ok(())
}

/// The measured offset of the service's clock (service minus device, ms).
pub(crate) fn clock_offset(conn: &Connection, profile_id: &str) -> Result<Option<i64>> {
    column(
        conn,
        "SELECT clock_offset_ms FROM profiles WHERE profile_id = ?1",
        profile_id,
    )
}

/// Record the measured offset of the service's clock.
pub(crate) fn set_clock_offset(
    tx: &Transaction<'_>,
    profile_id: &str,
    offset_ms: i64,
) -> Result<()> {
    set_column(
        tx,
        "UPDATE profiles SET clock_offset_ms = ?2 WHERE profile_id = ?1",
        profile_id,
        offset_ms,
    )?;
    Ok(())
}

/// Set the preferred language; false if no such profile.
pub(crate) fn set_language(tx: &Transaction<'_>, profile_id: &str, language: &str) -> Result<bool> {
    Ok(set_column(
        tx,
        "UPDATE profiles SET language = ?2 WHERE profile_id = ?1",
        profile_id,
        language,
    )? != 0)
}

/// Set this device's name.
pub(crate) fn set_device_name(tx: &Transaction<'_>, profile_id: &str, name: &str) -> Result<()> {
    set_column(
        tx,
        "UPDATE profiles SET device_name = ?2 WHERE profile_id = ?1",
        profile_id,
        name,
    )?;
    Ok(())
}

/// Set the user ID (and its normalised key).
pub(crate) fn set_user_id(tx: &Transaction<'_>, profile_id: &str, user: &UserId) -> Result<()> {
    tx.execute(
        "UPDATE profiles SET user_id = ?2, user_key = ?3 WHERE profile_id = ?1",
        params![profile_id, user.as_str(), user.key()],
    )?;
    Ok(())
}

/// Promote a staged verifier: the new sealed device secret and its PIN's
/// iterations. A missing profile fails (`Error::Storage`).
pub(crate) fn replace_device_secret(
    tx: &Transaction<'_>,
    profile_id: &str,
    sealed_device_secret: &[u8],
    kdf_iterations: u32,
) -> Result<()> {
    let n = tx.execute(
        "UPDATE profiles SET sealed_device_secret = ?2, kdf_iterations = ?3 WHERE profile_id = ?1",
        params![profile_id, sealed_device_secret, kdf_iterations],
    )?;
    if n != 1 {
        return Err(crate::error::Error::Storage(
            "no such profile for the staged secret".into(),
        ));
    }
    Ok(())
}

/// When the owner last read the security rules: `None` if no such profile,
/// `Some(None)` if never.
pub(crate) fn rules_acknowledged_at(
    conn: &Connection,
    profile_id: &str,
) -> Result<Option<Option<i64>>> {
    column(
        conn,
        "SELECT rules_acknowledged_at_ms FROM profiles WHERE profile_id = ?1",
        profile_id,
    )
}

/// Record that the owner read the security rules at `at_ms`; false if no
/// such profile.
pub(crate) fn acknowledge_rules(
    tx: &Transaction<'_>,
    profile_id: &str,
    at_ms: i64,
) -> Result<bool> {
    Ok(set_column(
        tx,
        "UPDATE profiles SET rules_acknowledged_at_ms = ?2 WHERE profile_id = ?1",
        profile_id,
        at_ms,
    )? != 0)
}

/// The id of the last app-channel notification seen.
pub(crate) fn last_notification_id(conn: &Connection, profile_id: &str) -> Result<Option<i64>> {
    column(
        conn,
        "SELECT last_notification_id FROM profiles WHERE profile_id = ?1",
        profile_id,
    )
}

/// Record the id of the last app-channel notification seen.
pub(crate) fn set_last_notification_id(
    tx: &Transaction<'_>,
    profile_id: &str,
    id: i64,
) -> Result<()> {
    set_column(
        tx,
        "UPDATE profiles SET last_notification_id = ?2 WHERE profile_id = ?1",
        profile_id,
        id,
    )?;
    Ok(())
}

/// The service's activity-log signing key learned at activation. A missing
/// profile fails (`Error::Storage`).
pub(crate) fn service_public_key(conn: &Connection, profile_id: &str) -> Result<Vec<u8>> {
    Ok(conn.query_row(
        "SELECT service_public_key FROM profiles WHERE profile_id = ?1",
        [profile_id],
        |r| r.get(0),
    )?)
}

/// A service key the app saw retired: id, public key, retirement time.
pub(crate) type RetiredKey = (String, Vec<u8>, i64);

/// The service keys this profile has seen retired.
pub(crate) fn retired_service_keys(conn: &Connection, profile_id: &str) -> Result<Vec<RetiredKey>> {
    let mut stmt = conn.prepare(
        "SELECT key_id, public_key, retired_at_ms FROM retired_service_keys
         WHERE profile_id = ?1",
    )?;
    let rows = stmt.query_map([profile_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Trust `newest` as the service's key from now on, remembering the keys it
/// replaced as retired. Call inside the caller's transaction.
pub(crate) fn learn_service_key(
    conn: &Connection,
    profile_id: &str,
    retired: &[RetiredKey],
    newest: &[u8],
) -> Result<()> {
    for (key_id, public_key, at) in retired {
        conn.execute(
            "INSERT OR IGNORE INTO retired_service_keys
             (profile_id, key_id, public_key, retired_at_ms) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![profile_id, key_id, public_key, at],
        )?;
    }
    conn.execute(
        "UPDATE profiles SET service_public_key = ?2 WHERE profile_id = ?1",
        rusqlite::params![profile_id, newest],
    )?;
    Ok(())
}

/// Read one column of a profile's row with `sql` (which selects it for
/// `?1 = profile_id`); `None` if no such profile.
fn column<T: FromSql>(conn: &Connection, sql: &str, profile_id: &str) -> Result<Option<T>> {
    optional(conn.query_row(sql, [profile_id], |r| r.get(0)))
}

/// Write one column of a profile's row with `sql` (`?1 = profile_id`,
/// `?2 = value`); the number of rows changed (0 if no such profile).
fn set_column(
    tx: &Transaction<'_>,
    sql: &str,
    profile_id: &str,
    value: impl ToSql,
) -> Result<usize> {
    Ok(tx.execute(sql, params![profile_id, value])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::store::{activity, Store};

    fn profile(n: u32) -> Profile {
        Profile {
            profile_id: format!("p{n}"),
            user_id: format!("User{n}"),
            identity_id: format!("i{n}"),
            device_id: format!("d{n}"),
            device_name: format!("Phone {n}"),
            language: "kl".into(),
        }
    }

    fn add(s: &Store, p: &Profile, user_key: &str, created_at_ms: i64) -> Result<()> {
        s.write(|tx| {
            insert(
                tx,
                &NewProfile {
                    profile: p,
                    user_key,
                    key_alias: &format!("alias-{}", p.profile_id),
                    sealed_device_secret: b"sealed",
                    kdf_iterations: 7,
                    next_seq: 1,
                    clock_offset_ms: -5,
                    created_at_ms,
                    service_public_key: b"service-key",
                },
            )
        })
    }

    #[test]
    fn profile_row_round_trips() {
        let s = Store::open(":memory:").unwrap();
        let (a, b) = (profile(1), profile(2));
        add(&s, &b, "user2", 20).unwrap();
        add(&s, &a, "user1", 10).unwrap();
        let conn = s.conn().unwrap();
        assert_eq!(get(&conn, "p1").unwrap(), Some(a.clone()));
        assert_eq!(get(&conn, "nope").unwrap(), None);
        // Oldest first, whatever the insertion order.
        assert_eq!(list(&conn).unwrap(), vec![a, b]);
        let secrets = secrets(&conn, "p1").unwrap().unwrap();
        assert_eq!(secrets.device_id, "d1");
        assert_eq!(secrets.key_alias, "alias-p1");
        assert_eq!(secrets.sealed_device_secret, b"sealed");
        assert_eq!(secrets.kdf_iterations, 7);
        assert!(super::secrets(&conn, "nope").unwrap().is_none());
        assert!(exists_by_user_key(&conn, "user1").unwrap());
        assert!(!exists_by_user_key(&conn, "user3").unwrap());
        assert_eq!(clock_offset(&conn, "p1").unwrap(), Some(-5));
        assert_eq!(clock_offset(&conn, "nope").unwrap(), None);
        assert_eq!(service_public_key(&conn, "p1").unwrap(), b"service-key");
        assert!(matches!(
            service_public_key(&conn, "nope"),
            Err(Error::Storage(_))
        ));
        assert_eq!(rules_acknowledged_at(&conn, "p1").unwrap(), Some(None));
        assert_eq!(rules_acknowledged_at(&conn, "nope").unwrap(), None);
        assert_eq!(last_notification_id(&conn, "p1").unwrap(), Some(0));
        assert_eq!(last_notification_id(&conn, "nope").unwrap(), None);
    }

    #[test]
    fn updates_touch_only_their_profile() {
        let s = Store::open(":memory:").unwrap();
        add(&s, &profile(1), "user1", 1).unwrap();
        add(&s, &profile(2), "user2", 2).unwrap();
        let renamed = UserId::parse("Renamed1").unwrap();
        s.write(|tx| {
            assert!(set_language(tx, "p1", "da")?);
            assert!(!set_language(tx, "nope", "da")?);
            set_device_name(tx, "p1", "Tablet")?;
            set_user_id(tx, "p1", &renamed)?;
            replace_device_secret(tx, "p1", b"resealed", 9)?;
            set_clock_offset(tx, "p1", 42)?;
            assert!(replace_device_secret(tx, "nope", b"x", 9).is_err());
            replace_device_secret(tx, "p2", b"sealed", 11)?;
            assert!(acknowledge_rules(tx, "p1", 1234)?);
            assert!(!acknowledge_rules(tx, "nope", 1234)?);
            set_last_notification_id(tx, "p1", 77)?;
            set_clock_offset(tx, "p2", 99)
        })
        .unwrap();
        let conn = s.conn().unwrap();
        let p1 = get(&conn, "p1").unwrap().unwrap();
        assert_eq!(p1.language, "da");
        assert_eq!(p1.device_name, "Tablet");
        assert_eq!(p1.user_id, renamed.as_str());
        assert!(exists_by_user_key(&conn, renamed.key()).unwrap());
        assert!(!exists_by_user_key(&conn, "user1").unwrap());
        let s1 = secrets(&conn, "p1").unwrap().unwrap();
        assert_eq!(s1.sealed_device_secret, b"resealed");
        assert_eq!(s1.kdf_iterations, 9);
        assert_eq!(clock_offset(&conn, "p1").unwrap(), Some(42));
        assert_eq!(
            rules_acknowledged_at(&conn, "p1").unwrap(),
            Some(Some(1234))
        );
        assert_eq!(last_notification_id(&conn, "p1").unwrap(), Some(77));
        // The other profile is as it was, but for its own two changes.
        assert_eq!(get(&conn, "p2").unwrap(), Some(profile(2)));
        let s2 = secrets(&conn, "p2").unwrap().unwrap();
        assert_eq!(s2.sealed_device_secret, b"sealed");
        assert_eq!(s2.kdf_iterations, 11);
        assert_eq!(clock_offset(&conn, "p2").unwrap(), Some(99));
        assert_eq!(rules_acknowledged_at(&conn, "p2").unwrap(), Some(None));
        assert_eq!(last_notification_id(&conn, "p2").unwrap(), Some(0));
    }

    #[test]
    fn leases_never_overlap_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sqlite");
        let path = path.to_str().unwrap();
        let mut handed_out = Vec::new();
        {
            let s = Store::open(path).unwrap();
            add(&s, &profile(1), "user1", 1).unwrap();
            for _ in 0..2 {
                let start = s.write(|tx| lease_seq(tx, "p1", 32)).unwrap();
                handed_out.extend(start..start + 32);
            }
            // A lease for a profile that does not exist fails.
            assert!(matches!(
                s.write(|tx| lease_seq(tx, "nope", 32)),
                Err(Error::Storage(_))
            ));
        }
        let s = Store::open(path).unwrap();
        let start = s.write(|tx| lease_seq(tx, "p1", 32)).unwrap();
        handed_out.extend(start..start + 32);
        assert_eq!(
            handed_out.first(),
            Some(&1),
            "the first lease starts at next_seq"
        );
        let n = handed_out.len();
        handed_out.sort_unstable();
        handed_out.dedup();
        assert_eq!(handed_out.len(), n, "a number was handed out twice");
    }

    #[test]
    fn deleting_a_profile_deletes_its_log() {
        let s = Store::open(":memory:").unwrap();
        add(&s, &profile(1), "user1", 1).unwrap();
        add(&s, &profile(2), "user2", 2).unwrap();
        s.write(|tx| {
            activity::append(
                tx,
                "p1",
                1,
                crate::app::LocalActivityKind::Activated,
                None,
                "one",
            )?;
            activity::append(
                tx,
                "p2",
                2,
                crate::app::LocalActivityKind::Activated,
                None,
                "two",
            )
        })
        .unwrap();
        s.write(|tx| delete(tx, "p1")).unwrap();
        let conn = s.conn().unwrap();
        assert_eq!(get(&conn, "p1").unwrap(), None);
        assert!(!exists_by_user_key(&conn, "user1").unwrap());
        assert!(activity::newest_first(&conn, "p1").unwrap().is_empty());
        assert_eq!(list(&conn).unwrap(), vec![profile(2)]);
        assert_eq!(activity::newest_first(&conn, "p2").unwrap().len(), 1);
    }

    #[test]
    fn a_taken_user_key_or_device_is_refused() {
        let s = Store::open(":memory:").unwrap();
        add(&s, &profile(1), "user1", 1).unwrap();
        // The app checks `exists_by_user_key` first and answers
        // `Error::ProfileExists`; the table refuses a clash all the same.
        assert!(exists_by_user_key(&s.conn().unwrap(), "user1").unwrap());
        let mut other = profile(2);
        let clash = add(&s, &other, "user1", 2);
        assert!(
            matches!(&clash, Err(Error::Storage(m)) if m.contains("UNIQUE") && m.contains("user_key")),
            "{clash:?}"
        );
        other.device_id = "d1".into();
        let clash = add(&s, &other, "user2", 2);
        assert!(
            matches!(&clash, Err(Error::Storage(m)) if m.contains("UNIQUE") && m.contains("device_id")),
            "{clash:?}"
        );
        // Nothing of the refused rows was kept.
        assert_eq!(list(&s.conn().unwrap()).unwrap(), vec![profile(1)]);
    }
}
