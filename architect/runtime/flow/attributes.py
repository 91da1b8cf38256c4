"""The `attributes:` list that Set Participant Data and Set Conversation Data share (docs/reference/archy-flows.md §3)."""

from __future__ import annotations

from architect.runtime.flow.errors import FlowFailure, SimulationError
from architect.runtime.flow.values import NOT_SET


def evaluate_attributes(runner, body, path, noun: str = "participant attribute") -> dict[str, str]:
    """The `attributes:` list of a Set Participant (or Conversation) Data action, every key and value evaluated
    as a string; a blank key or a NOT_SET value goes to error handling."""
    written = {}
    for index, item in enumerate(body.get("attributes") or []):
        where = f"{path}/attributes[{index}]/attribute"
        attribute = item.get("attribute") if isinstance(item, dict) else None
        if not isinstance(attribute, dict):
            raise SimulationError("an attribute is `- attribute: {name: ..., value: ...}`", where)
        key = runner.value(attribute.get("name"), f"{where}/name", "string")
        if key is NOT_SET or key == "":
            # RC-GPD/RC-SPD: the name "should be a string literal and will produce an error state if left blank".
            raise FlowFailure("the attribute name is blank", f"{where}/name")
        # Names and values are strings (§3, §7); a non-string value is implicitly cast as where a string is expected.
        value = runner.value(attribute.get("value"), f"{where}/value", "string")
        if value is NOT_SET:
            raise FlowFailure(f"the value of {noun} {key!r} is NOT_SET", f"{where}/value")
        written[key] = value
    return written
