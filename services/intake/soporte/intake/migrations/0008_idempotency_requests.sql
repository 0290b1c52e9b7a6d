-- What each idempotency key was first sent with (a digest of the command): the same key for another request is
-- refused. Records from before have none and keep answering their retries as they did.
ALTER TABLE intake.idempotency ADD COLUMN request text;
