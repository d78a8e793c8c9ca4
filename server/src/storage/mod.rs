//! Storage: every SQL statement of the service, behind typed operations.
//!
//! The service logic never writes SQL. It calls the operations of a
//! [`Store`] — row structs in, row structs out — on the handle that
//! [`Db::write`] gives it for one transaction (or that [`Db::conn`] and
//! [`Db::peek`] give it for a read). Each operation is one statement (or
//! one query); the service decides which run, in which order, inside the
//! one transaction of each state change, so that a counter guarding
//! against guessing is written before the guess is checked.
//!
//! One file per table group: [`identities`], [`devices`], [`codes`]
//! (activation codes), [`requests`], [`pin_sessions`], [`pin_attempts`] (the failure budget), [`activity`] (the
//! hash-chained log), [`additions`] (device additions), [`notifications`]
//! (the outbox), [`unfreeze`] (unfreeze proofs), [`requesters`] (the
//! requester registry and nonces), [`keys`] (rotation statements of the service key)
//! and [`diagnostics`]; [`migrations`] holds the schema and [`db`] the
//! connection, the transaction helper and group commit.
//!
//! The operations are inherent methods of the SQLite [`Store`] for now; a
//! second backend (PostgreSQL) can turn the same signatures into a trait.

/// A row-mapping closure for a query: its columns, in the order selected,
/// into the named fields of `$row` (fields are read in the order written).
macro_rules! row_to {
    ($row:ident { $($field:ident),+ $(,)? }) => {
        |r: &rusqlite::Row<'_>| {
            let mut column = 0usize..;
            Ok($row {
                $($field: r.get(column.next().unwrap_or(usize::MAX))?,)+
            })
        }
    };
}

/// Read column `i`, which holds a protocol enum stored by its wire name.
/// Only the service writes these columns; an unknown name is a storage
/// error, never a panic.
fn named<T>(r: &rusqlite::Row<'_>, i: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown stored name {text:?}").into(),
        )
    })
}

mod activity;
mod additions;
mod codes;
mod db;
mod devices;
mod diagnostics;
mod identities;
mod keys;
mod migrations;
mod notifications;
mod pin_attempts;
mod pin_sessions;
mod requesters;
mod requests;
pub(crate) mod retention;
mod unfreeze;

#[cfg(test)]
mod tests;

use rusqlite::types::FromSql;
use rusqlite::{Connection, Params, Row};

use crate::error::Result;

pub(crate) use activity::NewActivity;
pub(crate) use additions::{AdditionRow, NewAddition};
pub(crate) use codes::NewActivationCode;
pub(crate) use db::{Db, Outcome};
pub(crate) use devices::{DeviceRow, NewDevice, NewVerifier};
pub(crate) use identities::NewIdentity;
pub(crate) use notifications::NewNotification;
pub(crate) use pin_attempts::NewPinAttempt;
pub(crate) use pin_sessions::NewPinSession;
pub(crate) use requests::{NewRequest, RequestDecision, RequestRow};
pub use retention::RetainedTable;

/// The storage operations on one connection, inside one transaction when
/// it comes from [`Db::write`].
pub(crate) struct Store<'c> {
    conn: &'c Connection,
}

impl<'c> Store<'c> {
    fn new(conn: &'c Connection) -> Self {
        Self { conn }
    }

    /// Run one statement.
    fn exec(&self, sql: &str, params: impl Params) -> Result<()> {
        self.conn.execute(sql, params)?;
        Ok(())
    }

    /// Run one statement; how many rows it changed.
    fn changed(&self, sql: &str, params: impl Params) -> Result<usize> {
        Ok(self.conn.execute(sql, params)?)
    }

    /// The one row a query gives, mapped (an error if there is none).
    fn one<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        Ok(self.conn.query_row(sql, params, map)?)
    }

    /// The row a query gives, mapped, if there is one.
    fn maybe<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        use rusqlite::OptionalExtension;
        Ok(self.conn.query_row(sql, params, map).optional()?)
    }

    /// Every row a query gives, mapped, in its order.
    fn all<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(params, map)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The first column of the one row a query gives (an error if there is none).
    fn value<T: FromSql>(&self, sql: &str, params: impl Params) -> Result<T> {
        self.one(sql, params, |r| r.get(0))
    }

    /// The first column of the row a query gives, if there is one.
    fn maybe_value<T: FromSql>(&self, sql: &str, params: impl Params) -> Result<Option<T>> {
        self.maybe(sql, params, |r| r.get(0))
    }
}
