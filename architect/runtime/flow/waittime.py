"""playEstimatedWaitTime (in-queue flows): tell the caller the estimated wait, rounded as the action says.

Genesys ("Play Estimated Wait Time action", https://help.mypurecloud.com/articles/play-estimated-wait-time-action/):
- The duration defaults to Call.EstimatedWaitTime; when it is NOT_SET the action plays no audio.
- Playback modes: Approximate ("about five minutes", rounded up to the round-up interval), Less Than ("less than
  five minutes"), Padded ("four to five minutes", the padding interval wide), Precise (the exact time).
- A computed duration under one minute is treated as one minute.

The YAML shape is that of a real in-queue flow (GenesysCloudBlueprints/switch-voice-to-web-messaging, "Switch to
Web Messaging via SMS.yaml"): `estimatedWaitTime`, `playbackMode: about`, `roundingInterval: {lit: {minutes: 5}}`
and `specificRoundingIntervals: [- lit: {seconds: 30}, ...]`. Our choices, where Genesys is silent: the mode
keys are `about`, `lessThan`, `padded` and `precise`; a specific rounding interval at or above the wait is used
before rounding up to a multiple of `roundingInterval` (default 1 minute); Padded uses `paddingInterval`.
"""

from __future__ import annotations

import datetime as dt
import math

from architect.runtime.flow.errors import SimulationError
from architect.runtime.flow.values import NOT_SET

MODES = ("about", "lessThan", "padded", "precise")
_MINUTE = dt.timedelta(minutes=1)


def _minutes(value: dt.timedelta) -> str:
    count = max(1, math.ceil(value.total_seconds() / 60))
    return f"{count} minute{'s' if count != 1 else ''}"


def _precise(value: dt.timedelta) -> str:
    minutes, seconds = divmod(round(value.total_seconds()), 60)
    parts = [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes else []
    if seconds or not parts:
        parts.append(f"{seconds} second{'s' if seconds != 1 else ''}")
    return " and ".join(parts)


def _rounded_up(runner, body: dict, wait: dt.timedelta, path: str) -> dt.timedelta:
    specific = body.get("specificRoundingIntervals") or []
    if not isinstance(specific, list):
        raise SimulationError("specificRoundingIntervals must be a list of durations", f"{path}/specificRoundingIntervals")
    for index, slot in enumerate(specific):
        interval = runner.value(slot, f"{path}/specificRoundingIntervals[{index}]", "duration")
        if interval is not NOT_SET and interval >= wait:
            return max(interval, _MINUTE)
    step = runner.value(body["roundingInterval"], f"{path}/roundingInterval", "duration") \
        if "roundingInterval" in body else _MINUTE
    step = step if step is not NOT_SET and step > dt.timedelta(0) else _MINUTE
    return max(step * math.ceil(wait / step), _MINUTE)


def play_estimated_wait_time(runner, body, path):
    """Record the sentence the caller would hear, or that nothing plays when the wait is NOT_SET."""
    slot = body.get("estimatedWaitTime") or {"exp": "Call.EstimatedWaitTime"}
    wait = runner.value(slot, f"{path}/estimatedWaitTime", "duration")
    mode = body.get("playbackMode", "about")
    if mode not in MODES:
        raise SimulationError(f"playbackMode must be one of {', '.join(MODES)}, got {mode!r}", f"{path}/playbackMode")
    if wait is NOT_SET:
        runner.record("playEstimatedWaitTime", path, body.get("name"), audio=None,
                      note="the estimated wait time is NOT_SET: no audio plays")
        return
    if mode == "precise":
        spoken = f"Your estimated wait time is {_precise(max(wait, _MINUTE))}"
    elif mode == "padded":
        padding = runner.value(body["paddingInterval"], f"{path}/paddingInterval", "duration") \
            if "paddingInterval" in body else _MINUTE
        padding = padding if padding is not NOT_SET else _MINUTE
        upper = _rounded_up(runner, {"roundingInterval": {"lit": {"minutes": 1}}}, wait, path)
        lower = max(upper - padding, _MINUTE)
        spoken = f"Your estimated wait time is {_minutes(lower).split()[0]} to {_minutes(upper)}"
    else:
        word = "about" if mode == "about" else "less than"
        spoken = f"Your estimated wait time is {word} {_minutes(_rounded_up(runner, body, wait, path))}"
    text = f"TTS {spoken!r}"
    runner.result.audio.append({"path": path, "kind": "playEstimatedWaitTime", "text": text})
    runner.record("playEstimatedWaitTime", path, body.get("name"), audio=text, estimatedWaitTime=str(wait))
