"""findQueue: look a queue up by name; the simulation knows the queues it is given with --queue NAME=ID.

Genesys ("Find Queue action", https://help.mypurecloud.com/articles/find-queue-action/): the action looks a
queue up by name and takes Found (the queue in the result variable) or Not Found. The YAML shape is that of a
real inboundEmail flow (GenesysCloudBlueprints/cx-as-code-cicd-gitactions-blueprint, EmailComprehendFlow.yaml):
`findName: {exp: ...}`, `findResult: {var: State.x}`, with no outputs written when neither path has actions.
Our choice: the org's queues are those given with --queue (names compared case-insensitively, as Architect's
lookups are); any other name is Not Found and leaves the result variable as it was.
"""

from __future__ import annotations

from architect.runtime.flow.errors import FlowFailure, SimulationError
from architect.runtime.flow.outputs import branch
from architect.runtime.flow.values import NOT_SET
from architect.runtime.flow.assignment import assign


def find_queue(runner, body, path):
    """Found: the queue goes into findResult; Not Found otherwise."""
    name = runner.value(body.get("findName"), f"{path}/findName", "string")
    if name is NOT_SET:
        raise FlowFailure("the queue name to find is NOT_SET", f"{path}/findName")
    known = {queue.casefold(): queue for queue in runner.call.queue_ids}
    match = known.get(str(name).strip().casefold())
    outcome = "found" if match else "notFound"
    result = body.get("findResult")
    variable = result.get("var") if isinstance(result, dict) else None
    if result is not None and not (variable or result == {"noValue": True}):
        raise SimulationError("findResult is `{var: <queue variable>}` or `noValue: true`", f"{path}/findResult")
    if match and variable:
        assign(runner, variable, runner.queue(match), "queue", f"{path}/findResult")
    runner.record("findQueue", path, body.get("name"), queue=str(name), outcome=outcome,
                  **({} if match else {"note": "not one of the --queue NAME=ID queues"}))
    runner.run_actions(branch(body.get("outputs"), outcome), f"{path}/outputs/{outcome}/actions")
