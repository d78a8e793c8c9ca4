//! Whole-database views for tests and operators.

use super::Store;
use crate::error::Result;

/// Every table whose rows are service state, in a fixed order.
/// (`write_pad` is not: it only makes refusals cost a write.)
pub(super) const STATE_TABLES: [&str; 12] = [
    "identities",
    "devices",
    "activation_codes",
    "requests",
    "pake_sessions",
    "activity",
    "device_additions",
    "notifications",
    "unfreeze_proofs",
    "pin_attempts",
    "requesters",
    "requester_nonces",
];

impl Store<'_> {
    /// Every row of every state table, as text, in a fixed order: equal
    /// dumps mean equal state.
    pub(crate) fn dump_state(&self) -> Result<Vec<u8>> {
        let mut all = Vec::new();
        for table in STATE_TABLES {
            let mut stmt = self
                .conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))?;
            let n = stmt.column_count();
            let mut rows = stmt.query([])?;
            all.extend_from_slice(table.as_bytes());
            while let Some(row) = rows.next()? {
                for i in 0..n {
                    let v: rusqlite::types::Value = row.get(i)?;
                    all.extend_from_slice(format!("{v:?}|").as_bytes());
                }
                all.push(b'\n');
            }
        }
        Ok(all)
    }
}
