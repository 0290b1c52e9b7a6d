"""``python -m soporte.notifier``: the notifier with settings from the environment (SIGTERM stops it)."""

import sys

from soporte.notifier.bootstrap import run
from soporte.notifier.settings import NotifierSettings
from soporte.platform import lifecycle
from soporte.platform.logging import configure_logging


def main() -> int:
    settings = NotifierSettings.from_env()
    configure_logging("notifier", settings.log_level, json=settings.log_json)
    lifecycle.run(lambda stop: run(settings, stop))
    return 0


if __name__ == "__main__":
    sys.exit(main())
