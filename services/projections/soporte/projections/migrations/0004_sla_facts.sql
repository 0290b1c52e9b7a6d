-- The SLA facts of each ticket (reports, dashboard, export) and the open backlog's moves per day. Both are
-- rebuilt by `soporte projections rebuild` like every other read model.
CREATE TABLE projections.sla_facts (
    ticket_id                     text        PRIMARY KEY,
    category                      text        NOT NULL,
    channel                       text        NOT NULL,
    created_at                    timestamptz NOT NULL,
    attended_live                 boolean     NOT NULL,   -- opened by an agent (phone, chat): no first-response clock
    first_response_at             timestamptz,
    first_response_seconds        integer,                -- business seconds, as the SLA worker's KPI measures them
    first_response_target_seconds integer,
    first_responder_id            text,
    first_responder_name          text,
    attention_due                 timestamptz,
    attended_at                   timestamptz,            -- the attention clock ended (an answer or the resolution)
    resolved_at                   timestamptz
);
CREATE INDEX sla_facts_created ON projections.sla_facts (created_at);

-- Tickets entering (+) or leaving (-) an open status of a category, per day of the desk's timezone: the backlog
-- at the end of a day is the sum of the moves up to it.
CREATE TABLE projections.backlog_moves (
    day      date    NOT NULL,
    category text    NOT NULL,
    status   text    NOT NULL,
    moved    integer NOT NULL,
    PRIMARY KEY (day, category, status)
);

-- What the dashboard and the breach forecast look up by time.
CREATE INDEX escalations_occurred ON projections.escalations (occurred_at);
CREATE INDEX timeline_agent_activity ON projections.timeline (occurred_at) WHERE actor_kind = 'agent';
CREATE INDEX tickets_open_due ON projections.tickets (sort_due) WHERE status <> 'resolved';
