-- Read models of the projections service. Every table but `generation` is rebuilt by
-- `soporte projections rebuild` into <name>_rebuild twins and swapped in by renaming.
CREATE SCHEMA IF NOT EXISTS projections;

CREATE TABLE projections.tickets (
    ticket_id          text        PRIMARY KEY,
    version            integer     NOT NULL,
    category           text        NOT NULL,
    priority           text        NOT NULL,
    actionable         boolean     NOT NULL,
    not_actionable     smallint    NOT NULL,   -- 0 for actionable tickets: they are served first
    missing            jsonb       NOT NULL,
    status             text        NOT NULL,
    customer_name      text        NOT NULL,
    customer_email     text        NOT NULL,   -- lower-cased
    customer_id        text,
    language           text        NOT NULL,
    channel            text        NOT NULL,
    order_number       text,
    created_at         timestamptz NOT NULL,
    last_activity_at   timestamptz NOT NULL,
    assignee_id        text,
    assignee_name      text,
    first_responded_at timestamptz,
    resolved_at        timestamptz,
    clocks             jsonb       NOT NULL,   -- SLA clock episodes, to continue the fold
    due_times          jsonb       NOT NULL,   -- breach time per running clock
    sla_due_at         timestamptz,            -- earliest breach time among running clocks
    sort_due           timestamptz NOT NULL,   -- sla_due_at, or far future when no clock runs
    sla_state          text        NOT NULL
);
CREATE INDEX tickets_queue_order ON projections.tickets (not_actionable, sort_due, created_at, ticket_id);
CREATE INDEX tickets_customer_id ON projections.tickets (customer_id);
CREATE INDEX tickets_customer_email ON projections.tickets (customer_email);

-- The public thread: only what a customer may read (internal notes are never written here).
CREATE TABLE projections.messages (
    ticket_id    text        NOT NULL,
    version      integer     NOT NULL,
    kind         text        NOT NULL,
    author_kind  text        NOT NULL,
    author_name  text,
    body         text        NOT NULL,
    attachments  jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, version)
);

-- Every ticket event, for agents.
CREATE TABLE projections.timeline (
    ticket_id    text        NOT NULL,
    version      integer     NOT NULL,
    event_id     uuid        NOT NULL,
    type         text        NOT NULL,
    actor_kind   text        NOT NULL,
    actor_id     text        NOT NULL,
    actor_name   text,
    occurred_at  timestamptz NOT NULL,
    summary      text        NOT NULL,
    data         jsonb       NOT NULL,
    PRIMARY KEY (ticket_id, version)
);

CREATE TABLE projections.escalations (
    event_id     uuid        PRIMARY KEY,
    ticket_id    text        NOT NULL,
    breached     boolean     NOT NULL,
    clock        text        NOT NULL,
    level        integer     NOT NULL,
    episode      text,
    deadline     timestamptz NOT NULL,
    occurred_at  timestamptz NOT NULL
);
CREATE INDEX escalations_ticket ON projections.escalations (ticket_id);

CREATE TABLE projections.first_responses (
    ticket_id        text        PRIMARY KEY,
    event_id         uuid        NOT NULL,
    business_seconds integer     NOT NULL,
    submitted_at     timestamptz NOT NULL,
    responded_at     timestamptz NOT NULL
);

CREATE TABLE projections.notifications (
    event_id     uuid        PRIMARY KEY,
    ticket_id    text,
    outcome      text        NOT NULL,
    kind         text        NOT NULL,
    recipient    text        NOT NULL,
    attempts     integer     NOT NULL,
    reason       text,
    occurred_at  timestamptz NOT NULL
);
CREATE INDEX notifications_ticket ON projections.notifications (ticket_id);

-- Where reading stands, written in the same transaction as the rows above.
CREATE TABLE projections.positions (
    topic        text    NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint  NOT NULL,
    PRIMARY KEY (topic, partition)
);

-- Bumped by every rebuild swap: a live reader that sees it change re-reads its positions.
CREATE TABLE projections.generation (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint  NOT NULL
);
INSERT INTO projections.generation VALUES (true, 0);
