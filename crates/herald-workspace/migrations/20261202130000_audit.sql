-- Who did what and when (the organisation issue, item 5). Append-only: rows are inserted, never
-- updated or deleted by the workspace.
CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  INTEGER,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL,
    client TEXT
);
CREATE INDEX audit_action ON audit (action, id);
CREATE INDEX audit_actor ON audit (actor, id);
