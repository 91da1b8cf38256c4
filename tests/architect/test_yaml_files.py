"""The YAML files every architect tool reads go through one reader; each tool keeps the wording its users know."""

from __future__ import annotations

import pytest

from architect.check.runner import check_paths
from architect.doctor.flow_keys import flow_keys
from architect.doctor.request import DoctorInputError
from architect.export.attributes import DEFAULT_ATTRIBUTES
from architect.export.attributes import AttributeMapError
from architect.export.attributes import load_attribute_map
from architect.runtime.flow.loader import FlowLoadError
from architect.runtime.flow.loader import load_flow
from architect.runtime.flow.loader import read_options
from architect.testing.scenarios import ScenarioFileError
from architect.testing.scenarios import load_scenario_file
from architect.yaml_files import InvalidYAML
from architect.yaml_files import UnreadableFile
from architect.yaml_files import load_yaml
from architect.yaml_files import read_text

UNCLOSED = "a: [x\n"  # the parser's context: "while parsing a flow sequence"
MARKS = ('while parsing a flow sequence\n  in "<unicode string>", line 1, column 4:\n    a: [x\n       ^ (line: 1)\n'
         'expected \',\' or \']\', but got \'<stream end>\'\n  in "<unicode string>", line 2, column 1:\n    \n'
         '    ^ (line: 2)')
NOT_UTF8 = "'utf-8' codec can't decode byte 0xe9 in position 3: invalid continuation byte"


def _attribute_map(path):
    return load_attribute_map(path, DEFAULT_ATTRIBUTES)


# The messages as each tool gave them before the reader was shared (the suffix after "<path>: ").
@pytest.mark.parametrize(("read", "error", "unclosed", "latin"), [
    (load_flow, FlowLoadError, "invalid YAML at line 2, column 1: while parsing a flow sequence expected ',' or ']', "
     "but got '<stream end>'", f"not UTF-8 text: {NOT_UTF8}"),
    (read_options, FlowLoadError, "invalid YAML at line 2, column 1: while parsing a flow sequence expected ',' or "
     "']', but got '<stream end>'", f"not UTF-8 text: {NOT_UTF8}"),
    (load_scenario_file, ScenarioFileError, "invalid YAML at line 2, column 1: expected ',' or ']', but got "
     "'<stream end>'", f"cannot read: {NOT_UTF8}"),
    (_attribute_map, AttributeMapError, f"not valid YAML: {MARKS}", f"cannot read: {NOT_UTF8}"),
], ids=["flow", "options", "scenarios", "attribute-map"])
def test_each_tool_words_yaml_and_encoding_faults_as_before(tmp_path, read, error, unclosed, latin):
    path = tmp_path / "f.yaml"
    path.write_text(UNCLOSED, encoding="utf-8")
    with pytest.raises(error) as caught:
        read(path)
    assert str(caught.value) == f"{path}: {unclosed}"
    path.write_bytes(b"a: \xe9\n")  # Latin-1: options and attribute-map files used to crash with UnicodeDecodeError
    with pytest.raises(error) as caught:
        read(path)
    assert str(caught.value) == f"{path}: {latin}"


def test_doctor_flow_keeps_its_prefix_and_the_parsers_report(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(UNCLOSED, encoding="utf-8")
    with pytest.raises(DoctorInputError) as caught:
        flow_keys(path)
    assert str(caught.value) == f"--flow {path}: not valid YAML: {MARKS}"
    with pytest.raises(DoctorInputError) as caught:
        flow_keys(tmp_path / "absent.yaml")
    assert str(caught.value) == f"--flow {tmp_path / 'absent.yaml'}: cannot read it: No such file or directory"


def test_check_reports_the_parse_fault_at_its_line_and_column(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(UNCLOSED, encoding="utf-8")
    findings = [f for f in check_paths([path]) if f.rule == "FL001"]
    assert [(f.line, f.column, f.message) for f in findings] == [
        (2, 1, "YAML does not parse: expected ',' or ']', but got '<stream end>'")]


def test_the_reader_is_yaml_1_2_and_gives_the_fault_parts():
    assert load_yaml("yes: on\n") == {"yes": "on"}  # YAML 1.1 would read True: True
    with pytest.raises(InvalidYAML) as caught:
        load_yaml("a:\n\tb: 1\n")
    fault = caught.value
    assert (fault.line, fault.column, fault.position) == (2, 1, "line 2, column 1")
    assert (fault.context, fault.problem) == ("while scanning for the next token",
                                              "found character '\\t' that cannot start any token")


def test_read_text_says_why_a_file_cannot_be_read(tmp_path):
    with pytest.raises(UnreadableFile) as caught:
        read_text(tmp_path)
    assert (caught.value.reason, caught.value.not_utf8) == ("Is a directory", False)
