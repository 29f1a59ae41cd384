//! `<ESCROW_HOME>/config.json`: what `escrow deploy` remembers (contract address and code
//! hash, per node URL), so later commands need no `--contract`; and the PSP22 tokens the
//! user added (`escrow token add`, `escrow token deploy`), per node URL, so a deal's asset
//! can be named by its symbol ([`Config::resolve_asset`]).
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
use subxt::utils::AccountId32;

/// A deployed instance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Deployment {
    /// SS58 address of the contract.
    pub contract: String,
    /// Its code hash, 0x-hex.
    pub code_hash: String,
}

/// A PSP22 token the user added for one node. Only a name for an address: its metadata
/// (symbol, decimals) is read from the chain whenever it is used, and a symbol that no
/// longer matches is refused ([`Config::resolve_asset`] resolves, the caller checks).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KnownToken {
    /// SS58 address of the token contract.
    pub address: String,
    /// Its symbol when it was added.
    pub symbol: String,
    /// Its name when it was added.
    pub name: String,
    /// Its decimals when it was added.
    pub decimals: u8,
}

/// A deal's asset as the user named it, resolved to an address (its metadata still has to
/// be read from the chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetRef {
    /// The chain's native token.
    Native,
    /// The PSP22 token at this address; `known` if named by a symbol the registry holds
    /// (then the symbol it was added with, to compare with what the chain says now).
    Token {
        /// The token contract.
        address: AccountId32,
        /// The symbol the registry recorded, when named by symbol.
        known_as: Option<String>,
    },
}

/// The config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Config {
    /// Deployments by node URL.
    #[serde(default)]
    pub deployments: BTreeMap<String, Deployment>,
    /// PSP22 tokens the user added, by node URL.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens: BTreeMap<String, Vec<KnownToken>>,
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
    /// The tokens added for `url`, in the order they were added.
    pub fn tokens_for(&self, url: &str) -> &[KnownToken] {
        self.tokens.get(url).map(Vec::as_slice).unwrap_or_default()
    }

    /// Records `token` for `url`, replacing the entry of the same address (its symbol or
    /// decimals may have been re-read). Returns whether it was new.
    pub fn add_token(&mut self, url: &str, token: KnownToken) -> bool {
        let list = self.tokens.entry(url.to_string()).or_default();
        match list.iter_mut().find(|t| t.address == token.address) {
            Some(t) => {
                *t = token;
                false
            }
            None => {
                list.push(token);
                true
            }
        }
    }

    /// Forgets the token `input` names for `url` (its address, SS58 or 0x-hex, or the symbol
    /// of exactly one token recorded there) and returns its entry. Only the registry changes:
    /// nothing on chain. Refused, naming the input, when it names no recorded token, `native`,
    /// or a symbol two recorded tokens share (name that one by its address).
    pub fn remove_token(&mut self, url: &str, input: &str) -> Result<KnownToken, String> {
        let address = match self.resolve_asset(url, input)? {
            AssetRef::Native => {
                return Err(format!(
                    "'{}' is the native token: only recorded PSP22 tokens can be removed",
                    input.trim()
                ))
            }
            AssetRef::Token { address, .. } => address,
        };
        let list = self.tokens.get_mut(url);
        let position = list.as_ref().and_then(|l| {
            l.iter().position(|t| {
                crate::accounts::parse_account(&t.address).is_ok_and(|a| a == address)
            })
        });
        match (list, position) {
            (Some(l), Some(i)) => {
                let removed = l.remove(i);
                if l.is_empty() {
                    self.tokens.remove(url);
                }
                Ok(removed)
            }
            _ => Err(format!(
                "no token {address} is recorded for {url} (`escrow token list` shows what is)"
            )),
        }
    }

    /// Resolves `--asset`-style input for `url`: `native`, a token's address (SS58 or
    /// 0x-hex), or the symbol of exactly one token added for `url` (case-insensitive).
    /// An unknown or ambiguous symbol is refused, saying what is known.
    pub fn resolve_asset(&self, url: &str, input: &str) -> Result<AssetRef, String> {
        let s = input.trim();
        if s.eq_ignore_ascii_case("native") {
            return Ok(AssetRef::Native);
        }
        if let Ok(address) = crate::accounts::parse_account(s) {
            return Ok(AssetRef::Token {
                address,
                known_as: None,
            });
        }
        let known = self.tokens_for(url);
        let matches: Vec<&KnownToken> = known
            .iter()
            .filter(|t| t.symbol.eq_ignore_ascii_case(s))
            .collect();
        match matches.as_slice() {
            [t] => {
                let address = crate::accounts::parse_account(&t.address).map_err(|e| {
                    format!(
                        "the token registry's entry for {} is corrupt: {e}",
                        t.symbol
                    )
                })?;
                Ok(AssetRef::Token {
                    address,
                    known_as: Some(t.symbol.clone()),
                })
            }
            [] => {
                let names = if known.is_empty() {
                    "none".to_string()
                } else {
                    known
                        .iter()
                        .map(|t| t.symbol.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Err(format!(
                    "unknown asset '{s}': not `native`, a token address, or the symbol of a \
                     token this CLI knows for {url} (known: {names}); add a token with \
                     `escrow token add ADDRESS`, or name it by its address"
                ))
            }
            many => Err(format!(
                "ambiguous asset '{s}': {} tokens known for {url} have this symbol ({}); name \
                 the one you mean by its address",
                many.len(),
                many.iter()
                    .map(|t| t.address.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

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

    fn usdt(address: &AccountId32) -> KnownToken {
        KnownToken {
            address: address.to_string(),
            symbol: "USDT".into(),
            name: "US Dollar".into(),
            decimals: 6,
        }
    }

    #[test]
    fn tokens_are_recorded_per_url_and_survive_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (AccountId32([0xa1; 32]), AccountId32([0xb2; 32]));
        let mut c = Config::default();
        assert!(c.add_token("ws://x", usdt(&a)));
        // The same address again replaces its entry.
        let renamed = KnownToken {
            symbol: "USDX".into(),
            ..usdt(&a)
        };
        assert!(!c.add_token("ws://x", renamed.clone()));
        assert!(c.add_token("ws://y", usdt(&b)));
        c.save(dir.path()).unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.tokens_for("ws://x"), [renamed]);
        assert_eq!(c.tokens_for("ws://y"), [usdt(&b)]);
        assert_eq!(c.tokens_for("ws://z"), []);
    }

    #[test]
    fn a_token_is_removed_by_symbol_or_address_from_its_url_only() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (AccountId32([0xa1; 32]), AccountId32([0xb2; 32]));
        let mut c = Config::default();
        c.add_token("ws://x", usdt(&a));
        c.add_token(
            "ws://x",
            KnownToken {
                symbol: "EURC".into(),
                ..usdt(&b)
            },
        );
        c.add_token("ws://y", usdt(&a));
        assert_eq!(c.remove_token("ws://x", "usdt"), Ok(usdt(&a)));
        assert_eq!(c.tokens_for("ws://x").len(), 1);
        assert_eq!(c.tokens_for("ws://y"), [usdt(&a)]);
        let eurc = c.remove_token("ws://x", &format!("0x{}", "b2".repeat(32)));
        assert_eq!(eurc.map(|t| t.symbol), Ok("EURC".to_string()));
        // The last token of a URL leaves no empty list behind.
        assert!(!c.tokens.contains_key("ws://x"));
        c.save(dir.path()).unwrap();
        assert_eq!(
            Config::load(dir.path()).unwrap().tokens_for("ws://y"),
            [usdt(&a)]
        );
    }

    #[test]
    fn removing_an_unknown_native_or_ambiguous_token_is_refused_naming_it() {
        let (a, b) = (AccountId32([0xa1; 32]), AccountId32([0xb2; 32]));
        let mut c = Config::default();
        c.add_token("ws://x", usdt(&a));
        c.add_token("ws://x", usdt(&b));
        let before = c.tokens.clone();
        let err = c.remove_token("ws://x", "USDT").unwrap_err();
        assert!(err.starts_with("ambiguous asset 'USDT'"), "{err}");
        let err = c.remove_token("ws://x", "native").unwrap_err();
        assert!(err.starts_with("'native' is the native token"), "{err}");
        let err = c.remove_token("ws://x", "EURC").unwrap_err();
        assert!(err.starts_with("unknown asset 'EURC'"), "{err}");
        let other = format!("0x{}", "c3".repeat(32));
        let err = c.remove_token("ws://x", &other).unwrap_err();
        assert!(
            err.starts_with("no token ") && err.contains("ws://x"),
            "{err}"
        );
        assert_eq!(c.tokens, before, "a refused removal changes nothing");
    }

    #[test]
    fn a_config_without_tokens_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("config.json"),
            r#"{"deployments":{"ws://x":{"contract":"5F","code_hash":"0x00"}}}"#,
        )
        .unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.deployments.len(), 1);
        assert!(c.tokens.is_empty());
    }

    #[test]
    fn assets_resolve_from_native_an_address_or_one_known_symbol() {
        let (a, b) = (AccountId32([0xa1; 32]), AccountId32([0xb2; 32]));
        let mut c = Config::default();
        c.add_token("ws://x", usdt(&a));
        assert_eq!(c.resolve_asset("ws://x", "native"), Ok(AssetRef::Native));
        assert_eq!(c.resolve_asset("ws://x", "NATIVE"), Ok(AssetRef::Native));
        assert_eq!(
            c.resolve_asset("ws://x", &b.to_string()),
            Ok(AssetRef::Token {
                address: b.clone(),
                known_as: None
            })
        );
        assert_eq!(
            c.resolve_asset("ws://x", &format!("0x{}", "b2".repeat(32))),
            Ok(AssetRef::Token {
                address: b.clone(),
                known_as: None
            })
        );
        assert_eq!(
            c.resolve_asset("ws://x", "usdt"),
            Ok(AssetRef::Token {
                address: a.clone(),
                known_as: Some("USDT".into())
            })
        );
        // Symbols are per URL.
        let e = c.resolve_asset("ws://y", "USDT").unwrap_err();
        assert_eq!(
            e,
            "unknown asset 'USDT': not `native`, a token address, or the symbol of a token \
             this CLI knows for ws://y (known: none); add a token with `escrow token add \
             ADDRESS`, or name it by its address"
        );
        let e = c.resolve_asset("ws://x", "EURC").unwrap_err();
        assert!(
            e.contains("unknown asset 'EURC'") && e.contains("(known: USDT)"),
            "{e}"
        );
    }

    #[test]
    fn a_symbol_two_known_tokens_share_is_ambiguous_naming_both() {
        let (a, b) = (AccountId32([0xa1; 32]), AccountId32([0xb2; 32]));
        let mut c = Config::default();
        c.add_token("ws://x", usdt(&a));
        c.add_token("ws://x", usdt(&b));
        assert_eq!(
            c.resolve_asset("ws://x", "USDT"),
            Err(format!(
                "ambiguous asset 'USDT': 2 tokens known for ws://x have this symbol ({a}, {b}); \
                 name the one you mean by its address"
            ))
        );
        // By address, either one is fine.
        assert!(c.resolve_asset("ws://x", &a.to_string()).is_ok());
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
