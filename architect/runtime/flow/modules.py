"""callCommonModule: run a common module's start-up task with its Common.* variables, then copy its outputs back.

Genesys ("Call Common Module action", https://help.mypurecloud.com/articles/call-common-module-action/): the
action runs a published common module, passing values to the module's input variables and taking its output
variables back into the caller's variables. The YAML shape follows third-party Archy exports (no Genesys-authored
one was found, see docs/reference/archy-flow-actions.md): `commonModule: {<module name>: {ver_latestPublished:
{inputs: {Common.x: <value>}, outputs: {Common.y: {var: Flow.z}}}}}`, or the inputs and outputs directly under
the module name. A module file has the root key `commonModule:` with `variables:` (Common.*), `tasks:` and a
`startUpRef` (or one task).

The simulation runs the module files it is given (companion simulate --common-module FILE), matched by name;
a module it was not given stops it naming the option. Our choices: an input slot the call leaves out keeps the
module variable's initial value; a disconnect or transfer inside the module ends the call, as in the caller.
"""

from __future__ import annotations

from architect.runtime.flow.errors import FlowFailure, SimulationError
from architect.runtime.flow.values import EvaluationError, ExpressionError

VERSION_PREFIX = "ver_"  # ver_latestPublished, ver_1.0, ...


def _binding(module_name: str, entry, path: str) -> tuple[dict, dict, str]:
    if entry is None or entry is True:
        return {}, {}, path
    if not isinstance(entry, dict):
        raise SimulationError(f"commonModule {module_name!r} must map to {{ver_latestPublished: {{inputs, outputs}}}}",
                              path)
    versions = [key for key in entry if str(key).startswith(VERSION_PREFIX)]
    if versions:
        if len(entry) != 1:
            raise SimulationError("a common module is called with one version (ver_latestPublished)", path)
        path = f"{path}/{versions[0]}"
        entry = entry[versions[0]] if isinstance(entry[versions[0]], dict) else {}
    inputs = entry.get("inputs") or {}
    outputs = entry.get("outputs") or {}
    if not isinstance(inputs, dict) or not isinstance(outputs, dict):
        raise SimulationError("inputs and outputs map Common.* variables to values and variables", path)
    return inputs, outputs, path


def _start_task(module, path: str) -> tuple[str, dict, str]:
    start = module.root.get("startUpRef")
    if isinstance(start, str):
        kind, ref, task = module.resolve_ref(start, path)
        if kind != "task":
            raise SimulationError(f"a common module starts with a task, not {start!r}", path)
        return ref, task, f"/commonModule/tasks/task[{ref}]"
    if len(module.tasks) == 1:
        (ref, task), = module.tasks.items()
        return ref, task, f"/commonModule/tasks/task[{ref}]"
    raise SimulationError("the common module has no startUpRef and not exactly one task", f"/{module.kind}")


def call_common_module(runner, body, path):
    """Run the module with the inputs evaluated in the caller's scope; bind its outputs after it returns."""
    spec = body.get("commonModule")
    where = f"{path}/commonModule"
    if not isinstance(spec, dict) or len(spec) != 1:
        raise SimulationError("commonModule must name one module: {<module name>: {ver_latestPublished: ...}}", where)
    (name, entry), = spec.items()
    where = f"{where}/{name}"
    module = runner.common_modules.get(str(name).casefold())
    if module is None:
        given = ", ".join(sorted(m.name for m in runner.common_modules.values())) or "none"
        raise SimulationError(f"common module {name!r} was not given (companion simulate --common-module FILE; "
                              f"given: {given})", where)
    inputs, outputs, where = _binding(str(name), entry, where)
    values = {key: runner.value(slot, f"{where}/inputs/{key}") for key, slot in inputs.items()}
    caller_flow, caller_common = runner.flow, runner.scope.common
    runner.record("callCommonModule", path, body.get("name"), module=module.name)
    runner.flow, runner.scope.common = module, {}
    try:
        runner.declare_variables(module.root.get("variables"), f"/{module.kind}/variables")
        for key, value in values.items():
            _assign(runner, key, value, f"{where}/inputs/{key}")
        ref, task, task_path = _start_task(module, f"/{module.kind}/startUpRef")
        runner.run_task(ref, task, task_path, called=True)
        results = {key: runner.scope.lookup(key) for key in outputs}
    finally:
        runner.flow, runner.scope.common = caller_flow, caller_common
    bound = {}
    for key, target in outputs.items():
        variable = target.get("var") if isinstance(target, dict) else None
        if variable:
            _assign(runner, variable, results[key], f"{where}/outputs/{key}")
            bound[variable] = results[key]
    runner.record("commonModuleReturned", path, body.get("name"), module=module.name,
                  outputs={k: str(v) for k, v in bound.items()})


def _assign(runner, name: str, value, path: str) -> None:
    try:
        runner.scope.assign(name, value)
    except EvaluationError as exc:
        raise FlowFailure(str(exc), path) from None
    except ExpressionError as exc:
        raise SimulationError(str(exc), path) from None
