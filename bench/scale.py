#!/usr/bin/env python3
"""rpod vs Podman at scale (`make bench-scale`). See bench/README.md.

Same isolation as bench/run.py (private mount namespace, subreaper, one temp
directory, a loopback registry); writes bench/results/<date>-scale.md, .json and
.png (the curves) and prints the table.
"""

import sys

sys.dont_write_bytecode = True  # keep the source tree clean

import datetime
import json
import os
import time
import traceback

from rpodbench import host, images, plots
from rpodbench.registry import Registry
from rpodbench.scale import Scale, ScaleSettings
from rpodbench.tools import make_podman, make_rpod
from run import REPO, cpu_model, git_commit, log, rpod_bin_dir


def main() -> int:
    host.require_root()
    settings = ScaleSettings.from_env()
    results_dir = os.environ.get("BENCH_RESULTS") or os.path.join(REPO, "bench", "results")
    bin_dir = rpod_bin_dir()
    work, created_dirs = host.enter("rpod-scale.")
    started = time.monotonic()
    load_before = host.load_average()
    registry = Registry(work)
    tools = []
    try:
        busybox = images.build_fixtures(REPO, os.path.join(work, "images"))
        registry.start()
        image = registry.push(busybox, "bench/busybox")
        conf = registry.registries_conf(os.path.join(work, "registries.conf"))
        rpod = make_rpod(bin_dir, os.path.join(work, "rpod"), conf)
        podman = make_podman(os.path.join(work, "podman"), conf)
        tools = [rpod, podman]
        for tool in tools:
            tool.run("pull", image)
        markers = {"rpod": rpod.base[rpod.base.index("--runroot") + 1],
                   "podman": podman.base[podman.base.index("--root") + 1]}
        scale = Scale(settings, tools, image, markers, keep=(registry.proc.pid,))
        scale.run(log)
        meta = {
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "host": f"Linux {os.uname().release}, {os.cpu_count()} CPUs ({cpu_model()})",
            "load average before / after": f"{load_before} / {host.load_average()}",
            "rpod": f"{rpod.version()} (commit {git_commit()}, "
                    f"{os.environ.get('RPOD_BUILD') or 'release'} build)",
            "podman": podman.version(),
            "settings": f"N = {', '.join(map(str, settings.ns))}; repeat {settings.repeat}; "
                        f"images {settings.images}"
                        + (f"; only {', '.join(sorted(settings.only))}" if settings.only else ""),
            "duration": f"{time.monotonic() - started:.0f} s",
        }
        stem = datetime.date.today().isoformat() + "-scale"
        if settings.only:
            stem += "-partial"
        os.makedirs(results_dir, exist_ok=True)
        if os.path.exists(os.path.join(results_dir, stem + ".md")):
            # An earlier run of the day stays: this one is told by its time.
            stem += datetime.datetime.now().strftime("-%H%M")
        text = scale.markdown(meta)
        chart = plots.scale_curves(scale.curves(), plots.chart_path(results_dir, stem),
                                   f"rpod vs Podman at scale — {meta['date']} "
                                   f"(load {meta['load average before / after']})")
        with open(os.path.join(results_dir, stem + ".md"), "w") as f:
            f.write(text.replace("## Setup", f"![curves]({os.path.basename(chart)})\n\n## Setup"))
        with open(os.path.join(results_dir, stem + ".json"), "w") as f:
            json.dump({"meta": meta, **scale.as_dict()}, f, indent=2)
            f.write("\n")
    except Exception:
        traceback.print_exc()
        text = ""
    finally:
        log("cleaning up")
        host.teardown(tools, registry, work, created_dirs, timeout=900)
    if not text:
        return 1
    print(text)
    log(f"wrote {results_dir}/{stem}.md, .json and .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
