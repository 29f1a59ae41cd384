//! `escrow deal list [--mine]`.

use std::io::Write;

use clap::Args;
use escrow_client::{accounts::ss58, ClientError, Result};
use escrow_types::DealId;
use serde_json::json;

use super::w;
use crate::{
    render::{asset_json, to_json},
    Ctx,
};

/// `escrow deal list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only deals the signer (--suri/--account) takes part in, in any role.
    #[arg(long)]
    pub mine: bool,
    /// Only deals this account takes part in.
    #[arg(long, conflicts_with = "mine")]
    pub of: Option<String>,
    /// At most this many deals.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

/// Runs `deal list`.
pub async fn run(a: ListArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let who = match (&a.of, a.mine) {
        (Some(s), _) => Some(ctx.resolve_account(s)?),
        (None, true) => Some(ctx.signer_address()?),
        (None, false) => None,
    };
    let escrow = ctx.escrow().await?;
    let reads = escrow.reads_at_best().await?;
    let ids: Vec<DealId> = match &who {
        Some(acc) => reads.deal_ids_of(acc, a.limit).await?,
        None => {
            let count = reads.deal_count().await?;
            (0..count).take(a.limit as usize).map(DealId).collect()
        }
    };
    let mut rows = Vec::new();
    for id in ids {
        // An id below the count whose record is gone is skipped, not an error.
        match reads.deal(id).await {
            Ok(v) => rows.push(v),
            Err(ClientError::Contract(escrow_types::Error::DealNotFound)) => {}
            Err(e) => return Err(e),
        }
    }
    for v in &rows {
        ctx.learn_deal_asset(v.id, v.deal.asset).await;
    }
    let r = ctx.render();
    if ctx.global.json {
        let deals: Vec<_> = rows
            .iter()
            .map(|v| {
                let mut j = to_json(v);
                j["asset_info"] = asset_json(&v.deal.asset, &r);
                j
            })
            .collect();
        return w(out, json!({ "deals": deals }).to_string());
    }
    if rows.is_empty() {
        return w(out, "no deals");
    }
    w(
        out,
        format!(
            "{:>4}  {:<9}  {:<8}  {:<48}  {:<48}  {:>24}  {:>24}",
            "id", "status", "asset", "buyer", "seller", "total", "locked"
        ),
    )?;
    for v in rows {
        let units = r.units(&v.deal.asset);
        w(
            out,
            format!(
                "{:>4}  {:<9}  {:<8}  {:<48}  {:<48}  {:>24}  {:>24}",
                v.id.0,
                format!("{:?}", v.deal.status),
                r.asset_symbol(&v.deal.asset),
                ss58(&v.deal.buyer),
                ss58(&v.deal.seller),
                units.format(v.deal.total),
                units.format(v.locked)
            ),
        )?;
    }
    Ok(())
}
