"""Archy action keys: each action in a flow's `actions:` list is a one-key mapping named by one of these.

The keys and their shapes are those of real exported flows (tests/architect/genesys-examples/, SOURCES.md there)
and of Archy's flow authoring documentation (docs/reference/archy-flow-actions.md). Export writes them, check
inspects them and the runtime's handlers are keyed by them.
"""

from __future__ import annotations

CALL_DATA = "callData"
SET_PARTICIPANT_DATA = "setParticipantData"
GET_PARTICIPANT_DATA = "getParticipantData"
DECISION = "decision"
SWITCH = "switch"
UPDATE_DATA = "updateData"
PLAY_AUDIO = "playAudio"
HOLD_MUSIC = "holdMusic"
PLAY_ESTIMATED_WAIT_TIME = "playEstimatedWaitTime"
COLLECT_INPUT = "collectInput"
DATA_TABLE_LOOKUP = "dataTableLookup"
EVALUATE_SCHEDULE_GROUP = "evaluateScheduleGroup"
FIND_QUEUE = "findQueue"
TRANSFER_TO_ACD = "transferToAcd"
TRANSFER_TO_FLOW = "transferToFlow"
TRANSFER_TO_FLOW_SECURE = "transferToFlowSecure"
TRANSFER_TO_VOICEMAIL = "transferToVoicemail"
CALL_COMMON_MODULE = "callCommonModule"
DISCONNECT = "disconnect"
JUMP_TO_TASK = "jumpToTask"
JUMP_TO_MENU = "jumpToMenu"
CALL_TASK = "callTask"
END_TASK = "endTask"
LOOP = "loop"
LOOP_NEXT = "loopNext"
LOOP_EXIT = "loopExit"
SEND_AUTO_REPLY = "sendAutoReply"
END_WORKFLOW = "endWorkflow"
SET_CONVERSATION_DATA = "setConversationData"
CALL_BOT_FLOW = "callBotFlow"

# Every action key above: the ones this project knows the shape of.
KNOWN_ACTIONS = frozenset(value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str))
