"""Reading a YAML mapping: the operator's file, else the file an environment variable names, else a packaged default."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .intervals import CalendarError


def read_yaml(path: Path | None, env_var: str, packaged: str) -> dict[str, Any]:
    """The mapping in ``path``, else in $``env_var``, else in ``data/<packaged>``; anything else is a CalendarError."""
    path = path or (Path(os.environ[env_var]) if os.environ.get(env_var) else None)
    text = (
        path.read_text(encoding="utf-8")
        if path
        else resources.files(__package__).joinpath("data", packaged).read_text("utf-8")
    )
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise CalendarError(f"{path or packaged}: expected a mapping")
    return data
