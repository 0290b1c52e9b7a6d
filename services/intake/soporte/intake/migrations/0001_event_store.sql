-- Intake owns the event store, its outbox, idempotency records, the orders it knows, and agents.
CREATE SCHEMA IF NOT EXISTS intake;

-- Append-only; (ticket_id, version) is the optimistic-concurrency guard.
CREATE TABLE intake.events (
    ticket_id   text        NOT NULL,
    version     integer     NOT NULL CHECK (version >= 1),
    event_id    uuid        NOT NULL UNIQUE,
    type        text        NOT NULL,
    payload     jsonb       NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, version)
);

-- Filled in the same transaction as the events; the relay publishes and flags rows.
-- Drained by "unpublished, FOR UPDATE SKIP LOCKED", never by "id > last seen" (ids are not commit order).
CREATE TABLE intake.outbox (
    id           bigserial   PRIMARY KEY,
    ticket_id    text        NOT NULL,
    version      integer     NOT NULL,
    payload      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON intake.outbox (id) WHERE published_at IS NULL;

-- A retried request with the same key (per caller) gets the first answer back.
CREATE TABLE intake.idempotency (
    principal  text        NOT NULL,
    key        text        NOT NULL,
    status     integer     NOT NULL,
    response   jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);

CREATE TABLE intake.orders (
    order_number  text        PRIMARY KEY,
    customer_id   text,
    email         text        NOT NULL,
    customer_name text,
    items         jsonb       NOT NULL DEFAULT '[]',
    placed_at     timestamptz NOT NULL
);
CREATE INDEX orders_customer ON intake.orders (customer_id);

CREATE TABLE intake.positions (
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (topic, partition)
);

CREATE TABLE intake.agents (
    agent_id     text        PRIMARY KEY,
    name         text        NOT NULL,
    email        text        NOT NULL UNIQUE,
    token_sha256 text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now()
);
