"""The engines under test (rpod, Podman) and the floor (bare runc), each with its
own private state under the benchmark's work directory."""

import json
import os
import resource
import select
import shutil
import subprocess
import tempfile
import time

COMMAND_TIMEOUT = 600
# netavark where Debian's podman packages install it (Podman's helper_binaries_dir)
NETAVARK = next((p for p in ("/usr/libexec/podman/netavark", "/usr/lib/podman/netavark")
                 if os.access(p, os.X_OK)), "netavark")

# Podman 4.3 lowers its own RLIMIT_NPROC to this at startup; the containers it starts
# inherit it as their ceiling, so a default nproc above it makes runc fail with EPERM.
PODMAN_OWN_NPROC = 32768


class CommandError(RuntimeError):
    pass


def run_without_pipes(argv: list, stderr, timeout: float = COMMAND_TIMEOUT) -> int:
    """Runs argv (stdin and stdout /dev/null, stderr to `stderr`) and returns its exit
    status as soon as it exits. With no pipe to read, `subprocess.run(timeout=...)`
    waits by polling with growing sleeps (0.5, 1, 2, ... 50 ms), which rounds a 45 ms
    command up to 64 ms; this waits on a pidfd instead."""
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=stderr) as proc:
        pidfd = os.pidfd_open(proc.pid)
        try:
            exited, _, _ = select.select([pidfd], [], [], timeout)
        finally:
            os.close(pidfd)
        if not exited:
            proc.kill()
            proc.wait()
            raise CommandError(f"{' '.join(argv)}: no exit after {timeout} s")
        return proc.wait()


def _empty_auth_file(state: str) -> str:
    """An auth file of the tool's own (Podman refuses a REGISTRY_AUTH_FILE that does
    not exist), so no user credentials are read."""
    path = os.path.join(state, "auth.json")
    with open(path, "w") as f:
        f.write('{"auths": {}}\n')
    return path


class Tool:
    """One engine: its executable with global flags and its environment."""

    def __init__(self, name: str, base: list, env: dict, monitor: str):
        self.name = name
        self.base = base
        self.env = env
        self.monitor = monitor  # basename of its per-container monitor process

    def argv(self, *args) -> list:
        return [*self.base, *args]

    def run(self, *args, stdout=subprocess.PIPE) -> str:
        """Runs a command to completion; returns its stdout (text); raises on failure."""
        proc = subprocess.run(self.argv(*args), env=self.env, stdin=subprocess.DEVNULL,
                              stdout=stdout, stderr=subprocess.PIPE,
                              timeout=COMMAND_TIMEOUT, check=False)
        if proc.returncode != 0:
            raise CommandError(f"{self.name} {' '.join(args)}: exit {proc.returncode}: "
                               f"{proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout.decode(errors="replace") if proc.stdout is not None else ""

    def timed(self, *args, stdout=subprocess.DEVNULL) -> tuple:
        """Runs a command; returns (wall seconds, stdout text). Raises on failure."""
        start = time.perf_counter()
        out = self.run(*args, stdout=stdout)
        return time.perf_counter() - start, out

    def remove_all(self) -> None:
        self.run("rm", "-a", "-f", "-t", "0", stdout=subprocess.DEVNULL)

    def version(self) -> str:
        return self.run("--version").strip()


def make_rpod(bin_dir: str, state: str, registries_conf: str) -> Tool:
    os.makedirs(state, exist_ok=True)
    env = dict(os.environ,
               RPOD_MONITOR=os.path.join(bin_dir, "pod-monitor"),
               CONTAINERS_REGISTRIES_CONF=registries_conf,
               REGISTRY_AUTH_FILE=_empty_auth_file(state))
    env.pop("RPOD_CONFIG", None)
    base = [os.path.join(bin_dir, "rpod"),
            "--config", os.path.join(state, "rpod.conf"),
            "--root", os.path.join(state, "root"),
            "--runroot", os.path.join(state, "run")]
    with open(os.path.join(state, "rpod.conf"), "w") as f:
        # Its own network definitions and default bridge (never another rpod's).
        f.write('[engine]\nruntime = "runc"\n'
                f'[network]\nnetwork_config_dir = "{state}/networks"\n'
                'default_interface = "rpbench0"\ndefault_subnet = "10.69.0.0/24"\n')
    return Tool("rpod", base, env, "pod-monitor")


def _podman_ulimits() -> list:
    """nofile and nproc at the host's hard limits (Podman's own defaults, 1048576 and
    above, exceed them on hosts like this one and runc then fails)."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = PODMAN_OWN_NPROC if nproc == resource.RLIM_INFINITY else min(nproc, PODMAN_OWN_NPROC)
    if nofile == resource.RLIM_INFINITY:
        nofile = 1048576
    return [f"nofile={nofile}:{nofile}", f"nproc={nproc}:{nproc}"]


def make_podman(state: str, registries_conf: str) -> Tool:
    """Podman with its own containers.conf and storage.conf under `state`: runc,
    cgroupfs, file events, k8s-file logs, ulimits within the host's hard limits;
    `state/s` holds root, run (runroot) and tmp; the paths are kept short because
    Podman refuses a runroot longer than 50 characters."""
    os.makedirs(state, exist_ok=True)
    root, runroot, tmp = (os.path.join(state, "s", d) for d in ("root", "run", "tmp"))
    containers_conf = os.path.join(state, "containers.conf")
    storage_conf = os.path.join(state, "storage.conf")
    ulimits = ", ".join(json.dumps(u) for u in _podman_ulimits())
    with open(containers_conf, "w") as f:
        f.write(
            "[containers]\n"
            f"default_ulimits = [{ulimits}]\n"
            'log_driver = "k8s-file"\n'
            "[engine]\n"
            'runtime = "runc"\n'
            'cgroup_manager = "cgroupfs"\n'
            'events_logger = "file"\n'
            f'events_logfile_path = "{state}/events.log"\n'
            f'tmp_dir = "{tmp}"\n'
            f'volume_path = "{state}/volumes"\n'
            "[network]\n"
            f'network_config_dir = "{state}/networks"\n'
        )
    with open(storage_conf, "w") as f:
        f.write(f'[storage]\ndriver = "overlay"\ngraphroot = "{root}"\nrunroot = "{runroot}"\n')
    env = dict(os.environ,
               CONTAINERS_CONF=containers_conf,
               CONTAINERS_STORAGE_CONF=storage_conf,
               CONTAINERS_REGISTRIES_CONF=registries_conf,
               REGISTRY_AUTH_FILE=_empty_auth_file(state))
    base = ["podman", "--root", root, "--runroot", runroot, "--tmpdir", tmp]
    return Tool("podman", base, env, "conmon")


class Floor:
    """Bare `runc run` of a bundle made from rpod's generated config.json with the
    image's root filesystem unpacked into a plain directory: no engine, no monitor."""

    def __init__(self, work: str):
        self.dir = os.path.join(work, "floor")
        self.state = os.path.join(self.dir, "runc-state")
        self.rootfs = os.path.join(self.dir, "rootfs")
        self.seq = 0

    def prepare(self, rpod: Tool, image: str, layer_blob: str) -> None:
        """Takes the OCI config rpod generates for `image` (a throw-away container) and
        points it at the unpacked layer."""
        os.makedirs(self.rootfs)
        os.makedirs(self.state)
        subprocess.run(["tar", "-xzf", layer_blob, "-C", self.rootfs, "--numeric-owner"],
                       check=True)
        cid = rpod.run("run", "-d", "--network", "none", image, "sleep", "1000").strip()
        with open(os.path.join(rpod.base[rpod.base.index("--runroot") + 1],
                               "containers", cid, "config.json")) as f:
            spec = json.load(f)
        rpod_dirs = [rpod.base[rpod.base.index(flag) + 1] for flag in ("--root", "--runroot")]
        for mount in spec.get("mounts", []):
            source = mount.get("source", "")
            if mount.get("type") != "bind" or not any(source.startswith(d) for d in rpod_dirs):
                continue
            if mount["destination"] == "/dev/shm":
                # rpod mounts the container's /dev/shm tmpfs in its run directory and binds
                # it in (so it can be shared); the bundle gets a tmpfs of its own instead
                mount.update(type="tmpfs", source="shm",
                             options=["nosuid", "noexec", "nodev", "mode=1777",
                                      "size=65536k"])
            elif os.path.isfile(source):
                # the generated files (/etc/hosts, /run/.containerenv, ...) live in rpod's
                # container directories, removed with the container: copy them
                copy = os.path.join(self.dir, "files", mount["destination"].lstrip("/"))
                os.makedirs(os.path.dirname(copy), exist_ok=True)
                shutil.copyfile(source, copy)
                mount["source"] = copy
        rpod.run("rm", "-f", "-t", "0", cid)
        spec["root"] = {"path": self.rootfs, "readonly": False}
        spec["linux"]["cgroupsPath"] = "/rpod-bench-floor"
        spec.pop("hooks", None)
        self.spec = spec

    def _bundle_spec(self, args: list, netns: str, seccomp: bool) -> dict:
        """The prepared spec with process.args = args, in the network namespace at
        `netns` if given, without the seccomp filter if not `seccomp` (a diagnostic:
        how much of the floor is runc compiling the filter)."""
        spec = dict(self.spec, process=dict(self.spec["process"], args=args))
        linux = dict(spec["linux"])
        if netns:
            linux["namespaces"] = [n for n in linux["namespaces"] if n["type"] != "network"]
            linux["namespaces"].append({"type": "network", "path": netns})
        if not seccomp:
            linux.pop("seccomp", None)
        spec["linux"] = linux
        return spec

    def run(self, args: list, stdout_path: str = "", netns: str = "", root: str = "",
            seccomp: bool = True) -> float:
        """`runc run` of the bundle with process.args = args; stdout to a file (or
        /dev/null); in the network namespace at `netns` if given. Returns wall
        seconds, including writing config.json."""
        self.seq += 1
        bundle = os.path.join(self.dir, "bundle")
        os.makedirs(bundle, exist_ok=True)
        spec = self._bundle_spec(args, netns, seccomp)
        if root:
            spec["root"] = {"path": root, "readonly": False}
        start = time.perf_counter()
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(spec, f)
        out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
        try:
            proc = subprocess.run(
                ["runc", "--root", self.state, "run", "--bundle", bundle, f"floor-{self.seq}"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
                timeout=COMMAND_TIMEOUT, check=False)
        finally:
            if stdout_path:
                out.close()
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise CommandError(f"runc run {args}: exit {proc.returncode}: "
                               f"{proc.stderr.decode(errors='replace').strip()}")
        return elapsed

    def _runc(self, *args) -> None:
        # stderr into a file, not a pipe: a detached container keeps the descriptor
        # open, and reading a pipe to its end would wait for the container.
        with tempfile.TemporaryFile() as err:
            status = run_without_pipes(["runc", "--root", self.state, *args], stderr=err)
            if status != 0:
                err.seek(0)
                raise CommandError(f"runc {' '.join(args)}: exit {status}: "
                                   f"{err.read().decode(errors='replace').strip()}")

    def start_detached(self, args: list, netns: str = "", seccomp: bool = True) -> str:
        """`runc run -d` of the bundle (stdio /dev/null), in the network namespace at
        `netns` if given; returns the container id."""
        self.seq += 1
        cid = f"floor-{self.seq}"
        bundle = os.path.join(self.dir, "bundle-" + cid)
        os.makedirs(bundle)
        spec = self._bundle_spec(args, netns, seccomp)
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(spec, f)
        self._runc("run", "-d", "--bundle", bundle, cid)
        return cid

    def exec(self, cid: str, args: list) -> float:
        """`runc exec` of args in a running floor container; wall seconds."""
        start = time.perf_counter()
        self._runc("exec", cid, *args)
        return time.perf_counter() - start

    def remove(self, cid: str) -> None:
        self._runc("delete", "--force", cid)
        shutil.rmtree(os.path.join(self.dir, "bundle-" + cid), ignore_errors=True)

    def run_overlay(self, args: list) -> float:
        """The overlay floor: an overlay mount of the unpacked image layer (lower) with
        a fresh upper and work directory, `runc run` of the bundle on it, unmount and
        removal of the upper directory: the work no engine using overlay can skip.
        Returns wall seconds of all of it."""
        self.seq += 1
        layer = os.path.join(self.dir, "ovl", str(self.seq))
        upper, work, merged = (os.path.join(layer, d) for d in ("upper", "work", "merged"))
        start = time.perf_counter()
        for d in (upper, work, merged):
            os.makedirs(d)
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir={self.rootfs},upperdir={upper},workdir={work}", merged],
                       check=True)
        try:
            self.run(args, root=merged)
        finally:
            subprocess.run(["umount", merged], check=True)
            shutil.rmtree(layer)
        return time.perf_counter() - start

    def run_bridged(self, args: list) -> float:
        """The bridge floor: `netavark setup` of a fresh network namespace on a
        bridge network (veth, address, firewall rules), `runc run` in it, `netavark
        teardown`: the work no engine driving netavark can skip. The namespace's
        creation and removal are not timed."""
        ns_name = f"rpbench-floor-{self.seq}"
        subprocess.run(["ip", "netns", "add", ns_name], check=True)
        netns = f"/run/netns/{ns_name}"
        try:
            start = time.perf_counter()
            self._netavark("setup", netns)
            self.run(args, netns=netns)
            self._netavark("teardown", netns)
            return time.perf_counter() - start
        finally:
            subprocess.run(["ip", "netns", "delete", ns_name], check=False)

    def publish_http(self, args: list, port: int, answered) -> float:
        """The publish floor: `netavark setup` of a fresh network namespace on the
        floor's bridge network with 127.0.0.1:port published to the container's port
        80 (veth, address, firewall and port-forwarding rules), `runc run -d` of the
        bundle in it, then `answered()` polled until it is true (the first HTTP
        answer through the published port). The container's removal and `netavark
        teardown` are not timed, as in the engines' row."""
        ns_name = f"rpbench-floor-{self.seq}"
        subprocess.run(["ip", "netns", "add", ns_name], check=True)
        netns = f"/run/netns/{ns_name}"
        ports = [{"host_ip": "127.0.0.1", "container_port": 80, "host_port": port,
                  "range": 1, "protocol": "tcp"}]
        cid = ""
        set_up = False
        try:
            start = time.perf_counter()
            self._netavark("setup", netns, ports)
            set_up = True
            cid = self.start_detached(args, netns=netns)
            deadline = start + 30
            while not answered():
                if time.perf_counter() > deadline:
                    raise CommandError(f"floor: no HTTP answer on port {port} in 30 s")
                time.sleep(0.002)
            return time.perf_counter() - start
        finally:
            if cid:
                self.remove(cid)
            if set_up:
                self._netavark("teardown", netns, ports)
            subprocess.run(["ip", "netns", "delete", ns_name], check=False)

    # the floor's own bridge network: a name, bridge and subnet no engine uses
    NETWORK = {
        "name": "rpbench-floor", "id": "f" * 64, "driver": "bridge",
        "network_interface": "rpbfloor0",
        "subnets": [{"subnet": "10.68.0.0/24", "gateway": "10.68.0.1"}],
        "ipv6_enabled": False, "internal": False, "dns_enabled": False,
        "ipam_options": {"driver": "host-local"},
    }

    def _netavark(self, verb: str, netns: str, ports: list = ()) -> None:
        options = {
            "container_id": "f" * 64, "container_name": "rpbench-floor",
            "networks": {"rpbench-floor": {"interface_name": "eth0",
                                           "static_ips": ["10.68.0.2"]}},
            "network_info": {"rpbench-floor": self.NETWORK},
        }
        if ports:
            options["port_mappings"] = list(ports)
        run_dir = os.path.join(self.dir, "netavark")
        os.makedirs(run_dir, exist_ok=True)
        proc = subprocess.run([NETAVARK, "--config", run_dir, verb, netns],
                              input=json.dumps(options).encode(), capture_output=True,
                              timeout=COMMAND_TIMEOUT, check=False)
        if proc.returncode != 0:
            raise CommandError(f"netavark {verb}: exit {proc.returncode}: "
                               f"{proc.stderr.decode(errors='replace').strip()}")

    def version(self) -> str:
        return subprocess.run(["runc", "--version"], capture_output=True, text=True,
                              check=True).stdout.splitlines()[0]
