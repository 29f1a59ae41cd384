//! `<ESCROW_HOME>/config.json`: what `escrow deploy` remembers (contract address and code
//! hash, per node URL), so later commands need no `--contract`.
//!
//! Where it lives: `$ESCROW_HOME` if set, else the user's data directory
//! (`$XDG_DATA_HOME/escrow`, else `~/.local/share/escrow`). Never the working directory: the
//! config names the contract and the code hash the CLI trusts, and a checkout could plant a
//! `./.escrow/config.json` that points a buyer at someone else's contract.

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
}

/// The config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Config {
    /// Deployments by node URL.
    #[serde(default)]
    pub deployments: BTreeMap<String, Deployment>,
}

/// Where state lives: `$ESCROW_HOME`, else `$XDG_DATA_HOME/escrow`, else
/// `$HOME/.local/share/escrow`. An empty or relative `XDG_DATA_HOME` is ignored, as the XDG
/// base directory specification asks.
pub fn home() -> PathBuf {
    home_from(|name| std::env::var_os(name))
}

/// [`home`] over a given environment (tested without touching the process's).
pub fn home_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    if let Some(h) = var("ESCROW_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    if let Some(xdg) = var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return xdg.join("escrow");
    }
    let home = var("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".local/share/escrow")
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
        };
        c.deployments.insert("ws://x".into(), d.clone());
        c.save(dir.path()).unwrap();
        assert_eq!(Config::load(dir.path()).unwrap().deployments["ws://x"], d);
    }

    /// Regression: the config (which names the contract and code hash to trust) is never read
    /// from the working directory, where a checkout could plant one.
    #[test]
    fn home_is_escrow_home_else_the_user_data_dir_never_the_working_dir() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        assert_eq!(
            home_from(env(&[
                ("ESCROW_HOME", "/e"),
                ("XDG_DATA_HOME", "/x"),
                ("HOME", "/h")
            ])),
            PathBuf::from("/e")
        );
        assert_eq!(
            home_from(env(&[("XDG_DATA_HOME", "/x"), ("HOME", "/h")])),
            PathBuf::from("/x/escrow")
        );
        assert_eq!(
            home_from(env(&[("XDG_DATA_HOME", "rel"), ("HOME", "/h")])),
            PathBuf::from("/h/.local/share/escrow")
        );
        assert_eq!(
            home_from(env(&[("HOME", "/h")])),
            PathBuf::from("/h/.local/share/escrow")
        );
    }
}
