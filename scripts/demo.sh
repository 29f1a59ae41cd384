#!/usr/bin/env bash
# The exporter demo: an Indian textile exporter sells to a European buyer through the
# milestone escrow, on the local chain, with the real `escrow` CLI and the dev accounts.
#
#   deal 1: 20,000 UNIT, 30% advance at order confirmation, 40% at shipment (attested by a
#           logistics oracle), 30% at delivery (approved by the buyer)
#   deal 2: 5,000 UNIT on the same terms; the buyer disputes the delivery and the arbiter
#           splits it 60/40
# Balances are printed every time money moves.
#
# Usage: scripts/demo.sh [--keep-node] [--rpc-port N]
#   --keep-node   leave the node this script starts running (default: stop it at the end)
#   --rpc-port N  the node's RPC port (default 9944)
# On a fresh machine the first run bootstraps it (scripts/setup.sh; about an hour on 2 cores),
# then builds the CLI and the contract; a later run with nothing to rebuild takes about
# 30 s. A node that already answers on the port is used as is and left running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keep_node=0
rpc_port=9944
while [ $# -gt 0 ]; do
	case "$1" in
	--keep-node) keep_node=1 ;;
	--rpc-port)
		[ $# -ge 2 ] || die "--rpc-port needs a value"
		rpc_port="$2"
		shift
		;;
	-h | --help)
		sed -n '2,17p' "$0"
		exit 0
		;;
	*) die "unknown argument: $1 (expected --keep-node or --rpc-port N)" ;;
	esac
	shift
done
[[ "$rpc_port" =~ ^[0-9]+$ ]] || die "--rpc-port must be a number, got '$rpc_port'"

cd "$REPO_ROOT"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(pinned_toolchain)}"
URL="ws://127.0.0.1:$rpc_port"
ESCROW_BIN="$CARGO_TARGET_DIR/release/escrow"
BUNDLE="$CARGO_TARGET_DIR/ink/milestone_escrow/by-mode/release/milestone_escrow.contract"
started=$(now)

# ---------------------------------------------------------------------------------------
step "1/5 bootstrap: what this machine still needs"
# Estimates are for a 2-core machine with a warm network; more cores build faster.
estimate=0
needs=()
need_setup=0
if ! command -v rustup >/dev/null 2>&1 ||
	! rustup toolchain list 2>/dev/null | grep -q "^$(pinned_toolchain)-"; then
	needs+=("Rust $(pinned_toolchain) with the wasm32 target and rust-src (~3 min)")
	estimate=$((estimate + 3))
	need_setup=1
fi
if ! command -v wasm-validate >/dev/null 2>&1; then
	needs+=("apt packages: wabt, protobuf-compiler, build tools (~2 min)")
	estimate=$((estimate + 2))
	need_setup=1
fi
if [ ! -x "$NODE_BIN" ]; then
	needs+=("the escrow-node chain (~11 min cold on 2 cores)")
	estimate=$((estimate + 11))
	need_setup=1
fi
if [ ! -x "$ESCROW_BIN" ]; then
	needs+=("the escrow CLI, release build (~8 min)")
	estimate=$((estimate + 8))
fi
if [ ! -f "$BUNDLE" ]; then
	if [ ! -x "$CARGO_TARGET_DIR/debug/contract-builder" ]; then
		needs+=("the contract builder, cargo-contract's build library (~7 min)")
		estimate=$((estimate + 7))
	fi
	needs+=("the contract bundle (~5 min)")
	estimate=$((estimate + 5))
fi
if [ ${#needs[@]} -eq 0 ]; then
	info "nothing: everything is built (incremental rebuild checks follow: seconds, or a"
	info "minute or two if the CLI's sources changed)"
else
	info "first run: this machine still needs"
	for n in "${needs[@]}"; do info "  - $n"; done
	info "estimated: about $estimate min in total on 2 cores. Each step prints its name as it"
	info "starts and its time when done; cargo shows its own progress."
fi
if [ "$need_setup" -eq 1 ]; then
	phase_started=$(now)
	"$REPO_ROOT/scripts/setup.sh"
	info "setup done in $(elapsed_since "$phase_started")s"
fi

step "2/5 the escrow CLI (cargo build --release -p escrow-cli)"
phase_started=$(now)
cargo build --release -p escrow-cli --bin escrow
info "$ESCROW_BIN ready in $(elapsed_since "$phase_started")s"

step "3/5 the contract bundle (scripts/build-contract.sh --cached)"
phase_started=$(now)
# --cached: a contract build takes a minute or two even when nothing changed; the
# content-keyed cache reuses the last build of exactly these sources instead.
"$REPO_ROOT/scripts/build-contract.sh" contracts/milestone_escrow --release --cached
[ -f "$BUNDLE" ] || die "no bundle at $BUNDLE after the build"
info "$BUNDLE ready in $(elapsed_since "$phase_started")s"

# ---------------------------------------------------------------------------------------
step "4/5 the local chain on $URL"
node_started=0
if curl -sf --max-time 2 -H 'Content-Type: application/json' \
	-d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' \
	"http://127.0.0.1:$rpc_port" >/dev/null 2>&1; then
	info "a node already answers on port $rpc_port: using it, and leaving it running"
else
	"$REPO_ROOT/scripts/node.sh" --background --rpc-port "$rpc_port" >/dev/null
	node_started=1
	if [ "$keep_node" -eq 1 ]; then
		info "started a throw-away chain (--tmp); it keeps running after the demo (--keep-node)"
	else
		info "started a throw-away chain (--tmp); the demo stops it at the end (--keep-node keeps it)"
	fi
fi
stop_our_node() {
	if [ "$node_started" -eq 1 ] && [ "$keep_node" -eq 0 ]; then
		"$REPO_ROOT/scripts/node.sh" --stop >/dev/null 2>&1 || true
		node_started=0
		info "stopped the node the demo started"
	fi
}
trap stop_our_node EXIT

# ---------------------------------------------------------------------------------------
step "5/5 the story"
export ESCROW_HOME="$REPO_ROOT/.escrow" ESCROW_URL="$URL"
unset ESCROW_CONTRACT ESCROW_SURI ESCROW_ACCOUNT
DOCS="$(mktemp -d "${TMPDIR:-/tmp}/escrow-demo.XXXXXX")"

# Runs escrow with stdin from /dev/null (never a prompt), showing the command.
escrow() {
	printf '\n  $ escrow %s\n' "$*"
	"$ESCROW_BIN" -q "$@" </dev/null | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}
# Quiet variant for values the script needs.
escrow_value() { "$ESCROW_BIN" -q "$@" </dev/null; }

free_of() { # account -> free balance in planck
	escrow_value --json account show "$1" | sed -n 's/.*"free":"\([0-9]*\)".*/\1/p'
}
# planck (possibly negative) -> UNIT with 6 decimals. Dev balances (1e18 planck) fit bash's
# 64-bit arithmetic.
fmt_unit() {
	local v=$1 sign=""
	if [ "${v#-}" != "$v" ]; then
		sign="-"
		v=${v#-}
	fi
	printf '%s%d.%06d' "$sign" $((v / 1000000000000)) $(((v % 1000000000000) / 1000000))
}

PARTY_LABELS=("buyer     Hanseatic Apparel, Hamburg   (//Bob)"
	"seller    Tiruppur Cotton Mills, India (//Charlie)"
	"oracle    SeaTrack logistics           (//Ferdie)"
	"arbiter   trade arbitration desk       (//Dave)"
	"platform  fee recipient, 1%            (//Alice)")
PARTY_IDS=(//Bob //Charlie //Ferdie //Dave //Alice)
declare -a START
snapshot_start() {
	local i
	for i in "${!PARTY_IDS[@]}"; do START[$i]="$(free_of "${PARTY_IDS[$i]}")"; done
	CONTRACT_START="$(free_of "$CONTRACT")"
}
show_balances() {
	printf '\n  balances — %s\n' "$1"
	printf '    %-56s %22s %22s\n' "account" "free (UNIT)" "change since start"
	local i cur
	for i in "${!PARTY_IDS[@]}"; do
		cur="$(free_of "${PARTY_IDS[$i]}")"
		printf '    %-56s %22s %22s\n' "${PARTY_LABELS[$i]}" "$(fmt_unit "$cur")" \
			"$(fmt_unit $((cur - START[i])))"
	done
	cur="$(free_of "$CONTRACT")"
	printf '    %-56s %22s %22s\n' "escrow    the contract (holds the money)" "$(fmt_unit "$cur")" \
		"$(fmt_unit $((cur - CONTRACT_START)))"
	printf '    (small negative changes of the signers are network fees and storage deposits)\n'
}
deal_id_of() { sed -n 's/^ *deal id: \([0-9]*\)$/\1/p'; }
# The terms hash of a deal, as `deal show --json` prints it: what an acceptor who reviewed the
# terms names. (The deal's own terms_hash is the first one: JSON keys are sorted, "deal"
# before "milestones".)
terms_hash_of() {
	escrow_value --json deal show "$1" | grep -o '"terms_hash":"0x[0-9a-f]*"' | head -n1 | cut -d'"' -f4
}
say() { printf '\n%s\n' "$*" | fold -s -w 96; }

say "The platform (//Alice) deploys the escrow contract with a 1% fee on payments to sellers:
one transaction, the contract's code instantiated through its constructor \`new\`."
printf '\n  $ escrow --suri //Alice deploy --bundle %s --fee 1%%\n' "$BUNDLE"
deployed="$(escrow_value --json --suri //Alice deploy --bundle "$BUNDLE" --fee 1%)"
CONTRACT="$(sed -n 's/.*"contract":"\([^"]*\)".*/\1/p' <<<"$deployed")"
[ -n "$CONTRACT" ] || die "no contract address in the deploy output: $deployed"
printf '    contract %s, remembered for %s in %s/config.json\n' "$CONTRACT" "$URL" "$ESCROW_HOME"
snapshot_start
show_balances "at the start"

# ----- deal 1 ---------------------------------------------------------------------------
cat >"$DOCS/po-4711.txt" <<'EOF'
Purchase order 4711: 8,000 organic cotton shirts, FOB Mundra, 20,000 UNIT.
30% advance at order confirmation, 40% at shipment (bill of lading), 30% at delivery.
EOF
echo "Bill of lading MUN-HAM-0042: 2 x 40ft containers, shipped on board" >"$DOCS/bl-0042.txt"
echo "Proof of delivery: Hamburg warehouse, 8,000 shirts, no remarks" >"$DOCS/pod-0042.txt"

say "DEAL 1. Tiruppur Cotton Mills (seller) proposes the order to Hanseatic Apparel (buyer):
20,000 UNIT in three milestones, 30/40/30, the first an advance; SeaTrack attests the
shipment; a 7-day review window after each delivery; an arbiter for disputes. The purchase
order's hash becomes part of the terms."
out="$(escrow --suri //Charlie deal propose --buyer //Bob --oracle //Ferdie --arbiter //Dave \
	--total "20000 UNIT" --split 30,40,30 --advance --review 7d --arbitration 14d \
	--terms-file "$DOCS/po-4711.txt")"
printf '%s\n' "$out"
deal1="$(deal_id_of <<<"$out")"
[ -n "$deal1" ] || die "no deal id in the propose output"

say "The buyer reviews the terms and accepts exactly those, naming their hash (a script must;
the CLI prints every term before signing, and the contract refuses any other terms), funding
all 20,000 UNIT at once. The 30% advance is paid to the exporter immediately. The funding
deadline and every milestone's ship-by are the CLI's defaults: fund within 7 days, milestone n
shipped by the funding deadline + (n+1) x 30 days."
escrow deal show "$deal1"
hash1="$(terms_hash_of "$deal1")"
[ -n "$hash1" ] || die "no terms hash for deal $deal1"
escrow --suri //Bob deal accept "$deal1" --terms-hash "$hash1" --fund all
show_balances "deal 1: order confirmed, advance paid"

say "The exporter ships and submits milestone 1 with the bill of lading's hash. SeaTrack, the
logistics oracle, attests the shipment: the 40% is released."
escrow --suri //Charlie deal submit "$deal1" 1 --evidence-file "$DOCS/bl-0042.txt"
escrow --suri //Ferdie deal attest "$deal1" 1
show_balances "deal 1: shipment attested"

say "The containers arrive in Hamburg. The exporter submits the proof of delivery and the
buyer approves it: the last 30% is released and the deal closes."
escrow --suri //Charlie deal submit "$deal1" 2 --evidence-file "$DOCS/pod-0042.txt"
escrow --suri //Bob deal approve "$deal1" 2
show_balances "deal 1: delivered and closed"
say "Every milestone is settled, so the deal is closed; anyone may record that on chain (the
DealClosed event), here the buyer."
escrow --suri //Bob deal close "$deal1"
escrow deal show "$deal1"
say "Anyone can audit the deal: rebuild it from the chain's events alone and compare."
escrow audit "$deal1"

# ----- deal 2 ---------------------------------------------------------------------------
echo "Purchase order 4712: 1,000 rolls of printed voile, 5,000 UNIT" >"$DOCS/po-4712.txt"
echo "Inspection report: 400 of 1,000 rolls water-damaged in transit" >"$DOCS/inspection.txt"

say "DEAL 2. A second order, 5,000 UNIT on the same terms. Advance and shipment go as before."
out="$(escrow --suri //Charlie deal propose --buyer //Bob --oracle //Ferdie --arbiter //Dave \
	--total "5000 UNIT" --split 30,40,30 --advance --review 7d --arbitration 14d \
	--terms-file "$DOCS/po-4712.txt")"
printf '%s\n' "$out"
deal2="$(deal_id_of <<<"$out")"
[ -n "$deal2" ] || die "no deal id in the propose output"
hash2="$(terms_hash_of "$deal2")"
[ -n "$hash2" ] || die "no terms hash for deal $deal2"
escrow --suri //Bob deal accept "$deal2" --terms-hash "$hash2" --fund all
escrow --suri //Charlie deal submit "$deal2" 1 --evidence-hash "0x$(printf 'b2%.0s' {1..32})"
escrow --suri //Ferdie deal attest "$deal2" 1
show_balances "deal 2: advance and shipment paid"

say "At delivery the buyer finds 400 of 1,000 rolls water-damaged and disputes milestone 2
with the inspection report's hash. Only that milestone freezes."
escrow --suri //Charlie deal submit "$deal2" 2 --evidence-hash "0x$(printf 'd2%.0s' {1..32})"
escrow --suri //Bob deal dispute "$deal2" 2 --file "$DOCS/inspection.txt"

say "The arbiter rules: 60% of the disputed 1,500 UNIT to the exporter (minus the 1% fee),
40% back to the buyer."
escrow --suri //Dave deal resolve "$deal2" 2 60%
show_balances "deal 2: dispute settled by the arbiter"
say "The auditor's view of deal 2: every event, then the audit."
escrow events --deal "$deal2"
escrow audit "$deal2"

rm -rf "$DOCS"
step "demo done in $(elapsed_since "$started")s"
info "the exporter received 19,800 + 4,356 UNIT; the buyer got 600 UNIT back; the platform 244 UNIT in fees."
if [ "$node_started" -eq 1 ] && [ "$keep_node" -eq 0 ]; then
	stop_our_node
	info "the node was stopped as announced; run with --keep-node to explore the deals afterwards"
else
	info "the node keeps running on $URL: explore with"
	info "  $ESCROW_BIN deal show $deal1     (state lives in $ESCROW_HOME)"
	info "  $ESCROW_BIN events --deal $deal2"
	info "stop it with: scripts/node.sh --stop"
fi
