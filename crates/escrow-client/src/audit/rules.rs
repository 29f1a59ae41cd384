//! The checks that need the chain around the events: each trail's links, each deal's rules
//! and clocks (against the timestamps and callers of the blocks its events are in), and each
//! payment against the chain's own transfer events.

use std::collections::{BTreeMap, BTreeSet};

use escrow_types::{
    bps_of, seller_payment, split_outcome, Asset, Claim, Config, DealId, DealTerms, RefundReason,
    ReleaseVia, Resolution, Trail,
};
use ink::primitives::AccountId;
use subxt::utils::AccountId32;

use super::{
    walk::{Block, Walk},
    ClaimAudit, Finding, Kind,
};
use crate::{accounts::ss58, contract::EscrowEvent};

fn raw(a: &AccountId) -> [u8; 32] {
    *a.as_ref()
}

/// Each followed trail, in chain order, links back exactly: its first event's `prev_block`
/// is 0, every other's is the block of the one before it, and its record names the last.
/// `lasts` are the records' `last_event_block`, per trail audited.
pub fn trails(walk: &Walk, lasts: &BTreeMap<Trail, u32>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen: BTreeMap<Trail, u32> = BTreeMap::new();
    // A trail finding, located at its deal and milestone (a claim's trail has neither).
    let finding = |t: &Trail, block: u32, event: Option<&'static str>, detail: String| {
        let (deal, milestone) = match t {
            Trail::Deal(id) => (Some(*id), None),
            Trail::Milestone(id, i) => (Some(*id), Some(*i)),
            Trail::Claim(..) => (None, None),
        };
        Finding {
            kind: Kind::Trail,
            deal,
            milestone,
            block: Some(block),
            event,
            detail,
        }
    };
    for (b, _, e) in walk.events() {
        let (trail, prev) = e.trail();
        if !lasts.contains_key(&trail) {
            continue;
        }
        let want = seen.insert(trail, b.number).unwrap_or(0);
        if prev != want {
            findings.push(finding(
                &trail,
                b.number,
                Some(e.name()),
                format!(
                    "{trail:?}: the event links back to block #{prev}, but the previous event \
                     found on its trail is in block #{want}"
                ),
            ));
        }
    }
    for (trail, last) in lasts {
        let found = seen.get(trail).copied().unwrap_or(0);
        if found != *last {
            findings.push(finding(
                trail,
                *last,
                None,
                format!(
                    "{trail:?}: storage says its latest event is in block #{last}, the latest \
                     found is in block #{found}"
                ),
            ));
        }
    }
    for (trail, at, prev) in &walk.forward {
        findings.push(finding(
            trail,
            *at,
            None,
            format!("{trail:?}: an event links forward, to block #{prev}"),
        ));
    }
    findings
}

/// What the audit knows of one milestone while replaying its deal.
#[derive(Default, Clone)]
struct Ms {
    ship_by: u64,
    review_ends: Option<u64>,
    attested: BTreeSet<[u8; 32]>,
    attested_in: Option<(u32, Option<u32>)>,
    arbitration_ends: Option<u64>,
    offer: Option<([u8; 32], u128)>,
}

/// Where an event happened: its block (time, callers, the other events) and extrinsic.
struct At<'a> {
    block: &'a Block,
    ext: Option<u32>,
    deal: DealId,
}

impl At<'_> {
    fn now(&self) -> u64 {
        self.block.time
    }

    /// Whether `who` signed a call into the escrow in this extrinsic.
    fn called(&self, who: &AccountId) -> bool {
        self.block.called_by(self.ext, &raw(who))
    }

    /// Whether this extrinsic also emitted the deal's event `name`.
    fn same_call(&self, name: &str) -> bool {
        self.block
            .events
            .iter()
            .any(|(x, o)| *x == self.ext && o.deal_id() == Some(self.deal) && o.name() == name)
    }
}

/// One deal replayed event by event against its terms and the instance's fee.
struct Replay<'a> {
    terms: DealTerms,
    config: &'a Config,
    ms: Vec<Ms>,
    funding_closed: bool,
}

/// A broken rule: the milestone it concerns and why.
type Broken = Option<(Option<u8>, String)>;

fn broken(index: Option<u8>, why: impl Into<String>) -> Broken {
    Some((index, why.into()))
}

impl Replay<'_> {
    fn amount_of(&self, i: u8) -> u128 {
        self.terms
            .milestones
            .get(usize::from(i))
            .map_or(0, |m| m.amount)
    }

    /// Checks one event and records what later checks need; every rule it breaks.
    fn step(&mut self, at: &At, e: &EscrowEvent) -> Vec<(Option<u8>, String)> {
        let mut out = Vec::new();
        let mut push = |b: Broken| out.extend(b);
        match e {
            EscrowEvent::DealFunded(f) => {
                if f.funder != self.terms.buyer && Some(f.funder) != self.terms.funder {
                    push(broken(
                        None,
                        format!(
                            "deposit by {}, neither the buyer nor the named funder",
                            ss58(&f.funder)
                        ),
                    ));
                }
                if at.now() > self.terms.fund_by {
                    push(broken(
                        None,
                        format!(
                            "deposit at {}, after the funding deadline {}",
                            at.now(),
                            self.terms.fund_by
                        ),
                    ));
                }
            }
            EscrowEvent::MilestoneSubmitted(s) => push(self.submitted(at, s.index, s.review_ends)),
            EscrowEvent::MilestoneAttested(a) => {
                for b in self.attested(at, a.index, &a.oracle) {
                    push(Some(b));
                }
            }
            EscrowEvent::MilestoneReleased(r) => {
                push(self.released_amount(r.index, r.amount, r.fee));
                push(self.released_by_rule(at, r.index, r.via));
            }
            EscrowEvent::MilestoneRefunded(r) => {
                push(self.refunded(at, r.index, r.amount, r.reason))
            }
            EscrowEvent::MilestoneDisputed(d) => {
                push(self.disputed(at, d.index, &d.by, d.arbitration_ends))
            }
            EscrowEvent::SettlementOffered(o) => {
                if let Some(m) = self.ms.get_mut(usize::from(o.index)) {
                    m.offer = Some((raw(&o.by), o.seller_amount));
                }
            }
            EscrowEvent::DisputeResolved(d) => {
                let gross = d.to_seller.saturating_add(d.fee);
                let amount = self.amount_of(d.index);
                let exact = split_outcome(amount, gross, self.config.fee_bps).is_some_and(|o| {
                    (o.to_seller, o.fee, o.to_buyer) == (d.to_seller, d.fee, d.to_buyer)
                });
                if !exact {
                    push(broken(Some(d.index), format!(
                        "split {} + fee {} + {} to the buyer: not a split of the milestone's {amount} at {} bps",
                        d.to_seller, d.fee, d.to_buyer, self.config.fee_bps
                    )));
                }
                push(self.resolved(at, d.index, d.resolution, gross));
            }
            EscrowEvent::AmendmentAccepted(a) => {
                if let Some(m) = self.ms.get_mut(usize::from(a.index)) {
                    m.ship_by = a.new_ship_by;
                }
            }
            EscrowEvent::DealCancelled(_) => self.funding_closed = true,
            _ => {}
        }
        out
    }

    fn submitted(&mut self, at: &At, index: u8, review_ends: u64) -> Broken {
        let (seller, window) = (self.terms.seller, self.terms.review_window);
        let m = self.ms.get_mut(usize::from(index))?;
        m.review_ends = Some(review_ends);
        if !at.called(&seller) {
            return broken(Some(index), "submitted by someone other than the seller");
        }
        if at.now() > m.ship_by {
            return broken(
                Some(index),
                format!("submitted at {}, after its ship-by {}", at.now(), m.ship_by),
            );
        }
        (review_ends != at.now().saturating_add(window)).then(|| {
            (
                Some(index),
                format!("review ends at {review_ends}, not at submission + the review window"),
            )
        })
    }

    fn attested(&mut self, at: &At, index: u8, oracle: &AccountId) -> Vec<(Option<u8>, String)> {
        let named = self.terms.oracles.contains(oracle);
        let Some(m) = self.ms.get_mut(usize::from(index)) else {
            return Vec::new();
        };
        m.attested_in = Some((at.block.number, at.ext));
        let mut out = Vec::new();
        if !named {
            out.push((
                Some(index),
                format!(
                    "attested by {}, not one of the deal's oracles",
                    ss58(oracle)
                ),
            ));
        } else if !m.attested.insert(raw(oracle)) {
            out.push((Some(index), format!("{} attested twice", ss58(oracle))));
        }
        if !at.called(oracle) {
            out.push((
                Some(index),
                format!("the attestation of {} was not signed by it", ss58(oracle)),
            ));
        }
        out
    }

    fn released_amount(&self, index: u8, amount: u128, fee: u128) -> Broken {
        let gross = amount.saturating_add(fee);
        let want = self.amount_of(index);
        (gross != want || seller_payment(gross, self.config.fee_bps) != Some((amount, fee))).then(
            || {
                (
                    Some(index),
                    format!(
                        "released {amount} + fee {fee}: the milestone is {want} at a fee of {} bps",
                        self.config.fee_bps
                    ),
                )
            },
        )
    }

    fn released_by_rule(&self, at: &At, index: u8, via: ReleaseVia) -> Broken {
        let m = self.ms.get(usize::from(index))?;
        let t = &self.terms;
        let why: Option<String> = match via {
            ReleaseVia::Buyer | ReleaseVia::BuyerBatch if !t.release_rule.buyer_may_release() => {
                Some(format!("released by the buyer, which the rule {:?} forbids", t.release_rule))
            }
            ReleaseVia::Buyer | ReleaseVia::BuyerBatch => (!at.called(&t.buyer))
                .then(|| "released as the buyer's approval, but the buyer did not sign it".into()),
            ReleaseVia::Oracles if !t.release_rule.oracles_may_release() => {
                Some(format!("released by oracles, which the rule {:?} forbids", t.release_rule))
            }
            ReleaseVia::Oracles if m.attested.len() < usize::from(t.oracle_threshold).max(1) => Some(format!(
                "released by oracles with {} distinct attestation(s) of the {} needed",
                m.attested.len(),
                t.oracle_threshold
            )),
            ReleaseVia::Oracles => (m.attested_in != Some((at.block.number, at.ext)))
                .then(|| "released by oracles, but not by an attestation in the same call".into()),
            ReleaseVia::Timeout => match m.review_ends {
                Some(end) if at.now() > end && m.arbitration_ends.is_none() => None,
                Some(end) => Some(format!(
                    "released on timeout at {}, but the review window ends at {end} or a dispute is open",
                    at.now()
                )),
                None => Some("released on timeout, but it was never submitted".into()),
            },
            ReleaseVia::Advance if index != 0 || !t.advance => {
                Some("released as an advance, but it is not the deal's advance".into())
            }
            ReleaseVia::Advance => (!at.same_call("DealFunded"))
                .then(|| "released as an advance without the deposit that funds it".into()),
        };
        why.map(|w| (Some(index), w))
    }

    fn refunded(&mut self, at: &At, index: u8, amount: u128, reason: RefundReason) -> Broken {
        let whole = self.amount_of(index);
        let m = self.ms.get(usize::from(index))?.clone();
        let closed_before = self.funding_closed;
        if amount < whole {
            // Deposits cover milestones in order: none may skip this one now.
            self.funding_closed = true;
        }
        if amount > whole {
            return broken(
                Some(index),
                format!("refunded {amount}, more than the milestone's {whole}"),
            );
        }
        let now = at.now();
        let why = match reason {
            RefundReason::ShipByMissed => {
                (now <= m.ship_by || m.review_ends.is_some()).then(|| {
                    format!(
                        "refunded for a missed ship-by at {now}: ship-by {}{}",
                        m.ship_by,
                        if m.review_ends.is_some() {
                            ", and it was submitted"
                        } else {
                            ""
                        }
                    )
                })
            }
            RefundReason::FundingDeadlinePassed => (now <= self.terms.fund_by).then(|| {
                format!(
                    "refunded for the funding deadline at {now}, before it ({})",
                    self.terms.fund_by
                )
            }),
            RefundReason::FundingClosed => {
                (!closed_before && !at.same_call("DealCancelled")).then(|| {
                    "refunded because funding closed, but no lapse or cancellation closed it".into()
                })
            }
            RefundReason::Cancelled => (!at.same_call("DealCancelled")).then(|| {
                "refunded for a cancellation, but no DealCancelled in the same call".into()
            }),
        };
        why.map(|w| (Some(index), w))
    }

    fn disputed(&mut self, at: &At, index: u8, by: &AccountId, arbitration_ends: u64) -> Broken {
        let party = *by == self.terms.buyer || *by == self.terms.seller;
        let m = self.ms.get_mut(usize::from(index))?;
        m.arbitration_ends = Some(arbitration_ends);
        m.offer = None;
        if !party || !at.called(by) {
            return broken(
                Some(index),
                format!("disputed by {}, not a party that signed", ss58(by)),
            );
        }
        match m.review_ends {
            Some(end) if at.now() <= end => None,
            _ => broken(
                Some(index),
                format!("disputed at {}, outside its review window", at.now()),
            ),
        }
    }

    fn resolved(&self, at: &At, index: u8, resolution: Resolution, gross: u128) -> Broken {
        let m = self.ms.get(usize::from(index))?;
        let t = &self.terms;
        let (now, ends) = (at.now(), m.arbitration_ends.unwrap_or(0));
        let late =
            || (now > ends).then(|| format!("at {now}, after the arbitration window ({ends})"));
        let why = match resolution {
            Resolution::Arbiter if !t.arbiter.is_some_and(|a| at.called(&a)) => {
                Some("ruled by someone other than the deal's arbiter".to_string())
            }
            Resolution::Arbiter => late().map(|w| format!("ruled {w}")),
            Resolution::Settlement => match m.offer {
                Some((by, seller_amount)) if seller_amount == gross => {
                    let other = if by == raw(&t.buyer) {
                        t.seller
                    } else {
                        t.buyer
                    };
                    if at.called(&other) {
                        late().map(|w| format!("settled {w}"))
                    } else {
                        Some("settled without the other party's acceptance".to_string())
                    }
                }
                _ => Some(format!(
                    "settled at {gross} for the seller, which no offer named"
                )),
            },
            Resolution::Fallback if now <= ends => Some(format!(
                "fallback split at {now}, before the arbitration window ended ({ends})"
            )),
            Resolution::Fallback => {
                let amount = self.amount_of(index);
                (bps_of(amount, t.fallback_seller_bps) != Some(gross)).then(|| {
                    format!(
                        "fallback split gave the seller {gross}, not {} bps of {amount}",
                        t.fallback_seller_bps
                    )
                })
            }
        };
        why.map(|w| (Some(index), w))
    }
}

/// Every release, refund, split, deposit, submission, attestation and dispute of deal `id`
/// against its terms (from its `DealProposed`), the instance's fee, and the clocks and
/// callers of the blocks the events are in.
pub fn deal_rules(
    id: DealId,
    events: &[(u32, Option<u32>, EscrowEvent)],
    walk: &Walk,
    config: &Config,
) -> Vec<Finding> {
    let Some(terms) = events.iter().find_map(|(_, _, e)| match e {
        EscrowEvent::DealProposed(p) => Some(p.terms.clone()),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mut replay = Replay {
        ms: terms
            .milestones
            .iter()
            .map(|m| Ms {
                ship_by: m.ship_by,
                ..Ms::default()
            })
            .collect(),
        terms,
        config,
        funding_closed: false,
    };
    let mut out = Vec::new();
    for (n, ext, e) in events {
        let Some(block) = walk.blocks.get(n) else {
            continue;
        };
        let at = At {
            block,
            ext: *ext,
            deal: id,
        };
        for (milestone, detail) in replay.step(&at, e) {
            out.push(Finding {
                kind: Kind::Rule,
                deal: Some(id),
                milestone,
                block: Some(*n),
                event: Some(e.name()),
                detail,
            });
        }
    }
    out
}

/// Every payment and deposit the escrow's events announce matches the transfers the chain
/// itself recorded in the same extrinsic (native `Balances::Transfer`, or the token's
/// `Transfer`), to the unit and account, and the escrow sent nothing no event announces.
/// Extrinsics holding events of deals not in `deals` are skipped (their payments are
/// unknown here).
pub fn transfers(
    walk: &Walk,
    deals: &BTreeMap<DealId, (Asset, AccountId)>,
    config: &Config,
    escrow: &AccountId32,
) -> Vec<Finding> {
    type Book = BTreeMap<(Asset, [u8; 32]), i128>;
    let mut out = Vec::new();
    for block in walk.blocks.values() {
        let mut per_ext: BTreeMap<Option<u32>, (Book, Book, bool, Option<DealId>)> =
            BTreeMap::new();
        for (ext, e) in &block.events {
            let entry = per_ext.entry(*ext).or_default();
            let (pay, take, unknown, first) = entry;
            let deal = e.deal_id();
            if first.is_none() {
                *first = deal;
            }
            let known = deal.and_then(|d| deals.get(&d));
            if deal.is_some() && known.is_none() {
                *unknown = true;
                continue;
            }
            let add = |book: &mut Book, asset: Asset, who: &AccountId, v: u128| {
                *book.entry((asset, raw(who))).or_default() +=
                    i128::try_from(v).unwrap_or(i128::MAX);
            };
            match (e, known) {
                (EscrowEvent::MilestoneReleased(r), Some((asset, _))) => {
                    add(pay, *asset, &r.payee, r.amount);
                    add(pay, *asset, &config.fee_recipient, r.fee);
                }
                (EscrowEvent::MilestoneRefunded(r), Some((asset, _))) => {
                    add(pay, *asset, &r.buyer, r.amount)
                }
                (EscrowEvent::DisputeResolved(d), Some((asset, buyer))) => {
                    add(pay, *asset, &d.payee, d.to_seller);
                    add(pay, *asset, &config.fee_recipient, d.fee);
                    add(pay, *asset, buyer, d.to_buyer);
                }
                (EscrowEvent::PayoutDeferred(p), _) => {
                    *pay.entry((p.asset, raw(&p.account))).or_default() -=
                        i128::try_from(p.amount).unwrap_or(i128::MAX)
                }
                (EscrowEvent::Withdrawn(w), _) => add(pay, w.asset, &w.to, w.amount),
                (EscrowEvent::DealFunded(f), Some((asset, _))) => {
                    add(take, *asset, &f.funder, f.amount)
                }
                _ => {}
            }
        }
        for t in &block.transfers {
            let entry = per_ext.entry(t.extrinsic).or_default();
            if t.from == escrow.0 {
                *entry.0.entry((t.asset, t.to)).or_default() -=
                    i128::try_from(t.amount).unwrap_or(i128::MAX);
            } else if !entry.1.is_empty() || entry.3.is_some() {
                // A transfer into the escrow counts against the deposits its events announce;
                // one in an extrinsic without escrow events (a gift, the instantiation) is
                // surplus, not a violation.
                *entry.1.entry((t.asset, t.from)).or_default() -=
                    i128::try_from(t.amount).unwrap_or(i128::MAX);
            }
        }
        for (ext, (pay, take, unknown, deal)) in per_ext {
            if unknown {
                continue;
            }
            for (dir, book) in [("paid", pay), ("deposited", take)] {
                for ((asset, who), diff) in book.into_iter().filter(|(_, d)| *d != 0) {
                    out.push(Finding {
                        kind: Kind::Transfer,
                        deal,
                        milestone: None,
                        block: Some(block.number),
                        event: None,
                        detail: format!(
                            "extrinsic {}: the events say {} {dir} {} in {asset:?}, the chain's \
                             transfers differ by {diff}",
                            ext.map_or("-".into(), |x| x.to_string()),
                            if dir == "paid" { "the escrow" } else { "" },
                            ss58(&AccountId::from(who)),
                        ),
                    });
                }
            }
        }
    }
    out
}

/// Each claimable balance `of[i]` (stored as `records[i]`): the `PayoutDeferred` less the
/// `Withdrawn` on its trail make what storage says is claimable.
pub fn claims(
    walk: &Walk,
    of: &[(AccountId, Asset)],
    records: &[Claim],
) -> (Vec<ClaimAudit>, Vec<Finding>) {
    let mut audits = Vec::new();
    let mut findings = Vec::new();
    for (&(account, asset), c) in of.iter().zip(records) {
        let (mut deferred, mut withdrawn) = (0u128, 0u128);
        for (_, _, e) in walk.events() {
            match e {
                EscrowEvent::PayoutDeferred(p) if (p.account, p.asset) == (account, asset) => {
                    deferred = deferred.saturating_add(p.amount)
                }
                EscrowEvent::Withdrawn(w) if (w.account, w.asset) == (account, asset) => {
                    withdrawn = withdrawn.saturating_add(w.amount)
                }
                _ => {}
            }
        }
        if deferred.checked_sub(withdrawn) != Some(c.amount) {
            findings.push(Finding {
                kind: Kind::Claims,
                deal: None,
                milestone: None,
                block: Some(c.last_event_block),
                event: None,
                detail: format!(
                    "{} in {asset:?}: deferred {deferred} less withdrawn {withdrawn}, but \
                     storage holds {} claimable",
                    ss58(&account),
                    c.amount
                ),
            });
        }
        audits.push(ClaimAudit {
            account,
            asset,
            deferred,
            withdrawn,
            claimable: c.amount,
        });
    }
    (audits, findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{
        fixtures::*,
        walk::{self, Block},
    };
    use escrow_types::*;

    fn walk_of(blocks: Vec<Block>) -> Walk {
        Walk {
            blocks: blocks.into_iter().map(|b| (b.number, b)).collect(),
            forward: Vec::new(),
        }
    }

    /// The records' latest blocks for the reference history.
    fn lasts() -> BTreeMap<Trail, u32> {
        let id = DealId(0);
        [
            (Trail::Deal(id), 3),
            (Trail::Milestone(id, 0), 3),
            (Trail::Milestone(id, 1), 5),
            (Trail::Milestone(id, 2), 8),
        ]
        .into_iter()
        .collect()
    }

    /// Every check over a history of deal 0.
    fn findings(blocks: Vec<Block>) -> Vec<Finding> {
        let walk = walk_of(blocks);
        let events: Vec<(u32, Option<u32>, EscrowEvent)> = walk
            .events()
            .map(|(b, x, e)| (b.number, x, e.clone()))
            .collect();
        let deals = [(DealId(0), (Asset::Native, acc(1)))].into_iter().collect();
        let mut out = trails(&walk, &lasts());
        out.extend(deal_rules(DealId(0), &events, &walk, &config()));
        out.extend(transfers(&walk, &deals, &config(), &AccountId32(ESCROW)));
        out
    }

    /// The history with block `n`'s events (and time, caller, transfers) changed by `f`.
    fn with(n: u32, f: impl FnOnce(&mut Block)) -> Vec<Block> {
        let mut h = reference_history();
        f(h.iter_mut()
            .find(|b| b.number == n)
            .expect("a block of the history"));
        h
    }

    fn event(b: &mut Block, i: usize) -> &mut EscrowEvent {
        &mut b.events[i].1
    }

    /// Exactly one finding, of `kind`, at `milestone` and `block`, whose detail has `says`.
    #[track_caller]
    fn one(found: Vec<Finding>, kind: Kind, milestone: Option<u8>, block: u32, says: &str) {
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!(
            (f.kind, f.deal, f.milestone, f.block),
            (kind, Some(DealId(0)), milestone, Some(block)),
            "{f:#?}"
        );
        assert!(
            f.detail.contains(says),
            "{:?} does not say {says:?}",
            f.detail
        );
    }

    #[test]
    fn the_reference_history_breaks_no_rule() {
        assert_eq!(findings(reference_history()), vec![]);
    }

    /// The history with milestone 1 released at #5 (t=125) `via` alone, signed by `signer`:
    /// the attestation that released it in the reference history taken out.
    fn released_via(via: ReleaseVia, signer: u8) -> Vec<Block> {
        with(5, |b| {
            b.events.remove(0);
            b.callers.insert(1, vec![[signer; 32]]);
            if let EscrowEvent::MilestoneReleased(r) = event(b, 0) {
                r.via = via;
                r.prev_block = 4;
            }
        })
    }

    #[test]
    fn a_release_its_rule_did_not_allow_is_a_violation() {
        for (via, signer, says) in [
            // Signed by the oracle, not the buyer.
            (ReleaseVia::Buyer, 3, "the buyer did not sign it"),
            // At t=125, inside the review window of the submission at t=120.
            (ReleaseVia::Timeout, 7, "the review window ends at 130"),
            // Milestone 1 is not the deal's advance.
            (ReleaseVia::Advance, 3, "not the deal's advance"),
        ] {
            one(
                findings(released_via(via, signer)),
                Kind::Rule,
                Some(1),
                5,
                says,
            );
        }
    }

    #[test]
    fn an_oracle_release_without_a_quorum_of_distinct_named_oracles_is_a_violation() {
        // The attestation is by account 6, not one of the deal's oracles (and 6 signed it).
        let h = with(5, |b| {
            b.callers.insert(1, vec![[6; 32]]);
            if let EscrowEvent::MilestoneAttested(a) = event(b, 0) {
                a.oracle = acc(6);
            }
        });
        let f = findings(h);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(
            f[0].detail.contains("not one of the deal's oracles"),
            "{f:#?}"
        );
        assert!(
            f[1].detail
                .contains("0 distinct attestation(s) of the 1 needed"),
            "{f:#?}"
        );
        assert!(f
            .iter()
            .all(|x| x.kind == Kind::Rule && x.milestone == Some(1) && x.block == Some(5)));
    }

    #[test]
    fn a_refund_before_its_clock_is_a_violation() {
        // Milestone 2 refunded for a missed ship-by at t=150 (ship-by 500), instead of split.
        let h = with(8, |b| {
            *event(b, 0) = EscrowEvent::MilestoneRefunded(MilestoneRefunded {
                deal_id: DealId(0),
                buyer: acc(1),
                index: 2,
                amount: 300,
                reason: RefundReason::ShipByMissed,
                prev_block: 7,
            });
            b.transfers = vec![walk::Transfer {
                extrinsic: Some(1),
                asset: Asset::Native,
                from: ESCROW,
                to: [1; 32],
                amount: 300,
            }];
        });
        one(
            findings(h),
            Kind::Rule,
            Some(2),
            8,
            "ship-by 500, and it was submitted",
        );
    }

    #[test]
    fn a_split_outside_the_milestone_or_its_window_is_a_violation() {
        // 101 back to the buyer: more than the milestone's 300 in all (the chain paid it).
        let h = with(8, |b| {
            if let EscrowEvent::DisputeResolved(d) = event(b, 0) {
                d.to_buyer = 101;
            }
            b.transfers[2].amount = 101;
        });
        one(
            findings(h),
            Kind::Rule,
            Some(2),
            8,
            "not a split of the milestone's 300",
        );
        // The arbiter ruling after the arbitration window ended (t=155).
        let late = with(8, |b| b.time = 156);
        one(
            findings(late),
            Kind::Rule,
            Some(2),
            8,
            "after the arbitration window (155)",
        );
        // A fallback split before it ended.
        let early = with(8, |b| {
            b.callers.insert(1, vec![[7; 32]]);
            if let EscrowEvent::DisputeResolved(d) = event(b, 0) {
                d.resolution = Resolution::Fallback;
                (d.to_seller, d.fee, d.to_buyer) = (148, 2, 150);
            }
            b.transfers = vec![];
        });
        let f = findings(early);
        assert!(
            f.iter().any(|x| x.kind == Kind::Rule
                && x.detail.contains("before the arbitration window ended")),
            "{f:#?}"
        );
    }

    #[test]
    fn a_payment_the_chain_did_not_make_or_made_without_an_event_is_a_violation() {
        // The chain paid the seller 296 where the event says 297.
        let short = with(3, |b| b.transfers[1].amount = 296);
        one(findings(short), Kind::Transfer, None, 3, "differ by 1");
        // The escrow sent 5 to account 6 with no event announcing it.
        let extra = with(5, |b| {
            b.transfers.push(walk::Transfer {
                extrinsic: Some(1),
                asset: Asset::Native,
                from: ESCROW,
                to: [6; 32],
                amount: 5,
            })
        });
        one(findings(extra), Kind::Transfer, None, 5, "differ by -5");
        // A deposit the chain never received.
        let unpaid = with(3, |b| {
            b.transfers.remove(0);
        });
        one(findings(unpaid), Kind::Transfer, None, 3, "deposited");
    }

    #[test]
    fn a_broken_trail_is_a_violation() {
        // Milestone 1's release links back to block 4 instead of its own block 5.
        let h = with(5, |b| {
            if let EscrowEvent::MilestoneReleased(r) = event(b, 1) {
                r.prev_block = 4;
            }
        });
        one(
            findings(h),
            Kind::Trail,
            Some(1),
            5,
            "the previous event found on its trail is in block #5",
        );
        // An event missing from the chain (the submission of milestone 2): the dispute
        // links to a block with none of its trail's events.
        let mut gap = reference_history();
        gap.retain(|b| b.number != 6);
        let f = findings(gap);
        assert!(
            f.iter()
                .any(|x| x.kind == Kind::Trail && x.block == Some(7) && x.milestone == Some(2)),
            "{f:#?}"
        );
    }
}

#[cfg(test)]
mod claim_tests {
    use super::*;
    use crate::audit::fixtures::*;
    use escrow_types::*;

    #[test]
    fn deferred_less_withdrawn_must_be_what_is_claimable() {
        let deferred = EscrowEvent::PayoutDeferred(PayoutDeferred {
            deal_id: DealId(0),
            account: acc(FEE),
            asset: Asset::Native,
            amount: 3,
            prev_block: 0,
        });
        let withdrawn = EscrowEvent::Withdrawn(Withdrawn {
            account: acc(FEE),
            to: acc(FEE),
            asset: Asset::Native,
            amount: 3,
            prev_block: 3,
        });
        let walk = Walk {
            blocks: [
                block(3, 110, 1, vec![deferred], &[]),
                block(9, 200, FEE, vec![withdrawn], &[]),
            ]
            .into_iter()
            .map(|b| (b.number, b))
            .collect(),
            forward: Vec::new(),
        };
        let of = [(acc(FEE), Asset::Native)];
        let held = |amount| {
            [Claim {
                amount,
                last_event_block: 9,
            }]
        };
        let (audits, none) = claims(&walk, &of, &held(0));
        assert_eq!(none, vec![]);
        assert_eq!(
            (audits[0].deferred, audits[0].withdrawn, audits[0].claimable),
            (3, 3, 0)
        );
        let (_, found) = claims(&walk, &of, &held(2));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!((found[0].kind, found[0].block), (Kind::Claims, Some(9)));
        assert!(
            found[0]
                .detail
                .ends_with("deferred 3 less withdrawn 3, but storage holds 2 claimable"),
            "{:?}",
            found[0].detail
        );
    }
}
