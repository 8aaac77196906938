"""Samples, summary statistics and the alternation of tools run by run."""

import statistics
from dataclasses import dataclass, field


@dataclass
class Series:
    """Samples of one quantity for one tool."""

    values: list = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    def summary(self, scale: float = 1.0) -> dict:
        vals = sorted(v * scale for v in self.values)
        if not vals:
            return {}
        if len(vals) >= 2:
            q1, _, q3 = statistics.quantiles(vals, n=4, method="inclusive")
        else:
            q1 = q3 = vals[0]
        return {"n": len(vals), "median": statistics.median(vals), "min": vals[0],
                "max": vals[-1], "p25": q1, "p75": q3}


@dataclass
class Result:
    """One table row: a workload's samples per tool (rpod, podman, optionally floor),
    the unit they are shown in and the goal they are checked against."""

    key: str
    title: str
    unit: str  # "ms", "s", "MB/s", "KiB"
    scale: float  # multiplies raw samples into `unit`
    goal: str = ""
    # goal as numbers: max rpod/podman ratio, max rpod/floor ratio (None: no goal)
    max_vs_podman: float = None
    max_vs_floor: float = None
    higher_is_better: bool = False
    series: dict = field(default_factory=dict)
    note: str = ""

    def tool(self, name: str) -> Series:
        return self.series.setdefault(name, Series())

    def summaries(self) -> dict:
        return {name: s.summary(self.scale) for name, s in self.series.items() if s.values}

    def ratio(self, other: str):
        """Median of rpod over the median of `other` (None when either is missing)."""
        sums = self.summaries()
        if "rpod" not in sums or other not in sums or sums[other]["median"] == 0:
            return None
        return sums["rpod"]["median"] / sums[other]["median"]

    def goal_met(self):
        """True/False against the goal, None when the row has no goal."""
        checks = []
        if self.max_vs_podman is not None and self.ratio("podman") is not None:
            r = self.ratio("podman")
            checks.append(r >= self.max_vs_podman if self.higher_is_better else r <= self.max_vs_podman)
        if self.max_vs_floor is not None and self.ratio("floor") is not None:
            checks.append(self.ratio("floor") <= self.max_vs_floor)
        return all(checks) if checks else None

    def as_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "unit": self.unit, "goal": self.goal,
                "goal_met": self.goal_met(), "note": self.note,
                "rpod_vs_podman": self.ratio("podman"), "rpod_vs_floor": self.ratio("floor"),
                "stats": self.summaries(),
                "samples": {n: [v * self.scale for v in s.values] for n, s in self.series.items()}}


def alternating(tools: list, iteration: int) -> list:
    """The tools in the order for this iteration: rotated by one every run, so no tool
    always goes first (caches, CPU frequency, a neighbour's compile)."""
    k = iteration % len(tools)
    return tools[k:] + tools[:k]
