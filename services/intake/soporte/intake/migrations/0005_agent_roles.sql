-- Each agent has a role: `agent`, or `lead` (also reads the dashboard and the reports).
ALTER TABLE intake.agents ADD COLUMN role text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'lead'));
