#!/usr/bin/env bash
# THE test command (README and CI run it). In order, stopping at the first failure:
#   1. setup: scripts/setup.sh (toolchain, apt tools, the node binary)
#   2. test build: every test binary and tool of the workspace, in ONE cargo invocation
#      (one feature resolution, so no crate is compiled twice; see "Build each thing once")
#   3. contract bundles (release), by the contract-builder that build made; the CLI's chain
#      tests and the ink_e2e tests deploy them
#   4. unit and property tests: every test of the workspace but those of the phases below,
#      and doc tests
#   5. the e2e-tests crate but its network target: the node, the contract toolchain,
#      contracts on chain, and the CLI scenarios
#   6. dApp tests: the web dApp built (npm ci, clients generated from the bundles'
#      metadata, format check, type-check, vite build), its pure rules tested, and the page
#      driven in Debian's Chromium by playwright-core against its own dev node per test file;
#      screenshots kept in dapp/test-artifacts/
#   7. network tests: the e2e-tests crate's `network` target, deals on four validators
#      (`escrow-node --chain local-4`), some killed and restarted
#   8. ink_e2e tests of the contracts against one shared escrow-node
# then prints a summary: each phase's time against its budget, cargo test's result lines,
# the test counts per phase beside the previous run's, and warnings.
#
# Usage: scripts/test.sh [--skip-setup]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

skip_setup=0
for arg in "$@"; do
	case "$arg" in
	--skip-setup) skip_setup=1 ;;
	-h | --help)
		sed -n '2,18p' "$0"
		exit 0
		;;
	*) die "unknown argument: $arg (expected --skip-setup)" ;;
	esac
done

cd "$REPO_ROOT"
# The contract builds run nested cargos in temporary copies, out of reach of
# rust-toolchain.toml: pin the toolchain for every nested cargo explicitly.
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(pinned_toolchain)}"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/escrow-test.XXXXXX")"
started=$(now)
summary=()
warnings=()
PHASE_LOGS=()

# The time budget (docs/operations.md, "The test run's time budget"): seconds per phase on
# 2 cores, for a cold run (nothing built yet: no debug build in the target dir) and a warm
# one. Cold sums to 70.5 min, warm to 24. A phase over its budget is a warning in the
# summary.
# Measured on 2026-12-02, cold (from nothing) / warm (fresh clone): setup 864 / 0.5 s, test
# build 553 / 59 s, bundles 315 / 0.5 s, unit and property 85 / 156 s (62 s of it the
# cargo-contract identity check, which runs only where cargo-contract is installed), e2e
# 160 / 142 s, ink_e2e 29 / 29 s. The e2e phase grew with the oracle services' scenarios (issue
# 16: nine tests of real service processes polling every second): 214 s warm at 2026-12-02.
# The network tests (issue 17) start four validators per test and wait for real slots (3 s) and
# GRANDPA finality: measured on 2026-12-02, 250-255 s in three runs with two tests at a time
# (eight nodes), 413 s one at a time; they compile nothing, so cold and warm are alike. The dApp
# phase (issue 19): 117 s in a fresh clone on 2026-12-03 (a run of 28 tests), npm ci from
# npm's cache included.
declare -A BUDGET_COLD=(
	[setup]=1500 [test build]=1200 [contract bundles]=420
	[unit and property tests]=180 [e2e-tests crate]=300 [dApp tests]=240 [network tests]=330
	[ink_e2e tests]=60
)
declare -A BUDGET_WARM=(
	[setup]=30 [test build]=300 [contract bundles]=60
	[unit and property tests]=240 [e2e-tests crate]=270 [dApp tests]=150 [network tests]=330
	[ink_e2e tests]=60
)
run_kind=warm
[ -d "$CARGO_TARGET_DIR/debug/deps" ] || run_kind=cold
if [ "$run_kind" = cold ]; then
	declare -n BUDGET=BUDGET_COLD
else
	declare -n BUDGET=BUDGET_WARM
fi
# Test counts of the previous run, to print beside this one's.
COUNTS_FILE="$BUILD_CACHE_DIR/../test-counts.txt"

# run_phase <name> <command...>: runs one phase, tees its output to a log, records its time
# against its budget.
run_phase() {
	local name="$1"
	shift
	local log="$LOG_DIR/$(tr -c 'a-zA-Z0-9' '_' <<<"$name").log"
	local phase_started took budget="${BUDGET[$name]:-0}"
	phase_started=$(now)
	step "$name: $*"
	if ! "$@" 2>&1 | tee "$log"; then
		summary+=("FAILED  $(printf '%6ss' "$(elapsed_since "$phase_started")")  $name")
		print_summary "$log"
		die "phase '$name' failed (full log: $log); re-run it alone with: $*"
	fi
	took="$(elapsed_since "$phase_started")"
	summary+=("ok      $(printf '%6ss / %5ss' "$took" "$budget")  $name")
	PHASE_LOGS+=("$name|$log")
	if awk -v t="$took" -v b="$budget" 'BEGIN { exit !(t > b) }'; then
		warnings+=("phase '$name' took ${took}s, over its $run_kind budget of ${budget}s")
	fi
}

# After the test build, a phase that compiles a crate repeats work the build should have done
# (a different feature set, profile or flag). Contract builds are the bundles' own business.
check_no_rebuild() {
	local name="$1" log="$2" compiled
	compiled="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n 's/^ *Compiling \([^ ]*\) .*/\1/p' | sort -u)"
	[ -z "$compiled" ] ||
		warnings+=("phase '$name' compiled $(wc -l <<<"$compiled") crate(s) the test build had not: $(head -n 5 <<<"$compiled" | tr '\n' ' ')")
}

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

# phase_counts <log>: "passed ignored failed" summed over cargo test's result lines.
phase_counts() {
	sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '/^test result:/ {
		for (i = 1; i <= NF; i++) {
			if ($(i + 1) ~ /^passed/) p += $i
			if ($(i + 1) ~ /^ignored/) g += $i
			if ($(i + 1) ~ /^failed/) f += $i
		}
	} END { printf "%d %d %d", p, g, f }'
}

print_summary() {
	local failed_log="${1:-}"
	printf '\n==> summary (%ss in total, a %s run; time / budget per phase)\n' \
		"$(elapsed_since "$started")" "$run_kind"
	printf '    %s\n' "${summary[@]}"
	local entry name log counts previous new_counts=()
	for entry in "${PHASE_LOGS[@]}"; do
		name="${entry%%|*}"
		log="${entry#*|}"
		if grep -q '^test result:' "$log"; then
			printf '\n--- %s\n' "$name"
			grep -E '^\s+Running |^\s+Doc-tests |^test result:' "$log" | sed 's/\x1b\[[0-9;]*m//g'
		fi
	done
	printf '\n==> tests per phase: passed / ignored (previous run)\n'
	for entry in "${PHASE_LOGS[@]}"; do
		name="${entry%%|*}"
		log="${entry#*|}"
		grep -q '^test result:' "$log" || continue
		read -r p g _ <<<"$(phase_counts "$log")"
		previous="$(awk -F'|' -v n="$name" '$1 == n { print $2 " / " $3 }' "$COUNTS_FILE" 2>/dev/null || true)"
		printf '    %5s / %-3s (%s)  %s\n' "$p" "$g" "${previous:-none}" "$name"
		new_counts+=("$name|$p|$g")
	done
	# Optional checks a test reported it could not run (a tool that is not installed).
	local notes
	mapfile -t notes < <(cat "$LOG_DIR"/*.log 2>/dev/null | sed -n 's/.*optional check not run: //p' | sort -u)
	if [ ${#notes[@]} -gt 0 ]; then
		printf '\n==> optional checks not run\n'
		printf '    %s\n' "${notes[@]}"
	fi
	if [ ${#warnings[@]} -gt 0 ]; then
		printf '\n==> warnings\n'
		printf '    warning: %s\n' "${warnings[@]}"
	fi
	if [ -n "$failed_log" ]; then
		printf '\n--- failing phase, last lines:\n'
		tail -n 30 "$failed_log"
	elif [ ${#new_counts[@]} -gt 0 ]; then
		mkdir -p "$(dirname "$COUNTS_FILE")"
		printf '%s\n' "${new_counts[@]}" >"$COUNTS_FILE"
	fi
}

if [ "$skip_setup" -eq 0 ]; then
	run_phase "setup" "$REPO_ROOT/scripts/setup.sh"
fi
[ -x "$NODE_BIN" ] || die "$NODE_BIN is missing; run scripts/setup.sh (or drop --skip-setup)"

# The contracts with ink_e2e tests: those whose Cargo.toml declares an `e2e-tests` feature.
e2e_features=()
for manifest in contracts/*/Cargo.toml; do
	if sed -n '/^\[features\]/,/^\[/p' "$manifest" | grep -q '^e2e-tests[[:space:]]*='; then
		crate="$(sed -n 's/^name[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' "$manifest" | head -n1)"
		e2e_features+=("$crate/e2e-tests")
	fi
done

# Every cargo command below selects the same packages (--workspace) with the same features:
# cargo resolves features per invocation over the selected packages, and any difference
# compiles dependencies again under other hashes (measured before this layout: 1,099 of
# 2,529 dependency artifacts were such repeats). The phases pick their tests by target and
# by name instead of by package.
CARGO_SELECTION=(--workspace)
if [ ${#e2e_features[@]} -gt 0 ]; then
	CARGO_SELECTION+=(--features "$(
		IFS=,
		echo "${e2e_features[*]}"
	)")
fi

# Integration-test targets by package: the e2e-tests crate's, and everybody else's.
mapfile -t e2e_tests < <(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    for t in p["targets"]:
        if "test" in t["kind"]:
            print(("e2e " if p["name"] == "escrow-e2e-tests" else "other ") + t["name"])
')
# The e2e-tests crate's `network` target runs in a phase of its own (see "network tests").
e2e_targets=()
other_targets=()
network_targets=()
for entry in "${e2e_tests[@]}"; do
	case "$entry" in
	"e2e network") network_targets+=(--test network) ;;
	"e2e "*) e2e_targets+=(--test "${entry#e2e }") ;;
	*) other_targets+=(--test "${entry#other }") ;;
	esac
done
[ ${#e2e_targets[@]} -gt 0 ] || die "cargo metadata lists no tests of escrow-e2e-tests"
[ ${#network_targets[@]} -gt 0 ] || die "cargo metadata lists no network test target in escrow-e2e-tests"

# The model-based property test runs MODEL_CASES sequences of 50 steps; CI runs 256, the big
# run is MODEL_CASES=10000 (see contracts/milestone_escrow/src/model/).
export MODEL_CASES="${MODEL_CASES:-256}"

run_phase "test build" cargo test "${CARGO_SELECTION[@]}" --no-run

# The bundles, by the contract-builder that build just made (no cargo-contract needed).
export ESCROW_CONTRACT_BUILDER="$CARGO_TARGET_DIR/debug/contract-builder"
build_bundles() {
	local manifest
	for manifest in contracts/*/Cargo.toml; do
		# A contract crate: ink_e2e's own test for one (it can be a dependency of another).
		grep -q '^ink-as-dependency[[:space:]]*=' "$manifest" || continue
		"$REPO_ROOT/scripts/build-contract.sh" "$(dirname "$manifest")" --release --cached
	done
}
run_phase "contract bundles" build_bundles

# The chain tests fail, not skip, when something they need is missing.
export ESCROW_REQUIRE_CHAIN=1 ESCROW_NODE="$NODE_BIN"
unit_tests() {
	# The ink_e2e tests are in the contracts' lib targets; they run in their own phase.
	cargo test "${CARGO_SELECTION[@]}" --lib --bins "${other_targets[@]}" -- --skip e2e_tests:: &&
		cargo test "${CARGO_SELECTION[@]}" --doc
}
run_phase "unit and property tests" unit_tests
check_no_rebuild "unit and property tests" "${PHASE_LOGS[-1]#*|}"

run_phase "e2e-tests crate" cargo test "${CARGO_SELECTION[@]}" "${e2e_targets[@]}"
check_no_rebuild "e2e-tests crate" "${PHASE_LOGS[-1]#*|}"

# The dApp's tests (dapp/tests/*.test.mjs, node's test runner): each browser test file starts its
# own dev node and deploys with the CLI the test build made; one file at a time (Chromium and
# the node share 2 cores). node's TAP summary is turned into a cargo-style result line for the counts.
dapp_tests() {
	local log="$LOG_DIR/dapp-tap.log" pass fail
	dapp_build || return 1
	(cd dapp && ESCROW_BIN="$CARGO_TARGET_DIR/debug/escrow" DAPP_ARTIFACTS="$REPO_ROOT/dapp/test-artifacts" \
		node --test --test-concurrency=1 tests/) | tee "$log"
	local status=${PIPESTATUS[0]}
	pass="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log")"
	fail="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log")"
	echo "test result: $([ "$status" -eq 0 ] && echo ok || echo FAILED). ${pass:-0} passed; ${fail:-0} failed; 0 ignored (node --test, dapp/tests)"
	echo "screenshots: $REPO_ROOT/dapp/test-artifacts/"
	return "$status"
}
run_phase "dApp tests" dapp_tests

# Each test starts its own four validators, two tests at a time: most of a test is waiting for
# slots and finality, so two overlap well on 2 cores (see the budget's comment).
run_phase "network tests" cargo test "${CARGO_SELECTION[@]}" "${network_targets[@]}" -- --test-threads=2
check_no_rebuild "network tests" "${PHASE_LOGS[-1]#*|}"

if [ ${#e2e_features[@]} -eq 0 ]; then
	warnings+=("no contract declares an e2e-tests feature: no ink_e2e tests ran")
else
	# One node for all of them, its URL read by the tests at run time. Each test deploys its
	# own contract instance and asserts balance *changes*, so a shared chain changes no
	# result; --test-threads=1 because the tests sign with the same dev accounts.
	start_shared_node
	run_phase "ink_e2e tests" env CONTRACTS_NODE="$NODE_BIN" CONTRACTS_NODE_URL="$SHARED_NODE_URL" \
		cargo test "${CARGO_SELECTION[@]}" --lib -- e2e_tests:: --test-threads=1
	check_no_rebuild "ink_e2e tests" "${PHASE_LOGS[-1]#*|}"
	stop_shared_node
fi

print_summary
printf '\n==> all tests passed in %ss\n' "$(elapsed_since "$started")"
