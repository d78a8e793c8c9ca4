//! The schema, as numbered migrations: `PRAGMA user_version` holds how many
//! have run; [`super::Db::open`] runs the rest, each in its own transaction.

/// The migrations, oldest first.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: identities, devices, activation codes, requests, PIN-proof sessions,
    // the hash-chained activity log, device additions, the notification
    // outbox, unfreeze proofs and the service's signing key.
    "CREATE TABLE identities (
        identity_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        user_key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'active',
        created_at_ms INTEGER NOT NULL,
        frozen INTEGER NOT NULL DEFAULT 0,
        phone TEXT,
        email TEXT,
        notify_every_use INTEGER NOT NULL DEFAULT 0,
        language TEXT NOT NULL DEFAULT 'en'
    );
    CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        identity_id TEXT NOT NULL REFERENCES identities(identity_id),
        public_key BLOB NOT NULL,
        name TEXT NOT NULL,
        platform TEXT NOT NULL,
        status TEXT NOT NULL,
        enrolled_at_ms INTEGER NOT NULL,
        last_used_at_ms INTEGER NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        pin_failures INTEGER NOT NULL DEFAULT 0,
        last_pin_attempt_ms INTEGER NOT NULL DEFAULT 0,
        verifier_w0 BLOB NOT NULL,
        verifier_l BLOB NOT NULL,
        kdf_iterations INTEGER NOT NULL
    );
    CREATE INDEX devices_by_identity ON devices(identity_id, status);
    CREATE TABLE activation_codes (
        code_id INTEGER PRIMARY KEY AUTOINCREMENT,
        identity_id TEXT NOT NULL REFERENCES identities(identity_id),
        code_hash BLOB NOT NULL,
        channel TEXT NOT NULL,
        issued_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        used_at_ms INTEGER,
        failures INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX codes_by_identity ON activation_codes(identity_id);
    CREATE TABLE requests (
        request_id TEXT PRIMARY KEY,
        user_key TEXT NOT NULL,
        identity_id TEXT,
        nonce BLOB NOT NULL,
        requester_id TEXT NOT NULL,
        requester_name TEXT NOT NULL,
        action TEXT NOT NULL,
        texts_json TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        poll_handle_hash BLOB NOT NULL UNIQUE,
        decided_at_ms INTEGER,
        decided_by TEXT,
        statement BLOB,
        signature BLOB,
        channel_kind TEXT,
        channel_code TEXT,
        channel_secret BLOB,
        channel_failures INTEGER NOT NULL DEFAULT 0,
        channel_ok_device TEXT,
        channel_ok_answer TEXT,
        amount_minor INTEGER,
        amount_currency TEXT,
        account TEXT
    );
    CREATE INDEX requests_by_user_time ON requests(user_key, created_at_ms);
    CREATE INDEX requests_by_user ON requests(user_key, status, expires_at_ms);
    CREATE INDEX requests_by_identity ON requests(identity_id, status, expires_at_ms);
    CREATE TABLE pake_sessions (
        session_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        share_p BLOB NOT NULL,
        share_v BLOB NOT NULL,
        expected_confirm_p BLOB NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        used INTEGER NOT NULL DEFAULT 0,
        purpose TEXT NOT NULL
    );
    CREATE TABLE activity (
        identity_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        device_id TEXT,
        request_id TEXT,
        detail TEXT NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (identity_id, seq)
    );
    CREATE TABLE device_additions (
        addition_id TEXT PRIMARY KEY,
        identity_id TEXT NOT NULL REFERENCES identities(identity_id),
        started_by TEXT NOT NULL,
        started_at_ms INTEGER NOT NULL,
        wait_until_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        pairing_secret BLOB,
        pairing_expires_at_ms INTEGER,
        pairing_failures INTEGER NOT NULL DEFAULT 0,
        new_device_id TEXT,
        closed_at_ms INTEGER,
        closed_by TEXT
    );
    CREATE INDEX additions_by_identity ON device_additions(identity_id, status);
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        identity_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        event TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX notifications_by_identity ON notifications(identity_id, channel, id);
    CREATE TABLE unfreeze_proofs (
        identity_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        PRIMARY KEY (identity_id, device_id)
    );
    CREATE TABLE service_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pkcs8 BLOB NOT NULL
    );",
    // 2: keys out of the database. The service's signing key moves to a key
    // file (`crate::keys`; `Service::open` writes it there before this runs),
    // and the row is deleted (with `secure_delete` on, its page is zeroed).
    // Rotation statements of the signing key, which are public, stay here.
    "DELETE FROM service_key;
    DROP TABLE service_key;
    CREATE TABLE key_rotations (
        old_key_id TEXT PRIMARY KEY,
        new_public_key BLOB NOT NULL,
        rotated_at_ms INTEGER NOT NULL,
        signature BLOB NOT NULL
    );",
    // 3: the retention job finds ended requests and old PIN sessions by time.
    "CREATE INDEX requests_by_expiry ON requests(expires_at_ms);
    CREATE INDEX pake_sessions_by_expiry ON pake_sessions(expires_at_ms);
    CREATE INDEX notifications_by_time ON notifications(at_ms);",
    // 4: every PIN attempt, kept for the rolling failure budget that a
    // correct proof does not refill, and for telling the owner about each
    // attempt that did not end in a correct proof; a one-row table that
    // refusals bump so that they cost a write like the refusals that count
    // something (a wrong activation code for any user ID).
    "CREATE TABLE pin_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL UNIQUE,
        device_id TEXT NOT NULL,
        identity_id TEXT NOT NULL,
        started_at_ms INTEGER NOT NULL,
        lapses_at_ms INTEGER NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'open',
        told INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX pin_attempts_by_device ON pin_attempts(device_id, started_at_ms);
    CREATE INDEX pin_attempts_by_identity ON pin_attempts(identity_id, started_at_ms);
    CREATE INDEX pin_attempts_open ON pin_attempts(identity_id, outcome, lapses_at_ms);
    CREATE INDEX pin_attempts_untold ON pin_attempts(identity_id, id)
        WHERE told = 0 AND outcome IN ('wrong', 'abandoned');
    CREATE TABLE write_pad (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pad INTEGER NOT NULL
    );
    INSERT INTO write_pad(id, pad) VALUES (1, 0);",
    // 5: registered requesters (issue 13): who may create, poll and cancel
    // requests, the names the owner reads, what each may ask for, its rate
    // limits and its P-256 public key; the nonces of their signed calls,
    // kept for the timestamp window so that a copy is refused.
    "CREATE TABLE requesters (
        requester_id TEXT PRIMARY KEY,
        name_kl TEXT NOT NULL,
        name_da TEXT NOT NULL,
        name_en TEXT NOT NULL,
        actions TEXT NOT NULL,
        channel_modes TEXT NOT NULL,
        max_per_minute INTEGER NOT NULL,
        max_per_hour INTEGER NOT NULL,
        public_key BLOB NOT NULL,
        registered_at_ms INTEGER NOT NULL,
        revoked_at_ms INTEGER
    );
    CREATE TABLE requester_nonces (
        requester_id TEXT NOT NULL,
        nonce BLOB NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        PRIMARY KEY (requester_id, nonce)
    );
    CREATE INDEX requester_nonces_by_time ON requester_nonces(timestamp_ms);
    CREATE INDEX requests_by_requester_time ON requests(requester_id, created_at_ms);",
];
