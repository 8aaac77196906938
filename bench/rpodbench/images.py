"""Images the benchmark uses: the test fixtures (busybox) and a large multi-layer
image of incompressible data for the pull workload, written as OCI layouts."""

import hashlib
import io
import json
import os
import random
import subprocess
import tarfile
import zlib

MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
FILE_MB = 8  # size of each random file inside a payload layer
MTIME = 1704067200  # fixed timestamps: the same settings give the same digests


def build_fixtures(repo: str, out: str) -> str:
    """Runs tests/fixtures/build-images.sh; returns the busybox OCI layout."""
    subprocess.run([os.path.join(repo, "tests", "fixtures", "build-images.sh"), out],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, "busybox")


def _blob_path(layout: str, digest: str) -> str:
    algo, hexa = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexa)


def _read_json(layout: str, digest: str) -> dict:
    with open(_blob_path(layout, digest), "rb") as f:
        return json.load(f)


def _write_blob(layout: str, data: bytes) -> dict:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(_blob_path(layout, digest), "wb") as f:
        f.write(data)
    return {"digest": digest, "size": len(data)}


def image_manifest(layout: str) -> dict:
    """The manifest tagged `latest` in an OCI layout."""
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for desc in index["manifests"]:
        if desc.get("annotations", {}).get("org.opencontainers.image.ref.name") == "latest":
            return _read_json(layout, desc["digest"])
    raise SystemExit(f"bench: no 'latest' tag in {layout}")


def base_layer(layout: str) -> str:
    """Path of the (gzip) blob of the first layer of the layout's `latest` image."""
    return _blob_path(layout, image_manifest(layout)["layers"][0]["digest"])


def _random_layer(index: int, size_mb: int) -> tuple:
    """A layer tar of `size_mb` MiB of random data in FILE_MB MiB files under
    /payload/layerN. Returns (gzip blob bytes, diff_id)."""
    rng = random.Random(index)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for d in ("payload", f"payload/layer{index}"):
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tar.addfile(info)
        remaining = size_mb
        n = 0
        while remaining > 0:
            chunk = min(FILE_MB, remaining)
            data = rng.randbytes(chunk << 20)
            info = tarfile.TarInfo(f"payload/layer{index}/blob{n:03d}.bin")
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
            remaining -= chunk
            n += 1
    tar_bytes = raw.getvalue()
    diff_id = "sha256:" + hashlib.sha256(tar_bytes).hexdigest()
    gz = zlib.compressobj(1, zlib.DEFLATED, 31)
    blob = gz.compress(tar_bytes) + gz.flush()
    return blob, diff_id


def build_pull_image(base_layout: str, out: str, total_mb: int, layers: int) -> int:
    """Writes an OCI layout at `out`: the busybox base layer plus `layers` layers of
    random (incompressible) data, `total_mb` MiB in all. Returns the sum of the
    compressed layer sizes in bytes (what a pull downloads)."""
    os.makedirs(os.path.join(out, "blobs", "sha256"))
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    base_manifest = image_manifest(base_layout)
    base_config = _read_json(base_layout, base_manifest["config"]["digest"])
    layer_descs, diff_ids = [], []
    base_desc = base_manifest["layers"][0]
    with open(_blob_path(base_layout, base_desc["digest"]), "rb") as f:
        layer_descs.append(dict(_write_blob(out, f.read()), mediaType=base_desc["mediaType"]))
    diff_ids.append(base_config["rootfs"]["diff_ids"][0])
    per_layer = [total_mb // layers + (1 if i < total_mb % layers else 0) for i in range(layers)]
    for i, size_mb in enumerate(per_layer, start=1):
        blob, diff_id = _random_layer(i, size_mb)
        layer_descs.append(dict(_write_blob(out, blob), mediaType=MEDIA_LAYER_GZIP))
        diff_ids.append(diff_id)
    config = dict(base_config)
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    config["history"] = [{"created": "2024-01-01T00:00:00Z", "created_by": f"rpod bench layer {i}"}
                         for i in range(len(diff_ids))]
    config_desc = dict(_write_blob(out, json.dumps(config).encode()), mediaType=MEDIA_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
                "config": config_desc, "layers": layer_descs}
    manifest_desc = dict(_write_blob(out, json.dumps(manifest).encode()), mediaType=MEDIA_MANIFEST)
    manifest_desc["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [manifest_desc]}, f)
    return sum(d["size"] for d in layer_descs)
