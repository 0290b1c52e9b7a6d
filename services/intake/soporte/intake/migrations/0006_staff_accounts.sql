-- Staff accounts: each agent signs in with a password (only its argon2 hash is kept) into a server-side session;
-- integrations use API tokens, several per agent, listed and revocable. A disabled agent (disabled_at) is nobody:
-- disabling ends their sessions and revokes their tokens in the same transaction.
ALTER TABLE intake.agents ADD COLUMN password_hash text;
ALTER TABLE intake.agents ADD COLUMN disabled_at timestamptz;

CREATE TABLE intake.agent_tokens (
    token_id     text        PRIMARY KEY,
    agent_id     text        NOT NULL REFERENCES intake.agents (agent_id),
    label        text        NOT NULL,
    token_sha256 text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX agent_tokens_agent ON intake.agent_tokens (agent_id);
-- The token each agent had keeps working, as their first API token.
INSERT INTO intake.agent_tokens (token_id, agent_id, label, token_sha256, created_at)
SELECT 'tok-' || substr(md5(agent_id), 1, 12), agent_id, 'api', token_sha256, created_at FROM intake.agents;
ALTER TABLE intake.agents DROP COLUMN token_sha256;

-- Only the hash of a session's token; ended_at: signed out, disabled or the password reset.
CREATE TABLE intake.agent_sessions (
    session_sha256 text        PRIMARY KEY,
    agent_id       text        NOT NULL REFERENCES intake.agents (agent_id),
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    ended_at       timestamptz
);
CREATE INDEX agent_sessions_agent ON intake.agent_sessions (agent_id, created_at);

-- Finding a caller by address or name when an agent opens a ticket for them.
CREATE INDEX orders_email ON intake.orders (email);
