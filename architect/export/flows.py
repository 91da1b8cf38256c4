"""Archy YAML: the reusable call-context task, a sample inbound call flow, and the options file.

Shapes follow docs/reference/archy-flows.md: callData with successOutputs bound to declared, typed
`Task.` variables (§2, §4 "Declaring variables": CACHE declares its task variables; declaring is safer), no
failureOutputs in call flows (§2), setParticipantData with string values and `ToString()` for the rest (§3),
decision outputs keyed "yes"/"no" (§5), transferToAcd with `lit: {name: ...}` queues (§5), the callData category
being the integration's name (§2) and `{{key}}` substitutions quoted (§6).
"""

from __future__ import annotations

from architect.contracts import flattened_outputs
from architect.export.attributes import STATUS_ATTRIBUTE
from architect.export.endpoints import CONTEXT
from architect.export.options import ExportOptions
from architect.export.terraform import DEFAULT_INTEGRATION_NAME
from architect.export.yaml_text import render_yaml
from architect.genesys import flow_actions as keys
from architect.genesys.variables import architect_type, declaration_key

TASK_FILE = "companion-context-task.yaml"
SAMPLE_FLOW_FILE = "companion-sample-inbound-call.yaml"
OPTIONS_FILE = "options.example.yaml"
TASK_REF = "companionContext"

# placeholder -> (example value, meaning); every {{placeholder}} used by the flow files is listed here.
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "flow_name": ("Companion Sample Inbound Call", "name of the sample inbound call flow"),
    "companion_integration": (
        DEFAULT_INTEGRATION_NAME,
        "name of the Web Services Data Actions integration holding the companion actions (the callData category)",
    ),
    "vip_queue": ("VIP Support", "queue for VIP and platinum-tier callers"),
    "default_queue": ("General Support", "queue for every other caller, and when the lookup fails"),
}
# Outputs the sample flow routes on; bound even when the attribute map leaves them out.
ROUTING_OUTPUTS = ("found", "vip", "tier")
VIP_TIER = "platinum"

# contract type -> (Architect variable declaration, initial value, needs ToString for participant data)
_INITIAL_VALUES = {"string": "", "integer": 0, "boolean": False, "number": 0}
_VARIABLE_TYPES = {
    kind: (declaration_key(architect_type(kind)), initial, kind != "string") for kind, initial in _INITIAL_VALUES.items()
}
# Inputs of the context action and what the flow sends; the rest are sent as noValue.
_INPUT_EXPRESSIONS = {"conversationId": "Call.ConversationId", "phone": "Call.Ani"}


def placeholder(name: str) -> str:
    """The `{{name}}` text Archy substitutes; only names in PLACEHOLDERS are allowed."""
    if name not in PLACEHOLDERS:
        raise KeyError(f"undeclared placeholder {name!r}")
    return "{{" + name + "}}"


def task_variable(field: str) -> str:
    """The Task variable a context output is bound to."""
    return f"Task.{field}"


def _bound_outputs(options: ExportOptions, outputs: dict[str, str]) -> list[str]:
    wanted = set(options.attributes) | set(ROUTING_OUTPUTS)
    return [name for name in outputs if name in wanted]


def _status(value: str) -> dict:
    return {"attribute": {"name": {"lit": STATUS_ATTRIBUTE}, "value": {"lit": value}}}


def _set_status(value: str) -> dict:
    return {keys.SET_PARTICIPANT_DATA: {"name": f"Companion status {value}", "attributes": [_status(value)]}}


def context_task(options: ExportOptions, input_contract: dict, output_contract: dict) -> dict:
    """The task that calls the context action and writes its outputs as participant data."""
    outputs = flattened_outputs(output_contract)
    bound = _bound_outputs(options, outputs)
    variables = []
    for field in bound:
        declaration, initial, _ = _VARIABLE_TYPES[outputs[field]]
        # An initial value keeps the variable set on the failure and timeout paths, where reading NOT_SET would
        # send the call to error handling (docs/reference/archy-flows.md §9.3).
        variables.append({declaration: {"name": task_variable(field), "initialValue": {"lit": initial}}})
    inputs = {
        name: {"exp": _INPUT_EXPRESSIONS[name]} if name in _INPUT_EXPRESSIONS else {"noValue": True}
        for name in input_contract["properties"]
    }
    attributes = []
    for field, key in options.attributes.items():
        needs_to_string = _VARIABLE_TYPES[outputs[field]][2]
        value = f"ToString({task_variable(field)})" if needs_to_string else task_variable(field)
        attributes.append({"attribute": {"name": {"lit": key}, "value": {"exp": value}}})
    attributes.append(_status("ok"))
    call_data = {
        "name": "Companion call context",
        "processingPrompt": {"noValue": True},
        "timeout": {"lit": {"seconds": options.timeout_seconds}},
        "category": {
            placeholder("companion_integration"): {
                "dataAction": {
                    CONTEXT.action_name: {
                        "inputs": inputs,
                        "successOutputs": {field: {"var": task_variable(field)} for field in bound},
                    }
                }
            }
        },
        "outputs": {
            "success": {
                "actions": [{keys.SET_PARTICIPANT_DATA: {"name": "Companion attributes", "attributes": attributes}}]
            },
            "failure": {"actions": [_set_status("failure")]},
            "timeout": {"actions": [_set_status("timeout")]},
        },
    }
    return {
        "name": "Companion call context",
        "refId": TASK_REF,
        "variables": variables,
        "actions": [{keys.CALL_DATA: call_data}],
    }


def _transfer(name: str, queue_placeholder: str) -> dict:
    return {
        keys.TRANSFER_TO_ACD: {
            "name": name,
            "targetQueue": {"lit": {"name": placeholder(queue_placeholder)}},
            "preTransferAudio": {"tts": "Please hold while we connect you."},
            "failureTransferAudio": {"tts": "Sorry, we could not transfer your call."},
        }
    }


def routing_actions() -> list[dict]:
    """Known VIP or platinum callers to the VIP queue; everyone else, and any failure, to the default queue."""
    vip = {
        keys.DECISION: {
            "name": "VIP or platinum?",
            "condition": {"exp": f'{task_variable("vip")} or ({task_variable("tier")} == "{VIP_TIER}")'},
            "outputs": {"yes": {"actions": [_transfer("Transfer to VIP queue", "vip_queue")]}},
        }
    }
    return [
        {
            keys.DECISION: {
                "name": "Known caller?",
                "condition": {"exp": task_variable("found")},
                # A failed VIP transfer falls through to the default transfer below.
                "outputs": {"yes": {"actions": [vip]}},
            }
        },
        _transfer("Transfer to default queue", "default_queue"),
        {keys.DISCONNECT: {"name": "Disconnect"}},
    ]


def sample_flow(task: dict) -> dict:
    """A complete inboundCall flow: the context task, then routing on the CRM outputs."""
    routed_task = dict(task, actions=task["actions"] + routing_actions())
    return {
        "inboundCall": {
            "name": placeholder("flow_name"),
            "description": "Sets trace and CRM participant data from architect-companion, then routes on the tier.",
            "startUpRef": f"/inboundCall/tasks/task[{TASK_REF}]",
            "defaultLanguage": "en-us",
            "supportedLanguages": {
                "en-us": {"defaultLanguageSkill": {"noValue": True}, "textToSpeech": {"defaultEngine": {"voice": "Jill"}}}
            },
            "initialGreeting": {"tts": "Thank you for calling."},
            "settingsErrorHandling": {
                "errorHandling": {"disconnect": {"none": True}},
                "preHandlingAudio": {"tts": "Sorry, an error occurred. Please try your call again."},
            },
            "tasks": [{"task": routed_task}],
        }
    }


def options_example() -> dict:
    """The Archy options file with an example value for every placeholder."""
    return {"substitutions": {name: value for name, (value, _meaning) in PLACEHOLDERS.items()}}


def _header(options: ExportOptions, lines: list[str]) -> list[str]:
    return [
        "Generated by `companion export` from schemas/; do not edit by hand.",
        f"Command: {options.command_line()}",
        *lines,
    ]


def render_flow_files(options: ExportOptions, input_contract: dict, output_contract: dict) -> dict[str, str]:
    """File name -> YAML text for the task snippet, the sample flow and the options example."""
    task = context_task(options, input_contract, output_contract)
    placeholder_lines = [f"  {{{{{name}}}}}: {meaning}" for name, (_v, meaning) in PLACEHOLDERS.items()]
    return {
        TASK_FILE: render_yaml(
            {"task": task},
            _header(
                options,
                [
                    "NOT A FLOW: a task snippet to paste into one. archy publish rejects this file as it is (its "
                    "root key, task, is no flow type).",
                    "Paste it as one item of your flow's tasks: list (- task: ...), or copy its variables and "
                    "actions into your own task;",
                    f"{SAMPLE_FLOW_FILE} is a publishable flow that carries it.",
                    "The task calls the context action, sets participant data, and sets "
                    f"{STATUS_ATTRIBUTE} to ok, failure or timeout.",
                    "Placeholders (Archy substitutions, see options.example.yaml):",
                    *[line for line in placeholder_lines if "companion_integration" in line],
                ],
            ),
        ),
        SAMPLE_FLOW_FILE: render_yaml(
            sample_flow(task),
            _header(
                options,
                [
                    f"Publish: archy publish --file {SAMPLE_FLOW_FILE} --optionsFile options.yaml",
                    "Placeholders (Archy substitutions, see options.example.yaml):",
                    *placeholder_lines,
                ],
            ),
        ),
        OPTIONS_FILE: render_yaml(
            options_example(),
            _header(
                options,
                [
                    "Archy options file: copy to options.yaml and set your org's names.",
                    "Every value is quoted so the substituted flow stays valid YAML; avoid \" and \\ in values.",
                ],
            ),
        ),
    }
