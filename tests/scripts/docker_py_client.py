#!/usr/bin/env python3
"""docker-py (the `docker` package from PyPI) against `rpod system service`.

usage: docker_py_client.py SOCKET IMAGE PREFIX SUBNET
  SOCKET  the service's unix socket
  IMAGE   an image in a registry the service can pull from (REPO:TAG)
  PREFIX  unique prefix for the names this script creates (all removed at the end)
  SUBNET  a /24 the network this script creates may use

Every step asserts what Docker would answer; the first failure ends the
script with a traceback and a non-zero exit.
"""
import sys

import docker

sock, image, prefix, subnet = sys.argv[1:5]
client = docker.DockerClient(base_url=f"unix://{sock}", version="auto", timeout=120)
created = {"containers": [], "volumes": [], "networks": []}


def step(name):
    print(f"docker-py: {name}", flush=True)


try:
    assert client.ping() is True
    version = client.version()
    assert version["ApiVersion"] == "1.44", version

    step("images.pull")
    repo, tag = image.rsplit(":", 1)
    img = client.images.pull(repo, tag=tag)
    assert image in img.tags, img.tags
    assert client.images.get(image).id == img.id

    step("containers.run without detach: the output, --rm")
    out = client.containers.run(image, ["sh", "-c", "echo out; echo err >&2"], remove=True,
                                name=f"{prefix}-fg")
    assert out == b"out\n", out
    assert not [c for c in client.containers.list(all=True) if c.name == f"{prefix}-fg"]

    step("containers.run without detach: a failure raises ContainerError with the code")
    try:
        client.containers.run(image, ["sh", "-c", "echo bad >&2; exit 3"], name=f"{prefix}-bad")
        raise AssertionError("ContainerError expected")
    except docker.errors.ContainerError as e:
        assert e.exit_status == 3, e.exit_status
        assert b"bad" in (e.stderr or b""), e.stderr
    created["containers"].append(f"{prefix}-bad")

    step("containers.run detach, logs(stream=True), exec_run")
    c = client.containers.run(image, ["sh", "-c", "echo one; echo two; sleep 1000"], detach=True,
                              name=f"{prefix}-bg", labels={"suite": prefix})
    created["containers"].append(c.name)
    c.reload()
    assert c.status == "running", c.status
    lines = []
    for chunk in c.logs(stream=True, follow=True):
        lines.extend(chunk.decode().splitlines())
        if len(lines) >= 2:
            break
    assert lines[:2] == ["one", "two"], lines
    code, output = c.exec_run(["sh", "-c", "echo from-exec; exit 4"])
    assert code == 4 and output == b"from-exec\n", (code, output)
    code, output = c.exec_run("cat /etc/hostname")
    assert code == 0 and output.strip(), (code, output)
    listed = client.containers.list(filters={"label": f"suite={prefix}"})
    assert [x.name for x in listed] == [c.name], listed

    step("wait")
    c.kill(signal="SIGKILL")
    result = c.wait()
    assert result["StatusCode"] == 137, result
    w = client.containers.run(image, ["sh", "-c", "exit 5"], detach=True, name=f"{prefix}-wait")
    created["containers"].append(w.name)
    assert w.wait()["StatusCode"] == 5

    step("volumes")
    vol = client.volumes.create(name=f"{prefix}-vol", labels={"suite": prefix})
    created["volumes"].append(vol.name)
    assert vol.attrs["Driver"] == "local", vol.attrs
    assert client.volumes.get(vol.name).attrs["Labels"] == {"suite": prefix}
    out = client.containers.run(image, ["sh", "-c", "echo kept > /data/f; cat /data/f"],
                                volumes={vol.name: {"bind": "/data", "mode": "rw"}}, remove=True)
    assert out == b"kept\n", out
    out = client.containers.run(image, ["cat", "/data/f"],
                                volumes={vol.name: {"bind": "/data", "mode": "ro"}}, remove=True)
    assert out == b"kept\n", out
    assert vol.name in [v.name for v in client.volumes.list()]
    vol.remove()
    created["volumes"].remove(vol.name)
    try:
        client.volumes.get(vol.name)
        raise AssertionError("NotFound expected")
    except docker.errors.NotFound:
        pass

    step("networks")
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
    net = client.networks.create(f"{prefix}-net", driver="bridge", ipam=ipam,
                                 labels={"suite": prefix})
    created["networks"].append(net.name)
    got = client.networks.get(net.id)
    assert got.name == net.name, got.attrs
    assert got.attrs["IPAM"]["Config"][0]["Subnet"] == subnet, got.attrs
    n = client.containers.run(image, ["sleep", "1000"], detach=True, name=f"{prefix}-net-c",
                              network=net.name)
    created["containers"].append(n.name)
    net.reload()
    assert n.id in net.attrs["Containers"], net.attrs
    addr = net.attrs["Containers"][n.id]["IPv4Address"]
    assert addr.startswith(subnet.rsplit(".", 1)[0] + "."), addr
    net.disconnect(n)
    net.reload()
    assert n.id not in net.attrs.get("Containers", {}), net.attrs
    net.connect(n)
    net.reload()
    assert n.id in net.attrs["Containers"], net.attrs
    n.remove(force=True)
    created["containers"].remove(n.name)
    net.remove()
    created["networks"].remove(net.name)
    assert net.name not in [x.name for x in client.networks.list()]

    step("errors")
    try:
        client.containers.get(f"{prefix}-missing")
        raise AssertionError("NotFound expected")
    except docker.errors.NotFound:
        pass
    print("docker-py: all passed", flush=True)
finally:
    for name in created["containers"]:
        try:
            client.containers.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass
    for name in created["volumes"]:
        try:
            client.volumes.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass
    for name in created["networks"]:
        try:
            client.networks.get(name).remove()
        except docker.errors.NotFound:
            pass
