-- Idempotency records keep the command's outcome as data (the edge renders it), not an HTTP answer.
-- Records written before keep answering retries: their bodies become the matching outcomes.
ALTER TABLE intake.idempotency ADD COLUMN outcome jsonb;
UPDATE intake.idempotency SET outcome = CASE
    WHEN response ? 'access_token' THEN (response - 'status_url') || '{"kind": "ticket_created"}'
    WHEN status = 201 THEN response || '{"kind": "ticket_changed"}'
    ELSE response || '{"kind": "ticket_unchanged"}'
END;
ALTER TABLE intake.idempotency ALTER COLUMN outcome SET NOT NULL;
ALTER TABLE intake.idempotency DROP COLUMN status, DROP COLUMN response;
