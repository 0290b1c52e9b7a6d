"""``python -m soporte.intake.mailin`` (or ``soporte mailin serve``): the SMTP/LMTP listener and the IMAP poller."""

import sys

from soporte.intake.cli import mailin

if __name__ == "__main__":
    sys.exit(mailin(sys.argv[1:] or ["serve"]))
