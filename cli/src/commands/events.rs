//! `escrow events`: the contract's events, decoded with the `escrow_types` structs, per
//! asset: each event's amounts are shown in its deal's asset (the event's own asset for
//! `PayoutDeferred` and `Withdrawn`), `--json` lines carry that asset as `asset_info`, and
//! the human listing ends with the totals of the events listed, grouped by asset.

use std::{
    collections::BTreeMap,
    io::Write,
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Args;
use escrow_client::{
    accounts::ink_account,
    chain::{node_unreachable, FoundEvent},
    config::Config,
    contract::EscrowEvent,
    Chain, ClientError, Result,
};
use escrow_types::Asset;
use serde_json::{json, Value as Json};
use subxt::utils::AccountId32;

use super::w;
use crate::{
    render::{asset_json, event_fields_human, event_json, raw_units, RenderCtx},
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

/// One event as a JSON line object (`asset_info`: the asset of its amounts, when known).
pub fn found_json(f: &FoundEvent, r: &RenderCtx) -> Json {
    let mut v = event_json(&f.event);
    if let Json::Object(m) = &mut v {
        m.insert("block".into(), json!(f.block));
        m.insert("block_hash".into(), json!(format!("{:?}", f.block_hash)));
        m.insert("extrinsic".into(), json!(f.extrinsic));
        m.insert(
            "asset_info".into(),
            r.event_asset(&f.event)
                .map_or(Json::Null, |a| asset_json(&a, r)),
        );
    }
    v
}

/// What the events listed moved, in one asset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Events counted.
    pub events: usize,
    /// Deposits (`DealFunded`).
    pub deposited: u128,
    /// Paid to the seller's side, net (`MilestoneReleased`, `DisputeResolved`).
    pub released: u128,
    /// Fees.
    pub fees: u128,
    /// Returned to buyers (`MilestoneRefunded`, `DisputeResolved`).
    pub refunded: u128,
    /// Payouts credited as claimable instead (`PayoutDeferred`).
    pub deferred: u128,
    /// Claimable balances paid out (`Withdrawn`).
    pub withdrawn: u128,
    /// A sum passed 2^128-1 (shown as such, never wrapped).
    pub overflow: bool,
}

impl Totals {
    fn add(&mut self, field: fn(&mut Totals) -> &mut u128, v: u128) {
        let slot = field(self);
        match slot.checked_add(v) {
            Some(n) => *slot = n,
            None => {
                *slot = u128::MAX;
                self.overflow = true;
            }
        }
    }

    /// Counts one event's amounts.
    pub fn count(&mut self, e: &EscrowEvent) {
        use EscrowEvent::*;
        self.events = self.events.saturating_add(1);
        match e {
            DealFunded(f) => self.add(|t| &mut t.deposited, f.amount),
            MilestoneReleased(m) => {
                self.add(|t| &mut t.released, m.amount);
                self.add(|t| &mut t.fees, m.fee);
            }
            MilestoneRefunded(m) => self.add(|t| &mut t.refunded, m.amount),
            DisputeResolved(d) => {
                self.add(|t| &mut t.released, d.to_seller);
                self.add(|t| &mut t.fees, d.fee);
                self.add(|t| &mut t.refunded, d.to_buyer);
            }
            PayoutDeferred(p) => self.add(|t| &mut t.deferred, p.amount),
            Withdrawn(x) => self.add(|t| &mut t.withdrawn, x.amount),
            _ => {}
        }
    }

    /// "deposited 1000 USDT, released 594 USDT, …" in `units`.
    pub fn line(&self, units: &escrow_client::units::Token) -> String {
        let f = |v: u128| {
            if self.overflow && v == u128::MAX {
                "2^128-1 or more".to_string()
            } else {
                units.format(v)
            }
        };
        format!(
            "{} event(s): deposited {}, released {}, fees {}, refunded {}, deferred {}, withdrawn {}",
            self.events,
            f(self.deposited),
            f(self.released),
            f(self.fees),
            f(self.refunded),
            f(self.deferred),
            f(self.withdrawn)
        )
    }
}

/// The totals of `events`, grouped by the asset each is in (`None`: unknown).
pub fn totals_by_asset<'a>(
    events: impl IntoIterator<Item = &'a EscrowEvent>,
    r: &RenderCtx,
) -> BTreeMap<Option<Asset>, Totals> {
    let mut by: BTreeMap<Option<Asset>, Totals> = BTreeMap::new();
    for e in events {
        by.entry(r.event_asset(e)).or_default().count(e);
    }
    by
}

/// The human totals section.
fn totals_lines(by: &BTreeMap<Option<Asset>, Totals>, r: &RenderCtx) -> Vec<String> {
    let mut lines = vec!["totals by asset:".to_string()];
    for (asset, t) in by {
        let (label, units) = match asset {
            Some(a) => (r.asset_label(a), r.units(a)),
            None => ("unknown asset (raw units)".to_string(), raw_units()),
        };
        lines.push(format!("  {label}: {}", t.line(&units)));
    }
    lines
}

/// Whether `f` is listed under `--deal`.
fn wanted(f: &FoundEvent, deal: Option<u64>) -> bool {
    deal.is_none_or(|d| f.event.deal_id().map(|x| x.0) == Some(d))
}

fn print(
    f: &FoundEvent,
    deal: Option<u64>,
    json_out: bool,
    r: &mut RenderCtx,
    out: &mut impl Write,
) -> Result<()> {
    // A proposal names its deal's asset: later events of the deal are in it.
    if let (EscrowEvent::DealProposed(p), Some(id)) = (&f.event, f.event.deal_id()) {
        r.deal_assets.insert(id, p.terms.asset);
    }
    if !wanted(f, deal) {
        return Ok(());
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
    let mut chain = escrow.chain().clone();
    let (_, best) = chain.best().await?;
    let found = chain.scan_events(&contract, a.from, best).await?;
    // The assets the amounts are in: the events' own, their deals', and the tokens
    // recorded for --url (for deals proposed while following).
    let listed: Vec<EscrowEvent> = found
        .iter()
        .filter(|f| wanted(f, a.deal))
        .map(|f| f.event.clone())
        .collect();
    ctx.learn_event_assets(&listed).await;
    let recorded = Config::load(&ctx.home)
        .map(|c| c.tokens_for(&ctx.global.url).to_vec())
        .unwrap_or_default();
    for t in recorded {
        if let Ok(addr) = escrow_client::accounts::parse_account(&t.address) {
            ctx.learn_asset(&Asset::Psp22(ink_account(&addr))).await;
        }
    }
    let mut r = ctx.render();
    for f in &found {
        print(f, a.deal, json_out, &mut r, out)?;
    }
    if !a.follow {
        if !json_out && !listed.is_empty() {
            for line in totals_lines(&totals_by_asset(&listed, &r), &r) {
                w(out, line)?;
            }
        }
        out.flush().ok();
        return Ok(());
    }
    out.flush().ok();
    let genesis = chain.api.genesis_hash();
    let mut last = best;
    if !ctx.global.quiet {
        eprintln!("following new blocks after #{best} (Ctrl-C to stop)");
    }
    loop {
        let lost = match follow(&chain, &contract, &mut last, &a, json_out, &mut r, out).await {
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
    r: &mut RenderCtx,
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
    r: &mut RenderCtx,
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

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_client::units::Token;
    use escrow_types::{
        DealFunded, DealId, DisputeResolved, MilestoneReleased, ReleaseVia, Resolution, Withdrawn,
    };

    fn acc(b: u8) -> ink::primitives::AccountId {
        [b; 32].into()
    }

    #[test]
    fn totals_are_grouped_by_asset_and_never_mixed() {
        let usdt = Asset::Psp22(acc(9));
        let mut r = crate::render::tests::usdt_ctx();
        r.deal_assets.insert(DealId(0), Asset::Native);
        r.deal_assets.insert(DealId(1), usdt);
        let funded = |id, amount| {
            EscrowEvent::DealFunded(DealFunded {
                deal_id: DealId(id),
                funder: acc(1),
                amount,
                deposited: amount,
                prev_block: 0,
            })
        };
        let evs = [
            funded(0, 1_000),
            funded(1, 100_000_000),
            EscrowEvent::MilestoneReleased(MilestoneReleased {
                deal_id: DealId(1),
                payee: acc(7),
                index: 0,
                amount: 29_700_000,
                fee: 300_000,
                via: ReleaseVia::Buyer,
                prev_block: 0,
            }),
            EscrowEvent::DisputeResolved(DisputeResolved {
                deal_id: DealId(1),
                resolution: Resolution::Arbiter,
                index: 1,
                to_seller: 10_000_000,
                payee: acc(2),
                fee: 0,
                to_buyer: 30_000_000,
                prev_block: 0,
            }),
            EscrowEvent::Withdrawn(Withdrawn {
                account: acc(7),
                to: acc(7),
                asset: usdt,
                amount: 5_000_000,
                prev_block: 0,
            }),
            funded(5, 3),
        ];
        let by = totals_by_asset(&evs, &r);
        assert_eq!(
            by[&Some(usdt)],
            Totals {
                events: 4,
                deposited: 100_000_000,
                released: 39_700_000,
                fees: 300_000,
                refunded: 30_000_000,
                deferred: 0,
                withdrawn: 5_000_000,
                overflow: false,
            }
        );
        assert_eq!(by[&Some(Asset::Native)].deposited, 1_000);
        assert_eq!(by[&Some(Asset::Native)].events, 1);
        assert_eq!(
            by[&None].deposited, 3,
            "a deal of unknown asset counts apart"
        );
        let text = totals_lines(&by, &r).join("\n");
        let line = format!(
            "  USDT (PSP22 token {}, 6 decimals): 4 event(s): deposited 100 USDT, released 39.7 \
             USDT, fees 0.3 USDT, refunded 30 USDT, deferred 0 USDT, withdrawn 5 USDT",
            AccountId32([9; 32])
        );
        assert!(text.lines().any(|l| l == line), "lacks {line:?}:\n{text}");
        assert!(
            text.contains("unknown asset (raw units): 1 event(s): deposited 3 (raw)"),
            "{text}"
        );
    }

    #[test]
    fn totals_that_pass_u128_say_so_instead_of_wrapping() {
        let mut t = Totals::default();
        let big = EscrowEvent::DealFunded(DealFunded {
            deal_id: DealId(0),
            funder: acc(1),
            amount: u128::MAX,
            deposited: u128::MAX,
            prev_block: 0,
        });
        t.count(&big);
        t.count(&big);
        assert!(t.overflow);
        let units = Token {
            symbol: "X".into(),
            decimals: 0,
        };
        assert!(
            t.line(&units).contains("deposited 2^128-1 or more"),
            "{}",
            t.line(&units)
        );
    }
}
