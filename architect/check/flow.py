"""Rules for Archy flow YAML (docs/reference/archy-flows.md), with the data actions given alongside for cross-checks.

The file is read with ruamel.yaml's round-trip loader (YAML 1.2) keeping quote styles, so a finding can say
whether a key was quoted and on which line it is.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from collections.abc import Mapping

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.comments import CommentedSeq

from architect.check.findings import Finding
from architect.check.findings import finding
from architect.genesys.data_action_format import action_key
from architect.genesys.flow_actions import CALL_DATA
from architect.genesys.flow_actions import SET_PARTICIPANT_DATA
from architect.genesys.flow_types import CALL_FLOW_TYPES
from architect.genesys.flow_types import FLOW_TYPES
from architect.genesys.substitutions import PLACEHOLDER
from architect.genesys.substitutions import substitute
from architect.genesys.variables import contract_type
from architect.genesys.variables import declaration_type
from architect.contracts import flattened_outputs
from architect.contracts import join_path
from architect.yaml_files import InvalidYAML
from architect.yaml_files import load_yaml_round_trip

# What PyYAML (YAML 1.1) resolves to a boolean; YAML 1.2 reads only true/false that way.
_YAML11_BOOL = re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$")
_TERRAFORM_PLACEHOLDER = re.compile(r"(?<!\$)\$\{[^}]*\}")
_ANGLE_PLACEHOLDER = re.compile(r"^<[A-Za-z][A-Za-z0-9_ -]*>$")
_BARE_VARIABLE = re.compile(r"^(?:Task|Flow|State|Common|Slot)\.[A-Za-z_][A-Za-z0-9_]*$", re.IGNORECASE)



# An Archy/Terraform substitution is a text replace before parsing, so `tts: {{greeting}}` and
# `{{prefix}}-Lambda:` are valid in a template. Unsubstituted placeholders are swapped for an opaque token of
# the same length (so lines and columns stay right) that YAML reads as a plain scalar anywhere.
_OPEN, _CLOSE = "\u27e6\u27e6", "\u27e7\u27e7"


def _opaque(text: str) -> str:
    return PLACEHOLDER.sub(lambda m: _OPEN + m.group(0)[2:-2] + _CLOSE, text)


def shown(text: str) -> str:
    """Text with opaque placeholder tokens turned back into the `{{name}}` the file has."""
    return text.replace(_OPEN, "{{").replace(_CLOSE, "}}")


def has_placeholder(text) -> bool:
    """Whether a parsed key or value still holds an (opaque) placeholder."""
    return isinstance(text, str) and _OPEN in text


def _position(container, key) -> tuple[int | None, int | None]:
    try:
        if isinstance(container, CommentedMap):
            line, column = container.lc.key(key)
        elif isinstance(container, CommentedSeq):
            line, column = container.lc.item(key)
        else:
            return None, None
    except (KeyError, IndexError, TypeError, AttributeError):
        return None, None
    return line + 1, column + 1


def _entries(node, path: str) -> Iterator[tuple[object, object, object, str]]:
    """Every (container, key, value, path) below node, depth first."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if isinstance(key, str):
                child = join_path(path, key)
            elif isinstance(key, Mapping | list):
                child = f"{path}[<mapping key>]"
            else:
                child = f"{path}[{key!r}]"
            yield node, key, value, child
            yield from _entries(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            child = join_path(path, index)
            yield node, index, value, child
            yield from _entries(value, child)


class _FlowChecker:
    def __init__(self, file: str, document, actions: Mapping[str, dict]):
        self.file = file
        self.document = document
        self.actions = actions
        self.out: list[Finding] = []
        self.variable_types: dict[str, str] = {}

    def add(self, container, key, path: str, rule: str, message: str) -> None:
        line, column = _position(container, key)
        self.out.append(finding(self.file, path, rule, message, line, column))

    # --- YAML-level rules -------------------------------------------------------------------------------
    def check_scalars(self) -> None:
        for container, key, value, path in _entries(self.document, ""):
            if isinstance(container, Mapping):
                if isinstance(key, Mapping | list):
                    self.add(
                        container,
                        key,
                        path,
                        "FL011",
                        "a mapping is used as a key; Archy keys are names (quote a key that holds { or [)",
                    )
                    continue
                if isinstance(key, bool) or (type(key) is str and _YAML11_BOOL.match(key)):
                    self.add(
                        container,
                        key,
                        path,
                        "FL002",
                        f"unquoted key {key!r} is a boolean to YAML 1.1 loaders such as PyYAML; write \"{key}\"",
                    )
                if isinstance(key, str):
                    self._placeholder(container, key, key, path)
            if type(value) is str and _YAML11_BOOL.match(value):
                self.add(
                    container,
                    key,
                    path,
                    "FL003",
                    f"unquoted {value!r} is a string to YAML 1.2 but a boolean to YAML 1.1; quote it",
                )
            if isinstance(value, str):
                self._placeholder(container, key, value, path)

    def _placeholder(self, container, key, text: str, path: str) -> None:
        match = _TERRAFORM_PLACEHOLDER.search(text)
        if match:
            self.add(
                container,
                key,
                path,
                "FL009",
                f"{match.group(0)} is a Terraform templatefile placeholder, not Archy syntax; "
                "render the file with templatefile() before publishing it",
            )
        elif _ANGLE_PLACEHOLDER.match(text.strip()):
            self.add(container, key, path, "FL009", f"{text.strip()} looks like a placeholder to replace by hand")

    # --- flow rules ---------------------------------------------------------------------------------------
    def collect_variables(self) -> None:
        for _container, key, value, _path in _entries(self.document, ""):
            if isinstance(key, str) and key.endswith("Variable") and isinstance(value, Mapping):
                name = value.get("name")
                if isinstance(name, str):
                    kind = contract_type(declaration_type(key)) or key
                    previous = self.variable_types.setdefault(name.casefold(), kind)
                    if previous != kind:
                        self.variable_types[name.casefold()] = "unknown"

    def check_call_data(self, call_flow: bool) -> None:
        for _container, key, value, path in list(_entries(self.document, "")):
            if key != CALL_DATA or not isinstance(value, Mapping):
                continue
            category = value.get("category")
            if not isinstance(category, Mapping):
                continue
            for integration, entry in category.items():
                if not isinstance(entry, Mapping) or not isinstance(entry.get("dataAction"), Mapping):
                    continue
                data_actions = entry["dataAction"]
                for name, binding in data_actions.items():
                    if not isinstance(binding, Mapping):
                        continue
                    base = join_path(join_path(join_path(join_path(path, "category"), str(integration)), "dataAction"), str(name))
                    action = self.actions.get(action_key(str(name))) if isinstance(name, str) else None
                    self._check_binding(binding, base, action, call_flow, name=str(name))

    def _check_binding(self, binding: Mapping, base: str, action: dict | None, call_flow: bool, *, name: str) -> None:
        failure = binding.get("failureOutputs")
        if call_flow and isinstance(failure, Mapping):
            for output, target in failure.items():
                if isinstance(target, Mapping) and "var" in target:
                    self.add(
                        failure,
                        output,
                        join_path(join_path(base, "failureOutputs"), str(output)),
                        "FL010",
                        "call flows cannot bind failure outputs; leave them out or set noValue: true",
                    )
        if action is None:
            self.add(binding, next(iter(binding), None), base, "FL013",
                     f"data action {name!r} was not among the files checked: its inputs and outputs were not "
                     "cross-checked; give its file or folder too (companion check FLOW.yaml DATA-ACTIONS/)")
            return
        contract = action.get("contract") or {}
        input_schema = (contract.get("input") or {}).get("inputSchema") or {}
        output_schema = (contract.get("output") or {}).get("successSchema") or {}
        properties = input_schema.get("properties") if isinstance(input_schema.get("properties"), dict) else {}
        required = input_schema.get("required") if isinstance(input_schema.get("required"), list) else []
        inputs = binding.get("inputs") if isinstance(binding.get("inputs"), Mapping) else {}
        for name in inputs:
            if name not in properties:
                self.add(
                    inputs,
                    name,
                    join_path(join_path(base, "inputs"), str(name)),
                    "FL005",
                    f"{name!r} is not an input of {action.get('name')!r} (inputs: {', '.join(properties) or 'none'})",
                )
        for name in required:
            given = inputs.get(name)
            if not isinstance(given, Mapping) or given.get("noValue") is True or not given:
                self.add(
                    binding,
                    "inputs" if "inputs" in binding else next(iter(binding), None),
                    join_path(join_path(base, "inputs"), name),
                    "FL006",
                    f"required input {name!r} of {action.get('name')!r} has no value",
                )
        outputs = flattened_outputs(output_schema)
        success = binding.get("successOutputs") if isinstance(binding.get("successOutputs"), Mapping) else {}
        for name, target in success.items():
            path = join_path(join_path(base, "successOutputs"), str(name))
            if name not in outputs:
                self.add(
                    success,
                    name,
                    path,
                    "FL004",
                    f"{name!r} is not an output of {action.get('name')!r} (outputs: {', '.join(outputs) or 'none'})",
                )
                continue
            variable = target.get("var") if isinstance(target, Mapping) else None
            if not isinstance(variable, str):
                continue
            declared = self.variable_types.get(variable.casefold())
            if declared is None:
                self.variable_types[variable.casefold()] = outputs[name]
            elif declared not in (outputs[name], "unknown") and not (
                declared == "number" and outputs[name] == "integer"
            ):
                self.add(
                    success,
                    name,
                    path,
                    "FL008",
                    f"{name!r} is {outputs[name]} in the contract but {variable} holds {declared}",
                )

    def check_participant_data(self) -> None:
        for _container, key, value, path in list(_entries(self.document, "")):
            if key != SET_PARTICIPANT_DATA or not isinstance(value, Mapping):
                continue
            attributes = value.get("attributes")
            if not isinstance(attributes, list):
                continue
            for index, item in enumerate(attributes):
                attribute = item.get("attribute") if isinstance(item, Mapping) else None
                if not isinstance(attribute, Mapping) or not isinstance(attribute.get("value"), Mapping):
                    continue
                slot = attribute["value"]
                where = join_path(join_path(join_path(join_path(path, "attributes"), index), "attribute"), "value")
                problem = self._non_string_value(slot)
                if problem:
                    self.add(
                        attribute,
                        "value",
                        where,
                        "FL007",
                        f"participant data values are strings: {problem}; wrap it in ToString(...) or quote it",
                    )

    def _non_string_value(self, slot: Mapping) -> str | None:
        if "lit" in slot:
            literal = slot["lit"]
            if isinstance(literal, str):
                return None
            return f"lit {literal!r} is a {type(literal).__name__ if literal is not None else 'null'}"
        expression = slot.get("exp")
        if not isinstance(expression, str):
            return None
        text = expression.strip()
        if text in ("true", "false") or re.fullmatch(r"-?\d+(?:\.\d+)?", text):
            return f"the expression {text} is not a string"
        if _BARE_VARIABLE.match(text):
            kind = self.variable_types.get(text.casefold())
            if kind not in (None, "string", "unknown"):
                return f"{text} holds {kind}"
        return None


def _placeholder_findings(file: str, text: str, substitutions: dict[str, str] | None) -> list[Finding]:
    """One finding per placeholder left in the text: a note without --options, a warning when it has no value."""
    out = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        for match in PLACEHOLDER.finditer(code):
            placeholder = match.group(0)
            if placeholder in seen:
                continue
            seen.add(placeholder)
            if substitutions is None:
                out.append(finding(file, "", "FL015", f"{placeholder} is an Archy substitution; checked as an "
                                   "opaque value (give --options FILE to check the substituted flow)",
                                   number, match.start() + 1))
            else:
                out.append(finding(file, "", "FL016", f"{placeholder} has no value under substitutions: in the "
                                   "options file; archy publish would leave it in the flow", number,
                                   match.start() + 1))
    return out


def check_flow(file: str, text: str, actions: Mapping[str, dict],
               substitutions: dict[str, str] | None = None) -> list[Finding]:
    """Findings for one flow, task or options YAML file; `actions` maps action_key(name) -> action document.

    With `substitutions` (an options file's), `{{key}}` placeholders are replaced first, as archy publish does;
    placeholders left over (or all of them, without substitutions) are checked as opaque values.
    """
    if substitutions:
        text = substitute(text, substitutions)
    out = _placeholder_findings(file, text, substitutions)
    try:
        document = load_yaml_round_trip(_opaque(text))
    except InvalidYAML as exc:
        # Only the rules that need the parsed tree stop; the placeholder findings above still stand.
        if not exc.marked:
            return [finding(file, "", "FL001", f"YAML does not parse: {shown(exc.detail)}"), *out]
        after = " after substitution" if substitutions else ""
        problem = shown(exc.problem or exc.context or "parse error")
        return [finding(file, "", "FL001", f"YAML does not parse{after}: {problem}", exc.line, exc.column), *out]
    checker = _FlowChecker(file, document, actions)
    checker.out = out
    checker.check_scalars()
    root_keys = set(document) if isinstance(document, Mapping) else set()
    flow_types = root_keys & FLOW_TYPES
    if not flow_types and not ({"task", "substitutions"} & root_keys):
        checker.out.append(
            finding(file, "", "FL012", "no flow type at the root (inboundCall, inqueueCall, ...), no task, no substitutions")
        )
        return _shown(checker.out)
    if "substitutions" in root_keys and not flow_types:
        return _shown(checker.out)  # an Archy options file: the YAML-level rules are all that apply
    checker.collect_variables()
    checker.check_call_data(call_flow=bool(flow_types & CALL_FLOW_TYPES))
    checker.check_participant_data()
    return _shown(checker.out)


def _shown(findings: list[Finding]) -> list[Finding]:
    return [dataclasses.replace(f, path=shown(f.path), message=shown(f.message)) for f in findings]
