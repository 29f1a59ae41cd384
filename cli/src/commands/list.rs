//! `escrow deal list [--mine]`.

use std::io::Write;

use clap::Args;
use escrow_types::{DealId, DealView, MAX_PAGE};
use serde_json::json;

use super::w;
use crate::{contract::call_data, error::Result, render::to_json, ss58, Ctx};

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
    let contract = ctx.contract()?;
    let chain = ctx.chain().await?;
    let best = chain.best().await?;
    let ids: Vec<DealId> = match &who {
        Some(acc) => {
            let acc = crate::ink_account(acc);
            let count: u32 = chain
                .read(best.0, &contract, call_data("deal_count_of", &(acc,)))
                .await?;
            let mut ids = Vec::new();
            let mut start = 0u32;
            while start < count.min(a.limit) {
                let page: Vec<DealId> = chain
                    .read(
                        best.0,
                        &contract,
                        call_data("deals_of", &(acc, start, MAX_PAGE)),
                    )
                    .await?;
                if page.is_empty() {
                    break;
                }
                start += page.len() as u32;
                ids.extend(page);
            }
            ids.truncate(a.limit as usize);
            ids
        }
        None => {
            let count: u64 = chain
                .read(best.0, &contract, call_data("deal_count", &()))
                .await?;
            (0..count).take(a.limit as usize).map(DealId).collect()
        }
    };
    let r = ctx.render();
    let mut rows = Vec::new();
    for id in ids {
        if let Some(v) = chain
            .read::<Option<DealView>>(best.0, &contract, call_data("deal", &(id,)))
            .await?
        {
            rows.push(v);
        }
    }
    if ctx.g.json {
        return w(
            out,
            json!({ "deals": rows.iter().map(|v| to_json(v, &r)).collect::<Vec<_>>() }).to_string(),
        );
    }
    if rows.is_empty() {
        return w(out, "no deals");
    }
    w(
        out,
        format!(
            "{:>4}  {:<9}  {:<48}  {:<48}  {:>20}  {:>20}",
            "id", "status", "buyer", "seller", "total", "locked"
        ),
    )?;
    for v in rows {
        w(
            out,
            format!(
                "{:>4}  {:<9}  {:<48}  {:<48}  {:>20}  {:>20}",
                v.id.0,
                format!("{:?}", v.deal.status),
                ss58(&v.deal.buyer),
                ss58(&v.deal.seller),
                r.token.format(v.deal.total),
                r.token.format(v.locked)
            ),
        )?;
    }
    Ok(())
}
