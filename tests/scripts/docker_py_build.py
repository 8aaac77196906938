#!/usr/bin/env python3
"""docker-py's images.build against `rpod system service`.

usage: docker_py_build.py SOCKET CONTEXT TAG
  SOCKET   the service's unix socket
  CONTEXT  a directory with a Dockerfile whose image prints "docker-py built"
  TAG      the name to give the image (removed at the end)

Builds the context with a build argument, checks the image's ID and name,
runs it; then a Dockerfile whose RUN fails must raise BuildError.
"""
import sys

import docker
from docker.errors import BuildError

sock, context, tag = sys.argv[1:4]
client = docker.DockerClient(base_url=f"unix://{sock}", version="auto", timeout=300)


def step(name):
    print(f"docker-py: {name}", flush=True)


try:
    step("images.build")
    image, logs = client.images.build(path=context, tag=tag, buildargs={"WHO": "docker-py"}, rm=True)
    lines = [entry.get("stream", "") for entry in logs]
    assert any(line.startswith("Successfully built ") for line in lines), lines
    assert any(line == f"Successfully tagged {tag}\n" for line in lines), lines
    assert image.id.startswith("sha256:"), image.id
    assert client.images.get(tag).id == image.id

    step("containers.run of the built image")
    out = client.containers.run(tag, remove=True)
    assert out == b"docker-py built\n", out

    step("a failing RUN raises BuildError")
    try:
        client.images.build(path=context, dockerfile="Dockerfile.fails", tag=f"{tag}-fails")
        raise AssertionError("the failing build did not raise")
    except BuildError as e:
        assert "exit status 3" in str(e), str(e)
finally:
    try:
        client.images.remove(tag, force=True)
    except docker.errors.APIError:
        pass

step("all passed")
