"""``soporte projections serve | rebuild``."""

from __future__ import annotations

import argparse


def projections(argv: list[str]) -> int:
    """``serve``: the reader and the web app; ``rebuild``: replay the topics into fresh tables and swap them in."""
    parser = argparse.ArgumentParser(prog="soporte projections", description="read models, query API and pages")
    parser.add_argument("action", choices=["serve", "rebuild"])
    args = parser.parse_args(argv)
    if args.action == "serve":
        from soporte.projections.__main__ import main

        return main()
    from soporte.platform.logging import configure_logging
    from soporte.projections.entrypoints.rebuild import run_rebuild
    from soporte.projections.settings import ProjectionsSettings

    settings = ProjectionsSettings.from_env()
    configure_logging("projections", settings.log_level, json=settings.log_json)
    run_rebuild(settings)
    return 0
