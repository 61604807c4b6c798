-- Web chat widgets (pre-chat questions, queue), as JSON by id.
CREATE TABLE widgets (
    id   TEXT PRIMARY KEY,
    json TEXT NOT NULL
);

-- A customer's web chat: which work item it is, and the SHA-256 of the customer's token.
CREATE TABLE webchat_conversations (
    work_item  INTEGER PRIMARY KEY,
    widget     TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
