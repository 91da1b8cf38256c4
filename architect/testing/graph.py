"""Draw a flow as a diagram (Mermaid text, or SVG / HTML laid out by Graphviz), with a call's path highlighted.

The path: the nodes a call passed are filled, the edges it followed drawn thick; the branches it did not take
are drawn dashed and labelled "untaken". Graphviz is the Graphviz project's `dot` (Debian package graphviz),
driven through the `graphviz` Python package; Mermaid text needs nothing to write (GitHub renders it in
Markdown).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from architect.testing.flowmap import Edge, FlowMap, build_flow_map, taken_branches

FORMATS = ("mermaid", "svg", "html")
_SUFFIXES = {".mmd": "mermaid", ".mermaid": "mermaid", ".md": "mermaid", ".svg": "svg", ".html": "html",
             ".htm": "html"}
_DIAMONDS = frozenset({"decision", "switch"})
# Colours of the highlighted path and of untaken branches (the same in every format).
TAKEN_FILL, TAKEN_LINE, UNTAKEN_LINE = "#d7e9ff", "#1f6feb", "#cf222e"


class GraphError(ValueError):
    """A graph cannot be drawn: unknown format, or Graphviz's dot is not installed."""


def format_for(path: str | Path, given: str | None = None) -> str:
    """The format named, or the one the file's extension says (.mmd/.md, .svg, .html)."""
    if given:
        return given
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise GraphError(f"{path}: cannot tell the format from the extension {suffix or '(none)'}; use .mmd, .md, "
                         ".svg or .html, or give --format")
    return _SUFFIXES[suffix]


@dataclass
class Drawing:
    """A flow map with what one call did to it (nothing highlighted when no steps are given)."""

    map: FlowMap
    title: str
    visited: list[str] = field(default_factory=list)  # node paths in the order the call passed them
    taken: set[tuple[str, str]] = field(default_factory=set)  # branches taken
    has_path: bool = False

    @property
    def followed(self) -> set[tuple[str, str]]:
        return set(zip(self.visited, self.visited[1:]))

    def edges(self):
        """(edge, state) for the map's edges plus the jumps the call made that no edge shows (error handling)."""
        known = set()
        followed = self.followed
        for edge in self.map.edges:
            known.add((edge.source, edge.target))
            if not self.has_path:
                state = "plain"
            elif (edge.source, edge.target) in followed and (edge.branch is None or edge.branch in self.taken):
                state = "taken"
            elif edge.branch is not None and edge.branch not in self.taken:
                state = "untaken"
            else:
                state = "plain"
            yield edge, state
        for source, target in sorted(followed - known):
            yield Edge(source, target, None), "taken"


def drawing(flow, steps=None, title: str | None = None) -> Drawing:
    """A Drawing of `flow`; with `steps` (a FlowResult's), the call's path and its untaken branches."""
    flow_map = build_flow_map(flow)
    result = Drawing(flow_map, title or f"{flow.kind}: {flow.name}")
    if steps is not None:
        result.has_path = True
        result.visited = [flow_map.start] + [s.path for s in steps if s.path in flow_map.nodes]
        result.taken = taken_branches(steps)
    return result


def _ids(flow_map: FlowMap) -> dict[str, str]:
    return {path: f"n{index}" for index, path in enumerate(flow_map.nodes)}


def _mermaid_text(text: str) -> str:
    # Mermaid entity codes: # starts one, so it is escaped first; quotes and angle brackets end or open markup.
    return (text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("\n", " "))


def render_mermaid(picture: Drawing) -> str:
    """Mermaid flowchart text (GitHub renders it inside a ```mermaid block)."""
    ids = _ids(picture.map)
    lines = ["flowchart TD", f"  %% {_mermaid_text(picture.title)}"]
    for path, node in picture.map.nodes.items():
        label = _mermaid_text(node.label)
        if node.kind in _DIAMONDS:
            shape = f'{{"{label}"}}'
        elif node.kind in ("start", "end"):
            shape = f'(["{label}"])'
        elif node.kind == "menu":
            shape = f'[["{label}"]]'
        else:
            shape = f'["{label}"]'
        lines.append(f"  {ids[path]}{shape}")
    arrows = {"plain": "-->", "taken": "==>", "untaken": "-.->"}
    for edge, state in picture.edges():
        if edge.source not in ids or edge.target not in ids:
            continue
        label = edge.label or ""
        if state == "untaken":
            label = f"{label} (untaken)".strip()
        text = f'|"{_mermaid_text(label)}"|' if label else ""
        lines.append(f"  {ids[edge.source]} {arrows[state]}{text} {ids[edge.target]}")
    if picture.has_path:
        lines.append(f"  classDef taken fill:{TAKEN_FILL},stroke:{TAKEN_LINE},stroke-width:2px")
        visited = [ids[path] for path in dict.fromkeys(picture.visited)]
        if visited:
            lines.append(f"  class {','.join(visited)} taken")
        untaken = [index for index, (_edge, state) in enumerate(e for e in picture.edges()
                                                                 if e[0].source in ids and e[0].target in ids)
                   if state == "untaken"]
        if untaken:
            lines.append(f"  linkStyle {','.join(map(str, untaken))} stroke:{UNTAKEN_LINE}")
    return "\n".join(lines) + "\n"


def _digraph(picture: Drawing):
    import graphviz

    ids = _ids(picture.map)
    visited = set(picture.visited)
    graph = graphviz.Digraph("flow", graph_attr={"rankdir": "TB", "label": picture.title, "labelloc": "t",
                                                 "fontname": "Helvetica"},
                             node_attr={"fontname": "Helvetica", "fontsize": "11", "style": "rounded,filled",
                                        "shape": "box", "fillcolor": "white"},
                             edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    for path, node in picture.map.nodes.items():
        attributes = {"id": ids[path], "tooltip": path, "class": f"flow-node kind-{node.kind}"}
        if node.kind in _DIAMONDS:
            attributes["shape"] = "diamond"
            attributes["style"] = "filled"
        elif node.kind in ("start", "end"):
            attributes["shape"] = "oval"
            attributes["style"] = "filled"
        if path in visited:
            attributes.update(fillcolor=TAKEN_FILL, color=TAKEN_LINE, penwidth="2")
            attributes["class"] += " taken"
        graph.node(ids[path], node.label, **attributes)
    for index, (edge, state) in enumerate(picture.edges()):
        if edge.source not in ids or edge.target not in ids:
            continue
        attributes = {"id": f"e{index}", "class": f"flow-edge {state}"}
        label = edge.label or ""
        if state == "taken":
            attributes.update(color=TAKEN_LINE, penwidth="2.5")
        elif state == "untaken":
            attributes.update(color=UNTAKEN_LINE, style="dashed", fontcolor=UNTAKEN_LINE)
            label = f"{label} (untaken)".strip()
        graph.edge(ids[edge.source], ids[edge.target], label=label or None, **attributes)
    return graph


def render_svg(picture: Drawing) -> str:
    """The diagram as SVG, laid out by Graphviz's dot."""
    import graphviz

    try:
        return _digraph(picture).pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        raise GraphError("SVG and HTML graphs need Graphviz's dot on the PATH (Debian/Ubuntu: apt-get install "
                         "graphviz; macOS: brew install graphviz); Mermaid (.mmd) needs nothing") from None


def render_html(picture: Drawing) -> str:
    """A self-contained HTML page: the SVG inline, a legend, and the Mermaid text to copy into Markdown."""
    svg = render_svg(picture)
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG is inline in HTML
    legend = ""
    if picture.has_path:
        legend = (f'<p class="legend"><span style="color:{TAKEN_LINE}">&#9632; the call\'s path</span> &nbsp; '
                  f'<span style="color:{UNTAKEN_LINE}">- - - untaken branch</span></p>')
    title = html.escape(picture.title)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n"
            "<style>body{font-family:Helvetica,Arial,sans-serif;margin:1.5em} svg{max-width:100%;height:auto}"
            "</style>\n</head>\n<body>\n"
            f"<h1>{title}</h1>\n{legend}\n<figure id=\"flow-graph\">\n{svg}</figure>\n"
            f"<details><summary>Mermaid</summary><pre>{html.escape(render_mermaid(picture))}</pre></details>\n"
            "</body>\n</html>\n")


def render(picture: Drawing, fmt: str) -> str:
    """The diagram in `fmt` (mermaid, svg or html)."""
    if fmt == "mermaid":
        return render_mermaid(picture)
    if fmt == "svg":
        return render_svg(picture)
    if fmt == "html":
        return render_html(picture)
    raise GraphError(f"unknown graph format {fmt!r} (one of {', '.join(FORMATS)})")


def write_graph(picture: Drawing, path: str | Path, fmt: str | None = None) -> Path:
    """Write the diagram to `path` in `fmt` (or the format its extension says)."""
    path = Path(path)
    text = render(picture, format_for(path, fmt))
    path.write_text(text, encoding="utf-8")
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "scenario"


def write_scenario_graphs(outcomes, folder: str | Path) -> list[Path]:
    """For each scenario that ran a call: <file>--<scenario>.mmd and .html with its path through the flow."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for outcome in outcomes:
        if outcome.flow is None or outcome.result is None:
            continue
        stem = outcome.scenario.file.path.name.removesuffix(".scenarios.yaml")
        picture = drawing(outcome.flow, outcome.result.steps,
                          title=f"{outcome.scenario.name} ({outcome.status}): {outcome.flow.name}")
        base = folder / f"{_slug(stem)}--{_slug(outcome.scenario.name)}"
        written.append(write_graph(picture, base.with_suffix(".mmd")))
        written.append(write_graph(picture, base.with_suffix(".html")))
    return written
