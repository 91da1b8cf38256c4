"""callData: resolve the data action, run it against the service, bind typed outputs, take its output path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from architect.contracts import flattened_outputs
from architect.genesys.variables import CONTRACT_TO_ARCHITECT, architect_type
from architect.runtime.actions import DEFAULT_TIMEOUT_SECONDS, execute_action
from architect.runtime.flow.outputs import branch
from architect.runtime.flow.text import text_of
from architect.runtime.flow.errors import FlowFailure, SimulationError
from architect.runtime.flow.registry import ActionLookupError
from architect.runtime.flow.values import (NOT_SET, EvaluationError, ExpressionError, PhoneNumber, coerce,
                                           format_datetime, format_duration)

_INPUT_TYPES = CONTRACT_TO_ARCHITECT
contract_output_type = architect_type  # 'number' -> 'decimal', 'string collection' -> 'stringCollection'


def _json_value(value, schema: dict | None):
    """An Architect value as the JSON the data action receives, converted to the input contract's type."""
    kind = (schema or {}).get("type")
    if isinstance(kind, str) and kind in _INPUT_TYPES and not isinstance(value, list | dict):
        value = coerce(value, _INPUT_TYPES[kind])  # implicit casting to the input's type
    if isinstance(value, list):
        items = (schema or {}).get("items") if isinstance((schema or {}).get("items"), dict) else None
        return [_json_value(item, items) for item in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and kind == "integer" else float(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, PhoneNumber):
        return value.uri
    if isinstance(value, dict):  # a queue or other object: the data action receives its id when it has one
        return value.get("id") if "id" in value else value
    raise ExpressionError(f"a {type(value).__name__} value cannot be sent to a data action")


def _duration_seconds(runner, slot, path: str) -> float | None:
    if slot is None:
        return None
    value = runner.value(slot, path, "duration")
    return None if value is NOT_SET else value.total_seconds()


def call_data(runner, body, path):
    """Run the action; success binds successOutputs (typed by the contract), then the matching output runs."""
    category = body.get("category")
    if not isinstance(category, dict) or len(category) != 1:
        raise SimulationError("category must name one integration: {<integration>: {dataAction: {<name>: ...}}}",
                              f"{path}/category")
    (integration, entry), = category.items()
    actions = (entry or {}).get("dataAction") if isinstance(entry, dict) else None
    if not isinstance(actions, dict) or len(actions) != 1:
        raise SimulationError("dataAction must name one action", f"{path}/category/{integration}/dataAction")
    (name, binding), = actions.items()
    base = f"{path}/category/{integration}/dataAction/{name}"
    binding = binding or {}
    try:
        file, action = runner.registry.resolve(str(integration), str(name))
    except ActionLookupError as exc:
        raise SimulationError(str(exc), base) from None

    properties = action["contract"]["input"]["inputSchema"].get("properties") or {}
    inputs = {}
    for key, slot in (binding.get("inputs") or {}).items():
        where = f"{base}/inputs/{key}"
        value = runner.value(slot, where)
        if value is NOT_SET:
            continue  # an unset input is left out of the request (templates read it with $!{input.x})
        try:
            inputs[key] = _json_value(value, properties.get(key))
        except EvaluationError as exc:
            raise FlowFailure(str(exc), where) from None
        except ExpressionError as exc:
            raise SimulationError(str(exc), where) from None

    # Two limits apply: the action's own timeoutSeconds (default 60 s) and the callData action's timeout.
    action_limit = float(action["config"].get("timeoutSeconds") or DEFAULT_TIMEOUT_SECONDS)
    flow_limit = _duration_seconds(runner, body.get("timeout"), f"{path}/timeout")
    limit = min(action_limit, flow_limit) if flow_limit else action_limit
    result = None
    if runner.answer_action is not None:
        try:
            result = runner.answer_action(str(integration), str(name), action, inputs)
        except ActionLookupError as exc:
            raise SimulationError(str(exc), base) from None
    if result is None:
        result = execute_action(action, inputs, runner.credentials, session=runner.session,
                                base_url=runner.service_url, timeout=limit)
    runner.result.dataActionMs += result.duration_ms
    detail = {"integration": integration, "action": name, "file": str(file), "inputs": inputs,
              "status": result.status, "durationMs": round(result.duration_ms, 1), "timeoutSeconds": limit}
    if "processingPrompt" in body:
        detail["processingPrompt"] = "recorded, not played"
    if result.status == "success":
        detail["outputs"] = result.outputs
    else:
        detail["error"] = result.error
    detail["request"] = result.request
    if result.local_faults:
        detail["localFaults"] = result.local_faults
        runner.result.localFaults.extend({"action": name, "path": path, "fault": fault}
                                         for fault in result.local_faults)
    detail["actionSteps"] = [{"name": s.name, "ok": s.ok, **({"error": s.error} if s.error else {})}
                             for s in result.steps]
    step = runner.record("callData", path, body.get("name"), **detail)

    if result.status == "success":
        step.detail["bound"] = _bind_outputs(runner, binding.get("successOutputs") or {}, result.outputs, action,
                                             f"{base}/successOutputs")
    # Call flows cannot bind failureOutputs (FORUM-FAIL via docs/reference/archy-flows.md §2); they are not assigned here.
    runner.run_actions(branch(body.get("outputs"), result.status), f"{path}/outputs/{result.status}/actions")


def _bind_outputs(runner, bindings: dict, outputs: dict, action: dict, path: str) -> dict:
    """Assign the bound outputs; returns variable -> value as text."""
    bound = {}
    types = flattened_outputs(action["contract"]["output"]["successSchema"])
    for key, slot in bindings.items():
        where = f"{path}/{key}"
        if not isinstance(slot, dict) or len(slot) != 1:
            raise SimulationError("an output binding is var: <variable> or noValue: true", where)
        if "noValue" in slot:
            continue
        variable = slot.get("var")
        if not isinstance(variable, str):
            raise SimulationError("an output binding is var: <variable> or noValue: true", where)
        if key not in types and key not in outputs:
            raise SimulationError(f"{key!r} is not an output of the action's contract "
                                  f"(outputs: {', '.join(sorted(types)) or 'none'})", where)
        type_name = contract_output_type(types.get(key))
        # An output the response leaves out is NOT_SET (an empty list for a collection).
        value = outputs.get(key, NOT_SET)
        try:
            if value is not NOT_SET and type_name:
                value = coerce(value, type_name)
            runner.scope.assign(variable, value, type_name)
            bound[variable] = text_of(value)
        except EvaluationError as exc:
            raise FlowFailure(str(exc), where) from None
        except ExpressionError as exc:
            raise SimulationError(f"cannot bind output {key!r} to {variable}: {exc}", where) from None
    return bound
