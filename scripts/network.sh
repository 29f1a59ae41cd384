#!/usr/bin/env bash
# A local network of escrow-node validators on this machine (`--chain local-N`): Aura authors
# a block every 3 s slot and GRANDPA finalizes once more than 2/3 of the validators vote. Unlike
# `--dev` (a block per transaction, at once), a transaction here waits for a slot and then for
# finality, as on a real chain. The operator's page: docs/network.md.
#
# Usage:
#   scripts/network.sh start [--validators N] [--base-port P] [--rpc-base-port R] [--dir DIR]
#   scripts/network.sh status [--dir DIR]
#   scripts/network.sh stop [--dir DIR]
#   scripts/network.sh purge [--dir DIR]
#
#   --validators N     1..6 (default 4): node i is the i-th of Alice, Bob, Charlie, Dave, Eve,
#                      Ferdie, with that dev key's Aura and GRANDPA keys (--alice, --bob, ...)
#   --base-port P      node i's p2p port is P+i, on 127.0.0.1 only (default 30333); 0: ports
#                      the OS picks
#   --rpc-base-port R  node i's JSON-RPC port is R+i (default 9944); 0: ports the OS picks
#   --dir DIR          the network's directory (default .escrow/network in the checkout):
#                      node-i/ (chain data, node key, peer-id), node-i.log, node-i.pid, and
#                      network.env (the chain and the ports, for status and stop)
#
# start refuses to run over a running network or on a taken port; it waits until every node
# answers JSON-RPC, then until each has finalized a new block (at most 60 s each,
# ESCROW_NETWORK_READY_TIMEOUT_SEC), else prints the logs' tails and stops what it started.
# It prints each node's ws:// URL on stdout, one a line (the rest goes to stderr).
# status exits 0 only if every node runs and answers, is at most 5 blocks behind the highest
# best block, and has finalized within 5 blocks of its best; else 1, naming what is wrong.
# stop signals only the pids of DIR's pid files that are still escrow-node processes of DIR
# (SIGTERM; SIGKILL after 20 s). purge stops the network, then deletes DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEP="reading the arguments"
NAMES=(alice bob charlie dave eve ferdie)
READY_TIMEOUT_SEC=${ESCROW_NETWORK_READY_TIMEOUT_SEC:-60}
STOP_TIMEOUT_SEC=20
# GRANDPA finalizes a block or two behind the best one; more than this many is a stall.
MAX_LAG=5

usage() { sed -n '2,29p' "$0"; }

command="${1:-}"
[ $# -eq 0 ] || shift
case "$command" in
-h | --help | help)
	usage
	exit 0
	;;
start | status | stop | purge) ;;
"") die "no command: expected start, status, stop or purge (see --help)" ;;
*) die "unknown command '$command': expected start, status, stop or purge (see --help)" ;;
esac

validators=4
base_port=30333
rpc_base_port=9944
dir="$REPO_ROOT/.escrow/network"
while [ $# -gt 0 ]; do
	case "$1" in
	--validators | --base-port | --rpc-base-port | --dir)
		[ $# -ge 2 ] || die "$1 needs a value"
		[ "$1" = --dir ] || [ "$command" = start ] || die "$1 is an option of start, not of $command"
		case "$1" in
		--validators) validators="$2" ;;
		--base-port) base_port="$2" ;;
		--rpc-base-port) rpc_base_port="$2" ;;
		--dir) dir="$2" ;;
		esac
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown argument for $command: $1 (see --help)" ;;
	esac
	shift
done
[[ "$validators" =~ ^[1-6]$ ]] || die "--validators must be 1 to 6, got '$validators'"
for port in "$base_port" "$rpc_base_port"; do
	if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -gt 65535 ]; then
		die "a base port must be a number from 0 to 65535, got '$port'"
	fi
done
[ -n "$dir" ] || die "--dir must not be empty"
# Absolute, as the nodes' command lines name it (stop recognises them by it).
dir="$(realpath -m "$dir")"
ENV_FILE="$dir/network.env"
# How to name this directory in the hints printed for the next command.
dir_arg=""
[ "$dir" = "$REPO_ROOT/.escrow/network" ] || dir_arg=" --dir $dir"

title() {
	local n=$1
	printf '%s' "${n^}"
}

# env_get KEY: the value network.env records for KEY ("" if none).
env_get() { sed -n "s/^$1=//p" "$ENV_FILE" 2>/dev/null | tail -n1; }

# alive PID: whether the process exists and is not a zombie (a child we have not reaped yet
# is one after it exits, and kill -0 still succeeds on it).
alive() {
	local state
	state="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# node_pid PIDFILE: the pid in the file, if that process is alive and is an escrow-node
# running on this directory's base path for that node (so a recycled pid is never signalled).
node_pid() {
	local file=$1 pid base cmdline
	[ -f "$file" ] || return 1
	pid="$(tr -d '[:space:]' <"$file")"
	[[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
	base="$dir/$(basename "$file" .pid)"
	cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
	[[ "$cmdline" == *escrow-node* && "$cmdline" == *"--base-path $base "* ]] || return 1
	echo "$pid"
}

# stop_nodes PIDFILE...: SIGTERM to each file's node that still runs, SIGKILL to those alive
# after STOP_TIMEOUT_SEC; removes the pid files.
stop_nodes() {
	local file pid node n pids=() nodes=()
	for file in "$@"; do
		[ -f "$file" ] || continue
		node="$(basename "$file" .pid)"
		if pid="$(node_pid "$file")"; then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
			nodes+=("$node")
		else
			info "$node: not running (a stale pid file)"
		fi
	done
	for ((n = 0; n < STOP_TIMEOUT_SEC * 10; n++)); do
		local running=0
		for pid in "${pids[@]}"; do
			if alive "$pid"; then running=1; fi
		done
		[ "$running" -eq 1 ] || break
		sleep 0.1
	done
	for n in "${!pids[@]}"; do
		pid="${pids[$n]}"
		if alive "$pid"; then
			info "${nodes[$n]} (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_SEC}s: sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		else
			info "${nodes[$n]} (pid $pid) stopped"
		fi
	done
	rm -f "$@"
}

# rpc PORT BODY: the node's answer to a JSON-RPC request (or batch) over HTTP.
rpc() {
	curl -sf --max-time 2 -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$1" 2>/dev/null
}

# heights PORT: "BEST FINALIZED PEERS" of the node answering JSON-RPC on PORT
# (chain_getHeader, chain_getFinalizedHead and its chain_getHeader, system_health).
heights() {
	local port=$1 answer best final final_hash peers
	answer="$(rpc "$port" '[{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]},
		{"id":2,"jsonrpc":"2.0","method":"chain_getFinalizedHead","params":[]},
		{"id":3,"jsonrpc":"2.0","method":"system_health","params":[]}]')" || return 1
	read -r best final_hash peers < <(python3 -c '
import json, sys
r = {a["id"]: a["result"] for a in json.load(sys.stdin)}
print(int(r[1]["number"], 16), r[2], r[3]["peers"])' <<<"$answer") || return 1
	answer="$(rpc "$port" "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"chain_getHeader\",\"params\":[\"$final_hash\"]}")" ||
		return 1
	final="$(python3 -c 'import json, sys; print(int(json.load(sys.stdin)["result"]["number"], 16))' <<<"$answer")" ||
		return 1
	echo "$best $final $peers"
}

# port_taken PORT: whether something listens on 127.0.0.1:PORT (a bind test, as a node
# would bind it; SO_REUSEADDR, so that a closed connection's TIME_WAIT does not count).
port_taken() {
	! python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# free_ports N: N distinct ports the OS picks (bound at once, then released for the nodes).
free_ports() {
	python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

pid_files() { compgen -G "$dir/node-*.pid" | sort -V || true; }

# ---------------------------------------------------------------------------------------
stop_network() {
	step "stopping the network in $dir"
	local files
	mapfile -t files < <(pid_files)
	if [ ${#files[@]} -eq 0 ]; then
		info "no pid files: nothing to stop"
		return 0
	fi
	stop_nodes "${files[@]}"
}

# ---------------------------------------------------------------------------------------
status_network() {
	[ -f "$ENV_FILE" ] || die "no network in $dir (no network.env): start one with scripts/network.sh start$dir_arg"
	local n chain rpc_ports i port pid h best final peers
	n="$(env_get validators)"
	chain="$(env_get chain)"
	read -r -a rpc_ports <<<"$(env_get rpc_ports)"
	step "the network in $dir: $n validator(s), chain $chain"
	local problems=() top=0
	declare -a bests finals peerss states
	for ((i = 0; i < n; i++)); do
		port="${rpc_ports[$i]:-}"
		states[i]=down
		if pid="$(node_pid "$dir/node-$i.pid")"; then
			states[i]="pid $pid"
			if [ -n "$port" ] && h="$(heights "$port")"; then
				read -r best final peers <<<"$h"
				bests[i]=$best finals[i]=$final peerss[i]=$peers
				[ "$best" -le "$top" ] || top=$best
			else
				problems+=("node $i (${NAMES[$i]}) runs (pid $pid) but does not answer JSON-RPC on port ${port:-?}")
			fi
		else
			problems+=("node $i (${NAMES[$i]}) is not running (log: $dir/node-$i.log)")
		fi
	done
	info "$(printf '%-10s %-11s %-24s %8s %10s %6s' node process RPC best finalized peers)"
	for ((i = 0; i < n; i++)); do
		info "$(printf '%-10s %-11s %-24s %8s %10s %6s' "$i ${NAMES[$i]}" "${states[$i]}" \
			"ws://127.0.0.1:${rpc_ports[$i]:-?}" "${bests[$i]:--}" "${finals[$i]:--}" "${peerss[$i]:--}")"
		[ -n "${bests[$i]:-}" ] || continue
		if [ $((top - bests[i])) -gt "$MAX_LAG" ]; then
			problems+=("node $i (${NAMES[$i]}) is at best #${bests[$i]}, $((top - bests[i])) blocks behind the highest (#$top)")
		fi
		if [ $((bests[i] - finals[i])) -gt "$MAX_LAG" ]; then
			problems+=("node $i (${NAMES[$i]}) has finalized #${finals[$i]}, $((bests[i] - finals[i])) blocks behind its best #${bests[$i]}: finality needs more than 2/3 of the validators online")
		fi
		if [ "$n" -gt 1 ] && [ "${peerss[$i]}" -eq 0 ]; then
			problems+=("node $i (${NAMES[$i]}) has no peers")
		fi
	done
	if [ ${#problems[@]} -gt 0 ]; then
		local p
		for p in "${problems[@]}"; do info "problem: $p"; done
		die "${#problems[@]} problem(s) in the network in $dir (see above)"
	fi
	step "healthy: $n node(s) running, best #$top, finality within $MAX_LAG blocks on every node"
}

# ---------------------------------------------------------------------------------------
purge_network() {
	if [ ! -e "$dir" ]; then
		step "purging $dir"
		info "nothing there"
		return 0
	fi
	[ -f "$ENV_FILE" ] ||
		die "$dir has no network.env: not a directory this script made; remove it yourself if you mean to"
	stop_network
	step "purging $dir"
	info "removing the chain data, node keys, logs and pid files of the network ($(du -sh "$dir" | cut -f1)):"
	local d
	for d in "$dir"/node-*/; do
		[ -d "$d" ] && info "  ${d%/}"
	done
	rm -rf "${dir:?}"
	info "removed $dir"
}

# ---------------------------------------------------------------------------------------
start_network() {
	local n=$validators chain="local-$validators" chain_id="escrow_local_$validators"
	local i file pid running=()

	ensure_node_bin

	step "checking that no network runs from $dir and the ports are free"
	mkdir -p "$dir"
	while read -r file; do
		[ -n "$file" ] || continue
		if pid="$(node_pid "$file")"; then
			running+=("$(basename "$file" .pid) (pid $pid)")
		else
			info "removing a stale pid file: $file"
			rm -f "$file"
		fi
	done < <(pid_files)
	[ ${#running[@]} -eq 0 ] ||
		die "a network already runs from $dir: ${running[*]}; stop it first: scripts/network.sh stop$dir_arg"

	local p2p_ports=() rpc_ports=()
	if [ "$base_port" -eq 0 ]; then
		read -r -a p2p_ports <<<"$(free_ports "$n")"
	else
		[ $((base_port + n - 1)) -le 65535 ] || die "--base-port $base_port + $((n - 1)) is above 65535"
		for ((i = 0; i < n; i++)); do p2p_ports+=($((base_port + i))); done
	fi
	for ((i = 0; i < n; i++)); do
		if [ "$rpc_base_port" -eq 0 ]; then
			rpc_ports+=(0)
		else
			[ $((rpc_base_port + i)) -le 65535 ] || die "--rpc-base-port $rpc_base_port + $i is above 65535"
			rpc_ports+=($((rpc_base_port + i)))
		fi
	done
	for ((i = 0; i < n; i++)); do
		if [ "$base_port" -ne 0 ] && port_taken "${p2p_ports[$i]}"; then
			die "port ${p2p_ports[$i]} (node $i's p2p port, --base-port $base_port + $i) is taken; pick another --base-port"
		fi
		if [ "${rpc_ports[$i]}" -ne 0 ] && port_taken "${rpc_ports[$i]}"; then
			die "port ${rpc_ports[$i]} (node $i's RPC port, --rpc-base-port $rpc_base_port + $i) is taken; pick another --rpc-base-port"
		fi
	done
	info "p2p ports ${p2p_ports[*]} (127.0.0.1 only); RPC ports ${rpc_ports[*]/#0/(OS)}"

	step "node keys (escrow-node key generate-node-key --chain $chain)"
	# A validator needs a node key before its first start on a non-dev chain (sc-cli will not
	# make one for it), and its peer id names it in the others' --bootnodes. Generated once per
	# base path; kept across restarts, so the bootnode addresses stay valid.
	local peers=() out key_file peer
	for ((i = 0; i < n; i++)); do
		key_file="$dir/node-$i/chains/$chain_id/network/secret_ed25519"
		if [ -f "$key_file" ]; then
			peer="$("$NODE_BIN" key inspect-node-key --file "$key_file" 2>/dev/null)" ||
				die "escrow-node key inspect-node-key --file $key_file failed"
		else
			out="$("$NODE_BIN" key generate-node-key --base-path "$dir/node-$i" --chain "$chain" 2>&1 >/dev/null)" ||
				die "escrow-node key generate-node-key --base-path $dir/node-$i --chain $chain failed: $out"
			peer="$(grep -o '12D3KooW[1-9A-HJ-NP-Za-km-z]*' <<<"$out" | tail -n1)"
			[ -f "$key_file" ] || die "generate-node-key wrote no key at $key_file: $out"
		fi
		[[ "$peer" =~ ^12D3KooW[1-9A-HJ-NP-Za-km-z]+$ ]] || die "no peer id for node $i's key $key_file (got '$peer')"
		echo "$peer" >"$dir/node-$i/peer-id"
		peers+=("$peer")
		info "node $i (${NAMES[$i]}): $peer"
	done

	write_env() {
		{
			printf 'chain=%s\n' "$chain"
			printf 'validators=%s\n' "$n"
			printf 'p2p_ports=%s\n' "${p2p_ports[*]}"
			printf 'rpc_ports=%s\n' "${rpc_ports[*]}"
		} >"$ENV_FILE"
	}
	write_env

	step "starting $n validator(s) on chain $chain"
	STARTED_PID_FILES=()
	# Whatever stops this start before the network is ready stops the nodes it started.
	trap 'if [ "${#STARTED_PID_FILES[@]}" -gt 0 ]; then step "stopping the nodes this start started"; stop_nodes "${STARTED_PID_FILES[@]}"; fi' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	local args j
	for ((i = 0; i < n; i++)); do
		# --state-pruning archive: `escrow events` and `escrow audit` read each block's events
		# from that block's state, which the default pruning drops after 256 blocks (13 min).
		args=(--chain "$chain" --base-path "$dir/node-$i" "--${NAMES[$i]}"
			--listen-addr "/ip4/127.0.0.1/tcp/${p2p_ports[$i]}"
			--public-addr "/ip4/127.0.0.1/tcp/${p2p_ports[$i]}" --rpc-port "${rpc_ports[$i]}"
			--no-mdns --no-prometheus --no-telemetry --state-pruning archive)
		for ((j = 0; j < n; j++)); do
			[ "$j" -eq "$i" ] || args+=(--bootnodes "/ip4/127.0.0.1/tcp/${p2p_ports[$j]}/p2p/${peers[$j]}")
		done
		# Alone, Aura would wait for peers before authoring.
		[ "$n" -gt 1 ] || args+=(--force-authoring)
		nohup "$NODE_BIN" "${args[@]}" >"$dir/node-$i.log" 2>&1 &
		echo $! >"$dir/node-$i.pid"
		STARTED_PID_FILES+=("$dir/node-$i.pid")
		info "node $i ($(title "${NAMES[$i]}")): pid $!, log $dir/node-$i.log"
	done

	# Two waits of up to READY_TIMEOUT_SEC each: every node compiles the runtime when it starts
	# (N at once on a small machine take a while), then the first blocks need a slot each and
	# GRANDPA a round of votes.
	step "waiting until every node answers JSON-RPC (up to ${READY_TIMEOUT_SEC}s)"
	local started deadline ready answering h best final peer_count port phase=rpc
	local first_final=() last=()
	started=$(now)
	deadline=$(($(date +%s) + READY_TIMEOUT_SEC))
	while :; do
		ready=0
		answering=0
		for ((i = 0; i < n; i++)); do
			if ! alive "$(cat "$dir/node-$i.pid")"; then
				tail -n 20 "$dir/node-$i.log" | sed 's/^/    | /' >&2
				die "node $i (${NAMES[$i]}) exited during start-up (log: $dir/node-$i.log)"
			fi
			if [ "${rpc_ports[$i]}" -eq 0 ]; then
				port="$(sed -n 's/.*Running JSON-RPC server: addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' \
					"$dir/node-$i.log" | head -n1)"
				[ -n "$port" ] || continue
				rpc_ports[i]=$port
				write_env
			fi
			h="$(heights "${rpc_ports[$i]}")" || continue
			answering=$((answering + 1))
			read -r best final peer_count <<<"$h"
			# The finalized height when the node first answered: a restarted network reports its
			# old one at once, so only a block finalized after that shows the network works.
			[ -n "${first_final[$i]:-}" ] || first_final[i]=$final
			last[i]="best #$best, finalized #$final, $peer_count peer(s)"
			if [ "$final" -gt "${first_final[$i]}" ]; then ready=$((ready + 1)); fi
		done
		[ "$ready" -lt "$n" ] || break
		if [ "$phase" = rpc ] && [ "$answering" -eq "$n" ]; then
			info "every node answers after $(elapsed_since "$started")s"
			phase=final
			step "waiting until every node has finalized a new block (up to ${READY_TIMEOUT_SEC}s)"
			deadline=$(($(date +%s) + READY_TIMEOUT_SEC))
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			for ((i = 0; i < n; i++)); do
				printf '    node %s (%s): %s; the tail of %s:\n' "$i" "${NAMES[$i]}" \
					"${last[$i]:-no RPC answer}" "$dir/node-$i.log" >&2
				tail -n 15 "$dir/node-$i.log" | sed 's/^/    | /' >&2
			done
			if [ "$phase" = rpc ]; then
				die "only $answering of $n nodes answer JSON-RPC after ${READY_TIMEOUT_SEC}s"
			fi
			die "only $ready of $n nodes finalized a new block within ${READY_TIMEOUT_SEC}s of all answering"
		fi
		sleep 0.5
	done
	STARTED_PID_FILES=()
	trap - EXIT INT TERM

	step "network ready in $(elapsed_since "$started")s: $n validator(s), chain $chain ($chain_id)"
	for ((i = 0; i < n; i++)); do
		info "$(printf '%-8s pid %-8s ws://127.0.0.1:%-6s %s  log %s' "$(title "${NAMES[$i]}")" \
			"$(cat "$dir/node-$i.pid")" "${rpc_ports[$i]}" "${last[$i]}" "$dir/node-$i.log")"
	done
	info "status: scripts/network.sh status$dir_arg"
	info "stop:   scripts/network.sh stop$dir_arg   (purge: stop and delete the chain data)"
	for ((i = 0; i < n; i++)); do echo "ws://127.0.0.1:${rpc_ports[$i]}"; done
}

case "$command" in
start) start_network ;;
status) status_network ;;
stop) stop_network ;;
purge) purge_network ;;
esac
