-- People signing in with an email and a password (the organisation issue). The password is kept
-- only as an argon2id PHC string; invites are one-time set-password codes, kept as SHA-256.
CREATE TABLE accounts (
    agent_id      INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    disabled_at   INTEGER,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE invites (
    hash       TEXT PRIMARY KEY,
    agent_id   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX invites_agent ON invites (agent_id);
