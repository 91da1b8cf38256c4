"""A flow's static shape: its actions, menus and tasks as nodes, where each can go as edges, and its branches.

Node paths are the YAML paths the flow runner records in its steps (/inboundCall/tasks/task[main]/actions[2]/
decision), so a simulated call's steps map onto the nodes one to one. Coverage counts the branches; the graph
draws the nodes and edges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from architect.genesys import flow_actions as act
from architect.runtime.flow import Flow, FlowLoadError
from architect.runtime.flow.outputs import branch

# Actions after which the call never reaches the next action of the same list.
_LEAVES = frozenset({act.DISCONNECT, act.TRANSFER_TO_FLOW, act.TRANSFER_TO_FLOW_SECURE, act.JUMP_TO_TASK,
                     act.JUMP_TO_MENU, act.END_TASK, act.LOOP_NEXT, act.LOOP_EXIT, act.END_WORKFLOW})
# Action -> its output paths. Each is a branch a call can take; the runner records the one taken in the step's
# detail (outcome, or status for callData). Sources (docs/testing-flows.md §3): Call Data Action success/failure/
# timeout, https://help.mypurecloud.com/articles/call-data-action/ ; Decision yes/no, https://help.mypurecloud.com/
# ?p=8939 ; Evaluate Schedule Group open/closed/holiday/emergency, https://help.mypurecloud.com/articles/evaluate-
# schedule-group-action ; Collect Input success/failure, https://help.mypurecloud.com/articles/collect-digits-data-
# action/ ; Data Table Lookup: the found/notFound outputs the runner takes.
_OUTPUTS = {
    act.DECISION: ("yes", "no"),
    act.CALL_DATA: ("success", "failure", "timeout"),
    act.COLLECT_INPUT: ("success", "failure"),
    act.EVALUATE_SCHEDULE_GROUP: ("open", "closed", "holiday", "emergency"),
    act.DATA_TABLE_LOOKUP: ("found", "notFound"),
    act.FIND_QUEUE: ("found", "notFound"),
}
# Transfers that end the call, or take their failure output when the target cannot take it.
_TRANSFERS = frozenset({act.TRANSFER_TO_ACD, act.TRANSFER_TO_VOICEMAIL})
# Reference kind -> the YAML path group the runner records (architect/runtime/flow/runner.py, _resolve).
_GROUPS = {"task": "tasks/task", "menu": "menus/menu", "state": "states/state"}
_CHOICE = re.compile(r"^(?P<menu>.*)/choices\[(?P<index>\d+)\]/[A-Za-z]+$")


@dataclass
class Node:
    """An action, task, menu, menu choice or flow event the call can pass through."""

    path: str
    kind: str
    name: str | None
    label: str


@dataclass
class Edge:
    """Where the call can go next; `branch` is set for an action's output (path, outcome)."""

    source: str
    target: str
    label: str | None = None
    branch: tuple[str, str] | None = None


@dataclass
class Branch:
    """One output of a branching action (decision yes/no, data action success/failure/timeout, menu choice...)."""

    path: str  # the action's (or menu's) YAML path
    outcome: str  # yes, no, success, case 0, default, choice 1, ...
    label: str  # the action's name and the outcome, for reports


@dataclass
class FlowMap:
    """Nodes by path (in flow order), edges and branches of one flow."""

    flow: Flow
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)

    @property
    def start(self) -> str:
        return f"/{self.flow.kind}"


def taken_branches(steps) -> set[tuple[str, str]]:
    """The (path, outcome) branches a call's steps took."""
    taken = set()
    for step in steps:
        if step.kind in _OUTPUTS or step.kind == act.SWITCH:
            outcome = step.detail.get("status") if step.kind == act.CALL_DATA else step.detail.get("outcome")
            if outcome is not None:
                taken.add((step.path, str(outcome)))
        elif step.kind in _TRANSFERS:
            failed = str(step.detail.get("outcome", "")).startswith("failure")
            taken.add((step.path, "failure" if failed else "transferred"))
        elif step.kind == "menuChoice":
            match = _CHOICE.match(step.path)
            if match:
                taken.add((match["menu"], f"choice {match['index']}"))
    return taken


def _label(kind: str, name) -> str:
    return f"{kind}: {name}" if isinstance(name, str) and name.strip() else kind


def _shown_name(kind: str, body: dict):
    """The action's name; for an unnamed action, what identifies it (the data action, the queue, the TTS)."""
    name = body.get("name")
    if isinstance(name, str) and name.strip():
        return name
    if kind == "callData":
        actions = next(iter((body.get("category") or {}).values()), None)
        actions = actions.get("dataAction") if isinstance(actions, dict) else None
        if isinstance(actions, dict) and len(actions) == 1:
            return str(next(iter(actions)))
    if kind == "transferToAcd":
        queue = (body.get("targetQueue") or {}).get("lit") if isinstance(body.get("targetQueue"), dict) else None
        if isinstance(queue, dict) and isinstance(queue.get("name"), str):
            return queue["name"]
    if kind == "playAudio":
        tts = (body.get("audio") or {}).get("tts") if isinstance(body.get("audio"), dict) else None
        if isinstance(tts, str):
            return tts if len(tts) <= 40 else tts[:37] + "..."
    return None


def build_flow_map(flow: Flow) -> FlowMap:
    """Walk the flow's tasks and menus into nodes, edges and branches."""
    builder = _Builder(flow)
    builder.build()
    return builder.map


class _Builder:
    def __init__(self, flow: Flow):
        self.flow = flow
        self.map = FlowMap(flow)
        self.kind = flow.kind

    def node(self, path: str, kind: str, name=None, label: str | None = None) -> str:
        if path not in self.map.nodes:
            self.map.nodes[path] = Node(path, kind, name if isinstance(name, str) else None,
                                        label or _label(kind, name))
        return path

    def edge(self, source: str, target: str | None, label=None, branch_key=None) -> None:
        if target is not None:
            self.map.edges.append(Edge(source, target, label, branch_key))

    def target_of(self, ref) -> str | None:
        try:
            kind, ref_id, _body = self.flow.resolve_ref(ref, "")
        except FlowLoadError:
            return None  # a broken reference: `companion check` reports it; the graph leaves the edge out
        return f"/{self.kind}/{_GROUPS[kind]}[{ref_id}]"

    def build(self) -> None:
        root = self.flow.root
        start = self.node(self.map.start, "start", self.flow.name, f"{self.kind}: {self.flow.name}")
        if self.kind == "inqueueCall":  # as the runner: start-up actions, then the call waits in queue
            first = self.actions(root.get("startUpTaskActions") or [], f"/{self.kind}/startUpTaskActions",
                                 self.end(f"/{self.kind}/startUpTaskActions", "in queue: start-up actions repeat"))
            self.edge(start, first)
        elif isinstance(root.get("startUpRef"), str):
            self.edge(start, self.target_of(root["startUpRef"]))
        if "settingsErrorHandling" in root:
            self.node(f"/{self.kind}/settingsErrorHandling", "errorHandling", None, "error handling")
        for ref, task in self.flow.tasks.items():
            self.task(f"/{self.kind}/tasks/task[{ref}]", task)
        for ref, state in self.flow.states.items():  # message, email and chat flows: states run as tasks do
            self.task(f"/{self.kind}/states/state[{ref}]", state, "state")
        for ref, menu in self.flow.menus.items():
            self.menu(f"/{self.kind}/menus/menu[{ref}]", ref, menu)
        # End nodes stand for "the list ran out"; one that no edge reaches (the list ends in a leaf) is dropped.
        reached = {edge.target for edge in self.map.edges}
        for path in [p for p, node in self.map.nodes.items() if node.kind == "end" and p not in reached]:
            del self.map.nodes[path]

    def end(self, owner: str, label: str = "end: the call is disconnected") -> str:
        return self.node(f"{owner}/end", "end", None, label)

    def task(self, path: str, task: dict, kind: str = "task") -> None:
        self.node(path, kind, task.get("name"))
        first = self.actions(task.get("actions") or [], f"{path}/actions", None, owner=path)
        self.edge(path, first)

    def menu(self, path: str, ref: str, menu: dict) -> None:
        self.node(path, "menu", menu.get("name") or ref)
        for index, item in enumerate(menu.get("choices") or []):
            if not isinstance(item, dict) or len(item) != 1:
                continue
            (kind, body), = item.items()
            body = body or {}
            where = f"{path}/choices[{index}]/{kind}"
            digit = str(body.get("dtmf", "")).removeprefix("digit_") or "?"
            outcome = f"choice {index}"
            self.map.branches.append(Branch(path, outcome, f"menu {menu.get('name') or ref!r}: digit {digit} "
                                                           f"({body.get('name') or kind})"))
            self.node(where, kind, body.get("name"), f"{digit}: {_label(kind, body.get('name'))}")
            self.edge(path, where, f"digit {digit}", (path, outcome))
            if kind == "menuJumpToTask":
                self.edge(where, self.target_of(body.get("targetTaskRef")))
            elif kind == "menuJumpToMenu":
                self.edge(where, self.target_of(body.get("targetMenuRef")))
            elif kind == "menuTask" and isinstance(body.get("task"), dict):
                first = self.actions(body["task"].get("actions") or [], f"{where}/task/actions", None,
                                     owner=f"{where}/task")
                self.edge(where, first)

    def actions(self, actions, base: str, cont: str | None, owner: str | None = None) -> str | None:
        """Add an actions list; returns the path of its first action (or `cont` when it is empty)."""
        if not isinstance(actions, list):
            return cont
        entries = []
        for index, item in enumerate(actions):
            if isinstance(item, dict) and len(item) == 1:
                (kind, body), = item.items()
                entries.append((f"{base}[{index}]/{kind}", str(kind), body if isinstance(body, dict) else {}))
        if not entries:
            return cont
        if cont is None:
            cont = self.end(owner or base)
        for path, kind, body in entries:
            self.node(path, kind, _shown_name(kind, body))
        for position, (path, kind, body) in enumerate(entries):
            after = entries[position + 1][0] if position + 1 < len(entries) else cont
            self.action(path, kind, body, after)
        return entries[0][0]

    def outputs(self, path: str, kind: str, body: dict, name, outcomes, after: str, lists) -> None:
        for outcome, (actions, actions_path) in zip(outcomes, lists, strict=True):
            key = (path, outcome)
            self.map.branches.append(Branch(path, outcome, f"{_label(kind, name)} -> {outcome}"))
            first = self.actions(actions, actions_path, after)
            self.edge(path, first, outcome, key)

    def action(self, path: str, kind: str, body: dict, after: str) -> None:
        name = _shown_name(kind, body)
        outputs = body.get("outputs")
        if kind in _OUTPUTS:
            outcomes = _OUTPUTS[kind]
            lists = [(branch(outputs, o), f"{path}/outputs/{o}/actions") for o in outcomes]
            self.outputs(path, kind, body, name, outcomes, after, lists)
        elif kind == act.SWITCH:
            first_true = ((body.get("evaluate") or {}).get("firstTrue") or {})
            cases = [item.get("case") if isinstance(item, dict) else None for item in first_true.get("cases") or []]
            outcomes = [f"case {index}" for index in range(len(cases))] + ["default"]
            lists = [((case or {}).get("actions") or [], f"{path}/evaluate/firstTrue/cases[{index}]/case/actions")
                     for index, case in enumerate(cases)]
            lists.append(((first_true.get("default") or {}).get("actions") or [],
                          f"{path}/evaluate/firstTrue/default/actions"))
            self.outputs(path, kind, body, name, outcomes, after, lists)
        elif kind in _TRANSFERS:
            # Transferred, or the failure output after the Failed Transfer Audio (https://help.mypurecloud.com/
            # articles/transfer-acd-action).
            self.map.branches.append(Branch(path, "transferred", f"{_label(kind, name)} -> transferred"))
            self.map.branches.append(Branch(path, "failure", f"{_label(kind, name)} -> failure"))
            first = self.actions(branch(outputs, "failure"), f"{path}/outputs/failure/actions", after)
            self.edge(path, first, "failure", (path, "failure"))
        elif kind == act.LOOP:
            first = self.actions(branch(outputs, "loop"), f"{path}/outputs/loop/actions", path)
            if first != path:
                self.edge(path, first, "loop")
            self.edge(path, after)
        elif kind in (act.JUMP_TO_TASK, act.CALL_TASK):
            self.edge(path, self.target_of(body.get("targetTaskRef")), "call" if kind == act.CALL_TASK else None)
            if kind == act.CALL_TASK:
                for output, entry in (outputs or {}).items() if isinstance(outputs, dict) else ():
                    actions = entry.get("actions") if isinstance(entry, dict) else None
                    first = self.actions(actions, f"{path}/outputs/{output}/actions", after)
                    self.edge(path, first, f"returned {output}")
                self.edge(path, after)
        elif kind == act.JUMP_TO_MENU:
            self.edge(path, self.target_of(body.get("targetMenuRef")))
        elif kind not in _LEAVES:
            self.edge(path, after)
