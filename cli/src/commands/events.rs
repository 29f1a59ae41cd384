//! `escrow events`: the contract's events, decoded with the `escrow_types` structs.

use std::io::Write;

use clap::Args;
use futures::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Value as Json};
use subxt::utils::AccountId32;

use super::{event_json, w};
use crate::{
    client::{unreachable, Chain, FoundEvent},
    error::{CliError, Result},
    render::RenderCtx,
    Ctx,
};

/// `escrow events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events of this deal.
    #[arg(long)]
    pub deal: Option<u64>,
    /// First block to scan.
    #[arg(long, default_value_t = 0)]
    pub from: u32,
    /// Keep printing new events as blocks arrive (Ctrl-C to stop).
    #[arg(long)]
    pub follow: bool,
}

/// Our contract's events in blocks `from..=to`, in order.
pub async fn scan(
    chain: &Chain,
    contract: &AccountId32,
    from: u32,
    to: u32,
) -> Result<Vec<FoundEvent>> {
    if from > to {
        return Ok(Vec::new());
    }
    let per_block: Vec<Vec<FoundEvent>> = stream::iter(from..=to)
        .map(|n| async move {
            let hash = chain
                .rpc
                .chain_get_block_hash(Some(n.into()))
                .await
                .map_err(|e| unreachable(&chain.url, e))?
                .ok_or_else(|| CliError::Rejected(format!("no block #{n}")))?;
            chain.contract_events(hash, n, contract).await
        })
        .buffered(16)
        .try_collect()
        .await?;
    Ok(per_block.into_iter().flatten().collect())
}

/// One event as a JSON line object.
pub fn found_json(f: &FoundEvent, r: &RenderCtx) -> Json {
    let mut v = event_json(&f.event, r);
    if let Json::Object(m) = &mut v {
        m.insert("block".into(), json!(f.block));
        m.insert("block_hash".into(), json!(format!("{:?}", f.block_hash)));
        m.insert("extrinsic".into(), json!(f.extrinsic));
    }
    v
}

fn print(
    f: &FoundEvent,
    deal: Option<u64>,
    json_out: bool,
    r: &RenderCtx,
    out: &mut impl Write,
) -> Result<()> {
    if let Some(d) = deal {
        if f.event.deal_id().map(|x| x.0) != Some(d) {
            return Ok(());
        }
    }
    if json_out {
        w(out, found_json(f, r).to_string())
    } else {
        w(
            out,
            format!(
                "#{} {} {}",
                f.block,
                f.event.name(),
                f.event.fields_human(r)
            ),
        )
    }
}

/// Runs `events`.
pub async fn run(a: EventsArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let contract = ctx.contract()?;
    let json_out = ctx.g.json;
    ctx.chain().await?;
    let r = ctx.render();
    let chain = ctx.chain().await?;
    let (_, best) = chain.best().await?;
    for f in scan(&chain, &contract, a.from, best).await? {
        print(&f, a.deal, json_out, &r, out)?;
    }
    out.flush().ok();
    if !a.follow {
        return Ok(());
    }
    let mut last = best;
    let mut sub = chain
        .api
        .blocks()
        .subscribe_best()
        .await
        .map_err(|e| unreachable(&chain.url, e))?;
    while let Some(block) = sub.next().await {
        let block = block.map_err(|e| unreachable(&chain.url, e))?;
        let n = block.number();
        if n <= last {
            continue;
        }
        for f in scan(&chain, &contract, last + 1, n).await? {
            print(&f, a.deal, json_out, &r, out)?;
        }
        out.flush().ok();
        last = n;
    }
    Err(unreachable(&chain.url, "the block subscription ended"))
}
