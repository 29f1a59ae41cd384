//! `escrow deploy`: deploys an instance, then remembers its address and code hash for `--url`.
//!
//! One transaction, `Contracts::instantiate_with_code` of the bundle's code through its
//! constructor `new(fee_recipient, fee_bps)`: exactly what `cargo contract instantiate` does, so
//! any tool that reads the `.contract` bundle (cargo-contract, contracts-UI,
//! @polkadot/api-contract) can drive the instance.

use std::{io::Write, path::PathBuf};

use clap::Args;
use escrow_client::{
    accounts::ink_account,
    artifacts::{default_bundle, read_bundle},
    config::{Config, Deployment},
    contract::DryRun,
    keystore, messages, submit, units, Chain, ClientError, Result,
};
use serde_json::json;
use subxt::utils::AccountId32;

use super::w;
use crate::{deposit_text, prompt, Ctx};

/// `escrow deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The `.contract` bundle (default: the release build,
    /// $CARGO_TARGET_DIR/ink/milestone_escrow/by-mode/release/milestone_escrow.contract).
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Receives the platform fee (default: the signer).
    #[arg(long = "fee-recipient")]
    pub fee_recipient: Option<String>,
    /// Platform fee on every payment to a seller: "250bps" or "2.5%" (at most 5%).
    #[arg(long, default_value = "0", value_parser = units::parse_bps)]
    pub fee: u16,
    /// Instantiation salt, 0x-hex (default: random).
    #[arg(long)]
    pub salt: Option<String>,
}

/// Runs `deploy`.
pub async fn run(a: DeployArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let path = a.bundle.clone().unwrap_or_else(default_bundle);
    let (code, sel) = read_bundle(&path)?;
    let me = keystore::address_of(&ctx.signer()?);
    let recipient = match &a.fee_recipient {
        Some(s) => ctx.resolve_account(s)?,
        None => me.clone(),
    };
    let salt = parse_salt(a.salt.as_deref())?;
    let data = messages::new_instance(sel, ink_account(&recipient), a.fee);
    let what = format!("fee {} bps to {recipient}", a.fee);
    // The constructor returns `Result<Self, Error>`: its own refusal (e.g. FeeTooHigh) is
    // named before signing.
    let done = instantiate(ctx, code, data, salt, &what, |chain, dry| {
        chain.message_outcome::<()>(dry)
    })
    .await?;
    if done.included.is_some() {
        remember(ctx, &done.address, &done.code_hash)?;
    }
    report(
        ctx,
        out,
        &done.address,
        &done.code_hash,
        &recipient,
        a.fee,
        done.included.as_ref(),
    )
}

/// A contract instantiated (or, with `--dry-run`, where it would be).
pub struct Instantiated {
    /// Its address.
    pub address: AccountId32,
    /// The hash of its code.
    pub code_hash: [u8; 32],
    /// The transaction, unless `--dry-run`.
    pub included: Option<submit::Included>,
}

/// Instantiates `code` with constructor input `data` as the signer: one
/// `Contracts::instantiate_with_code`, dry-run first (refused unless `check` accepts the
/// dry-run: the constructor's own return value), confirmed on a terminal (saying `what`),
/// submitted once. The one path `escrow deploy` and `escrow token deploy` share.
pub async fn instantiate(
    ctx: &mut Ctx,
    code: Vec<u8>,
    data: Vec<u8>,
    salt: Vec<u8>,
    what: &str,
    check: impl FnOnce(&Chain, &DryRun) -> Result<()>,
) -> Result<Instantiated> {
    let signer = ctx.signer()?;
    let me = keystore::address_of(&signer);
    let code_hash = units::blake2_256(&code);
    let opts = ctx.submit_opts();
    let chain = ctx.chain().await?;
    let best = chain.best().await?;
    let dry = chain
        .dry_run_instantiate(best.0, &me, 0, &code, data.clone(), salt.clone())
        .await?;
    check(&chain, &dry)?;
    let address = dry.account_id.map(AccountId32);
    if !opts.quiet {
        eprintln!(
            "dry-run instantiate: ok ({} bytes of wasm; gas ref_time {}, proof_size {}; storage deposit {})",
            code.len(),
            dry.gas_required.ref_time,
            dry.gas_required.proof_size,
            deposit_text(&dry, &chain.token)
        );
    }
    let included = if ctx.global.dry_run {
        None
    } else {
        prompt::confirm(
            &ctx.global,
            &format!(
                "deploy the contract (code hash {}) as {me}, {what}",
                units::hex0x(&code_hash),
            ),
        )?;
        let tx = submit::instantiate_tx(0, &dry, code, data, salt);
        Some(submit::sign_submit_wait(&chain, &tx, &signer, None, opts).await?)
    };
    let address = included
        .as_ref()
        .and_then(|inc| inc.instantiated.clone())
        .or(address)
        .ok_or_else(|| ClientError::Rejected("no Contracts::Instantiated event".into()))?;
    Ok(Instantiated {
        address,
        code_hash,
        included,
    })
}

/// `--salt` as bytes; a random 16 bytes by default, so deploying the same code twice works.
pub fn parse_salt(salt: Option<&str>) -> Result<Vec<u8>> {
    match salt {
        Some(s) => hex::decode(s.trim_start_matches("0x"))
            .map_err(|_| ClientError::input("--salt: not hex")),
        None => {
            let mut b = [0u8; 16];
            getrandom::getrandom(&mut b).map_err(|e| ClientError::input(e.to_string()))?;
            Ok(b.to_vec())
        }
    }
}

/// Records the deployment for `--url`: later commands default to it and trust its code hash.
fn remember(ctx: &Ctx, contract_addr: &AccountId32, code_hash: &[u8; 32]) -> Result<()> {
    let mut cfg = Config::load(&ctx.home).map_err(ClientError::input)?;
    cfg.deployments.insert(
        ctx.global.url.clone(),
        Deployment {
            contract: contract_addr.to_string(),
            code_hash: units::hex0x(code_hash),
        },
    );
    cfg.save(&ctx.home).map_err(ClientError::input)
}

fn report(
    ctx: &Ctx,
    out: &mut impl Write,
    contract_addr: &AccountId32,
    code_hash: &[u8; 32],
    recipient: &AccountId32,
    fee: u16,
    included: Option<&submit::Included>,
) -> Result<()> {
    if ctx.global.json {
        let v = json!({
            "ok": true,
            "dry_run": included.is_none(),
            "contract": contract_addr.to_string(),
            "code_hash": units::hex0x(code_hash),
            "fee_recipient": recipient.to_string(),
            "fee_bps": fee,
            "tx_hash": included.map(|i| format!("{:?}", i.tx_hash)),
            "block": included.map(|i| i.block_number),
        });
        return w(out, v.to_string());
    }
    match included {
        None => w(
            out,
            format!("dry-run ok: would deploy at {contract_addr} (nothing submitted)"),
        ),
        Some(inc) => {
            w(out, format!("contract {contract_addr}"))?;
            w(out, format!("code hash {}", units::hex0x(code_hash)))?;
            w(
                out,
                format!(
                    "deployed in block #{} (tx {:?}); remembered for {}",
                    inc.block_number, inc.tx_hash, ctx.global.url
                ),
            )
        }
    }
}
