#!/usr/bin/env bash
# Builds the web dApp (dapp/, docs/dapp.md) and serves it on 127.0.0.1 for one node: the escrow
# contract and the tokens it talks to are those the CLI recorded for the node's URL
# (`escrow deploy`, `escrow token deploy|add`, in $ESCROW_HOME/config.json).
#
# Usage: scripts/dapp.sh [--url ws://127.0.0.1:9944] [--port 5173] [--background | --stop]
#   --background  serve in the background (its log and pid beside the build cache) and return
#   --stop        stop a server --background started
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

url="ws://127.0.0.1:9944"
port=5173
mode=foreground
while [ $# -gt 0 ]; do
	case "$1" in
	--url | --port)
		[ $# -ge 2 ] || die "$1 needs a value"
		[ "$1" = --url ] && url="$2" || port="$2"
		shift
		;;
	--background) mode=background ;;
	--stop) mode=stop ;;
	-h | --help)
		sed -n '2,8p' "$0"
		exit 0
		;;
	*) die "unknown argument: $1 (expected --url, --port, --background or --stop)" ;;
	esac
	shift
done

PID_FILE="$HOME/.cache/milestone-escrow/dapp.pid"
LOG_FILE="$HOME/.cache/milestone-escrow/dapp.log"
if [ "$mode" = stop ]; then
	if [ -f "$PID_FILE" ] && kill "$(cat "$PID_FILE")" 2>/dev/null; then
		info "stopped the dApp server (pid $(cat "$PID_FILE"))"
	else
		info "no dApp server was running"
	fi
	rm -f "$PID_FILE"
	exit 0
fi

# Where the CLI keeps its state (crates/escrow-client/src/config.rs): $ESCROW_HOME, else
# $XDG_DATA_HOME/escrow (absolute only), else ~/.local/share/escrow.
home="${ESCROW_HOME:-}"
if [ -z "$home" ]; then
	case "${XDG_DATA_HOME:-}" in
	/*) home="$XDG_DATA_HOME/escrow" ;;
	*) home="$HOME/.local/share/escrow" ;;
	esac
fi
config="$home/config.json"
[ -f "$config" ] || die "no $config: deploy the escrow with the CLI first (escrow deploy), or set ESCROW_HOME"
read -r escrow tokens < <(python3 -c '
import json, sys
config = json.load(open(sys.argv[1]))
deployment = config.get("deployments", {}).get(sys.argv[2])
if not deployment:
    sys.exit(f"no escrow deployment recorded for {sys.argv[2]} in {sys.argv[1]}")
tokens = [t["address"] for t in config.get("tokens", {}).get(sys.argv[2], [])]
print(deployment["contract"], ",".join(tokens))' "$config" "$url") || die "cannot read the deployment for $url from $config"

step "the dApp (dapp/: npm ci when its lock changed, generate, type-check, build)"
dapp_build
args=(--node "$url" --escrow "$escrow" --port "$port")
IFS=, read -r -a token_list <<<"$tokens"
for token in "${token_list[@]}"; do args+=(--token "$token"); done

step "serving it for $url (escrow $escrow${tokens:+, tokens $tokens})"
if [ "$mode" = background ]; then
	"$0" --stop >/dev/null
	nohup node "$REPO_ROOT/dapp/serve.mjs" "${args[@]}" >"$LOG_FILE" 2>&1 &
	echo $! >"$PID_FILE"
	for _ in $(seq 50); do
		grep -q '^dApp: ' "$LOG_FILE" && break
		kill -0 "$(cat "$PID_FILE")" 2>/dev/null || die "the dApp server exited: $(cat "$LOG_FILE")"
		sleep 0.1
	done
	info "$(grep '^dApp: ' "$LOG_FILE") (pid $(cat "$PID_FILE"); stop: scripts/dapp.sh --stop)"
else
	exec node "$REPO_ROOT/dapp/serve.mjs" "${args[@]}"
fi
