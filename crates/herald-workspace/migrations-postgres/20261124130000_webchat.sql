-- PostgreSQL twin of ../migrations/20261124130000_webchat.sql.
CREATE TABLE widgets (
    id   TEXT PRIMARY KEY,
    json TEXT NOT NULL
);

CREATE TABLE webchat_conversations (
    work_item  BIGINT PRIMARY KEY,
    widget     TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
