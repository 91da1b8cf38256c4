"""The flow actions the runner interprets, one function each (shapes: docs/reference/archy-flows.md §2-§5)."""

from __future__ import annotations

from architect.genesys import flow_actions as keys
from architect.genesys.variables import DECLARATIONS
from architect.runtime.flow.assignment import assign
from architect.runtime.flow.calldata import call_data
from architect.runtime.flow.modules import call_common_module
from architect.runtime.flow.queues import find_queue
from architect.runtime.flow.replies import send_auto_reply
from architect.runtime.flow.voicemail import transfer_to_voicemail
from architect.runtime.flow.waittime import play_estimated_wait_time
from architect.runtime.flow.attributes import evaluate_attributes
from architect.runtime.flow.workflows import end_workflow, set_conversation_data
from architect.runtime.flow.collect import collect_input
from architect.runtime.flow.schedules import evaluate_schedule_group
from architect.runtime.flow.datatables import data_table_lookup
from architect.runtime.flow.errors import (CallEnded, FlowFailure, Jump, LoopExit, LoopNext, SimulationError,
                                           TaskEnded)
from architect.runtime.flow.result import (DISCONNECTED, TRANSFERRED_TO_FLOW, TRANSFERRED_TO_QUEUE,
                                           TRANSFERRED_TO_SECURE_FLOW, Disposition)
from architect.runtime.flow.outputs import branch
from architect.runtime.flow.text import text_of
from architect.runtime.flow.values import NOT_SET

# updateData statement key -> Architect type: the declaration types' names (string, integer, ..., queue), plus
# collection forms such as stringCollection.
_STATEMENT_TYPES = {type_name: type_name for type_name in DECLARATIONS.values()}
MAX_LOOP_COUNT = 1000


def decision(runner, body, path):
    """decision: evaluate the condition (NOT_SET -> error handling), run yes or no, continue."""
    if "condition" not in body:
        raise SimulationError("decision needs a condition", path)
    taken = runner.value(body["condition"], f"{path}/condition", "boolean")
    if taken is NOT_SET:
        raise FlowFailure("the decision's condition is NOT_SET", f"{path}/condition")
    outcome = "yes" if taken else "no"
    runner.record("decision", path, body.get("name"), outcome=outcome)
    runner.run_actions(branch(body.get("outputs"), outcome), f"{path}/outputs/{outcome}/actions")


def switch(runner, body, path):
    """switch with evaluate.firstTrue: the first case whose value is true, else default."""
    evaluate = body.get("evaluate") or {}
    if set(evaluate) != {"firstTrue"}:
        raise SimulationError(f"unsupported switch evaluation {', '.join(map(str, evaluate)) or 'none'} "
                              "(supported: firstTrue)", f"{path}/evaluate")
    first_true = evaluate["firstTrue"] or {}
    cases = first_true.get("cases") or []
    for index, item in enumerate(cases):
        case = (item or {}).get("case") if isinstance(item, dict) else None
        where = f"{path}/evaluate/firstTrue/cases[{index}]/case"
        if not isinstance(case, dict):
            raise SimulationError("a case is `- case: {value: ..., actions: [...]}`", where)
        matched = runner.value(case.get("value"), f"{where}/value", "boolean")
        if matched is NOT_SET:
            raise FlowFailure("the case's value is NOT_SET", f"{where}/value")
        if matched:
            runner.record("switch", path, body.get("name"), outcome=f"case {index}")
            runner.run_actions(case.get("actions") or [], f"{where}/actions")
            return
    runner.record("switch", path, body.get("name"), outcome="default")
    runner.run_actions((first_true.get("default") or {}).get("actions") or [],
                       f"{path}/evaluate/firstTrue/default/actions")


def update_data(runner, body, path):
    """updateData: typed assignments, in order."""
    assigned = {}
    for index, item in enumerate(body.get("statements") or []):
        where = f"{path}/statements[{index}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise SimulationError("a statement is `- string: {variable: ..., value: ...}`", where)
        (key, statement), = item.items()
        where = f"{where}/{key}"
        type_name = _STATEMENT_TYPES.get(key) or (key if str(key).endswith("Collection") else None)
        if type_name is None:
            raise SimulationError(f"unsupported updateData statement type {key}", where)
        if not isinstance(statement, dict) or not isinstance(statement.get("variable"), str):
            raise SimulationError("a statement needs variable: <name>", where)
        name = statement["variable"]
        if type_name == "queue":
            value = runner.queue_value(statement.get("value"), f"{where}/value")
        else:
            value = runner.value(statement.get("value"), f"{where}/value", type_name)
        assign(runner, name, value, type_name, where)
        assigned[name] = text_of(value)
    runner.record("updateData", path, body.get("name"), assigned=assigned)


def set_participant_data(runner, body, path):
    """setParticipantData: string keys (case-sensitive) and string values; a NOT_SET value -> error handling."""
    written = evaluate_attributes(runner, body, path)
    # All values are evaluated before any is written: an action that fails changes nothing (our choice; Genesys
    # does not say whether a half-evaluated Set Participant Data writes its first attributes).
    runner.participant_data.update(written)
    runner.record("setParticipantData", path, body.get("name"), attributes=written)


def get_participant_data(runner, body, path):
    """getParticipantData: copy attributes into variables; a missing key leaves the variable NOT_SET (§3 [M])."""
    read = {}
    for index, item in enumerate(body.get("attributes") or []):
        where = f"{path}/attributes[{index}]/attribute"
        attribute = item.get("attribute") if isinstance(item, dict) else None
        if not isinstance(attribute, dict) or not isinstance(attribute.get("variable"), str):
            raise SimulationError("an attribute is `- attribute: {name: {lit: key}, variable: Task.x}`", where)
        key = runner.value(attribute.get("name"), f"{where}/name", "string")
        if key is NOT_SET or key == "":
            raise FlowFailure("the attribute name is blank", f"{where}/name")
        value = runner.participant_data.get(key, NOT_SET)
        assign(runner, attribute["variable"], value, "string", f"{where}/variable")
        read[key] = text_of(value)
    runner.record("getParticipantData", path, body.get("name"), attributes=read)


def play_audio(runner, body, path):
    """playAudio: record what would be played."""
    text = runner.play(body.get("audio"), f"{path}/audio", "playAudio")
    runner.record("playAudio", path, body.get("name"), audio=text)


def hold_music(runner, body, path):
    """holdMusic (in-queue): record the prompt that would be played."""
    text = runner.play(body.get("prompt"), f"{path}/prompt", "holdMusic")
    runner.record("holdMusic", path, body.get("name"), audio=text)


def transfer_to_acd(runner, body, path):
    """transferToAcd: the call leaves the flow for the queue; an unavailable queue takes the failure output."""
    queue = runner.queue_value(body.get("targetQueue"), f"{path}/targetQueue")
    name = queue["name"]
    if name.casefold() in runner.unavailable_queues:
        runner.record("transferToAcd", path, body.get("name"), queue=name, outcome="failure (queue unavailable)")
        runner.play(body.get("failureTransferAudio"), f"{path}/failureTransferAudio", "failureTransferAudio")
        runner.run_actions(branch(body.get("outputs"), "failure"), f"{path}/outputs/failure/actions")
        return
    priority = body.get("priority")
    detail = {"queue": name}
    if priority is not None:
        detail["priority"] = text_of(runner.value(priority, f"{path}/priority", "integer"))
    if isinstance(body.get("overrideInQueueFlow"), dict):
        detail["inQueueFlow"] = body["overrideInQueueFlow"].get("name")
    runner.play(body.get("preTransferAudio"), f"{path}/preTransferAudio", "preTransferAudio")
    runner.record("transferToAcd", path, body.get("name"), **detail)
    raise CallEnded(Disposition(TRANSFERRED_TO_QUEUE, f"transferred to queue {name}", queue=name))


def disconnect(runner, body, path):
    """disconnect: the call ends."""
    runner.record("disconnect", path, body.get("name"))
    raise CallEnded(Disposition(DISCONNECTED, f"disconnected by {path}"))


def _flow_name(runner, body, path) -> str:
    target = body.get("targetFlow")
    if isinstance(target, dict) and isinstance(target.get("name"), str):
        return target["name"]
    if isinstance(target, dict) and isinstance(target.get("lit"), dict) and isinstance(target["lit"].get("name"), str):
        return target["lit"]["name"]
    raise SimulationError("targetFlow must be {name: <flow>}", f"{path}/targetFlow")


def transfer_to_flow(runner, body, path):
    """transferToFlow: the call leaves for another flow (participant data goes with it)."""
    name = _flow_name(runner, body, path)
    runner.play(body.get("preTransferAudio"), f"{path}/preTransferAudio", "preTransferAudio")
    runner.record("transferToFlow", path, body.get("name"), flow=name)
    raise CallEnded(Disposition(TRANSFERRED_TO_FLOW, f"transferred to flow {name}", flow=name))


def transfer_to_flow_secure(runner, body, path):
    """transferToFlowSecure: the call goes to a secure flow (and may come back; the simulation ends here)."""
    name = _flow_name(runner, body, path)
    runner.play(body.get("preTransferAudio"), f"{path}/preTransferAudio", "preTransferAudio")
    runner.record("transferToFlowSecure", path, body.get("name"), flow=name)
    raise CallEnded(Disposition(TRANSFERRED_TO_SECURE_FLOW, f"transferred to secure flow {name}", flow=name))


def jump_to_task(runner, body, path):
    """jumpToTask: continue in another task, without returning."""
    runner.record("jumpToTask", path, body.get("name"), target=body.get("targetTaskRef"))
    raise Jump(body.get("targetTaskRef"), f"{path}/targetTaskRef")


def jump_to_menu(runner, body, path):
    """jumpToMenu: continue in a menu, without returning."""
    runner.record("jumpToMenu", path, body.get("name"), target=body.get("targetMenuRef"))
    raise Jump(body.get("targetMenuRef"), f"{path}/targetMenuRef")


def call_task(runner, body, path):
    """callTask: run another task with its own Task variables and come back; its endTask output path runs."""
    ref = body.get("targetTaskRef")
    kind, ref_id, task, task_path = runner._resolve(ref, f"{path}/targetTaskRef")  # noqa: SLF001
    if kind != "task":
        raise SimulationError(f"callTask must target a task, not {ref!r}", f"{path}/targetTaskRef")
    runner.record("callTask", path, body.get("name"), target=ref)
    output = runner.run_task(ref_id, task, task_path, called=True)
    if output is not None:
        runner.record("taskReturned", path, body.get("name"), outputPath=output)
        runner.run_actions(branch(body.get("outputs"), output), f"{path}/outputs/{output}/actions")


def end_task(runner, body, path):
    """endTask: leave the called task through an output path."""
    output = body.get("outputPath")
    name = output.get("name") if isinstance(output, dict) else None
    runner.record("endTask", path, body.get("name"), outputPath=name)
    raise TaskEnded(name)


def loop(runner, body, path):
    """loop: run outputs.loop loopCount times with currentIndex 0..n-1; loopNext / loopExit steer it."""
    count = runner.value(body.get("loopCount"), f"{path}/loopCount", "integer")
    if count is NOT_SET:
        raise FlowFailure("the loop count is NOT_SET", f"{path}/loopCount")
    if count > MAX_LOOP_COUNT:
        raise SimulationError(f"loop count {count} is above the simulator's limit of {MAX_LOOP_COUNT}",
                              f"{path}/loopCount")
    index_slot = body.get("currentIndex")
    index_var = index_slot.get("var") if isinstance(index_slot, dict) else None
    actions = branch(body.get("outputs"), "loop") or []
    runner.record("loop", path, body.get("name"), loopCount=count)
    runner.loop_depth += 1
    try:
        for index in range(max(count, 0)):
            if index_var:
                assign(runner, index_var, index, "integer", f"{path}/currentIndex")
            try:
                runner.run_actions(actions, f"{path}/outputs/loop/actions")
            except LoopNext:
                continue
            except LoopExit:
                break
    finally:
        runner.loop_depth -= 1


def loop_next(runner, body, path):
    """loopNext: next iteration of the enclosing loop."""
    if runner.loop_depth == 0:
        raise SimulationError("loopNext outside a loop", path)
    runner.record("loopNext", path, body.get("name"))
    raise LoopNext()


def loop_exit(runner, body, path):
    """loopExit: leave the enclosing loop."""
    if runner.loop_depth == 0:
        raise SimulationError("loopExit outside a loop", path)
    runner.record("loopExit", path, body.get("name"))
    raise LoopExit()


# Action key (architect.genesys.flow_actions) -> handler.
HANDLERS = {
    keys.CALL_DATA: call_data,
    keys.COLLECT_INPUT: collect_input,
    keys.DATA_TABLE_LOOKUP: data_table_lookup,
    keys.DECISION: decision,
    keys.EVALUATE_SCHEDULE_GROUP: evaluate_schedule_group,
    keys.SWITCH: switch,
    keys.UPDATE_DATA: update_data,
    keys.SET_PARTICIPANT_DATA: set_participant_data,
    keys.GET_PARTICIPANT_DATA: get_participant_data,
    keys.PLAY_AUDIO: play_audio,
    keys.HOLD_MUSIC: hold_music,
    keys.TRANSFER_TO_ACD: transfer_to_acd,
    keys.DISCONNECT: disconnect,
    keys.TRANSFER_TO_FLOW: transfer_to_flow,
    keys.TRANSFER_TO_FLOW_SECURE: transfer_to_flow_secure,
    keys.JUMP_TO_TASK: jump_to_task,
    keys.JUMP_TO_MENU: jump_to_menu,
    keys.CALL_TASK: call_task,
    keys.END_TASK: end_task,
    keys.LOOP: loop,
    keys.LOOP_NEXT: loop_next,
    keys.LOOP_EXIT: loop_exit,
    keys.PLAY_ESTIMATED_WAIT_TIME: play_estimated_wait_time,
    keys.FIND_QUEUE: find_queue,
    keys.TRANSFER_TO_VOICEMAIL: transfer_to_voicemail,
    keys.CALL_COMMON_MODULE: call_common_module,
    keys.SEND_AUTO_REPLY: send_auto_reply,
    keys.SET_CONVERSATION_DATA: set_conversation_data,
    keys.END_WORKFLOW: end_workflow,
}
