"""`companion graph`, `simulate --graph`, `test --graph`: Mermaid text, SVG and HTML, the HTML in headless Chromium."""

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from architect.runtime.flow import load_flow
from architect.testing.flowmap import build_flow_map
from tests.runtime.stub_server import StubServer

ROOT = Path(__file__).resolve().parents[2]
FLOW = "architect/flows/companion-sample-inbound-call.yaml"
OPTIONS = "architect/flows/options.example.yaml"
EXAMPLES = ROOT / "tests" / "architect" / "genesys-examples" / "flows"
SVG = "{http://www.w3.org/2000/svg}"
# Measures every diagram node as the browser laid it out, and the fill it painted; written into the DOM so that
# --dump-dom shows it. Appended to a copy of the generated page (the page itself has no script).
MEASURE = """<script>
for (const g of document.querySelectorAll('g.node')) {
  const box = g.getBBox(), shape = g.querySelector('polygon, ellipse, path');
  g.setAttribute('data-size', Math.round(box.width) + 'x' + Math.round(box.height));
  g.setAttribute('data-fill', shape ? getComputedStyle(shape).fill : 'none');
}
</script>"""


def rendered_dom(page: Path, profile: Path, *options: str) -> str:
    """The DOM after headless Chromium (Debian's package) loaded and laid out `page`."""
    run = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={profile}", *options, "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def test_graph_prints_mermaid_with_every_action_and_branch(companion):
    run = companion("graph", FLOW, "--options", OPTIONS)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    assert text.startswith("flowchart TD\n")
    assert '{"decision: Known caller?"}' in text and '{"decision: VIP or platinum?"}' in text
    assert '["transferToAcd: Transfer to VIP queue"]' in text
    ids = dict(re.findall(r'^  (n\d+)[\[({]+"(.*?)"', text, re.MULTILINE))
    by_label = {label: node for node, label in ids.items()}
    call = by_label["callData: Companion call context"]
    assert {re.search(rf"{call} -->\|\"(\w+)\"\|", line).group(1)
            for line in text.splitlines() if f"  {call} -->|" in line} == {"success", "failure", "timeout"}
    assert "untaken" not in text and "classDef" not in text  # no call, no path


def test_simulate_graph_highlights_the_path_and_marks_untaken_branches(companion, tmp_path):
    with StubServer() as stub:
        stub.answer("POST", "/v1/context", json_body={"error": "internal"}, status=500)
        run = companion("simulate", FLOW, "--options", OPTIONS, "--actions", "architect/data-actions",
                        "--ani", "tel:+13175550116", "--service-url", stub.url, "--credential", "apiKey=k",
                        "--graph", tmp_path / "path.mmd")
    assert run.returncode == 0, run.stderr
    assert f"graph: {tmp_path / 'path.mmd'}" in run.stderr
    text = (tmp_path / "path.mmd").read_text(encoding="utf-8")
    labels = {label: node for node, label in re.findall(r'^  (n\d+)[\[({]+"(.*?)"', text, re.MULTILINE)}
    call, failure = labels["callData: Companion call context"], labels["setParticipantData: Companion status failure"]
    known, default = labels["decision: Known caller?"], labels["transferToAcd: Transfer to default queue"]
    assert f'  {call} ==>|"failure"| {failure}' in text
    assert f'  {call} -.->|"success (untaken)"| ' in text and f'  {call} -.->|"timeout (untaken)"| ' in text
    assert f'  {known} ==>|"no"| {default}' in text
    taken = set(re.search(r"^  class (\S+) taken$", text, re.MULTILINE).group(1).split(","))
    assert {call, failure, known, default} <= taken
    assert labels["decision: VIP or platinum?"] not in taken


def test_simulate_graph_refuses_an_unknown_extension_before_running(companion, tmp_path):
    run = companion("simulate", FLOW, "--options", OPTIONS, "--ani", "tel:+1", "--graph", tmp_path / "x.png")
    assert run.returncode == 2
    assert "cannot tell the format from the extension .png" in run.stderr


def test_test_graph_html_renders_in_headless_chromium_with_the_path(companion, tmp_path):
    run = companion("test", "architect/scenarios", "-k", "timeout", "--graph", tmp_path / "graphs")
    assert run.returncode == 0, run.stdout + run.stderr
    page = tmp_path / "graphs" / ("companion-sample-inbound-call--data-action-timeout-marks-the-call-and-routes-to-"
                                  "the-default-queue.html")
    assert f"graph: {page}" in run.stdout and page.with_suffix(".mmd").is_file()
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = rendered_dom(probe, tmp_path / "profile")
    nodes = re.findall(r'<g id="(n\d+)" class="node flow-node kind-(\w+)( taken)?"[^>]*data-size="(\d+)x(\d+)" '
                       r'data-fill="([^"]+)"', dom)
    assert len(nodes) == len(build_flow_map(load_flow(ROOT / FLOW, {"flow_name": "x", "companion_integration": "y",
                                                                     "vip_queue": "v", "default_queue": "d"})).nodes)
    assert all(int(width) > 20 and int(height) > 10 for *_rest, width, height, _fill in nodes)
    titles = dict(re.findall(r'<g id="(n\d+)" class="node[^"]*"[^>]*>\s*<title>n\d+</title>\s*<g id="a_\1">'
                             r'<a xlink:title="([^"]+)"', dom))
    fills = {titles.get(node, node): (kind, bool(taken), fill) for node, kind, taken, _w, _h, fill in nodes}
    call = "/inboundCall/tasks/task[companionContext]/actions[0]/callData"
    timeout_data = f"{call}/outputs/timeout/actions[0]/setParticipantData"
    assert fills[call] == ("callData", True, "rgb(215, 233, 255)")  # painted in the path colour
    assert fills[timeout_data][1] is True
    assert fills[f"{call}/outputs/success/actions[0]/setParticipantData"][1:] == (False, "rgb(255, 255, 255)")
    assert len(re.findall(r'class="edge flow-edge untaken"', dom)) >= 3
    assert "timeout (untaken)" not in dom and "success (untaken)" in dom


def test_graph_writes_svg_that_parses_and_html_from_the_extension(companion, tmp_path):
    run = companion("graph", FLOW, "--options", OPTIONS, "--out", tmp_path / "flow.svg")
    assert run.returncode == 0, run.stderr
    svg = ET.parse(tmp_path / "flow.svg").getroot()
    assert svg.tag == f"{SVG}svg"
    texts = {t.text for t in svg.iter(f"{SVG}text")}
    assert {"decision: Known caller?", "transferToAcd: Transfer to VIP queue", "timeout"} <= texts
    run = companion("graph", FLOW, "--options", OPTIONS, "--out", tmp_path / "flow.html")
    html = (tmp_path / "flow.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<figure id="flow-graph">\n<svg' in html


# Every published flow that loads without Terraform substitutions: Terraform examples and blueprint flows.
REAL_FLOWS = sorted([*EXAMPLES.glob("*.yaml"), *(p for p in (EXAMPLES.parent / "blueprint-flows").glob("*.yaml")
                                                  if "{{" not in p.read_text(encoding="utf-8"))])


@pytest.mark.parametrize("flow", REAL_FLOWS, ids=lambda p: p.name)
def test_real_genesys_flows_draw_every_branch(companion, flow, tmp_path):
    run = companion("graph", flow, "--format", "svg")
    assert run.returncode == 0, run.stderr
    flow_map = build_flow_map(load_flow(flow))
    assert len(flow_map.nodes) > 2  # more than the start and error-handling nodes: the tasks, menus or states
    drawn = [edge for edge in flow_map.edges if edge.branch]
    # Every branch with somewhere to go is drawn (transferToAcd's "transferred" ends the call: no edge).
    assert {e.branch for e in drawn} == {(b.path, b.outcome) for b in flow_map.branches if b.outcome != "transferred"}
    assert ET.fromstring(run.stdout.encode()).tag == f"{SVG}svg"


def test_cache_example_flow_branches_are_the_blueprints_decisions_and_actions():
    flow_map = build_flow_map(load_flow(EXAMPLES / "CacheExampleFlow.yaml"))
    kinds = {}
    for branch in flow_map.branches:
        kinds.setdefault(flow_map.nodes[branch.path].kind, set()).add(branch.outcome)
    assert kinds == {"dataTableLookup": {"found", "notFound"}, "decision": {"yes", "no"},
                     "callData": {"success", "failure", "timeout"}, "transferToAcd": {"transferred", "failure"}}
    assert len(flow_map.branches) == 2 + 5 * 2 + 3 * 3 + 2  # 1 lookup, 5 decisions, 3 data actions, 1 transfer


def test_menu_choices_are_branches_of_the_menu():
    flow_map = build_flow_map(load_flow(EXAMPLES / "inboundcall_flow_example.yaml"))
    assert [(b.path, b.outcome, b.label) for b in flow_map.branches] == [
        ("/inboundCall/menus/menu[mainMenu]", "choice 0", "menu 'Main Menu': digit 9 (Disconnect)")]
