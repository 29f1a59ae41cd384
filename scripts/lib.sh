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

# shown_args <arg...>: the arguments as one line to show a command with, an argument that
# holds a space in double quotes, so that the line can be copied.
shown_args() {
	local shown="" a
	for a in "$@"; do
		case "$a" in
		*' '*) shown+=" \"$a\"" ;;
		*) shown+=" $a" ;;
		esac
	done
	printf '%s' "$shown"
}
# die <message>: exits with DIE_EXIT_CODE (1 unless the script documents another).
die() {
	printf 'error: [%s] step "%s": %s\n' "$SCRIPT_NAME" "$STEP" "$*" >&2
	exit "${DIE_EXIT_CODE:-1}"
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

# ensure_node_bin: a step that builds the node (scripts/build-node.sh) when $NODE_BIN is missing.
ensure_node_bin() {
	step "escrow-node binary"
	if [ -x "$NODE_BIN" ]; then
		info "$NODE_BIN"
	else
		info "missing: building it (scripts/build-node.sh)"
		"$REPO_ROOT/scripts/build-node.sh"
	fi
}

# rpc_health <port>: prints the node's system_health and exits 0 when it answers on that port.
rpc_health() {
	curl -sf --max-time 2 -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' \
		"http://127.0.0.1:$1" 2>/dev/null
}

# Content-addressed build caches (the node binary, contract bundles).
#
# Why: cargo decides freshness by file mtimes, and a fresh clone (every CI run) gives every file
# a new one, so cargo rebuilds our own crates although nothing in them changed: 170 s for the
# node alone in a warm CI run. A key over the *contents* of everything a build reads lets the
# scripts skip such builds safely: any changed byte, toolchain or build script makes a new key.
BUILD_CACHE_DIR="$HOME/.cache/milestone-escrow/artifacts"

# content_key <path...>: a sha256 over the paths and contents of the files under the given
# paths (git-tracked and untracked-but-not-ignored files when in a git checkout), the rustc
# version and the CACHE_KEY_EXTRA variable.
content_key() {
	local files
	if git -C "$REPO_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		files="$(cd "$REPO_ROOT" && git ls-files -co --exclude-standard -- "$@" | LC_ALL=C sort)"
	else
		files="$(cd "$REPO_ROOT" && find "$@" -type f -not -path '*/target/*' | LC_ALL=C sort)"
	fi
	{
		printf '%s\n' "$files" | (cd "$REPO_ROOT" && xargs -r -d '\n' sha256sum)
		rustc +"$(pinned_toolchain)" -vV
		printf 'extra: %s\n' "${CACHE_KEY_EXTRA:-}"
	} | sha256sum | cut -c1-32
}

# cache_prune <dir> <keep>: removes all but the <keep> newest entries of a cache directory.
cache_prune() {
	local dir="$1" keep="$2"
	[ -d "$dir" ] || return 0
	ls -1t "$dir" | tail -n +"$((keep + 1))" | while read -r old; do rm -rf "${dir:?}/$old"; done
}

# dapp_build: installs the dApp's npm packages exactly as package-lock.json pins them (only
# when the lock changed since the last install), then generates its contract clients from the
# release bundles' metadata, type-checks and builds it into dapp/dist (docs/dapp.md). Needs
# Node.js >= 20 and the bundles (scripts/build-contract.sh).
dapp_build() {
	local dir="$REPO_ROOT/dapp" stamp lock
	command -v node >/dev/null 2>&1 || die "node not found: the dApp needs Node.js >= 20 and npm (scripts/setup.sh checks)"
	lock="$(sha256sum "$dir/package-lock.json" | cut -c1-64)"
	stamp="$dir/node_modules/.installed-lock"
	if [ "$(cat "$stamp" 2>/dev/null)" != "$lock" ]; then
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $dir"
		echo "$lock" >"$stamp"
	fi
	(cd "$dir" && npm run --silent build) || die "the dApp's build failed (npm run build in $dir)"
}
