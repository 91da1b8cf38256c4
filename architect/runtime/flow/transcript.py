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
        head = f"{d['action']} -> {d['status']} in {d['durationMs']:.1f} ms (limit {d['timeoutSeconds']:g} s)"
        if d["status"] == "success":
            bound = d.get("bound") or {}
            return f"{head}; {len(d.get('outputs') or {})} outputs, {len(bound)} bound" + (
                f": {_pairs(bound)}" if len(bound) <= 4 else " (--json shows them)")
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


def render(result: FlowResult, *, ani: str | None = None, conversation_id: str | None = None) -> str:
    """The transcript as text."""
    lines = [f"Flow {result.flow!r} ({result.flowType})"
             + (f", caller {ani}" if ani else "") + (f", conversation {conversation_id}" if conversation_id else "")]
    lines.append("Path:")
    for number, step in enumerate(result.steps, 1):
        label = f"{step.kind}" + (f" {step.name!r}" if step.name else "")
        summary = describe(step) if step.detail else ""
        lines.append(f"  {number:>2}. {label}" + (f": {summary}" if summary else ""))
        lines.append(f"      at {step.path}")
    lines.append("Audio:")
    lines.extend(f"  - {item['text']} ({item['kind']})" for item in result.audio)
    if not result.audio:
        lines.append("  (none)")
    lines.append("Participant data:")
    lines.extend(f"  {key} = {value}" for key, value in result.participantData.items())
    if not result.participantData:
        lines.append("  (none)")
    if result.errors:
        lines.append("Errors:")
        lines.extend(f"  - {error['kind']} at {error['path']}: {error['message']}" for error in result.errors)
    lines.append(f"Disposition: {result.disposition.description}")
    lines.append(f"Time: {result.durationMs:.1f} ms, of which {result.dataActionMs:.1f} ms in data actions")
    return "\n".join(lines)
