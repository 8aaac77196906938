#!/usr/bin/env python3
"""rpod vs Podman benchmark runner (`make bench`). See bench/README.md.

Runs as root, in a private mount namespace, with all state (both engines' stores, a
docker-registry on 127.0.0.1, images) in one temp directory removed at the end.
Writes bench/results/<date>.md and .json and prints the table.
"""

import sys

sys.dont_write_bytecode = True  # keep the source tree clean

import datetime
import os
import platform
import subprocess
import time
import traceback

from rpodbench import host, images, plots, report
from rpodbench.registry import Registry
from rpodbench.settings import Settings
from rpodbench.tools import Floor, make_podman, make_rpod
from rpodbench.workloads import WORKLOADS, Bench

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def rpod_bin_dir() -> str:
    bin_dir = os.environ.get("RPOD_BIN_DIR") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target"), "release")
    for name in ("rpod", "pod-monitor"):
        if not os.access(os.path.join(bin_dir, name), os.X_OK):
            raise SystemExit(f"bench: {bin_dir}/{name} not found; run `cargo build --release`")
    return os.path.abspath(bin_dir)


def git_commit() -> str:
    proc = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() or "unknown"


def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def setup(settings: Settings, work: str, bin_dir: str, registry: Registry) -> Bench:
    log("building the fixture images")
    busybox = images.build_fixtures(REPO, os.path.join(work, "images"))
    big = os.path.join(work, "images", "pull")
    log(f"building the pull image ({settings.pull_mb} MiB of random data in "
        f"{settings.pull_layers} layers)")
    pull_bytes = images.build_pull_image(busybox, big, settings.pull_mb, settings.pull_layers)
    registry.start()
    log(f"registry on {registry.addr}; pushing")
    image = registry.push(busybox, "bench/busybox")
    pull_image = registry.push(big, "bench/big")
    conf = registry.registries_conf(os.path.join(work, "registries.conf"))

    rpod = make_rpod(bin_dir, os.path.join(work, "rpod"), conf)
    podman = make_podman(os.path.join(work, "podman"), conf)
    for tool in (rpod, podman):
        tool.run("pull", image)
    floor = Floor(work)
    floor.prepare(rpod, image, images.base_layer(busybox))
    return Bench(settings=settings, work=work, rpod=rpod, podman=podman, floor=floor,
                 image=image, pull_image=pull_image, pull_bytes=pull_bytes,
                 registries_conf=conf, rpod_bin_dir=bin_dir,
                 keep_pids=(registry.proc.pid,))


def metadata(settings: Settings, bench: Bench, started: float, load_before: str) -> dict:
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "host": f"{platform.node()}, Linux {platform.release()}, {os.cpu_count()} CPUs "
                f"({cpu_model()}), {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') >> 30} GiB",
        "load average before / after": f"{load_before} / {host.load_average()}",
        "rpod": f"{bench.rpod.version()} (commit {git_commit()}, "
                f"{os.environ.get('RPOD_BUILD') or 'release'} build)",
        "podman": bench.podman.version(),
        "conmon": subprocess.run(["conmon", "--version"], capture_output=True, text=True,
                                 check=False).stdout.splitlines()[0],
        "runtime": bench.floor.version(),
        "podman config": "runc, cgroupfs, events file, k8s-file logs, overlay, "
                         "ulimits at the host's hard limits, private temp root",
        "mode": "quick (BENCH_QUICK=1)" if settings.quick else "full",
        "settings": settings.as_dict(),
        "duration": f"{time.monotonic() - started:.0f} s",
    }


def main() -> int:
    host.require_root()
    settings = Settings.from_env(REPO)
    bin_dir = rpod_bin_dir()
    work, created_dirs = host.enter("rpod-bench.")
    started = time.monotonic()
    load_before = host.load_average()
    registry = Registry(work)
    bench = None
    try:
        bench = setup(settings, work, bin_dir, registry)
        results = []
        for name in settings.workloads:
            log(f"workload {name}")
            results += WORKLOADS[name](bench)
        meta = metadata(settings, bench, started, load_before)
        stem = datetime.date.today().isoformat() + ("-quick" if settings.quick else "")
        text, md_path, json_path = report.write(
            settings.results_dir, stem, meta, results, bench.failures)
        chart = plots.ratio_bars(results, plots.chart_path(settings.results_dir, stem),
                                 f"rpod against Podman and the floor — {meta['date']} "
                                 f"(load {meta['load average before / after']})")
        print(text)
        log(f"wrote {md_path}, {json_path} and {chart}")
        return 0
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        log("cleaning up")
        host.teardown(bench.tools if bench is not None else [], registry, work, created_dirs,
                      timeout=300)


if __name__ == "__main__":
    sys.exit(main())
