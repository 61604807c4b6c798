-- Why was this offer missed? (the never-miss issue, item 4). `offer_index` names each offer's
-- work item and agent (written with the offer's first save), so the offer that followed it —
-- who the item was rerouted to — is one indexed read. `offer_notes` holds what the agent's app
-- reported about the offer (toast clicked or dismissed, sound played, screen locked);
-- append-only.
CREATE TABLE offer_index (
    offer_id   INTEGER PRIMARY KEY,
    work_item  INTEGER NOT NULL,
    agent_id   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX offer_index_item ON offer_index (work_item, offer_id);
CREATE TABLE offer_notes (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    offer_id INTEGER NOT NULL,
    agent_id INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX offer_notes_offer ON offer_notes (offer_id, id);
