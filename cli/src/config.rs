//! `<ESCROW_HOME>/config.json`: what `escrow deploy` remembers (contract address and code
//! hash, per node URL), so later commands need no `--contract`.
//!
//! `ESCROW_HOME` defaults to `./.escrow` (git-ignored at the repository root).

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

/// A deployed instance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Deployment {
    /// SS58 address of the contract.
    pub contract: String,
    /// Its code hash, 0x-hex.
    pub code_hash: String,
    /// With the release fast path in front: the code hash of the ink! contract it
    /// delegates to, 0x-hex. `None`: the ink! contract was deployed alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library_code_hash: Option<String>,
}

/// The config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Config {
    /// Deployments by node URL.
    #[serde(default)]
    pub deployments: BTreeMap<String, Deployment>,
}

/// Where state lives: `$ESCROW_HOME` or `./.escrow`.
pub fn home() -> PathBuf {
    std::env::var_os("ESCROW_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".escrow"))
}

impl Config {
    /// Loads `<home>/config.json` (empty if absent).
    pub fn load(home: &Path) -> Result<Config, String> {
        let path = home.join("config.json");
        match fs::read_to_string(&path) {
            Ok(text) => {
                serde_json::from_str(&text).map_err(|e| format!("corrupt {}: {e}", path.display()))
            }
            Err(_) => Ok(Config::default()),
        }
    }

    /// Saves it.
    pub fn save(&self, home: &Path) -> Result<(), String> {
        fs::create_dir_all(home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
        let path = home.join("config.json");
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Config::load(dir.path()).unwrap().deployments.is_empty());
        let mut c = Config::default();
        let d = Deployment {
            contract: "5F".into(),
            code_hash: "0x00".into(),
            library_code_hash: Some("0x01".into()),
        };
        c.deployments.insert("ws://x".into(), d.clone());
        c.save(dir.path()).unwrap();
        assert_eq!(Config::load(dir.path()).unwrap().deployments["ws://x"], d);
    }
}
