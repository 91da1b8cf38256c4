"""transferToVoicemail: the caller leaves a voicemail for a queue, a user or a group; the call leaves the flow.

Genesys ("Transfer to Voicemail action", https://help.mypurecloud.com/articles/transfer-to-voicemail-action/):
the destination is a queue (with a callback number, a callee name and a greeting), a user or a group; a failed
transfer takes the Failure path. The YAML shape is that of real exports (GenesysCloudBlueprints/dr-fallback-ivr,
DR-Fallback-Ivr.yaml and DR-Emergency-IVR.yaml): `destination: {queue: {targetQueue, callbackNumber,
calleeName, voicemailGreeting}}`, `failureOutputs`, `outputs.failure`. Our choices: a queue given with
--unavailable-queue fails the transfer, as for transferToAcd; user and group destinations are recorded by the
name their slot gives.
"""

from __future__ import annotations

from architect.runtime.flow.errors import CallEnded, SimulationError
from architect.runtime.flow.outputs import branch
from architect.runtime.flow.result import TRANSFERRED_TO_VOICEMAIL, Disposition
from architect.runtime.flow.text import text_of

_DESTINATIONS = ("queue", "user", "group")


def transfer_to_voicemail(runner, body, path):
    """Greeting recorded, then the call ends in the destination's voicemail (or the failure path runs)."""
    destination = body.get("destination")
    where = f"{path}/destination"
    if not isinstance(destination, dict) or len(destination) != 1 or next(iter(destination)) not in _DESTINATIONS:
        raise SimulationError("destination must be one of `queue: {...}`, `user: {...}` or `group: {...}`", where)
    (kind, spec), = destination.items()
    spec = spec or {}
    where = f"{where}/{kind}"
    if kind == "queue":
        target = runner.queue_value(spec.get("targetQueue"), f"{where}/targetQueue")["name"]
    else:
        slot = spec.get(f"target{kind.capitalize()}") or spec.get(kind)
        value = runner.value(slot, f"{where}/target{kind.capitalize()}") if slot is not None else None
        target = value.get("name") if isinstance(value, dict) else text_of(value)
    detail = {"destination": kind, "target": target}
    if spec.get("callbackNumber") is not None:
        detail["callbackNumber"] = text_of(runner.value(spec["callbackNumber"], f"{where}/callbackNumber"))
    if kind == "queue" and target.casefold() in runner.unavailable_queues:
        runner.record("transferToVoicemail", path, body.get("name"), **detail, outcome="failure (queue unavailable)")
        runner.run_actions(branch(body.get("outputs"), "failure"), f"{path}/outputs/failure/actions")
        return
    greeting = runner.play(spec.get("voicemailGreeting"), f"{where}/voicemailGreeting", "voicemailGreeting")
    runner.record("transferToVoicemail", path, body.get("name"), **detail, greeting=greeting)
    raise CallEnded(Disposition(TRANSFERRED_TO_VOICEMAIL, f"transferred to the voicemail of {kind} {target}",
                                queue=target if kind == "queue" else None))
