"""What `companion export` is asked to produce, validated before anything is written."""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Mapping
from typing import Literal

from architect.base_url import BaseUrlError, check_base_url
from architect.export.attributes import DEFAULT_ATTRIBUTES
from architect.genesys.data_action_format import TIMEOUT_SECONDS
from schemas.record import RecordField
from service.config import Settings

AUTH_MODES = ("basic", "bearer")
DEFAULT_TIMEOUT_SECONDS = 3
# The data-action timeout range, docs/reference/data-actions.md §1.1 (ActionConfig.timeoutSeconds: 1-60).
TIMEOUT_RANGE = TIMEOUT_SECONDS
# The service's own CRM deadline; the action timeout must stay above it so a slow CRM gives a degraded
# answer from the service instead of Genesys's timeout path.
DEFAULT_SERVICE_DEADLINE_MS = Settings.crm_deadline_ms
# Characters that Velocity, HCL or YAML would read as syntax inside a URL we embed verbatim.
_UNSAFE_URL_CHARS = re.compile(r"[\s\"'\\$#{}<>`%]")


class ExportError(ValueError):
    """The export options are invalid; the message says which one and why."""


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    """Validated export settings."""

    base_url: str
    auth: Literal["basic", "bearer"] = "bearer"
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    service_deadline_ms: int = DEFAULT_SERVICE_DEADLINE_MS
    attributes: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(DEFAULT_ATTRIBUTES))
    attributes_file: str | None = None  # as given on the command line, for the header comment only
    # The custom fields of --fields FILE (schemas/fields_file.py), added to the customer and context actions.
    custom: tuple[RecordField, ...] = ()
    fields_file: str | None = None  # as given on the command line, for the header comment only

    def command_line(self) -> str:
        """The `companion export` command that reproduces these options (written into file headers)."""
        parts = ["companion", "export", "--base-url", self.base_url, "--auth", self.auth]
        if self.timeout_seconds != DEFAULT_TIMEOUT_SECONDS:
            parts += ["--timeout-seconds", str(self.timeout_seconds)]
        if self.service_deadline_ms != DEFAULT_SERVICE_DEADLINE_MS:
            parts += ["--service-deadline-ms", str(self.service_deadline_ms)]
        if self.attributes_file:
            parts += ["--attributes", self.attributes_file]
        if self.fields_file:
            parts += ["--fields", self.fields_file]
        return shlex.join(parts)


def normalise_base_url(url: str) -> str:
    """The service's base URL without a trailing slash; ExportError unless it is a plain http(s) URL."""
    try:
        check_base_url(url, "--base-url")
    except BaseUrlError as exc:
        raise ExportError(str(exc)) from None
    if _UNSAFE_URL_CHARS.search(url.strip()):
        raise ExportError(
            f"--base-url {url!r}: contains a character that Velocity, Terraform or YAML would interpret "
            "(whitespace, quotes, \\, $, #, {, }, <, >, `, %)"
        )
    return url.strip().rstrip("/")


def make_options(
    base_url: str,
    auth: str = "bearer",
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
    service_deadline_ms: int = DEFAULT_SERVICE_DEADLINE_MS,
    attributes: Mapping[str, str] | None = None,
    attributes_file: str | None = None,
    custom: tuple[RecordField, ...] = (),
    fields_file: str | None = None,
) -> ExportOptions:
    """Validate raw export settings into ExportOptions; ExportError names the bad option."""
    if auth not in AUTH_MODES:
        raise ExportError(f"--auth {auth!r}: must be one of {', '.join(AUTH_MODES)}")
    low, high = TIMEOUT_RANGE
    if not isinstance(timeout_seconds, int) or not low <= timeout_seconds <= high:
        raise ExportError(f"--timeout-seconds {timeout_seconds!r}: Genesys accepts {low}-{high} seconds")
    if not isinstance(service_deadline_ms, int) or service_deadline_ms <= 0:
        raise ExportError(f"--service-deadline-ms {service_deadline_ms!r}: must be a positive number of milliseconds")
    if timeout_seconds * 1000 <= service_deadline_ms:
        raise ExportError(
            f"--timeout-seconds {timeout_seconds}: must be above the service's CRM deadline "
            f"({service_deadline_ms} ms), or Genesys times out before the service can give its degraded answer"
        )
    return ExportOptions(
        base_url=normalise_base_url(base_url),
        auth=auth,  # type: ignore[arg-type]
        timeout_seconds=timeout_seconds,
        service_deadline_ms=service_deadline_ms,
        attributes=with_custom_attributes(DEFAULT_ATTRIBUTES if attributes is None else attributes, custom),
        attributes_file=attributes_file,
        custom=tuple(custom),
        fields_file=fields_file,
    )


def with_custom_attributes(attributes: Mapping[str, str], custom: tuple[RecordField, ...]) -> dict[str, str]:
    """The attribute map plus each custom field's participant-data key (unless the map already names the field)."""
    result = dict(attributes)
    for field in custom:
        result.setdefault(field.name, field.attribute)
    return result
