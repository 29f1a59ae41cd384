#!/usr/bin/env bash
# Wall time and peak memory of one full lifecycle (deploy + propose + accept-and-fund +
# 3 releases) through `escrow` and through cargo-contract 5.0.3, side by side, each
# against its own fresh `escrow-node --dev --tmp`.
#
# Usage: cli/bench/lifecycle.sh   (needs release builds of escrow and escrow-node, the
#        contract bundle, cargo-contract on PATH, /usr/bin/time)
set -euo pipefail

target="${CARGO_TARGET_DIR:-$HOME/.cache/milestone-escrow/target}"
node="$target/release/escrow-node"
escrow="${ESCROW_BIN:-$target/release/escrow}"
bundle="${ESCROW_BUNDLE:-$target/ink/milestone_escrow/milestone_escrow.contract}"
for f in "$node" "$escrow" "$bundle"; do [ -f "$f" ] || { echo "missing $f" >&2; exit 2; }; done
command -v cargo-contract >/dev/null || { echo "cargo-contract not on PATH" >&2; exit 2; }

work="$(mktemp -d)"
node_pid=""
cleanup() { [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_node() {
	[ -n "$node_pid" ] && { kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; }
	port="$(free_port)"
	"$node" --dev --tmp --rpc-port "$port" --port 0 --no-prometheus >/dev/null 2>"$work/node.log" &
	node_pid=$!
	for _ in $(seq 600); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
	url="ws://127.0.0.1:$port"
}

# Runs a command under /usr/bin/time; appends "seconds kilobytes label" to $work/times.
measure() {
	local label="$1"; shift
	/usr/bin/time -f "%e %M $label" -a -o "$work/times" "$@" >"$work/out" 2>"$work/err" || {
		echo "FAILED: $label" >&2; cat "$work/out" "$work/err" >&2; exit 1; }
	cat "$work/out"
}

report() {
	local tool="$1"
	awk -v tool="$tool" '{ t += $1; if ($2 > m) m = $2; n++; printf "  %-8s %-28s %6.3fs %7d KiB\n", tool, $3, $1, $2 }
		END { printf "  %-8s %-28s %6.3fs %7d KiB peak (%d calls)\n", tool, "TOTAL", t, m, n }' "$work/times"
	: >"$work/times"
}

alice=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY
bob=5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty
charlie=5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y
zero=0x0000000000000000000000000000000000000000000000000000000000000000

# --- escrow
start_node
export ESCROW_HOME="$work/escrow-home" ESCROW_URL="$url"
measure deploy "$escrow" -q --suri //Alice deploy --fee 100bps --bundle "$bundle" >/dev/null
hash="$(measure propose "$escrow" -q --json --suri //Charlie deal propose --buyer //Bob --total 100 --split 30,40,30 |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["events"][0]["terms_hash"])')"
measure accept+fund "$escrow" -q --suri //Bob deal accept 0 --terms-hash "$hash" --fund 100 >/dev/null
for i in 0 1 2; do measure "approve-$i" "$escrow" -q --suri //Bob deal approve 0 "$i" >/dev/null; done
echo "escrow ($escrow):"
report escrow

# --- cargo-contract
start_node
cc=(cargo-contract contract)
addr="$(measure deploy "${cc[@]}" instantiate --url "$url" --suri //Alice --constructor new \
	--args "$alice" 100 -x --skip-confirm --output-json "$bundle" | python3 -c 'import json,sys; print(json.load(sys.stdin)["contract"])')"
# The deadlines `escrow deal propose` derives by default: fund by 7 days from now, milestone n
# ships by fund-by + (n+1) x 30 days.
day=86400000
fund_by=$(($(date +%s) * 1000 + 7 * day))
ship() { echo $((fund_by + $1 * 30 * day)); }
terms="DealTerms { buyer: $bob, seller: $charlie, oracles: [], oracle_threshold: 0, arbiter: None, release_rule: Buyer, review_window: 604800000, arbitration_window: 1209600000, fallback_seller_bps: 5000, advance: false, agreement_hash: $zero, funder: None, fund_by: $fund_by, asset: Native, milestones: [MilestoneTerms { amount: 30000000000000, terms_hash: $zero, ship_by: $(ship 1) }, MilestoneTerms { amount: 40000000000000, terms_hash: $zero, ship_by: $(ship 2) }, MilestoneTerms { amount: 30000000000000, terms_hash: $zero, ship_by: $(ship 3) }] }"
measure propose "${cc[@]}" call --url "$url" --suri //Charlie --contract "$addr" --message propose --args "$terms" -x --skip-confirm "$bundle" >/dev/null
hash="$(ESCROW_HOME="$work/cc-home" "$escrow" --url "$url" --contract "$addr" --code-hash "$bundle" --json deal show 0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["deal"]["deal"]["terms_hash"])')"
measure accept+fund "${cc[@]}" call --url "$url" --suri //Bob --contract "$addr" --message accept --args "DealId(0)" "$hash" --value 100000000000000 -x --skip-confirm "$bundle" >/dev/null
for i in 0 1 2; do
	measure "approve-$i" "${cc[@]}" call --url "$url" --suri //Bob --contract "$addr" --message approve --args "DealId(0)" "$i" -x --skip-confirm "$bundle" >/dev/null
done
echo "cargo-contract $(cargo-contract --version | awk '{print $2}'):"
report cargo-contract
