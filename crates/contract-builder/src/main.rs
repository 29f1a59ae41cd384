//! `contract-builder`: `cargo contract build` for this workspace, without cargo-contract.
//!
//! `contract-builder [--release] [--generate code-only] --manifest-path <Cargo.toml>`
//! builds like `cargo contract build` with the same flags (see the library docs) and prints
//! the files it wrote, one per line. scripts/build-contract.sh runs it; run that script, not
//! this binary, to get the project's wasm-opt pass and the wasm feature checks too.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use contract_builder::{build, outputs, Request};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "cargo contract build, through cargo-contract's build library"
)]
struct Args {
    /// The contract's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    manifest_path: PathBuf,
    /// An optimized build (cargo-contract's `--release`).
    #[arg(long)]
    release: bool,
    /// What to generate.
    #[arg(long, value_enum, default_value_t = Generate::All)]
    generate: Generate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Generate {
    /// The bundle, its metadata and the code.
    All,
    /// The code only.
    CodeOnly,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let request = Request {
        manifest_path: args.manifest_path,
        release: args.release,
        code_only: args.generate == Generate::CodeOnly,
    };
    match build(&request) {
        Ok(result) => {
            for file in outputs(&result) {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: building {} failed: {e:?}",
                request.manifest_path.display()
            );
            ExitCode::FAILURE
        }
    }
}
