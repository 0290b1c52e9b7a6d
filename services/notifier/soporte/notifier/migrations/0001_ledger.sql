-- The notifier's own tables: contacts per ticket, the sent-mail ledger, consumer positions.
CREATE SCHEMA IF NOT EXISTS notifier;

CREATE TABLE notifier.contacts (
    ticket_id text PRIMARY KEY,
    name      text NOT NULL,
    email     text NOT NULL,
    language  text NOT NULL
);

-- One row per notification id (derived from event id, kind, recipient): a redelivered event
-- inserts nothing new. status: pending -> sent | failed.
CREATE TABLE notifier.notifications (
    notification_id   text PRIMARY KEY,
    source_event_id   text NOT NULL,
    ticket_id         text,
    kind              text NOT NULL,
    recipient         text NOT NULL,
    language          text NOT NULL,
    context           jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text,
    next_attempt_at   timestamptz NOT NULL,
    created_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    outcome_published boolean NOT NULL DEFAULT false
);
CREATE INDEX notifications_due ON notifier.notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_unpublished ON notifier.notifications (finished_at) WHERE status <> 'pending' AND NOT outcome_published;

-- Where each partition's reading stands; written in the same transaction as the ledger rows.
CREATE TABLE notifier.positions (
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (topic, partition)
);
