"""The Mermaid text `companion graph` writes renders with Mermaid itself (tests/testing/vendor) in headless Chromium."""

import gzip
import json
import re
from pathlib import Path

from architect.runtime.flow import parse_flow
from architect.testing.execute import run_scenarios
from architect.testing.flowmap import build_flow_map
from architect.testing.graph import drawing, render_mermaid
from architect.testing.scenarios import load_scenario_file
from tests.testing.test_graph import rendered_dom

ROOT = Path(__file__).resolve().parents[2]
MERMAID = Path(__file__).with_name("vendor") / "mermaid-12.3.0.min.js.gz"
SAMPLE = ROOT / "architect" / "scenarios" / "companion-sample-inbound-call.scenarios.yaml"
# Names with the characters Mermaid gives a meaning to: quotes, #, <, >, brackets, braces, pipes, * and #.
AWKWARD = """\
inboundCall:
  name: 'Say "hi" <now> #1'
  startUpRef: ./menus/menu[main]
  menus:
    - menu:
        name: 'Main {menu} [v2] | "quoted"'
        refId: main
        audio: {tts: Press star or pound.}
        choices:
          - menuDisconnect: {name: 'Star *', dtmf: digit_*}
          - menuTransferToAcd: {name: 'Pound # -> <Sales>', dtmf: "digit_#", targetQueue: {lit: {name: Sales}}}
"""


def render_in_browser(texts: list[str], tmp_path: Path) -> str:
    """One page rendering each Mermaid text into <div id="out-N">; <pre id="status-N"> says rendered or the error."""
    (tmp_path / "mermaid.min.js").write_bytes(gzip.decompress(MERMAID.read_bytes()))
    jobs = "\n".join(
        f"mermaid.render('g{n}', {json.dumps(text)}).then(r => {{ document.getElementById('out-{n}').innerHTML = r.svg;"
        f" document.getElementById('status-{n}').textContent = 'rendered'; }}).catch(e => {{"
        f" document.getElementById('status-{n}').textContent = 'error: ' + e; }});" for n, text in enumerate(texts))
    slots = "".join(f'<div id="out-{n}"></div><pre id="status-{n}">pending</pre>' for n in range(len(texts)))
    page = tmp_path / "mermaid.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><script src="mermaid.min.js"></script></head>'
                    f"<body>{slots}<script>mermaid.initialize({{startOnLoad: false, securityLevel: 'strict'}});\n"
                    f"{jobs}</script></body></html>", encoding="utf-8")
    return rendered_dom(page, tmp_path / "profile", "--virtual-time-budget=20000")


def test_a_scenario_path_and_awkward_names_render_with_mermaid(tmp_path):
    scenario_file = load_scenario_file(SAMPLE)
    outcome, = run_scenarios([scenario_file], select=lambda s: "queue unavailable" in s.name)
    path_picture = drawing(outcome.flow, outcome.result.steps)
    awkward = parse_flow(AWKWARD, source="awkward.yaml")
    dom = render_in_browser([render_mermaid(path_picture), render_mermaid(drawing(awkward))], tmp_path)
    assert re.findall(r'<pre id="status-\d">([^<]*)</pre>', dom) == ["rendered", "rendered"]
    first, second = dom.split('<pre id="status-0">', 1)
    nodes = re.findall(r'<g class="node default( taken)?" id="g0-flowchart-(n\d+)-\d+"', first)
    assert len(nodes) == len(path_picture.map.nodes)
    assert sum(1 for taken, _node in nodes if taken) == len(set(path_picture.visited))
    untaken = [edge for edge, state in path_picture.edges() if state == "untaken"]
    assert len(re.findall(r"edge-pattern-dotted[^\"]*flowchart-link", first)) == len(untaken) > 0
    assert len(re.findall(r'id="g1-flowchart-n\d+-\d+"', second)) == len(build_flow_map(awkward).nodes)
    for label in ('Say "hi" &lt;now&gt; #1', 'menu: Main {menu} [v2] | "quoted"', "*: menuDisconnect: Star *",
                  "#: menuTransferToAcd: Pound # -&gt; &lt;Sales&gt;", "digit #"):
        assert label in second, label
