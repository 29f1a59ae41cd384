#!/usr/bin/env bash
# Builds the local chain (node/, its own workspace) in release mode into the shared target
# dir, then prints the elapsed time and the binary's size. A build of sources it has built
# before is a copy from the content-addressed cache (lib.sh, content_key): no cargo at all.
#
# Usage: scripts/build-node.sh [extra cargo args]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The runtime's Wasm blob is built by node/runtime/build.rs (a nested cargo for
# wasm32-unknown-unknown, in $CARGO_TARGET_DIR/release/wasm-runtime), not substrate-wasm-builder.

# litep2p's WebRTC stack (str0m) asks for a vendored OpenSSL, whose build script compiles
# OpenSSL from C: 290 s of a 31m47s cold build here (cargo --timings). setup.sh installs
# libssl-dev; link the system's library instead (openssl-sys honours this variable).
export OPENSSL_NO_VENDOR=1

# Inputs of the build: everything cargo reads (node/, its lock and toolchain file), this
# script (flags, variables) and the toolchain. Extra cargo args bypass the cache.
CACHE_KEY_EXTRA="OPENSSL_NO_VENDOR=$OPENSSL_NO_VENDOR" key="$(content_key node scripts/build-node.sh)"
cached="$BUILD_CACHE_DIR/escrow-node/$key/escrow-node"
if [ $# -eq 0 ] && [ -x "$cached" ]; then
	step "escrow-node: reusing the build of these exact sources (cache key $key)"
	mkdir -p "$(dirname "$NODE_BIN")"
	cp -f "$cached" "$NODE_BIN.tmp" && mv -f "$NODE_BIN.tmp" "$NODE_BIN"
	info "binary: $NODE_BIN ($(stat -c %s "$NODE_BIN") bytes), from $cached"
	exit 0
fi

# Cargo starts the runtime's build script (the nested wasm build, ~450 units) only near the
# end of the native build: a build-script run with few dependents has a low priority in its
# queue. That made the wasm build a serial tail of a cold build. So we start the very same
# build script now, compiled on its own (it is plain std Rust), with the environment cargo
# would give it; when cargo runs it later, the nested cargo finds the wasm build fresh (or
# waits for this one's lock) and only copies the blob. If this head start fails, cargo's own
# run of the script builds the blob and reports the error.
prebuild_wasm() {
	local dir="$CARGO_TARGET_DIR/release/build/escrow-node-runtime-head-start"
	mkdir -p "$dir/out"
	rustc +"$(pinned_toolchain)" --edition 2021 -O -o "$dir/build-script" \
		"$REPO_ROOT/node/runtime/build.rs" &&
		CARGO="$(rustup which --toolchain "$(pinned_toolchain)" cargo)" \
			RUSTC="$(rustup which --toolchain "$(pinned_toolchain)" rustc)" \
			CARGO_MANIFEST_DIR="$REPO_ROOT/node/runtime" OUT_DIR="$dir/out" \
			CARGO_FEATURE_STD=1 CARGO_CFG_TARGET_ARCH="$(uname -m)" \
			"$dir/build-script" >"$dir/log" 2>&1
}
step "runtime wasm: head start beside the native build (log: $CARGO_TARGET_DIR/release/build/escrow-node-runtime-head-start/log)"
prebuild_wasm &
prebuild_pid=$!

step "cargo build --release -p escrow-node (node/ workspace, target $CARGO_TARGET_DIR)"
started=$(now)
# --locked: node/Cargo.lock pins core2 0.4.0, which crates.io has yanked; it resolves only
# because it is already locked, so the lock file must never be regenerated.
(cd "$REPO_ROOT/node" && cargo build --release --locked -p escrow-node "$@") ||
	die "cargo build of escrow-node failed (a cold build needs protoc and libssl-dev; run scripts/setup.sh)"
[ -x "$NODE_BIN" ] || die "build succeeded but $NODE_BIN is missing"
if ! wait "$prebuild_pid"; then
	info "note: the runtime wasm head start failed (cargo's own run of the build script succeeded)"
fi

step "escrow-node built in $(elapsed_since "$started")s"
info "binary: $NODE_BIN ($(du -h "$NODE_BIN" | cut -f1), $(stat -c %s "$NODE_BIN") bytes)"
if [ $# -eq 0 ]; then
	mkdir -p "$(dirname "$cached")"
	cp -f "$NODE_BIN" "$cached.tmp" && mv -f "$cached.tmp" "$cached"
	cache_prune "$BUILD_CACHE_DIR/escrow-node" 3
	info "cached as $cached"
fi
