//! The promise of `contract-builder`: the same bytes as `cargo contract build --release`.
//!
//! When cargo-contract 5.0.3 is installed (it is optional: `scripts/setup.sh
//! --with-cargo-contract`), the escrow contract (the bundle `escrow deploy` deploys) is built
//! by both, each into a target directory of its own under `<target>/bundle-identity/`, both through
//! `scripts/cargo-wrapper.sh` as scripts/build-contract.sh runs them. The `.contract`,
//! `.json` and `.wasm` files must be equal byte for byte. Without cargo-contract the test
//! prints that the check did not run, and why.

use std::path::{Path, PathBuf};
use std::process::Command;

use escrow_test_support::artifacts::{optional_check_not_run, repo_root, target_dir};

const CARGO_CONTRACT_VERSION: &str = "5.0.3";

/// The installed cargo-contract's version ("5.0.3"), or `None` when there is none.
fn cargo_contract_version() -> Option<String> {
    let output = Command::new("cargo-contract")
        .arg("--version")
        .output()
        .ok()?;
    // Prints e.g. "cargo-contract-contract 5.0.3-unknown-x86_64-unknown-linux-gnu".
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text.split_whitespace().nth(1)?.split('-').next()?;
    Some(version.to_string())
}

/// Builds `crate_name` (release) with `program args…` into `<target>/bundle-identity/<label>`
/// and returns the output directory `<that>/ink/<crate_name>`.
fn build_with(label: &str, mut command: Command, crate_name: &str) -> PathBuf {
    let root = repo_root();
    let target = target_dir().join("bundle-identity").join(label);
    let manifest = root.join("contracts").join(crate_name).join("Cargo.toml");
    let output = command
        .arg("--release")
        .arg("--manifest-path")
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO", root.join("scripts/cargo-wrapper.sh"))
        .env("RUSTUP_TOOLCHAIN", pinned_toolchain(&root))
        .output()
        .unwrap_or_else(|e| panic!("{label} did not start: {e}"));
    assert!(
        output.status.success(),
        "{label} failed to build {crate_name} ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    target.join("ink").join(crate_name)
}

fn pinned_toolchain(root: &Path) -> String {
    let text =
        std::fs::read_to_string(root.join("rust-toolchain.toml")).expect("rust-toolchain.toml");
    text.lines()
        .find_map(|l| l.trim().strip_prefix("channel"))
        .and_then(|l| l.split('"').nth(1))
        .expect("a channel in rust-toolchain.toml")
        .to_string()
}

/// Panics naming the first differing byte unless `a` and `b` hold the same bytes.
fn assert_same_bytes(a: &Path, b: &Path) {
    let (x, y) = (
        std::fs::read(a).unwrap_or_else(|e| panic!("{}: {e}", a.display())),
        std::fs::read(b).unwrap_or_else(|e| panic!("{}: {e}", b.display())),
    );
    if x != y {
        let at = x
            .iter()
            .zip(&y)
            .position(|(p, q)| p != q)
            .unwrap_or(x.len().min(y.len()));
        panic!(
            "{} ({} bytes) and {} ({} bytes) differ from byte {at}",
            a.display(),
            x.len(),
            b.display(),
            y.len()
        );
    }
}

#[test]
fn bundles_are_byte_identical_to_cargo_contract_build_release() {
    match cargo_contract_version() {
        Some(v) if v == CARGO_CONTRACT_VERSION => {}
        other => {
            optional_check_not_run(&format!(
                "bundle identity with cargo-contract needs cargo-contract \
                 {CARGO_CONTRACT_VERSION} on PATH, found {}",
                other.as_deref().unwrap_or("none")
            ));
            return;
        }
    }
    // One contract: the builder is the same code for every crate, and each extra crate costs
    // two more builds (~80 s warm) in every test run.
    for crate_name in ["milestone_escrow"] {
        let mut ours = Command::new(env!("CARGO_BIN_EXE_contract-builder"));
        ours.arg("--generate").arg("all");
        let ours = build_with("contract-builder", ours, crate_name);
        let mut theirs = Command::new("cargo-contract");
        theirs.args(["contract", "build"]);
        let theirs = build_with("cargo-contract", theirs, crate_name);
        for ext in ["contract", "json", "wasm"] {
            let file = format!("{crate_name}.{ext}");
            assert_same_bytes(&ours.join(&file), &theirs.join(&file));
        }
        eprintln!("{crate_name}: .contract, .json and .wasm identical");
    }
}
