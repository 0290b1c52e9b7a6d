-- What the notifier needs to mail someone links to their tickets: the tickets of an address, with their account,
-- category, status and last activity (kept up to date from the ticket events, in order: version).
ALTER TABLE notifier.contacts
    ADD COLUMN customer_id      text,
    ADD COLUMN category         text,
    ADD COLUMN status           text,
    ADD COLUMN version          integer NOT NULL DEFAULT 0,
    ADD COLUMN last_activity_at timestamptz;
CREATE INDEX contacts_email ON notifier.contacts (lower(email));
