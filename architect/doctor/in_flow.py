"""The in-flow alternative: when a flow needs the data during the call, the flow fetches it and sets it itself."""

from __future__ import annotations

from architect.export.attributes import DEFAULT_ATTRIBUTES

EXPORT_COMMAND = "companion export --base-url https://companion.example.com --auth bearer --out companion-export"
CONTEXT_ACTION = "Companion-Get-Call-Context"
CONTEXT_TASK = "companion-export/flows/companion-context-task.yaml"


def in_flow_alternative(keys: list[str]) -> dict:
    """What to run and wire instead of the REST write, and which of the keys the context action already provides."""
    provided = sorted(set(keys) & set(DEFAULT_ATTRIBUTES.values()))
    others = sorted(set(keys) - set(DEFAULT_ATTRIBUTES.values()))
    steps = [
        f"{EXPORT_COMMAND}   # data actions, Terraform and Archy flows for your service URL",
        f"import the {CONTEXT_ACTION} data action (or apply the Terraform) and call it from the flow with the "
        f"task in {CONTEXT_TASK}: it sets the participant data with Set Participant Data while the call is in the flow",
    ]
    if others:
        steps.append(f"keys the context action does not provide ({', '.join(others)}): map an output to them with "
                     f"`companion export --attributes FILE`, or serve them from your CRM fields (docs/crm.md)")
    return {"command": EXPORT_COMMAND, "dataAction": CONTEXT_ACTION, "task": CONTEXT_TASK,
            "providedKeys": provided, "otherKeys": others, "steps": steps}
