//! `cargo contract build`, as a library call.
//!
//! cargo-contract's `build` command is a thin layer over its library `contract-build`: it
//! turns its flags into an [`ExecuteArgs`] and calls [`contract_build::execute`]. ink_e2e
//! 5.1.1 compiles that same library (5.0.3) into this workspace, so building bundles here
//! costs no separate install of the `cargo-contract` binary (15–23 min cold on 2 cores).
//!
//! [`execute_args`] fills [`ExecuteArgs`] exactly as cargo-contract 5.0.3's
//! `BuildCommand::exec` does for `cargo contract build [--release] [--generate code-only]
//! --manifest-path <path>` and no other flag. `tests/identical.rs` checks the result: when
//! cargo-contract is installed, both build the contracts and the outputs must be the same
//! bytes.
//!
//! The caller points `$CARGO` at `scripts/cargo-wrapper.sh` for release builds on Rust ≥ 1.92,
//! exactly as it does for cargo-contract: contract-build runs every cargo command through
//! `$CARGO`, and the wrapper replaces the rejected `panic_immediate_abort` std feature.

use std::path::{Path, PathBuf};

pub use contract_build::{BuildArtifacts, BuildMode, BuildResult, ExecuteArgs};
use contract_build::{
    Features, ImageVariant, ManifestPath, Network, OutputType, Target, UnstableFlags, Verbosity,
    DEFAULT_MAX_MEMORY_PAGES,
};

/// What to build: the subset of `cargo contract build`'s flags this project uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The contract's `Cargo.toml`.
    pub manifest_path: PathBuf,
    /// `--release`; otherwise a debug build.
    pub release: bool,
    /// `--generate code-only`: the `.wasm` alone (for a crate that is not an ink! contract);
    /// otherwise the bundle, its metadata and the `.wasm`.
    pub code_only: bool,
}

/// The arguments cargo-contract 5.0.3 passes to [`contract_build::execute`] for `request`:
/// every field as its `BuildCommand` defaults set it (no `--offline`, `--lint`,
/// `--optimization-passes`, `--keep-debug-symbols`, `--output-json`,
/// `--skip-wasm-validation`, `--verifiable` or `--image`; target wasm; default memory pages).
pub fn execute_args(request: &Request) -> anyhow::Result<ExecuteArgs> {
    anyhow::ensure!(
        request.manifest_path.is_file(),
        "no manifest at {}",
        request.manifest_path.display()
    );
    Ok(ExecuteArgs {
        manifest_path: ManifestPath::try_from(Some(&request.manifest_path))?,
        verbosity: Verbosity::Default,
        build_mode: if request.release {
            BuildMode::Release
        } else {
            BuildMode::Debug
        },
        features: Features::default(),
        network: Network::Online,
        build_artifact: if request.code_only {
            BuildArtifacts::CodeOnly
        } else {
            BuildArtifacts::All
        },
        unstable_flags: UnstableFlags::default(),
        // None: the crate's `[package.metadata.contract] optimization-passes`, else the default.
        optimization_passes: None,
        keep_debug_symbols: false,
        extra_lints: false,
        output_type: OutputType::HumanReadable,
        skip_wasm_validation: false,
        target: Target::Wasm,
        max_memory_pages: DEFAULT_MAX_MEMORY_PAGES,
        image: ImageVariant::Default,
    })
}

/// Builds `request`: what `cargo contract build` would write, in the same place
/// (`<target dir>/ink/<crate>/`).
pub fn build(request: &Request) -> anyhow::Result<BuildResult> {
    contract_build::execute(execute_args(request)?)
}

/// The files a build wrote: the `.wasm`, then the `.contract` bundle and the `.json`
/// metadata when they were generated.
pub fn outputs(result: &BuildResult) -> Vec<&Path> {
    let mut files: Vec<&Path> = result.dest_wasm.iter().map(PathBuf::as_path).collect();
    if let Some(metadata) = &result.metadata_result {
        files.push(&metadata.dest_bundle);
        files.push(&metadata.dest_metadata);
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(release: bool, code_only: bool) -> Request {
        Request {
            manifest_path: Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"),
            release,
            code_only,
        }
    }

    #[test]
    fn release_and_debug_map_to_cargo_contracts_build_modes() {
        let release = execute_args(&request(true, false)).unwrap();
        assert!(matches!(release.build_mode, BuildMode::Release));
        let debug = execute_args(&request(false, false)).unwrap();
        assert!(matches!(debug.build_mode, BuildMode::Debug));
    }

    #[test]
    fn code_only_generates_the_wasm_alone() {
        let args = execute_args(&request(true, true)).unwrap();
        assert_eq!(args.build_artifact, BuildArtifacts::CodeOnly);
        let args = execute_args(&request(true, false)).unwrap();
        assert_eq!(args.build_artifact, BuildArtifacts::All);
    }

    #[test]
    fn optimization_passes_come_from_the_crates_manifest() {
        // cargo-contract leaves them unset without --optimization-passes, and contract-build
        // then reads `[package.metadata.contract] optimization-passes` (milestone_escrow: "0").
        let args = execute_args(&request(true, false)).unwrap();
        assert_eq!(args.optimization_passes, None);
    }

    #[test]
    fn a_missing_manifest_is_refused_by_name() {
        let mut missing = request(true, false);
        missing.manifest_path = PathBuf::from("/nonexistent/Cargo.toml");
        let Err(err) = execute_args(&missing) else {
            panic!("a manifest that does not exist was accepted");
        };
        let err = err.to_string();
        assert!(err.contains("/nonexistent/Cargo.toml"), "{err}");
    }
}
