"""CRM backends: sqlite (embedded), postgres (shared by many instances) and http (the customer's own CRM, or a
vendor preset: salesforce, hubspot, zendesk, dynamics), behind one interface (service.crm.base)."""

from __future__ import annotations

import logging
import weakref

from schemas.fields_file import NO_CUSTOM_FIELDS
from service.config import HTTP_BACKENDS
from service.config import ConfigError
from service.config import Settings
from service.crm.base import CrmBackend

log = logging.getLogger("companion.crm")

_HOW_TO_CREATE = "create it with `companion crm import FILE.csv` or `companion crm demo` (--db PATH for another file)"


def _sqlite_backend(settings: Settings) -> CrmBackend:
    from service.crm.demo import create_demo_database
    from service.crm.sqlite import SqliteBackend
    from service.crm.sqlite import database_problem
    from service.crm.sqlite import fields_problem

    path = settings.sqlite_path
    custom = settings.fields.fields
    if settings.demo and not path.exists():
        # `make serve` from a fresh clone: the demo needs customers to find.
        count = create_demo_database(path, custom=custom)
        log.info("created the demo CRM database", extra={"path": str(path), "customers": count})
    problem = database_problem(path)
    if problem:
        raise ConfigError(f"COMPANION_SQLITE_PATH: {problem}; {_HOW_TO_CREATE}")
    problem = fields_problem(path, custom)
    if problem:
        raise ConfigError(f"COMPANION_SQLITE_PATH: {problem}")
    return SqliteBackend(path, custom)


def backend_problems(settings: Settings) -> list[str]:
    """One line per problem with the configured backend (its database or its CRM settings), without opening it.

    A demo whose database does not exist yet has none: start-up creates it.
    """
    if settings.crm_backend == "sqlite":
        from service.crm.sqlite import database_problem
        from service.crm.sqlite import fields_problem

        if settings.demo and not settings.sqlite_path.exists():
            return []
        problem = database_problem(settings.sqlite_path)
        if problem:
            return [f"COMPANION_SQLITE_PATH: {problem}; {_HOW_TO_CREATE}"]
        if settings.fields_file is not None and settings.fields is NO_CUSTOM_FIELDS:
            return []  # the fields file itself is at fault, and said so: comparing with no fields would mislead
        problem = fields_problem(settings.sqlite_path, settings.fields.fields)
        return [f"COMPANION_SQLITE_PATH: {problem}"] if problem else []
    if settings.crm_backend in HTTP_BACKENDS:
        from service.crm.http import config_problems

        return config_problems(settings)
    if settings.crm_backend == "postgres":
        from service.crm.postgres import startup_problems

        return startup_problems(settings)
    return []


def build_backend(settings: Settings) -> CrmBackend:
    """The configured CRM backend, checked now so a bad database or CRM config stops start-up.

    :raise ConfigError: naming the setting at fault.
    """
    if settings.crm_backend == "sqlite":
        return _sqlite_backend(settings)
    if settings.crm_backend in HTTP_BACKENDS:
        from service.crm.http import HttpBackend

        return HttpBackend(settings)
    if settings.crm_backend == "postgres":
        from service.crm.postgres import PostgresBackend

        backend = PostgresBackend(settings)
        backend.check_schema()
        return backend
    raise ConfigError(
        f"COMPANION_CRM_BACKEND: unknown backend {settings.crm_backend!r}; expected sqlite, postgres or one of {', '.join(HTTP_BACKENDS)}"
    )


def init_app(app, settings: Settings) -> CrmBackend:
    """Build the backend, make /readyz depend on it (unless turned off), and close it with the app (or at exit)."""
    from service.health import add_readiness_check

    backend = build_backend(settings)
    app.extensions["companion.crm"] = backend
    if settings.readyz_checks_crm:
        add_readiness_check(app, backend.readiness)
    # Runs when the app is garbage-collected or at interpreter exit, whichever comes first; holds no
    # reference to the app, so test suites that build many apps do not pile up open databases.
    weakref.finalize(app, backend.close)
    return backend
