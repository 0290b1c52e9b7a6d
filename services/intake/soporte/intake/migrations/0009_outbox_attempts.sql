-- Outbox rows a relay has begun to publish, committed before it sends them: rows still unpublished with a mark
-- here may be on Kafka already (the relay died between sending and flagging them), so the next relay looks at the
-- end of their partitions first and sends only what is not there. Removed with the flag, in one transaction.
CREATE TABLE intake.outbox_attempts (
    id bigint PRIMARY KEY
);
