"""collectInput: the caller keys a string of digits into a variable (card numbers, account numbers, PINs).

Genesys facts this follows (help.mypurecloud.com):
- The action ends after the specified number of digits; digits keyed after that go to the next action, a
  menu taking the next one as its choice ("Add a Collect Input action to a task", articles/add-collect-input-
  action-task/).
- In call flows `*` and `#` can terminate a range of digits; pressing the other of the two takes the failure
  path ("Collect Input action", articles/collect-digits-data-action/, ?p=7295).
- A terminating DTMF exists for a range only, not for an exact number of digits; with "accept just *" (or #)
  a caller who keys only that character succeeds and the input data is the string "*" (or "#") ("Collect
  Input action examples", ?p=216525).
- Keying fewer digits than required times out ("Set the timeout behavior", articles/calculating-timeout-
  behavior/); the action's outputs are success and failure, so a timeout takes failure.

What Genesys does not say, and this runtime chooses (docs/flows.md, "Keyed input"):
- A range ended by a pause (the inter-digit timeout) with at least the minimum number of digits succeeds.
- The terminating DTMF pressed before the minimum number of digits fails.
- `*` or `#` inside an exact number of digits, or in a range without a terminating DTMF, fails.
- On failure the input variable keeps its value.
- Verification (read-back) is recorded in the transcript, and the caller is taken to confirm what was read.

Scripted input: each `--dtmf` entry is what the caller keys before pausing ("123456789*"); an empty entry is
a caller who keys nothing until the no-entry timeout.
"""

from __future__ import annotations

import re

from architect.runtime.flow.errors import SimulationError
from architect.runtime.flow.outputs import branch
from architect.runtime.flow.errors import out_of_input
from architect.runtime.flow.assignment import assign

KEYS = re.compile(r"^[0-9*#]*$")  # what a --dtmf entry may hold: the keys of a phone
# Archy's terminatingDtmf values: digit_0 ... digit_9, digit_* and digit_# (the DTMF keys of a phone).
_DTMF = re.compile(r"^digit_([0-9*#])$")
MAX_DIGITS = 99  # Architect's digit slider ends well below this; a larger number is a broken file


def _plain(slot, path: str, kind: type, what: str):
    """A setting written bare (`min: 1`) or as a literal (`lit: 1`)."""
    if isinstance(slot, dict) and set(slot) == {"lit"}:
        slot = slot["lit"]
    if kind is int and isinstance(slot, int) and not isinstance(slot, bool):
        return slot
    if kind is bool and isinstance(slot, bool):
        return slot
    raise SimulationError(f"{what} must be {'a whole number' if kind is int else 'true or false'}, got {slot!r}", path)


def _flag(body: dict, key: str, path: str) -> bool:
    if key not in body or body[key] is None or body[key] == {"noValue": True}:
        return False
    return _plain(body[key], f"{path}/{key}", bool, key)


def _count(value, path: str, what: str) -> int:
    count = _plain(value, path, int, what)
    if not 1 <= count <= MAX_DIGITS:
        raise SimulationError(f"{what} must be between 1 and {MAX_DIGITS}, got {count}", path)
    return count


def _rules(body: dict, path: str) -> tuple[int, int, str | None]:
    """(min, max, terminating key or None) from `digits: {exact: N}` or `digits: {range: {...}}`."""
    digits = body.get("digits")
    where = f"{path}/digits"
    if not isinstance(digits, dict) or len(digits) != 1 or not set(digits) <= {"exact", "range"}:
        raise SimulationError("digits must be `{exact: N}` or `{range: {min: N, max: M, terminatingDtmf: ...}}`",
                              where)
    if "exact" in digits:
        exact = _count(digits["exact"], f"{where}/exact", "exact")
        return exact, exact, None
    spec = digits["range"]
    if not isinstance(spec, dict):
        raise SimulationError("range must be `{min: N, max: M, terminatingDtmf: digit_# or digit_*}`", f"{where}/range")
    low = _count(spec.get("min"), f"{where}/range/min", "min")
    high = _count(spec.get("max"), f"{where}/range/max", "max")
    if low > high:
        raise SimulationError(f"min ({low}) is above max ({high})", f"{where}/range")
    terminator = spec.get("terminatingDtmf")
    if terminator is None or terminator == {"noValue": True}:
        return low, high, None
    match = _DTMF.match(str(terminator).strip())
    if not match:
        raise SimulationError(f"terminatingDtmf must be digit_0 to digit_9, digit_* or digit_#, got {terminator!r}",
                              f"{where}/range/terminatingDtmf")
    return low, high, match.group(1)


def _read(entry: str, low: int, high: int, terminator: str | None, include_terminator: bool,
          just: set[str]) -> tuple[str | None, str, str]:
    """(input data or None for failure, what is left for the next action, why) for one keyed entry."""
    if entry[:1] in just:
        return entry[0], entry[1:], f"accepted a lone {entry[0]}"
    keyed = ""
    for position, key in enumerate(entry):
        rest = entry[position + 1:]
        if key.isdigit() and key != terminator:
            keyed += key
            if len(keyed) == high:
                return keyed, rest, f"{high} digit(s) keyed"
            continue
        if key == terminator:
            if len(keyed) >= low:
                return keyed + (key if include_terminator else ""), rest, f"ended by {key}"
            return None, rest, f"{key} after {len(keyed)} digit(s), fewer than the minimum {low}"
        if terminator in ("*", "#"):
            return None, rest, f"{key}, the other of * and # (this input ends with {terminator})"
        if terminator is not None:
            return None, rest, f"{key}, not a digit nor the terminating key {terminator}"
        return None, rest, f"{key} where only digits count"
    if not keyed:
        return None, "", "nothing keyed (no-entry timeout)"
    if len(keyed) >= low:
        return keyed, "", f"{len(keyed)} digit(s), then a pause (inter-digit timeout)"
    return None, "", f"{len(keyed)} digit(s), fewer than {low} (inter-digit timeout)"


def collect_input(runner, body, path):
    """collectInput: play the prompt, read the next scripted entry into inputData, run success or failure."""
    slot = body.get("inputData")
    variable = slot.get("var") if isinstance(slot, dict) else None
    if not isinstance(variable, str) or not variable.strip():
        raise SimulationError("inputData must name the variable the digits go into: `{var: Task.x}`",
                              f"{path}/inputData")
    low, high, terminator = _rules(body, path)
    include_terminator = _flag(body, "includeTerminatingDtmfInResultData", path)
    just = {key for key, setting in (("*", "acceptJustStar"), ("#", "acceptJustPound")) if _flag(body, setting, path)}
    audio = runner.play(body.get("inputAudio"), f"{path}/inputAudio", "collectInput") if "inputAudio" in body else None
    name = body.get("name") if isinstance(body.get("name"), str) else "Collect Input"
    if not runner.dtmf:
        raise out_of_input(name, "collect input")
    entry = runner.dtmf.pop(0)
    if not KEYS.match(entry):
        raise SimulationError(f"scripted input {entry!r} has keys a phone does not have (0-9, * and #)", path)
    value, rest, why = _read(entry, low, high, terminator, include_terminator, just)
    if rest:
        runner.dtmf.insert(0, rest)  # keyed ahead: the next menu or collectInput reads it
    outcome = "success" if value is not None else "failure"
    detail = {"input": entry, "outcome": outcome, "reason": why, "audio": audio}
    verification = body.get("verificationType")
    if value is not None and verification not in (None, "none"):
        detail["verification"] = f"{verification} read-back of {value!r}, taken as confirmed"
    runner.record("collectInput", path, body.get("name"), **detail)
    if value is not None:
        assign(runner, variable, value, "string", f"{path}/inputData")
    runner.run_actions(branch(body.get("outputs"), outcome), f"{path}/outputs/{outcome}/actions")
