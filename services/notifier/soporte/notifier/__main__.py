"""``python -m soporte.notifier``: the notifier with settings from the environment (SIGTERM stops it)."""

import sys

from soporte.notifier.cli import serve

if __name__ == "__main__":
    sys.exit(serve())
