//! Builds the runtime's Wasm blob and hands it to the native build as `WASM_BINARY`.
//!
//! Why not substrate-wasm-builder: version 24 always depends on `wasm-opt`, whose build script
//! compiles binaryen from C++. On 2 cores that was 623 s of a 31m47s cold node build, and it sat
//! on the critical path (builder → runtime wasm → node). All it did for us was lower `sign-ext`
//! opcodes, which a `-C target-feature=-sign-ext` build of core/alloc doesn't emit in the first
//! place, and compact the blob, which a dev chain doesn't need.
//!
//! What this script does instead is what the builder does at its core: one nested
//! `cargo rustc` of this crate for `wasm32-unknown-unknown`, without the `std` feature, with
//! core and alloc rebuilt for the Wasm MVP (`-Z build-std`, allowed on the pinned stable
//! toolchain through `RUSTC_BOOTSTRAP=1`, as the builder does), in a target dir of its own
//! (cargo holds a lock on ours while this script runs).
//!
//! `SKIP_WASM_BUILD=1` skips it (for `cargo check`/clippy); the node then refuses to start.
use std::{
	env, fs,
	path::{Path, PathBuf},
	process::Command,
};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// A profile of node/Cargo.toml: release, but `panic = "abort"` (no unwinding in the runtime).
const WASM_PROFILE: &str = "wasm-runtime";

fn main() {
	println!("cargo:rerun-if-env-changed=SKIP_WASM_BUILD");
	// The nested build of this crate runs this script too, for the wasm target: nothing to
	// embed there. (Cargo sets CARGO_CFG_* afresh for every script; CARGO_FEATURE_STD could
	// be inherited from the outer build, so it alone would recurse into a deadlock.)
	let target_arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
	if target_arch == "wasm32" || env::var_os("CARGO_FEATURE_STD").is_none() {
		return;
	}
	let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
	let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
	for input in ["src", "Cargo.toml", "../Cargo.toml", "../Cargo.lock"] {
		println!("cargo:rerun-if-changed={}", manifest_dir.join(input).display());
	}

	let generated = out_dir.join("wasm_binary.rs");
	if env::var("SKIP_WASM_BUILD").is_ok_and(|v| !v.is_empty() && v != "0") {
		write(&generated, "pub const WASM_BINARY: Option<&[u8]> = None;\n");
		return;
	}

	let blob = build_wasm(&manifest_dir, &out_dir);
	let embedded = out_dir.join("escrow_node_runtime.wasm");
	fs::copy(&blob, &embedded)
		.unwrap_or_else(|e| panic!("copying {} to {}: {e}", blob.display(), embedded.display()));
	write(
		&generated,
		&format!(
			"/// The runtime's Wasm blob (uncompressed; the executor takes both forms).\n\
			 pub const WASM_BINARY: Option<&[u8]> = Some(include_bytes!({:?}));\n",
			embedded.display().to_string()
		),
	);
}

/// Runs the nested wasm build and returns the path of the blob it produced.
fn build_wasm(manifest_dir: &Path, out_dir: &Path) -> PathBuf {
	// OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out: keep the nested target dir beside
	// the profile dir so it survives rebuilds of this crate and stays incremental.
	let target_dir = out_dir
		.ancestors()
		.nth(3)
		.expect("OUT_DIR has the shape <target>/<profile>/build/<pkg>/out")
		.join("wasm-runtime");
	let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
	let rustflags = [
		// Our executor runs the Wasm MVP (plus sign-ext at most): no newer features.
		"-C target-cpu=mvp",
		"-C target-feature=-sign-ext",
		"-C link-arg=--export-table",
		"-C link-arg=--export=__heap_base",
		"-C link-arg=--import-memory",
		// sp-io and friends switch to their runtime-side implementations on this cfg.
		"--cfg substrate_runtime",
	]
	.join(" ");

	let mut cmd = Command::new(cargo);
	cmd.current_dir(manifest_dir)
		.args(["rustc", "--lib", "--crate-type", "cdylib", "--locked", "--no-default-features"])
		.args(["--target", WASM_TARGET, "--profile", WASM_PROFILE])
		.args(["-Z", "build-std=core,alloc"])
		.arg("--manifest-path")
		.arg(manifest_dir.join("Cargo.toml"))
		.env("CARGO_TARGET_DIR", &target_dir)
		.env("RUSTFLAGS", rustflags)
		.env("RUSTC_BOOTSTRAP", "1")
		// Set by cargo for this script; they would override RUSTFLAGS or point at our target.
		.env_remove("CARGO_ENCODED_RUSTFLAGS")
		.env_remove("CARGO_BUILD_RUSTFLAGS")
		.env_remove("CARGO_BUILD_TARGET_DIR");
	// This script's own CARGO_FEATURE_*/CARGO_CFG_* describe the native build; the nested
	// cargo sets its own for its scripts, and must not inherit ours.
	for (key, _) in env::vars_os() {
		let key = key.to_string_lossy();
		if key.starts_with("CARGO_FEATURE_") || key.starts_with("CARGO_CFG_") {
			cmd.env_remove(key.as_ref());
		}
	}
	let status = cmd.status().unwrap_or_else(|e| panic!("running the nested cargo: {e}"));
	assert!(status.success(), "the runtime's wasm build failed ({status}); see the output above");

	let blob = target_dir
		.join(WASM_TARGET)
		.join(WASM_PROFILE)
		.join("escrow_node_runtime.wasm");
	assert!(blob.is_file(), "the wasm build succeeded but {} is missing", blob.display());
	blob
}

fn write(path: &Path, contents: &str) {
	fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
