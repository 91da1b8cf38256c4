"""Run every rule over files and folders: data actions first, so flows can be cross-checked against them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from architect.check.data_action import check_data_action
from architect.check.data_action import looks_like_data_action
from architect.check.findings import SEVERITY_ORDER
from architect.check.findings import Finding
from architect.check.findings import finding
from architect.check.flow import check_flow
from architect.genesys.data_action_format import action_key
from architect.testing import SCENARIO_SUFFIX

JSON_SUFFIXES = (".json",)
YAML_SUFFIXES = (".yaml", ".yml")


class CheckUsageError(ValueError):
    """A path cannot be checked at all (missing, or not a JSON/YAML file)."""


def collect_files(paths: Iterable[str | Path]) -> list[tuple[Path, bool]]:
    """(file, given explicitly) for every JSON/YAML file named or found under the folders, in a stable order."""
    files: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in JSON_SUFFIXES + YAML_SUFFIXES
                           and not p.name.endswith(SCENARIO_SUFFIX))  # scenario files: companion test
            files.extend((p, False) for p in found)
        elif path.is_file():
            if path.suffix.lower() not in JSON_SUFFIXES + YAML_SUFFIXES:
                raise CheckUsageError(f"{path}: not a .json, .yaml or .yml file")
            files.append((path, True))
        else:
            raise CheckUsageError(f"{path}: no such file or folder")
    seen: set[Path] = set()
    unique = []
    for path, explicit in files:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append((path, explicit))
    return unique


def read_substitutions(path: str | Path) -> dict[str, str]:
    """The substitutions of an Archy options file; CheckUsageError when it cannot be read."""
    from architect.runtime.flow.loader import FlowLoadError, read_options

    try:
        return read_options(path)
    except FlowLoadError as exc:
        raise CheckUsageError(str(exc)) from None


def _read(path: Path) -> str | None:
    # utf-8-sig: files saved by Windows editors start with a byte-order mark.
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return None


def check_paths(paths: Iterable[str | Path], *, substitutions: dict[str, str] | None = None) -> list[Finding]:
    """Every finding for the given files and folders, sorted by file, line and severity.

    `substitutions` (an Archy options file's) are applied to each flow first, as archy publish does.
    """
    files = collect_files(paths)
    findings: list[Finding] = []
    actions: dict[str, dict] = {}
    for path, explicit in files:
        if path.suffix.lower() not in JSON_SUFFIXES:
            continue
        text = _read(path)
        if text is None:
            findings.append(finding(str(path), "", "DA001", "not UTF-8 text"))
            continue
        if not explicit:
            try:
                if not looks_like_data_action(json.loads(text)):
                    continue  # some other JSON file in the folder
            except ValueError:
                pass  # broken JSON is reported as such
        found, document = check_data_action(str(path), text)
        findings.extend(found)
        if isinstance(document, dict) and isinstance(document.get("name"), str):
            actions.setdefault(action_key(document["name"]), document)
    for path, _explicit in files:
        if path.suffix.lower() in YAML_SUFFIXES:
            text = _read(path)
            if text is None:
                findings.append(finding(str(path), "", "FL001", "not UTF-8 text"))
                continue
            flow_actions, found_in = actions, None
            if not actions and "callData" in text:
                flow_actions, found_in = _actions_beside(path)
            flow_findings = check_flow(str(path), text, flow_actions, substitutions)
            if found_in is not None and not any(f.rule == "FL001" for f in flow_findings):
                flow_findings.append(finding(str(path), "", "FL014", f"callData actions cross-checked against the "
                                             f"data actions in {found_in} (give data-action files to choose others)"))
            findings.extend(flow_findings)
    order = {str(path): index for index, (path, _e) in enumerate(files)}
    findings.sort(key=lambda f: (order.get(f.file, 0), f.line or 0, SEVERITY_ORDER[f.severity], f.path, f.rule))
    return findings


def _actions_beside(flow: Path) -> tuple[dict[str, dict], Path | None]:
    """Data actions in the first of the flow's folder, its data-actions/ or actions/ subfolder, or a data-actions/
    folder next to it (architect/flows/ beside architect/data-actions/), for cross-checks only."""
    for folder in (flow.parent, flow.parent / "data-actions", flow.parent / "actions", flow.parent.parent / "data-actions"):
        found: dict[str, dict] = {}
        for candidate in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            try:
                document = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if looks_like_data_action(document) and isinstance(document.get("name"), str):
                found.setdefault(action_key(document["name"]), document)
        if found:
            return found, folder
    return {}, None


def summary(findings: list[Finding], file_count: int) -> str:
    """`N errors, M warnings, K notes in F files`."""
    counts = {severity: sum(1 for f in findings if f.severity == severity) for severity in SEVERITY_ORDER}
    return (
        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s) "
        f"in {file_count} file(s)"
    )
