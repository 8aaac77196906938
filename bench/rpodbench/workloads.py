"""The workloads: one function each. Every function measures rpod and Podman (and
the bare-runc floor where it applies) alternately and returns table rows."""

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

from . import api, host, pullfloor, steps
from .measure import Result, alternating
from .settings import Settings
from .tools import CommandError, Floor, Tool, make_podman, make_rpod

LONG_SLEEP = "100000"  # seconds: "running" containers sleep this long
ATTEMPTS = 3  # a failed command is retried (and reported) this many times in all


@dataclass
class Bench:
    """Everything a workload needs."""

    settings: Settings
    work: str
    rpod: Tool
    podman: Tool
    floor: Floor
    image: str  # busybox, already pulled into both tools
    pull_image: str  # the large image, in the registry only
    pull_bytes: int  # its compressed layer bytes
    registries_conf: str
    rpod_bin_dir: str
    keep_pids: tuple  # long-lived helpers (the registry) the reaper must leave alone
    failures: list = field(default_factory=list)  # commands that failed and were retried

    @property
    def tools(self) -> list:
        return [self.rpod, self.podman]

    def loop(self, label: str, iterations: int, fns: dict, warmup: bool = True) -> None:
        """Calls every fns[name]() once per iteration, in alternating order. A warm-up
        round, not recorded, comes first. The functions record their own samples."""
        names = list(fns)
        if warmup:
            for name in names:
                self._attempt(label, name, fns[name], record=False)
        for i in range(iterations):
            for name in alternating(names, i):
                self._attempt(label, name, fns[name], record=True)
            host.reap_zombies(self.keep_pids)

    def _attempt(self, label: str, name: str, fn, record: bool) -> None:
        """Runs fn; a failing command is recorded in `failures` and the call retried,
        so one flaky run neither stops the benchmark nor goes unreported."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                fn(record=record)
                return
            except CommandError as e:
                self.failures.append(f"{label} ({name}): {e}")
                if attempt == ATTEMPTS:
                    raise

    def setup_run(self, tool: Tool, name: str, *args) -> str:
        """An untimed `run`/`create` of a container named `name`; a failure is recorded,
        the half-made container removed and the command retried."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return tool.run(args[0], "--name", name, *args[1:]).strip()
            except CommandError as e:
                self.failures.append(f"setup ({tool.name}): {e}")
                if attempt == ATTEMPTS:
                    raise
                tool.run("rm", "-f", "-t", "0", "--ignore", name)
        return ""

    def clean(self) -> None:
        for tool in self.tools:
            tool.remove_all()
        host.reap_zombies(self.keep_pids)


def _run_args(b: Bench, *cmd) -> list:
    return ["--network", "none", b.image, *cmd]


def run_rm(b: Bench) -> list:
    """`run --rm --network none IMG true`, and two floors: `runc run` of the bundle on
    a plain directory, and on a freshly mounted overlay of the image layer (mount,
    run, unmount, the work no engine can skip)."""
    r = Result("run_rm", "run --rm --network none IMG true", "ms", 1000,
               goal="≤ 0.3× podman", max_vs_podman=0.3)
    ovl = Result("run_rm_overlay", "  against the overlay floor", "ms", 1000,
                 goal="≤ 1.3× overlay floor", max_vs_floor=1.3)
    bare = Result("run_rm_no_seccomp", "  runc run without the seccomp filter", "ms", 1000)

    def engine(tool):
        def fn(record):
            t, _ = tool.timed("run", "--rm", *_run_args(b, "true"))
            if record:
                r.tool(tool.name).add(t)
                if tool.name == "rpod":
                    ovl.tool("rpod").add(t)
        return fn

    def floor(record):
        t = b.floor.run(["true"])
        if record:
            r.tool("floor").add(t)

    def overlay_floor(record):
        t = b.floor.run_overlay(["true"])
        if record:
            ovl.tool("floor").add(t)

    def floor_without_seccomp(record):
        t = b.floor.run(["true"], seccomp=False)
        if record:
            bare.tool("floor").add(t)

    b.loop("run --rm", b.settings.iterations,
           {"rpod": engine(b.rpod), "podman": engine(b.podman), "floor": floor,
            "overlay floor": overlay_floor, "floor without seccomp": floor_without_seccomp})
    bare.note = _seccomp_share(r, bare)
    return [r, ovl, bare]


def _seccomp_share(row: Result, without: Result) -> str:
    """What the seccomp filter costs the floor: runc compiles the spec's filter
    (libseccomp) in its init process at every run and every exec."""
    with_filter = row.summaries().get("floor", {}).get("median")
    without_filter = without.summaries().get("floor", {}).get("median")
    if not with_filter or not without_filter:
        return ""
    return (f"the same floor without the spec's seccomp filter; runc compiling the "
            f"filter is {with_filter - without_filter:.1f} ms of the floor's "
            f"{with_filter:.1f} ms (diagnostic: rpod and Podman both apply the filter)")


def run_steps(b: Bench) -> list:
    """Where the time of rpod's `run --rm --network none IMG true` goes: one row per
    step, from a kernel trace of process forks, execs and exits (no ptrace)."""
    runs = steps.profile(b.rpod.argv("run", "--rm", *_run_args(b, "true")), b.rpod.env,
                         b.settings.iterations)
    if not runs:
        raise RuntimeError("run --rm steps: no run could be followed in the trace")
    rows = []
    for i, step in enumerate(runs[0]):
        r = Result(f"step{i}", f"  step: {step}", "ms", 1000)
        for run in runs:
            r.tool("rpod").add(run[step])
        rows.append(r)
    rows[0].note = f"{len(runs)} runs traced"
    return rows


def run_rm_bridge(b: Bench) -> list:
    """`run --rm IMG true` on each engine's default bridge network (netavark: a
    veth on the bridge, an address, firewall rules, all torn down again)."""
    r = Result("run_rm_bridge", "run --rm IMG true (default bridge; floor: netavark setup, "
               "runc run, netavark teardown)", "ms", 1000,
               goal="≤ 0.4× podman", max_vs_podman=0.4)

    def engine(tool):
        def fn(record):
            t, _ = tool.timed("run", "--rm", b.image, "true")
            if record:
                r.tool(tool.name).add(t)
        return fn

    def floor(record):
        t = b.floor.run_bridged(["true"])
        if record:
            r.tool("floor").add(t)

    b.loop("run --rm (bridge)", b.settings.iterations,
           {**{t.name: engine(t) for t in b.tools}, "floor": floor})
    return [r]


HTTPD = "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www"


def _first_http_answer(port: int) -> bool:
    """One `GET /` on 127.0.0.1:port; True once the server answers 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return s.recv(64).split(b"\r\n")[0].endswith(b" 200 OK")
    except OSError:
        return False


def run_publish_http(b: Bench) -> list:
    """`run -d -p 127.0.0.1:PORT:80 IMG httpd` until the first HTTP answer through
    the published port (polled from the host); the removal is not timed."""
    r = Result("run_publish_http", "run -d -p … httpd + first HTTP answer (floor: netavark "
               "setup with the port, runc run -d, first HTTP answer)", "ms", 1000,
               goal="≤ 0.4× podman", max_vs_podman=0.4)

    def engine(tool):
        def fn(record):
            port = host.free_port()
            start = time.perf_counter()
            cid = tool.run("run", "-d", "-p", f"127.0.0.1:{port}:80", b.image,
                           "sh", "-c", HTTPD).strip()
            deadline = start + 30
            while not _first_http_answer(port):
                if time.perf_counter() > deadline:
                    tool.run("rm", "-f", "-t", "0", cid)
                    raise CommandError(f"{tool.name}: no HTTP answer on port {port} in 30 s")
                time.sleep(0.002)
            t = time.perf_counter() - start
            if record:
                r.tool(tool.name).add(t)
            tool.run("rm", "-f", "-t", "0", cid)
        return fn

    def floor(record):
        port = host.free_port()
        t = b.floor.publish_http(["sh", "-c", HTTPD], port, lambda: _first_http_answer(port))
        if record:
            r.tool("floor").add(t)

    b.loop("run -d -p + HTTP", b.settings.iterations,
           {**{t.name: engine(t) for t in b.tools}, "floor": floor})
    return [r]


def run_d_wait(b: Bench) -> list:
    """`run -d --network none IMG true` then `wait`; the removal is not timed."""
    r = Result("run_d_wait", "run -d … true + wait", "ms", 1000)

    def engine(tool):
        def fn(record):
            t1, out = tool.timed("run", "-d", *_run_args(b, "true"), stdout=subprocess.PIPE)
            cid = out.strip()
            t2, code = tool.timed("wait", cid, stdout=subprocess.PIPE)
            if code.strip() != "0":
                raise RuntimeError(f"{tool.name} wait {cid}: exit code {code.strip()!r}")
            if record:
                r.tool(tool.name).add(t1 + t2)
            tool.run("rm", cid)
        return fn

    b.loop("run -d + wait", b.settings.iterations, {t.name: engine(t) for t in b.tools})
    return [r]


def start_stop(b: Bench) -> list:
    """`start` + `stop -t 0` of an existing container (created once, sleeping)."""
    both = Result("start_stop", "start + stop -t 0", "ms", 1000, goal="≤ 0.35× podman",
                  max_vs_podman=0.35)
    start = Result("start", "  of which start", "ms", 1000)
    stop = Result("stop", "  of which stop -t 0", "ms", 1000)
    cids = {t.name: b.setup_run(t, "startstop", "create", *_run_args(b, "sleep", LONG_SLEEP))
            for t in b.tools}

    def engine(tool):
        def fn(record):
            t1, _ = tool.timed("start", cids[tool.name])
            t2, _ = tool.timed("stop", "-t", "0", cids[tool.name])
            if record:
                both.tool(tool.name).add(t1 + t2)
                start.tool(tool.name).add(t1)
                stop.tool(tool.name).add(t2)
        return fn

    b.loop("start + stop", b.settings.iterations, {t.name: engine(t) for t in b.tools})
    b.clean()
    return [both, start, stop]


def _count_lines_of(argv: list, env: dict) -> int:
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True)
    return proc.stdout.count(b"\n")


def log_path(b: Bench) -> list:
    """A container printing N lines: wall time from `run -d` to `wait` returning
    (through the monitor into the k8s-file log) vs bare runc writing to a file;
    then `logs` of those N lines (to /dev/null)."""
    n = b.settings.log_lines
    label = f"{n:,}".replace(",", " ")
    printing = Result("log_print", f"print {label} lines: run -d + wait", "s", 1,
                      goal="≤ 1.3× runc", max_vs_floor=1.3)
    reading = Result("logs", f"logs of {label} lines", "s", 1)
    floor_out = os.path.join(b.work, "floor-stdout")
    last = {}

    def engine(tool):
        def fn(record):
            t1, out = tool.timed("run", "-d", *_run_args(b, "seq", str(n)), stdout=subprocess.PIPE)
            cid = out.strip()
            t2, _ = tool.timed("wait", cid)
            t3, _ = tool.timed("logs", cid)
            if record:
                printing.tool(tool.name).add(t1 + t2)
                reading.tool(tool.name).add(t3)
            if tool.name in last:
                tool.run("rm", last[tool.name])
            last[tool.name] = cid
        return fn

    def floor(record):
        t = b.floor.run(["seq", str(n)], stdout_path=floor_out)
        if record:
            printing.tool("floor").add(t)

    b.loop("log", b.settings.log_iterations,
           {"rpod": engine(b.rpod), "podman": engine(b.podman), "floor": floor}, warmup=False)
    # The output is complete everywhere (checked outside the timed runs).
    for tool in b.tools:
        got = _count_lines_of(tool.argv("logs", last[tool.name]), tool.env)
        if got != n:
            raise RuntimeError(f"{tool.name} logs: {got} lines, expected {n}")
    with open(floor_out, "rb") as f:
        if sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) != n:
            raise RuntimeError("runc floor: incomplete output")
    os.unlink(floor_out)
    b.clean()
    return [printing, reading]


def ps_memory(b: Bench) -> list:
    """`ps -a` with ps_total containers of which ps_running run (the others half
    exited, half created); then RSS and PSS of each running container's monitor
    (pod-monitor vs conmon)."""
    s = b.settings
    ps = Result("ps", f"ps -a ({s.ps_total} containers, {s.ps_running} running)", "ms", 1000,
                goal="≤ 0.2× podman", max_vs_podman=0.2)
    rss = Result("rss", "monitor RSS per running container", "KiB", 1,
                 goal="< podman (conmon)", max_vs_podman=1.0)
    pss = Result("pss", "monitor PSS per running container", "KiB", 1,
                 goal="< podman (conmon)", max_vs_podman=1.0)
    exited = (s.ps_total - s.ps_running) // 2
    created = s.ps_total - s.ps_running - exited
    for tool in b.tools:
        for i in range(s.ps_running):
            b.setup_run(tool, f"up{i}", "run", "-d", *_run_args(b, "sleep", LONG_SLEEP))
        done = [b.setup_run(tool, f"ex{i}", "run", "-d", *_run_args(b, "true"))
                for i in range(exited)]
        for i in range(created):
            b.setup_run(tool, f"cr{i}", "create", *_run_args(b, "true"))
        if done:
            tool.run("wait", *done)
        host.reap_zombies(b.keep_pids)
        lines = tool.run("ps", "-a").count("\n")
        if lines != s.ps_total + 1:
            raise RuntimeError(f"{tool.name} ps -a: {lines} lines, expected {s.ps_total + 1}")

    def engine(tool):
        def fn(record):
            t, _ = tool.timed("ps", "-a")
            if record:
                ps.tool(tool.name).add(t)
        return fn

    b.loop("ps -a", s.iterations, {t.name: engine(t) for t in b.tools})

    markers = {"rpod": b.rpod.base[b.rpod.base.index("--runroot") + 1],
               "podman": b.podman.base[b.podman.base.index("--root") + 1]}
    for tool in b.tools:
        pids = host.monitor_pids(tool.monitor, markers[tool.name])
        if len(pids) != s.ps_running:
            raise RuntimeError(f"{tool.name}: found {len(pids)} {tool.monitor} processes, "
                               f"expected {s.ps_running}")
        for pid in pids:
            r, p = host.rss_pss_kib(pid)
            rss.tool(tool.name).add(r)
            pss.tool(tool.name).add(p)
    b.clean()
    return [ps, rss, pss]


def batch(b: Bench) -> list:
    """batch_size containers started `run -d` one after the other (total time), from
    an empty container list; removal afterwards is not timed."""
    s = b.settings
    total = Result("batch", f"{s.batch_size} × run -d, sequential (total)", "s", 1)
    per = {t.name: [] for t in b.tools}

    def engine(tool):
        def fn(record):
            tool.remove_all()
            times = [tool.timed("run", "-d", *_run_args(b, "sleep", LONG_SLEEP))[0]
                     for _ in range(s.batch_size)]
            if record:
                total.tool(tool.name).add(sum(times))
                per[tool.name].append(times)
            tool.remove_all()
            host.reap_zombies(b.keep_pids)
        return fn

    b.loop("batch", s.batch_iterations, {t.name: engine(t) for t in b.tools}, warmup=False)
    k = max(1, s.batch_size // 5)
    notes = []
    for name, runs in per.items():
        first = sorted(t for times in runs for t in times[:k])
        last = sorted(t for times in runs for t in times[-k:])
        notes.append(f"{name}: first {k} median {first[len(first) // 2] * 1000:.0f} ms, "
                     f"last {k} median {last[len(last) // 2] * 1000:.0f} ms")
    total.note = "; ".join(notes)
    return [total]


def exec_true(b: Bench) -> list:
    """`exec CID true` in a running container; the floor is `runc exec` into a
    running bare-runc container of the same bundle."""
    r = Result("exec", "exec CID true (running container)", "ms", 1000,
               goal="≤ 0.25× podman", max_vs_podman=0.25)
    cids = {t.name: b.setup_run(t, "execme", "run", "-d", *_run_args(b, "sleep", LONG_SLEEP))
            for t in b.tools}
    bare = Result("exec_no_seccomp", "  runc exec without the seccomp filter", "ms", 1000)
    floor_cid = b.floor.start_detached(["sleep", LONG_SLEEP])
    bare_cid = b.floor.start_detached(["sleep", LONG_SLEEP], seccomp=False)

    def engine(tool):
        def fn(record):
            t, _ = tool.timed("exec", cids[tool.name], "true")
            if record:
                r.tool(tool.name).add(t)
        return fn

    def floor(record):
        t = b.floor.exec(floor_cid, ["true"])
        if record:
            r.tool("floor").add(t)

    def floor_without_seccomp(record):
        t = b.floor.exec(bare_cid, ["true"])
        if record:
            bare.tool("floor").add(t)

    try:
        b.loop("exec", b.settings.iterations,
               {**{t.name: engine(t) for t in b.tools}, "floor": floor,
                "floor without seccomp": floor_without_seccomp})
    finally:
        b.floor.remove(floor_cid)
        b.floor.remove(bare_cid)
        b.clean()
    bare.note = _seccomp_share(r, bare)
    return [r, bare]


# Echoes every line written into the FIFO mounted at /f/in (reopened at each EOF).
FIFO_ECHO = ["sh", "-c", "while true; do while read l; do echo \"$l\"; done < /f/in; done"]


def logs_follow(b: Bench) -> list:
    """`logs -f` latency: a line written (by the host, into a FIFO the container
    reads) until `logs -f` prints it: through the container, its monitor, the log
    file and the follower. Each engine's container has a FIFO of its own."""
    r = Result("logs_follow", "logs -f: line written → printed", "ms", 1000,
               goal="≤ 0.5× podman", max_vs_podman=0.5)
    fifos = {}
    followers = {}
    seq = [0]
    try:
        for tool in b.tools:
            fifo_dir = os.path.join(b.work, "fifo-" + tool.name)
            os.makedirs(fifo_dir, exist_ok=True)
            fifos[tool.name] = os.path.join(fifo_dir, "in")
            if not os.path.exists(fifos[tool.name]):
                os.mkfifo(fifos[tool.name])
            cid = b.setup_run(tool, "follow", "run", "-d", "-v", f"{fifo_dir}:/f",
                              *_run_args(b, *FIFO_ECHO))
            followers[tool.name] = subprocess.Popen(
                tool.argv("logs", "-f", cid), env=tool.env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

        def engine(tool):
            def fn(record):
                seq[0] += 1
                line = f"mark-{seq[0]}"
                proc = followers[tool.name]
                start = time.perf_counter()
                with open(fifos[tool.name], "w") as f:
                    f.write(line + "\n")
                while True:
                    got = proc.stdout.readline()
                    if not got:
                        raise CommandError(f"{tool.name} logs -f ended")
                    if got.decode(errors="replace").strip() == line:
                        break
                t = time.perf_counter() - start
                if record:
                    r.tool(tool.name).add(t)
            return fn

        b.loop("logs -f", b.settings.iterations, {t.name: engine(t) for t in b.tools})
    finally:
        for proc in followers.values():
            proc.kill()
            proc.wait()
        b.clean()
    return [r]


KUBE_POD = """apiVersion: v1
kind: Pod
metadata:
  name: benchpod
spec:
  containers:
  - name: main
    image: {image}
    command: {command}
"""


def play_kube(b: Bench) -> list:
    """`play kube` of a one-container pod (pod, infra and container created and
    started); the `play kube --down` after it is timed apart."""
    up = Result("play_kube", "play kube (1 pod, 1 container)", "ms", 1000,
                goal="≤ 0.5× podman", max_vs_podman=0.5)
    down = Result("play_kube_down", "play kube --down of it", "ms", 1000,
                  goal="≤ 0.5× podman", max_vs_podman=0.5)
    yaml = os.path.join(b.work, "benchpod.yaml")
    with open(yaml, "w") as f:
        f.write(KUBE_POD.format(image=b.image, command=json.dumps(TERM_EXITS)))

    def engine(tool):
        def fn(record):
            t1, _ = tool.timed("play", "kube", "--network", "none", yaml)
            t2, _ = tool.timed("play", "kube", "--down", yaml)
            if record:
                up.tool(tool.name).add(t1)
                down.tool(tool.name).add(t2)
            host.reap_zombies(b.keep_pids)
        return fn

    try:
        b.loop("play kube", b.settings.iterations, {t.name: engine(t) for t in b.tools})
    finally:
        for tool in b.tools:
            subprocess.run(tool.argv("pod", "rm", "-af", "-t", "0"), env=tool.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        b.clean()
    return [up, down]


# A container that ends at once on SIGTERM (sh as PID 1 has no default action
# for it), so `rm -af` measures the engines, not their 10 s stop timeout.
TERM_EXITS = ["sh", "-c", "trap 'exit 0' TERM; sleep " + LONG_SLEEP + " & wait"]


def stop_rm_many(b: Bench) -> list:
    """`stop -a -t 0` of many_size running containers, then (all started again)
    `rm -af` of them. Podman runs both in parallel; so should rpod."""
    n = b.settings.many_size
    stop = Result("stop_all", f"stop -a -t 0 of {n} running containers", "s", 1)
    rm = Result("rm_all", f"rm -af of {n} running containers", "s", 1)
    names = [f"many{i}" for i in range(n)]

    def left(tool, *flags) -> int:
        return len(tool.run("ps", "-q", *flags).split())

    def engine(tool):
        def fn(record):
            tool.remove_all()
            for name in names:
                b.setup_run(tool, name, "run", "-d", *_run_args(b, *TERM_EXITS))
            t1, _ = tool.timed("stop", "-a", "-t", "0")
            if left(tool):
                raise RuntimeError(f"{tool.name} stop -a: {left(tool)} still running")
            tool.run("start", *names)
            if left(tool) != n:
                raise RuntimeError(f"{tool.name} start: {left(tool)} of {n} running")
            t2, _ = tool.timed("rm", "-a", "-f")
            if left(tool, "-a"):
                raise RuntimeError(f"{tool.name} rm -af: {left(tool, '-a')} left")
            if record:
                stop.tool(tool.name).add(t1)
                rm.tool(tool.name).add(t2)
            host.reap_zombies(b.keep_pids)
        return fn

    b.loop("stop -a / rm -af", b.settings.many_iterations,
           {t.name: engine(t) for t in b.tools}, warmup=False)
    b.clean()
    return [stop, rm]


def pull(b: Bench) -> list:
    """Pull of the large multi-layer image from the loopback registry into an empty
    store (a fresh root per run, deleted afterwards)."""
    s = b.settings
    mb = b.pull_bytes / 1e6
    # ≥ 80% of the floor's throughput is ≤ 1.25× its time
    took = Result("pull_time", f"pull {mb:.0f} MB, {s.pull_layers + 1} layers, empty store",
                  "s", 1, goal="≥ 80% of the floor's throughput", max_vs_floor=1.25)
    rate = Result("pull_rate", "  pull throughput", "MB/s", 1, goal="≥ 2× podman",
                  max_vs_podman=2.0, higher_is_better=True)
    seq = [0]

    def fresh(name):
        seq[0] += 1
        state = os.path.join(b.work, "p", str(seq[0]))
        if name == "rpod":
            return make_rpod(b.rpod_bin_dir, state, b.registries_conf), state
        return make_podman(state, b.registries_conf), state

    def engine(name):
        def fn(record):
            tool, state = fresh(name)
            t, _ = tool.timed("pull", b.pull_image)
            if record:
                took.tool(name).add(t)
                rate.tool(name).add(b.pull_bytes / t / 1e6)
            host.unmount_under(state)
            shutil.rmtree(state)
        return fn

    def floor(record):
        seq[0] += 1
        dest = os.path.join(b.work, "p", str(seq[0]))
        t = pullfloor.pull(b.pull_image, dest)
        if record:
            took.tool("floor").add(t)
            rate.tool("floor").add(b.pull_bytes / t / 1e6)
        shutil.rmtree(dest)

    b.loop("pull", s.pull_iterations,
           {"rpod": engine("rpod"), "podman": engine("podman"), "floor": floor},
           warmup=False)
    return [took, rate]


WORKLOADS = {
    "run_rm": run_rm,
    "run_steps": run_steps,
    "run_d_wait": run_d_wait,
    "run_rm_bridge": run_rm_bridge,
    "run_publish_http": run_publish_http,
    "start_stop": start_stop,
    "log": log_path,
    "ps_memory": ps_memory,
    "batch": batch,
    "stop_rm_many": stop_rm_many,
    "pull": pull,
    "exec": exec_true,
    "logs_follow": logs_follow,
    "play_kube": play_kube,
    "api": api.api,
}
