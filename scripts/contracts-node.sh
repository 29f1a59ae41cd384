#!/usr/bin/env bash
# Builds the real substrate-contracts-node (crates.io `contracts-node` 0.42.0, polkadot-sdk
# stable2409: the same line as escrow-node) from crates.io, and runs the CLI scenario suite
# against it. Optional and separate from scripts/test.sh: its cold build is far longer than
# escrow-node's (it carries a parachain runtime, cumulus and pallet-revive).
#
# What the build does, and the one patch:
#   1. downloads contracts-node-0.42.0.crate from crates.io and checks its sha256 against the
#      crates.io index;
#   2. keeps the crate's own Cargo.lock (`--locked`: it pins core2 0.4.0, which crates.io has
#      yanked, so the lock must not be re-resolved), raising one entry: sp-io 38.0.0 -> 38.0.1
#      (`cargo update -p sp-io@38.0.0 --precise 38.0.1`), the release that builds the runtime
#      on Rust >= 1.92 (DEVELOPERS.md); nothing else changes;
#   3. builds `cargo build --release --locked` in a target dir of its own, with escrow-node's
#      build-time settings (opt-level 1, no LTO, system OpenSSL), and copies the binary to
#      $HOME/.cache/milestone-escrow/bin/substrate-contracts-node. Two settings of
#      substrate-wasm-builder make that build work and shorter, without touching a source:
#      - WASM_BUILD_WORKSPACE_HINT names the crate's directory: the runtimes' wasm builds
#        otherwise look for a Cargo.lock above the target dir, find none, resolve their
#        dependencies afresh, and rococo-runtime 18 then fails to compile against the newer
#        xcm-runtime-apis (E0050, `dry_run_call`); with the hint they use the crate's lock;
#      - SKIP_ROCOCO_RUNTIME_WASM_BUILD and SKIP_CONTRACTS_PARACHAIN_RUNTIME_WASM_BUILD: the
#        relay chain's and the parachain's wasm runtimes are not built (`--dev` runs only
#        contracts-node-runtime; the parachain mode is not available from this build).
#
# --suite then runs, against that binary (ESCROW_NODE), every test of the CLI (cli/tests) and
# the e2e-tests crate's scenarios, all of them (--no-fail-fast), and lists the failures. It
# needs what scripts/test.sh builds first: the test binaries and the release bundles.
#
# Usage: scripts/contracts-node.sh [--suite]   (a second build is a check; exit 1 on failure)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION=0.42.0
# The crate has no rust-toolchain.toml of its own: build it with ours.
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(pinned_toolchain)}"
ROOT="$HOME/.cache/milestone-escrow/contracts-node"
BIN_DIR="$HOME/.cache/milestone-escrow/bin"
BIN="$BIN_DIR/substrate-contracts-node"
SRC="$ROOT/contracts-node-$VERSION"

suite=0
for arg in "$@"; do
	case "$arg" in
	--suite) suite=1 ;;
	-h | --help)
		sed -n '2,31p' "$0"
		exit 0
		;;
	*) die "unknown argument: $arg (expected --suite)" ;;
	esac
done

# run_suite: the CLI scenario suite against $BIN, with scripts/test.sh's cargo selection (so
# nothing compiles again).
run_suite() {
	step "the CLI scenario suite against $BIN"
	local bundle="$CARGO_TARGET_DIR/ink/milestone_escrow/by-mode/release/milestone_escrow.contract"
	[ -f "$bundle" ] || die "$bundle is missing: run scripts/test.sh first (it builds the bundles)"
	local targets=() name
	for name in "$REPO_ROOT"/cli/tests/*.rs; do
		targets+=(--test "$(basename "$name" .rs)")
	done
	targets+=(--test scenarios)
	local log="$ROOT/suite.log" rc=0
	(cd "$REPO_ROOT" && ESCROW_NODE="$BIN" ESCROW_REQUIRE_CHAIN=1 \
		cargo test --workspace --features milestone_escrow/e2e-tests "${targets[@]}" \
		--no-fail-fast 2>&1) | tee "$log" || rc=$?
	step "suite result: $(grep -c '^test .* ok$' "$log" || true) passed, $(grep -c '^test .* FAILED$' "$log" || true) failed (log: $log)"
	grep '^test .* FAILED$' "$log" | sed 's/^/    /' || true
	[ "$rc" -eq 0 ] || exit 1
	exit 0
}

if [ -x "$BIN" ] && [ -f "$ROOT/built-$VERSION" ]; then
	step "substrate-contracts-node $VERSION: already built"
	info "binary: $BIN ($("$BIN" --version))"
	[ "$suite" -eq 0 ] || run_suite
	exit 0
fi

started=$(now)
mkdir -p "$ROOT" "$BIN_DIR"
step "download contracts-node $VERSION from crates.io"
crate="$ROOT/contracts-node-$VERSION.crate"
if [ ! -f "$crate" ]; then
	curl -sSfL "https://static.crates.io/crates/contracts-node/contracts-node-$VERSION.crate" \
		-o "$crate.tmp" || die "download of contracts-node $VERSION failed"
	mv "$crate.tmp" "$crate"
fi
want="$(curl -sSf https://index.crates.io/co/nt/contracts-node |
	python3 -c 'import json,sys; print(next(d["cksum"] for d in map(json.loads, sys.stdin) if d["vers"] == sys.argv[1]))' "$VERSION")" ||
	die "could not read the checksum of contracts-node $VERSION from the crates.io index"
have="$(sha256sum "$crate" | cut -d' ' -f1)"
[ "$have" = "$want" ] || die "checksum mismatch for $crate: $have, the index says $want"
info "sha256 $have (matches the crates.io index)"

step "unpack, and raise sp-io 38.0.0 -> 38.0.1 in its lock (the only change)"
rm -rf "$SRC"
tar -xzf "$crate" -C "$ROOT"
(cd "$SRC" && cargo update -p sp-io@38.0.0 --precise 38.0.1) ||
	die "could not raise sp-io in contracts-node's lock"

step "cargo build --release --locked (target $ROOT/target)"
build_started=$(now)
(cd "$SRC" && OPENSSL_NO_VENDOR=1 CARGO_TARGET_DIR="$ROOT/target" \
	WASM_BUILD_WORKSPACE_HINT="$SRC" \
	SKIP_ROCOCO_RUNTIME_WASM_BUILD=1 SKIP_CONTRACTS_PARACHAIN_RUNTIME_WASM_BUILD=1 \
	CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=off \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_INCREMENTAL=false \
	cargo build --release --locked) || die "the build of substrate-contracts-node failed"
cp -f "$ROOT/target/release/substrate-contracts-node" "$BIN.tmp" && mv -f "$BIN.tmp" "$BIN"
touch "$ROOT/built-$VERSION"
step "substrate-contracts-node $VERSION built in $(elapsed_since "$build_started")s (all: $(elapsed_since "$started")s)"
info "binary: $BIN ($("$BIN" --version))"
[ "$suite" -eq 0 ] || run_suite
