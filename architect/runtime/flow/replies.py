"""sendAutoReply (inbound email flows): the reply the flow would send, recorded in the transcript.

The YAML shape is that of a real inboundEmail flow (GenesysCloudBlueprints/cx-as-code-cicd-gitactions-blueprint,
EmailComprehendFlow.yaml): `messageBody: {exp: ...}`, `replyMode: replyToSender`, and `from`, `replyTo`, `cc`,
`bcc` slots. Genesys: "Send Auto Reply action", https://help.mypurecloud.com/articles/send-auto-reply-action/.
Nothing is sent; the body is evaluated, so an expression error goes to error handling as it would in Genesys.
"""

from __future__ import annotations

from architect.runtime.flow.text import text_of


def send_auto_reply(runner, body, path):
    """Evaluate the reply's body and record it."""
    text = runner.value(body.get("messageBody") or {"noValue": True}, f"{path}/messageBody", "string")
    runner.record("sendAutoReply", path, body.get("name"), body=text_of(text), replyMode=body.get("replyMode"))
