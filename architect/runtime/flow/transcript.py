"""A FlowResult as a readable transcript: the path taken, audio, data actions with timing, participant data."""

from __future__ import annotations

import json

from architect.runtime.flow.result import FlowResult, Step


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 100 else text[:97] + "..."


def _pairs(mapping: dict) -> str:
    return ", ".join(f"{key}={_short(value)}" for key, value in mapping.items()) or "none"


def describe(step: Step) -> str:
    """One line saying what a step did."""
    d = step.detail
    kind = step.kind
    if kind == "callData":
        head = f"{d['action']} -> {d['status']}, {d['durationMs']:.1f} ms of {d['timeoutSeconds']:g} s"
        if d["status"] == "success":
            bound = d.get("bound") or {}
            return f"{head}; {len(d.get('outputs') or {})} outputs, {len(bound)} bound" + (
                f": {_pairs(bound)}" if len(bound) <= 4 else "")
        return f"{head}; {d.get('error')}"
    if kind in ("setParticipantData", "getParticipantData"):
        return _pairs(d.get("attributes") or {})
    if kind == "updateData":
        return _pairs(d.get("assigned") or {})
    if kind in ("decision", "switch", "dataTableLookup"):
        extra = f" (table {d['table']}, key {d['key']})" if kind == "dataTableLookup" else ""
        return f"-> {d['outcome']}{extra}"
    if kind == "menu":
        text = f"choices {_pairs(d.get('choices') or {})}; input {d.get('input', 'none')}"
        return text + (f"; {d['outcome']}" if "outcome" in d else "")
    if kind == "transferToAcd":
        return f"queue {d['queue']}" + (f": {d['outcome']}" if "outcome" in d else "")
    if kind in ("playAudio", "holdMusic", "initialGreeting"):
        return str(d.get("audio"))
    if kind == "errorHandling":
        return f"{d['error']} (at {d['at']})"
    return _pairs(d)


_VALUE_LISTS = frozenset({"setParticipantData", "getParticipantData", "updateData"})


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def render(result: FlowResult, *, ani: str | None = None, conversation_id: str | None = None,
           verbose: bool = False) -> str:
    """The transcript as text: one line a step; verbose adds each step's YAML path and full values."""
    width = 10_000 if verbose else 120
    lines = [f"Flow {result.flow!r} ({result.flowType})"
             + (f", caller {ani}" if ani else "") + (f", conversation {conversation_id}" if conversation_id else "")]
    lines.append("Path:")
    for number, step in enumerate(result.steps, 1):
        label = f"{step.kind}" + (f" {step.name!r}" if step.name else "")
        summary = describe(step) if step.detail else ""
        line = f"  {number:>2}. {label}" + (f": {summary}" if summary else "")
        # Lists of values are cut to the line (the Participant data section has them); reasons never are.
        lines.append(_fit(line, width) if step.kind in _VALUE_LISTS else line)
        if verbose:
            lines.append(f"      at {step.path}")
    lines.append("Audio:")
    lines.extend(_fit(f"  - {item['text']} ({item['kind']})", width) for item in result.audio)
    if not result.audio:
        lines.append("  (none)")
    lines.append("Participant data:")
    lines.extend(_fit(f"  {key} = {value}", width) for key, value in result.participantData.items())
    if not result.participantData:
        lines.append("  (none)")
    if result.errors:
        lines.append("Errors:")
        for error in result.errors:
            where = f" at {error['path']}" if verbose or error["kind"] == "stopped" else ""
            lines.append(f"  - {error['kind']}{where}: {error['message']}")
    if result.localFaults:
        lines.append("Local faults (a real call would not fail this way; --strict exits 1):")
        lines.extend(f"  - {fault['action']}: {fault['fault']}" for fault in result.localFaults)
    stopped = result.disposition.kind == "stopped" and any(e["kind"] == "stopped" for e in result.errors)
    lines.append("Disposition: " + ("simulation stopped (see Errors)" if stopped else result.disposition.description))
    lines.append(f"Time: {result.durationMs:.1f} ms, of which {result.dataActionMs:.1f} ms in data actions")
    return "\n".join(lines)
