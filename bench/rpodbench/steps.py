#!/usr/bin/env python3
"""Per-step profile of `rpod run --rm --network none IMG true` from the kernel's
process tracepoints (`perf record -a -e sched:sched_process_{fork,exec,exit}`): no
ptrace, so the timings are the run's own. The step boundaries are the execs and exits
of the processes of one run (the foreground rpod and its descendants: the monitor,
`runc run` in the foreground, which deletes the container's state itself as it exits
(before 2026-12-05 22:00: `runc run --detach` then `runc delete`; before that day
`runc create`, `runc start` and `runc delete`), the container's process)."""

import os
import re
import signal
import subprocess
import tempfile
import time

EVENTS = "sched:sched_process_fork,sched:sched_process_exec,sched:sched_process_exit"
LINE = re.compile(r"^\s*(?P<comm>.+?)\s+(?P<pid>\d+)\s+\[\d+\]\s+(?P<ts>[\d.]+):\s+"
                  r"sched:(?P<ev>sched_process_\w+):\s+(?P<rest>.*)$")


def parse(path: str) -> list:
    out = subprocess.run(["perf", "script", "-i", path], capture_output=True, text=True,
                         check=True).stdout
    events = []
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        rest = m["rest"]
        ev = {"ts": float(m["ts"]), "pid": int(m["pid"]), "ev": m["ev"], "comm": m["comm"]}
        if ev["ev"] == "sched_process_fork":
            kv = dict(re.findall(r"(\w+)=(\S+)", rest))
            ev["parent"], ev["child"] = int(kv["pid"]), int(kv["child_pid"])
        elif ev["ev"] == "sched_process_exec":
            ev["file"] = re.search(r"filename=(\S+)", rest)[1]
        elif ev["ev"] == "sched_process_exit":
            ev["exit_comm"] = re.search(r"comm=(\S+)", rest)[1]
        events.append(ev)
    return events


def steps_of(events: list, root: int) -> dict:
    """The step boundaries of one run whose foreground rpod has pid `root`."""
    tree, execs, exits = {root}, [], {}
    for ev in events:
        if ev["ev"] == "sched_process_fork" and ev["parent"] in tree:
            tree.add(ev["child"])
        elif ev["ev"] == "sched_process_exec" and ev["pid"] in tree:
            execs.append(ev)
        elif ev["ev"] == "sched_process_exit" and ev["pid"] in tree:
            exits.setdefault(ev["pid"], ev["ts"])
    first = lambda pred: next((e for e in execs if pred(e)), None)  # noqa: E731
    rpod = first(lambda e: e["pid"] == root)
    monitor = first(lambda e: e["file"].endswith("pod-monitor"))
    runcs = [e for e in execs if os.path.basename(e["file"]) == "runc"]
    true = first(lambda e: e["file"].endswith("/true"))
    if not (rpod and monitor and true and runcs):
        return {}
    end = lambda e: exits.get(e["pid"], e["ts"])  # noqa: E731
    if len(runcs) == 1:
        # `runc run` in the foreground: it waits for the process, then deletes
        # the state (and cgroup) and exits; no `runc delete` follows.
        run = runcs[0]
        return {
            "rpod start → monitor exec": monitor["ts"] - rpod["ts"],
            "monitor exec → runc run exec": run["ts"] - monitor["ts"],
            "runc run exec → process exec": true["ts"] - run["ts"],
            "process exit → runc run exit (its delete)": end(run) - exits.get(true["pid"], end(run)),
            "runc run exit → rpod exit": exits.get(root, 0) - end(run),
            "total": exits.get(root, 0) - rpod["ts"],
        }
    delete = runcs[-1]
    if len(runcs) == 2:
        # One runtime invocation (`runc run --detach`) creates and starts.
        run = runcs[0]
        head = {
            "monitor exec → runc run exec": run["ts"] - monitor["ts"],
            "runc run exec → process exec": true["ts"] - run["ts"],
            "runc run (create + start)": end(run) - run["ts"],
        }
    else:
        create, start = runcs[0], runcs[1]
        head = {
            "monitor exec → runc create exec": create["ts"] - monitor["ts"],
            "runc create": end(create) - create["ts"],
            "runc create exit → runc start exec": start["ts"] - exits.get(create["pid"], start["ts"]),
            "runc start exec → process exec": true["ts"] - start["ts"],
        }
    return {
        "rpod start → monitor exec": monitor["ts"] - rpod["ts"],
        **head,
        "process exit → runc delete exec": delete["ts"] - exits.get(true["pid"], delete["ts"]),
        "runc delete": end(delete) - delete["ts"],
        "runc delete exit → rpod exit": exits.get(root, 0) - exits.get(delete["pid"], 0),
        "total": exits.get(root, 0) - rpod["ts"],
    }


def profile(argv: list, env: dict, runs: int) -> list:
    """Runs `argv` (a `run --rm … true`) `runs` times under `perf record -a`; returns
    the step times (seconds) of each run that could be followed whole."""
    with tempfile.TemporaryDirectory(prefix="rpod-steps.") as tmp:
        data = os.path.join(tmp, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-q", "-a", "-e", EVENTS, "-o", data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # perf records once its buffers are mapped
        roots = []
        try:
            for _ in range(runs):
                p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                roots.append(p.pid)
                if p.wait() != 0:
                    raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}")
            time.sleep(0.5)
        finally:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        events = parse(data)
    return [s for s in (steps_of(events, r) for r in roots) if s]
