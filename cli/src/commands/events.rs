//! `escrow events`: the contract's events, decoded with the `escrow_types` structs.

use std::{
    io::Write,
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Args;
use escrow_client::{
    chain::{node_unreachable, FoundEvent},
    Chain, ClientError, Result,
};
use serde_json::{json, Value as Json};
use subxt::utils::AccountId32;

use super::w;
use crate::{
    render::{event_fields_human, event_json, RenderCtx},
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
    /// Keep printing new events as blocks arrive (Ctrl-C to stop). If the connection
    /// drops, it says so on stderr, reconnects (retrying for up to --timeout) and catches
    /// up on the blocks it missed; if it cannot reconnect in time it exits with code 3.
    #[arg(long)]
    pub follow: bool,
}

/// One event as a JSON line object.
pub fn found_json(f: &FoundEvent) -> Json {
    let mut v = event_json(&f.event);
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
        w(out, found_json(f).to_string())
    } else {
        w(
            out,
            format!(
                "#{} {} {}",
                f.block,
                f.event.name(),
                event_fields_human(&f.event, r)
            ),
        )
    }
}

/// Runs `events`.
pub async fn run(a: EventsArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let escrow = ctx.escrow().await?;
    let contract = escrow.address().clone();
    let json_out = ctx.global.json;
    let r = ctx.render();
    let mut chain = escrow.chain().clone();
    let (_, best) = chain.best().await?;
    for f in chain.scan_events(&contract, a.from, best).await? {
        print(&f, a.deal, json_out, &r, out)?;
    }
    out.flush().ok();
    if !a.follow {
        return Ok(());
    }
    let genesis = chain.api.genesis_hash();
    let mut last = best;
    if !ctx.global.quiet {
        eprintln!("following new blocks after #{best} (Ctrl-C to stop)");
    }
    loop {
        let lost = match follow(&chain, &contract, &mut last, &a, json_out, &r, out).await {
            Err(ClientError::Unreachable { detail, .. }) => detail,
            Err(e) => return Err(e),
            Ok(()) => "the block subscription ended".to_string(),
        };
        eprintln!(
            "events --follow: lost the connection to {} after block #{last} ({lost}); \
             reconnecting for up to {:?}",
            ctx.global.url, ctx.global.timeout
        );
        chain = reconnect(&ctx.global.url, ctx.global.timeout, &lost).await?;
        if chain.api.genesis_hash() != genesis {
            return Err(ClientError::Rejected(format!(
                "events --follow: the node at {} now runs another chain (genesis changed); \
                 stopped after block #{last}",
                ctx.global.url
            )));
        }
        let (_, best) = chain.best().await?;
        eprintln!(
            "events --follow: reconnected at block #{best}; catching up from block #{}",
            last + 1
        );
    }
}

/// Follows new best blocks from `last + 1`, printing events, until the subscription ends
/// (`Ok`) or the connection fails (`Unreachable`). `last` tracks the last block printed,
/// so a reconnect neither repeats nor skips blocks.
async fn follow(
    chain: &Chain,
    contract: &AccountId32,
    last: &mut u32,
    a: &EventsArgs,
    json_out: bool,
    r: &RenderCtx,
    out: &mut impl Write,
) -> Result<()> {
    let mut sub = chain
        .api
        .blocks()
        .subscribe_best()
        .await
        .map_err(|e| node_unreachable(&chain.url, e))?;
    // Blocks sealed between the scan and the subscription (or while disconnected).
    let (_, best) = chain.best().await?;
    catch_up(chain, contract, last, best, a, json_out, r, out).await?;
    while let Some(block) = sub.next().await {
        let block = block.map_err(|e| node_unreachable(&chain.url, e))?;
        catch_up(chain, contract, last, block.number(), a, json_out, r, out).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn catch_up(
    chain: &Chain,
    contract: &AccountId32,
    last: &mut u32,
    to: u32,
    a: &EventsArgs,
    json_out: bool,
    r: &RenderCtx,
    out: &mut impl Write,
) -> Result<()> {
    if to <= *last {
        return Ok(());
    }
    for f in chain.scan_events(contract, *last + 1, to).await? {
        print(&f, a.deal, json_out, r, out)?;
    }
    out.flush().ok();
    *last = to;
    Ok(())
}

/// Reconnects to `url`, retrying with a growing pause for up to `budget`; after that,
/// exits 3 saying so (never silently).
async fn reconnect(url: &str, budget: Duration, lost: &str) -> Result<Arc<Chain>> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        match Chain::connect(url).await {
            Ok(c) => return Ok(Arc::new(c)),
            Err(ClientError::Unreachable { detail, .. }) => {
                if started.elapsed() >= budget {
                    return Err(ClientError::Unreachable {
                        url: url.to_string(),
                        detail: format!(
                            "events --follow lost the connection ({lost}) and could not \
                             reconnect within {budget:?}: {detail}; it stopped"
                        ),
                    });
                }
            }
            Err(e) => return Err(e),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}
