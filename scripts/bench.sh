#!/usr/bin/env bash
# The benchmarks, side by side in one run on a fresh local chain, written as a markdown report:
#   1. the reference deal (30/40/30 with an advance, an oracle and an arbiter, proposal to
#      closure): its total weight, against the floor (bare_pay::pay × its transfers), and how
#      many fit in a block at the chain's own limits;
#   2. weight (ref_time, proof_size; dry-run gas_consumed) of each escrow message against a bare
#      contract that only stores and transfers (contracts/bare_pay), release builds of both, and
#      against the same message at 861cbb3 (the ink! contract deployed alone);
#   3. the reference deal paid in the stablecoin (contracts/stablecoin), against native;
#   4. 1 and 2 again after --deals N more deals (default 10,000); approve/fund on a 1- vs a
#      16-milestone deal; optimized .wasm sizes; a deal's deposit;
#   5. CLI wall time and peak memory for a full lifecycle: `escrow` vs cargo-contract 5.0.3,
#      when it is installed (optional: scripts/setup.sh --with-cargo-contract).
#
# Usage: scripts/bench.sh [--deals N] [--out FILE]     (default FILE: docs/bench.md)
# Exit codes: 0 done; 1 a cost was not flat, or a message or the whole deal costs more than 2%
# over 861cbb3 (the report says which); 2 a step failed.
#
# scripts/bench.sh --oracle [--out FILE]   (default FILE: docs/oracle-bench.md) measures the
# oracle service instead (issue 16; bench/src/oracle): the release `escrow oracle run` against
# the carrier simulator on a fresh node: latency from an ACT event in the feed to the
# attestation in a block over 50 milestones (p50/p95/max against poll interval + one block),
# and one service watching 1,000 milestones (requests, time, CPU and memory per pass; 100
# events at once). About 10 minutes. Exit codes: 0 measured (the report says whether each
# goal was met); 2 a step failed.
#
# scripts/bench.sh --network [--deals N] [--out FILE]   (default FILE: docs/network-bench.md)
# measures a local network instead (issue 17; bench/src/network): 4 validators of
# `escrow-node --chain local-4` (Aura 3 s slots, GRANDPA) started by the bench itself, the
# release escrow deployed on it, then N reference deals (default 900: //Alice funds at most
# about 950) proposal to closure, 250 at a time, from 150 derived accounts: sustained and peak
# transactions/s and deals/s, finality lag, block fullness against the normal-class weight
# limit, CPU, pools and missed slots (the bottleneck), and how many deals one block's weight
# could hold. About 5 minutes.
# Exit codes: 0 measured; 2 a step failed (any deal's transaction failing fails the run).
#
# scripts/bench.sh --audit [--deals N] [--blocks B] [--out FILE]   (default FILE:
# docs/audit-bench.md) measures the auditor instead (issue 18; bench/src/audit): on a dev node
# with archive state, the reference deal spread over B empty blocks (default 100,000, sealed
# with engine_createBlock) and the time to audit it, the walk along its trails against a scan
# of every block; then N more deals (default 10,000) through their lifecycle and
# `escrow audit --all`: time and peak memory. About 15 minutes.
# scripts/bench.sh --dapp [--out FILE]   (default FILE: docs/dapp-bench.md) measures the web
# dApp instead (issue 19; dapp/bench/render.mjs): the first render of the deal list for an
# account with 50 deals, in headless Chromium on a dev node, and the JS bundle's gzipped size.
# About 2 minutes.
# Exit codes: 0 measured; 2 a step failed or an audit found something.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Every mode's usage says: exit 2 when a step failed.
DIE_EXIT_CODE=2

deals=10000
deals_given=""
out=""
oracle=""
network=""
audit=""
dapp=""
blocks=100000
while [ $# -gt 0 ]; do
	case "$1" in
	--deals)
		deals="${2:?--deals needs a number}"
		deals_given=1
		shift 2
		;;
	--out)
		out="${2:?--out needs a file}"
		shift 2
		;;
	--oracle)
		oracle=1
		shift
		;;
	--audit)
		audit=1
		shift
		;;
	--dapp)
		dapp=1
		shift
		;;
	--blocks)
		blocks="${2:?--blocks needs a number}"
		shift 2
		;;
	--network)
		network=1
		shift
		;;
	-h | --help)
		sed -n '2,47p' "$0"
		exit 0
		;;
	*) die "unknown argument: $1 (expected --deals N, --oracle, --network, --audit, --dapp, --blocks B or --out FILE)" ;;
	esac
done
[ "$(( ${oracle:-0} + ${network:-0} + ${audit:-0} + ${dapp:-0} ))" -le 1 ] || die "--oracle, --network, --audit and --dapp are separate runs: pick one"
if [ -n "$dapp" ]; then
	out="${out:-$REPO_ROOT/docs/dapp-bench.md}"
elif [ -n "$oracle" ]; then
	out="${out:-$REPO_ROOT/docs/oracle-bench.md}"
elif [ -n "$audit" ]; then
	out="${out:-$REPO_ROOT/docs/audit-bench.md}"
elif [ -n "$network" ]; then
	out="${out:-$REPO_ROOT/docs/network-bench.md}"
else
	out="${out:-$REPO_ROOT/docs/bench.md}"
fi
[[ "$deals" =~ ^[0-9]+$ ]] || die "--deals: '$deals' is not a whole number"

cd "$REPO_ROOT"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(pinned_toolchain)}"
[ -x "$NODE_BIN" ] || die "$NODE_BIN is missing; run scripts/setup.sh first"

if [ -n "$dapp" ]; then
	step "the CLI, the bundles and the dApp"
	cargo build -q -p escrow-cli --bin escrow || die "cargo build of the CLI failed"
	for crate in milestone_escrow stablecoin; do
		"$REPO_ROOT/scripts/build-contract.sh" "contracts/$crate" --release --cached || die "building the $crate bundle failed"
	done
	dapp_build
	step "dapp/bench/render.mjs: 50 deals, first render of the list; the bundle's size"
	(cd dapp && ESCROW_NODE="$NODE_BIN" ESCROW_BIN="$CARGO_TARGET_DIR/debug/escrow" node bench/render.mjs --out "$out") ||
		die "the dApp bench failed; nothing written to $out"
	step "report written to $out"
	exit 0
fi

if [ -n "$network" ]; then
	step "release builds: the milestone_escrow bundle, escrow-network-bench"
	"$REPO_ROOT/scripts/build-contract.sh" contracts/milestone_escrow --release ||
		die "building the milestone_escrow bundle failed"
	cargo build --release -q -p escrow-bench --bin escrow-network-bench ||
		die "cargo build of the bench failed"
	network_args=(--escrow-bundle "$CARGO_TARGET_DIR/ink/milestone_escrow/by-mode/release/milestone_escrow.contract" --out "$out")
	[ -z "$deals_given" ] || network_args+=(--deals "$deals")
	step "escrow-network-bench: 4 validators, the reference deals under load"
	mkdir -p "$(dirname "$out")"
	# The bench starts the validators itself (test-support's TestNetwork), from $NODE_BIN.
	network_rc=0
	ESCROW_NODE="$NODE_BIN" "$CARGO_TARGET_DIR/release/escrow-network-bench" "${network_args[@]}" || network_rc=$?
	[ "$network_rc" -eq 0 ] || die "escrow-network-bench failed (exit $network_rc); nothing written to $out"
	step "report written to $out"
	exit 0
fi

if [ -n "$oracle" ] || [ -n "$audit" ]; then
	step "release builds: the milestone_escrow bundle, the bench, escrow"
	"$REPO_ROOT/scripts/build-contract.sh" contracts/milestone_escrow --release
else
	step "release builds: bare_pay, milestone_escrow and stablecoin bundles, escrow-bench, escrow"
	"$REPO_ROOT/scripts/build-contract.sh" contracts/bare_pay --release
	"$REPO_ROOT/scripts/build-contract.sh" contracts/milestone_escrow --release
	"$REPO_ROOT/scripts/build-contract.sh" contracts/stablecoin --release
fi
cargo build --release -q -p escrow-bench -p escrow-cli || die "cargo build of the bench failed"
bare_bundle="$CARGO_TARGET_DIR/ink/bare_pay/by-mode/release/bare_pay.contract"
escrow_bundle="$CARGO_TARGET_DIR/ink/milestone_escrow/by-mode/release/milestone_escrow.contract"

work="$(mktemp -d "${TMPDIR:-/tmp}/escrow-bench.XXXXXX")"
node_pid=""
cleanup() {
	[ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
node_args=(--dev --tmp --rpc-port "$port" --port 0 --no-prometheus)
# The audit reads events and records at old blocks: keep every block's state.
[ -z "$audit" ] || node_args+=(--state-pruning archive)
step "escrow-node ${node_args[*]}"
"$NODE_BIN" "${node_args[@]}" >/dev/null 2>"$work/node.log" &
node_pid=$!
for _ in $(seq 600); do
	(echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
	sleep 0.1
done
(echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null || die "the node did not open its RPC port (log: $work/node.log)"

if [ -n "$oracle" ]; then
	step "escrow-oracle-bench (latency over 50 milestones, then 1,000 milestones watched)"
	mkdir -p "$(dirname "$out")"
	"$CARGO_TARGET_DIR/release/escrow-oracle-bench" --url "ws://127.0.0.1:$port" \
		--escrow-bundle "$escrow_bundle" --escrow-bin "$CARGO_TARGET_DIR/release/escrow" \
		--out "$out" || die "escrow-oracle-bench failed (exit $?; node log: $work/node.log)"
	step "report written to $out"
	exit 0
fi

if [ -n "$audit" ]; then
	step "escrow-audit-bench (one deal over $blocks blocks, then audit --all)"
	mkdir -p "$(dirname "$out")"
	audit_args=(--url "ws://127.0.0.1:$port" --escrow-bundle "$escrow_bundle"
		--escrow-bin "$CARGO_TARGET_DIR/release/escrow" --blocks "$blocks" --out "$out")
	[ -z "$deals_given" ] || audit_args+=(--deals "$deals")
	"$CARGO_TARGET_DIR/release/escrow-audit-bench" "${audit_args[@]}" ||
		die "escrow-audit-bench failed (exit $?; node log: $work/node.log)"
	step "report written to $out"
	exit 0
fi

step "escrow-bench --deals $deals"
bench_rc=0
"$CARGO_TARGET_DIR/release/escrow-bench" --url "ws://127.0.0.1:$port" --deals "$deals" \
	--bare-bundle "$bare_bundle" --escrow-bundle "$escrow_bundle" \
	--stablecoin-bundle "$CARGO_TARGET_DIR/ink/stablecoin/by-mode/release/stablecoin.contract" \
	>"$work/bench.md" || bench_rc=$?
[ "$bench_rc" -le 1 ] || die "escrow-bench failed (exit $bench_rc)"
kill "$node_pid" 2>/dev/null
wait "$node_pid" 2>/dev/null || true
node_pid=""

if command -v cargo-contract >/dev/null 2>&1; then
	step "CLI lifecycle: escrow vs cargo-contract (cli/bench/lifecycle.sh)"
	ESCROW_BUNDLE="$escrow_bundle" ESCROW_BIN="$CARGO_TARGET_DIR/release/escrow" \
		bash "$REPO_ROOT/cli/bench/lifecycle.sh" >"$work/cli.txt" || die "cli/bench/lifecycle.sh failed"
	cli_ratio="$(awk '/TOTAL/ { t[$1] = $3; m[$1] = $4 } END {
		gsub("s", "", t["escrow"]); gsub("s", "", t["cargo-contract"]);
		printf "escrow / cargo-contract: wall %.2f×, peak memory %.2f×", t["escrow"] / t["cargo-contract"], m["escrow"] / m["cargo-contract"] }' "$work/cli.txt")"
else
	# cargo-contract is an optional install: without it there is nothing to compare with.
	step "CLI lifecycle: not run (cargo-contract not installed; scripts/setup.sh --with-cargo-contract)"
	echo "not measured: cargo-contract is not installed (scripts/setup.sh --with-cargo-contract)" >"$work/cli.txt"
	cli_ratio="escrow / cargo-contract: not measured"
fi

# The lead commits after the run: say when the figures come from an uncommitted tree.
rev="$(git rev-parse --short HEAD)"
git diff --quiet HEAD -- . || rev="$rev plus uncommitted changes"
mkdir -p "$(dirname "$out")"
{
	echo "# Benchmarks"
	echo
	echo "Written by \`scripts/bench.sh --deals $deals\` on $(date -u +%Y-%m-%d) at commit $rev;"
	echo "$(nproc) cores, $(rustc --version), node \`escrow-node --dev --tmp\` (instant seal)."
	echo
	cat "$work/bench.md"
	echo
	echo "## CLI: one full lifecycle (deploy + propose + accept-and-fund + 3 releases), wall time and peak RSS"
	echo
	echo '```'
	cat "$work/cli.txt"
	echo '```'
	echo
	echo "$cli_ratio"
} >"$out"
cat "$out"
step "report written to $out"
exit "$bench_rc"
