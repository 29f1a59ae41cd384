//! `escrow audit ID`: rebuilds a deal from the contract's events alone, compares the result
//! with contract storage, and checks `deposited = released + fees + refunded + locked`.
//! Exits 1 on any mismatch.
//!
//! Per asset: a deal is paid in one asset (native or a PSP22 token, fixed in its terms), so
//! every amount checked is in that asset (shown in its units in the table, its smallest
//! unit in JSON and CSV), the asset the events announce is checked against storage, and a
//! deferred payout in another asset is an anomaly. Receivable assignments are replayed too:
//! each milestone's payee as the events tell it (`ReceivableAssigned`) must be the one
//! storage holds, and every payment to the seller's side must have gone to it.

use std::io::Write;

use clap::{Args, ValueEnum};
use escrow_client::{
    accounts::{ss58, InkAccountId as AccountId},
    contract::{terms_hash, EscrowEvent},
    units::{self, Token},
    ClientError, Result,
};
use escrow_types::{Asset, DealId, DealStatus, DealView, MilestoneStatus, MilestoneView};
use serde_json::{json, Value as Json};

use super::w;
use crate::{
    render::{asset_json, RenderCtx},
    Ctx,
};

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Aligned text.
    Table,
    /// One JSON object.
    Json,
    /// CSV: check,events,storage,ok.
    Csv,
}

/// `escrow audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Deal id.
    pub deal: u64,
    /// Output format (--json implies json).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// First block to scan for events (the deal's proposal must be at or after it).
    #[arg(long, default_value_t = 0)]
    pub from: u32,
}

/// A deal as its events tell it.
#[derive(Debug, Default, Clone)]
pub struct Rebuilt {
    /// Seen a DealProposed.
    pub proposed: bool,
    /// Seen a DealClosed (`close_deal` recorded the closure).
    pub closure_recorded: bool,
    /// Status.
    pub status: Option<DealStatus>,
    /// Total of the milestones.
    pub total: u128,
    /// Deposits.
    pub deposited: u128,
    /// Paid to the seller.
    pub released: u128,
    /// Fees.
    pub fees: u128,
    /// Refunded.
    pub refunded: u128,
    /// Milestone statuses.
    pub milestones: Vec<MilestoneStatus>,
    /// The asset the proposal named.
    pub asset: Option<Asset>,
    /// Each milestone's payee: the seller, until a `ReceivableAssigned` moved it.
    pub payees: Vec<AccountId>,
    /// Terms hash announced.
    pub terms_hash: Option<[u8; 32]>,
    /// Terms hash recomputed from the announced terms.
    pub terms_hash_recomputed: Option<[u8; 32]>,
    /// Inconsistencies inside the event stream itself.
    pub anomalies: Vec<String>,
    /// Number of events applied.
    pub events: usize,
}

fn set(ms: &mut [MilestoneStatus], i: u8, s: MilestoneStatus, anomalies: &mut Vec<String>) {
    match ms.get_mut(usize::from(i)) {
        Some(m) => {
            if m.is_terminal() {
                anomalies.push(format!(
                    "milestone {i} changed after it was settled ({m:?} → {s:?})"
                ));
            }
            *m = s;
        }
        None => anomalies.push(format!(
            "event for milestone {i}, which the terms do not have"
        )),
    }
}

/// A payment to the seller's side of milestone `i` must go to its payee as the events
/// tell it.
fn paid_to(payees: &[AccountId], i: u8, to: &AccountId, event: &str, anomalies: &mut Vec<String>) {
    if let Some(p) = payees.get(usize::from(i)) {
        if p != to {
            anomalies.push(format!(
                "{event} of milestone {i} paid {}, but its payee per the events is {}",
                ss58(to),
                ss58(p)
            ));
        }
    }
}

/// Folds a deal's events (in chain order) into its state.
pub fn rebuild<'a>(events: impl IntoIterator<Item = &'a EscrowEvent>) -> Rebuilt {
    use EscrowEvent::*;
    let mut r = Rebuilt::default();
    for e in events {
        r.events += 1;
        let a = &mut r.anomalies;
        match e {
            DealProposed(p) => {
                r.proposed = true;
                r.status = Some(DealStatus::Proposed);
                r.asset = Some(p.terms.asset);
                r.payees = vec![p.seller; p.terms.milestones.len()];
                r.total = p
                    .terms
                    .milestones
                    .iter()
                    .map(|m| m.amount)
                    .fold(0u128, |s, x| s.saturating_add(x));
                r.milestones = vec![MilestoneStatus::Pending; p.terms.milestones.len()];
                r.terms_hash = Some(p.terms_hash);
                r.terms_hash_recomputed = Some(terms_hash(&p.terms));
            }
            DealWithdrawn(_) => r.status = Some(DealStatus::Withdrawn),
            DealAccepted(_) => r.status = Some(DealStatus::Active),
            DealFunded(f) => {
                let expected = r.deposited.saturating_add(f.amount);
                if f.deposited != expected {
                    a.push(format!(
                        "DealFunded says deposited {} but the deposits add up to {expected}",
                        f.deposited
                    ));
                }
                r.deposited = expected;
            }
            MilestoneSubmitted(s) => set(&mut r.milestones, s.index, MilestoneStatus::Submitted, a),
            MilestoneAttested(_) => {}
            MilestoneReleased(m) => {
                paid_to(&r.payees, m.index, &m.payee, "MilestoneReleased", a);
                r.released = r.released.saturating_add(m.amount);
                r.fees = r.fees.saturating_add(m.fee);
                set(&mut r.milestones, m.index, MilestoneStatus::Released, a);
            }
            MilestoneRefunded(m) => {
                r.refunded = r.refunded.saturating_add(m.amount);
                set(&mut r.milestones, m.index, MilestoneStatus::Refunded, a);
            }
            MilestoneDisputed(d) => set(&mut r.milestones, d.index, MilestoneStatus::Disputed, a),
            SettlementOffered(_)
            | CancellationProposed(_)
            | CancellationWithdrawn(_)
            | AmendmentProposed(_)
            | AmendmentAccepted(_)
            | AmendmentWithdrawn(_) => {}
            DisputeResolved(d) => {
                if d.to_seller > 0 {
                    paid_to(&r.payees, d.index, &d.payee, "DisputeResolved", a);
                }
                r.released = r.released.saturating_add(d.to_seller);
                r.fees = r.fees.saturating_add(d.fee);
                r.refunded = r.refunded.saturating_add(d.to_buyer);
                set(&mut r.milestones, d.index, MilestoneStatus::Resolved, a);
            }
            DealCancelled(_) => r.status = Some(DealStatus::Cancelled),
            // Deferred payouts are still counted as paid by the deal (credited to the payee),
            // in the deal's asset.
            PayoutDeferred(p) => {
                if r.asset.is_some_and(|asset| asset != p.asset) {
                    a.push(format!(
                        "PayoutDeferred in {:?}, but the deal is paid in {:?}",
                        p.asset, r.asset
                    ));
                }
            }
            Withdrawn(_) => {}
            ReceivableAssigned(x) => {
                let mut changed = 0u8;
                for i in usize::from(x.from_index)..r.milestones.len() {
                    if r.milestones[i].is_terminal() {
                        continue;
                    }
                    if r.payees[i] != x.by {
                        a.push(format!(
                            "ReceivableAssigned by {} of milestone {i}, whose payee was {}",
                            ss58(&x.by),
                            ss58(&r.payees[i])
                        ));
                    }
                    r.payees[i] = x.to;
                    changed = changed.saturating_add(1);
                }
                if usize::from(x.from_index) >= r.milestones.len() {
                    a.push(format!(
                        "ReceivableAssigned from milestone {}, which the terms do not have",
                        x.from_index
                    ));
                }
                if changed != x.count {
                    a.push(format!(
                        "ReceivableAssigned says {} milestone(s) changed payee, the events \
                         leave {changed} unsettled from milestone {} on",
                        x.count, x.from_index
                    ));
                }
            }
            DealClosed(_) => {
                if !r.milestones.iter().all(|m| m.is_terminal()) {
                    a.push("DealClosed while a milestone is unsettled".into());
                }
                r.closure_recorded = true;
                r.status = Some(DealStatus::Closed);
            }
        }
    }
    // A deal is closed once its last milestone settles; DealClosed may come later or never.
    let all_settled = !r.milestones.is_empty() && r.milestones.iter().all(|m| m.is_terminal());
    if all_settled && matches!(r.status, Some(DealStatus::Active | DealStatus::Cancelled)) {
        r.status = Some(DealStatus::Closed);
    }
    r
}

/// One comparison.
#[derive(Debug, Clone)]
pub struct Check {
    /// What.
    pub name: String,
    /// From events.
    pub events: String,
    /// From storage.
    pub storage: String,
    /// Equal?
    pub ok: bool,
    /// Both sides are amounts in the deal's asset (smallest unit): the table shows them in
    /// the asset's units.
    pub amount: bool,
}

fn check(name: impl Into<String>, events: impl ToString, storage: impl ToString) -> Check {
    let (e, s) = (events.to_string(), storage.to_string());
    Check {
        name: name.into(),
        ok: e == s,
        events: e,
        storage: s,
        amount: false,
    }
}

/// A check of two amounts in the deal's asset.
fn check_amount(name: impl Into<String>, events: impl ToString, storage: impl ToString) -> Check {
    Check {
        amount: true,
        ..check(name, events, storage)
    }
}

/// Runs `audit`: reads the deal and its events at one best block, compares, reports.
pub async fn run(a: AuditArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let id = DealId(a.deal);
    let escrow = ctx.escrow().await?;
    let reads = escrow.reads_at_best().await?;
    let (view, ms) = reads.deal_with_milestones(id).await?;
    ctx.learn_deal_asset(id, view.deal.asset).await;
    let rc = ctx.render();
    let (_, best) = escrow.chain().best().await?;
    let found = escrow
        .chain()
        .scan_events(escrow.address(), a.from, best)
        .await?;
    let r = rebuild(
        found
            .iter()
            .map(|f| &f.event)
            .filter(|e| e.deal_id() == Some(id)),
    );
    let checks = compare(&r, &view, &ms, &rc);
    let bad = checks.iter().filter(|c| !c.ok).count();
    let format = if ctx.global.json {
        Format::Json
    } else {
        a.format
    };
    let asset = Audited {
        label: rc.asset_label(&view.deal.asset),
        json: asset_json(&view.deal.asset, &rc),
        units: rc.units(&view.deal.asset),
    };
    write_report(out, format, a.deal, r.events, &checks, &asset)?;
    if bad > 0 {
        return Err(ClientError::AuditMismatch(bad));
    }
    Ok(())
}

/// Every check of the rebuilt deal against storage, and of storage against itself.
fn compare(r: &Rebuilt, view: &DealView, ms: &[MilestoneView], rc: &RenderCtx) -> Vec<Check> {
    let d = &view.deal;
    let mut checks = vec![
        check("proposal event found", r.proposed, true),
        check(
            "asset",
            r.asset
                .map(|a| rc.asset_label(&a))
                .unwrap_or_else(|| "none".into()),
            rc.asset_label(&d.asset),
        ),
        check(
            "status",
            format!("{:?}", r.status.unwrap_or(DealStatus::Proposed)),
            format!("{:?}", d.status),
        ),
        check_amount("total", r.total, d.total),
        check("milestone count", r.milestones.len(), d.milestone_count),
        check_amount("deposited", r.deposited, d.deposited),
        check_amount("released (to seller, net)", r.released, d.released),
        check_amount("fees", r.fees, d.fees),
        check_amount("refunded", r.refunded, d.refunded),
        check(
            "closure recorded (DealClosed)",
            r.closure_recorded,
            d.closure_recorded,
        ),
    ];
    let ev_locked = r
        .deposited
        .checked_sub(r.released)
        .and_then(|x| x.checked_sub(r.fees))
        .and_then(|x| x.checked_sub(r.refunded));
    checks.push(check_amount(
        "locked",
        ev_locked
            .map(|v| v.to_string())
            .unwrap_or_else(|| "negative".into()),
        view.locked,
    ));
    let sum = d
        .released
        .checked_add(d.fees)
        .and_then(|x| x.checked_add(d.refunded))
        .and_then(|x| x.checked_add(view.locked));
    checks.push(check_amount(
        "storage: deposited = released + fees + refunded + locked",
        sum.map(|v| v.to_string())
            .unwrap_or_else(|| "overflow".into()),
        d.deposited,
    ));
    let settled = r.milestones.iter().filter(|m| m.is_terminal()).count();
    checks.push(check("settled milestones", settled, d.settled_count));
    for m in ms {
        let ev = r
            .milestones
            .get(usize::from(m.index))
            .map(|s| format!("{s:?}"))
            .unwrap_or_else(|| "missing".into());
        checks.push(check(
            format!("milestone {} status", m.index),
            ev,
            format!("{:?}", m.milestone.status),
        ));
        checks.push(check(
            format!("milestone {} payee", m.index),
            r.payees
                .get(usize::from(m.index))
                .map(ss58)
                .unwrap_or_else(|| "missing".into()),
            ss58(&m.payee),
        ));
    }
    let hex = |h: Option<[u8; 32]>| h.map(|h| units::hex0x(&h)).unwrap_or_else(|| "none".into());
    checks.push(check(
        "terms hash (announced)",
        hex(r.terms_hash),
        units::hex0x(&d.terms_hash),
    ));
    checks.push(check(
        "terms hash (recomputed from events)",
        hex(r.terms_hash_recomputed),
        units::hex0x(&d.terms_hash),
    ));
    for an in &r.anomalies {
        checks.push(Check {
            name: "event stream".into(),
            events: an.clone(),
            storage: String::new(),
            ok: false,
            amount: false,
        });
    }
    checks
}

/// The asset an audited deal is paid in, as the report shows it.
pub struct Audited {
    /// "USDT (PSP22 token 5F…, 6 decimals)".
    pub label: String,
    /// Its JSON ([`asset_json`]).
    pub json: Json,
    /// Its units (the table's amounts).
    pub units: Token,
}

/// An amount check's side in `units` (the table), as stored otherwise.
fn shown(v: &str, amount: bool, units: &Token) -> String {
    match (amount, v.parse::<u128>()) {
        (true, Ok(n)) => units.format(n),
        _ => v.to_string(),
    }
}

/// Writes the checks as one JSON object, CSV, or an aligned table.
fn write_report(
    out: &mut impl Write,
    format: Format,
    deal: u64,
    events: usize,
    checks: &[Check],
    asset: &Audited,
) -> Result<()> {
    let bad = checks.iter().filter(|c| !c.ok).count();
    match format {
        Format::Json => {
            let v = json!({
                "deal": deal,
                "asset": asset.json,
                "events": events,
                "ok": bad == 0,
                "mismatches": bad,
                "checks": checks.iter().map(|c| json!({"check": c.name, "events": c.events, "storage": c.storage, "ok": c.ok})).collect::<Vec<_>>(),
            });
            w(out, v.to_string())
        }
        Format::Csv => {
            w(out, "check,events,storage,ok")?;
            for c in checks {
                let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                w(
                    out,
                    format!("{},{},{},{}", q(&c.name), q(&c.events), q(&c.storage), c.ok),
                )?;
            }
            Ok(())
        }
        Format::Table => {
            w(
                out,
                format!(
                    "audit of deal {deal} from {events} event(s); paid in {}:",
                    asset.label
                ),
            )?;
            for c in checks {
                w(
                    out,
                    format!(
                        "  [{}] {:<56} events {:<24} storage {}",
                        if c.ok { "ok" } else { "MISMATCH" },
                        c.name,
                        shown(&c.events, c.amount, &asset.units),
                        shown(&c.storage, c.amount, &asset.units)
                    ),
                )?;
            }
            w(
                out,
                if bad == 0 {
                    "audit ok".to_string()
                } else {
                    format!("audit FAILED: {bad} mismatch(es)")
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_types::*;

    fn acc(b: u8) -> ink::primitives::AccountId {
        [b; 32].into()
    }

    fn terms(asset: Asset, amounts: &[u128]) -> DealTerms {
        DealTerms {
            buyer: acc(1),
            seller: acc(2),
            oracles: vec![],
            oracle_threshold: 0,
            arbiter: None,
            release_rule: ReleaseRule::Buyer,
            review_window: 1,
            arbitration_window: 1,
            fallback_seller_bps: 0,
            advance: false,
            agreement_hash: [0; 32],
            funder: None,
            fund_by: 5,
            asset,
            milestones: amounts
                .iter()
                .enumerate()
                .map(|(i, &amount)| MilestoneTerms {
                    amount,
                    terms_hash: [0; 32],
                    ship_by: 10 * (i as u64 + 1),
                })
                .collect(),
        }
    }

    fn proposed(terms: DealTerms) -> EscrowEvent {
        EscrowEvent::DealProposed(DealProposed {
            deal_id: DealId(0),
            buyer: acc(1),
            seller: acc(2),
            proposer: Role::Buyer,
            terms_hash: terms_hash(&terms),
            terms,
        })
    }

    fn funded(amount: u128) -> EscrowEvent {
        EscrowEvent::DealFunded(DealFunded {
            deal_id: DealId(0),
            funder: acc(1),
            amount,
            deposited: amount,
        })
    }

    fn released(index: u8, payee: u8, amount: u128, fee: u128) -> EscrowEvent {
        EscrowEvent::MilestoneReleased(MilestoneReleased {
            deal_id: DealId(0),
            payee: acc(payee),
            index,
            amount,
            fee,
            via: ReleaseVia::Buyer,
        })
    }

    fn assigned(by: u8, to: u8, from_index: u8, count: u8) -> EscrowEvent {
        EscrowEvent::ReceivableAssigned(ReceivableAssigned {
            deal_id: DealId(0),
            by: acc(by),
            to: acc(to),
            from_index,
            count,
        })
    }

    #[test]
    fn rebuild_folds_a_lifecycle() {
        let id = DealId(0);
        let mut evs = vec![
            proposed(terms(Asset::Native, &[60, 40])),
            EscrowEvent::DealAccepted(DealAccepted {
                deal_id: id,
                by: acc(2),
                at: 1,
            }),
            funded(100),
            released(0, 2, 59, 1),
            EscrowEvent::DisputeResolved(DisputeResolved {
                deal_id: id,
                resolution: Resolution::Arbiter,
                index: 1,
                to_seller: 20,
                payee: acc(2),
                fee: 0,
                to_buyer: 20,
            }),
        ];
        // Closed by its last settlement, before any DealClosed.
        let r = rebuild(&evs);
        assert_eq!(r.status, Some(DealStatus::Closed));
        assert!(!r.closure_recorded);
        evs.push(EscrowEvent::DealClosed(DealClosed { deal_id: id }));
        let r = rebuild(&evs);
        assert_eq!(r.status, Some(DealStatus::Closed));
        assert!(r.closure_recorded);
        assert_eq!(r.anomalies, Vec::<String>::new());
        assert_eq!(
            (r.deposited, r.released, r.fees, r.refunded),
            (100, 79, 1, 20)
        );
        assert_eq!(
            r.milestones,
            vec![MilestoneStatus::Released, MilestoneStatus::Resolved]
        );
        assert_eq!(r.terms_hash, r.terms_hash_recomputed);
        assert_eq!(r.asset, Some(Asset::Native));
        assert_eq!(r.payees, vec![acc(2), acc(2)]);
        // A replayed release is an anomaly.
        let mut bad = evs.clone();
        bad.push(evs[3].clone());
        assert_eq!(rebuild(&bad).anomalies.len(), 1);
    }

    #[test]
    fn an_assignment_moves_the_unsettled_payees_and_releases_must_follow_it() {
        let usdt = Asset::Psp22(acc(9));
        // Advance (milestone 0) released to the seller, then milestones 1 and 2 assigned
        // to the factor (7), who is paid milestone 1.
        let evs = vec![
            proposed(terms(usdt, &[30, 40, 30])),
            funded(100),
            released(0, 2, 30, 0),
            assigned(2, 7, 0, 2),
            released(1, 7, 40, 0),
        ];
        let r = rebuild(&evs);
        assert_eq!(r.anomalies, Vec::<String>::new());
        assert_eq!(r.asset, Some(usdt));
        assert_eq!(r.payees, vec![acc(2), acc(7), acc(7)]);
        // The factor assigns milestone 2 on, to 8.
        let mut again = evs.clone();
        again.push(assigned(7, 8, 2, 1));
        assert_eq!(rebuild(&again).payees, vec![acc(2), acc(7), acc(8)]);
        // A release to the seller after the assignment is an anomaly naming both.
        let mut wrong = evs[..4].to_vec();
        wrong.push(released(1, 2, 40, 0));
        let r = rebuild(&wrong);
        assert_eq!(r.anomalies.len(), 1);
        assert!(
            r.anomalies[0].starts_with("MilestoneReleased of milestone 1 paid")
                && r.anomalies[0].contains("but its payee per the events is"),
            "{:?}",
            r.anomalies
        );
        // An assignment by someone who is not the payee, or with another count.
        let mut foreign = evs[..3].to_vec();
        foreign.push(assigned(5, 7, 1, 2));
        let a = rebuild(&foreign).anomalies;
        assert_eq!(a.len(), 2, "{a:?}");
        assert!(a.iter().all(|x| x.contains("whose payee was")), "{a:?}");
        let mut miscounted = evs[..3].to_vec();
        miscounted.push(assigned(2, 7, 1, 1));
        assert_eq!(
            rebuild(&miscounted).anomalies,
            [
                "ReceivableAssigned says 1 milestone(s) changed payee, the events leave 2 \
              unsettled from milestone 1 on"
            ]
        );
    }

    #[test]
    fn a_deferred_payout_in_another_asset_is_an_anomaly() {
        let usdt = Asset::Psp22(acc(9));
        let deferred = |asset| {
            EscrowEvent::PayoutDeferred(PayoutDeferred {
                deal_id: DealId(0),
                account: acc(2),
                asset,
                amount: 5,
            })
        };
        let ok = [proposed(terms(usdt, &[10])), deferred(usdt)];
        assert_eq!(rebuild(&ok).anomalies, Vec::<String>::new());
        let bad = [proposed(terms(usdt, &[10])), deferred(Asset::Native)];
        assert_eq!(rebuild(&bad).anomalies.len(), 1);
    }

    #[test]
    fn the_audit_compares_asset_and_payees_with_storage_and_shows_amounts_in_the_asset() {
        let usdt = Asset::Psp22(acc(9));
        let evs = vec![
            proposed(terms(usdt, &[30_000_000, 70_000_000])),
            funded(100_000_000),
            assigned(2, 7, 1, 1),
        ];
        let r = rebuild(&evs);
        let t = terms(usdt, &[30_000_000, 70_000_000]);
        let deal = Deal {
            buyer: t.buyer,
            seller: t.seller,
            oracles: vec![],
            oracle_threshold: 0,
            arbiter: None,
            release_rule: ReleaseRule::Buyer,
            review_window: 1,
            arbitration_window: 1,
            fallback_seller_bps: 0,
            advance: false,
            agreement_hash: [0; 32],
            funder: None,
            fund_by: 5,
            asset: usdt,
            terms_hash: terms_hash(&t),
            milestone_count: 2,
            total: 100_000_000,
            proposer: Role::Buyer,
            status: DealStatus::Proposed,
            proposed_at: 0,
            accepted_at: None,
            deposited: 100_000_000,
            released: 0,
            fees: 0,
            refunded: 0,
            settled_count: 0,
            funding_closed: false,
            cancel_proposed_by: None,
            closure_recorded: false,
        };
        let view = DealView {
            id: DealId(0),
            deal,
            locked: 100_000_000,
        };
        let ms: Vec<MilestoneView> = (0..2u8)
            .map(|i| MilestoneView {
                index: i,
                milestone: Milestone {
                    amount: t.milestones[usize::from(i)].amount,
                    terms_hash: [0; 32],
                    ship_by: 0,
                    funded_from: 0,
                    status: MilestoneStatus::Pending,
                    evidence_hash: None,
                    submitted_at: None,
                    attestations: 0,
                    dispute: None,
                    amendment: None,
                    outcome: None,
                },
                payee: if i == 0 { acc(2) } else { acc(7) },
                covered: 0,
                review_ends: None,
                arbitration_ends: None,
            })
            .collect();
        let mut rc = RenderCtx::default();
        rc.tokens.insert(
            [9; 32],
            escrow_client::token::TokenInfo {
                address: subxt::utils::AccountId32([9; 32]),
                name: "US Dollar".into(),
                symbol: "USDT".into(),
                decimals: 6,
            },
        );
        let checks = compare(&r, &view, &ms, &rc);
        let bad: Vec<_> = checks.iter().filter(|c| !c.ok).collect();
        assert!(bad.is_empty(), "{bad:#?}");
        let asset = checks.iter().find(|c| c.name == "asset").unwrap();
        assert!(asset.storage.starts_with("USDT (PSP22 token"), "{asset:?}");
        let payee1 = checks
            .iter()
            .find(|c| c.name == "milestone 1 payee")
            .unwrap();
        assert_eq!(payee1.storage, ss58(&acc(7)));
        // Storage says milestone 1 still pays the seller: a mismatch.
        let mut stale = ms.clone();
        stale[1].payee = acc(2);
        let c = compare(&r, &view, &stale, &rc);
        let m: Vec<_> = c
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(m, ["milestone 1 payee"]);
        // The table shows amounts in the asset's units; JSON keeps the smallest unit.
        let audited = Audited {
            label: rc.asset_label(&usdt),
            json: asset_json(&usdt, &rc),
            units: rc.units(&usdt),
        };
        let mut table = Vec::new();
        write_report(&mut table, Format::Table, 0, 3, &checks, &audited).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.contains("paid in USDT (PSP22 token"), "{table}");
        assert!(table.contains("events 100 USDT"), "{table}");
        let mut j = Vec::new();
        write_report(&mut j, Format::Json, 0, 3, &checks, &audited).unwrap();
        let j: Json = serde_json::from_slice(&j).unwrap();
        assert_eq!(j["asset"]["symbol"], "USDT");
        let dep = j["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "deposited")
            .unwrap();
        assert_eq!(dep["events"], "100000000");
    }
}
