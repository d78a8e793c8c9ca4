//! The `software_keys` table of the [`SoftwareKeyStore`](crate::keystore::SoftwareKeyStore):
//! device keys sealed by the vault, for platforms without a keystore.

use rusqlite::{params, Connection, Transaction};

use super::optional;
use crate::error::Result;

/// Store a new key under `alias`; false (and nothing written) if the alias
/// is taken.
pub(crate) fn insert_new(
    tx: &Transaction<'_>,
    alias: &str,
    public_key: &[u8],
    sealed_private_key: &[u8],
) -> Result<bool> {
    let n = tx.execute(
        "INSERT OR IGNORE INTO software_keys(alias, public_key, sealed_private_key) VALUES (?1, ?2, ?3)",
        params![alias, public_key, sealed_private_key],
    )?;
    Ok(n != 0)
}

/// The public key stored under `alias`.
pub(crate) fn public_key(conn: &Connection, alias: &str) -> Result<Option<Vec<u8>>> {
    optional(conn.query_row(
        "SELECT public_key FROM software_keys WHERE alias = ?1",
        [alias],
        |r| r.get(0),
    ))
}

/// The sealed private key stored under `alias`.
pub(crate) fn sealed_private_key(conn: &Connection, alias: &str) -> Result<Option<Vec<u8>>> {
    optional(conn.query_row(
        "SELECT sealed_private_key FROM software_keys WHERE alias = ?1",
        [alias],
        |r| r.get(0),
    ))
}

/// Delete the key under `alias` (nothing if there is none).
pub(crate) fn delete(tx: &Transaction<'_>, alias: &str) -> Result<()> {
    tx.execute("DELETE FROM software_keys WHERE alias = ?1", [alias])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn a_key_is_stored_once_and_deleted() {
        let s = Store::open(":memory:").unwrap();
        assert!(s
            .write(|tx| insert_new(tx, "k", b"pub", b"sealed"))
            .unwrap());
        // A second key under the same alias is refused and changes nothing.
        assert!(!s
            .write(|tx| insert_new(tx, "k", b"pub2", b"sealed2"))
            .unwrap());
        {
            let conn = s.conn().unwrap();
            assert_eq!(
                public_key(&conn, "k").unwrap().as_deref(),
                Some(&b"pub"[..])
            );
            assert_eq!(
                sealed_private_key(&conn, "k").unwrap().as_deref(),
                Some(&b"sealed"[..])
            );
            assert_eq!(public_key(&conn, "other").unwrap(), None);
            assert_eq!(sealed_private_key(&conn, "other").unwrap(), None);
        }
        s.write(|tx| delete(tx, "k")).unwrap();
        s.write(|tx| delete(tx, "k")).unwrap();
        let conn = s.conn().unwrap();
        assert_eq!(public_key(&conn, "k").unwrap(), None);
        assert_eq!(sealed_private_key(&conn, "k").unwrap(), None);
    }
}
