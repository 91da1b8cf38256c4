"""Flow coverage: which branches of each flow the scenarios took, and which none of them did."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from architect.testing.flowmap import Branch, build_flow_map, taken_branches


@dataclass
class FlowCoverage:
    """Branches of one flow and the ones the scenarios took."""

    flow: str  # the flow file
    name: str  # the flow's name
    branches: list[Branch]
    taken: set[tuple[str, str]] = field(default_factory=set)

    @property
    def untaken(self) -> list[Branch]:
        return [b for b in self.branches if (b.path, b.outcome) not in self.taken]

    @property
    def percent(self) -> float:
        if not self.branches:
            return 100.0
        return 100.0 * (len(self.branches) - len(self.untaken)) / len(self.branches)


def flow_coverage(outcomes) -> list[FlowCoverage]:
    """Coverage per flow file over the outcomes that ran a call (errors included: their steps count too)."""
    by_flow: dict[str, FlowCoverage] = {}
    maps = {}
    for outcome in outcomes:
        prepared_flow = outcome.flow
        if prepared_flow is None:
            continue
        key = str(outcome.scenario.file.flow)
        if key not in by_flow:
            maps[key] = build_flow_map(prepared_flow)
            by_flow[key] = FlowCoverage(key, prepared_flow.name, maps[key].branches)
        if outcome.result is not None:
            known = {(b.path, b.outcome) for b in by_flow[key].branches}
            by_flow[key].taken |= taken_branches(outcome.result.steps) & known
    return list(by_flow.values())


def _shown(path: str) -> str:
    """A flow file relative to the current folder when it is under it (shorter report lines)."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def render_coverage(coverages: list[FlowCoverage]) -> str:
    """The --coverage report: percentage per flow, then each untaken branch with its YAML path."""
    lines = ["Flow coverage (branches taken by the scenarios):"]
    for coverage in coverages:
        taken = len(coverage.branches) - len(coverage.untaken)
        lines.append(f"  {coverage.percent:5.1f}%  {taken}/{len(coverage.branches)} branches  "
                     f"{coverage.name} ({_shown(coverage.flow)})")
        for branch in coverage.untaken:
            lines.append(f"      untaken: {branch.label}")
            lines.append(f"               {branch.path} -> {branch.outcome}")
    return "\n".join(lines)
