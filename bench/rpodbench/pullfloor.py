"""The pull floor: what pulling an image costs without an engine. Fetches the
manifest, config and every layer blob of `ref` from the registry (all layers at
once, one connection each), verifies each blob's sha256 while it streams in,
decompresses it (zlib, in C) and extracts it with `tar -x` into a directory of its
own per layer. No store, no metadata, no database: the work no engine can skip.

Usable on its own: `python3 -m rpodbench.pullfloor REGISTRY/NAME:TAG DEST`."""

import hashlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import zlib

CHUNK = 1 << 20
ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


class PullFloorError(RuntimeError):
    pass


def _split(ref: str) -> tuple:
    addr, rest = ref.split("/", 1)
    name, tag = rest.rsplit(":", 1)
    return addr, name, tag


def _get(addr: str, path: str, accept: str = "") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(addr, timeout=120)
    conn.request("GET", path, headers={"Accept": accept} if accept else {})
    resp = conn.getresponse()
    if resp.status != 200:
        raise PullFloorError(f"GET {path}: HTTP {resp.status}")
    return resp


def _fetch_verified(addr: str, name: str, digest: str) -> bytes:
    data = _get(addr, f"/v2/{name}/blobs/{digest}").read()
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        raise PullFloorError(f"blob {digest}: digest mismatch")
    return data


def _layer(addr: str, name: str, desc: dict, dest: str, errors: list) -> None:
    """Streams one layer: sha256 of the compressed bytes, gunzip, `tar -x`."""
    try:
        os.makedirs(dest)
        tar = subprocess.Popen(["tar", "-x", "--numeric-owner", "-C", dest],
                               stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        digest = hashlib.sha256()
        gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
        resp = _get(addr, f"/v2/{name}/blobs/{desc['digest']}")
        try:
            while chunk := resp.read(CHUNK):
                digest.update(chunk)
                tar.stdin.write(gunzip.decompress(chunk))
            tar.stdin.write(gunzip.flush())
        finally:
            tar.stdin.close()
            err = tar.stderr.read()
            tar.wait()
        if tar.returncode != 0:
            raise PullFloorError(f"tar -x of {desc['digest']}: {err.decode(errors='replace')}")
        if "sha256:" + digest.hexdigest() != desc["digest"]:
            raise PullFloorError(f"layer {desc['digest']}: digest mismatch")
    except Exception as e:  # reported by the caller, which joins every thread
        errors.append(e)


def pull(ref: str, dest: str) -> float:
    """Pulls `ref` into `dest` (which must not exist); returns wall seconds."""
    addr, name, tag = _split(ref)
    start = time.perf_counter()
    manifest = json.loads(_get(addr, f"/v2/{name}/manifests/{tag}", ACCEPT).read())
    os.makedirs(dest)
    config = _fetch_verified(addr, name, manifest["config"]["digest"])
    with open(os.path.join(dest, "config.json"), "wb") as f:
        f.write(config)
    errors = []
    threads = [threading.Thread(target=_layer,
                                args=(addr, name, desc, os.path.join(dest, str(i)), errors))
               for i, desc in enumerate(manifest["layers"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise PullFloorError(f"pull floor: {errors[0]}")
    return time.perf_counter() - start


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python3 -m rpodbench.pullfloor REGISTRY/NAME:TAG DEST")
    print(f"{pull(sys.argv[1], sys.argv[2]):.3f} s")
