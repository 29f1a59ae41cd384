#!/usr/bin/env bash
# A `cargo` shim for cargo-contract 5.0.3 on Rust >= 1.92. build-contract.sh points $CARGO
# here; cargo-contract runs every cargo command through $CARGO.
#
# Why: for release builds cargo-contract passes `-Zbuild-std-features=panic_immediate_abort`,
# and Rust >= 1.92 rejects that std feature ("panic_immediate_abort is now a real panic
# strategy"). The replacement is the panic strategy itself: `-Zunstable-options
# -Cpanic=immediate-abort` in the rustflags, which build-std then applies to core/alloc
# too. cargo-contract already sets RUSTC_BOOTSTRAP=1 on a stable toolchain, so the -Z
# flags are accepted.
#
# Everything else goes to the real cargo untouched, so debug builds (no such flag) and the
# metadata build for the host are unaffected.
set -euo pipefail

real_cargo="${ESCROW_REAL_CARGO:-}"
if [ -z "$real_cargo" ]; then
	real_cargo="$(rustup which cargo 2>/dev/null || true)"
	[ -n "$real_cargo" ] || real_cargo="$HOME/.cargo/bin/cargo"
fi
self="$(readlink -f "${BASH_SOURCE[0]}")"
if [ "$(readlink -f "$real_cargo")" = "$self" ]; then
	echo "cargo-wrapper.sh: the real cargo resolves to this wrapper; set ESCROW_REAL_CARGO" >&2
	exit 2
fi

args=()
immediate_abort=0
for arg in "$@"; do
	if [ "$arg" = "-Zbuild-std-features=panic_immediate_abort" ]; then
		immediate_abort=1
	else
		args+=("$arg")
	fi
done

if [ "$immediate_abort" -eq 1 ]; then
	sep=$'\x1f'
	extra="-Zunstable-options${sep}-Cpanic=immediate-abort"
	if [ -n "${CARGO_ENCODED_RUSTFLAGS:-}" ]; then
		export CARGO_ENCODED_RUSTFLAGS="${CARGO_ENCODED_RUSTFLAGS}${sep}${extra}"
	else
		export CARGO_ENCODED_RUSTFLAGS="$extra"
	fi
fi

exec "$real_cargo" ${args[@]+"${args[@]}"}
