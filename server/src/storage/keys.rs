//! The service's signing key (one row).

use super::Store;
use crate::error::Result;

impl Store<'_> {
    /// The stored PKCS#8 document of the service key, if one was made.
    pub(crate) fn service_key(&self) -> Result<Option<Vec<u8>>> {
        self.maybe_value("SELECT pkcs8 FROM service_key WHERE id = 1", [])
    }

    /// Store the service key (there is one; a second insert fails).
    pub(crate) fn insert_service_key(&self, pkcs8: &[u8]) -> Result<()> {
        self.exec("INSERT INTO service_key(id, pkcs8) VALUES (1, ?1)", [pkcs8])
    }
}
