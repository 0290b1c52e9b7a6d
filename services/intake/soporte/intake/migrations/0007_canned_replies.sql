-- Canned replies leads manage and agents insert into the reply box, per language; a name is unique in its language.
-- `action` bundles one step with the reply: `return_label` (with `carrier`) before it, or `resolve` after it.
CREATE TABLE intake.canned_replies (
    reply_id   text        PRIMARY KEY,
    name       text        NOT NULL,
    language   text        NOT NULL,
    body       text        NOT NULL,
    action     text        CHECK (action IN ('return_label', 'resolve')),
    carrier    text,
    updated_by text        NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX canned_replies_name ON intake.canned_replies (language, lower(name));
