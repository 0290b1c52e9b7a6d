-- The desk weeks whose SLA summary was published (not rebuilt: publishing again would be the same event anyway).
CREATE TABLE projections.weekly_summaries (
    week         text        PRIMARY KEY,   -- ISO week of the desk's timezone: 2026-W11
    event_id     uuid        NOT NULL,
    published_at timestamptz NOT NULL
);
