#!/usr/bin/env bash
# Installs the Debian packages rpod and its test suite need (Debian 12).
#
# Idempotent and fast: packages already installed are detected with dpkg-query, and
# apt-get (update + install) runs only when something is missing, which needs root.
# A Rust toolchain is assumed; without `cargo` this exits non-zero.
set -euo pipefail

# runtime, images and registry, networking (netavark with aardvark-dns, the CNI
# plugins of the cni backend, iptables for both; slirp4netns and passt (pasta) for
# --network slirp4netns|pasta), tools used by the tests and fixtures;
# catatonit: the static binary of rpod's locally built pod infra image and the
# init of `run --init`; systemd: journald and journalctl for `--log-driver journald`
# and the journald events backend (its daemons are never started as init here);
# openssh: `rpod --url ssh://` runs the system ssh, its test an sshd on 127.0.0.1;
# uidmap (newuidmap/newgidmap) and fuse-overlayfs: rootless rpod;
# protobuf-compiler: protoc, which the k8s-cri crate (CRI protos of `rpod cri`) builds with;
# buildah: `rpod build` runs it (its own store under rpod's root);
# python3-matplotlib: the charts of `make bench` and `make bench-scale`
packages=(
    runc crun
    umoci skopeo docker-registry busybox-static
    buildah
    netavark aardvark-dns iproute2 iptables containernetworking-plugins
    slirp4netns passt
    util-linux coreutils tar jq make
    catatonit systemd
    apache2-utils openssl
    openssh-client openssh-server
    uidmap fuse-overlayfs
    protobuf-compiler
    python3-matplotlib
)

if ! command -v cargo >/dev/null 2>&1; then
    hint=""
    [ -x "${HOME:-/root}/.cargo/bin/cargo" ] && hint=" (found ${HOME:-/root}/.cargo/bin/cargo: add ${HOME:-/root}/.cargo/bin to PATH)"
    echo "install-deps: cargo not found in PATH${hint}." >&2
    echo "install-deps: rpod needs a Rust toolchain (rust-version 1.89+), e.g. from https://rustup.rs" >&2
    exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}"
fi

# The docker CLI drives `rpod system service` in tests/tests/api_docker.rs. Debian ships
# it in docker.io together with dockerd and containerd; their daemons are never started
# (a policy-rc.d refuses every service start during the install) and nothing needs them:
# the tests point DOCKER_HOST at rpod's socket. A docker CLI already on PATH is kept.
if ! command -v docker >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: the docker CLI is missing; run this script as root" >&2
        exit 1
    fi
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold docker.io
fi

# kubernetes-validate (PyPI) checks the YAML `kube generate` writes against the
# Kubernetes schema in tests/tests/kube.rs. Needs python3 with pip; installed once.
if ! command -v kubernetes-validate >/dev/null 2>&1; then
    if ! python3 -m pip --version >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "install-deps: python3-pip is missing; run this script as root" >&2
            exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends python3-pip
    fi
    python3 -m pip install -q kubernetes-validate 2>/dev/null ||
        python3 -m pip install -q --break-system-packages kubernetes-validate
fi

# Rootless tests (tests/tests/rootless*.rs) run rpod as `rpodtest`, an ordinary user
# with subordinate ids in /etc/subuid and /etc/subgid, and check the error of
# `rpodnosub`, a user with none. Created once; the ranges are added when missing.
for user in rpodtest rpodnosub; do
    if ! id -u "$user" >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "install-deps: the test user $user is missing; run this script as root" >&2
            exit 1
        fi
        useradd --create-home --shell /bin/sh "$user"
    fi
done
# useradd may give a new user ranges of its own (SUB_UID_COUNT in login.defs): rpodtest
# keeps them (or gets 1000000:65536), rpodnosub loses them.
for file in /etc/subuid /etc/subgid; do
    if ! grep -q '^rpodtest:' "$file" 2>/dev/null || grep -q '^rpodnosub:' "$file" 2>/dev/null; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "install-deps: $file needs a range for rpodtest and none for rpodnosub; run this script as root" >&2
            exit 1
        fi
        grep -q '^rpodtest:' "$file" 2>/dev/null || echo "rpodtest:1000000:65536" >> "$file"
        sed -i '/^rpodnosub:/d' "$file"
    fi
done

# Rootless pasta and slirp4netns open /dev/net/tun as the user: udev makes it 0666 on
# a Debian system (50-udev-default.rules); without udev running the kernel's 0600 stays.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: /dev/net/tun is not 0666 (rootless networking needs it); run this script as root" >&2
        exit 1
    fi
    chmod 0666 /dev/net/tun
fi
# Rootless fuse-overlayfs (storage.conf's mount_program) opens /dev/fuse as the user: the
# same udev rule makes it 0666 on Debian (KERNEL=="fuse", MODE="0666"); without udev the
# kernel's 0600 stays.
if [ -c /dev/fuse ] && [ "$(stat -c %a /dev/fuse)" != 666 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: /dev/fuse is not 0666 (rootless fuse-overlayfs needs it); run this script as root" >&2
        exit 1
    fi
    chmod 0666 /dev/fuse
fi
# docker-py (the `docker` package, PyPI) drives `rpod system service` in
# tests/tests/api_docker_py.rs (tests/scripts/docker_py_client.py). pip is there by now.
if ! python3 -c 'import docker' >/dev/null 2>&1; then
    python3 -m pip install -q docker 2>/dev/null ||
        python3 -m pip install -q --break-system-packages docker
fi
python3 -c 'import docker' || { echo "install-deps: the docker Python package is missing after install" >&2; exit 1; }

# The packages must have delivered what rpod and the tests execute.
for cmd in runc crun buildah umoci skopeo docker-registry docker jq ip iptables iptables-save unshare nsenter tar sha256sum catatonit journalctl systemd-cat ssh ssh-keygen /usr/sbin/sshd kubernetes-validate newuidmap newgidmap pasta slirp4netns fuse-overlayfs runuser protoc; do
    command -v "$cmd" >/dev/null 2>&1 || { echo "install-deps: $cmd not found after install" >&2; exit 1; }
done
[ -x /usr/lib/podman/netavark ] || [ -x /usr/libexec/podman/netavark ] || command -v netavark >/dev/null 2>&1 ||
    { echo "install-deps: netavark not found after install" >&2; exit 1; }
[ -x /usr/lib/podman/aardvark-dns ] || [ -x /usr/libexec/podman/aardvark-dns ] || command -v aardvark-dns >/dev/null 2>&1 ||
    { echo "install-deps: aardvark-dns not found after install" >&2; exit 1; }
for plugin in bridge host-local portmap firewall tuning; do
    [ -x "/usr/lib/cni/$plugin" ] || { echo "install-deps: CNI plugin $plugin not found in /usr/lib/cni" >&2; exit 1; }
done
[ -x /usr/libexec/podman/catatonit ] || command -v catatonit >/dev/null 2>&1 ||
    { echo "install-deps: catatonit not found after install" >&2; exit 1; }
if ! /bin/busybox --list >/dev/null 2>&1 || ldd /bin/busybox >/dev/null 2>&1; then
    echo "install-deps: /bin/busybox must be the static busybox (package busybox-static)" >&2
    exit 1
fi
