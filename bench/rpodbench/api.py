"""The API path (`BENCH_ONLY=api`): each engine's `system service` on a private unix
socket, driven by the same clients: the docker CLI's `docker ps -a` (DOCKER_HOST at
the socket), a container create + start + wait + remove over the Docker API from a
small HTTP client on the unix socket (one connection per request, as the docker CLI
makes them), the same client's `GET /containers/json?all=1` (the service's share of
`docker ps` without the CLI's own start-up), and the service's idle memory (PSS after
those requests)."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import time

from . import host
from .measure import Result

CONTAINERS_LISTED = 10  # containers `docker ps -a` lists (created, not started)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 120):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def request(sock: str, method: str, path: str, body=None) -> tuple:
    """One request on a fresh connection: (status, the decoded JSON body, or the raw
    bytes of another)."""
    conn = UnixHTTPConnection(sock)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        ctype = resp.getheader("Content-Type", "")
        if "json" in ctype and raw.strip():
            return resp.status, json.loads(raw)
        return resp.status, raw
    finally:
        conn.close()


def expect(sock: str, method: str, path: str, body=None, ok=(200, 201, 204)):
    status, answer = request(sock, method, path, body)
    if status not in ok:
        raise RuntimeError(f"{method} {path}: {status} {answer}")
    return answer


class Service:
    """`system service --time 0 unix://SOCK` of one engine, started and stopped here."""

    def __init__(self, tool, work: str):
        self.tool = tool
        self.sock = os.path.join(work, f"{tool.name}-api.sock")
        self.proc = None

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(
            self.tool.argv("system", "service", "--time", "0", f"unix://{self.sock}"),
            env=self.tool.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.tool.name} system service exited {self.proc.returncode}")
            try:
                if request(self.sock, "GET", "/_ping")[0] == 200:
                    return self
            except (OSError, ValueError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.tool.name} system service did not answer within 60 s")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class ReplayServer:
    """The docker CLI's floor: a unix-socket HTTP server that answers `_ping` and the
    container list with bytes recorded from rpod's service beforehand, from memory, with
    no engine behind it. `docker ps -a` against it costs the CLI's own start-up, its
    two requests and the printing: what no service can take away."""

    def __init__(self, work: str, listing: bytes):
        import socketserver
        from http.server import BaseHTTPRequestHandler

        self.sock = os.path.join(work, "replay-api.sock")
        if os.path.exists(self.sock):
            os.unlink(self.sock)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, body: bytes, ctype: str, send_body: bool):
                self.send_response(200)
                self.send_header("Api-Version", "1.41")
                self.send_header("Ostype", "linux")
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def do_HEAD(self):
                self.answer(b"OK", "text/plain; charset=utf-8", False)

            def do_GET(self):
                if self.path.split("?")[0].endswith("/containers/json"):
                    self.answer(listing, "application/json", True)
                else:
                    self.answer(b"OK", "text/plain; charset=utf-8", True)

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

            def get_request(self):
                conn, _ = super().get_request()
                return conn, ("local", 0)

        self.server = Server(self.sock, Handler)
        import threading
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        if os.path.exists(self.sock):
            os.unlink(self.sock)


def raw_listing(sock: str) -> bytes:
    """The bytes of `GET /v1.41/containers/json?all=1` from a service."""
    conn = UnixHTTPConnection(sock)
    try:
        conn.request("GET", "/v1.41/containers/json?all=1")
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET /containers/json: {resp.status}")
        return body
    finally:
        conn.close()


def docker_env(work: str, sock: str) -> dict:
    config = os.path.join(work, "docker-config")
    os.makedirs(config, exist_ok=True)
    return dict(os.environ, DOCKER_HOST=f"unix://{sock}", DOCKER_CONFIG=config)


def lifecycle(sock: str, image: str) -> None:
    """create + start + wait + remove of a `true` container with no network."""
    created = expect(sock, "POST", "/containers/create",
                     {"Image": image, "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}})
    cid = created["Id"]
    expect(sock, "POST", f"/containers/{cid}/start")
    waited = expect(sock, "POST", f"/containers/{cid}/wait")
    if waited.get("StatusCode") != 0:
        raise RuntimeError(f"wait: {waited}")
    expect(sock, "DELETE", f"/containers/{cid}")


def api(b) -> list:
    s = b.settings
    ps = Result("api_docker_ps", f"docker ps -a over the API ({CONTAINERS_LISTED} containers)",
                "ms", 1000, goal="≤ 0.5× podman", max_vs_podman=0.5)
    listing = Result("api_list", f"GET /containers/json?all=1 ({CONTAINERS_LISTED} containers), "
                     "same HTTP client", "ms", 1000, goal="≤ 0.5× podman", max_vs_podman=0.5)
    life = Result("api_lifecycle", "create + start + wait + rm over the Docker API", "ms", 1000,
                  goal="≤ 0.5× podman", max_vs_podman=0.5)
    mem = Result("api_idle_pss", "service PSS, idle after the requests", "KiB", 1,
                 goal="≤ 0.5× podman", max_vs_podman=0.5)
    if shutil.which("docker") is None:
        raise RuntimeError("the docker CLI is not installed (packaging/install-deps.sh)")
    services = {t.name: Service(t, b.work) for t in b.tools}
    try:
        for svc in services.values():
            svc.start()
            for i in range(CONTAINERS_LISTED):
                b.setup_run(svc.tool, f"api{i}", "create", "--network", "none", b.image, "true")

        def docker_ps(svc, name=None):
            name = name or svc.tool.name
            env = docker_env(b.work, svc.sock)

            def fn(record):
                start = time.perf_counter()
                proc = subprocess.run(["docker", "ps", "-a"], env=env, stdin=subprocess.DEVNULL,
                                      capture_output=True, timeout=120, check=False)
                elapsed = time.perf_counter() - start
                lines = proc.stdout.decode(errors="replace").count("\n")
                if proc.returncode != 0 or lines != CONTAINERS_LISTED + 1:
                    raise RuntimeError(f"docker ps -a against {name}: exit "
                                       f"{proc.returncode}, {lines} lines: "
                                       f"{proc.stderr.decode(errors='replace').strip()}")
                if record:
                    ps.tool(name).add(elapsed)
            return fn

        def list_all(svc):
            def fn(record):
                start = time.perf_counter()
                got = expect(svc.sock, "GET", "/containers/json?all=1")
                elapsed = time.perf_counter() - start
                if len(got) != CONTAINERS_LISTED:
                    raise RuntimeError(f"{svc.tool.name}: {len(got)} containers listed")
                if record:
                    listing.tool(svc.tool.name).add(elapsed)
            return fn

        def create_run(svc):
            def fn(record):
                start = time.perf_counter()
                lifecycle(svc.sock, b.image)
                if record:
                    life.tool(svc.tool.name).add(time.perf_counter() - start)
            return fn

        replay = ReplayServer(b.work, raw_listing(services["rpod"].sock))
        try:
            ps_runs = {name: docker_ps(svc) for name, svc in services.items()}
            ps_runs["floor"] = docker_ps(replay, "floor")
            b.loop("docker ps -a (API)", s.iterations, ps_runs)
        finally:
            replay.stop()
        ps.note = ("floor: the same docker CLI against a server replaying rpod's answers "
                   "from memory (no engine): the CLI's own start-up and requests")
        b.loop("GET /containers/json (API)", s.iterations,
               {name: list_all(svc) for name, svc in services.items()})
        b.loop("create+start+wait+rm (API)", s.iterations,
               {name: create_run(svc) for name, svc in services.items()})
        time.sleep(2)  # idle: let deferred work settle
        for name, svc in services.items():
            mem.tool(name).add(host.rss_pss_kib(svc.proc.pid)[1])
        mem.note = ("PSS of the service process alone, after the requests above "
                    "(Podman's conmon processes of running containers not included: none run)")
    finally:
        for svc in services.values():
            svc.stop()
        b.clean()
    return [ps, listing, life, mem]
