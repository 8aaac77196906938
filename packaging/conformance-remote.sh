#!/usr/bin/env bash
# `make conformance REMOTE=1`: Podman's system tests with rpod's remote client as $PODMAN, as
# Podman's CI tests podman-remote.
#
#   conformance-remote.sh RPOD RUNNER
#     RPOD    the rpod binary (pod-monitor beside it); both are copied to a fresh directory
#     RUNNER  podman-system-tests.sh (TIER, FILES, WORKDIR, ... are passed through)
#     REMOTESYSTEM_TRANSPORT  unix (default), tcp, tls or mtls: how the suite's service listens
#
# $PODMAN is DIR/rpod-remote (the suite's is_remote looks at the name). The suite itself starts
# `DIR/rpod system service` (${PODMAN%%-remote*}) on the transport REMOTESYSTEM_TRANSPORT names
# and gives every command its --url (and --tls-* flags). Podman's CI also has a service on the
# default socket, which the runner's own preparation (loading the test image), its skopeo shim
# (restoring the test image inside bats) and the suite's teardowns after `unset
# REMOTESYSTEM_TRANSPORT` reach without --url: here that is a second service, on rpod's default
# socket /run/rpod/rpod.sock, started on first use so that it inherits the environment the runner
# prepared (storage, registries, RPOD_CONFIG). The whole run is in a private mount namespace with
# its own /run/rpod, so that socket is the run's alone (a real service on this host is not seen
# and not disturbed); everything mounted in it ends with the run.
set -eu
if [ -z "${RPOD_CONFORMANCE_NS:-}" ]; then
  export RPOD_CONFORMANCE_NS=1
  exec unshare --mount --propagation private -- "$0" "$@"
fi
mkdir -p /run/rpod
mount -t tmpfs -o mode=0755 rpod-conformance /run/rpod
rpod=$(readlink -f "${1:?usage: conformance-remote.sh RPOD RUNNER}")
runner=${2:?usage: conformance-remote.sh RPOD RUNNER}
# No "-remote" in the directory: the suite finds the server binary as ${PODMAN%%-remote*}.
dir=$(mktemp -d "${TMPDIR:-/tmp}/rpod-conformance-client.XXXXXX")
cp "$rpod" "$dir/rpod"
cp "$(dirname "$rpod")/pod-monitor" "$dir/pod-monitor"
sock=/run/rpod/rpod.sock
export REMOTESYSTEM_TRANSPORT=${REMOTESYSTEM_TRANSPORT:-unix}
export PODMAN_SERVER_LOG=${PODMAN_SERVER_LOG:-$dir/suite-service.log}

cat > "$dir/rpod-remote" <<EOF
#!/usr/bin/env bash
# rpod's remote client; the service on the default socket $sock is started on first use.
ping() { curl -sf --max-time 5 --unix-socket '$sock' http://d/_ping >/dev/null 2>&1; }
if ! ping; then
  (
    flock 9
    if ! ping; then
      setsid '$dir/rpod' system service --time 0 'unix://$sock' >>'$dir/service.log' 2>&1 </dev/null &
      echo \$! > '$dir/service.pid'
      for _ in \$(seq 300); do ping && break; sleep 0.1; done
    fi
  ) 9>'$dir/service.lock'
fi
exec -a '$dir/rpod-remote' '$dir/rpod' "\$@"
EOF
chmod 755 "$dir/rpod-remote"

stop_service() {
  if [ -f "$dir/service.pid" ]; then
    kill "$(cat "$dir/service.pid")" 2>/dev/null || true
  fi
}
trap stop_service EXIT
echo "conformance-remote: client $dir/rpod-remote ($REMOTESYSTEM_TRANSPORT), default-socket service log $dir/service.log" >&2
"$runner" "$dir/rpod-remote"
