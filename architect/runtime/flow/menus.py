"""Menus: play the menu audio, take the next scripted DTMF digit, run the matching choice."""

from __future__ import annotations

import re

from architect.runtime.flow.errors import CallEnded, Jump, SimulationError, UnsupportedFeatureError, out_of_input
from architect.runtime.flow.result import DISCONNECTED, Disposition

# Choice kinds seen in real exports (docs/reference/archy-flows.md §1): menuDisconnect, menuJumpToTask, menuTransferToAcd,
# menuTask; menuJumpToMenu follows the jumpToMenu action's shape.
_DIGIT = re.compile(r"^digit_([0-9*#])$")


def _digit(choice: dict) -> str | None:
    match = _DIGIT.match(str(choice.get("dtmf", "")).strip())
    return match.group(1) if match else None


def run_menu(runner, ref: str, menu: dict, path: str) -> None:
    """Run a menu until a choice leaves it (every choice ends the call, jumps, or runs a task)."""

    choices = menu.get("choices") or []
    if not isinstance(choices, list):
        raise SimulationError("choices must be a list", f"{path}/choices")
    by_digit: dict[str, tuple[int, str, dict]] = {}
    entries = []
    for index, item in enumerate(choices):
        where = f"{path}/choices[{index}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise SimulationError("a choice is a one-key mapping (- menuDisconnect: {...})", where)
        (kind, body), = item.items()
        body = body or {}
        entries.append((index, kind, body))
        digit = _digit(body)
        if digit is not None:
            by_digit.setdefault(digit, (index, kind, body))
    name = menu.get("name") or ref
    while True:
        audio = runner.play(menu.get("audio"), f"{path}/audio", "menu") if "audio" in menu else None
        step = runner.record("menu", path, menu.get("name"), refId=ref, audio=audio,
                             choices={d: body.get("name") or kind for d, (_i, kind, body) in sorted(by_digit.items())})
        if not runner.dtmf:
            default = menu.get("defaultChildMenuRef")
            if isinstance(default, str):
                # The menu's default choice ("./choices/menuJumpToTask[...]", §1) is our reading of what a caller
                # who presses nothing gets.
                chosen = _default_choice(entries, default, path)
                step.detail["input"] = "none (scripted digits used up): default choice"
                _run_choice(runner, *chosen, path)
                return
            raise out_of_input(name)
        entry = runner.dtmf.pop(0)
        # One key chooses; keys typed ahead in the same entry go to whatever listens next (as after a
        # collectInput, "Add a Collect Input action to a task", help.mypurecloud.com).
        digit, ahead = entry[:1], entry[1:]
        if ahead:
            runner.dtmf.insert(0, ahead)
        step.detail["input"] = digit
        chosen = by_digit.get(digit)
        if chosen is None:
            step.detail["outcome"] = f"no choice for digit {digit}; the menu plays again"
            continue
        _run_choice(runner, *chosen, path)
        return


def _default_choice(entries, ref: str, path: str):
    match = re.match(r"^\./choices/(\w+)\[(.*)\]$", ref.strip())
    if match:
        for index, kind, body in entries:
            if kind == match.group(1) and match.group(2) in (body.get("refId"), body.get("name")):
                return index, kind, body
    raise SimulationError(f"defaultChildMenuRef {ref!r} names no choice of this menu", f"{path}/defaultChildMenuRef")


def _run_choice(runner, index: int, kind: str, body: dict, path: str) -> None:
    where = f"{path}/choices[{index}]/{kind}"
    runner.record("menuChoice", where, body.get("name"), dtmf=body.get("dtmf"))
    if kind == "menuDisconnect":
        raise CallEnded(Disposition(DISCONNECTED, f"disconnected by menu choice {body.get('name') or kind!r}"))
    if kind == "menuJumpToTask":
        raise Jump(body.get("targetTaskRef"), f"{where}/targetTaskRef")
    if kind == "menuJumpToMenu":
        raise Jump(body.get("targetMenuRef"), f"{where}/targetMenuRef")
    if kind == "menuTransferToAcd":
        runner.handlers["transferToAcd"](runner, body, where)
        return
    if kind == "menuTask":
        task = body.get("task")
        if not isinstance(task, dict):
            raise SimulationError("menuTask needs an inline task: {actions: [...]}", where)
        runner.run_task(task.get("refId") or body.get("name") or kind, task, f"{where}/task")
        return
    raise UnsupportedFeatureError(f"unsupported menu choice {kind}", where)
