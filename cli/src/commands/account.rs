//! `escrow account new | import | list | show`: the keystore (see [`escrow_client::keystore`]).
//!
//! `account new` shows the new mnemonic only on a terminal, or writes it to a file it
//! creates with mode 0600 (`--mnemonic-file`, never overwriting one). With stdout not a
//! terminal and no such file it refuses before creating anything: a script's output ends in
//! logs and pipes, where a mnemonic must not.

use std::{
    io::{IsTerminal, Write},
    path::{Path, PathBuf},
    str::FromStr,
};

use clap::{Args, Subcommand};
use escrow_client::{
    accounts::parse_account, config::Config, keystore, token::TokenInfo, ClientError, Result,
};
use escrow_types::Balance;
use serde_json::json;
use subxt::utils::AccountId32;
use zeroize::Zeroizing;

use super::w;
use crate::{password, Ctx};

/// `escrow account …`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account from a fresh 12-word mnemonic, shown once on the terminal (write it
    /// down) or written to --mnemonic-file.
    New(NewArgs),
    /// Import a mnemonic / secret URI (from a file or stdin), or a polkadot.js JSON export.
    Import(ImportArgs),
    /// List keystore accounts.
    List,
    /// Show an account (keystore name, address, or //Dev URI) and, if a node answers, its balance.
    Show(ShowArgs),
}

/// `account new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The account's name.
    pub name: String,
    /// Write the mnemonic to this file, created with mode 0600 (an existing file is never
    /// overwritten), instead of showing it. Required when stdout is not a terminal.
    #[arg(long = "mnemonic-file", value_name = "PATH")]
    pub mnemonic_file: Option<PathBuf>,
}

/// Where `account new` may put the mnemonic: the file given, else the terminal; with
/// neither, it refuses (exit 2) before anything is created.
pub fn mnemonic_file(file: Option<&Path>, stdout_is_terminal: bool) -> Result<Option<&Path>> {
    match (file, stdout_is_terminal) {
        (Some(f), _) => Ok(Some(f)),
        (None, true) => Ok(None),
        (None, false) => Err(ClientError::input(
            "account new: stdout is not a terminal, and the new mnemonic is shown only on one; \
             pass --mnemonic-file PATH (created with mode 0600) to keep it. No account was \
             created",
        )),
    }
}

/// Creates `path` for a secret: mode 0600, failing if anything exists there (a symlink
/// included).
fn create_secret_file(path: &Path) -> Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map_err(|e| {
        ClientError::input(if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "--mnemonic-file {}: the file exists already, and it is never overwritten; \
                 choose another path. No account was created",
                path.display()
            )
        } else {
            format!(
                "--mnemonic-file {}: cannot create it: {e}. No account was created",
                path.display()
            )
        })
    })
}

/// `account new`: the mnemonic, the account, and where the mnemonic went.
fn new_account(
    ks: &keystore::Keystore,
    a: &NewArgs,
    file: Option<&Path>,
) -> Result<(keystore::Entry, Zeroizing<String>)> {
    ks.ensure_free(&a.name).map_err(ClientError::input)?;
    let Some(path) = file else {
        let phrase = keystore::new_mnemonic().map_err(ClientError::input)?;
        let pw = password("new password: ", true)?;
        let e = ks
            .add_suri(&a.name, &phrase, &pw)
            .map_err(ClientError::input)?;
        return Ok((e, phrase));
    };
    // The file first: if it cannot be written, nothing else happens; if anything after it
    // fails, it is removed, so a mnemonic file always belongs to an account.
    let mut f = create_secret_file(path)?;
    let made = (|| {
        let phrase = keystore::new_mnemonic().map_err(ClientError::input)?;
        let pw = password("new password: ", true)?;
        let mut line = Zeroizing::new(String::with_capacity(phrase.len() + 1));
        line.push_str(&phrase);
        line.push('\n');
        f.write_all(line.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| {
                ClientError::input(format!(
                    "--mnemonic-file {}: cannot write it: {e}. No account was created",
                    path.display()
                ))
            })?;
        let e = ks
            .add_suri(&a.name, &phrase, &pw)
            .map_err(ClientError::input)?;
        Ok((e, phrase))
    })();
    if made.is_err() {
        let _ = std::fs::remove_file(path);
    }
    made
}

/// `account import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The account's name.
    pub name: String,
    /// A polkadot.js JSON export (its password unlocks it here).
    #[arg(long = "polkadot-js", conflicts_with = "phrase_file")]
    pub polkadot_js: Option<PathBuf>,
    /// A file holding the mnemonic or secret URI (default: read one line from stdin).
    #[arg(long = "phrase-file")]
    pub phrase_file: Option<PathBuf>,
}

/// `account show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Keystore name, SS58 address or //Dev URI.
    pub who: String,
}

/// Runs `account …`.
pub async fn run(cmd: AccountCommand, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let ks = ctx.keystore();
    match cmd {
        AccountCommand::New(a) => {
            let file = mnemonic_file(a.mnemonic_file.as_deref(), std::io::stdout().is_terminal())?;
            let (e, phrase) = new_account(&ks, &a, file)?;
            match (file, ctx.global.json) {
                (Some(f), true) => w(
                    out,
                    json!({"name": e.name, "address": e.address, "mnemonic_file": f}).to_string(),
                ),
                (None, true) => {
                    let v = Zeroizing::new(
                        json!({"name": e.name, "address": e.address, "mnemonic": phrase.as_str()})
                            .to_string(),
                    );
                    w(out, v.as_str())
                }
                (Some(f), false) => {
                    w(out, format!("account {} {}", e.name, e.address))?;
                    w(
                        out,
                        format!(
                            "mnemonic written to {} (mode 0600): keep it offline; it is the only \
                             way back to this account without the keystore",
                            f.display()
                        ),
                    )
                }
                (None, false) => {
                    w(out, format!("account {} {}", e.name, e.address))?;
                    let line = Zeroizing::new(format!(
                        "mnemonic (write it down; it is not shown again): {}",
                        phrase.as_str()
                    ));
                    w(out, line.as_str())
                }
            }
        }
        AccountCommand::Import(a) => {
            let e = if let Some(path) = a.polkadot_js {
                let json = std::fs::read_to_string(&path).map_err(|e| {
                    ClientError::input(format!("cannot read {}: {e}", path.display()))
                })?;
                let pw = password("password of the polkadot.js export: ", false)?;
                ks.add_polkadot_js(&a.name, &json, &pw)
                    .map_err(ClientError::input)?
            } else {
                let phrase = match a.phrase_file {
                    Some(p) => Zeroizing::new(std::fs::read_to_string(&p).map_err(|e| {
                        ClientError::input(format!("cannot read {}: {e}", p.display()))
                    })?),
                    None => {
                        crate::prompt::read_secret_line("mnemonic or secret URI (not echoed): ")
                            .map_err(ClientError::input)?
                    }
                };
                let pw = password("new password: ", true)?;
                ks.add_suri(&a.name, phrase.trim(), &pw)
                    .map_err(ClientError::input)?
            };
            if ctx.global.json {
                return w(
                    out,
                    json!({"name": e.name, "address": e.address, "kind": e.kind}).to_string(),
                );
            }
            w(
                out,
                format!("imported {} {} ({})", e.name, e.address, e.kind),
            )
        }
        AccountCommand::List => {
            let list = ks.list().map_err(ClientError::input)?;
            if ctx.global.json {
                let v: Vec<_> = list
                    .iter()
                    .map(|e| json!({"name": e.name, "address": e.address, "kind": e.kind}))
                    .collect();
                return w(out, json!({ "accounts": v }).to_string());
            }
            if list.is_empty() {
                return w(
                    out,
                    "no accounts (create one with `escrow account new NAME`)",
                );
            }
            for e in list {
                w(out, format!("{:<20} {} ({})", e.name, e.address, e.kind))?;
            }
            Ok(())
        }
        AccountCommand::Show(a) => {
            let addr: AccountId32 = match ks.entry(&a.who) {
                Ok(e) => AccountId32::from_str(&e.address)
                    .map_err(|e| ClientError::input(e.to_string()))?,
                Err(_) => ctx.resolve_account(&a.who)?,
            };
            let (free, claimable, tokens, note) = match ctx.chain().await {
                Ok(chain) => {
                    let best = chain.best().await?;
                    let free = chain.free_balance(&addr, best.0).await?;
                    // Only from an instance whose code the user trusts; else not shown.
                    let escrow = ctx.escrow().await.ok();
                    let claimable = match &escrow {
                        Some(escrow) => escrow.reads_at(best.0).claimable(&addr).await.ok(),
                        None => None,
                    };
                    let tokens = token_balances(ctx, &addr, best.0, escrow.as_ref()).await?;
                    (Some(free), claimable, tokens, None)
                }
                Err(e @ ClientError::Unreachable { .. }) => {
                    (None, None, Vec::new(), Some(e.to_string()))
                }
                Err(e) => return Err(e),
            };
            let r = ctx.render();
            if ctx.global.json {
                let v = json!({
                    "address": addr.to_string(),
                    "public_key": format!("0x{}", hex::encode(addr.0)),
                    "free": free.map(|f| f.to_string()),
                    "claimable": claimable.map(|c| c.to_string()),
                    "tokens": tokens.iter().map(TokenBalance::json).collect::<Vec<_>>(),
                });
                return w(out, v.to_string());
            }
            w(out, format!("address     {addr}"))?;
            w(out, format!("public key  0x{}", hex::encode(addr.0)))?;
            if let Some(f) = free {
                w(out, format!("free        {}", r.native.format(f)))?;
            }
            if let Some(c) = claimable {
                w(out, format!("claimable   {}", r.native.format(c)))?;
            }
            for t in &tokens {
                w(out, t.line())?;
            }
            if let Some(n) = note {
                w(
                    out,
                    format!(
                        "balance     unknown: {}",
                        n.lines().next().unwrap_or_default()
                    ),
                )?;
            }
            Ok(())
        }
    }
}

/// An account's holding of one token the CLI knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBalance {
    /// The token's address (SS58).
    pub address: String,
    /// Its metadata, when it could be read.
    pub info: Option<TokenInfo>,
    /// `balance_of`, when the token answered.
    pub balance: Option<Balance>,
    /// What the escrow holds for the account in this token (`claimable_tokens_of`), when a
    /// trusted escrow is known.
    pub claimable: Option<Balance>,
    /// Why something is missing.
    pub error: Option<String>,
}

impl TokenBalance {
    /// "USDT        1200.5 USDT (claimable 3 USDT)  5F…", or what went wrong.
    pub fn line(&self) -> String {
        match (&self.info, self.balance) {
            (Some(i), Some(b)) => {
                let claimable = self
                    .claimable
                    .map(|c| format!(" (claimable in the escrow {})", i.format(c)))
                    .unwrap_or_default();
                format!(
                    "{:<11} {}{claimable}  token {}",
                    i.symbol,
                    i.format(b),
                    self.address
                )
            }
            _ => format!(
                "{:<11} token {}: unreadable ({})",
                self.info.as_ref().map_or("?", |i| i.symbol.as_str()),
                self.address,
                self.error.as_deref().unwrap_or("no answer")
            ),
        }
    }

    /// The JSON of `account show --json`'s `tokens` entries.
    pub fn json(&self) -> serde_json::Value {
        json!({
            "address": self.address,
            "symbol": self.info.as_ref().map(|i| i.symbol.clone()),
            "decimals": self.info.as_ref().map(|i| i.decimals),
            "balance": self.balance.map(|b| b.to_string()),
            "claimable": self.claimable.map(|c| c.to_string()),
            "error": self.error,
        })
    }
}

/// `addr`'s balance (and claimable balance in `escrow`) of every token recorded for --url,
/// read at `at`. A token that cannot be read is listed with why, not an error.
async fn token_balances(
    ctx: &mut Ctx,
    addr: &AccountId32,
    at: subxt::utils::H256,
    escrow: Option<&escrow_client::Escrow>,
) -> Result<Vec<TokenBalance>> {
    let cfg = Config::load(&ctx.home).map_err(ClientError::input)?;
    let mut out = Vec::new();
    for known in cfg.tokens_for(&ctx.global.url) {
        let mut row = TokenBalance {
            address: known.address.clone(),
            info: None,
            balance: None,
            claimable: None,
            error: None,
        };
        let address = match parse_account(&known.address) {
            Ok(a) => a,
            Err(e) => {
                row.error = Some(e);
                out.push(row);
                continue;
            }
        };
        match ctx.token(&address).await {
            Ok((psp22, info)) => {
                row.info = Some(info);
                match psp22.balance_of(at, addr).await {
                    Ok(b) => row.balance = Some(b),
                    Err(e) => row.error = Some(first_line(&e)),
                }
                if let Some(escrow) = escrow {
                    row.claimable = escrow
                        .reads_at(at)
                        .claimable_tokens(addr, &address)
                        .await
                        .ok();
                }
            }
            Err(e @ ClientError::Unreachable { .. }) => return Err(e),
            Err(e) => row.error = Some(first_line(&e)),
        }
        out.push(row);
    }
    Ok(out)
}

fn first_line(e: &ClientError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_new_puts_the_mnemonic_only_on_a_terminal_or_in_the_file_given() {
        let f = Path::new("/m");
        assert_eq!(mnemonic_file(Some(f), false).unwrap(), Some(f));
        assert_eq!(mnemonic_file(Some(f), true).unwrap(), Some(f));
        assert_eq!(mnemonic_file(None, true).unwrap(), None);
        let e = mnemonic_file(None, false).unwrap_err();
        assert_eq!(e.exit_code(), escrow_client::error::exit::BAD_INPUT);
        assert_eq!(
            e.to_string(),
            "bad input: account new: stdout is not a terminal, and the new mnemonic is shown \
             only on one; pass --mnemonic-file PATH (created with mode 0600) to keep it. No \
             account was created"
        );
    }

    #[test]
    fn token_balances_show_in_the_tokens_units_with_what_the_escrow_holds() {
        let info = TokenInfo {
            address: AccountId32([9; 32]),
            name: "US Dollar".into(),
            symbol: "USDT".into(),
            decimals: 6,
        };
        let row = TokenBalance {
            address: info.address.to_string(),
            info: Some(info.clone()),
            balance: Some(1_200_500_000),
            claimable: Some(3_000_000),
            error: None,
        };
        assert_eq!(
            row.line(),
            format!(
                "USDT        1200.5 USDT (claimable in the escrow 3 USDT)  token {}",
                info.address
            )
        );
        let j = row.json();
        assert_eq!(j["balance"], "1200500000");
        assert_eq!(j["claimable"], "3000000");
        assert_eq!(j["symbol"], "USDT");
        let broken = TokenBalance {
            info: None,
            balance: None,
            claimable: None,
            error: Some("no contract".into()),
            ..row
        };
        assert_eq!(
            broken.line(),
            format!(
                "?           token {}: unreadable (no contract)",
                info.address
            )
        );
    }
}
