"""Mail-in: intake's process that turns inbound mail into ticket commands (``python -m soporte.intake.mailin``).

An SMTP/LMTP listener and an IMAP poller feed one pipeline; a mail is acknowledged
(SMTP 250, IMAP flag or move) only after the pipeline has committed what it made of it.
"""
