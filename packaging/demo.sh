#!/usr/bin/env bash
# rpod demo: pulls and runs the busybox fixture image from a throw-away local registry,
# with a private --root/--runroot, then removes everything it created (trap on EXIT).
#
# Expects the release build (`cargo build --release`); RPOD_BIN_DIR overrides where the
# rpod and pod-monitor binaries are taken from.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=${RPOD_BIN_DIR:-${CARGO_TARGET_DIR:-$repo/target}/release}
rpod_bin=$bin_dir/rpod
monitor_bin=$bin_dir/pod-monitor
for bin in "$rpod_bin" "$monitor_bin"; do
    [ -x "$bin" ] || { echo "demo: $bin not found; run \`cargo build --release\` first" >&2; exit 1; }
done

work=$(mktemp -d /tmp/rpod-demo.XXXXXX)
registry_pid=
rpod_used=

# Kills processes that still mention the demo directory (argv or environment).
kill_leftovers() {
    local proc pid
    for proc in /proc/[0-9]*; do
        pid=${proc#/proc/}
        [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
        if grep -qsF "$work" "$proc/cmdline" "$proc/environ"; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
}

# Unmounts everything under the demo directory, deepest first.
unmount_all() {
    local mount_point
    awk -v dir="$work" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo |
        awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2- |
        while read -r mount_point; do
            umount -l "$(printf '%b' "$mount_point")" 2>/dev/null || true
        done
}

cleanup() {
    local status=$?
    set +e
    if [ -n "$rpod_used" ]; then
        timeout 60 "$rpod_bin" --root "$work/root" --runroot "$work/runroot" rm -af -t 0 >/dev/null 2>&1
    fi
    if [ -n "$registry_pid" ]; then
        kill "$registry_pid" 2>/dev/null
        wait "$registry_pid" 2>/dev/null
    fi
    kill_leftovers
    unmount_all
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A loopback port nobody listens on (the registry start is retried if it is taken meanwhile).
pick_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        if [ -z "$(ss -Htln "sport = :$port")" ]; then
            echo "$port"
            return
        fi
    done
}

# Whether GET /v2/ on 127.0.0.1:$1 answers 200.
registry_ready() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        IFS= read -r -t 5 status_line <&3 || exit 1
        [[ $status_line == "HTTP/1."?" 200"* ]]
    ) 2>/dev/null
}

start_registry() {
    local attempt port i
    for attempt in 1 2 3 4 5; do
        port=$(pick_port)
        cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: rpod-demo
YAML
        docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
        registry_pid=$!
        for i in $(seq 100); do
            if registry_ready "$port"; then
                registry_port=$port
                return
            fi
            kill -0 "$registry_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill "$registry_pid" 2>/dev/null
        wait "$registry_pid" 2>/dev/null || true
        registry_pid=
    done
    echo "demo: docker-registry did not start; its log:" >&2
    cat "$work/registry.log" >&2
    exit 1
}

step() {
    printf '\n\033[1m$ %s\033[0m\n' "$*"
}

rpod() {
    step "rpod $*"
    rpod_used=1
    "$rpod_bin" --root "$work/root" --runroot "$work/runroot" "$@"
}

echo "demo: building the busybox fixture image"
"$repo/tests/fixtures/build-images.sh" "$work/images" >/dev/null

start_registry
image=127.0.0.1:$registry_port/busybox:latest
echo "demo: registry on 127.0.0.1:$registry_port, pushing $image"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/images/busybox:latest" "docker://$image"

cat >"$work/registries.conf" <<CONF
unqualified-search-registries = ["127.0.0.1:$registry_port"]

[[registry]]
location = "127.0.0.1:$registry_port"
insecure = true
CONF
export CONTAINERS_REGISTRIES_CONF=$work/registries.conf
export REGISTRY_AUTH_FILE=$work/auth.json
export RPOD_MONITOR=$monitor_bin

rpod pull "$image"
rpod run --rm "$image" echo "Hello from rpod"
rpod run -d --name demo "$image" sh -c 'while true; do date; sleep 1; done'
rpod ps
sleep 2
rpod logs demo
rpod stop -t 1 demo
rpod rm demo
printf '\ndemo: done\n'
