#!/usr/bin/env bash
# The exporter demo: an Indian textile exporter sells to a European buyer through the
# milestone escrow, on the local chain, with the real `escrow` CLI and the dev accounts.
#
#   deal 1: 20,000 USD in the reference stablecoin (US Dollar, USD, 6 decimals; deployed and
#           minted to the dev accounts by scripts/stablecoin.sh), 30% advance at order
#           confirmation, 40% at shipment, 30% at delivery (approved by the buyer). The
#           shipment is released on tracking data: two oracle services (`escrow oracle run`,
#           2 of 3 oracles needed), one on the carrier's feed and one on the terminal's, see
#           the container's LOAD at Mundra in their (simulated, DCSA) feeds and attest it
#   deal 2: 5,000 UNIT, the chain's native token, on the same terms; the oracle attests the
#           shipment by hand; the buyer disputes the delivery and the arbiter splits it 60/40
# Balances, in UNIT and in USD, are printed every time money moves.
#
# Usage: scripts/demo.sh [--keep-node] [--rpc-port N | --network | --url URL]
#   --keep-node   leave the node (or network) this script starts running (default: stop it
#                 at the end), and serve the web dApp for it (scripts/dapp.sh), printing its URL
#   --rpc-port N  the dev node's RPC port (default 9944)
#   --network     play on a local network of 4 validators (scripts/network.sh, on free ports,
#                 its data in the demo's temporary directory) instead of `escrow-node --dev`:
#                 blocks every 3 s, finalized by GRANDPA; the oracle services talk to nodes 1
#                 and 2, everything else to node 0
#   --url URL     play on the node already running at URL (a network node: one that finalizes)
# With --network or --url every escrow command of the story waits for finality (--wait
# finalized; scripts/stablecoin.sh's deploy and mints wait for their blocks); on the dev node,
# for its block. On a fresh machine the first run bootstraps it
# (scripts/setup.sh; about an hour on 2 cores), then builds the CLI, the carrier simulator and
# the contract; a later run with nothing to rebuild takes about 30 s. A dev node that already
# answers on the port is used as is and left running. The two carrier simulators (on free
# ports) and the two oracle services it starts are stopped once deal 1's shipment is
# released, and in any case when it exits.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keep_node=0
rpc_port=9944
# dev: escrow-node --dev (started here unless one answers on the port); network: a local
# network of 4 validators started here; url: a node already running at --url.
mode=dev
url=""
rpc_port_given=0
while [ $# -gt 0 ]; do
	case "$1" in
	--keep-node) keep_node=1 ;;
	--rpc-port)
		[ $# -ge 2 ] || die "--rpc-port needs a value"
		rpc_port="$2"
		rpc_port_given=1
		shift
		;;
	--network)
		[ "$mode" = dev ] || die "--network and --url exclude each other"
		mode=network
		;;
	--url)
		[ $# -ge 2 ] || die "--url needs a value"
		[ "$mode" = dev ] || die "--network and --url exclude each other"
		mode=url
		url="$2"
		shift
		;;
	-h | --help)
		sed -n '2,31p' "$0"
		exit 0
		;;
	*) die "unknown argument: $1 (expected --keep-node, --rpc-port N, --network or --url URL)" ;;
	esac
	shift
done
[[ "$rpc_port" =~ ^[0-9]+$ ]] || die "--rpc-port must be a number, got '$rpc_port'"
[ "$mode" = dev ] || [ "$rpc_port_given" -eq 0 ] ||
	die "--rpc-port is the dev node's: not with --network (free ports) or --url"
if [ "$mode" = url ]; then
	[[ "$url" =~ ^wss?://[^[:space:]]+$ ]] || die "--url must be a ws:// or wss:// URL, got '$url'"
	[ "$keep_node" -eq 0 ] || die "--keep-node is for a node the demo starts, not with --url"
fi
# On a chain that finalizes, every transaction waits for finality: the demo moves money only
# on what cannot be reverted. The dev node seals a block per transaction and finalizes
# nothing (without --finalize-delay-sec), so there it waits for the block.
WAIT=()
[ "$mode" = dev ] || WAIT=(--wait finalized)
# The audit reads the finalized block; a dev node finalizes nothing, so there it reads the best.
AUDIT_AT=(--best)
[ "$mode" = dev ] || AUDIT_AT=()

cd "$REPO_ROOT"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(pinned_toolchain)}"
case "$mode" in
dev) URL="ws://127.0.0.1:$rpc_port" ;;
url) URL="$url" ;;
network) URL="" ;; # node 0's, once the network runs
esac
ESCROW_BIN="$CARGO_TARGET_DIR/release/escrow"
SIM_BIN="$CARGO_TARGET_DIR/release/carrier-sim"
BUNDLE="$CARGO_TARGET_DIR/ink/milestone_escrow/by-mode/release/milestone_escrow.contract"
USD_BUNDLE="$CARGO_TARGET_DIR/ink/stablecoin/by-mode/release/stablecoin.contract"
started=$(now)

# ---------------------------------------------------------------------------------------
step "1/7 bootstrap: what this machine still needs"
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
if [ "$mode" != url ] && [ ! -x "$NODE_BIN" ]; then
	needs+=("the escrow-node chain (~11 min cold on 2 cores)")
	estimate=$((estimate + 11))
	need_setup=1
fi
if [ ! -x "$ESCROW_BIN" ]; then
	needs+=("the escrow CLI, release build (~8 min)")
	estimate=$((estimate + 8))
fi
if [ ! -x "$SIM_BIN" ]; then
	# Most of its crates are the CLI's; its own, the client library among them, are not.
	needs+=("the carrier simulator, release build, after the CLI (~2 min)")
	estimate=$((estimate + 2))
fi
if [ ! -f "$BUNDLE" ] || [ ! -f "$USD_BUNDLE" ]; then
	if [ ! -x "$CARGO_TARGET_DIR/debug/contract-builder" ]; then
		needs+=("the contract builder, cargo-contract's build library (~7 min)")
		estimate=$((estimate + 7))
	fi
fi
if [ ! -f "$BUNDLE" ]; then
	needs+=("the escrow contract's bundle (~5 min)")
	estimate=$((estimate + 5))
fi
if [ ! -f "$USD_BUNDLE" ]; then
	needs+=("the stablecoin's bundle (~2 min)")
	estimate=$((estimate + 2))
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

step "2/7 the escrow CLI (cargo build --release -p escrow-cli)"
phase_started=$(now)
cargo build --release -p escrow-cli --bin escrow
info "$ESCROW_BIN ready in $(elapsed_since "$phase_started")s"

step "3/7 the carrier simulator (cargo build --release -p escrow-test-support --bin carrier-sim)"
# A small HTTP server serving DCSA Track & Trace 2.2 events that the demo publishes: the
# carrier's and the terminal's tracking feeds, for the oracle services to poll.
phase_started=$(now)
cargo build --release -p escrow-test-support --bin carrier-sim
info "$SIM_BIN ready in $(elapsed_since "$phase_started")s"

step "4/7 the contract bundles: the escrow and the stablecoin (scripts/build-contract.sh --cached)"
phase_started=$(now)
# --cached: a contract build takes a minute or two even when nothing changed; the
# content-keyed cache reuses the last build of exactly these sources instead.
"$REPO_ROOT/scripts/build-contract.sh" contracts/milestone_escrow --release --cached
[ -f "$BUNDLE" ] || die "no bundle at $BUNDLE after the build"
"$REPO_ROOT/scripts/build-contract.sh" contracts/stablecoin --release --cached
[ -f "$USD_BUNDLE" ] || die "no bundle at $USD_BUNDLE after the build"
info "$BUNDLE and $USD_BUNDLE ready in $(elapsed_since "$phase_started")s"

DOCS="$(mktemp -d "${TMPDIR:-/tmp}/escrow-demo.XXXXXX")"
# The network's directory (--network): chain data, node keys, logs, pid files.
NET_DIR="$DOCS/network"
# The nodes the two oracle services talk to (--network: nodes 1 and 2; else the one node).
SEATRACK_NODE=""
TERMINAL_NODE=""

# ---------------------------------------------------------------------------------------
node_started=0
case "$mode" in
dev)
	step "5/7 the local chain on $URL"
	if rpc_health "$rpc_port" >/dev/null; then
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
	SEATRACK_NODE="$URL" TERMINAL_NODE="$URL"
	;;
network)
	step "5/7 a local network of 4 validators (scripts/network.sh start, free ports, in $NET_DIR)"
	# network.sh stops the nodes itself if they do not come up; it prints their URLs. Four
	# nodes compiling the runtime at once took 34 s of a 2-core machine under load: give each
	# of its two waits (RPC, then finality) twice its default.
	net_urls="$(ESCROW_NETWORK_READY_TIMEOUT_SEC="${ESCROW_NETWORK_READY_TIMEOUT_SEC:-120}" \
		"$REPO_ROOT/scripts/network.sh" start --validators 4 --base-port 0 --rpc-base-port 0 \
		--dir "$NET_DIR")"
	node_started=1
	mapfile -t node_urls <<<"$net_urls"
	[ ${#node_urls[@]} -eq 4 ] || die "scripts/network.sh start printed ${#node_urls[@]} URLs, not 4: $net_urls"
	URL="${node_urls[0]}" SEATRACK_NODE="${node_urls[1]}" TERMINAL_NODE="${node_urls[2]}"
	if [ "$keep_node" -eq 1 ]; then
		info "it keeps running after the demo (--keep-node)"
	else
		info "the demo stops it at the end (--keep-node keeps it)"
	fi
	info "the demo talks to node 0 ($URL); the two oracle services to nodes 1 and 2"
	info "every transaction waits for finality (--wait finalized): a 3 s slot, then GRANDPA"
	;;
url)
	step "5/7 the node at $URL"
	http_url="${URL/#ws:/http:}"
	http_url="${http_url/#wss:/https:}"
	chain="$(curl -sf --max-time 5 -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"system_chain","params":[]}' "$http_url" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["result"])')" ||
		die "no node answers JSON-RPC at $http_url (the HTTP side of --url $URL)"
	info "chain \"$chain\": using it as is, and leaving it running"
	info "every transaction waits for finality (--wait finalized); a dev node finalizes only"
	info "with --finalize-delay-sec"
	SEATRACK_NODE="$URL" TERMINAL_NODE="$URL"
	;;
esac
stop_our_node() {
	if [ "$node_started" -eq 1 ] && [ "$keep_node" -eq 0 ]; then
		if [ "$mode" = network ]; then
			"$REPO_ROOT/scripts/network.sh" stop --dir "$NET_DIR" >/dev/null 2>&1 || true
			info "stopped the network the demo started"
		else
			"$REPO_ROOT/scripts/node.sh" --stop >/dev/null 2>&1 || true
			info "stopped the node the demo started"
		fi
		node_started=0
	fi
}
# The other processes the demo starts in the background (the carrier simulators, the oracle
# services), by pid, with what each is: stopped by pid (SIGTERM, SIGKILL after 5 s) when the
# demo exits, whatever happens, or earlier once the story no longer needs them.
BG_PIDS=()
BG_NAMES=()
stop_background() {
	local i pid n
	# The latest first: the oracle services before the feeds they poll.
	for ((i = ${#BG_PIDS[@]} - 1; i >= 0; i--)); do
		pid="${BG_PIDS[$i]}"
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			for n in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null || true
			info "stopped ${BG_NAMES[$i]} (pid $pid)"
		fi
	done
	BG_PIDS=()
	BG_NAMES=()
}
on_exit() {
	stop_background
	stop_our_node
}
trap on_exit EXIT
# Ctrl-C or a kill: exit through the EXIT trap, which stops what the demo started.
trap 'exit 130' INT
trap 'exit 143' TERM

export ESCROW_HOME="$REPO_ROOT/.escrow" ESCROW_URL="$URL"
unset ESCROW_CONTRACT ESCROW_SURI ESCROW_ACCOUNT

# ---------------------------------------------------------------------------------------
step "6/7 the simulated tracking feeds: the carrier's and the terminal's (carrier-sim)"
# start_sim NAME: starts a carrier simulator on a free port (its log: $DOCS/NAME-sim.log);
# sets SIM_URL to its DCSA base URL, which it writes to its --url-file once it listens.
start_sim() {
	local name=$1 url_file="$DOCS/$1.url" log="$DOCS/$1-sim.log" pid n
	"$SIM_BIN" --port 0 --url-file "$url_file" >"$log" 2>&1 &
	pid=$!
	BG_PIDS+=("$pid")
	BG_NAMES+=("the $name feed's simulator")
	SIM_URL=""
	for n in $(seq 100); do
		if [ -s "$url_file" ]; then
			SIM_URL="$(tr -d '[:space:]' <"$url_file")"
			[[ "$SIM_URL" =~ ^http://127\.0\.0\.1:[0-9]+/v2$ ]] && break
			SIM_URL=""
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$SIM_URL" ]; then
		sed 's/^/    | /' "$log" >&2
		die "the $name feed's simulator (pid $pid) wrote no URL to $url_file within 10 s; its log: $log"
	fi
	info "the $name feed: $SIM_URL (carrier-sim, pid $pid, log $log)"
}
start_sim carrier
CARRIER_FEED="$SIM_URL"
start_sim terminal
TERMINAL_FEED="$SIM_URL"

# ---------------------------------------------------------------------------------------
step "7/7 the story"

# Runs escrow with stdin from /dev/null (never a prompt), showing the command (an argument
# with spaces quoted, so that it can be copied).
# With --network or --url, every call waits for finality (--wait finalized; a read ignores it).
escrow() {
	printf '\n  $ escrow%s\n' "$(shown_args "${WAIT[@]}" "$@")"
	"$ESCROW_BIN" -q "${WAIT[@]}" "$@" </dev/null | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}
# Quiet variant for values the script needs.
escrow_value() { "$ESCROW_BIN" -q "${WAIT[@]}" "$@" </dev/null; }

# account -> "FREE USD": its free native balance in planck and its balance of the stablecoin
# in the token's smallest unit (10^-6 USD), both read from the chain by `account show`.
balances_of() {
	escrow_value --json account show "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)
usd = [t for t in v["tokens"] if t["address"] == sys.argv[1]]
if v["free"] is None or len(usd) != 1 or usd[0]["balance"] is None:
    sys.exit("no balances for " + v["address"] + ": " + json.dumps(v))
print(v["free"], usd[0]["balance"])' "$USD_TOKEN"
}
# amount (possibly negative) in the smallest unit, and 10^(decimals - 6) -> the amount with
# 6 decimals (UNIT has 12: shown to 10^-6 UNIT; USD has 6). Dev balances (1e18 planck,
# 1e12 of USD's unit) fit bash's 64-bit arithmetic.
fmt_amount() {
	local v=$1 scale=$2 sign=""
	if [ "${v#-}" != "$v" ]; then
		sign="-"
		v=${v#-}
	fi
	printf '%s%d.%06d' "$sign" $((v / (scale * 1000000))) $(((v % (scale * 1000000)) / scale))
}
fmt_unit() { fmt_amount "$1" 1000000; }
fmt_usd() { fmt_amount "$1" 1; }
# The same without trailing zeros: "19800", "0.5".
trim_zeros() { sed -e 's/0*$//' -e 's/\.$//'; }

PARTY_LABELS=("buyer     Hanseatic Apparel, Hamburg   (//Bob)"
	"seller    Tiruppur Cotton Mills, India (//Charlie)"
	"oracle    SeaTrack carrier feed        (//Ferdie)"
	"oracle    Mundra terminal operator     (//Eve)"
	"oracle    inspection agency            (//Inspector)"
	"arbiter   trade arbitration desk       (//Dave)"
	"platform  fee recipient, 1%            (//Alice)"
	"escrow    the contract (holds the money)")
# The parties, then the contract (its address is known once it is deployed).
PARTY_IDS=(//Bob //Charlie //Ferdie //Eve //Inspector //Dave //Alice)
# Rows of the table the closing check reads.
ROW_BUYER=0 ROW_SELLER=1 ROW_INSPECTOR=4 ROW_PLATFORM=6 ROW_ESCROW=7
declare -a START_UNIT START_USD NOW_UNIT NOW_USD
read_balances() { # fills NOW_UNIT and NOW_USD, one entry per PARTY_LABELS row
	local i b
	for i in "${!PARTY_LABELS[@]}"; do
		b="$(balances_of "${PARTY_IDS[$i]:-$CONTRACT}")"
		NOW_UNIT[i]="${b% *}"
		NOW_USD[i]="${b#* }"
	done
}
snapshot_start() {
	read_balances
	START_UNIT=("${NOW_UNIT[@]}")
	START_USD=("${NOW_USD[@]}")
}
show_balances() {
	read_balances
	printf '\n  balances — %s\n' "$1"
	printf '    %-50s %16s %15s %17s %15s\n' "account" "UNIT (native)" "change" "USD (stablecoin)" "change"
	local i
	for i in "${!PARTY_LABELS[@]}"; do
		printf '    %-50s %16s %15s %17s %15s\n' "${PARTY_LABELS[$i]}" \
			"$(fmt_unit "${NOW_UNIT[$i]}")" "$(fmt_unit $((NOW_UNIT[i] - START_UNIT[i])))" \
			"$(fmt_usd "${NOW_USD[$i]}")" "$(fmt_usd $((NOW_USD[i] - START_USD[i])))"
	done
	printf '    (changes since the start; small negative UNIT changes of the signers are network fees\n'
	printf '    and storage deposits, paid in UNIT also for the USD deal)\n'
}
deal_id_of() { sed -n 's/^ *deal id: \([0-9]*\)$/\1/p'; }
# The terms hash of a deal, as `deal show --json` prints it: what an acceptor who reviewed the
# terms names. (The deal's own terms_hash is the first one: JSON keys are sorted, "deal"
# before "milestones".)
terms_hash_of() {
	escrow_value --json deal show "$1" | grep -o '"terms_hash":"0x[0-9a-f]*"' | head -n1 | cut -d'"' -f4
}
say() { printf '\n%s\n' "$*" | fold -s -w 96; }

# What the escrow paid out for deal $1, from its events (`events --json`), in the deal
# asset's smallest unit: "TO_SELLER_SIDE FEES TO_BUYER".
payouts_of() {
	escrow_value --json events --deal "$1" | python3 -c '
import json, sys
seller = fees = buyer = 0
for line in sys.stdin:
    e = json.loads(line)
    kind = e["event"]
    if kind == "MilestoneReleased":
        seller += int(e["amount"]); fees += int(e["fee"])
    elif kind == "DisputeResolved":
        seller += int(e["to_seller"]); fees += int(e["fee"]); buyer += int(e["to_buyer"])
    elif kind == "MilestoneRefunded":
        buyer += int(e["amount"])
    elif kind == "DealCancelled":
        buyer += int(e["refunded"])
print(seller, fees, buyer)'
}

say "The platform (//Alice) deploys the escrow contract with a 1% fee on payments to sellers,
taken in each deal's own asset: one transaction, the contract's code instantiated through its
constructor \`new\`."
printf '\n  $ escrow%s --suri //Alice deploy --bundle %s --fee 1%%\n' "$(shown_args "${WAIT[@]}")" "$BUNDLE"
deployed="$(escrow_value --json --suri //Alice deploy --bundle "$BUNDLE" --fee 1%)"
CONTRACT="$(sed -n 's/.*"contract":"\([^"]*\)".*/\1/p' <<<"$deployed")"
[ -n "$CONTRACT" ] || die "no contract address in the deploy output: $deployed"
printf '    contract %s, remembered for %s in %s/config.json\n' "$CONTRACT" "$URL" "$ESCROW_HOME"

say "The exporter prices its order in US dollars, so that the milestone payments carry no
exchange-rate risk. The local chain has no dollar, so scripts/stablecoin.sh deploys the
reference stablecoin (contracts/stablecoin: a PSP22 token, the ink! token standard; US Dollar,
USD, 6 decimals) as //Alice with \`escrow token deploy\`, records it for this node, and mints
1,000,000 USD to each dev account with \`escrow token mint\`. On a real chain a deal would name
an existing stablecoin by its address."
printf '\n  $ scripts/stablecoin.sh --url %s\n' "$URL"
ESCROW_BIN="$ESCROW_BIN" ESCROW_STABLECOIN_BUNDLE="$USD_BUNDLE" \
	"$REPO_ROOT/scripts/stablecoin.sh" --url "$URL" 2>&1 >"$DOCS/usd-token" | sed 's/^/    /'
USD_TOKEN="$(tail -n1 "$DOCS/usd-token")"
[ -n "$USD_TOKEN" ] || die "scripts/stablecoin.sh printed no token address"
# Deals name the token by its symbol, unless two tokens recorded for this URL share it (an
# earlier chain's stablecoin of other code, at another address): then by its address.
usd_recorded="$(escrow_value --json token list | grep -o '"symbol":"USD"' | wc -l)"
if [ "$usd_recorded" -eq 1 ]; then
	USD=USD
else
	USD="$USD_TOKEN"
	info "$usd_recorded tokens recorded for $URL are called USD: naming this one by its address"
fi
snapshot_start
show_balances "at the start"

# ----- deal 1 ---------------------------------------------------------------------------
cat >"$DOCS/po-4711.txt" <<'EOF'
Purchase order 4711: 8,000 organic cotton shirts, FOB Mundra, 20,000 USD.
30% advance at order confirmation, 40% at shipment (container loaded on board at Mundra,
as the carrier's and the terminal's tracking data show), 30% at delivery.
EOF
echo "Bill of lading MUN-HAM-0042: 1 x 40ft container MSKU1234567, shipped on board" >"$DOCS/bl-0042.txt"
echo "Proof of delivery: Hamburg warehouse, 8,000 shirts, no remarks" >"$DOCS/pod-0042.txt"
# The shipment milestone's condition (format: crates/escrow-client/src/oracle/condition.rs).
cat >"$DOCS/loaded-mundra.json" <<'EOF'
{
  "format": "milestone-escrow/condition/v1",
  "description": "Container loaded on board at Mundra",
  "transportDocumentReference": "MUN-HAM-0042",
  "events": [
    {"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD", "location": "INMUN"}
  ]
}
EOF

say "DEAL 1, in US dollars. Tiruppur Cotton Mills (seller) proposes the order to Hanseatic
Apparel (buyer): 20,000 USD in three milestones, 30/40/30, the first an advance; a 7-day
review window after each delivery; an arbiter for disputes. The asset is part of the terms:
every amount of this deal, the fee included, is in USD. The purchase order's hash becomes
part of the terms too."
say "The shipment (milestone 1) is released on tracking data, with nobody typing an
attestation: its terms are a condition document, \"an actual (ACT) equipment event LOAD for
transport document MUN-HAM-0042 at Mundra (UN/LOCODE INMUN)\", and its hash is the
milestone's terms hash, so both parties commit to it on chain. Three oracles watch for it and
any two release the 40%: SeaTrack on the carrier's feed (//Ferdie), the Mundra terminal
operator on its own feed (//Eve), and an inspection agency (//Inspector) that will stay
silent. The buyer approves the other milestones (--rule either: the buyer or the oracles)."
printf '\n  $ cat %s\n' "$DOCS/loaded-mundra.json"
sed 's/^/    /' "$DOCS/loaded-mundra.json"
escrow condition show "$DOCS/loaded-mundra.json"
out="$(escrow --suri //Charlie deal propose --buyer //Bob \
	--oracle //Ferdie --oracle //Eve --oracle //Inspector --threshold 2 --rule either \
	--arbiter //Dave --asset "$USD" --total "20000 USD" --split 30,40,30 --advance \
	--review 7d --arbitration 14d --terms-file "$DOCS/po-4711.txt" \
	--milestone-condition 1="$DOCS/loaded-mundra.json")"
printf '%s\n' "$out"
deal1="$(deal_id_of <<<"$out")"
[ -n "$deal1" ] || die "no deal id in the propose output"

say "The buyer reviews the terms and accepts exactly those, naming their hash (a script must;
the CLI prints every term before signing, and the contract refuses any other terms), funding
all 20,000 USD at once. A token deposit takes three transactions, which \`--fund\` signs in
turn: the token's approve, letting the escrow pull exactly 20,000 USD from the buyer; accept;
fund_tokens, where the escrow pulls them and credits what its own balance received. The 30%
advance is paid to the exporter immediately. The funding deadline and every milestone's
ship-by are the CLI's defaults: fund within 7 days, milestone n shipped by the funding
deadline + (n+1) x 30 days."
escrow deal show "$deal1"
hash1="$(terms_hash_of "$deal1")"
[ -n "$hash1" ] || die "no terms hash for deal $deal1"
escrow --suri //Bob deal accept "$deal1" --terms-hash "$hash1" --fund all
show_balances "deal 1: order confirmed, advance paid"

# start_oracle NAME SURI FEED NODE: starts `escrow oracle run` in the background, signing as
# SURI, talking to the node at NODE and polling FEED every 2 s, its log in
# $DOCS/oracle-NAME.log; waits (at most 30 s) for its `started` line and shows it. Sets
# ORACLE_LOG.
oracle_line() { grep -E "^[^ ]+ +[A-Z]+ +$1( |\$)" "$2" || true; }
start_oracle() {
	local name=$1 suri=$2 feed=$3 node=$4 pid n
	local args=("${WAIT[@]}" --suri "$suri")
	# Another node than the one the contract was deployed through: name the contract (the CLI
	# remembers it per URL).
	[ "$node" = "$URL" ] || args+=(--url "$node" --contract "$CONTRACT")
	args+=(oracle run --feed "$feed" --poll 2s)
	ORACLE_LOG="$DOCS/oracle-$name.log"
	printf '\n  $ escrow%s >%s &\n' "$(shown_args "${args[@]}")" "$ORACLE_LOG"
	"$ESCROW_BIN" "${args[@]}" </dev/null >"$ORACLE_LOG" 2>&1 &
	pid=$!
	BG_PIDS+=("$pid")
	BG_NAMES+=("the $name oracle service")
	for n in $(seq 300); do
		[ -n "$(oracle_line started "$ORACLE_LOG")" ] && break
		if ! kill -0 "$pid" 2>/dev/null; then
			sed 's/^/    | /' "$ORACLE_LOG" >&2
			die "the $name oracle service (pid $pid) exited before it started; its log: $ORACLE_LOG"
		fi
		sleep 0.1
	done
	[ -n "$(oracle_line started "$ORACLE_LOG")" ] ||
		die "the $name oracle service (pid $pid) did not start within 30 s; its log: $ORACLE_LOG"
	oracle_line started "$ORACLE_LOG" | sed 's/^/    /'
}
say "SeaTrack and the terminal operator each run an oracle service: it signs as its oracle,
finds the deals that name it, matches each waiting milestone's on-chain terms hash to a
condition document it holds (here the one \`deal propose\` saved in \$ESCROW_HOME/conditions;
an oracle elsewhere adds the file the parties send it with \`escrow condition add\`), and polls
its tracking feed every 2 s. The inspection agency runs none."
[ "$mode" != network ] || say "Each runs its own node of the network: SeaTrack's service talks to
node 1, the terminal's to node 2."
start_oracle seatrack //Ferdie "$CARRIER_FEED" "$SEATRACK_NODE"
SEATRACK_LOG="$ORACLE_LOG"
start_oracle terminal //Eve "$TERMINAL_FEED" "$TERMINAL_NODE"
TERMINAL_LOG="$ORACLE_LOG"

say "The exporter ships and submits milestone 1 with the bill of lading's hash. Nothing is
released: no feed has reported the container loaded yet."
escrow --suri //Charlie deal submit "$deal1" 1 --evidence-file "$DOCS/bl-0042.txt"

# The ACT LOAD event as a DCSA Track & Trace 2.2 feed serves it, compact JSON.
load_event() {
	local at
	at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf '{"eventID":"%s","eventType":"EQUIPMENT","eventClassifierCode":"ACT",' \
		"$(cat /proc/sys/kernel/random/uuid)"
	printf '"eventCreatedDateTime":"%s","eventDateTime":"%s",' "$at" "$at"
	printf '"equipmentEventTypeCode":"LOAD","equipmentReference":"MSKU1234567",'
	printf '"emptyIndicatorCode":"LADEN","eventLocation":{"UNLocationCode":"INMUN"},'
	printf '"transportCall":{"UNLocationCode":"INMUN","transportCallID":"INMUN-V042E","modeOfTransport":"VESSEL"},'
	printf '"documentReferences":[{"documentReferenceType":"TRD","documentReferenceValue":"MUN-HAM-0042"}]}'
}
# publish NAME FEED: the feed NAME publishes the ACT LOAD event (its simulator's control
# endpoint, beside the DCSA API).
publish() {
	local name=$1 control="${2%/v2}/sim/events" event answer
	event="$(load_event)"
	printf '\n  # %s\n  $ curl -X POST %s -d '"'"'%s'"'"'\n' "$name" "$control" "$event"
	answer="$(curl -sS -f --max-time 5 -X POST -H 'Content-Type: application/json' \
		--data-binary "$event" "$control")" ||
		die "the $name feed's simulator refused the event at $control"
	[ -z "$answer" ] || printf '%s\n' "$answer" | sed 's/^/    /'
}
say "The container MSKU1234567 is loaded on board at Mundra. The carrier and the terminal each
publish the actual (ACT) LOAD event in their DCSA Track & Trace feeds:"
publish "the carrier's feed (SeaTrack)" "$CARRIER_FEED"
publish "the terminal's feed (Mundra terminal operator)" "$TERMINAL_FEED"

# Milestone INDEX's status in deal ID, from `deal show --json`.
milestone_status() {
	escrow_value --json deal show "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["milestones"][int(sys.argv[1])]["milestone"]["status"])' "$2"
}
published=$(now)
# Seconds: on the dev node two polls of 2 s and two blocks take a few; on a network each
# attestation also waits for a 3 s slot, and each service waits for its attestation's
# finality before its next pass.
release_wait=60
[ "$mode" = dev ] || release_wait=120
info "waiting (at most $release_wait s) for the oracle services to see it and attest..."
status=""
deadline=$(($(date +%s) + release_wait))
while :; do
	status="$(milestone_status "$deal1" 1)"
	if [ "$status" = Released ] || [ "$(date +%s)" -ge "$deadline" ]; then break; fi
	sleep 1
done
[ "$status" = Released ] ||
	die "milestone 1 of deal $deal1 is $status, not Released, $release_wait s after the LOAD events were published; see the oracle services' logs $SEATRACK_LOG and $TERMINAL_LOG (and the feeds' $DOCS/carrier-sim.log, $DOCS/terminal-sim.log)"
released_after="$(elapsed_since "$published")"
# A service logs `attested` once its transaction is in a block, or finalized with --wait
# finalized: that can come after the release shows in the best block. Wait for both lines.
deadline=$(($(date +%s) + 60))
until [ -n "$(oracle_line attested "$SEATRACK_LOG")" ] && [ -n "$(oracle_line attested "$TERMINAL_LOG")" ]; do
	[ "$(date +%s)" -lt "$deadline" ] ||
		die "milestone 1 of deal $deal1 is released, but an oracle service logged no attestation within 60 s; see $SEATRACK_LOG and $TERMINAL_LOG"
	sleep 0.5
done
say "Milestone 1 is released, $released_after s after the events were published: each service logged its attestation, and the second reached the quorum of 2 and released the 40%. Nobody typed \`deal attest\`."
for log in "$SEATRACK_LOG" "$TERMINAL_LOG"; do
	printf '\n  %s\n' "$log"
	oracle_line attested "$log" | sed 's/^/    /'
done
# The chain's record: exactly two attestations of milestone 1, and its release via Oracles.
escrow_value --json events --deal "$deal1" | python3 -c '
import json, sys
events = [json.loads(line) for line in sys.stdin]
attested = [e for e in events if e["event"] == "MilestoneAttested" and e["index"] == 1]
released = [e for e in events if e["event"] == "MilestoneReleased" and e["index"] == 1]
if len(attested) != 2 or len(released) != 1 or released[0]["via"] != "Oracles":
    sys.exit("deal %s: expected 2 attestations and a release via Oracles of milestone 1, got %s"
             % (sys.argv[1], json.dumps(attested + released)))' "$deal1" ||
	die "the events of deal $deal1 do not show the quorum's release of milestone 1"
escrow events --deal "$deal1"
show_balances "deal 1: shipment released on tracking data"
say "The oracle services' part in this story is done: the demo stops them and the feeds (a
real one keeps running for the next deals)."
stop_background

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
escrow audit "$deal1" "${AUDIT_AT[@]}"

# ----- deal 2 ---------------------------------------------------------------------------
echo "Purchase order 4712: 1,000 rolls of printed voile, 5,000 UNIT" >"$DOCS/po-4712.txt"
echo "Inspection report: 400 of 1,000 rolls water-damaged in transit" >"$DOCS/inspection.txt"

say "DEAL 2, in the chain's native token. A second order, 5,000 UNIT on the same terms
(without --asset a deal is native; the deposit is one transaction). Advance and shipment go
as before."
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
escrow audit "$deal2" "${AUDIT_AT[@]}"

# The closing figures: what the escrow paid, from each deal's events. Deal 1's must be the
# USD balance changes exactly (token transfers cost no USD): the seller and the platform got
# their payouts, the buyer paid the whole deal (their sum, as nothing was refunded), and the
# escrow holds nothing of it.
read -r usd_seller usd_fees usd_buyer <<<"$(payouts_of "$deal1")"
read -r unit_seller unit_fees unit_buyer <<<"$(payouts_of "$deal2")"
read_balances
usd_change() { echo $((NOW_USD[$1] - START_USD[$1])); }
if ! { [ "$(usd_change $ROW_SELLER)" -eq "$usd_seller" ] &&
	[ "$(usd_change $ROW_PLATFORM)" -eq "$usd_fees" ] && [ "$usd_buyer" -eq 0 ] &&
	[ "$(usd_change $ROW_BUYER)" -eq $((-usd_seller - usd_fees)) ] &&
	[ "$(usd_change $ROW_ESCROW)" -eq 0 ]; }; then
	die "deal 1's USD payouts (seller $usd_seller, fees $usd_fees, buyer $usd_buyer) differ from the USD balance changes (seller $(usd_change $ROW_SELLER), platform $(usd_change $ROW_PLATFORM), buyer $(usd_change $ROW_BUYER), escrow $(usd_change $ROW_ESCROW))"
fi
# The silent oracle signed nothing: not a planck of its native balance moved.
unit_change() { echo $((NOW_UNIT[$1] - START_UNIT[$1])); }
[ "$(unit_change $ROW_INSPECTOR)" -eq 0 ] ||
	die "the silent oracle //Inspector's native balance changed by $(unit_change $ROW_INSPECTOR) planck: it should never have signed"
if [ "$mode" = network ]; then
	# The network still runs on its data there: the rest goes now, the data once it stops.
	find "$DOCS" -mindepth 1 -maxdepth 1 ! -name network -exec rm -rf {} +
else
	rm -rf "$DOCS"
fi
case "$mode" in
dev) on="the dev node (a block per transaction)" ;;
network) on="a local network of 4 validators (every transaction waited for finality)" ;;
url) on="the node at $URL (every transaction waited for finality)" ;;
esac
step "demo done in $(elapsed_since "$started")s on $on"
short_usd() { fmt_usd "$1" | trim_zeros; }
short_unit() { fmt_unit "$1" | trim_zeros; }
info "what the escrow paid, from each deal's events:"
info "  deal 1 (id $deal1), in USD: the exporter $(short_usd "$usd_seller") USD, the platform $(short_usd "$usd_fees") USD in fees; the buyer paid"
info "    $(short_usd $((usd_seller + usd_fees))) USD (the USD balances changed by exactly these amounts)"
info "  deal 2 (id $deal2), in UNIT: the exporter $(short_unit "$unit_seller") UNIT, the platform $(short_unit "$unit_fees") UNIT in fees; the buyer"
info "    got $(short_unit "$unit_buyer") UNIT back (the signers also paid the chain's fees and deposits in UNIT)"
if [ "$node_started" -eq 1 ] && [ "$keep_node" -eq 0 ]; then
	stop_our_node
	if [ "$mode" = network ]; then
		rm -rf "$DOCS"
		info "the network was stopped and its data deleted as announced; run with --keep-node to"
		info "explore the deals afterwards"
	else
		info "the node was stopped as announced; run with --keep-node to explore the deals afterwards,"
		info "in the CLI and in the web dApp (scripts/dapp.sh serves it)"
	fi
else
	url_arg=""
	[ "$URL" = "ws://127.0.0.1:9944" ] || url_arg=" --url $URL"
	if [ "$mode" = network ]; then
		info "the network keeps running, node 0 on $URL: explore with"
	else
		info "the node keeps running on $URL: explore with"
	fi
	info "  $ESCROW_BIN$url_arg deal show $deal1     (state lives in $ESCROW_HOME)"
	info "  $ESCROW_BIN$url_arg account show //Charlie"
	info "  $ESCROW_BIN$url_arg events --deal $deal2"
	# The web dApp for the same node, contract and token (docs/dapp.md), served in the background.
	if "$REPO_ROOT/scripts/dapp.sh" --url "$URL" --background >"$HOME/.cache/milestone-escrow/dapp-start.log" 2>&1; then
		info "the web dApp: $(sed -n 's/.*dApp: \(http[^ ]*\).*/\1/p' "$HOME/.cache/milestone-escrow/dapp.log")"
		info "  (the dev accounts are in its account menu: //Charlie is the exporter, //Bob the buyer;"
		info "  stop it with scripts/dapp.sh --stop)"
	else
		info "the web dApp could not be started: $(tail -n 3 "$HOME/.cache/milestone-escrow/dapp-start.log")"
	fi
	case "$mode" in
	dev) info "stop it with: scripts/node.sh --stop" ;;
	network) info "stop it and delete its data with: scripts/network.sh purge --dir $NET_DIR && rmdir $DOCS" ;;
	url) ;;
	esac
fi
