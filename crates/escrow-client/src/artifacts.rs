//! Where the built contracts are, and what a `.contract` bundle holds.
//!
//! `scripts/build-contract.sh --release` leaves each contract's bundle under
//! `$CARGO_TARGET_DIR/ink/<name>/by-mode/release/` (the shared cache
//! `~/.cache/milestone-escrow/target` when the variable is unset). The plain `ink/<name>/`
//! copy is whichever build ran last — a debug one after the toolchain test — so the release
//! path is the only one a deployment or a measurement should default to.
//!
//! Finding a bundle here never makes its code *trusted*: see [`crate::trust`].

use std::path::{Path, PathBuf};

use crate::{
    contract::selector,
    error::{ClientError, Result},
};

/// The Cargo target directory: `$CARGO_TARGET_DIR`, else the shared cache.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) if !t.is_empty() => PathBuf::from(t),
        _ => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/milestone-escrow/target")
        }
    }
}

/// The release bundle of contract `name` (e.g. `milestone_escrow`, `bare_pay`).
pub fn release_bundle(name: &str) -> PathBuf {
    target_dir()
        .join("ink")
        .join(name)
        .join("by-mode/release")
        .join(format!("{name}.contract"))
}

/// The escrow's release bundle: what `escrow deploy` deploys unless told otherwise.
pub fn default_bundle() -> PathBuf {
    release_bundle("milestone_escrow")
}

/// The metadata (`<name>.json`) the last build of contract `name` wrote.
pub fn last_build_metadata(name: &str) -> PathBuf {
    target_dir()
        .join("ink")
        .join(name)
        .join(format!("{name}.json"))
}

/// A bundle's code and the selector of its constructor `new`.
pub fn read_bundle(path: &Path) -> Result<(Vec<u8>, [u8; 4])> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("milestone_escrow");
        ClientError::input(format!(
            "cannot read the contract bundle {} ({e}); build it with scripts/build-contract.sh contracts/{name} --release, or pass --bundle",
            path.display()
        ))
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        ClientError::input(format!("{}: not a .contract bundle: {e}", path.display()))
    })?;
    let wasm = v["source"]["wasm"].as_str().ok_or_else(|| {
        ClientError::input(format!(
            "{}: no source.wasm (a .json metadata file? use the .contract)",
            path.display()
        ))
    })?;
    let code = hex::decode(wasm.trim_start_matches("0x"))
        .map_err(|_| ClientError::input("source.wasm is not hex"))?;
    let sel = v["spec"]["constructors"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["label"] == "new"))
        .and_then(|c| c["selector"].as_str())
        .and_then(|s| hex::decode(s.trim_start_matches("0x")).ok())
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .unwrap_or_else(|| selector("new"));
    Ok((code, sel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_give_code_and_constructor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.contract");
        std::fs::write(
            &path,
            r#"{"source":{"wasm":"0x0061736d"},"spec":{"constructors":[{"label":"new","selector":"0x01020304"}]}}"#,
        )
        .unwrap();
        assert_eq!(
            read_bundle(&path).unwrap(),
            (b"\0asm".to_vec(), [1, 2, 3, 4])
        );
        std::fs::write(&path, r#"{"spec":{}}"#).unwrap();
        let e = read_bundle(&path).unwrap_err().to_string();
        assert!(e.contains("no source.wasm"), "{e}");
        assert!(
            release_bundle("bare_pay").ends_with("ink/bare_pay/by-mode/release/bare_pay.contract")
        );
    }
}
