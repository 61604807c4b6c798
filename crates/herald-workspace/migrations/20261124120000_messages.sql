-- Messages of conversations (a conversation is a work item), ordered by id. `external_id` is the
-- channel's own id of an inbound message (Twilio MessageSid): unique, so a retried webhook cannot
-- store it twice. `delivery_state` mirrors the JSON for the outbound sender's scan.
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    work_item      INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    external_id    TEXT UNIQUE,
    delivery_state TEXT,
    json           TEXT NOT NULL
);
CREATE INDEX messages_work_item ON messages (work_item, id);
CREATE INDEX messages_delivery ON messages (delivery_state) WHERE delivery_state IS NOT NULL;
