#!/usr/bin/env bash
# The reference stablecoin on a local chain: deploys "US Dollar" (USD, 6 decimals;
# contracts/stablecoin) as //Alice with `escrow token deploy`, records it for the node's URL
# in the CLI's state ($ESCROW_HOME), and tops each dev account (Alice..Ferdie) up to the
# same USD balance with `escrow token mint`. Prints the token's address on stdout.
#
# Usage: scripts/stablecoin.sh [--url URL] [--mint N]
#   --url URL  the node (default: $ESCROW_URL, else ws://127.0.0.1:9944)
#   --mint N   whole USD each dev account holds afterwards (default 1000000)
# Idempotent: a USD token already recorded for the URL that answers on the chain is used as
# it is, and an account that holds N USD or more gets nothing, so a second run signs nothing.
# The deployment uses a fixed salt: on a fresh dev chain the token gets the same address
# every time (as long as contracts/stablecoin is unchanged).
# Environment: ESCROW_HOME (the CLI's state), ESCROW_BIN (an escrow binary to use instead of
# building the release CLI), ESCROW_STABLECOIN_BUNDLE (a built stablecoin.contract to use
# instead of building it with scripts/build-contract.sh --cached).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

url="${ESCROW_URL:-ws://127.0.0.1:9944}"
mint=1000000
while [ $# -gt 0 ]; do
	case "$1" in
	--url)
		[ $# -ge 2 ] || die "--url needs a value"
		url="$2"
		shift
		;;
	--mint)
		[ $# -ge 2 ] || die "--mint needs a value"
		mint="$2"
		shift
		;;
	-h | --help)
		sed -n '2,16p' "$0"
		exit 0
		;;
	*) die "unknown argument: $1 (expected --url URL or --mint N)" ;;
	esac
	shift
done
[[ "$mint" =~ ^[0-9]+$ ]] || die "--mint must be a whole number of USD, got '$mint'"

NAME="US Dollar"
SYMBOL=USD
DECIMALS=6
# "USD" in hex: the same salt every run, so a fresh dev chain gives the same address.
SALT=0x555344
DEPLOYER=//Alice
DEV_ACCOUNTS=(//Alice //Bob //Charlie //Dave //Eve //Ferdie)
target="${mint}000000" # in the smallest unit (10^-6 USD)

cd "$REPO_ROOT"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(pinned_toolchain)}"
export ESCROW_URL="$url"
unset ESCROW_CONTRACT ESCROW_SURI ESCROW_ACCOUNT ESCROW_CODE_HASH
started=$(now)

# ---------------------------------------------------------------------------------------
step "1/4 the escrow CLI"
if [ -n "${ESCROW_BIN:-}" ]; then
	[ -x "$ESCROW_BIN" ] || die "ESCROW_BIN=$ESCROW_BIN is not an executable"
	info "$ESCROW_BIN (ESCROW_BIN)"
else
	ESCROW_BIN="$CARGO_TARGET_DIR/release/escrow"
	cargo build --release -p escrow-cli --bin escrow
	info "$ESCROW_BIN"
fi

step "2/4 the stablecoin bundle"
if [ -n "${ESCROW_STABLECOIN_BUNDLE:-}" ]; then
	BUNDLE="$ESCROW_STABLECOIN_BUNDLE"
	[ -f "$BUNDLE" ] || die "ESCROW_STABLECOIN_BUNDLE=$BUNDLE is not a file"
	info "$BUNDLE (ESCROW_STABLECOIN_BUNDLE)"
else
	BUNDLE="$CARGO_TARGET_DIR/ink/stablecoin/by-mode/release/stablecoin.contract"
	# --cached: reuses the last build of exactly these sources (seconds), else builds.
	"$REPO_ROOT/scripts/build-contract.sh" contracts/stablecoin --release --cached
	[ -f "$BUNDLE" ] || die "no bundle at $BUNDLE after the build"
	info "$BUNDLE"
fi

# Shows an escrow command (on stderr, an argument with spaces quoted), then runs it with
# stdin closed (never a prompt).
escrow() {
	info "\$ escrow$(shown_args "$@")"
	"$ESCROW_BIN" -q "$@" </dev/null
}
# A read whose output the script needs; shown only when it fails.
escrow_read() { "$ESCROW_BIN" -q "$@" </dev/null; }

# The tokens recorded for the URL with this symbol, one address a line.
recorded_tokens() {
	escrow_read --json token list | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tokens"]:
    if t["symbol"] == sys.argv[1]:
        print(t["address"])' "$SYMBOL"
}
# account token -> the account's balance of the token in its smallest unit, read from the
# chain (`account show` reads every token recorded for the URL); "-" if the token does not
# answer as USD with 6 decimals (no contract there on this chain, or another token).
usd_balance_of() {
	escrow_read --json account show "$1" | python3 -c '
import json, sys
token, symbol, decimals = sys.argv[1], sys.argv[2], int(sys.argv[3])
for t in json.load(sys.stdin)["tokens"]:
    if t["address"] == token:
        ok = t["error"] is None and t["symbol"] == symbol and t["decimals"] == decimals
        print(t["balance"] if ok and t["balance"] is not None else "-")
        break
else:
    print("-")' "$2" "$SYMBOL" "$DECIMALS"
}
# smallest units -> "1200.5" (as the CLI types and shows amounts); in python, as a balance
# may exceed bash's 64-bit arithmetic.
fmt_usd() {
	python3 -c 'import sys; v = int(sys.argv[1]); print(f"{v // 10**6}.{v % 10**6:06d}".rstrip("0").rstrip("."))' "$1"
}
# have target -> what is missing to reach target (0 if nothing), in smallest units.
shortfall() { python3 -c 'import sys; print(max(0, int(sys.argv[2]) - int(sys.argv[1])))' "$1" "$2"; }

# ---------------------------------------------------------------------------------------
step "3/4 the $SYMBOL token on $url"
# `account show` answers without a node too (the balance unknown): its free balance says.
free="$(escrow_read --json account show "$DEPLOYER" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["free"] or "")')"
[ -n "$free" ] ||
	die "no node answers at $url (start one with scripts/node.sh --background, or pass --url)"
token=""
stale=0
for address in $(recorded_tokens); do
	if [ "$(usd_balance_of "$DEPLOYER" "$address")" != "-" ]; then
		token="$address"
		break
	fi
	stale=$((stale + 1))
done
if [ -n "$token" ]; then
	info "$SYMBOL is recorded for $url at $token and answers there: using it, nothing deployed"
else
	[ "$stale" -eq 0 ] ||
		info "$stale $SYMBOL token(s) recorded for $url do(es) not answer on this chain (an earlier chain's)"
	deployed="$(escrow --json --suri "$DEPLOYER" token deploy --bundle "$BUNDLE" \
		--name "$NAME" --symbol "$SYMBOL" --decimals "$DECIMALS" --salt "$SALT")" ||
		die "escrow token deploy failed (if it says DuplicateContract, this script deployed the token on this chain for another ESCROW_HOME: record it there with \`escrow token add ADDRESS\`)"
	token="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["contract"])' <<<"$deployed")"
	[ -n "$token" ] || die "no token address in the deploy output: $deployed"
	info "deployed $NAME ($SYMBOL, $DECIMALS decimals) at $token, owner $DEPLOYER; recorded for $url"
fi

# ---------------------------------------------------------------------------------------
step "4/4 each dev account holds $mint $SYMBOL"
minted=0
for who in "${DEV_ACCOUNTS[@]}"; do
	have="$(usd_balance_of "$who" "$token")"
	[ "$have" != "-" ] || die "the token $token did not answer balance_of for $who"
	missing="$(shortfall "$have" "$target")"
	if [ "$missing" = 0 ]; then
		info "$who holds $(fmt_usd "$have") $SYMBOL: nothing to mint"
		continue
	fi
	escrow --suri "$DEPLOYER" token mint --token "$token" --to "$who" \
		"$(fmt_usd "$missing") $SYMBOL" | sed 's/^/      /' >&2
	minted=$((minted + 1))
done

# ---------------------------------------------------------------------------------------
step "stablecoin ready in $(elapsed_since "$started")s"
info "token     $NAME ($SYMBOL, $DECIMALS decimals) at $token, minted by $DEPLOYER"
home="${ESCROW_HOME:-the default state directory of escrow}"
same="$(recorded_tokens | wc -l)"
if [ "$same" -eq 1 ]; then
	info "recorded  for $url in $home: --asset $SYMBOL or --asset $token"
else
	info "recorded  for $url in $home, with $((same - 1)) other $SYMBOL token(s) of earlier chains:"
	info "          name it by its address, --asset $token"
fi
info "minted    to $minted of ${#DEV_ACCOUNTS[@]} dev accounts"
for who in "${DEV_ACCOUNTS[@]}"; do
	info "$(printf '%-10s %20s %s' "$who" "$(fmt_usd "$(usd_balance_of "$who" "$token")")" "$SYMBOL")"
done
echo "$token"
