"""A scenario's expectations checked against a simulated call, each failure with a readable diff."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from architect.runtime.flow.registry import action_key
from architect.runtime.flow.result import (DISCONNECTED, OUT_OF_INPUT, TRANSFERRED_TO_FLOW, TRANSFERRED_TO_QUEUE,
                                           TRANSFERRED_TO_SECURE_FLOW, TRANSFERRED_TO_VOICEMAIL, WAITING_IN_QUEUE,
                                           FlowResult)

# Scenario spelling -> the runner's disposition kind (and which field names the target).
DISPOSITIONS = {"disconnect": (DISCONNECTED, None), "waitingInQueue": (WAITING_IN_QUEUE, None),
                 "outOfInput": (OUT_OF_INPUT, None), "voicemail": (TRANSFERRED_TO_VOICEMAIL, None),
                 "queue": (TRANSFERRED_TO_QUEUE, "queue"),
                 "flow": (TRANSFERRED_TO_FLOW, "flow"), "secureFlow": (TRANSFERRED_TO_SECURE_FLOW, "flow")}


@dataclass
class Mismatch:
    """One expectation the call did not meet."""

    expectation: str  # the key under expect:, e.g. participantData
    message: str  # one line
    diff: str = ""  # expected (-) against actual (+), several lines

    def text(self) -> str:
        return f"expect.{self.expectation}: {self.message}" + (f"\n{self.diff}" if self.diff else "")


def _lines(mapping: dict) -> list[str]:
    return [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in sorted(mapping.items())]


def _diff(expected: list[str], actual: list[str]) -> str:
    lines = difflib.unified_diff(expected, actual, fromfile="expected", tofile="actual", lineterm="", n=2)
    return "\n".join(f"    {line}" for line in lines)


def describe_disposition(result: FlowResult) -> str:
    """The call's disposition in scenario spelling: disconnect, {queue: X}, ..."""
    disposition = result.disposition
    for spelling, (kind, target) in DISPOSITIONS.items():
        if disposition.kind == kind:
            return spelling if target is None else f"{{{spelling}: {getattr(disposition, target)}}}"
    return disposition.kind


def _check_disposition(expected, result: FlowResult) -> list[Mismatch]:
    if isinstance(expected, str):
        spelling, wanted_target = expected, None
    else:
        (spelling, wanted_target), = expected.items()
    kind, target = DISPOSITIONS[spelling]
    disposition = result.disposition
    if disposition.kind == kind and (target is None or getattr(disposition, target) == wanted_target):
        return []
    wanted = spelling if target is None else f"{{{spelling}: {wanted_target}}}"
    return [Mismatch("disposition", f"expected {wanted}, got {describe_disposition(result)} "
                                    f"({disposition.description})")]


def _check_exact_data(expected: dict, result: FlowResult) -> list[Mismatch]:
    actual = result.participantData
    if actual == expected:
        return []
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(key for key in set(expected) & set(actual) if expected[key] != actual[key])
    parts = [f"{len(items)} {what}" for items, what in ((missing, "missing"), (extra, "unexpected"),
                                                        (changed, "different")) if items]
    return [Mismatch("participantData", "participant data differs: " + ", ".join(parts),
                     _diff(_lines(expected), _lines(actual)))]


def _check_included_data(expected: dict, result: FlowResult) -> list[Mismatch]:
    actual = result.participantData
    wrong = {key: value for key, value in expected.items() if actual.get(key) != value}
    if not wrong:
        return []
    shown = {key: actual[key] for key in wrong if key in actual}
    return [Mismatch("participantDataIncludes", f"{len(wrong)} attribute(s) not set as expected: "
                                                f"{', '.join(sorted(wrong))}",
                     _diff(_lines(wrong), _lines(shown)))]


def _check_excluded_data(expected: list, result: FlowResult) -> list[Mismatch]:
    present = [key for key in expected if key in result.participantData]
    if not present:
        return []
    return [Mismatch("participantDataExcludes", "set but expected absent: "
                     + ", ".join(f"{key}={result.participantData[key]!r}" for key in present))]


def _in_order(wanted: list[str], items: list, matches) -> tuple[int, str] | None:
    """(index, text) of the first wanted entry not found after the previous one, or None when all are in order."""
    position = 0
    for index, text in enumerate(wanted):
        for offset, item in enumerate(items[position:]):
            if matches(text, item):
                position += offset + 1
                break
        else:
            return index, text
    return None


def _check_audio(wanted: list[str], result: FlowResult) -> list[Mismatch]:
    played = [entry["text"] for entry in result.audio]
    missing = _in_order(wanted, played, lambda text, item: text.casefold() in item.casefold())
    if missing is None:
        return []
    index, text = missing
    where = "is not in the audio played" if not any(text.casefold() in p.casefold() for p in played) \
        else "is played, but not after the previous expected audio"
    return [Mismatch("audioContains", f"[{index}] {text!r} {where}",
                     "    audio played:\n" + "\n".join(f"      {p}" for p in played or ["(none)"]))]


def _step_matches(text: str, step) -> bool:
    return text == step.path or (step.name is not None and text.casefold() == step.name.casefold())


def _step_line(step) -> str:
    outcome = step.detail.get("outcome") or step.detail.get("status")
    name = f" {step.name!r}" if step.name else ""
    return f"      {step.kind}{name}{f' -> {outcome}' if outcome else ''}  {step.path}"


def _check_path(wanted: list[str], result: FlowResult) -> list[Mismatch]:
    missing = _in_order(wanted, result.steps, _step_matches)
    if missing is None:
        return []
    index, text = missing
    where = "is not on the path" if not any(_step_matches(text, s) for s in result.steps) \
        else "is on the path, but not after the previous expected step"
    return [Mismatch("pathContains", f"[{index}] {text!r} {where}",
                     "    path taken:\n" + "\n".join(_step_line(s) for s in result.steps))]


def _check_path_excludes(unwanted: list[str], result: FlowResult) -> list[Mismatch]:
    hits = [text for text in unwanted if any(_step_matches(text, s) for s in result.steps)]
    if not hits:
        return []
    return [Mismatch("pathExcludes", f"the call passed {', '.join(map(repr, hits))}",
                     "    path taken:\n" + "\n".join(_step_line(s) for s in result.steps))]


def _check_data_actions(wanted: list, result: FlowResult) -> list[Mismatch]:
    calls = [step for step in result.steps if step.kind == "callData"]
    expected_lines, actual_lines, ok = [], [], len(wanted) == len(calls)
    for index in range(max(len(wanted), len(calls))):
        entry = wanted[index] if index < len(wanted) else None
        call = calls[index] if index < len(calls) else None
        entry = {"name": entry} if isinstance(entry, str) else entry
        if entry is not None:
            expected_lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
        if call is not None:
            shown = {"name": call.detail["action"]}
            if entry and "status" in entry:
                shown["status"] = call.detail["status"]
            if entry and "inputs" in entry:
                shown["inputs"] = {k: call.detail["inputs"].get(k) for k in entry["inputs"]}
            actual_lines.append(json.dumps(shown, ensure_ascii=False, sort_keys=True))
        if entry is None or call is None:
            ok = False
            continue
        if action_key(entry["name"]) != action_key(call.detail["action"]):
            ok = False
        if "status" in entry and entry["status"] != call.detail["status"]:
            ok = False
        if any(call.detail["inputs"].get(k, _ABSENT) != v for k, v in (entry.get("inputs") or {}).items()):
            ok = False
    if ok:
        return []
    return [Mismatch("dataActions", f"expected {len(wanted)} data action call(s) as listed, got {len(calls)}",
                     _diff(expected_lines, actual_lines))]


_ABSENT = object()
_CHECKS = {
    "disposition": _check_disposition,
    "participantData": _check_exact_data,
    "participantDataIncludes": _check_included_data,
    "participantDataExcludes": _check_excluded_data,
    "audioContains": _check_audio,
    "pathContains": _check_path,
    "pathExcludes": _check_path_excludes,
    "dataActions": _check_data_actions,
}


def check_expectations(expect: dict, result: FlowResult) -> list[Mismatch]:
    """Every expectation the call misses (empty when the scenario passes), in the order expect: lists them."""
    mismatches = []
    for key, expected in expect.items():
        mismatches.extend(_CHECKS[key](expected, result))
    return mismatches
