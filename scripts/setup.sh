#!/usr/bin/env bash
# Bootstraps a machine for milestone-escrow: the pinned Rust toolchain with the wasm target,
# the apt tools and the local chain binary. Idempotent: on a ready machine every step is a
# check and the whole script takes seconds.
#
# Usage: scripts/setup.sh [--no-node] [--with-cargo-contract]
#   --with-cargo-contract: also install cargo-contract 5.0.3 (optional, ~23 min cold): the
#   bench's CLI comparison and two tests that run only when it is there use it. Building and
#   testing need no cargo-contract (crates/contract-builder builds the bundles).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CARGO_CONTRACT_VERSION=5.0.3
APT_PACKAGES=(
	protobuf-compiler # protoc: sc-network's build script
	wabt              # wasm-validate / wasm-objdump: the contract checks in build-contract.sh
	binaryen          # wasm-opt, with flags cargo-contract cannot pass (build-contract.sh)
	build-essential   # cc/c++: wasm-opt-sys (contract-build), secp256k1-sys, ring
	pkg-config
	libssl-dev
	clang
	curl
	chromium # the dApp's browser tests (playwright-core drives it; nothing downloads a browser)
)

build_node=1
with_cargo_contract=0
for arg in "$@"; do
	case "$arg" in
	--no-node) build_node=0 ;;
	--with-cargo-contract) with_cargo_contract=1 ;;
	-h | --help)
		sed -n '2,10p' "$0"
		exit 0
		;;
	*) die "unknown argument: $arg (expected --no-node or --with-cargo-contract)" ;;
	esac
done

started=$(now)
toolchain="$(pinned_toolchain)"
[ -n "$toolchain" ] || die "no channel found in $REPO_ROOT/rust-toolchain.toml"

step "rustup (toolchain manager)"
if ! command -v rustup >/dev/null 2>&1; then
	info "rustup not found: installing it from https://sh.rustup.rs (no default toolchain)"
	curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
		sh -s -- -y --profile minimal --default-toolchain none ||
		die "could not install rustup; install it by hand (https://rustup.rs) and re-run"
fi
info "$(rustup --version 2>/dev/null)"

step "Rust $toolchain (pinned by rust-toolchain.toml)"
if rustup toolchain list | grep -q "^$toolchain-"; then
	info "installed"
else
	rustup toolchain install "$toolchain" --profile minimal ||
		die "rustup could not install toolchain $toolchain"
fi

step "wasm32-unknown-unknown target and rust-src/clippy/rustfmt for $toolchain"
installed_targets="$(rustup target list --installed --toolchain "$toolchain")"
if grep -qx wasm32-unknown-unknown <<<"$installed_targets"; then
	info "wasm32-unknown-unknown: installed"
else
	rustup target add wasm32-unknown-unknown --toolchain "$toolchain"
fi
installed_components="$(rustup component list --installed --toolchain "$toolchain")"
for component in rust-src clippy rustfmt; do
	if grep -q "^$component" <<<"$installed_components"; then
		info "$component: installed"
	else
		rustup component add "$component" --toolchain "$toolchain"
	fi
done

step "apt packages: ${APT_PACKAGES[*]}"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
	dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
	info "all installed"
else
	info "missing: ${missing[*]}"
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	command -v apt-get >/dev/null 2>&1 ||
		die "apt-get not found; install ${missing[*]} with your package manager"
	"${sudo[@]}" apt-get update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed"
fi

step "Node.js >= 20 and npm (the dApp: dapp/, docs/dapp.md)"
node_major="$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\).*/\1/p')"
[ -n "$node_major" ] && [ "$node_major" -ge 20 ] && command -v npm >/dev/null 2>&1 ||
	die "the dApp needs Node.js >= 20 with npm (found: $(node --version 2>/dev/null || echo none)); install them and re-run"
info "node $(node --version), npm $(npm --version)"

node_status=0
if [ "$build_node" -eq 1 ]; then
	step "escrow-node (scripts/build-node.sh)"
	"$REPO_ROOT/scripts/build-node.sh" || node_status=$?
else
	step "escrow-node: skipped (--no-node)"
fi
[ "$node_status" -eq 0 ] || die "node build failed (see above)"

# After the node, not beside it: measured on 2 cores from nothing, side by side the two
# builds only slowed each other down (1,889 s against 1,490 s one after the other).
step "cargo-contract $CARGO_CONTRACT_VERSION (optional)"
have_version=""
if command -v cargo-contract >/dev/null 2>&1; then
	# Prints e.g. "cargo-contract-contract 5.0.3-unknown-x86_64-unknown-linux-gnu".
	have_version="$(cargo-contract --version | awk '{print $2}' | cut -d- -f1)"
fi
if [ "$have_version" = "$CARGO_CONTRACT_VERSION" ]; then
	info "installed: $(command -v cargo-contract)"
elif [ "$with_cargo_contract" -eq 0 ]; then
	info "not installed (${have_version:-none found}); not needed to build or test. Install it with"
	info "scripts/setup.sh --with-cargo-contract for the bench's comparison and the checks that use it."
else
	# Its own target dir under the cache: a re-install after a CI cache restore is quick,
	# and it never invalidates the contract or node builds.
	install_log="$(mktemp "${TMPDIR:-/tmp}/cargo-contract-install.XXXXXX")"
	info "found '${have_version:-none}': installing $CARGO_CONTRACT_VERSION (log: $install_log)"
	install_started=$(now)
	if ! cargo +"$toolchain" install cargo-contract --version "$CARGO_CONTRACT_VERSION" --locked \
		--force --target-dir "$HOME/.cache/milestone-escrow/cargo-install" >"$install_log" 2>&1; then
		tail -n 30 "$install_log" >&2
		die "cargo install cargo-contract $CARGO_CONTRACT_VERSION failed (full log: $install_log)"
	fi
	info "installed in $(elapsed_since "$install_started")s: $(command -v cargo-contract)"
fi

step "setup done in $(elapsed_since "$started")s"
