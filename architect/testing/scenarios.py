"""Scenario files (*.scenarios.yaml): read, check against the shipped JSON Schema, resolve paths and credentials."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
from architect.testing import SCENARIO_SUFFIX as SUFFIX
from architect.testing.stubs import Stub
from architect.yaml_files import InvalidYAML
from architect.yaml_files import UnreadableFile
from architect.yaml_files import load_yaml
from architect.yaml_files import read_text

SCHEMA_PATH = Path(__file__).with_name("scenarios.schema.json")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ScenarioFileError(ValueError):
    """A scenario file cannot be read or does not follow the scenario format."""


@dataclass(frozen=True)
class Service:
    """A live service data actions are sent to (the URL replaces the host of each action's URL)."""

    url: str
    credentials: dict = field(default_factory=dict)


@dataclass
class Scenario:
    """One call through the file's flow, with its stubs and expectations."""

    name: str
    index: int
    call: dict
    stubs: dict[str, Stub]
    service: Service | None
    expect: dict
    file: ScenarioFile

    @property
    def id(self) -> str:
        """`file::name`, what reports show and -k matches."""
        return f"{self.file.path}::{self.name}"

    @property
    def yaml_path(self) -> str:
        return f"scenarios[{self.index}]"


@dataclass
class ScenarioFile:
    """A scenario file: the flow under test, its options file and actions folder, and the scenarios."""

    path: Path
    flow: Path
    options: Path | None
    actions: Path | None
    scenarios: list[Scenario] = field(default_factory=list)
    common_modules: list[Path] = field(default_factory=list)


@functools.cache
def schema() -> dict:
    """The scenario JSON Schema shipped beside this module (also for editors: docs/testing-flows.md)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _yaml_path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _schema_errors(document) -> list[str]:
    validator = jsonschema.Draft7Validator(schema())
    messages = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        # For oneOf mismatches the most specific sub-error reads better than "is not valid under any of".
        best = jsonschema.exceptions.best_match([error])
        messages.append(f"{_yaml_path(best.absolute_path)}: {best.message}")
    return messages


def _expand(text: str, where: str, source: Path) -> str:
    """${VAR} from the environment, so credentials stay out of the file; an unset variable is an error."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ScenarioFileError(f"{source}: {where}: environment variable {name} is not set")
        return os.environ[name]

    return _VARIABLE.sub(value, text)


def _service(entry, where: str, source: Path) -> Service | None:
    if not entry:
        return None
    url = _expand(entry["url"], f"{where}.url", source).rstrip("/")
    if not re.match(r"^https?://\S+$", url):
        raise ScenarioFileError(f"{source}: {where}.url: expected http(s)://host:port, got {url!r}")
    credentials = {key: _expand(value, f"{where}.credentials.{key}", source)
                   for key, value in (entry.get("credentials") or {}).items()}
    return Service(url, credentials)


def _instant(text: str, where: str, source: Path) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ScenarioFileError(f"{source}: {where}: expected an ISO 8601 date and time with a time zone "
                                f"(2025-03-01T12:00:00Z), got {text!r}")
    return moment.astimezone(dt.timezone.utc)


def _duration(value, where: str, source: Path) -> dt.timedelta:
    """Seconds (270) or ISO 8601 (PT4M30S), as `companion simulate --estimated-wait-time` takes it."""
    from architect.runtime.flow.functions import to_duration
    from architect.runtime.flow.values import EvaluationError

    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return dt.timedelta(seconds=value)
    try:
        if isinstance(value, str):
            return to_duration(None, value.strip())
    except EvaluationError:
        pass
    raise ScenarioFileError(f"{source}: {where}: expected ISO 8601 (PT4M30S) or seconds (270), got {value!r}")


def _stub(entry) -> Stub:
    if isinstance(entry, str):
        return Stub(entry)
    (status, content), = entry.items()
    if status == "success":
        return Stub("success", dict(content or {}))
    return Stub(status, message=content or "")


def _relative(base: Path, text: str | None, what: str, source: Path, *, folder: bool) -> Path | None:
    if text is None:
        return None
    path = (base / text).resolve()
    if not (path.is_dir() if folder else path.is_file()):
        raise ScenarioFileError(f"{source}: {what}: {text} ({path}) is not an existing "
                                f"{'folder' if folder else 'file'}")
    return path


def load_scenario_file(path: str | Path) -> ScenarioFile:
    """Read and check one scenario file; ScenarioFileError names the file and where in it the fault is."""
    path = Path(path)
    try:
        document = load_yaml(read_text(path))
    except UnreadableFile as exc:
        raise ScenarioFileError(f"{path}: cannot read: {exc.reason}") from None
    except InvalidYAML as exc:
        raise ScenarioFileError(f"{path}: {exc.summary(with_context=False)}") from None
    errors = _schema_errors(document)
    if errors:
        raise ScenarioFileError(f"{path}: not a scenario file (docs/testing-flows.md):\n  " + "\n  ".join(errors))
    base = path.resolve().parent
    scenario_file = ScenarioFile(
        path=path,
        flow=_relative(base, document["flow"], "flow", path, folder=False),
        options=_relative(base, document.get("options"), "options", path, folder=False),
        actions=_relative(base, document.get("actions"), "actions", path, folder=True),
        common_modules=[_relative(base, module, f"commonModules[{index}]", path, folder=False)
                        for index, module in enumerate(document.get("commonModules") or [])],
    )
    default_service = _service(document.get("service"), "service", path)
    seen: dict[str, int] = {}
    for index, entry in enumerate(document["scenarios"]):
        where = f"scenarios[{index}]"
        name = entry["name"].strip()
        if name in seen:
            raise ScenarioFileError(f"{path}: {where}.name: {name!r} is already the name of scenarios[{seen[name]}]")
        seen[name] = index
        service = default_service
        if "service" in entry:
            service = _service(entry["service"], f"{where}.service", path)
        call = dict(entry["call"])
        if "now" in call:
            call["now"] = _instant(call["now"], f"{where}.call.now", path)
        if "estimatedWaitTime" in call:
            call["estimatedWaitTime"] = _duration(call["estimatedWaitTime"], f"{where}.call.estimatedWaitTime", path)
        call["dataTables"] = {table: _relative(base, file, f"{where}.call.dataTables.{table}", path, folder=False)
                              for table, file in (call.get("dataTables") or {}).items()}
        stubs = {name: _stub(stub) for name, stub in (entry.get("actions") or {}).items()}
        scenario_file.scenarios.append(Scenario(name=name, index=index, call=call, stubs=stubs, service=service,
                                                expect=entry["expect"], file=scenario_file))
    return scenario_file


def find_scenario_files(paths) -> list[Path]:
    """The scenario files named, and those (*.scenarios.yaml) under the folders named, in a stable order."""
    found: dict[Path, None] = {}
    for item in paths:
        path = Path(item)
        if path.is_dir():
            for candidate in sorted(path.rglob(f"*{SUFFIX}")):
                if not any(part.startswith(".") for part in candidate.relative_to(path).parts):
                    found.setdefault(candidate)
        elif path.is_file():
            found.setdefault(path)
        else:
            raise ScenarioFileError(f"{path}: no such file or folder")
    return list(found)
