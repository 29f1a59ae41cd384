//! `<ESCROW_HOME>/config.json`: what `escrow deploy` remembers (contract address and code
//! hash, per node URL), so later commands need no `--contract`.
//!
//! Where it lives: `$ESCROW_HOME` if set, else the user's data directory
//! (`$XDG_DATA_HOME/escrow`, else `~/.local/share/escrow`). Never the working directory: the
//! config names the contract and the code hash the CLI trusts, and a checkout could plant a
//! `./.escrow/config.json` that points a buyer at someone else's contract.
//!
//! Directories the CLI creates there are the user's alone (0700): the state directory
//! itself when it does not exist yet, and always `keystore/` and `locks/` ([`private_dir`]).

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

/// Creates `dir`, and any missing parent, with mode 0700 (on Unix), and restricts `dir` to
/// 0700 if it exists with wider permissions: for the directories that hold the keystore
/// and the signing locks, which no other user may read or plant files in. Never used on
/// the state directory itself, which the user may share on purpose (`ESCROW_HOME`).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        if fs::metadata(dir)?.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

/// Creates `dir` and missing parents with mode 0700 (on Unix); an existing one is left as
/// it is.
fn create_dir_0700(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
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
        create_dir_0700(home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
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

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn private_dirs_are_created_0700_and_restricted_to_0700() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("home/keystore");
        private_dir(&deep).unwrap();
        assert_eq!(mode(&deep), 0o700);
        assert_eq!(mode(&dir.path().join("home")), 0o700, "missing parents too");
        fs::set_permissions(&deep, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&deep).unwrap();
        assert_eq!(mode(&deep), 0o700, "a wider one is restricted");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_state_directory_is_created_0700_an_existing_one_is_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("escrow");
        Config::default().save(&home).unwrap();
        assert_eq!(mode(&home), 0o700);
        fs::set_permissions(&home, fs::Permissions::from_mode(0o750)).unwrap();
        Config::default().save(&home).unwrap();
        assert_eq!(mode(&home), 0o750);
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
