"""Host preparation and isolation: packages, a private mount namespace, a
child-subreaper runner, and teardown of everything the benchmark started."""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NS_MARKER = "RPOD_BENCH_IN_NAMESPACE"
PR_SET_CHILD_SUBREAPER = 36

# Host directories Podman uses whatever its configuration says (containers/image's
# blob-info cache under /var/lib/containers/cache, netavark's /run/containers/networks).
# Inside the runner's mount namespace they are covered by private bind mounts, so the
# benchmark never reads or writes a user's Podman state.
PODMAN_HOST_DIRS = ("/var/lib/containers", "/run/containers")

# Debian packages the runner needs beyond `make deps` (packaging/install-deps.sh).
PACKAGES = ("podman", "conmon", "python3-matplotlib")


def require_root() -> None:
    if os.geteuid() != 0:
        raise SystemExit("bench: must run as root (containers, mounts, runc)")


def ensure_packages() -> None:
    """Installs Debian's podman and conmon when missing (apt-get, as install-deps does)."""
    missing = []
    for pkg in PACKAGES:
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Status}", pkg],
            capture_output=True, text=True, check=False,
        ).stdout
        if status != "installed":
            missing.append(pkg)
    if missing:
        print(f"bench: installing {' '.join(missing)}", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
             "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
             *missing],
            check=True, env=env,
        )
    for cmd in ("podman", "conmon", "runc", "skopeo", "docker-registry", "tar", "unshare"):
        if shutil.which(cmd) is None:
            raise SystemExit(f"bench: {cmd} not found (run `make deps` and retry)")


def reexec_in_mount_namespace() -> None:
    """Re-executes the runner in a private mount namespace (no return) unless already
    there. Container mounts of both tools and the bind mounts hiding the host's Podman
    directories stay inside it."""
    if os.environ.get(NS_MARKER) == "1":
        return
    env = dict(os.environ, **{NS_MARKER: "1"})
    argv = ["unshare", "--mount", "--propagation", "private", "--",
            sys.executable, *sys.argv]
    os.execvpe("unshare", argv, env)


def hide_podman_host_dirs(work: str) -> list:
    """Bind-mounts empty private directories over PODMAN_HOST_DIRS (inside the
    namespace). Returns host directories created for this, to remove at the end."""
    created = []
    for i, path in enumerate(PODMAN_HOST_DIRS):
        if not os.path.isdir(path):
            os.makedirs(path, mode=0o700)
            created.append(path)
        private = os.path.join(work, f"hidden-{i}")
        os.makedirs(private, mode=0o700)
        subprocess.run(["mount", "--bind", private, path], check=True)
    return created


def become_subreaper() -> None:
    """Orphaned monitors (pod-monitor, conmon double-fork) re-parent to the runner,
    which reaps them: no zombies left behind, and every process is a descendant."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise SystemExit(f"bench: prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(err)}")


def _children_of(pid: int) -> list:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def reap_zombies(keep=()) -> None:
    """Reaps exited children that are not subprocess.Popen objects still in use
    (`keep`: their pids). Call only between measurements."""
    for pid in _children_of(os.getpid()):
        if pid not in keep and _state(pid) == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def descendants(keep=()) -> list:
    """All live descendants of the runner except the `keep` pids and their subtrees."""
    found, queue = [], [os.getpid()]
    while queue:
        for child in _children_of(queue.pop()):
            if child in keep:
                continue
            found.append(child)
            queue.append(child)
    return found


def kill_descendants(keep=()) -> None:
    """SIGKILLs every remaining descendant (monitors, conmon, containers) and reaps."""
    for _ in range(10):
        pids = descendants(keep)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
        reap_zombies(keep)


def unmount_under(root: str) -> None:
    """Lazily unmounts every mount point at or below `root`, deepest first."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == root or point.startswith(root.rstrip("/") + "/"):
                points.append(point)
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def release_podman_host_dirs(created: list) -> None:
    for path in PODMAN_HOST_DIRS:
        subprocess.run(["umount", "-l", path], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for path in created:
        try:
            os.rmdir(path)
        except OSError:
            pass


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def teardown(tools: list, registry, work: str, created_dirs: list, timeout: int) -> None:
    """Removes everything a benchmark made, whatever state it stopped in: both
    engines' containers, the registry, leftover processes, mounts, the work
    directory and the bind mounts hiding the host's Podman directories."""
    for tool in tools:
        subprocess.run(tool.argv("rm", "-a", "-f", "-t", "0"), env=tool.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=timeout, check=False)
    registry.stop()
    kill_descendants()
    unmount_under(work)
    shutil.rmtree(work, ignore_errors=True)
    release_podman_host_dirs(created_dirs)


def monitor_pids(monitor: str, marker: str) -> list:
    """Pids of `monitor` processes (by basename) whose command line mentions `marker`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if os.path.basename(argv[0]).decode(errors="replace") == monitor and \
                marker.encode() in b" ".join(argv):
            pids.append(int(entry))
    return pids


def rss_pss_kib(pid: int) -> tuple:
    rss = pss = None
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def enter(prefix: str) -> tuple:
    """The set-up every runner shares: packages, a private mount namespace (this
    re-executes the runner), subreaper, a work directory under $TMPDIR and the host's
    Podman directories hidden. Returns (work directory, host directories created)."""
    ensure_packages()
    reexec_in_mount_namespace()  # returns only inside the namespace
    become_subreaper()
    work = tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("TMPDIR", "/var/tmp"))
    return work, hide_podman_host_dirs(work)
