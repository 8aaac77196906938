"""Benchmark settings, read from BENCH_* environment variables.

Every iteration count and size can be overridden; BENCH_QUICK=1 switches the
defaults to a fast smoke run (same workloads, fewer iterations, smaller data).
"""

import os
from dataclasses import dataclass, field, fields

# (full default, quick default) per setting.
DEFAULTS = {
    "iterations": (15, 3),  # run --rm, run -d + wait, start + stop, ps -a
    "ps_total": (100, 20),  # containers present for ps -a
    "ps_running": (20, 5),  # of which running (also the memory sample)
    "log_lines": (2_000_000, 200_000),
    "log_iterations": (3, 1),
    "pull_mb": (320, 48),  # random payload of the pull image, MiB
    "pull_layers": (4, 4),  # payload layers (plus the busybox base layer)
    "pull_iterations": (3, 1),
    "batch_size": (50, 10),  # containers started -d sequentially
    "batch_iterations": (2, 1),
    "many_size": (50, 50),  # running containers stopped / removed at once
    "many_iterations": (3, 1),
}

ALL_WORKLOADS = ("run_rm", "run_steps", "run_rm_bridge", "run_publish_http", "run_d_wait", "start_stop",
                 "exec", "log", "logs_follow", "ps_memory", "batch", "stop_rm_many",
                 "play_kube", "pull", "api")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"bench: {name}={raw!r} is not an integer") from None
    if value < 1:
        raise SystemExit(f"bench: {name} must be at least 1")
    return value


@dataclass
class Settings:
    quick: bool
    iterations: int
    ps_total: int
    ps_running: int
    log_lines: int
    log_iterations: int
    pull_mb: int
    pull_layers: int
    pull_iterations: int
    batch_size: int
    batch_iterations: int
    many_size: int
    many_iterations: int
    workloads: tuple = field(default=ALL_WORKLOADS)
    results_dir: str = ""

    @classmethod
    def from_env(cls, repo: str) -> "Settings":
        quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
        values = {
            name: _env_int("BENCH_" + name.upper(), quick_default if quick else full)
            for name, (full, quick_default) in DEFAULTS.items()
        }
        if values["ps_running"] > values["ps_total"]:
            raise SystemExit("bench: BENCH_PS_RUNNING must not exceed BENCH_PS_TOTAL")
        only = os.environ.get("BENCH_ONLY", "")
        workloads = ALL_WORKLOADS
        if only:
            workloads = tuple(w.strip() for w in only.split(",") if w.strip())
            unknown = [w for w in workloads if w not in ALL_WORKLOADS]
            if unknown:
                raise SystemExit(
                    f"bench: unknown workload(s) in BENCH_ONLY: {', '.join(unknown)}; "
                    f"known: {', '.join(ALL_WORKLOADS)}"
                )
        results_dir = os.environ.get("BENCH_RESULTS") or os.path.join(repo, "bench", "results")
        return cls(quick=quick, workloads=workloads, results_dir=results_dir, **values)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "results_dir"}
