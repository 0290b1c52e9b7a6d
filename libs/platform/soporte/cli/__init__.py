"""The ``soporte`` command: one sub-command per task, each owned by the package it drives."""
