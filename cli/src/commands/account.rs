//! `escrow account new | import | list | show`: the keystore (see [`escrow_client::keystore`]).

use std::{io::Write, path::PathBuf, str::FromStr};

use clap::{Args, Subcommand};
use escrow_client::{keystore, ClientError, Result};
use serde_json::json;
use subxt::utils::AccountId32;

use super::w;
use crate::{password, Ctx};

/// `escrow account …`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account from a fresh 12-word mnemonic (printed once: write it down).
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
            let phrase = keystore::new_mnemonic().map_err(ClientError::input)?;
            let pw = password("new password: ", true)?;
            let e = ks
                .add_suri(&a.name, &phrase, &pw)
                .map_err(ClientError::input)?;
            if ctx.global.json {
                return w(
                    out,
                    json!({"name": e.name, "address": e.address, "mnemonic": phrase}).to_string(),
                );
            }
            w(out, format!("account {} {}", e.name, e.address))?;
            w(
                out,
                format!("mnemonic (write it down; it is not shown again): {phrase}"),
            )
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
                    Some(p) => std::fs::read_to_string(&p).map_err(|e| {
                        ClientError::input(format!("cannot read {}: {e}", p.display()))
                    })?,
                    None => {
                        let mut line = String::new();
                        std::io::stdin()
                            .read_line(&mut line)
                            .map_err(|e| ClientError::input(e.to_string()))?;
                        line
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
            let (free, claimable, note) = match ctx.chain().await {
                Ok(chain) => {
                    let best = chain.best().await?;
                    let free = chain.free_balance(&addr, best.0).await?;
                    // Only from an instance whose code the user trusts; else not shown.
                    let claimable = match ctx.escrow().await {
                        Ok(escrow) => escrow.reads_at(best.0).claimable(&addr).await.ok(),
                        Err(_) => None,
                    };
                    (Some(free), claimable, None)
                }
                Err(e @ ClientError::Unreachable { .. }) => (None, None, Some(e.to_string())),
                Err(e) => return Err(e),
            };
            let r = ctx.render();
            if ctx.global.json {
                let v = json!({
                    "address": addr.to_string(),
                    "public_key": format!("0x{}", hex::encode(addr.0)),
                    "free": free.map(|f| f.to_string()),
                    "claimable": claimable.map(|c| c.to_string()),
                });
                return w(out, v.to_string());
            }
            w(out, format!("address     {addr}"))?;
            w(out, format!("public key  0x{}", hex::encode(addr.0)))?;
            if let Some(f) = free {
                w(out, format!("free        {}", r.token.format(f)))?;
            }
            if let Some(c) = claimable {
                w(out, format!("claimable   {}", r.token.format(c)))?;
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
