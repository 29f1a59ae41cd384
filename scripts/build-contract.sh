#!/usr/bin/env bash
# Builds an ink! contract the way `cargo contract build` does and checks that every produced
# .wasm uses only the WebAssembly features the chain's pallet-contracts accepts.
#
# Usage: scripts/build-contract.sh <crate-dir> [--release|--debug] [--cached]
#   (default --release). --cached: reuse the artifacts of an earlier build of exactly these
#   inputs (a content-addressed cache, see content_key in lib.sh) instead of building; only
#   for crates under contracts/. Without it, it always builds.
#
# The build itself: the workspace's `contract-builder` (crates/contract-builder), which calls
# cargo-contract 5.0.3's own build library, so cargo-contract need not be installed; its
# output is byte-identical (crates/contract-builder/tests/identical.rs). Environment:
#   ESCROW_CONTRACT_BUILDER=<path>           a built contract-builder binary (scripts/test.sh
#                                            passes the one its test build made); unset: this
#                                            script builds it, as the test build does
#   ESCROW_CONTRACT_BUILDER=cargo-contract   an installed cargo-contract 5.0.3 instead
#
# Output: $CARGO_TARGET_DIR/ink/<crate>/<crate>.{wasm,json,contract} (cargo-contract's own
# place; the next build overwrites it) and a copy per mode in
# $CARGO_TARGET_DIR/ink/<crate>/by-mode/{release,debug}/, so both builds can be used side by
# side (ink/<crate>/{release,debug}/ are cargo's own profile dirs).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '5,8p' "$0" | sed 's/^# //'; }

crate_dir=""
mode=release
use_cache=0
for arg in "$@"; do
	case "$arg" in
	--release) mode=release ;;
	--debug) mode=debug ;;
	--cached) use_cache=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	-*) die "unknown option $arg; $(usage)" ;;
	*)
		[ -z "$crate_dir" ] || die "only one crate dir, got '$crate_dir' and '$arg'"
		crate_dir="$arg"
		;;
	esac
done
[ -n "$crate_dir" ] || die "missing <crate-dir>; $(usage)"
crate_dir="$(cd "$crate_dir" 2>/dev/null && pwd)" || die "no such directory: $crate_dir"
manifest="$crate_dir/Cargo.toml"
[ -f "$manifest" ] || die "no Cargo.toml in $crate_dir"
crate="$(sed -n 's/^name[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' "$manifest" | head -n1)"
[ -n "$crate" ] || die "no package name in $manifest"

command -v wasm-validate >/dev/null 2>&1 || die "wasm-validate not found; run scripts/setup.sh (apt wabt)"

# The build runs in a temporary copy of the crate, outside the reach of rust-toolchain.toml:
# pin the toolchain for every nested cargo/rustc explicitly.
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(pinned_toolchain)}"

# builder: the command that builds, as an array; builder_id: what goes into the cache key.
builder_choice="${ESCROW_CONTRACT_BUILDER:-}"
if [ "$builder_choice" = cargo-contract ]; then
	command -v cargo-contract >/dev/null 2>&1 ||
		die "ESCROW_CONTRACT_BUILDER=cargo-contract, but cargo-contract is not on PATH (scripts/setup.sh --with-cargo-contract)"
	# `cargo-contract contract build`, not `cargo contract build`: cargo sets $CARGO for its
	# subcommands, while we need cargo-contract to run our wrapper (see cargo-wrapper.sh).
	builder=(cargo-contract contract build)
	builder_id="$(cargo-contract --version)"
else
	builder=("${builder_choice:-$CARGO_TARGET_DIR/debug/contract-builder}")
	# contract-build's version is in Cargo.lock, which the cache key covers.
	builder_id=contract-builder
fi
# Builds the builder unless it was given: only when a build is needed (see below).
ensure_builder() {
	[ "$builder_id" = contract-builder ] || return 0
	if [ -z "$builder_choice" ]; then
		# Built the way scripts/test.sh's test build builds it (all of the workspace, its
		# tests' features): the same dependency artifacts, so neither run compiles them again.
		# `cargo build -p contract-builder` would resolve features for that one package and
		# compile contract-build's tree a second time.
		step "contract-builder (cargo test --workspace --no-run --test identical)"
		(cd "$REPO_ROOT" && cargo test --workspace --no-run --test identical) ||
			die "building contract-builder failed"
	fi
	[ -x "${builder[0]}" ] || die "no contract-builder at ${builder[0]} (ESCROW_CONTRACT_BUILDER)"
}

mode_flag=()
[ "$mode" = release ] && mode_flag=(--release)
# The artifact that proves a build: the bundle, or the .wasm of a code-only crate.
product=contract
if ! grep -rqs '#\[ink::contract\]' "$crate_dir"/*.rs "$crate_dir/src"; then
	mode_flag+=(--generate code-only)
	product=wasm
fi

out_dir="$CARGO_TARGET_DIR/ink/$crate"
# The build reads contracts/ (the crate and escrow-types), the workspace manifest and lock,
# the toolchain, the builder and these scripts: a key over all of them (lib.sh).
CACHE_KEY_EXTRA="$crate $mode $builder_id $(wasm-opt --version 2>/dev/null)" key="$(content_key contracts Cargo.toml Cargo.lock rust-toolchain.toml scripts/build-contract.sh scripts/cargo-wrapper.sh)"
cache_dir="$BUILD_CACHE_DIR/contracts/$crate-$mode/$key"
case "$crate_dir/" in
"$REPO_ROOT/contracts/"*) ;;
*) use_cache=0 ;; # the key covers contracts/ only
esac
if [ "$use_cache" -eq 1 ] && [ -f "$cache_dir/$crate.$product" ]; then
	step "$crate ($mode): reusing the build of these exact sources (cache key $key)"
	mkdir -p "$out_dir"
	cp -f "$cache_dir/$crate".* "$out_dir/"
else
	ensure_builder
	step "${builder[*]} $crate ($mode, toolchain $RUSTUP_TOOLCHAIN)"
	started=$(now)
	# $CARGO: every cargo the build runs goes through our wrapper (cargo-wrapper.sh).
	CARGO="$REPO_ROOT/scripts/cargo-wrapper.sh" \
		"${builder[@]}" --manifest-path "$manifest" "${mode_flag[@]}" ||
		die "${builder[*]} of $crate ($mode) failed"
	info "built in $(elapsed_since "$started")s"
	[ -f "$out_dir/$crate.wasm" ] || die "expected $out_dir/$crate.wasm after the build"
	store_in_cache=$use_cache
	built=1
fi

# pallet-contracts 38 (polkadot-sdk stable2409) loads code into wasmi with exactly these
# features (src/wasm/prepare.rs, LoadedModule::new): sign_extension on; multi_value,
# mutable_global, bulk_memory, reference_types, tail_call, extended_const,
# saturating_float_to_int off; floats off under Determinism::Enforced (all instantiation).
# wabt 1.0.32 enables tail-call, extended-const and threads only on request, and wasmi
# has no SIMD at all.
WASM_VALIDATE_FLAGS=(
	--disable-multi-value
	--disable-mutable-globals
	--disable-bulk-memory
	--disable-reference-types
	--disable-saturating-float-to-int
	--disable-simd
)

# A crate may ask for binaryen's wasm-opt with its own flags ([package.metadata.escrow]
# wasm-opt = "..."; cargo-contract only takes an optimization level). Release builds only,
# and only after a build (a cache hit holds the optimized files already).
wasm_opt_flags="$(sed -n '/^\[package.metadata.escrow\]/,/^\[/s/^wasm-opt[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' "$manifest")"
if [ -n "$wasm_opt_flags" ] && [ "$mode" = release ] && [ "${built:-0}" -eq 1 ]; then
	command -v wasm-opt >/dev/null 2>&1 || die "wasm-opt not found; run scripts/setup.sh (apt binaryen)"
	step "wasm-opt $wasm_opt_flags ($crate; $(wasm-opt --version))"
	before=$(stat -c %s "$out_dir/$crate.wasm")
	# MVP plus sign-ext: what pallet-contracts accepts (checked below). Its memory is
	# imported zeroed, so zero data segments can go.
	# shellcheck disable=SC2086 # the flags are a word list
	wasm-opt --mvp-features --enable-sign-ext --zero-filled-memory --strip-debug --strip-producers \
		$wasm_opt_flags "$out_dir/$crate.wasm" -o "$out_dir/$crate.opt.wasm" ||
		die "wasm-opt failed on $out_dir/$crate.wasm"
	mv -f "$out_dir/$crate.opt.wasm" "$out_dir/$crate.wasm"
	info "$before → $(stat -c %s "$out_dir/$crate.wasm") bytes"
	# The bundle carries the code and its hash; the metadata the hash.
	python3 - "$out_dir/$crate" <<'PY' || die "updating the bundle of $crate failed"
import hashlib, json, sys
base = sys.argv[1]
code = open(base + ".wasm", "rb").read()
digest = "0x" + hashlib.blake2b(code, digest_size=32).hexdigest()
for ext, with_code in ((".contract", True), (".json", False)):
    try:
        doc = json.load(open(base + ext))
    except FileNotFoundError:
        continue
    doc["source"]["hash"] = digest
    if with_code:
        doc["source"]["wasm"] = "0x" + code.hex()
    json.dump(doc, open(base + ext, "w"), indent=2)
PY
fi

step "checking the .wasm files of $crate against pallet-contracts' wasm features"
mapfile -t wasm_files < <(find "$out_dir" -maxdepth 1 -name '*.wasm' | sort)
[ ${#wasm_files[@]} -gt 0 ] || die "no .wasm in $out_dir"
for wasm in "${wasm_files[@]}"; do
	wasm-validate "${WASM_VALIDATE_FLAGS[@]}" "$wasm" ||
		die "$wasm uses WebAssembly features pallet-contracts rejects (wasm-validate ${WASM_VALIDATE_FLAGS[*]})"
	if command -v wasm-objdump >/dev/null 2>&1; then
		floats="$(wasm-objdump -d "$wasm" | grep -cE '\b(f32|f64)\.' || true)"
		[ "$floats" -eq 0 ] ||
			die "$wasm has $floats float instructions; pallet-contracts rejects floats (Determinism::Enforced)"
	fi
	info "ok: $wasm ($(stat -c %s "$wasm") bytes)"
done

mode_dir="$out_dir/by-mode/$mode"
mkdir -p "$mode_dir"
for ext in wasm json contract; do
	if [ -f "$out_dir/$crate.$ext" ]; then cp -f "$out_dir/$crate.$ext" "$mode_dir/"; fi
done

if [ "${store_in_cache:-0}" -eq 1 ]; then
	mkdir -p "$cache_dir.tmp"
	cp -f "$mode_dir/$crate".* "$cache_dir.tmp/"
	rm -rf "$cache_dir" && mv "$cache_dir.tmp" "$cache_dir"
	cache_prune "$(dirname "$cache_dir")" 3
fi

step "$crate ($mode) artifacts"
for ext in contract wasm json; do
	if [ -f "$mode_dir/$crate.$ext" ]; then info "$mode_dir/$crate.$ext"; fi
done
