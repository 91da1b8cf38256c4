"""Workflow actions: setConversationData (participant data on a conversation the workflow names) and endWorkflow.

Genesys: "Set Conversation Data action", https://help.mypurecloud.com/articles/set-conversation-data-action/
(a workflow writes participant attributes on the conversation and participant it names; Success and Failure
paths), and workflows end with End Workflow. The YAML shapes are those of a real workflow
(GenesysCloudBlueprints/ani-blacklist, blacklist.yaml): `conversationId: {exp: ...}`, `participantId:
{noValue: true}`, `attributes: [- attribute: {name, value}]`, `outputs: {success: ...}`; `endWorkflow:
{exitReason: ...}`; `settingsErrorHandling: {errorHandling: {endWorkflow: {none: true}}}`.

Our choices: attributes written on the simulated conversation (`Flow.conversationId` equal to the call's
conversation id) go into the result's participant data; a write to another conversation is recorded in the step
only. A NOT_SET conversation id or value goes to error handling, as Set Participant Data does.
"""

from __future__ import annotations

from architect.runtime.flow.attributes import evaluate_attributes
from architect.runtime.flow.errors import CallEnded, FlowFailure
from architect.runtime.flow.outputs import branch
from architect.runtime.flow.result import WORKFLOW_ENDED, Disposition
from architect.runtime.flow.text import text_of
from architect.runtime.flow.values import NOT_SET


def set_conversation_data(runner, body, path):
    """Evaluate every attribute, write them, then run the success output."""
    conversation = runner.value(body.get("conversationId"), f"{path}/conversationId", "string")
    if conversation is NOT_SET or conversation == "":
        raise FlowFailure("the conversation id is NOT_SET", f"{path}/conversationId")
    written = evaluate_attributes(runner, body, path, noun="attribute")
    this_call = conversation == runner.call.conversation_id
    if this_call:
        runner.participant_data.update(written)
    runner.record("setConversationData", path, body.get("name"), conversationId=conversation, attributes=written,
                  **({} if this_call else {"note": "another conversation than the simulated one: recorded only"}))
    runner.run_actions(branch(body.get("outputs"), "success"), f"{path}/outputs/success/actions")


def end_workflow(runner, body, path):
    """The workflow ends (with its exit reason, when it gives one)."""
    reason = runner.value(body["exitReason"], f"{path}/exitReason", "string") if "exitReason" in body else NOT_SET
    runner.record("endWorkflow", path, body.get("name"), exitReason=text_of(reason))
    raise CallEnded(Disposition(WORKFLOW_ENDED, "workflow ended" + ("" if reason is NOT_SET else f": {reason}")))
