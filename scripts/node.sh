#!/usr/bin/env bash
# Runs the local chain (escrow-node: instant seal, pallet-contracts, Alice..Ferdie endowed).
#
# Usage:
#   scripts/node.sh [--background] [node args...]   start (foreground by default)
#   scripts/node.sh --stop                          stop the node started with --background
#
# Defaults: --dev --rpc-port 9944, and --tmp (a throw-away chain) unless --base-path is given.
# Any other argument goes to escrow-node unchanged, e.g. --rpc-port 9955,
# --base-path /tmp/chain, --finalize-delay-sec 1 (without it blocks are never finalized).
# --background waits until the RPC answers `system_health`, then prints the pid and the
# ws:// URL; the pid and log live in .escrow/node/. Builds the node first if it is missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE_DIR="$REPO_ROOT/.escrow/node"
PID_FILE="$STATE_DIR/node.pid"
LOG_FILE="$STATE_DIR/node.log"
READY_TIMEOUT_SEC=${ESCROW_NODE_READY_TIMEOUT_SEC:-60}

# The pid from the pid file, if that process is alive and is an escrow-node.
running_pid() {
	[ -f "$PID_FILE" ] || return 1
	local pid
	pid="$(cat "$PID_FILE")"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q escrow-node || return 1
	echo "$pid"
}

stop_node() {
	step "stopping the background node"
	local pid
	if ! pid="$(running_pid)"; then
		rm -f "$PID_FILE"
		info "no background node is running"
		return 0
	fi
	kill -TERM "$pid"
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		info "pid $pid ignored SIGTERM for 10 s: sending SIGKILL"
		kill -KILL "$pid"
	fi
	rm -f "$PID_FILE"
	info "stopped pid $pid"
}

background=0
args=()
rpc_port=""
have_base_path=0
have_chain=0
while [ $# -gt 0 ]; do
	case "$1" in
	--stop)
		stop_node
		exit 0
		;;
	--background) background=1 ;;
	--rpc-port)
		[ $# -ge 2 ] || die "--rpc-port needs a value"
		rpc_port="$2"
		shift
		;;
	--rpc-port=*) rpc_port="${1#*=}" ;;
	--base-path | -d)
		[ $# -ge 2 ] || die "$1 needs a value"
		have_base_path=1
		args+=("$1" "$2")
		shift
		;;
	--base-path=*)
		have_base_path=1
		args+=("$1")
		;;
	--dev | --chain | --chain=*)
		have_chain=1
		args+=("$1")
		;;
	-h | --help)
		sed -n '2,13p' "$0"
		exit 0
		;;
	*) args+=("$1") ;;
	esac
	shift
done
rpc_port="${rpc_port:-9944}"
[[ "$rpc_port" =~ ^[0-9]+$ ]] || die "--rpc-port must be a number, got '$rpc_port'"
[ "$have_chain" -eq 1 ] || args=(--dev "${args[@]}")
[ "$have_base_path" -eq 1 ] || args+=(--tmp)
args+=(--rpc-port "$rpc_port")

ensure_node_bin

if [ "$background" -eq 0 ]; then
	step "starting escrow-node in the foreground: ${args[*]}"
	exec "$NODE_BIN" "${args[@]}"
fi

step "starting escrow-node in the background: ${args[*]}"
if pid="$(running_pid)"; then
	die "a background node is already running (pid $pid); stop it with scripts/node.sh --stop"
fi
if rpc_health "$rpc_port" >/dev/null; then
	die "something already answers RPC on port $rpc_port; pick another --rpc-port"
fi
mkdir -p "$STATE_DIR"
started=$(now)
nohup "$NODE_BIN" "${args[@]}" >"$LOG_FILE" 2>&1 &
pid=$!
echo "$pid" >"$PID_FILE"

step "waiting for RPC on 127.0.0.1:$rpc_port (up to ${READY_TIMEOUT_SEC}s)"
deadline=$(($(date +%s) + READY_TIMEOUT_SEC))
until health="$(rpc_health "$rpc_port")"; do
	if ! kill -0 "$pid" 2>/dev/null; then
		rm -f "$PID_FILE"
		tail -n 20 "$LOG_FILE" >&2 || true
		die "escrow-node exited during start-up (log: $LOG_FILE)"
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		tail -n 20 "$LOG_FILE" >&2 || true
		die "RPC not ready after ${READY_TIMEOUT_SEC}s; the node (pid $pid) is still running: scripts/node.sh --stop"
	fi
	sleep 0.1
done
kill -0 "$pid" 2>/dev/null || die "escrow-node exited right after start (log: $LOG_FILE)"

step "escrow-node ready in $(elapsed_since "$started")s"
info "pid:    $pid (pid file $PID_FILE)"
info "ws:     ws://127.0.0.1:$rpc_port"
info "log:    $LOG_FILE"
info "health: $health"
info "stop:   scripts/node.sh --stop"
echo "ws://127.0.0.1:$rpc_port"
