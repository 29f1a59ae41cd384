//! Where the things the tests run are, and whether they are there.
//!
//! - The node: `$ESCROW_NODE`, else `$CARGO_TARGET_DIR/release/escrow-node`
//!   (scripts/build-node.sh).
//! - The escrow's release bundle: `$ESCROW_BUNDLE`, else the client library's default
//!   (scripts/build-contract.sh contracts/milestone_escrow --release).
//! - The `escrow` binary: `$ESCROW_BIN`, else the one of the running test's build profile,
//!   `<target>/<profile>/escrow`. Cargo builds it before the CLI's own tests; for the
//!   end-to-end tests `scripts/test.sh` builds it (`cargo build -p escrow-cli --bin
//!   escrow`). The tests never build it themselves: a `cargo build` nested in `cargo test`
//!   would wait for the target directory's lock that the outer one holds.
//!
//! `$CARGO_TARGET_DIR` defaults to the shared cache the scripts use
//! (`$HOME/.cache/milestone-escrow/target`), as in the client library.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

pub use escrow_client::artifacts::target_dir;

use crate::Result;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/test-support lives two levels inside the repository")
        .to_path_buf()
}

/// The `escrow-node` binary.
pub fn node_binary() -> PathBuf {
    std::env::var_os("ESCROW_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("release/escrow-node"))
}

/// The escrow contract's release bundle.
pub fn escrow_bundle() -> PathBuf {
    std::env::var_os("ESCROW_BUNDLE")
        .map(PathBuf::from)
        .unwrap_or_else(escrow_client::artifacts::default_bundle)
}

/// The `escrow` binary to test (see the module docs). A binary older than the CLI's
/// sources gets a warning, not a failure: a developer may test an older build on purpose.
pub fn escrow_binary() -> std::result::Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("ESCROW_BIN") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("ESCROW_BIN={} is not a file", path.display()))
        };
    }
    // A test binary runs from <target>/<profile>/deps/.
    let exe = std::env::current_exe().map_err(|e| format!("no test executable path: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("{} is not in <target>/<profile>/deps", exe.display()))?;
    let path = profile_dir.join("escrow");
    let Some(built) = mtime(&path) else {
        return Err(format!(
            "no escrow binary at {}: build it with `cargo build -p escrow-cli --bin escrow` \
             (scripts/test.sh does), or set ESCROW_BIN",
            path.display()
        ));
    };
    let sources = [
        "cli/src",
        "cli/src/commands",
        "crates/escrow-client/src",
        "contracts/escrow-types/src",
    ];
    let newest_source = sources
        .iter()
        .flat_map(|d| std::fs::read_dir(repo_root().join(d)).into_iter().flatten())
        .filter_map(|e| mtime(&e.ok()?.path()))
        .max();
    if newest_source.is_some_and(|s| s > built) {
        eprintln!(
            "warning: {} is older than the CLI's sources; rebuild it with \
             `cargo build -p escrow-cli --bin escrow`",
            path.display()
        );
    }
    Ok(path)
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

/// The reference stablecoin's release bundle (`contracts/stablecoin`):
/// `$ESCROW_STABLECOIN_BUNDLE`, else `$CARGO_TARGET_DIR/ink/stablecoin/by-mode/release/`.
pub fn stablecoin_bundle() -> PathBuf {
    std::env::var_os("ESCROW_STABLECOIN_BUNDLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| escrow_client::artifacts::release_bundle("stablecoin"))
}

/// The test-only audit forger's release bundle (`contracts/audit_forger`).
pub fn forger_bundle() -> PathBuf {
    escrow_client::artifacts::release_bundle("audit_forger")
}

/// [`chain_available`], and the stablecoin's release bundle, for the tests of token deals:
/// skipped (saying what is missing) or, under `ESCROW_REQUIRE_CHAIN=1`, failed without it.
pub fn chain_and_stablecoin_available() -> bool {
    let mut missing = chain_missing();
    let bundle = stablecoin_bundle();
    if !bundle.is_file() {
        missing.push(format!(
            "{} (scripts/build-contract.sh contracts/stablecoin --release, or set \
             ESCROW_STABLECOIN_BUNDLE)",
            bundle.display()
        ));
    }
    prerequisites_met(missing)
}

/// Whether the chain tests can run: the node, the escrow's release bundle and the `escrow`
/// binary must exist. If one is missing the test should return at once: this prints why
/// and returns `false`, unless `ESCROW_REQUIRE_CHAIN=1` (scripts/test.sh sets it), which
/// makes the test fail instead.
pub fn chain_available() -> bool {
    prerequisites_met(chain_missing())
}

/// [`chain_available`], and cargo-contract on PATH, for the tests that drive the contract
/// with it. cargo-contract is an optional install (`scripts/setup.sh --with-cargo-contract`):
/// without it the test returns at once, even under `ESCROW_REQUIRE_CHAIN=1`, and says so on a
/// line that scripts/test.sh lists in its summary ([`optional_check_not_run`]).
pub fn chain_and_cargo_contract_available() -> bool {
    if !chain_available() {
        return false;
    }
    if Command::new("cargo-contract")
        .arg("--version")
        .output()
        .is_err()
    {
        optional_check_not_run(
            "needs cargo-contract on PATH (optional: scripts/setup.sh --with-cargo-contract)",
        );
        return false;
    }
    true
}

/// Reports that the current test did not run an optional check, and why: a line
/// `optional check not run: <test>: <why>` written straight to stderr, past the test
/// harness's output capture, so that it reaches the log scripts/test.sh summarizes.
pub fn optional_check_not_run(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(
        std::io::stderr().lock(),
        "optional check not run: {test}: {why}"
    );
}

/// What the chain tests need and this machine lacks, each with how to get it.
fn chain_missing() -> Vec<String> {
    let mut missing = Vec::new();
    let node = node_binary();
    if !node.is_file() {
        missing.push(format!(
            "{} (scripts/build-node.sh, or set ESCROW_NODE)",
            node.display()
        ));
    }
    let bundle = escrow_bundle();
    if !bundle.is_file() {
        missing.push(format!(
            "{} (scripts/build-contract.sh contracts/milestone_escrow --release, or set \
             ESCROW_BUNDLE)",
            bundle.display()
        ));
    }
    if let Err(e) = escrow_binary() {
        missing.push(e);
    }
    missing
}

/// The skip-or-fail decision: `true` when nothing is missing; otherwise says what is, and
/// returns `false` (skip), or panics under `ESCROW_REQUIRE_CHAIN=1`.
fn prerequisites_met(missing: Vec<String>) -> bool {
    if missing.is_empty() {
        return true;
    }
    let why = missing.join("; ");
    if std::env::var("ESCROW_REQUIRE_CHAIN").as_deref() == Ok("1") {
        panic!("ESCROW_REQUIRE_CHAIN=1 but the chain tests cannot run, missing: {why}");
    }
    eprintln!("SKIPPED (set ESCROW_REQUIRE_CHAIN=1 to fail instead): missing {why}");
    false
}

/// The release bundle of `contracts/bare_pay`, a small contract that is not the escrow;
/// built with `scripts/build-contract.sh` if it is missing.
pub fn bare_pay_bundle() -> Result<PathBuf> {
    let bundle = escrow_client::artifacts::release_bundle("bare_pay");
    if bundle.is_file() {
        return Ok(bundle);
    }
    build_contract("bare_pay", "release")?;
    if !bundle.is_file() {
        return Err(format!("the build left no {}", bundle.display()).into());
    }
    Ok(bundle)
}

/// Runs `scripts/build-contract.sh contracts/<name> --<mode>` into the target directory;
/// returns its output, or an error with it.
pub fn build_contract(name: &str, mode: &str) -> Result<String> {
    let root = repo_root();
    let output = Command::new(root.join("scripts/build-contract.sh"))
        .arg(root.join("contracts").join(name))
        .arg(format!("--{mode}"))
        .env("CARGO_TARGET_DIR", target_dir())
        .output()?;
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() {
        return Err(
            format!("scripts/build-contract.sh contracts/{name} --{mode} failed:\n{log}").into(),
        );
    }
    Ok(log)
}
