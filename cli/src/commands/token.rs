//! `escrow token deploy | mint | add | list`: the PSP22 tokens deals can be paid in.
//!
//! The CLI keeps a small registry of tokens per node URL in its config (`token add`, and
//! `token deploy` for the token it deploys), so that `--asset`/`--token` can name a token
//! by its symbol. The registry only names addresses: a token's metadata (symbol, decimals)
//! is read from the chain whenever it is used, and a token is recorded only after its
//! metadata was read and checked ([`escrow_client::token::Psp22::load`]).
//!
//! `token deploy` instantiates the reference stablecoin (`contracts/stablecoin`, the
//! release bundle by default) through the same path as `escrow deploy`; `token mint` calls
//! its owner-only `mint_to`.

use std::{io::Write, path::PathBuf};

use clap::{Args, Subcommand};
use escrow_client::{
    accounts::parse_account,
    artifacts::{read_bundle, release_bundle},
    config::{Config, KnownToken},
    contract::REVERT,
    token::{self, check_metadata, decode_read, Psp22, TokenCall, TokenInfo},
    units::{self, Token},
    ClientError, Result,
};
use serde_json::json;

use super::{deploy, report_step, report_steps, w, Step};
use crate::{exec_token, render, Ctx};

/// `escrow token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Deploy the reference PSP22 stablecoin (its whole supply minted to the signer, who
    /// alone may mint more) and record it for --url.
    Deploy(DeployArgs),
    /// Mint new tokens of the stablecoin to an account (its deployer only).
    Mint(MintArgs),
    /// Set the allowance of a spender (e.g. the escrow) over the signer's tokens: the
    /// token's approve, which replaces any earlier allowance.
    Approve(ApproveArgs),
    /// Record a PSP22 token for --url after reading its metadata, so that --asset and
    /// --token can name it by its symbol.
    Add(AddArgs),
    /// The tokens recorded for --url.
    List,
    /// Forget a recorded token for --url (by its address, or its symbol if only one
    /// recorded token has it); only this CLI's registry changes, nothing on chain.
    Remove(RemoveArgs),
}

/// `token remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The token: its address, or the symbol of exactly one token recorded for --url.
    #[arg(value_name = "ADDRESS|SYMBOL")]
    pub token: String,
}

/// `token deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The stablecoin's `.contract` bundle (default: the release build,
    /// $CARGO_TARGET_DIR/ink/stablecoin/by-mode/release/stablecoin.contract).
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// The token's name, e.g. "Tether USD".
    #[arg(long)]
    pub name: String,
    /// The token's symbol, e.g. USDT.
    #[arg(long)]
    pub symbol: String,
    /// Its decimals.
    #[arg(long, default_value_t = 6)]
    pub decimals: u8,
    /// The supply minted to the signer, in the token's units ("1000000", "2.5").
    #[arg(long, default_value = "0")]
    pub supply: String,
    /// Instantiation salt, 0x-hex (default: random).
    #[arg(long)]
    pub salt: Option<String>,
}

/// `token mint`.
#[derive(Debug, Args)]
pub struct MintArgs {
    /// The token: its address, or the symbol of a token recorded for --url.
    #[arg(long, value_name = "ADDRESS|SYMBOL")]
    pub token: String,
    /// Who receives the new tokens (SS58, 0x-hex, //Dev or a keystore name).
    #[arg(long)]
    pub to: String,
    /// How much, in the token's units ("2500", "2500 USDT").
    pub amount: String,
}

/// `token approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The token: its address, or the symbol of a token recorded for --url.
    #[arg(long, value_name = "ADDRESS|SYMBOL")]
    pub token: String,
    /// Who may spend (default: the escrow, --contract or the one recorded for --url).
    #[arg(long)]
    pub spender: Option<String>,
    /// The allowance, in the token's units ("1000", "1000 USDT"); it replaces the current
    /// one.
    pub amount: String,
}

/// `token add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The token contract's address (SS58 or 0x-hex).
    pub address: String,
}

/// Runs `token …`.
pub async fn run(cmd: TokenCommand, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    match cmd {
        TokenCommand::Deploy(a) => deploy_token(a, ctx, out).await,
        TokenCommand::Mint(a) => mint(a, ctx, out).await,
        TokenCommand::Approve(a) => approve(a, ctx, out).await,
        TokenCommand::Add(a) => add(a, ctx, out).await,
        TokenCommand::List => list(ctx, out),
        TokenCommand::Remove(a) => remove(a, ctx, out),
    }
}

/// Records `info` for --url; returns a note when its symbol now names more than one
/// token there.
fn record(ctx: &Ctx, info: &TokenInfo) -> Result<Option<String>> {
    let mut cfg = Config::load(&ctx.home).map_err(ClientError::input)?;
    cfg.add_token(
        &ctx.global.url,
        KnownToken {
            address: info.address.to_string(),
            symbol: info.symbol.clone(),
            name: info.name.clone(),
            decimals: info.decimals,
        },
    );
    cfg.save(&ctx.home).map_err(ClientError::input)?;
    let same = cfg
        .tokens_for(&ctx.global.url)
        .iter()
        .filter(|t| t.symbol.eq_ignore_ascii_case(&info.symbol))
        .count();
    Ok((same > 1).then(|| {
        format!(
            "note: {same} tokens recorded for {} have the symbol {}: name them by address",
            ctx.global.url, info.symbol
        )
    }))
}

/// A constructor that returns `Self` answers `Ok(Ok(()))` (ink! 5 encodes every
/// constructor's answer as `Result<Result<(), E>, LangError>`, `E = ()` for an infallible
/// one); anything else (a revert, a dispatch error) refuses the deployment before signing.
/// The deployed token is checked further by reading its metadata back.
fn check_constructor(
    chain: &escrow_client::Chain,
    dry: &escrow_client::contract::DryRun,
) -> Result<()> {
    match &dry.result {
        Err(raw) => Err(chain.dispatch_error(raw)),
        Ok((flags, data)) => constructor_answer(*flags, data),
    }
}

/// What the stablecoin's constructor answered in a dry-run: `Ok(Ok(()))` exactly,
/// unreverted.
fn constructor_answer(flags: u32, data: &[u8]) -> Result<()> {
    if flags & REVERT != 0 {
        return Err(ClientError::Rejected(
            "the token's constructor reverted; nothing was submitted".into(),
        ));
    }
    match decode_read::<std::result::Result<(), ()>>(data) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(())) => Err(ClientError::Rejected(
            "the token's constructor refused; nothing was submitted".into(),
        )),
        Err(e) => Err(ClientError::Rejected(format!(
            "the bundle's constructor `new` did not answer as the stablecoin's does ({e}: {}); \
             nothing was submitted",
            units::hex0x(data)
        ))),
    }
}

async fn deploy_token(a: DeployArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    // The metadata the CLI would refuse to use is refused before anything else.
    let (name, symbol) =
        check_metadata(Some(a.name.clone()), Some(a.symbol.clone()), a.decimals)
            .map_err(|e| ClientError::input(format!("--name/--symbol/--decimals: {e}")))?;
    let units = Token {
        symbol: symbol.clone(),
        decimals: a.decimals,
    };
    let supply = units
        .parse(&a.supply)
        .map_err(|e| ClientError::input(format!("--supply: {e}")))?;
    let path = a
        .bundle
        .clone()
        .unwrap_or_else(|| release_bundle("stablecoin"));
    let (code, sel) = read_bundle(&path)?;
    let salt = deploy::parse_salt(a.salt.as_deref())?;
    let data = token::new_stablecoin(sel, &name, &symbol, a.decimals, supply);
    let what = format!(
        "token {name} ({symbol}, {} decimals), {} minted to the signer",
        a.decimals,
        units.format(supply)
    );
    let done = deploy::instantiate(ctx, code, data, salt, &what, check_constructor).await?;
    let recorded = match &done.included {
        None => None,
        Some(_) => {
            // Recorded only once the deployed contract answers as a PSP22 token with this
            // metadata.
            let (_, info) = ctx.token(&done.address).await?;
            if (info.name.as_str(), info.symbol.as_str(), info.decimals)
                != (name.as_str(), symbol.as_str(), a.decimals)
            {
                return Err(ClientError::Rejected(format!(
                    "the token deployed at {} answers {} ({}, {} decimals), not what was asked; \
                     it was not recorded",
                    done.address, info.name, info.symbol, info.decimals
                )));
            }
            let note = record(ctx, &info)?;
            Some((info, note))
        }
    };
    if ctx.global.json {
        let v = json!({
            "ok": true,
            "dry_run": done.included.is_none(),
            "contract": done.address.to_string(),
            "code_hash": units::hex0x(&done.code_hash),
            "name": name,
            "symbol": symbol,
            "decimals": a.decimals,
            "supply": supply.to_string(),
            "recorded": recorded.is_some(),
            "tx_hash": done.included.as_ref().map(|i| format!("{:?}", i.tx_hash)),
            "block": done.included.as_ref().map(|i| i.block_number),
        });
        return w(out, v.to_string());
    }
    match (&done.included, recorded) {
        (Some(inc), Some((info, note))) => {
            w(out, format!("token {} {}", info.symbol, done.address))?;
            w(out, format!("code hash {}", units::hex0x(&done.code_hash)))?;
            w(
                out,
                format!(
                    "deployed in block #{} (tx {:?}): {}, {} decimals, {} minted to the signer; \
                     recorded for {}",
                    inc.block_number,
                    inc.tx_hash,
                    info.name,
                    info.decimals,
                    info.format(supply),
                    ctx.global.url
                ),
            )?;
            if let Some(n) = note {
                eprintln!("{n}");
            }
            Ok(())
        }
        _ => w(
            out,
            format!(
                "dry-run ok: would deploy the token {symbol} at {} (nothing submitted)",
                done.address
            ),
        ),
    }
}

async fn mint(a: MintArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let to = ctx.resolve_account(&a.to)?;
    ctx.check_asset_name(&a.token, "--token")?;
    let (_, info) = ctx.resolve_asset(&a.token, "--token").await?;
    let Some(info) = info else {
        return Err(ClientError::input(
            "--token native: the chain's own token is not minted with escrow",
        ));
    };
    let amount = info
        .parse(&a.amount)
        .map_err(|e| ClientError::input(format!("amount: {e}")))?;
    let summary = format!("minted {} to {to}", info.format(amount));
    sign_token_call(ctx, out, &info, token::mint_to(&to, amount), summary).await
}

/// Signs one call on the token `info` (dry-run, confirm and submit: `exec_token`) and
/// reports it as the command's one step.
async fn sign_token_call(
    ctx: &mut Ctx,
    out: &mut impl Write,
    info: &TokenInfo,
    call: TokenCall,
    summary: String,
) -> Result<()> {
    let (psp22, _): (Psp22, _) = ctx.token(&info.address).await?;
    let message = call.name;
    let (dry, included) = exec_token(ctx, &psp22, call, &summary).await?;
    let step = Step {
        message,
        contract: info.address.to_string(),
        summary,
        ret: render::to_json(&()),
        dry,
        included,
    };
    report_step(ctx, out, &step)?;
    report_steps(ctx, out, &[step])
}

/// `token approve`: the spender named, or the escrow (whose code hash is checked first).
async fn approve(a: ApproveArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let spender = match &a.spender {
        Some(s) => Some(ctx.resolve_account(s)?),
        None => None,
    };
    ctx.check_asset_name(&a.token, "--token")?;
    let (_, info) = ctx.resolve_asset(&a.token, "--token").await?;
    let Some(info) = info else {
        return Err(ClientError::input(
            "--token native: the chain's own token needs no approval",
        ));
    };
    let amount = info
        .parse(&a.amount)
        .map_err(|e| ClientError::input(format!("amount: {e}")))?;
    let spender = match spender {
        Some(s) => s,
        None => ctx.escrow().await?.address().clone(),
    };
    let summary = format!(
        "{spender} may spend {} of the signer's tokens {}",
        info.format(amount),
        info.address
    );
    sign_token_call(ctx, out, &info, token::approve(&spender, amount), summary).await
}

async fn add(a: AddArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let address = parse_account(&a.address)
        .map_err(|e| ClientError::input(format!("token add: {e}: give the token's address")))?;
    let (_, info) = ctx.token(&address).await?;
    let note = record(ctx, &info)?;
    if let Some(n) = &note {
        eprintln!("{n}");
    }
    if ctx.global.json {
        return w(
            out,
            json!({
                "address": info.address.to_string(),
                "name": info.name,
                "symbol": info.symbol,
                "decimals": info.decimals,
                "url": ctx.global.url,
            })
            .to_string(),
        );
    }
    w(
        out,
        format!(
            "recorded {} ({}, {} decimals) at {} for {}",
            info.symbol, info.name, info.decimals, info.address, ctx.global.url
        ),
    )
}

fn remove(a: RemoveArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let mut cfg = Config::load(&ctx.home).map_err(ClientError::input)?;
    let removed = cfg
        .remove_token(&ctx.global.url, &a.token)
        .map_err(|e| ClientError::input(format!("token remove: {e}")))?;
    cfg.save(&ctx.home).map_err(ClientError::input)?;
    if ctx.global.json {
        return w(
            out,
            json!({ "url": ctx.global.url, "removed": {"address": removed.address, "symbol": removed.symbol} })
                .to_string(),
        );
    }
    w(
        out,
        format!(
            "removed {} ({}) from the tokens recorded for {}",
            removed.symbol, removed.address, ctx.global.url
        ),
    )
}

fn list(ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let cfg = Config::load(&ctx.home).map_err(ClientError::input)?;
    let tokens = cfg.tokens_for(&ctx.global.url);
    if ctx.global.json {
        let v: Vec<_> = tokens
            .iter()
            .map(|t| {
                json!({"address": t.address, "symbol": t.symbol, "name": t.name, "decimals": t.decimals})
            })
            .collect();
        return w(
            out,
            json!({ "url": ctx.global.url, "tokens": v }).to_string(),
        );
    }
    if tokens.is_empty() {
        return w(
            out,
            format!(
                "no tokens recorded for {} (add one with `escrow token add ADDRESS`, or deploy \
                 the stablecoin with `escrow token deploy`)",
                ctx.global.url
            ),
        );
    }
    for t in tokens {
        w(
            out,
            format!(
                "{:<12} {:>2} decimals  {}  {}",
                t.symbol, t.decimals, t.address, t.name
            ),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use scale::Encode;

    #[test]
    fn a_constructor_answering_ok_passes_anything_else_is_refused() {
        type Answer = std::result::Result<std::result::Result<(), ()>, ink::LangError>;
        let ok: Answer = Ok(Ok(()));
        assert_eq!(ok.encode(), [0, 0]);
        assert!(constructor_answer(0, &ok.encode()).is_ok());
        let refused: Answer = Ok(Err(()));
        let e = constructor_answer(0, &refused.encode()).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("constructor refused"), "{e}");
        // A fallible constructor's error (the escrow's answers Err(Error::FeeTooHigh)):
        // bytes left over, not the stablecoin's answer.
        let e = constructor_answer(0, &[0, 1, 7]).unwrap_err();
        assert!(
            e.to_string()
                .contains("did not answer as the stablecoin's does"),
            "{e}"
        );
        let e = constructor_answer(REVERT, &ok.encode()).unwrap_err();
        assert!(e.to_string().contains("reverted"), "{e}");
    }
}
