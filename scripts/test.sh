#!/usr/bin/env bash
# THE test command (README and CI run it). In order, stopping at the first failure:
#   1. scripts/setup.sh: toolchain, apt tools, cargo-contract, the node binary
#   2. the contract's release bundle (the CLI's chain tests deploy it)
#   3. unit and property tests: cargo test --workspace (all but the e2e crate)
#   4. the e2e-tests crate: the node, the contract toolchain, contracts on chain, and the
#      CLI scenarios (with the debug `escrow` binary built right before)
#   5. ink_e2e tests of the contracts (feature e2e-tests) against escrow-node
# then prints a summary with each phase's time and cargo test's result lines.
#
# Usage: scripts/test.sh [--skip-setup]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

skip_setup=0
for arg in "$@"; do
	case "$arg" in
	--skip-setup) skip_setup=1 ;;
	-h | --help)
		sed -n '2,9p' "$0"
		exit 0
		;;
	*) die "unknown argument: $arg (expected --skip-setup)" ;;
	esac
done

cd "$REPO_ROOT"
# ink_e2e and cargo-contract build contracts in temporary copies, out of reach of
# rust-toolchain.toml: pin the toolchain for every nested cargo explicitly.
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(pinned_toolchain)}"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/escrow-test.XXXXXX")"
started=$(now)
summary=()

# run_phase <name> <command...>: runs one phase, tees its output to a log, records the time.
run_phase() {
	local name="$1"
	shift
	local log="$LOG_DIR/$(tr -c 'a-zA-Z0-9' '_' <<<"$name").log"
	local phase_started
	phase_started=$(now)
	step "$name: $*"
	if ! "$@" 2>&1 | tee "$log"; then
		summary+=("FAILED  $(printf '%6ss' "$(elapsed_since "$phase_started")")  $name")
		print_summary "$log"
		die "phase '$name' failed (full log: $log); re-run it alone with: $*"
	fi
	summary+=("ok      $(printf '%6ss' "$(elapsed_since "$phase_started")")  $name")
	PHASE_LOGS+=("$name|$log")
}
PHASE_LOGS=()

# start_shared_node: starts `escrow-node --dev --tmp --rpc-port 0` and waits until its RPC
# answers; sets SHARED_NODE_URL. The port is the one the node reports it bound (no race for a
# "free" port). The EXIT trap stops it whatever happens.
SHARED_NODE_PID=""
start_shared_node() {
	local log="$LOG_DIR/shared-node.log" port="" deadline=$(($(date +%s) + 60))
	step "shared node for the ink_e2e tests (log: $log)"
	"$NODE_BIN" --dev --tmp --rpc-port 0 --port 0 --no-prometheus >"$log" 2>&1 &
	SHARED_NODE_PID=$!
	trap stop_shared_node EXIT
	until [ -n "$port" ] && rpc_health "$port" >/dev/null; do
		kill -0 "$SHARED_NODE_PID" 2>/dev/null || die "the shared node exited (log: $log)"
		[ "$(date +%s)" -lt "$deadline" ] || die "the shared node's RPC is not ready after 60 s (log: $log)"
		sleep 0.1
		port="$(sed -n 's/.*Running JSON-RPC server: addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)"
	done
	SHARED_NODE_URL="ws://127.0.0.1:$port"
	info "ready at $SHARED_NODE_URL (pid $SHARED_NODE_PID)"
}
stop_shared_node() {
	[ -n "$SHARED_NODE_PID" ] || return 0
	kill "$SHARED_NODE_PID" 2>/dev/null || true
	wait "$SHARED_NODE_PID" 2>/dev/null || true
	SHARED_NODE_PID=""
}

print_summary() {
	local failed_log="${1:-}"
	printf '\n==> summary (%ss in total)\n' "$(elapsed_since "$started")"
	printf '    %s\n' "${summary[@]}"
	local entry name log
	for entry in "${PHASE_LOGS[@]}"; do
		name="${entry%%|*}"
		log="${entry#*|}"
		if grep -q '^test result:' "$log"; then
			printf '\n--- %s\n' "$name"
			grep -E '^\s+Running |^\s+Doc-tests |^test result:' "$log" | sed 's/\x1b\[[0-9;]*m//g'
		fi
	done
	if [ -n "$failed_log" ]; then
		printf '\n--- failing phase, last lines:\n'
		tail -n 30 "$failed_log"
	fi
}

if [ "$skip_setup" -eq 0 ]; then
	run_phase "setup" "$REPO_ROOT/scripts/setup.sh"
fi
[ -x "$NODE_BIN" ] || die "$NODE_BIN is missing; run scripts/setup.sh (or drop --skip-setup)"

# The model-based property test runs MODEL_CASES sequences of 50 steps; CI runs 256 (~75 s), the
# big run is MODEL_CASES=10000 (see contracts/milestone_escrow/src/model_tests.rs).
export MODEL_CASES="${MODEL_CASES:-256}"
# The CLI's chain tests deploy the release bundle; build it first and make them fail, not skip,
# when something they need is missing.
run_phase "contract bundle (release)" \
	"$REPO_ROOT/scripts/build-contract.sh" contracts/milestone_escrow --release --cached
export ESCROW_REQUIRE_CHAIN=1 ESCROW_NODE="$NODE_BIN"
run_phase "unit and property tests" \
	cargo test --workspace --exclude escrow-e2e-tests

run_phase "escrow CLI binary (the e2e scenarios run it)" cargo build -p escrow-cli --bin escrow
run_phase "e2e-tests crate (node, toolchain, CLI scenarios)" \
	env ESCROW_NODE="$NODE_BIN" cargo test -p escrow-e2e-tests

# ink_e2e: bare_pay always; a contract only once its Cargo.toml declares `e2e-tests`.
e2e_packages=()
e2e_features=()
for crate_dir in contracts/bare_pay contracts/milestone_escrow; do
	manifest="$crate_dir/Cargo.toml"
	[ -f "$manifest" ] || continue
	if sed -n '/^\[features\]/,/^\[/p' "$manifest" | grep -q '^e2e-tests[[:space:]]*='; then
		crate="$(sed -n 's/^name[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' "$manifest" | head -n1)"
		e2e_packages+=(-p "$crate")
		e2e_features+=("$crate/e2e-tests")
	else
		info "$manifest declares no e2e-tests feature: no ink_e2e tests for it"
	fi
done
features_csv="$(
	IFS=,
	echo "${e2e_features[*]}"
)"
# One node for all of them: left alone, ink_e2e spawns a node per test. Each test deploys its
# own contract instance and asserts balance *changes*, so a shared chain changes no result;
# --test-threads=1 because the tests sign with the same dev accounts.
start_shared_node
run_phase "ink_e2e tests (${e2e_features[*]}) on $SHARED_NODE_URL" \
	env CONTRACTS_NODE="$NODE_BIN" CONTRACTS_NODE_URL="$SHARED_NODE_URL" \
	cargo test "${e2e_packages[@]}" --features "$features_csv" -- --test-threads=1
stop_shared_node

print_summary
printf '\n==> all tests passed in %ss\n' "$(elapsed_since "$started")"
