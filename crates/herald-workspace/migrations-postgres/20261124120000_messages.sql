-- PostgreSQL twin of ../migrations/20261124120000_messages.sql.
CREATE TABLE messages (
    id             BIGINT PRIMARY KEY,
    work_item      BIGINT NOT NULL,
    at             BIGINT NOT NULL,
    external_id    TEXT UNIQUE,
    delivery_state TEXT,
    json           TEXT NOT NULL
);
CREATE INDEX messages_work_item ON messages (work_item, id);
CREATE INDEX messages_delivery ON messages (delivery_state) WHERE delivery_state IS NOT NULL;
