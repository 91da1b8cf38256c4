"""Interpret an inboundCall, inqueueCall or secureCall flow: tasks, menus, actions, error handling."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterable

import requests

from architect.runtime.flow import expressions
from architect.runtime.flow.actions import HANDLERS
from architect.runtime.flow.errors import (CallEnded, FlowFailure, Jump, SimulationError, TaskEnded,
                                           UnsupportedFeatureError, out_of_input)
from architect.runtime.flow.menus import run_menu
from architect.runtime.flow.outputs import branch
from architect.runtime.flow.schedules import checked_state
from architect.runtime.flow.text import show, text_of
from architect.runtime.flow.loader import RUNNABLE_TYPES, Flow, FlowLoadError
from architect.runtime.flow.registry import ActionRegistry
from architect.runtime.flow.result import (DISCONNECTED, OUT_OF_INPUT, STOPPED, TRANSFERRED_TO_QUEUE,
                                           WAITING_IN_QUEUE, WORKFLOW_ENDED, Disposition, FlowResult, Step)
from architect.runtime.flow.scope import CallInfo, FlowScope, UndeclaredVariableError, declaration_type, typed
from architect.runtime.flow.values import (NOT_SET, Audio, EvaluationError, ExpressionError, Prompt,
                                           UnsupportedError, to_architect_string)

DEFAULT_MAX_STEPS = 1000
Handler = Callable[["Runner", dict, str], None]


class Runner:
    """One simulated call through one flow."""

    def __init__(self, flow: Flow, *, registry: ActionRegistry | None = None, call: CallInfo | None = None,
                 dtmf: Iterable[str] = (), credentials: dict | None = None, service_url: str | None = None,
                 session: requests.Session | None = None, participant_data: dict | None = None,
                 data_tables: dict | None = None, unavailable_queues: Iterable[str] = (),
                 schedules: dict[str, str] | None = None, emergencies: Iterable[str] = (),
                 max_steps: int = DEFAULT_MAX_STEPS, now: dt.datetime | None = None,
                 common_modules: Iterable[Flow] = (), answer_action: Callable | None = None,
                 flow_inputs: dict | None = None):
        self.handlers: dict[str, Handler] = HANDLERS
        self.flow = flow
        self.registry = registry or ActionRegistry(None)
        self.call = call or CallInfo(ani="tel:+13175550100", conversation_id=str(uuid.uuid4()))
        self.dtmf = [str(d) for d in dtmf]
        self.credentials = dict(credentials or {})
        self.service_url = service_url
        self.session = session
        self.participant_data: dict[str, str] = {str(k): str(v) for k, v in (participant_data or {}).items()}
        self.data_tables = dict(data_tables or {})
        self.unavailable_queues = {q.casefold() for q in unavailable_queues}
        # Schedule group name (case-insensitive) -> open, closed or holiday; active emergency groups.
        self.schedules = {name.casefold(): checked_state(name, state) for name, state in (schedules or {}).items()}
        self.emergencies = {name.casefold() for name in emergencies}
        self.max_steps = max_steps
        # Common module flows callCommonModule runs, by name (case-insensitive).
        self.common_modules = {module.name.casefold(): module for module in common_modules}
        # (integration, action name, action, inputs) -> ActionResult standing in for the endpoint's answer, or None
        # to run the action for real; scenario files stub data actions through it (architect/testing/stubs.py).
        self.answer_action = answer_action
        # Values for the flow's isInput variables (a workflow's trigger or Execute workflow passes them).
        self.flow_inputs = dict(flow_inputs or {})
        self.result = FlowResult(flow=flow.name, flowType=flow.kind)
        self.scope = FlowScope(self.call, self._builtins(), now=now)
        self.task_depth = 0
        self.loop_depth = 0
        self._compiled: dict[str, object] = {}
        self._handling_error = False

    # -- public ------------------------------------------------------------------------------------------------
    def run(self) -> FlowResult:
        """Run the call to its end; SimulationError (with .result) when it cannot be simulated further."""
        started = time.perf_counter()
        own_session = self.session is None
        if own_session:
            self.session = requests.Session()
        try:
            self._run()
        except SimulationError as exc:
            self.result.disposition = Disposition(STOPPED, f"simulation stopped: {exc}")
            self.result.errors.append({"kind": "stopped", "path": exc.path, "message": exc.reason})
            exc.result = self._finish(started)
            raise
        finally:
            if own_session:
                self.session.close()
        return self._finish(started)

    # -- steps, values, audio ----------------------------------------------------------------------------------
    def record(self, kind: str, path: str, name: str | None = None, **detail) -> Step:
        """Append a step; the step limit guards against flows that never end."""
        if len(self.result.steps) >= self.max_steps:
            raise SimulationError(f"step limit of {self.max_steps} reached: the flow loops without ending "
                                  "(jumps or loops that never reach a disconnect or transfer)", path)
        step = Step(kind, path, name if isinstance(name, str) else None, detail)
        self.result.steps.append(step)
        return step

    def evaluate(self, text, path: str):
        """Evaluate an expression; errors become flow failures (error handling) or simulation errors."""
        if not isinstance(text, str):
            if isinstance(text, bool | int | float):
                text = str(text).lower() if isinstance(text, bool) else str(text)
            else:
                raise SimulationError(f"exp must be an expression string, got {type(text).__name__}", path)
        compiled = self._compiled.get(text)
        try:
            if compiled is None:
                compiled = self._compiled[text] = expressions.compile_expression(text)
            return compiled.evaluate(self.scope)
        except UnsupportedError as exc:
            raise UnsupportedFeatureError(str(exc), path) from None
        except UndeclaredVariableError as exc:
            raise SimulationError(f"{exc} (in expression {text!r})", path) from None
        except EvaluationError as exc:  # NotSetError included: Architect goes to error handling
            raise FlowFailure(str(exc), path) from None
        except ExpressionError as exc:  # does not parse or does not type-check: Archy would not publish it
            raise SimulationError(str(exc), path) from None

    def value(self, slot, path: str, type_name: str | None = None):
        """A `lit:` / `exp:` / `noValue:` slot's value, converted to type_name when given."""
        if not isinstance(slot, dict) or len(slot) != 1:
            raise SimulationError(f"expected a value slot (lit:, exp: or noValue:), got {show(slot)}", path)
        (form, content), = slot.items()
        if form == "noValue":
            return [] if type_name and type_name.lower().endswith("collection") else NOT_SET
        if form == "lit":
            value = content
        elif form == "exp":
            value = self.evaluate(content, f"{path}/exp")
        else:
            raise SimulationError(f"expected lit:, exp: or noValue:, got {form}:", path)
        if type_name is None:
            return value
        try:
            return typed(value, type_name)
        except UnsupportedError as exc:
            raise UnsupportedFeatureError(str(exc), path) from None
        except EvaluationError as exc:
            raise FlowFailure(str(exc), path) from None
        except ExpressionError as exc:
            raise SimulationError(f"{exc} (slot {form}: {show(content)})", path) from None

    def queue_value(self, slot, path: str) -> dict:
        """A queue slot (`lit: {name: X}` or an expression giving a queue) as {"name", "id"}."""
        if isinstance(slot, dict) and set(slot) == {"lit"}:
            literal = slot["lit"]
            if not isinstance(literal, dict) or not isinstance(literal.get("name"), str):
                raise SimulationError(f"a queue literal is lit: {{name: <queue>}}, got {show(literal)}", path)
            return self.queue(literal["name"])
        value = self.value(slot, path)
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value
        if value is NOT_SET:
            raise FlowFailure("the target queue is NOT_SET", path)
        raise SimulationError(f"expected a queue, got {text_of(value)}", path)

    def queue(self, name: str) -> dict:
        """A queue object; its id comes from --queue NAME=ID (Architect resolves names to ids at publish)."""
        return {"name": name, "id": self.call.queue_ids.get(name, NOT_SET)}

    def play(self, slot, path: str, kind: str) -> str | None:
        """Record the audio of an audio slot (tts:, exp:, prompt:, lit: {name:}); returns its text."""
        if slot is None:
            return None
        if not isinstance(slot, dict) or not slot:
            raise SimulationError(f"expected an audio slot (tts:, exp: or prompt:), got {show(slot)}", path)
        if "noValue" in slot:
            return None
        if "tts" in slot:
            text = f"TTS {str(slot['tts'])!r}"
        elif "exp" in slot:
            text = text_of(self.evaluate(slot["exp"], f"{path}/exp"))
        elif "prompt" in slot:
            text = f"prompt {slot['prompt']}"
        elif "lit" in slot and isinstance(slot["lit"], dict) and "name" in slot["lit"]:
            text = f"prompt {slot['lit']['name']}"
        else:
            raise SimulationError(f"expected an audio slot (tts:, exp: or prompt:), got {show(slot)}", path)
        self.result.audio.append({"path": path, "kind": kind, "text": text})
        return text

    # -- action lists ------------------------------------------------------------------------------------------
    def run_actions(self, actions, path: str) -> None:
        """Run an actions list in order; control signals (jumps, ends, loop signals) propagate."""
        if actions is None:
            return
        if not isinstance(actions, list):
            raise SimulationError(f"actions must be a list, got {show(actions)}", path)
        for index, item in enumerate(actions):
            where = f"{path}[{index}]"
            if not isinstance(item, dict) or len(item) != 1:
                raise SimulationError(f"an action is a one-key mapping (- playAudio: {{...}}), got {show(item)}",
                                      where)
            (kind, body), = item.items()
            kind = str(kind)
            where = f"{where}/{kind}"
            if body is None:
                body = {}
            if not isinstance(body, dict):
                raise SimulationError(f"{kind} must be a mapping, got {show(body)}", where)
            handler = self.handlers.get(kind)
            if handler is None:
                raise UnsupportedFeatureError(f"unsupported action {kind}", where)
            handler(self, body, where)

    def run_task(self, ref: str, task: dict, path: str, *, called: bool = False, kind: str = "task") -> str | None:
        """Run a task with fresh Task.* variables; returns the endTask output path name of a called task."""
        saved = self.scope.task
        self.scope.task = {}
        self.task_depth += 1 if called else 0
        try:
            self.record(kind, path, task.get("name"), refId=ref)
            self.declare_variables(task.get("variables"), f"{path}/variables")
            try:
                self.run_actions(task.get("actions") or [], f"{path}/actions")
            except TaskEnded as end:
                if not called:
                    raise SimulationError("endTask outside a task started by callTask", path) from None
                return end.output_path
            return None
        finally:
            if called:
                self.task_depth -= 1
                self.scope.task = saved

    def _take_flow_inputs(self, declarations, path: str) -> None:
        """Flow variables declared `isInput: true` take the values the caller gives (flow_inputs, by name)."""
        declared = {}
        for entry in declarations or []:
            body = next(iter(entry.values()), None) if isinstance(entry, dict) and len(entry) == 1 else None
            if isinstance(body, dict) and isinstance(body.get("name"), str):
                declared[body["name"].casefold()] = (body["name"], body.get("isInput") is True)
        for name, value in self.flow_inputs.items():
            known = declared.get(name.casefold())
            if known is None or not known[1]:
                inputs = ", ".join(n for n, is_input in declared.values() if is_input) or "none"
                raise SimulationError(f"{name} is not an input of this flow (isInput: true variables: {inputs})", path)
            try:
                self.scope.assign(known[0], value)
            except ExpressionError as exc:
                raise SimulationError(f"{name}: {exc}", path) from None

    def declare_variables(self, declarations, path: str) -> None:
        """Declare `variables:` entries with their initial values."""
        if not declarations:
            return
        if not isinstance(declarations, list):
            raise SimulationError("variables must be a list", path)
        for index, entry in enumerate(declarations):
            where = f"{path}[{index}]"
            if not isinstance(entry, dict) or len(entry) != 1:
                raise SimulationError(f"a variable is `- stringVariable: {{name: ...}}`, got {show(entry)}", where)
            (key, body), = entry.items()
            where = f"{where}/{key}"
            type_name = declaration_type(str(key))
            if type_name is None:
                raise UnsupportedFeatureError(f"unsupported variable type {key}", where)
            if not isinstance(body, dict) or not isinstance(body.get("name"), str):
                raise SimulationError(f"{key} needs a name", where)
            name = body["name"]
            initial = body.get("initialValue")
            if initial is None:
                value = NOT_SET
            elif type_name == "queue":
                value = NOT_SET if "noValue" in initial else self.queue_value(initial, f"{where}/initialValue")
            else:
                value = self.value(initial, f"{where}/initialValue", type_name)
            try:
                self.scope.declare(name, type_name, value)
            except ExpressionError as exc:
                raise SimulationError(str(exc), where) from None

    # -- the call ----------------------------------------------------------------------------------------------
    def _builtins(self) -> dict:
        call = self.call
        language = self.flow.root.get("defaultLanguage", NOT_SET)
        builtins = {
            "Call.Ani": call.ani,
            "Call.ConversationId": call.conversation_id,
            "Call.CalledAddress": call.called_address,
            "Call.CalledAddressOriginal": call.called_address,
            "Call.RemoteName": call.remote_name,
            "Call.Language": call.language if call.language is not NOT_SET else language,
        }
        for name, value in call.builtins.items():
            # A built-in variable is Scope.Name; further parts are properties of its value (Email.Message.subject).
            scope, _, rest = name.partition(".")
            variable, _, prop = rest.partition(".")
            if prop:
                holder = builtins.setdefault(f"{scope}.{variable}", {})
                if isinstance(holder, dict):
                    holder[prop] = value
            else:
                builtins[name] = value
        if self.flow.kind == "inqueueCall":
            # In-queue built-ins (docs/reference/archy-flows.md §8); the hold prompt is settingsInQueueCall.holdMusic.
            hold = ((self.flow.root.get("settingsInQueueCall") or {}).get("holdMusic") or {}).get("lit") or {}
            builtins["Call.CurrentQueue"] = call.current_queue
            builtins["Call.EstimatedWaitTime"] = call.estimated_wait_time
            builtins["Call.PositionInQueue"] = call.position_in_queue
            builtins["Flow.HoldPrompt"] = Prompt(hold["name"]) if isinstance(hold.get("name"), str) else NOT_SET
        return builtins

    def _run(self) -> None:
        flow = self.flow
        if flow.kind not in RUNNABLE_TYPES:
            raise UnsupportedFeatureError(f"flow type {flow.kind} is not simulated (the runner runs "
                                          f"{', '.join(RUNNABLE_TYPES)})", f"/{flow.kind}")
        base = f"/{flow.kind}"
        try:
            self._start(base)
        except CallEnded as ended:
            self.result.disposition = ended.disposition

    def _start(self, base: str) -> None:
        root = self.flow.root
        target = None
        try:
            self.declare_variables(root.get("variables"), f"{base}/variables")
            self._take_flow_inputs(root.get("variables"), f"{base}/variables")
            prompt = ((root.get("settingsActionDefaults") or {}).get("callData") or {}).get("processingPrompt")
            if prompt is not None:
                # Hold audio while a data action runs: nothing to simulate, but it is visible in the transcript.
                self.record("settings", f"{base}/settingsActionDefaults/callData/processingPrompt",
                            note="processing prompt recorded, not played")
            if "initialGreeting" in root:
                text = self.play(root["initialGreeting"], f"{base}/initialGreeting", "initialGreeting")
                self.record("initialGreeting", f"{base}/initialGreeting", audio=text)
            if self.flow.kind == "inqueueCall":
                self.run_actions(root.get("startUpTaskActions") or [], f"{base}/startUpTaskActions")
                queue = self.call.current_queue
                name = queue.get("name") if isinstance(queue, dict) else None
                raise CallEnded(Disposition(
                    WAITING_IN_QUEUE, "the in-queue start-up actions ran once; the call waits in queue"
                    + (f" {name}" if name else "") + " (Architect repeats them until an agent answers)",
                    queue=name))
            start = root.get("startUpRef")
            if not isinstance(start, str):
                raise SimulationError("startUpRef is missing (a task or menu reference)", f"{base}/startUpRef")
            target = self._resolve(start, f"{base}/startUpRef")
        except FlowFailure as failure:
            target = self._handle_error(failure)
        while True:
            try:
                self._run_target(*target)
            except Jump as jump:
                target = self._resolve(jump.ref, jump.path)
            except FlowFailure as failure:
                target = self._handle_error(failure)

    def _resolve(self, ref, path: str):
        try:
            kind, ref_id, body = self.flow.resolve_ref(ref, path)
        except FlowLoadError as exc:
            raise SimulationError(str(exc).split(": ", 1)[-1], path) from None
        group = {"task": "tasks/task", "menu": "menus/menu", "state": "states/state"}[kind]
        return kind, ref_id, body, f"/{self.flow.kind}/{group}[{ref_id}]"

    def _run_target(self, kind: str, ref: str, body: dict, path: str) -> None:
        if kind == "menu":
            run_menu(self, ref, body, path)
            raise CallEnded(Disposition(DISCONNECTED, f"menu {body.get('name') or ref!r}: the chosen choice ran out "
                                                      "of actions without a disconnect, transfer or jump; the "
                                                      "simulation ends the call"))
        self.run_task(ref, body, path, kind=kind)
        raise CallEnded(Disposition(DISCONNECTED, f"{kind} {body.get('name') or ref!r} ran out of actions without a "
                                                  "disconnect, transfer or jump; the simulation ends the "
                                                  f"{'interaction' if kind == 'state' else 'call'}"))

    def _handle_error(self, failure: FlowFailure):
        """settingsErrorHandling: play preHandlingAudio, then disconnect, queue or jump (§1)."""
        self.result.errors.append({"kind": "flowError", "path": failure.path, "message": failure.reason})
        base = f"/{self.flow.kind}/settingsErrorHandling"
        if self._handling_error:
            raise CallEnded(Disposition(DISCONNECTED, f"error during error handling, call disconnected: "
                                                      f"{failure}"))
        self._handling_error = True
        settings = self.flow.root.get("settingsErrorHandling") or {}
        self.record("errorHandling", base, error=failure.reason, at=failure.path)
        if "preHandlingAudio" in settings:
            self.play(settings["preHandlingAudio"], f"{base}/preHandlingAudio", "errorHandling")
        handling = settings.get("errorHandling") or {"disconnect": {"none": True}}
        if not isinstance(handling, dict) or len(handling) != 1:
            raise SimulationError(f"errorHandling must name one handling, got {show(handling)}",
                                  f"{base}/errorHandling")
        (kind, body), = handling.items()
        where = f"{base}/errorHandling/{kind}"
        body = body or {}
        try:
            if kind == "disconnect":
                raise CallEnded(Disposition(DISCONNECTED, f"disconnected by error handling after: {failure}"))
            if kind == "endWorkflow":  # workflows: errorHandling: {endWorkflow: {none: true}}
                raise CallEnded(Disposition(WORKFLOW_ENDED, f"workflow ended by error handling after: {failure}"))
            if kind == "queue":  # in-queue flows: errorHandling: {queue: {targetQueue: ...}} (PCB)
                queue = self.queue_value(body.get("targetQueue"), f"{where}/targetQueue")
                raise CallEnded(Disposition(TRANSFERRED_TO_QUEUE, f"transferred to queue {queue['name']} by error "
                                                                  f"handling after: {failure}", queue=queue["name"]))
            # Jumps: by analogy with jumpToTask/jumpToMenu (no exported example seen, docs/reference/archy-flows.md §5).
            if kind == "jumpToTask" and isinstance(body.get("targetTaskRef"), str):
                return self._resolve(body["targetTaskRef"], f"{where}/targetTaskRef")
            if kind == "jumpToMenu" and isinstance(body.get("targetMenuRef"), str):
                return self._resolve(body["targetMenuRef"], f"{where}/targetMenuRef")
        except FlowFailure as second:
            raise CallEnded(Disposition(DISCONNECTED, f"error during error handling, call disconnected: {second}"))
        finally:
            self._handling_error = False
        raise UnsupportedFeatureError(f"unsupported error handling {kind}", where)

    def _finish(self, started: float) -> FlowResult:
        result = self.result
        result.participantData = dict(self.participant_data)
        result.variables = {name: text_of(value) for name, value in self.scope.snapshot().items()}
        result.durationMs = round((time.perf_counter() - started) * 1000.0, 3)
        result.dataActionMs = round(result.dataActionMs, 3)
        if result.disposition is None:
            result.disposition = Disposition(STOPPED, "the flow did not end")
        return result


