-- PostgreSQL twin of ../migrations/20261202120000_accounts.sql. People signing in with an email and a password (the organisation issue). The password is kept
-- only as an argon2id PHC string; invites are one-time set-password codes, kept as SHA-256.
CREATE TABLE accounts (
    agent_id      BIGINT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    disabled_at   BIGINT,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE invites (
    hash       TEXT PRIMARY KEY,
    agent_id   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX invites_agent ON invites (agent_id);
