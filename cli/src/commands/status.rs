//! `escrow tx-status HASH --from BLOCK`: reconciles a transaction whose outcome is unknown
//! (exit code 4) by looking for it in the blocks where it could have landed — from the
//! block it was signed at (printed on submission) through its mortality window — instead of
//! guessing and re-submitting.

use std::io::Write;

use clap::Args;
use serde_json::json;
use subxt::utils::H256;

use escrow_client::{
    chain::{named_dispatch_error, node_unreachable},
    contract::dispatch_error_prefix,
    submit::MORTALITY_BLOCKS,
    ClientError, Result,
};

use super::w;
use crate::Ctx;

/// `escrow tx-status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The extrinsic hash printed by the submitting command.
    pub hash: String,
    /// The block it was signed at ("mortal … from #N" in the submitting command's output).
    #[arg(long)]
    pub from: u32,
}

/// Runs `tx-status`: exit 0 if included and successful, 1 if included and failed or
/// expired without inclusion (safe to retry), 4 if it may still land.
pub async fn run(a: StatusArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let wanted: H256 = a
        .hash
        .trim()
        .parse()
        .map_err(|_| ClientError::input(format!("'{}': not a 0x-hex 32-byte hash", a.hash)))?;
    let chain = ctx.chain().await?;
    let (_, best) = chain.best().await?;
    let last = best.min(a.from.saturating_add(MORTALITY_BLOCKS as u32));
    for n in a.from..=last {
        let Some(hash) = chain
            .rpc
            .chain_get_block_hash(Some(n.into()))
            .await
            .map_err(|e| node_unreachable(&chain.url, e))?
        else {
            continue;
        };
        let block = chain
            .api
            .blocks()
            .at(hash)
            .await
            .map_err(|e| node_unreachable(&chain.url, e))?;
        let exts = block
            .extrinsics()
            .await
            .map_err(|e| node_unreachable(&chain.url, e))?;
        for ext in exts.iter() {
            if ext.hash() != wanted {
                continue;
            }
            let result = ext
                .events()
                .await
                .map_err(|e| node_unreachable(&chain.url, e))?;
            let failure = result
                .iter()
                .filter_map(|e| e.ok())
                .find(|e| e.pallet_name() == "System" && e.variant_name() == "ExtrinsicFailed");
            let failed = failure.is_some();
            if ctx.global.json {
                w(out, json!({"found": true, "block": n, "block_hash": format!("{hash:?}"), "index": ext.index(), "success": !failed}).to_string())?;
            } else {
                w(
                    out,
                    format!(
                        "{wanted:?} is in block #{n} ({hash:?}), extrinsic {}: {}",
                        ext.index(),
                        if failed { "FAILED" } else { "succeeded" }
                    ),
                )?;
            }
            if failed {
                let err = match subxt::error::DispatchError::decode_from(
                    failure
                        .map(|f| dispatch_error_prefix(f.field_bytes()).to_vec())
                        .unwrap_or_default(),
                    chain.api.metadata(),
                ) {
                    Ok(e) => named_dispatch_error(e),
                    Err(_) => ClientError::Rejected("the transaction failed on chain".into()),
                };
                return Err(err);
            }
            return Ok(());
        }
    }
    let expired = best > a.from.saturating_add(MORTALITY_BLOCKS as u32);
    if ctx.global.json {
        w(
            out,
            json!({"found": false, "searched": [a.from, last], "expired": expired}).to_string(),
        )?;
    }
    if expired {
        Err(ClientError::Rejected(format!(
            "{wanted:?} is not in blocks #{}..=#{last} and its mortality window has passed: it was not included and can no longer be; it is safe to retry",
            a.from
        )))
    } else {
        Err(ClientError::UnknownStatus {
            hash: format!("{wanted:?}"),
            detail: format!(
                "not in blocks #{}..=#{last} yet; it may still be included until block #{}",
                a.from,
                a.from.saturating_add(MORTALITY_BLOCKS as u32)
            ),
        })
    }
}
