"""Loading Archy flow YAML: substitutions from an options file, YAML errors with positions, the flow's shape."""

import pytest

from architect.runtime.flow import FlowLoadError, load_flow, parse_flow, read_options

FLOW = """\
inboundCall:
  name: "{{flow_name}}"
  startUpRef: ./tasks/task[main]
  tasks:
    - task:
        name: Main
        refId: main
        actions:
          - callData:
              category:
                "{{integration}}":
                  dataAction:
                    "{{action}}": {}
          - decision:
              condition: {exp: "true"}
              outputs:
                yes: {actions: [{disconnect: {name: Bye}}]}
"""


def test_substitution_replaces_values_and_keys():
    flow = parse_flow(FLOW, {"flow_name": "Sales", "integration": "Web Services", "action": "Get Customer"})
    assert flow.kind == "inboundCall"
    assert flow.name == "Sales"
    call = flow.tasks["main"]["actions"][0]["callData"]
    assert call["category"] == {"Web Services": {"dataAction": {"Get Customer": {}}}}


def test_unknown_placeholder_is_an_error_naming_it_and_its_line():
    with pytest.raises(FlowLoadError) as error:
        parse_flow(FLOW, {"flow_name": "Sales", "integration": "Web Services"}, source="f.yaml")
    assert str(error.value) == ("f.yaml: unknown placeholder {{action}} (line 13): "
                                "the options file has no such key under substitutions:")


def test_placeholders_without_options_are_reported_together():
    with pytest.raises(FlowLoadError, match=r"unknown placeholders \{\{flow_name\}\} \(line 2\), "
                                            r"\{\{integration\}\} \(line 11\), \{\{action\}\} \(line 13\): "
                                            "no options file"):
        parse_flow(FLOW)


def test_spaced_placeholder_is_not_left_in_silently():
    with pytest.raises(FlowLoadError, match=r"unknown placeholder \{\{ name \}\} \(line 1\)"):
        parse_flow('inboundCall: {name: "{{ name }}"}\n', {"name": "x"})


def test_placeholders_in_comments_are_not_errors_and_unquoted_ones_are_named():
    flow = parse_flow("# {{flow_name}}: the flow's name\ninboundCall:\n  name: \"{{flow_name}}\"\n",
                      {"flow_name": "Sales"})
    assert flow.name == "Sales"
    with pytest.raises(FlowLoadError, match=r"^f.yaml: unknown placeholder \{\{flow_name\}\} \(line 3\): no options"):
        parse_flow("# {{flow_name}}\ninboundCall:\n  name: {{flow_name}}\n", source="f.yaml")


def test_unquoted_yes_no_keys_stay_strings_as_in_yaml_1_2():
    # YAML 1.2 (ruamel's pure loader) has only true/false as booleans; YAML 1.1 would load `yes:` as True.
    flow = parse_flow(FLOW, {"flow_name": "S", "integration": "I", "action": "A"})
    outputs = flow.tasks["main"]["actions"][1]["decision"]["outputs"]
    assert list(outputs) == ["yes"]


def test_yaml_error_names_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("inboundCall:\n  name: x\n  tasks: [\n", encoding="utf-8")
    with pytest.raises(FlowLoadError) as error:
        load_flow(path)
    message = str(error.value)
    assert message.startswith(f"{path}: invalid YAML at line 4, column 1:")


def test_options_file_substitutions(tmp_path):
    path = tmp_path / "options.yaml"
    path.write_text("location: mypurecloud.com\nsubstitutions:\n  flow_name: My Flow\n  retries: 3\n"
                    "  enabled: yes\n", encoding="utf-8")
    # YAML 1.2: `yes` is text, only true/false are booleans (written back as "true"/"false").
    assert read_options(path) == {"flow_name": "My Flow", "retries": "3", "enabled": "yes"}


def test_options_file_errors(tmp_path):
    path = tmp_path / "options.yaml"
    path.write_text("substitutions: [a, b]\n", encoding="utf-8")
    with pytest.raises(FlowLoadError, match="substitutions must be a mapping of key: value, got list"):
        read_options(path)
    path.write_text("substitutions:\n  queue:\n", encoding="utf-8")
    with pytest.raises(FlowLoadError, match="substitutions.queue must be a scalar"):
        read_options(path)
    with pytest.raises(FlowLoadError, match="cannot read the options file"):
        read_options(tmp_path / "missing.yaml")


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "a flow file has exactly one root key naming its type (e.g. inboundCall), got list"),
    ("inboundCall: {name: a}\nworkflow: {name: b}\n", "got keys inboundCall, workflow"),
    ("inboundcall: {name: a}\n", "unknown flow type 'inboundcall'"),
    ("inboundCall: {description: x}\n", "/inboundCall/name is required"),
    ("inboundCall: {name: a, tasks: [{task: {name: t}}]}\n", "/inboundCall/tasks[0]/task has no refId"),
    ("inboundCall: {name: a, tasks: [{task: {refId: t}}, {task: {refId: t}}]}\n",
     "/inboundCall/tasks[1]/task: refId 't' is used twice"),
])
def test_shape_errors(text, message):
    with pytest.raises(FlowLoadError) as error:
        parse_flow(text, source="f.yaml")
    assert message in str(error.value)


def test_references_resolve_both_forms_and_unknown_ones_are_named():
    flow = parse_flow("inboundCall:\n  name: a\n  tasks:\n    - task: {refId: t1, name: T}\n"
                      "  menus:\n    - menu: {refId: m1, name: M}\n")
    assert flow.resolve_ref("/inboundCall/tasks/task[t1]", "/p")[:2] == ("task", "t1")
    assert flow.resolve_ref("./menus/menu[m1]", "/p")[:2] == ("menu", "m1")
    with pytest.raises(FlowLoadError, match=r"/p: './tasks/task\[t2\]': no task with refId 't2' \(known: t1\)"):
        flow.resolve_ref("./tasks/task[t2]", "/p")
    with pytest.raises(FlowLoadError, match="points into /secureCall, but this flow is /inboundCall"):
        flow.resolve_ref("/secureCall/tasks/task[t1]", "/p")
