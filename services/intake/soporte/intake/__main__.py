"""``python -m soporte.intake [serve|relay|migrate]``: ``soporte intake serve`` unless told otherwise."""

import sys

from .cli import intake

if __name__ == "__main__":
    sys.exit(intake(sys.argv[1:] or ["serve"]))
