-- Mail-in's per-sender rate limit: one row per mail taken from a sender, kept for the limit's window.
CREATE TABLE intake.mail_senders (
    sender text NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX mail_senders_by_sender ON intake.mail_senders (sender, received_at);
