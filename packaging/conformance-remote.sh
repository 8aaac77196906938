#!/usr/bin/env bash
# `make conformance REMOTE=1`: Podman's system tests with rpod's remote client as $PODMAN, as
# Podman's CI tests podman-remote: every command goes over the libpod API to
# `rpod system service` on a private unix socket.
#
#   conformance-remote.sh RPOD RUNNER
#     RPOD    the rpod binary (pod-monitor beside it); both are copied to a fresh directory
#     RUNNER  podman-system-tests.sh (TIER, FILES, WORKDIR, ... are passed through)
#
# $PODMAN is a script named rpod-remote (the suite's is_remote looks at the name) that runs
# `rpod --remote` with CONTAINER_HOST at the socket. The service starts on the first call, so
# that it inherits the environment the runner prepared (storage, registries, RPOD_CONFIG); it is
# stopped when the run ends.
set -eu
rpod=$(readlink -f "${1:?usage: conformance-remote.sh RPOD RUNNER}")
runner=${2:?usage: conformance-remote.sh RPOD RUNNER}
dir=$(mktemp -d "${TMPDIR:-/tmp}/rpod-remote-conformance.XXXXXX")
cp "$rpod" "$dir/rpod"
cp "$(dirname "$rpod")/pod-monitor" "$dir/pod-monitor"
sock=$dir/rpod.sock

cat > "$dir/rpod-remote" <<EOF
#!/usr/bin/env bash
# rpod's remote client against the service on $sock (started here on the first call).
ping() { curl -sf --max-time 5 --unix-socket '$sock' http://d/_ping >/dev/null 2>&1; }
if ! ping; then
  (
    flock 9
    if ! ping; then
      env -u CONTAINER_HOST -u CONTAINER_CONNECTION setsid '$dir/rpod' system service --time 0 \\
        'unix://$sock' >>'$dir/service.log' 2>&1 </dev/null &
      echo \$! > '$dir/service.pid'
      for _ in \$(seq 300); do ping && break; sleep 0.1; done
    fi
  ) 9>'$dir/service.lock'
fi
CONTAINER_HOST='unix://$sock' exec -a rpod-remote '$dir/rpod' "\$@"
EOF
chmod 755 "$dir/rpod-remote"

stop_service() {
  if [ -f "$dir/service.pid" ]; then
    kill "$(cat "$dir/service.pid")" 2>/dev/null || true
  fi
}
trap stop_service EXIT
echo "conformance-remote: client $dir/rpod-remote, service log $dir/service.log" >&2
"$runner" "$dir/rpod-remote"
