"""``python -m soporte.sla``: run the SLA processor with the environment's settings."""

import sys

from .cli import sla

if __name__ == "__main__":
    sys.exit(sla(sys.argv[1:]))
