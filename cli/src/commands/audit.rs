//! `escrow audit ID`: rebuilds a deal from the contract's events alone, compares the result
//! with contract storage, and checks `deposited = released + fees + refunded + locked`.
//! Exits 1 on any mismatch.

use std::io::Write;

use clap::{Args, ValueEnum};
use escrow_client::{
    contract::{terms_hash, EscrowEvent},
    units, ClientError, Result,
};
use escrow_types::{DealId, DealStatus, DealView, MilestoneStatus, MilestoneView};
use serde_json::json;

use super::w;
use crate::Ctx;

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
                r.released = r.released.saturating_add(d.to_seller);
                r.fees = r.fees.saturating_add(d.fee);
                r.refunded = r.refunded.saturating_add(d.to_buyer);
                set(&mut r.milestones, d.index, MilestoneStatus::Resolved, a);
            }
            DealCancelled(_) => r.status = Some(DealStatus::Cancelled),
            // Deferred payouts are still counted as paid by the deal (credited to the payee).
            PayoutDeferred(_) | Withdrawn(_) => {}
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
}

fn check(name: impl Into<String>, events: impl ToString, storage: impl ToString) -> Check {
    let (e, s) = (events.to_string(), storage.to_string());
    Check {
        name: name.into(),
        ok: e == s,
        events: e,
        storage: s,
    }
}

/// Runs `audit`: reads the deal and its events at one best block, compares, reports.
pub async fn run(a: AuditArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let id = DealId(a.deal);
    let escrow = ctx.escrow().await?;
    let reads = escrow.reads_at_best().await?;
    let (view, ms) = reads.deal_with_milestones(id).await?;
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
    let checks = compare(&r, &view, &ms);
    let bad = checks.iter().filter(|c| !c.ok).count();
    let format = if ctx.global.json {
        Format::Json
    } else {
        a.format
    };
    write_report(out, format, a.deal, r.events, &checks)?;
    if bad > 0 {
        return Err(ClientError::AuditMismatch(bad));
    }
    Ok(())
}

/// Every check of the rebuilt deal against storage, and of storage against itself.
fn compare(r: &Rebuilt, view: &DealView, ms: &[MilestoneView]) -> Vec<Check> {
    let d = &view.deal;
    let mut checks = vec![
        check("proposal event found", r.proposed, true),
        check(
            "status",
            format!("{:?}", r.status.unwrap_or(DealStatus::Proposed)),
            format!("{:?}", d.status),
        ),
        check("total", r.total, d.total),
        check("milestone count", r.milestones.len(), d.milestone_count),
        check("deposited", r.deposited, d.deposited),
        check("released (to seller, net)", r.released, d.released),
        check("fees", r.fees, d.fees),
        check("refunded", r.refunded, d.refunded),
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
    checks.push(check(
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
    checks.push(check(
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
        });
    }
    checks
}

/// Writes the checks as one JSON object, CSV, or an aligned table.
fn write_report(
    out: &mut impl Write,
    format: Format,
    deal: u64,
    events: usize,
    checks: &[Check],
) -> Result<()> {
    let bad = checks.iter().filter(|c| !c.ok).count();
    match format {
        Format::Json => {
            let v = json!({
                "deal": deal,
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
            w(out, format!("audit of deal {deal} from {events} event(s):"))?;
            for c in checks {
                w(
                    out,
                    format!(
                        "  [{}] {:<56} events {:<24} storage {}",
                        if c.ok { "ok" } else { "MISMATCH" },
                        c.name,
                        c.events,
                        c.storage
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

    #[test]
    fn rebuild_folds_a_lifecycle() {
        let terms = DealTerms {
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
            milestones: vec![
                MilestoneTerms {
                    amount: 60,
                    terms_hash: [0; 32],
                    ship_by: 10,
                },
                MilestoneTerms {
                    amount: 40,
                    terms_hash: [0; 32],
                    ship_by: 20,
                },
            ],
        };
        let id = DealId(0);
        let mut evs = vec![
            EscrowEvent::DealProposed(DealProposed {
                deal_id: id,
                buyer: acc(1),
                seller: acc(2),
                proposer: Role::Buyer,
                terms_hash: terms_hash(&terms),
                terms,
            }),
            EscrowEvent::DealAccepted(DealAccepted {
                deal_id: id,
                by: acc(2),
                at: 1,
            }),
            EscrowEvent::DealFunded(DealFunded {
                deal_id: id,
                funder: acc(1),
                amount: 100,
                deposited: 100,
            }),
            EscrowEvent::MilestoneReleased(MilestoneReleased {
                deal_id: id,
                seller: acc(2),
                index: 0,
                amount: 59,
                fee: 1,
                via: ReleaseVia::Buyer,
            }),
            EscrowEvent::DisputeResolved(DisputeResolved {
                deal_id: id,
                resolution: Resolution::Arbiter,
                index: 1,
                to_seller: 20,
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
        assert!(r.anomalies.is_empty());
        // A replayed release is an anomaly.
        let mut bad = evs.clone();
        bad.push(evs[3].clone());
        assert_eq!(rebuild(&bad).anomalies.len(), 1);
    }
}
