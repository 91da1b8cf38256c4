"""Archy flow types: the root key of a flow file, and which kinds of flow share which layout.

Sources (docs/reference/archy-flow-types.md): the Archy flow type names the Terraform provider's `genesyscloud_flow`
data source and `archy export --flowType` take, and the root keys of real exported flows.
"""

from __future__ import annotations

FLOW_TYPES = frozenset(
    "inboundCall inqueueCall secureCall outboundCall workflow inboundShortMessage inboundEmail inboundChat "
    "inqueueEmail inqueueShortMessage botFlow digitalBot commonModule voicemail voiceSurvey surveyInvite "
    "speech workitem".split()
)
CALL_FLOW_TYPES = frozenset({"inboundCall", "inqueueCall", "secureCall", "outboundCall"})
# Flows whose entry point is a list of start-up actions run while the interaction waits (no startUpRef).
IN_QUEUE_FLOW_TYPES = frozenset({"inqueueCall", "inqueueEmail", "inqueueShortMessage"})
# Flows built from states (`states: [- state: ...]`, State.* variables) instead of tasks and menus.
STATE_FLOW_TYPES = frozenset({"inboundEmail", "inboundShortMessage", "inboundChat", "workflow", "inqueueEmail",
                              "inqueueShortMessage", "workitem"})
