//! `escrow deploy`: deploys an instance, then remembers its address for `--url`.
//!
//! By default the instance is the release fast path (`contracts/escrow_fastpath`) in front
//! of the ink! contract's code: two transactions, `upload_code` of the ink! contract (a
//! no-op with no deposit if that code is already on chain) and `instantiate_with_code` of
//! the fast path, which names the ink! code hash and locks it. Releases then cost about a
//! third (docs/bench.md); every message and read works through the ink! contract's metadata
//! as before. `--plain` deploys the ink! contract alone (one `instantiate_with_code`).

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
    /// The fast path's `.wasm` (default: the release build,
    /// $CARGO_TARGET_DIR/ink/escrow_fastpath/by-mode/release/escrow_fastpath.wasm).
    #[arg(long, conflicts_with = "plain")]
    pub fastpath: Option<PathBuf>,
    /// Deploy the ink! contract alone, without the release fast path in front.
    #[arg(long)]
    pub plain: bool,
}

/// Where `scripts/build-contract.sh --release` keeps the release bundle. (The plain
/// `ink/milestone_escrow/` copy is whichever build ran last, a debug one after ink_e2e tests.)
pub fn default_bundle() -> PathBuf {
    release_artifact("milestone_escrow/by-mode/release/milestone_escrow.contract")
}

/// Where `scripts/build-contract.sh contracts/escrow_fastpath --release` keeps the fast path.
pub fn default_fastpath() -> PathBuf {
    release_artifact("escrow_fastpath/by-mode/release/escrow_fastpath.wasm")
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

/// The fast path's code: a `.wasm` file (checked for the wasm magic number).
pub fn read_fastpath(path: &PathBuf) -> Result<Vec<u8>> {
    let code = std::fs::read(path).map_err(|e| {
        CliError::input(format!(
            "cannot read the fast path {} ({e}); build it with scripts/build-contract.sh contracts/escrow_fastpath --release, pass --fastpath, or deploy --plain",
            path.display()
        ))
    })?;
    if !code.starts_with(b"\0asm") {
        return Err(CliError::input(format!(
            "{}: not a .wasm file",
            path.display()
        )));
    }
    Ok(code)
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
    let (library, sel) = read_bundle(&path)?;
    let front = if a.plain {
        None
    } else {
        Some(read_fastpath(
            &a.fastpath.clone().unwrap_or_else(default_fastpath),
        )?)
    };
    let signer = ctx.signer()?;
    let me: AccountId32 = signer.public_key().into();
    let recipient = match &a.fee_recipient {
        Some(s) => ctx.resolve_account(s)?,
        None => me.clone(),
    };
    let salt = match &a.salt {
        Some(s) => hex::decode(s.trim_start_matches("0x"))
            .map_err(|_| CliError::input("--salt: not hex"))?,
        None => {
            let mut b = [0u8; 16];
            getrandom::getrandom(&mut b).map_err(|e| CliError::input(e.to_string()))?;
            b.to_vec()
        }
    };
    let mut data = sel.to_vec();
    (ink_account(&recipient), a.fee).encode_to(&mut data);
    let library_hash = units::blake2_256(&library);
    let (code, library_hash) = match front {
        None => (library.clone(), None),
        Some(front) => {
            // The fast path's constructor: `new`'s selector and arguments, then the code
            // hash of the ink! contract it delegates to.
            library_hash.encode_to(&mut data);
            (front, Some(library_hash))
        }
    };
    let code_hash = units::blake2_256(&code);
    let opts = ctx.submit_opts();
    let dry_only = ctx.g.dry_run;
    let chain = ctx.chain().await?;
    let best = chain.best().await?;
    let mut uploaded = false;
    if let Some(lib_hash) = library_hash {
        let deposit = match chain.dry_run_upload(best.0, &me, &library).await? {
            Err(raw) => return Err(chain.dispatch_error(&raw)),
            Ok((_, deposit)) => deposit,
        };
        if !opts.quiet {
            eprintln!(
                "dry-run upload of the ink! contract: ok ({} bytes, code hash {}; storage deposit {})",
                library.len(),
                units::hex0x(&lib_hash),
                chain.token.format(deposit)
            );
        }
        if dry_only && deposit > 0 {
            // The fast path locks the ink! code, so its instantiation can only be tried
            // once that code is on chain.
            return w(
                out,
                format!(
                    "dry-run ok: would upload the ink! contract ({} bytes), then instantiate the fast path (nothing submitted)",
                    library.len()
                ),
            );
        }
        if !dry_only {
            crate::prompt::confirm(
                &ctx.g,
                &format!(
                    "deploy as {me}: upload the ink! contract (code hash {}), then instantiate the release fast path in front of it, fee {} bps to {recipient}",
                    units::hex0x(&lib_hash),
                    a.fee
                ),
            )?;
            let tx = submit::upload_tx(library, deposit);
            let inc = submit::sign_submit_wait(&chain, &tx, &signer, None, opts.clone()).await?;
            if !opts.quiet {
                eprintln!("uploaded in block #{}", inc.block_number);
            }
            uploaded = true;
        }
    }
    let best = chain.best().await?;
    let dry = chain
        .dry_run_instantiate(best.0, &me, 0, &code, data.clone(), salt.clone())
        .await?;
    let address = match &dry.result {
        Err(raw) => return Err(chain.dispatch_error(raw)),
        Ok((_, ret)) => {
            match contract::decode_message_return::<()>(ret).map_err(CliError::Rejected)? {
                Err(lang) => return Err(CliError::Lang(format!("{lang:?}"))),
                Ok(Err(e)) => return Err(CliError::Contract(e)),
                Ok(Ok(())) => dry.account_id.map(AccountId32),
            }
        }
    };
    if !opts.quiet {
        eprintln!(
            "dry-run instantiate: ok ({} bytes of wasm; gas ref_time {}, proof_size {}; storage deposit {})",
            code.len(),
            dry.gas_required.ref_time,
            dry.gas_required.proof_size,
            crate::deposit_text(&dry, &chain.token)
        );
    }
    let (contract_addr, included) = if dry_only {
        (address, None)
    } else {
        // A fast-path deployment was confirmed before its upload, for both transactions.
        if !uploaded {
            crate::prompt::confirm(
                &ctx.g,
                &format!(
                    "deploy the contract (code hash {}) as {me}, fee {} bps to {recipient}",
                    units::hex0x(&code_hash),
                    a.fee
                ),
            )?;
        }
        let tx = submit::instantiate_tx(0, &dry, code, data, salt);
        let inc = submit::sign_submit_wait(&chain, &tx, &signer, None, opts).await?;
        let addr = inc.instantiated.clone().or(address);
        (addr, Some(inc))
    };
    let contract_addr = contract_addr
        .ok_or_else(|| CliError::Rejected("no Contracts::Instantiated event".into()))?;
    if included.is_some() {
        let mut cfg = Config::load(&ctx.home).map_err(CliError::input)?;
        cfg.deployments.insert(
            ctx.g.url.clone(),
            Deployment {
                contract: contract_addr.to_string(),
                code_hash: units::hex0x(&code_hash),
                library_code_hash: library_hash.map(|h| units::hex0x(&h)),
            },
        );
        cfg.save(&ctx.home).map_err(CliError::input)?;
    }
    if ctx.g.json {
        let v = json!({
            "ok": true,
            "dry_run": included.is_none(),
            "contract": contract_addr.to_string(),
            "code_hash": units::hex0x(&code_hash),
            "fast_path": library_hash.is_some(),
            "library_code_hash": library_hash.map(|h| units::hex0x(&h)),
            "fee_recipient": recipient.to_string(),
            "fee_bps": a.fee,
            "tx_hash": included.as_ref().map(|i| format!("{:?}", i.tx_hash)),
            "block": included.as_ref().map(|i| i.block_number),
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
            w(out, format!("code hash {}", units::hex0x(&code_hash)))?;
            if let Some(h) = library_hash {
                w(
                    out,
                    format!(
                        "release fast path in front of the ink! contract {}",
                        units::hex0x(&h)
                    ),
                )?;
            }
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
