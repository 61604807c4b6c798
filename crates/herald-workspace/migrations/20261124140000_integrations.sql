-- Integrations (bots, channel connectors): their own kind of bearer token, stored as SHA-256.
-- They are not agents: they never get work, and agent endpoints refuse their tokens.
CREATE TABLE integrations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
