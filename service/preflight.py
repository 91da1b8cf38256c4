"""Start-up checks run before gunicorn boots a worker: every configuration problem at once, one line each."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from service.config import Settings
from service.config import read_settings
from service.crm import backend_problems

# Exit status for a configuration that cannot start (the usual "usage error" status of command lines).
EXIT_CONFIG = 2


def startup_problems(environ: Mapping[str, str] | None = None) -> tuple[Settings, list[str]]:
    """The settings, and one line per problem with them or with the CRM backend they name."""
    environ = os.environ if environ is None else environ
    settings, problems = read_settings(environ)
    if not any(line.startswith("COMPANION_CRM_BACKEND:") for line in problems):
        problems.extend(backend_problems(settings))
    return settings, problems


def checked_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings when they can start the service; otherwise print every problem and exit with status 2."""
    settings, problems = startup_problems(environ)
    if problems:
        lines = "\n".join(f"  {line}" for line in problems)
        print(f"companion: cannot start, invalid configuration:\n{lines}", file=sys.stderr, flush=True)
        sys.exit(EXIT_CONFIG)
    return settings
