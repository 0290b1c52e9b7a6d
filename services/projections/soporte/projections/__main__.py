"""``python -m soporte.projections``: read models, query API and pages with settings from the environment."""

import sys

from soporte.platform import lifecycle
from soporte.platform.lifecycle import refuse_unsafe_start
from soporte.platform.logging import configure_logging
from soporte.projections.bootstrap import serve
from soporte.projections.settings import ProjectionsSettings


def main() -> int:
    settings = ProjectionsSettings.from_env()
    configure_logging("projections", settings.log_level, json=settings.log_json)
    refuse_unsafe_start(settings, settings.host)
    lifecycle.run(lambda stop: serve(settings, stop))
    return 0


if __name__ == "__main__":
    sys.exit(main())
