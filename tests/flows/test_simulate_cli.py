"""`companion simulate` as a subprocess: the docs/flows.md example against real gunicorn, --json, clear errors."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import GunicornServer

ROOT = Path(__file__).resolve().parents[2]
COMPANION = Path(sys.executable).with_name("companion")
DOC = ROOT / "docs" / "flows.md"
API_KEY = "flow-cli-key-0123456789abcdef"
SAMPLE = ["architect/flows/companion-sample-inbound-call.yaml", "--options", "architect/flows/options.example.yaml",
          "--actions", "architect/data-actions"]


@pytest.fixture(scope="module")
def service(demo_db):
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": "flow-cli-trace-secret-0123456789",
           "COMPANION_SQLITE_PATH": str(demo_db)}
    with GunicornServer(env) as server:
        yield server


def companion(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMPANION), "simulate", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def _blocks(text: str) -> list[str]:
    return re.findall(r"```(?:sh)?\n(.*?)```", text, re.DOTALL)


def _normalise(text: str) -> str:
    """Timings and the trace ids (they depend on the trace secret) vary between runs."""
    text = re.sub(r"\d+\.\d ms", "N ms", text)
    text = re.sub(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", "TRACEPARENT", text)
    return re.sub(r"(dd\.(?:trace|span)_id)( = |=)\d+", r"\1\2ID", text)


def test_the_documented_example_prints_the_documented_transcript(service):
    blocks = _blocks(DOC.read_text(encoding="utf-8"))
    command, transcript = blocks[0], blocks[1]
    argv = command.replace("\\\n", " ").split()
    assert argv[:2] == ["companion", "simulate"]
    argv = [service.url if a == "http://127.0.0.1:8080" else a for a in argv[2:]]
    argv = [f"apiKey={API_KEY}" if a == "apiKey=$KEY" else a for a in argv]
    done = companion(*argv)
    assert done.returncode == 0, done.stderr
    assert _normalise(done.stdout) == _normalise(transcript)


def test_json_document(service):
    done = companion(*SAMPLE, "--ani", "tel:+13175550123", "--conversation-id", "conv-json-1",
                     "--service-url", service.url, "--credential", f"apiKey={API_KEY}", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["disposition"] == {"kind": "transferred_to_queue", "description": "transferred to queue "
                                       "General Support", "queue": "General Support", "flow": None}
    assert document["participantData"]["crm.customerId"] == "CUST-000002"
    assert document["participantData"]["crm.tier"] == "standard"
    assert document["participantData"]["companion.status"] == "ok"
    assert [step["kind"] for step in document["steps"]] == [
        "initialGreeting", "task", "callData", "setParticipantData", "decision", "decision", "transferToAcd"]
    call = document["steps"][2]
    assert call["detail"]["status"] == "success"
    assert call["detail"]["request"]["headers"]["Authorization"] == "[redacted]"
    assert (document["ani"], document["conversationId"]) == ("tel:+13175550123", "conv-json-1")


def test_unsupported_action_is_a_one_line_error_with_partial_json(tmp_path):
    flow = tmp_path / "bot.yaml"
    flow.write_text("""\
inboundCall:
  name: Bot
  startUpRef: /inboundCall/tasks/task[main]
  initialGreeting: {tts: Hello.}
  tasks:
    - task:
        name: Main
        refId: main
        actions:
          - callBotFlow: {name: Ask the bot}
""", encoding="utf-8")
    done = companion(str(flow), "--ani", "tel:+13175550116", "--json")
    assert done.returncode == 1
    assert done.stderr == (f"Error: {flow}: /inboundCall/tasks/task[main]/actions[0]/callBotFlow: "
                           "unsupported action callBotFlow\n")
    document = json.loads(done.stdout)
    assert document["disposition"]["kind"] == "stopped"
    assert document["errors"] == [{"kind": "stopped", "path": "/inboundCall/tasks/task[main]/actions[0]/callBotFlow",
                                   "message": "unsupported action callBotFlow"}]
    assert [a["text"] for a in document["audio"]] == ["TTS 'Hello.'"]


def test_a_secure_flow_collects_keyed_input_from_the_command_line():
    done = companion("tests/architect/genesys-examples/flows/EventOrchestrator_Secure_Flow.yaml",
                     "--ani", "tel:+13175550116", "--dtmf", "12#", "--json")
    # 12 then # (the flow ends input with *): the failure path writes paymentId "null" and the call ends.
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["participantData"] == {"paymentId": "null"}
    collect = next(step for step in document["steps"] if step["kind"] == "collectInput")
    assert (collect["detail"]["input"], collect["detail"]["outcome"]) == ("12#", "failure")
    assert document["disposition"]["kind"] == "disconnected"


@pytest.mark.parametrize(("args", "message"), [
    (["architect/flows/companion-sample-inbound-call.yaml", "--ani", "tel:+13175550116"],
     "Error: architect/flows/companion-sample-inbound-call.yaml: unknown placeholders {{flow_name}} (line 10), "
     "{{companion_integration}} (line 99), {{vip_queue}} (line 263), {{default_queue}} (line 272): no options file "
     "with substitutions: was given\n"),
    (["missing.yaml", "--ani", "tel:+13175550116"],
     "Error: missing.yaml: cannot read the flow file: No such file or directory\n"),
    ([*SAMPLE[:3], "--actions", "no-such-dir", "--ani", "tel:+13175550116"],
     "Error: no-such-dir: the actions folder does not exist or is not a folder\n"),
])
def test_bad_input_is_a_clear_error(args, message):
    done = companion(*args)
    assert (done.returncode, done.stderr) == (1, message)
    assert done.stdout == ""  # a file that does not load prints nothing else


def test_a_missing_actions_folder_is_reported_once_in_the_transcript():
    done = companion(*SAMPLE[:3], "--ani", "tel:+13175550116")
    assert (done.returncode, done.stderr) == (1, "")
    message = ("data action 'Companion Get Call Context' (integration 'Architect Companion') not found: no actions "
               "folder was given (companion simulate --actions DIR)")
    assert done.stdout.count(message) == 1, done.stdout
    assert ("Errors:\n  - stopped at /inboundCall/tasks/task[companionContext]/actions[0]/callData/category/"
            f"Architect Companion/dataAction/Companion Get Call Context: {message}\n") in done.stdout
    assert "Disposition: simulation stopped (see Errors)" in done.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--ani", "+13175550116"], "Invalid value for --ani: expected a tel: or sip: address such as tel:+13175550116"),
    (["--ani", "tel:+13175550116", "--dtmf", "1,12a"], "Invalid value for --dtmf: each entry is keys from 0-9, * and #; "
                                                        "got '12a'"),
    (["--ani", "tel:+13175550116", "--credential", "apiKey"], "Invalid value for --credential: expected KEY=VALUE"),
])
def test_bad_options_are_usage_errors(args, message):
    done = companion(*SAMPLE, *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_the_documented_keyed_input_example_takes_the_failure_path():
    sh_blocks = re.findall(r"^```sh\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)
    block = next(b for b in sh_blocks if "EventOrchestrator_Secure_Flow" in b and "--dtmf" in b)
    argv = shlex.split(block.replace("\\\n", " "))
    assert argv[:2] == [".venv/bin/companion", "simulate"]
    done = companion(*argv[2:])
    assert done.returncode == 0, done.stderr
    assert "outcome=failure, reason=#, the other of * and # (this input ends with *)" in done.stdout
    assert "paymentId = null" in done.stdout or "paymentId=null" in done.stdout.replace(" ", "")
