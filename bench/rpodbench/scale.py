"""`make bench-scale`: how the cost of each command grows with the number of
containers (N = 10, 100, 1000 by default, 20% of them running), rpod and Podman side
by side, wall and CPU time; a power law fitted to every curve flags growth faster
than expected (super-linear for whole-list commands, growing for per-container ones).
"""

import math
import os
import resource
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import host
from .tools import CommandError, Tool

FILL_WORKERS = 4  # untimed parallel creates that fill the store up to N
CREATE_SAMPLES = 10  # timed, sequential creates at each N
LONG_SLEEP = "100000"


# What BENCH_SCALE_ONLY may name: the metrics' keys and `images`.
KEYS = ("create", "start", "ps", "ps_json", "monitor_pss", "stop_all", "rm_all", "pod_ps",
        "images")


@dataclass
class ScaleSettings:
    ns: tuple
    repeat: int  # timed runs of each read-only command (median)
    images: int  # tags listed by `images`
    only: frozenset = frozenset()  # measured commands (empty: all)

    def wants(self, key: str) -> bool:
        return not self.only or key in self.only

    @classmethod
    def from_env(cls) -> "ScaleSettings":
        raw = os.environ.get("BENCH_SCALE_NS", "10,100,1000")
        try:
            ns = tuple(sorted({int(x) for x in raw.split(",") if x.strip()}))
        except ValueError:
            raise SystemExit(f"bench: BENCH_SCALE_NS={raw!r} is not a list of integers") from None
        if not ns or ns[0] < CREATE_SAMPLES:
            raise SystemExit(f"bench: every N in BENCH_SCALE_NS must be ≥ {CREATE_SAMPLES}")
        only = frozenset(x.strip() for x in os.environ.get("BENCH_SCALE_ONLY", "").split(",")
                         if x.strip())
        unknown = sorted(only - set(KEYS))
        if unknown:
            raise SystemExit(f"bench: BENCH_SCALE_ONLY: unknown {', '.join(unknown)} "
                             f"(known: {', '.join(KEYS)})")
        return cls(ns=ns, repeat=int(os.environ.get("BENCH_SCALE_REPEAT", "5")),
                   images=int(os.environ.get("BENCH_SCALE_IMAGES", "200")), only=only)


@dataclass
class Metric:
    """One curve: (n, wall, cpu) points per tool. `expected` is the exponent the
    cost should not exceed: 1 for a command over all containers, 0 for one
    container's create."""

    key: str
    title: str
    expected: float
    points: dict = field(default_factory=dict)  # tool -> [(n, wall s, cpu s)]
    unit: str = "ms"
    goal: str = ""

    def add(self, tool: str, n: int, wall: float, cpu: float) -> None:
        self.points.setdefault(tool, []).append((n, wall, cpu))

    def exponent(self, tool: str, column: int = 1):
        """Least-squares slope of log(value) over log(n): value ∝ n^b."""
        pts = [(math.log(p[0]), math.log(p[column])) for p in self.points.get(tool, [])
               if p[column] > 0]
        if len(pts) < 2:
            return None
        mx = statistics.fmean(x for x, _ in pts)
        my = statistics.fmean(y for _, y in pts)
        sxx = sum((x - mx) ** 2 for x, _ in pts)
        return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None

    def flagged(self, tool: str) -> bool:
        b = self.exponent(tool)
        return b is not None and b > self.expected + 0.2


def timed(tool: Tool, *args) -> tuple:
    """Runs a command; returns (wall s, CPU s of it and the children it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    tool.run(*args, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(tool: Tool, repeat: int, keep: tuple, *args) -> tuple:
    walls, cpus = [], []
    for _ in range(repeat):
        host.reap_zombies(keep)
        w, c = timed(tool, *args)
        walls.append(w)
        cpus.append(c)
    return statistics.median(walls), statistics.median(cpus)


def monitors_pss_kib(tool: Tool, marker: str) -> int:
    """PSS of all of `tool`'s monitor processes together (KiB)."""
    total = 0
    for pid in host.monitor_pids(tool.monitor, marker):
        try:
            total += host.rss_pss_kib(pid)[1] or 0
        except OSError:  # ended meanwhile
            continue
    return total


class Scale:
    def __init__(self, settings: ScaleSettings, tools: list, image: str, markers: dict,
                 keep: tuple):
        self.s = settings
        self.tools = tools
        self.image = image
        self.markers = markers
        self.keep = keep
        self.metrics = {m.key: m for m in [
            Metric("create", "create (one container, N present)", 0),
            Metric("start", "start of the N/5 containers (one command)", 1),
            Metric("ps", "ps -a", 1, goal="< 50 ms at N = 1000"),
            Metric("ps_json", "ps -a --format json", 1),
            Metric("stop_all", "stop -a -t 0 (N/5 running)", 1, goal="≤ 0.25× podman"),
            Metric("rm_all", "rm -af (N/5 running)", 1, goal="≤ 0.25× podman"),
            Metric("pod_ps", "pod ps (N/10 pods)", 1),
            Metric("monitor_pss", "PSS of all monitors (N/5 running)", 1, unit="MiB"),
        ]}
        self.images_row = {}  # tool -> (wall, cpu) of `images` with s.images tags

    def _fill(self, tool: Tool, names: list) -> None:
        def one(name):
            tool.run("create", "--name", name, "--network", "none", self.image,
                     "sleep", LONG_SLEEP)
        with ThreadPoolExecutor(FILL_WORKERS) as pool:
            list(pool.map(one, names))

    def level(self, tool: Tool, n: int) -> None:
        """All measurements of one tool at N containers, from an empty store.
        With BENCH_SCALE_ONLY the same store is built, only the commands named
        are timed (the others that set up or clear the store run untimed)."""
        m = self.metrics
        want = self.s.wants
        tool.remove_all()
        host.reap_zombies(self.keep)
        names = [f"s{n}-{i}" for i in range(n)]
        running = names[: n // 5]
        if want("create"):
            self._fill(tool, names[: n - CREATE_SAMPLES])
            walls, cpus = [], []
            for name in names[n - CREATE_SAMPLES:]:
                w, c = timed(tool, "create", "--name", name, "--network", "none", self.image,
                             "sleep", LONG_SLEEP)
                walls.append(w)
                cpus.append(c)
            m["create"].add(tool.name, n, statistics.median(walls), statistics.median(cpus))
        else:
            self._fill(tool, names)
        wall, cpu = timed(tool, "start", *running)
        if want("start"):
            m["start"].add(tool.name, n, wall, cpu)
        lines = tool.run("ps", "-a").count("\n")
        if lines != n + 1:
            raise CommandError(f"{tool.name} ps -a: {lines - 1} containers, expected {n}")
        if want("ps"):
            m["ps"].add(tool.name, n, *median_of(tool, self.s.repeat, self.keep, "ps", "-a"))
        if want("ps_json"):
            m["ps_json"].add(tool.name, n, *median_of(tool, self.s.repeat, self.keep,
                                                      "ps", "-a", "--format", "json"))
        if want("monitor_pss"):
            pss = monitors_pss_kib(tool, self.markers[tool.name])
            m["monitor_pss"].add(tool.name, n, pss / 1024, 0.0)
        if want("stop_all"):
            m["stop_all"].add(tool.name, n, *timed(tool, "stop", "-a", "-t", "0"))
            tool.run("start", *running)
        wall, cpu = timed(tool, "rm", "-a", "-f", "-t", "0")
        if want("rm_all"):
            m["rm_all"].add(tool.name, n, wall, cpu)
        host.reap_zombies(self.keep)
        left = tool.run("ps", "-aq").split()
        if left:
            raise CommandError(f"{tool.name} rm -af left {len(left)} containers")
        if not want("pod_ps"):
            return
        pods = [f"p{n}-{i}" for i in range(max(1, n // 10))]
        with ThreadPoolExecutor(FILL_WORKERS) as pool:
            list(pool.map(lambda p: tool.run("pod", "create", "--infra=false", "--name", p),
                          pods))
        m["pod_ps"].add(tool.name, n, *median_of(tool, self.s.repeat, self.keep, "pod", "ps"))
        tool.run("pod", "rm", "-a", "-f")
        host.reap_zombies(self.keep)

    def images(self, tool: Tool) -> None:
        """`images` with s.images tags of the image (one row each)."""
        tags = [f"localhost/scale/img{i}:latest" for i in range(self.s.images)]
        # In batches, one after the other: Podman loses names tagged concurrently.
        for i in range(0, len(tags), 50):
            tool.run("tag", self.image, *tags[i:i + 50])
        rows = tool.run("images", "--format", "{{.Repository}}").split()
        if sum(r.startswith("localhost/scale/") for r in rows) != len(tags):
            raise CommandError(f"{tool.name} images: not all {len(tags)} tags listed")
        self.images_row[tool.name] = median_of(tool, self.s.repeat, self.keep, "images")
        for i in range(0, len(tags), 50):
            tool.run("rmi", *tags[i:i + 50])

    def run(self, log) -> None:
        for i, n in enumerate(self.s.ns):
            order = self.tools[i % 2:] + self.tools[:i % 2]
            for tool in order:
                log(f"N = {n}: {tool.name}")
                self.level(tool, n)
        if not self.s.wants("images"):
            return
        for tool in self.tools:
            log(f"images ({self.s.images} tags): {tool.name}")
            self.images(tool)

    # --- report -------------------------------------------------------------------

    def measured(self) -> list:
        """The metrics with points (all but those BENCH_SCALE_ONLY left out)."""
        return [m for m in self.metrics.values() if m.points]

    def curves(self) -> list:
        out = []
        for m in self.measured():
            scale = 1 if m.unit == "MiB" else 1000
            out.append({"title": m.title, "unit": m.unit,
                        "series": {t: [(p[0], p[1] * scale) for p in pts]
                                   for t, pts in m.points.items()},
                        "exponent": {t: m.exponent(t) for t in m.points}})
        return out

    def markdown(self, meta: dict) -> str:
        ns = self.s.ns
        lines = [f"# rpod vs Podman at scale — {meta['date']}", "",
                 "Wall time (CPU time of the command and the processes it waited for, in "
                 "parentheses) at N containers, 20% of them running; `create` is the median "
                 "of 10 single creates with N − 10 already present; `ps` rows the median of "
                 f"{self.s.repeat} runs. `b`: the exponent of a power law fitted to the wall "
                 "times (cost ∝ N^b); flagged when it exceeds what the command should need "
                 "(1 for a command over all containers, 0 for one container's create) by "
                 "more than 0.2.", "",
                 f"Load average before / after: {meta['load average before / after']} "
                 "(a shared host: absolute times vary with the load, the side-by-side "
                 "ratios less).", ""]
        head = ["command", "tool"] + [f"N = {n}" for n in ns] + ["b", ""]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for m in self.measured():
            for tool in [t.name for t in self.tools]:
                pts = {p[0]: p for p in m.points.get(tool, [])}
                cells = []
                for n in ns:
                    p = pts.get(n)
                    if p is None:
                        cells.append("—")
                    elif m.unit == "MiB":
                        cells.append(f"{p[1]:.1f} MiB")
                    else:
                        cells.append(f"{p[1] * 1000:.1f} ms ({p[2] * 1000:.0f})")
                b = m.exponent(tool)
                flag = "**super-linear**" if m.flagged(tool) else ""
                lines.append("| " + " | ".join([m.title, tool, *cells,
                                                 "—" if b is None else f"{b:.2f}", flag]) + " |")
        lines += ["", "Ratios rpod/Podman (wall):", "",
                  "| command | " + " | ".join(f"N = {n}" for n in ns) + " | goal | |",
                  "|---|" + "---|" * (len(ns) + 2)]
        for m in self.measured():
            r = {t: {p[0]: p[1] for p in m.points.get(t, [])} for t in ("rpod", "podman")}
            cells = []
            for n in ns:
                a, b = r["rpod"].get(n), r["podman"].get(n)
                cells.append(f"{a / b:.2f}×" if a and b else "—")
            lines.append(f"| {m.title} | " + " | ".join(cells) + f" | {m.goal} | "
                         f"{self._verdict(m)} |")
        if self.images_row:
            lines += ["", f"`images` with {self.s.images} tags of one image: " + ", ".join(
                f"{t} {w * 1000:.1f} ms (CPU {c * 1000:.0f} ms)"
                for t, (w, c) in self.images_row.items())]
        lines += ["", "## Setup", ""]
        lines += [f"- {k}: {v}" for k, v in meta.items()]
        return "\n".join(lines) + "\n"

    def _verdict(self, m: Metric) -> str:
        top = self.s.ns[-1]
        pts = {t: {p[0]: p[1] for p in m.points.get(t, [])} for t in ("rpod", "podman")}
        a, b = pts["rpod"].get(top), pts["podman"].get(top)
        if a is None:
            return ""
        if m.key == "ps" and top >= 1000:
            return "met" if a < 0.050 else "**missed**"
        if m.key in ("stop_all", "rm_all") and b:
            return "met" if a / b <= 0.25 else "**missed**"
        return ""

    def as_dict(self) -> dict:
        return {"metrics": [{"key": m.key, "title": m.title, "unit": m.unit,
                             "expected_exponent": m.expected,
                             "points": {t: [{"n": p[0], "wall": p[1], "cpu": p[2]} for p in pts]
                                        for t, pts in m.points.items()},
                             "exponent": {t: m.exponent(t) for t in m.points},
                             "flagged": {t: m.flagged(t) for t in m.points}}
                            for m in self.measured()],
                "images": {t: {"wall": w, "cpu": c} for t, (w, c) in self.images_row.items()}}
