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
# and gives every command its --url (and --tls-* flags). The runner's own preparation (loading
# the test image) runs before the suite, without --url: for it rpod-remote gets CONTAINER_HOST,
# a second service on DIR/setup.sock (outside bats only) started on the first such call so that it inherits the
# environment the runner prepared (storage, registries, RPOD_CONFIG); it is stopped at the end.
set -eu
rpod=$(readlink -f "${1:?usage: conformance-remote.sh RPOD RUNNER}")
runner=${2:?usage: conformance-remote.sh RPOD RUNNER}
# No "-remote" in the directory: the suite finds the server binary as ${PODMAN%%-remote*}.
dir=$(mktemp -d "${TMPDIR:-/tmp}/rpod-conformance-client.XXXXXX")
cp "$rpod" "$dir/rpod"
cp "$(dirname "$rpod")/pod-monitor" "$dir/pod-monitor"
sock=$dir/setup.sock
export REMOTESYSTEM_TRANSPORT=${REMOTESYSTEM_TRANSPORT:-unix}
export PODMAN_SERVER_LOG=${PODMAN_SERVER_LOG:-$dir/suite-service.log}

cat > "$dir/rpod-remote" <<EOF
#!/usr/bin/env bash
# rpod's remote client; CONTAINER_HOST defaults to the service on $sock (started on first use).
# Inside bats every command names its service (--url, or a connection in 272-system-connection):
# CONTAINER_HOST, which outranks the default connection, is only for the runner's preparation,
# and for the runner's skopeo shim, which restores the test image with "rpod-remote load" where
# Podman's CI has a service on the default socket (the shim runs as "bash .../skopeo copy ...").
from_shim=
if [ -n "\${BATS_SUITE_TMPDIR:-}" ]; then
  case "\$(ps -o args= -p \$PPID 2>/dev/null)" in *"/skopeo copy "*) from_shim=1 ;; esac
fi
if [ -z "\${CONTAINER_HOST:-}" ] && { [ -z "\${BATS_SUITE_TMPDIR:-}" ] || [ -n "\$from_shim" ]; }; then
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
  export CONTAINER_HOST='unix://$sock'
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
echo "conformance-remote: client $dir/rpod-remote ($REMOTESYSTEM_TRANSPORT), setup service log $dir/service.log" >&2
"$runner" "$dir/rpod-remote"
