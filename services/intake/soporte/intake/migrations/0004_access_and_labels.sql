-- The outbox also carries events outside every ticket's stream (a request for access links, keyed by its
-- address): its key column is the Kafka key (a ticket id, or that address), and such rows have no version.
ALTER TABLE intake.outbox RENAME COLUMN ticket_id TO key;
ALTER TABLE intake.outbox ALTER COLUMN version DROP NOT NULL;

-- What the limits count (failed guest verifications, requests for links), per scope and hashed key; in
-- PostgreSQL, so every intake process spends from one budget. Rows older than any window are deleted.
CREATE TABLE intake.attempts (
    scope text        NOT NULL,
    key   text        NOT NULL,
    at    timestamptz NOT NULL
);
CREATE INDEX attempts_key ON intake.attempts (scope, key, at);
CREATE INDEX attempts_at ON intake.attempts (at);

-- Where an order was shipped, a line each as the shop sent it (printed on return labels).
ALTER TABLE intake.orders ADD COLUMN shipping_address jsonb;
