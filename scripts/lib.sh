# Shared helpers for scripts/*.sh. Source it; don't run it.
#
# Every script names the step it is in (`==> step`). When a command fails, the ERR trap
# prints that step, the failing command and its exit code, so a red CI log says *what*
# broke without scrolling.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
# rustup's default location: a fresh shell on a new machine may not have it on PATH yet.
export PATH="$HOME/.cargo/bin:$PATH"
# The node and the contracts share one build cache, outside the clone (CI caches it).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/milestone-escrow/target}"

SCRIPT_NAME="$(basename "$0")"
STEP="start"

step() {
	STEP="$*"
	printf '==> %s\n' "$*" >&2
}

info() {
	printf '    %s\n' "$*" >&2
}

die() {
	printf 'error: [%s] step "%s": %s\n' "$SCRIPT_NAME" "$STEP" "$*" >&2
	exit 1
}

on_err() {
	local rc=$1 line=$2 cmd=$3
	printf 'error: [%s] step "%s" failed: `%s` exited with %s (line %s)\n' \
		"$SCRIPT_NAME" "$STEP" "$cmd" "$rc" "$line" >&2
}

set -eEuo pipefail
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

# The toolchain channel pinned in rust-toolchain.toml (e.g. 1.95.0).
pinned_toolchain() {
	sed -n 's/^[[:space:]]*channel[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p' \
		"$REPO_ROOT/rust-toolchain.toml"
}

# Seconds since the epoch with a fractional part, for elapsed-time reports.
now() { date +%s.%N; }
elapsed_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

NODE_BIN="$CARGO_TARGET_DIR/release/escrow-node"
