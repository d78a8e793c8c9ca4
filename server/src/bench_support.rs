//! Bench-only SQL (feature `bench`, off by default; only `akuersi-testkit`
//! turns it on): rows written straight into a service's database, for
//! benchmarks that need a large population. Not part of the protocol; no
//! shipped build carries it.

use akuersi_protocol::crypto::sha256;
use akuersi_protocol::pin::MIN_KDF_ITERATIONS;
use rusqlite::params;

/// Fill the service database at `path` with `n` more identities, each with
/// one active device and one activity entry, all dated `at_ms`, in one
/// transaction with prepared statements (about a second per 100,000 here).
/// The database must exist (open a [`crate::Service`] on it once first) and
/// no service may have it open. `progress` is called with the count so far
/// every 10,000 rows.
pub fn fill_identities(
    path: &str,
    n: u64,
    at_ms: i64,
    mut progress: impl FnMut(u64),
) -> rusqlite::Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;")?;
    let tx = conn.transaction()?;
    {
        let mut ident = tx.prepare(
            "INSERT INTO identities(identity_id, user_id, user_key, status, created_at_ms)
             VALUES (?1, ?2, ?2, 'active', ?3)",
        )?;
        let mut dev = tx.prepare(
            "INSERT INTO devices(device_id, identity_id, public_key, name, platform, status,
                 enrolled_at_ms, last_used_at_ms, verifier_w0, verifier_l, kdf_iterations)
             VALUES (?1, ?2, ?3, 'filler', 'bench', 'active', ?4, ?4, ?5, ?6, ?7)",
        )?;
        let mut act = tx.prepare(
            "INSERT INTO activity(identity_id, seq, at_ms, kind, device_id, request_id, detail, prev_hash, hash)
             VALUES (?1, 1, ?2, 'identity_created', NULL, NULL, 'identity created', ?3, ?4)",
        )?;
        let public_key = [4u8; 65];
        let w0 = [1u8; 32];
        let l = [4u8; 65];
        let zero = [0u8; 32];
        for i in 0..n {
            let identity_id = format!("f{i:031x}");
            let device_id = format!("d{i:063x}");
            let user = format!("filler-{i}");
            ident.execute(params![identity_id, user, at_ms])?;
            dev.execute(params![
                device_id,
                identity_id,
                &public_key[..],
                at_ms,
                &w0[..],
                &l[..],
                MIN_KDF_ITERATIONS
            ])?;
            let hash = sha256(&[identity_id.as_bytes()]);
            act.execute(params![identity_id, at_ms, &zero[..], &hash[..]])?;
            if (i + 1) % 10_000 == 0 {
                progress(i + 1);
            }
        }
    }
    tx.commit()?;
    progress(n);
    Ok(())
}
