"""Settings: read from COMPANION_* once, every invalid value named."""

from pathlib import Path

import pytest

from service import create_app
from service.config import ConfigError
from service.config import load_settings

KEY = "k" * 20
SECRET = "s" * 20


def base(**extra):
    return {"COMPANION_API_KEYS": KEY, "COMPANION_TRACE_SECRET": SECRET, **extra}


def test_defaults_are_documented_values():
    settings = load_settings(base())
    assert settings.api_keys == (KEY,)
    assert settings.max_body_bytes == 16 * 1024
    assert settings.crm_backend == "sqlite"
    assert settings.crm_deadline_ms == 1500
    assert settings.degraded_as_503 is False


def test_api_keys_are_comma_separated_and_trimmed():
    settings = load_settings(base(COMPANION_API_KEYS=f" {KEY} , {'b' * 16},,"))
    assert settings.api_keys == (KEY, "b" * 16)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("COMPANION_MAX_BODY_BYTES", "lots", "COMPANION_MAX_BODY_BYTES: Not a valid integer."),
        ("COMPANION_MAX_BODY_BYTES", "10", "COMPANION_MAX_BODY_BYTES: Must be greater than or equal to 256"),
        ("COMPANION_CRM_BACKEND", "oracle", "COMPANION_CRM_BACKEND: Must be one of: sqlite, postgres, http, salesforce, hubspot, zendesk, dynamics."),
        ("COMPANION_DEMO", "maybe", "COMPANION_DEMO: Not a valid boolean."),
        ("COMPANION_DEFAULT_REGION", "usa", "COMPANION_DEFAULT_REGION: must be an ISO 3166-1 alpha-2 region"),
        ("COMPANION_CRM_FIELD_MAP", "{not json", "COMPANION_CRM_FIELD_MAP: not valid JSON"),
        ("COMPANION_CRM_FIELD_MAP", '["a"]', "COMPANION_CRM_FIELD_MAP: must be a JSON object"),
        ("COMPANION_BIND", "nowhere", "COMPANION_BIND: must be HOST:PORT or unix:PATH"),
        ("COMPANION_LOG_LEVEL", "chatty", "COMPANION_LOG_LEVEL: Must be one of"),
    ],
)
def test_invalid_value_names_the_variable(variable, value, expected):
    with pytest.raises(ConfigError) as error:
        load_settings(base(**{variable: value}))
    assert expected in str(error.value)


def test_misspelt_variable_is_refused_with_a_suggestion():
    with pytest.raises(ConfigError, match="COMPANION_API_KEY: unknown setting; did you mean COMPANION_API_KEYS"):
        load_settings(base(COMPANION_API_KEY=KEY))


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        load_settings({"COMPANION_MAX_BODY_BYTES": "x", "COMPANION_CRM_BACKEND": "y"})
    lines = str(error.value).splitlines()
    assert any(line.startswith("COMPANION_MAX_BODY_BYTES") for line in lines)
    assert any(line.startswith("COMPANION_CRM_BACKEND") for line in lines)


def test_no_key_outside_demo_mode_refuses_to_start_and_says_why():
    with pytest.raises(ConfigError, match="COMPANION_API_KEYS: no API key configured"):
        load_settings({"COMPANION_TRACE_SECRET": SECRET})


def test_no_trace_secret_outside_demo_mode_refuses_to_start():
    with pytest.raises(ConfigError, match="COMPANION_TRACE_SECRET: not set"):
        load_settings({"COMPANION_API_KEYS": KEY})


@pytest.mark.parametrize(("variable", "value"), [("COMPANION_API_KEYS", "short"), ("COMPANION_TRACE_SECRET", "short")])
def test_weak_secrets_are_refused(variable, value):
    with pytest.raises(ConfigError, match=f"{variable}: .*at least 16 characters"):
        load_settings(base(**{variable: value}))


def test_threads_default_to_one_per_concurrent_execution_with_the_http_backend():
    # Over HTTP a lookup holds its thread while the CRM answers: 2 x 32 >= Genesys's 50 concurrent executions.
    assert load_settings(base()).threads == 16
    http = base(COMPANION_CRM_BACKEND="http", COMPANION_CRM_URL_TEMPLATE="http://127.0.0.1:9/c?phone={phone}")
    assert load_settings(http).threads == 32
    assert load_settings({**http, "COMPANION_THREADS": "8"}).threads == 8
    assert load_settings(base(COMPANION_THREADS="64")).threads == 64


def test_http_backend_needs_a_url_template():
    with pytest.raises(ConfigError, match="COMPANION_CRM_URL_TEMPLATE: required when COMPANION_CRM_BACKEND=http"):
        load_settings(base(COMPANION_CRM_BACKEND="http"))


def test_field_map_can_come_from_a_file(tmp_path: Path):
    mapping = tmp_path / "map.json"
    mapping.write_text('{"firstName": "$.name.first"}', encoding="utf-8")
    settings = load_settings(base(COMPANION_CRM_FIELD_MAP=f"@{mapping}"))
    assert settings.crm_field_map == {"firstName": "$.name.first"}


def test_missing_field_map_file_is_named(tmp_path: Path):
    with pytest.raises(ConfigError, match="COMPANION_CRM_FIELD_MAP: cannot read"):
        load_settings(base(COMPANION_CRM_FIELD_MAP=f"@{tmp_path / 'absent.json'}"))


def test_demo_mode_starts_without_key_and_generates_one(tmp_path):
    app = create_app(load_settings({"COMPANION_DEMO": "true", "COMPANION_SQLITE_PATH": str(tmp_path / "demo.sqlite3")}))
    keys = app.extensions["companion.settings"].api_keys
    assert len(keys) == 1 and len(keys[0]) >= 16


def test_secrets_never_appear_in_repr():
    settings = load_settings(base(COMPANION_CRM_AUTH_HEADER="Authorization: Bearer crm-token-123"))
    text = repr(settings)
    assert KEY not in text and SECRET not in text and "crm-token-123" not in text
