"""A throw-away docker-registry on 127.0.0.1 and pushes into it with skopeo."""

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

START_TIMEOUT = 20.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(addr: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{addr}/v2/", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Registry:
    """docker-registry serving `<work>/registry` on a free loopback port."""

    def __init__(self, work: str):
        self.dir = os.path.join(work, "registry")
        os.makedirs(self.dir)
        self.log_path = os.path.join(work, "registry.log")
        self.proc = None
        self.addr = ""

    def start(self) -> None:
        for _ in range(5):
            port = _free_port()
            addr = f"127.0.0.1:{port}"
            config = os.path.join(self.dir, "config.yml")
            with open(config, "w") as f:
                f.write(
                    "version: 0.1\n"
                    "log:\n  level: error\n  accesslog:\n    disabled: true\n"
                    f"storage:\n  filesystem:\n    rootdirectory: {self.dir}/data\n"
                    f"http:\n  addr: {addr}\n  secret: rpod-bench\n"
                )
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    ["docker-registry", "serve", config],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                )
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                if _ready(addr):
                    self.addr = addr
                    return
                time.sleep(0.05)
            self.stop()
        with open(self.log_path, errors="replace") as f:
            raise SystemExit(f"bench: docker-registry did not start; its log:\n{f.read()}")

    def push(self, layout: str, name: str) -> str:
        """Copies the OCI layout's `latest` into the registry as `name:latest`; returns
        the reference."""
        ref = f"{self.addr}/{name}:latest"
        subprocess.run(
            ["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
             f"oci:{layout}:latest", f"docker://{ref}"],
            check=True,
        )
        return ref

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def registries_conf(self, path: str) -> str:
        """Writes a registries.conf marking this registry insecure (plain HTTP)."""
        with open(path, "w") as f:
            f.write(f'[[registry]]\nlocation = "{self.addr}"\ninsecure = true\n')
        return path
