//! `escrow deploy`: deploys an instance, then remembers its address and code hash for `--url`.
//!
//! One transaction, `Contracts::instantiate_with_code` of the bundle's code through its
//! constructor `new(fee_recipient, fee_bps)`: exactly what `cargo contract instantiate` does, so
//! any tool that reads the `.contract` bundle (cargo-contract, contracts-UI,
//! @polkadot/api-contract) can drive the instance.

use std::{io::Write, path::PathBuf};

use clap::Args;
use scale::Encode;
use serde_json::json;
use subxt::utils::AccountId32;

use super::w;
use crate::{
    config::{Config, Deployment},
    contract::{self, selector},
    error::{CliError, Result},
    ink_account, submit, units, Ctx,
};

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

/// Where `scripts/build-contract.sh --release` keeps the release bundle. (The plain
/// `ink/milestone_escrow/` copy is whichever build ran last, a debug one after ink_e2e tests.)
pub fn default_bundle() -> PathBuf {
    release_artifact("milestone_escrow/by-mode/release/milestone_escrow.contract")
}

fn release_artifact(path: &str) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| {
        format!(
            "{}/.cache/milestone-escrow/target",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    PathBuf::from(target).join("ink").join(path)
}

/// Code and constructor selector from a bundle.
pub fn read_bundle(path: &PathBuf) -> Result<(Vec<u8>, [u8; 4])> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::input(format!(
            "cannot read the contract bundle {} ({e}); build it with scripts/build-contract.sh contracts/milestone_escrow --release, or pass --bundle",
            path.display()
        ))
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::input(format!("{}: not a .contract bundle: {e}", path.display())))?;
    let wasm = v["source"]["wasm"].as_str().ok_or_else(|| {
        CliError::input(format!(
            "{}: no source.wasm (a .json metadata file? use the .contract)",
            path.display()
        ))
    })?;
    let code = hex::decode(wasm.trim_start_matches("0x"))
        .map_err(|_| CliError::input("source.wasm is not hex"))?;
    let sel = v["spec"]["constructors"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["label"] == "new"))
        .and_then(|c| c["selector"].as_str())
        .and_then(|s| hex::decode(s.trim_start_matches("0x")).ok())
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .unwrap_or_else(|| selector("new"));
    Ok((code, sel))
}

/// Runs `deploy`.
pub async fn run(a: DeployArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let path = a.bundle.clone().unwrap_or_else(default_bundle);
    let (code, sel) = read_bundle(&path)?;
    let signer = ctx.signer()?;
    let me: AccountId32 = signer.public_key().into();
    let recipient = match &a.fee_recipient {
        Some(s) => ctx.resolve_account(s)?,
        None => me.clone(),
    };
    let salt = parse_salt(a.salt.as_deref())?;
    let mut data = sel.to_vec();
    (ink_account(&recipient), a.fee).encode_to(&mut data);
    let code_hash = units::blake2_256(&code);
    let opts = ctx.submit_opts();
    let chain = ctx.chain().await?;
    let best = chain.best().await?;
    let dry = chain
        .dry_run_instantiate(best.0, &me, 0, &code, data.clone(), salt.clone())
        .await?;
    let address = dry_run_address(&chain, &dry)?;
    if !opts.quiet {
        eprintln!(
            "dry-run instantiate: ok ({} bytes of wasm; gas ref_time {}, proof_size {}; storage deposit {})",
            code.len(),
            dry.gas_required.ref_time,
            dry.gas_required.proof_size,
            crate::deposit_text(&dry, &chain.token)
        );
    }
    let included = if ctx.g.dry_run {
        None
    } else {
        crate::prompt::confirm(
            &ctx.g,
            &format!(
                "deploy the contract (code hash {}) as {me}, fee {} bps to {recipient}",
                units::hex0x(&code_hash),
                a.fee
            ),
        )?;
        let tx = submit::instantiate_tx(0, &dry, code, data, salt);
        Some(submit::sign_submit_wait(&chain, &tx, &signer, None, opts).await?)
    };
    let contract_addr = included
        .as_ref()
        .and_then(|inc| inc.instantiated.clone())
        .or(address)
        .ok_or_else(|| CliError::Rejected("no Contracts::Instantiated event".into()))?;
    if included.is_some() {
        remember(ctx, &contract_addr, &code_hash)?;
    }
    report(ctx, out, &contract_addr, &code_hash, &recipient, a.fee, included.as_ref())
}

/// `--salt` as bytes; a random 16 bytes by default, so deploying the same code twice works.
fn parse_salt(salt: Option<&str>) -> Result<Vec<u8>> {
    match salt {
        Some(s) => hex::decode(s.trim_start_matches("0x"))
            .map_err(|_| CliError::input("--salt: not hex")),
        None => {
            let mut b = [0u8; 16];
            getrandom::getrandom(&mut b).map_err(|e| CliError::input(e.to_string()))?;
            Ok(b.to_vec())
        }
    }
}

/// The address the dry-run instantiated at, or the contract's refusal of the constructor.
fn dry_run_address(chain: &crate::client::Chain, dry: &contract::DryRun) -> Result<Option<AccountId32>> {
    match &dry.result {
        Err(raw) => Err(chain.dispatch_error(raw)),
        Ok((_, ret)) => match contract::decode_message_return::<()>(ret).map_err(CliError::Rejected)? {
            Err(lang) => Err(CliError::Lang(format!("{lang:?}"))),
            Ok(Err(e)) => Err(CliError::Contract(e)),
            Ok(Ok(())) => Ok(dry.account_id.map(AccountId32)),
        },
    }
}

/// Records the deployment for `--url`: later commands default to it and trust its code hash.
fn remember(ctx: &Ctx, contract_addr: &AccountId32, code_hash: &[u8; 32]) -> Result<()> {
    let mut cfg = Config::load(&ctx.home).map_err(CliError::input)?;
    cfg.deployments.insert(
        ctx.g.url.clone(),
        Deployment {
            contract: contract_addr.to_string(),
            code_hash: units::hex0x(code_hash),
        },
    );
    cfg.save(&ctx.home).map_err(CliError::input)
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
    if ctx.g.json {
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
                    inc.block_number, inc.tx_hash, ctx.g.url
                ),
            )
        }
    }
}
