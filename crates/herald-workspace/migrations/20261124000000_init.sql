-- Every core entity as JSON, keyed by kind and id. `live` marks what the router must load on
-- start (agents, configuration, unclosed work items, pending offers, unclosed sessions).
CREATE TABLE entities (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    live INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX entities_live ON entities (live, kind);

-- Each agent's ordered event log: the truth behind SSE and polling.
CREATE TABLE events (
    agent_id INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    json     TEXT NOT NULL,
    PRIMARY KEY (agent_id, seq)
);

-- Bearer tokens, stored as SHA-256 hashes; revoked ones stay for the record.
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id   INTEGER NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
