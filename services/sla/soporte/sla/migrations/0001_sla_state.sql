-- The SLA processor's state: per-ticket clocks and how far it has read the ticket stream.
-- Both are written in one transaction, so a restart resumes exactly where the state stops.
CREATE SCHEMA IF NOT EXISTS sla;

CREATE TABLE IF NOT EXISTS sla.ticket_clocks (
    ticket_id  text        PRIMARY KEY,
    state      jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS sla.positions (
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (topic, partition)
);
