//! The service's signing key (one row).

use rusqlite::OptionalExtension;

use super::Store;
use crate::error::Result;

impl Store<'_> {
    /// The stored PKCS#8 document of the service key, if one was made.
    pub(crate) fn service_key(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT pkcs8 FROM service_key WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Store the service key (there is one; a second insert fails).
    pub(crate) fn insert_service_key(&self, pkcs8: &[u8]) -> Result<()> {
        self.conn
            .execute("INSERT INTO service_key(id, pkcs8) VALUES (1, ?1)", [pkcs8])?;
        Ok(())
    }
}
