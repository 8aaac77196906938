# rpod developer entry points.
#   make test                 install deps, build the workspace (debug), fmt + clippy checks, run every test
#   make test TEST_THREADS=4  same, with an explicit test parallelism
#   make demo                 install deps, release build, pull + run busybox from a local registry
#   make bench                install deps + podman, release build, rpod vs Podman benchmark
#                             (BENCH_QUICK=1 for a smoke run; see bench/README.md)
#   make bench-scale          same set-up, cost against the number of containers (N = 10, 100, 1000)
#   make install              release build, install rpod, pod-monitor and the Quadlet generator
#                             (PREFIX=/usr/local, DESTDIR=, PROFILE=release; see docs/man/rpod-quadlet.1.md)
#   make conformance          release build, then Podman's own system tests against it
#                             (TIER=A|B|ALL or FILES="030-run 035-logs"; see docs/conformance.md)

SHELL := /bin/bash
# rustup installs cargo here; make it visible even when the caller's PATH lacks it.
export PATH := $(HOME)/.cargo/bin:$(PATH)

CARGO ?= cargo
# Empty: the test runner's default (one test per CPU).
TEST_THREADS ?=

.PHONY: deps build lint test demo bench bench-scale conformance install

deps:
	packaging/install-deps.sh

# The integration tests run target/debug/rpod and target/debug/pod-monitor.
build: deps
	$(CARGO) build --workspace

# Formatting and clippy (warnings are errors) are part of the test command CI runs.
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: build lint
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		set -x; $(CARGO) nextest run --workspace --no-fail-fast $(if $(TEST_THREADS),--test-threads $(TEST_THREADS)); \
	else \
		set -x; $(CARGO) test --workspace --no-fail-fast $(if $(TEST_THREADS),-- --test-threads $(TEST_THREADS)); \
	fi

demo: deps
	$(CARGO) build --release
	packaging/demo.sh

# Writes bench/results/<date>.md, .json and .png; the runner installs podman if missing.
# Debian's python3 (its python3-matplotlib draws the charts), not another python3 on PATH.
BENCH_PYTHON ?= /usr/bin/python3
bench: deps
	$(CARGO) build --release
	$(BENCH_PYTHON) bench/run.py

# Writes bench/results/<date>-scale.md, .json and .png (BENCH_SCALE_NS=10,100,1000).
bench-scale: deps
	$(CARGO) build --release -p rpod -p pod-monitor
	$(BENCH_PYTHON) bench/scale.py

# Podman's system tests (../shared/conformance) against the release build. Not part of `make
# test`: a tier takes tens of minutes. TIER, FILES, WORKDIR, FILE_TIMEOUT and TEST_TIMEOUT are
# passed through to the runner; it prints one line per file and a total. REMOTE=1 runs the suite
# with the remote client as $$PODMAN against `rpod system service` (packaging/conformance-remote.sh).
CONFORMANCE ?= ../shared/conformance/podman-system-tests.sh
conformance:
	$(CARGO) build --release -p rpod -p pod-monitor
	@test -x "$(CONFORMANCE)" || { echo "make conformance: no runner at $(CONFORMANCE) (set CONFORMANCE=PATH)" >&2; exit 2; }
	$(if $(TIER),TIER="$(TIER)") $(if $(FILES),FILES="$(FILES)") \
	  $(if $(REMOTE),packaging/conformance-remote.sh "$(CURDIR)/target/release/rpod",) "$(CONFORMANCE)" \
	  $(if $(REMOTE),,"$(CURDIR)/target/release/rpod")

# rpod and pod-monitor into BINDIR (rpod finds pod-monitor beside itself), the Quadlet
# generator into LIBEXECDIR/rpod, linked as systemd's system and user generators so that
# `systemctl daemon-reload` turns Quadlet files into services; the generated units call
# BINDIR/rpod (compiled into the generator through RPOD_BINDIR).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
SYSTEMD_SYSTEM_GENERATOR_DIR ?= $(PREFIX)/lib/systemd/system-generators
SYSTEMD_USER_GENERATOR_DIR ?= $(PREFIX)/lib/systemd/user-generators
SYSTEMD_USER_UNIT_DIR ?= $(PREFIX)/lib/systemd/user
PROFILE ?= release
PROFILE_DIR := $(if $(filter dev,$(PROFILE)),debug,$(PROFILE))
install:
	RPOD_BINDIR="$(BINDIR)" $(CARGO) build --profile $(PROFILE) -p rpod -p pod-monitor -p rpod-quadlet
	install -D -m 0755 target/$(PROFILE_DIR)/rpod "$(DESTDIR)$(BINDIR)/rpod"
	install -D -m 0755 target/$(PROFILE_DIR)/pod-monitor "$(DESTDIR)$(BINDIR)/pod-monitor"
	install -D -m 0755 target/$(PROFILE_DIR)/rpod-quadlet "$(DESTDIR)$(LIBEXECDIR)/rpod/rpod-quadlet"
	install -d "$(DESTDIR)$(SYSTEMD_SYSTEM_GENERATOR_DIR)" "$(DESTDIR)$(SYSTEMD_USER_GENERATOR_DIR)"
	ln -sfn "$(LIBEXECDIR)/rpod/rpod-quadlet" "$(DESTDIR)$(SYSTEMD_SYSTEM_GENERATOR_DIR)/rpod-system-generator"
	ln -sfn "$(LIBEXECDIR)/rpod/rpod-quadlet" "$(DESTDIR)$(SYSTEMD_USER_GENERATOR_DIR)/rpod-user-generator"
	install -D -m 0644 contrib/systemd/user/rpod-user-wait-network-online.service \
		"$(DESTDIR)$(SYSTEMD_USER_UNIT_DIR)/rpod-user-wait-network-online.service"
	install -d "$(DESTDIR)/etc/rpod/systemd"
