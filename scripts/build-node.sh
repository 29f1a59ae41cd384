#!/usr/bin/env bash
# Builds the local chain (node/, its own workspace) in release mode into the shared target
# dir, then prints the elapsed time and the binary's size. A no-op build takes seconds.
#
# Usage: scripts/build-node.sh [extra cargo args]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The runtime's wasm is built by substrate-wasm-builder in a project under the target dir; it
# finds node/Cargo.lock by walking up from there, which fails for a target dir outside the
# clone, and then resolves the runtime's dependencies afresh. Point it at the lock.
export WASM_BUILD_WORKSPACE_HINT="$REPO_ROOT/node"

# litep2p's WebRTC stack (str0m) asks for a vendored OpenSSL, whose build script compiles
# OpenSSL from C: 290 s of a 31m47s cold build here (cargo --timings). setup.sh installs
# libssl-dev; link the system's library instead (openssl-sys honours this variable).
export OPENSSL_NO_VENDOR=1

step "cargo build --release -p escrow-node (node/ workspace, target $CARGO_TARGET_DIR)"
started=$(now)
# --locked: node/Cargo.lock pins core2 0.4.0, which crates.io has yanked; it resolves only
# because it is already locked, so the lock file must never be regenerated.
(cd "$REPO_ROOT/node" && cargo build --release --locked -p escrow-node "$@") ||
	die "cargo build of escrow-node failed (a cold build took 31m47s on 2 cores and needs protoc and libssl-dev; run scripts/setup.sh)"
[ -x "$NODE_BIN" ] || die "build succeeded but $NODE_BIN is missing"

step "escrow-node built in $(elapsed_since "$started")s"
info "binary: $NODE_BIN ($(du -h "$NODE_BIN" | cut -f1), $(stat -c %s "$NODE_BIN") bytes)"
