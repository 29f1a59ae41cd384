//! `escrow tx-status HASH --from BLOCK`: reconciles a transaction whose outcome is unknown
//! (exit code 4) by looking for it in the blocks where it could have landed — from the
//! block it was signed at (printed on submission) through its mortality window — instead of
//! guessing and re-submitting.
//!
//! It asks whichever node it is pointed at: a transaction submitted through a node that died
//! is found through any other node of the network.
//!
//! # Finality
//! A block of the best chain can still be replaced on a network until GRANDPA finalizes it.
//! So the answer says whether the block is final, and with `--wait finalized` a transaction in
//! a block that is not final yet is still "unknown" (exit 4). The mortality window counts as
//! closed only once a *finalized* block is past it: before that, a fork could still include
//! the transaction. On a chain that has never finalized a block (instant seal without
//! `--finalize-delay-sec`: one author, no forks) the best block closes it.

use std::io::Write;

use clap::Args;
use serde_json::json;
use subxt::utils::H256;

use escrow_client::{
    chain::{named_dispatch_error, node_unreachable},
    contract::dispatch_error_prefix,
    submit::{WaitFor, MORTALITY_BLOCKS},
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

/// Runs `tx-status`: exit 0 if included and successful (and final, with `--wait finalized`),
/// 1 if included and failed or expired without inclusion (safe to retry), 4 if it may still
/// land (or, with `--wait finalized`, is in a block that is not final yet).
pub async fn run(a: StatusArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let wanted: H256 = a
        .hash
        .trim()
        .parse()
        .map_err(|_| ClientError::input(format!("'{}': not a 0x-hex 32-byte hash", a.hash)))?;
    let chain = ctx.chain().await?;
    let (_, best) = chain.best().await?;
    let (_, finalized) = chain.finalized().await?;
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
            let is_final = n <= finalized;
            if ctx.global.json {
                w(out, json!({"found": true, "block": n, "block_hash": format!("{hash:?}"), "index": ext.index(), "success": !failed, "final": is_final, "finalized": finalized}).to_string())?;
            } else {
                w(
                    out,
                    format!(
                        "{wanted:?} is in block #{n} ({hash:?}), extrinsic {}: {}; {}",
                        ext.index(),
                        if failed { "FAILED" } else { "succeeded" },
                        if is_final {
                            format!("final (finalized #{finalized})")
                        } else {
                            format!("not final yet (finalized #{finalized})")
                        }
                    ),
                )?;
            }
            if !is_final && ctx.global.wait == WaitFor::Finalized {
                return Err(ClientError::UnknownStatus {
                    hash: format!("{wanted:?}"),
                    detail: format!(
                        "in block #{n}, which is not final yet (finalized #{finalized}); a fork could still replace it"
                    ),
                });
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
    // The window is closed once a block past it is final (see the module docs).
    let settled = if finalized > 0 { finalized } else { best };
    let expired = settled > a.from.saturating_add(MORTALITY_BLOCKS as u32);
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
