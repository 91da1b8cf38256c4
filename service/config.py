"""Settings: read once from COMPANION_* environment variables, validated, then passed down."""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

import marshmallow as ma

from schemas.fields_file import NO_CUSTOM_FIELDS
from schemas.fields_file import FieldsConfig
from schemas.fields_file import FieldsFileError
from schemas.fields_file import load_fields_file

PREFIX = "COMPANION_"
# Used only in demo mode, so trace ids stay stable across demo restarts; never valid outside demo mode.
DEMO_TRACE_SECRET = "architect-companion-demo-secret-not-for-production"
MIN_SECRET_LENGTH = 16
# Backends that call a remote CRM over HTTP: the generic one and the vendor presets (service/crm/presets/).
HTTP_BACKENDS = ("http", "salesforce", "hubspot", "zendesk", "dynamics")
# Never shown by Settings.__repr__ (headers may carry API keys).
SECRET_SETTINGS = ("api_keys", "trace_secret", "crm_auth_header", "database_url", "crm_headers", "crm_client_secret", "crm_token")
# The SDK sends up to 512 spans per request by default. Encoding a batch is pure-Python work (tens of µs a
# span) that a gevent worker does on its one event loop, holding every request it serves meanwhile: 64 keeps
# each pause to a few milliseconds. OTEL_BSP_MAX_EXPORT_BATCH_SIZE still decides when set.
OTLP_BATCH_SIZE = 64


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Validated service settings. Field docs are in README.md (Configuration)."""

    api_keys: tuple[str, ...] = ()
    trace_secret: str = ""
    demo: bool = False
    max_body_bytes: int = 16 * 1024
    log_level: str = "INFO"
    crm_backend: str = "sqlite"
    sqlite_path: Path = Path("instance/crm.sqlite3")
    # libpq URL of the shared PostgreSQL CRM (crm_backend "postgres"); may hold a password.
    database_url: str = ""
    default_region: str = "US"
    tiers: tuple[str, ...] = ("standard", "silver", "gold", "platinum")
    # The custom customer fields of COMPANION_FIELDS_FILE (schemas/fields_file.py); none by default.
    fields_file: Path | None = None
    fields: FieldsConfig = NO_CUSTOM_FIELDS
    crm_url_template: str = ""
    crm_auth_header: str = ""
    # The generic http backend's request beyond its URL (service/crm/request_spec.py).
    crm_method: str = "GET"
    crm_body_template: str = ""
    crm_headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # Vendor presets and OAuth 2.0 client credentials (service/crm/presets/, service/crm/oauth.py).
    crm_base_url: str = ""
    crm_client_id: str = ""
    crm_client_secret: str = ""
    crm_token: str = ""
    crm_email: str = ""
    crm_tenant: str = ""
    crm_token_url: str = ""
    crm_scope: str = ""
    crm_api_version: str = ""
    crm_field_map: Mapping[str, str] = dataclasses.field(default_factory=dict)
    crm_record_path: str = ""
    crm_deadline_ms: int = 1500
    crm_connect_timeout_ms: int = 500
    crm_breaker_failures: int = 5
    crm_breaker_cooldown_s: float = 30.0
    crm_cache_ttl_s: float = 300.0
    crm_cache_miss_ttl_s: float = 60.0
    crm_cache_max_entries: int = 10_000
    crm_max_response_bytes: int = 1024 * 1024
    degraded_as_503: bool = False
    # Off: /readyz ignores the CRM breaker (only start-up problems and shutdown make it 503).
    readyz_checks_crm: bool = True
    metrics_auth: bool = False
    # Where gunicorn workers share Prometheus samples; None: a fresh temporary directory per server.
    metrics_dir: Path | None = None
    bind: str = "127.0.0.1:8080"
    workers: int = dataclasses.field(default_factory=lambda: max(2, os.cpu_count() or 1))
    # None: 16, or 32 with the http backend. Sizes the http backend's fetch pool (2 x threads calls in flight
    # per worker): 2 workers cover Genesys's 50 concurrent executions however the kernel spreads the
    # connections over the workers (bench/customer_http.py; docs/deploying.md §1). gunicorn's gevent
    # worker serves each connection on a greenlet, so this no longer bounds the connections served.
    threads: int | None = None
    # Where spans go over OTLP/HTTP (resolved from the standard OTEL_* variables); "": tracing off.
    otlp_traces_endpoint: str = ""
    # Spans per OTLP export request (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, else OTLP_BATCH_SIZE).
    otlp_batch_size: int = OTLP_BATCH_SIZE

    def __repr__(self) -> str:
        # Secrets must never reach a log line or a traceback through repr().
        shown = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in SECRET_SETTINGS
        }
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in shown.items())}, secrets=<redacted>)"

    def __post_init__(self):
        if self.threads is None:
            object.__setattr__(self, "threads", 32 if self.crm_backend in HTTP_BACKENDS else 16)


class _CommaList(ma.fields.Field):
    """A comma-separated environment value as a tuple of non-empty, stripped strings (strip: the characters
    trimmed around each item; None: any whitespace)."""

    def __init__(self, *args, strip: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.strip = strip

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ma.ValidationError("must be a comma-separated string")
        return tuple(item.strip(self.strip) for item in value.split(",") if item.strip(self.strip))


class _FieldMap(ma.fields.Field):
    """A JSON object {ourField: path}, given inline or as @/path/to/file.json."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = value
        if value.startswith("@"):
            try:
                text = Path(value[1:]).read_text(encoding="utf-8")
            except OSError as exc:
                raise ma.ValidationError(f"cannot read {value[1:]}: {exc.strerror}") from exc
        try:
            mapping = json.loads(text)
        except ValueError as exc:
            raise ma.ValidationError(f"not valid JSON: {exc}") from exc
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items()
        ):
            raise ma.ValidationError('must be a JSON object of non-empty strings, e.g. {"firstName": "$.name.first"}')
        return mapping


class _Headers(ma.fields.Field):
    """A JSON object {"Header-Name": "value"} of extra request headers."""

    def _deserialize(self, value, attr, data, **kwargs):
        from service.crm.request_spec import parse_headers

        try:
            return parse_headers(value)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None


def _env(name: str) -> str:
    return PREFIX + name


_BOOL = {"truthy": {"1", "true", "yes", "on"}, "falsy": {"0", "false", "no", "off", ""}}


class _SettingsSchema(ma.Schema):
    """Environment variable name -> Settings field, with the validation rules."""

    class Meta:
        unknown = ma.RAISE

    # Only spaces and tabs are trimmed: a non-breaking space or NEL pasted with a key stays, and is refused.
    api_keys = _CommaList(data_key=_env("API_KEYS"), strip=" \t")
    trace_secret = ma.fields.String(data_key=_env("TRACE_SECRET"))
    demo = ma.fields.Boolean(data_key=_env("DEMO"), **_BOOL)
    max_body_bytes = ma.fields.Integer(
        data_key=_env("MAX_BODY_BYTES"), validate=ma.validate.Range(min=256, max=10 * 1024 * 1024)
    )
    log_level = ma.fields.String(
        data_key=_env("LOG_LEVEL"), validate=ma.validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR"])
    )
    crm_backend = ma.fields.String(
        data_key=_env("CRM_BACKEND"), validate=ma.validate.OneOf(["sqlite", "postgres", *HTTP_BACKENDS])
    )
    sqlite_path = ma.fields.String(data_key=_env("SQLITE_PATH"), validate=ma.validate.Length(min=1))
    database_url = ma.fields.String(data_key=_env("DATABASE_URL"))
    default_region = ma.fields.String(
        data_key=_env("DEFAULT_REGION"),
        validate=ma.validate.Regexp(r"^[A-Z]{2}$", error="must be an ISO 3166-1 alpha-2 region such as US or GB"),
    )
    tiers = _CommaList(data_key=_env("TIERS"))
    fields_file = ma.fields.String(data_key=_env("FIELDS_FILE"), validate=ma.validate.Length(min=1))
    crm_url_template = ma.fields.String(data_key=_env("CRM_URL_TEMPLATE"))
    crm_auth_header = ma.fields.String(data_key=_env("CRM_AUTH_HEADER"))
    crm_field_map = _FieldMap(data_key=_env("CRM_FIELD_MAP"))
    crm_method = ma.fields.String(data_key=_env("CRM_METHOD"), validate=ma.validate.OneOf(["GET", "POST"]))
    crm_body_template = ma.fields.String(data_key=_env("CRM_BODY_TEMPLATE"))
    crm_headers = _Headers(data_key=_env("CRM_HEADERS"))
    crm_base_url = ma.fields.String(data_key=_env("CRM_BASE_URL"))
    crm_client_id = ma.fields.String(data_key=_env("CRM_CLIENT_ID"))
    crm_client_secret = ma.fields.String(data_key=_env("CRM_CLIENT_SECRET"))
    crm_token = ma.fields.String(data_key=_env("CRM_TOKEN"))
    crm_email = ma.fields.String(data_key=_env("CRM_EMAIL"))
    crm_tenant = ma.fields.String(data_key=_env("CRM_TENANT"))
    crm_token_url = ma.fields.String(data_key=_env("CRM_TOKEN_URL"))
    crm_scope = ma.fields.String(data_key=_env("CRM_SCOPE"))
    crm_api_version = ma.fields.String(data_key=_env("CRM_API_VERSION"))
    # Where the customer object sits in the CRM's answer (e.g. "records" or "$.data.contacts"); empty: the root.
    crm_record_path = ma.fields.String(data_key=_env("CRM_RECORD_PATH"))
    crm_deadline_ms = ma.fields.Integer(
        data_key=_env("CRM_DEADLINE_MS"), validate=ma.validate.Range(min=50, max=30_000)
    )
    crm_connect_timeout_ms = ma.fields.Integer(
        data_key=_env("CRM_CONNECT_TIMEOUT_MS"), validate=ma.validate.Range(min=10, max=30_000)
    )
    crm_breaker_failures = ma.fields.Integer(
        data_key=_env("CRM_BREAKER_FAILURES"), validate=ma.validate.Range(min=1, max=1000)
    )
    crm_breaker_cooldown_s = ma.fields.Float(
        data_key=_env("CRM_BREAKER_COOLDOWN_S"), validate=ma.validate.Range(min=0.1, max=3600)
    )
    crm_cache_ttl_s = ma.fields.Float(data_key=_env("CRM_CACHE_TTL_S"), validate=ma.validate.Range(min=0, max=86_400))
    crm_cache_miss_ttl_s = ma.fields.Float(
        data_key=_env("CRM_CACHE_MISS_TTL_S"), validate=ma.validate.Range(min=0, max=86_400)
    )
    crm_cache_max_entries = ma.fields.Integer(
        data_key=_env("CRM_CACHE_MAX_ENTRIES"), validate=ma.validate.Range(min=1, max=10_000_000)
    )
    crm_max_response_bytes = ma.fields.Integer(
        data_key=_env("CRM_MAX_RESPONSE_BYTES"), validate=ma.validate.Range(min=1024, max=64 * 1024 * 1024)
    )
    degraded_as_503 = ma.fields.Boolean(data_key=_env("DEGRADED_AS_503"), **_BOOL)
    readyz_checks_crm = ma.fields.Boolean(data_key=_env("READYZ_CHECKS_CRM"), **_BOOL)
    metrics_auth = ma.fields.Boolean(data_key=_env("METRICS_AUTH"), **_BOOL)
    metrics_dir = ma.fields.String(data_key=_env("METRICS_DIR"), validate=ma.validate.Length(min=1))
    bind = ma.fields.String(
        data_key=_env("BIND"),
        validate=ma.validate.Regexp(r"^(\[[0-9a-fA-F:.]+\]|[^\s:\[\]]+):\d{1,5}$|^unix:\S+$", error="must be HOST:PORT or unix:PATH"),
    )
    workers = ma.fields.Integer(data_key=_env("WORKERS"), validate=ma.validate.Range(min=1, max=64))
    threads = ma.fields.Integer(data_key=_env("THREADS"), validate=ma.validate.Range(min=1, max=256))

    @ma.post_load
    def _normalise(self, data, **kwargs):
        if "sqlite_path" in data:
            data["sqlite_path"] = Path(data["sqlite_path"])
        if "fields_file" in data:
            data["fields_file"] = Path(data["fields_file"])
        if "metrics_dir" in data:
            data["metrics_dir"] = Path(data["metrics_dir"])
        if "log_level" in data:
            data["log_level"] = data["log_level"].upper()
        if "tiers" in data:
            data["tiers"] = tuple(t.lower() for t in data["tiers"])
        return data

    @ma.pre_load
    def _upper_log_level(self, data, **kwargs):
        for key in (_env("LOG_LEVEL"), _env("CRM_METHOD")):
            if isinstance(data.get(key), str):
                data = {**data, key: data[key].upper()}
        return data


_ENV_NAMES = {field.data_key: name for name, field in _SettingsSchema().fields.items()}


def _format_errors(messages: Mapping) -> str:
    lines = []
    for var, problems in sorted(messages.items()):
        if var == "_schema":
            lines.extend(problems)
            continue
        if problems == ["Unknown field."]:
            hint = difflib.get_close_matches(var, list(_ENV_NAMES), n=1)
            lines.append(f"{var}: unknown setting" + (f"; did you mean {hint[0]}?" if hint else ""))
            continue
        lines.append(f"{var}: {'; '.join(map(str, problems))}")
    return "\n".join(lines)


def load_settings(environ: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Build Settings from COMPANION_* variables (default: os.environ) plus keyword overrides.

    :raise ConfigError: with one line per invalid or unknown variable.
    """
    settings, problems = read_settings(environ, **overrides)
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def read_settings(environ: Mapping[str, str] | None = None, **overrides) -> tuple[Settings, list[str]]:
    """Settings from the valid variables, and one line for each problem with the others (all of them at once).

    The settings hold defaults where a variable is invalid, so later checks (the CRM backend's) can still run
    and report their own problems in the same list.
    """
    environ = os.environ if environ is None else environ
    raw = {k: v for k, v in environ.items() if k.startswith(PREFIX)}
    schema = _SettingsSchema()
    problems: list[str] = []
    try:
        values = schema.load(raw)
    except ma.ValidationError as exc:
        problems.extend(_format_errors(exc.messages).splitlines())
        valid = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        values = schema._normalise(dict(valid))
    try:
        values["otlp_traces_endpoint"] = otlp_traces_endpoint(environ)
    except ConfigError as exc:
        problems.extend(str(exc).splitlines())
    values["otlp_batch_size"] = otlp_batch_size(environ)
    values.update(overrides)
    if values.get("fields_file") is not None and "fields" not in overrides:
        try:
            values["fields"] = read_fields_file(values["fields_file"])
        except ConfigError as exc:
            problems.extend(str(exc).splitlines())
    settings = Settings(**values)
    try:
        validate_settings(settings)
    except ConfigError as exc:
        problems.extend(str(exc).splitlines())
    return settings, problems


def read_fields_file(path: Path) -> FieldsConfig:
    """The custom fields of a fields file.

    :raise ConfigError: one line per problem, each naming COMPANION_FIELDS_FILE and the file.
    """
    try:
        return load_fields_file(path)
    except FieldsFileError as exc:
        raise ConfigError("\n".join(f"{_env('FIELDS_FILE')}: {line}" for line in str(exc).splitlines())) from None


# OpenTelemetry's own variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
# and .../protocol/exporter/). The SDK reads them itself; here they are only checked, once at start-up, so a
# typo stops the service with the variable named instead of failing in every worker after the fork.
_OTEL_SAMPLERS = (
    "always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off",
    "parentbased_traceidratio",
)
_OTEL_POSITIVE_INTS = ("OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                       "OTEL_BSP_EXPORT_TIMEOUT")
# The one OTLP transport shipped: HTTP with protobuf bodies (OTLP/gRPC would add grpcio to every install).
OTLP_PROTOCOL = "http/protobuf"


def otlp_batch_size(environ: Mapping[str, str]) -> int:
    """Spans per export request: OTEL_BSP_MAX_EXPORT_BATCH_SIZE, else OTLP_BATCH_SIZE (at most the queue size)."""
    explicit = _otel(environ, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE")
    if explicit.isdigit() and int(explicit) > 0:
        return int(explicit)
    queue = _otel(environ, "OTEL_BSP_MAX_QUEUE_SIZE")
    return min(OTLP_BATCH_SIZE, int(queue)) if queue.isdigit() and int(queue) > 0 else OTLP_BATCH_SIZE


def _otel(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip()


def otlp_traces_endpoint(environ: Mapping[str, str]) -> str:
    """The OTLP/HTTP URL spans go to, as the OpenTelemetry SDK resolves it; "" when tracing is off.

    Tracing is on when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as given) or OTEL_EXPORTER_OTLP_ENDPOINT (a base
    URL, /v1/traces appended) is set, unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.

    :raise ConfigError: one line per invalid OTEL_* variable.
    """
    if _otel(environ, "OTEL_SDK_DISABLED").lower() == "true":
        return ""
    exporter = _otel(environ, "OTEL_TRACES_EXPORTER").lower()
    if exporter == "none":
        return ""
    endpoint = _otel(environ, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    source = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    if not endpoint and _otel(environ, "OTEL_EXPORTER_OTLP_ENDPOINT"):
        endpoint = _otel(environ, "OTEL_EXPORTER_OTLP_ENDPOINT").removesuffix("/") + "/v1/traces"
        source = "OTEL_EXPORTER_OTLP_ENDPOINT"
    if not endpoint:
        return ""
    problems = []
    if exporter not in ("", "otlp"):
        problems.append(f"OTEL_TRACES_EXPORTER: {exporter!r} is not supported; use otlp (or none to turn tracing off)")
    if not re.match(r"^https?://[^/\s]+", endpoint):
        problems.append(f"{source}: must be an http:// or https:// URL such as http://localhost:4318, not {endpoint!r}")
    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = _otel(environ, name)
        if protocol and protocol != OTLP_PROTOCOL:
            problems.append(f"{name}: {protocol!r} is not supported; use {OTLP_PROTOCOL} (OTLP/HTTP, port 4318)")
            break
        if protocol:
            break
    sampler = _otel(environ, "OTEL_TRACES_SAMPLER").lower()
    if sampler and sampler not in _OTEL_SAMPLERS:
        problems.append(f"OTEL_TRACES_SAMPLER: {sampler!r} is not one of {', '.join(_OTEL_SAMPLERS)}")
    if sampler.endswith("traceidratio") and _otel(environ, "OTEL_TRACES_SAMPLER_ARG"):
        try:
            ratio = float(_otel(environ, "OTEL_TRACES_SAMPLER_ARG"))
        except ValueError:
            ratio = -1.0
        if not 0.0 <= ratio <= 1.0:
            problems.append("OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 (the share of calls traced)")
    for name in ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"):
        value = _otel(environ, name)
        try:
            valid = not value or float(value) > 0
        except ValueError:
            valid = False
        if not valid:
            # The Python exporter reads this in seconds (the specification says milliseconds).
            problems.append(f"{name}: must be a positive number of seconds")
    sizes = {}
    for name in _OTEL_POSITIVE_INTS:
        value = _otel(environ, name)
        if value:
            if not value.isdigit() or int(value) <= 0:
                problems.append(f"{name}: must be a positive whole number")
            else:
                sizes[name] = int(value)
    if sizes.get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 0) > sizes.get("OTEL_BSP_MAX_QUEUE_SIZE", 2048):
        problems.append("OTEL_BSP_MAX_EXPORT_BATCH_SIZE: must not exceed OTEL_BSP_MAX_QUEUE_SIZE (default 2048)")
    if problems:
        raise ConfigError("\n".join(problems))
    return endpoint


def validate_settings(settings: Settings) -> None:
    """Cross-field rules that a single variable cannot express.

    :raise ConfigError: naming the variables involved.
    """
    problems = []
    if not settings.api_keys and not settings.demo:
        problems.append(
            f"{_env('API_KEYS')}: no API key configured; set one or more comma-separated keys "
            f"(or {_env('DEMO')}=1 to generate one for a local demo)"
        )
    short = [k for k in settings.api_keys if len(k) < MIN_SECRET_LENGTH]
    if short:
        problems.append(f"{_env('API_KEYS')}: every key needs at least {MIN_SECRET_LENGTH} characters")
    problems.extend(key_character_problems(settings.api_keys))
    if not settings.trace_secret and not settings.demo:
        problems.append(
            f"{_env('TRACE_SECRET')}: not set; trace ids are derived from it, so every instance needs the same "
            f"secret of at least {MIN_SECRET_LENGTH} characters"
        )
    elif settings.trace_secret and len(settings.trace_secret) < MIN_SECRET_LENGTH:
        problems.append(f"{_env('TRACE_SECRET')}: needs at least {MIN_SECRET_LENGTH} characters")
    if settings.crm_backend == "http":
        if not settings.crm_url_template:
            problems.append(f"{_env('CRM_URL_TEMPLATE')}: required when {_env('CRM_BACKEND')}=http")
    if settings.crm_backend in HTTP_BACKENDS:
        if settings.crm_connect_timeout_ms >= settings.crm_deadline_ms:
            problems.append(
                f"{_env('CRM_CONNECT_TIMEOUT_MS')}: must be below {_env('CRM_DEADLINE_MS')} "
                f"({settings.crm_connect_timeout_ms} >= {settings.crm_deadline_ms})"
            )
    if settings.crm_backend == "postgres":
        if not settings.database_url.strip():
            problems.append(
                f"{_env('DATABASE_URL')}: required when {_env('CRM_BACKEND')}=postgres, "
                "e.g. postgresql://companion@db.internal:5432/crm"
            )
        if settings.crm_connect_timeout_ms >= settings.crm_deadline_ms:
            problems.append(
                f"{_env('CRM_CONNECT_TIMEOUT_MS')}: must be below {_env('CRM_DEADLINE_MS')} "
                f"({settings.crm_connect_timeout_ms} >= {settings.crm_deadline_ms})"
            )
    if not settings.tiers:
        problems.append(f"{_env('TIERS')}: needs at least one tier")
    if problems:
        raise ConfigError("\n".join(problems))


def key_character_problems(keys: tuple[str, ...]) -> list[str]:
    """One line per API key with a character outside printable ASCII (U+0021-U+007E), naming the key's position
    and the character's code point, never the key. Such a key could only ever match through Basic auth
    (HTTP headers are Latin-1 at best), and whitespace around it is a copy-and-paste accident."""
    problems = []
    for position, key in enumerate(keys, 1):
        bad = next((c for c in key if not "\x21" <= c <= "\x7e"), None)
        if bad is not None:
            problems.append(
                f"{_env('API_KEYS')}: key {position} contains U+{ord(bad):04X} at character {key.index(bad) + 1}; "
                "keys must be printable ASCII without spaces"
            )
    return problems


def effective_trace_secret(settings: Settings) -> bytes:
    """The HMAC key for trace derivation; the fixed demo secret only in demo mode without one."""
    return (settings.trace_secret or DEMO_TRACE_SECRET).encode("utf-8")
