-- Files a customer sent by mail that intake did not keep (name and reason code), shown with their message.
-- Messages stored before keep an empty list; `soporte projections rebuild` fills it from the events.
ALTER TABLE projections.messages ADD COLUMN refused_attachments jsonb NOT NULL DEFAULT '[]'::jsonb;
