//! The rebuilt deal against contract storage, check by check.

use escrow_types::{Asset, DealStatus, DealView, MilestoneView};

use super::rebuild::Rebuilt;
use crate::{accounts::ss58, units};

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

pub fn check(name: impl Into<String>, events: impl ToString, storage: impl ToString) -> Check {
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
pub fn check_amount(
    name: impl Into<String>,
    events: impl ToString,
    storage: impl ToString,
) -> Check {
    Check {
        amount: true,
        ..check(name, events, storage)
    }
}

/// Every check of the rebuilt deal against storage, and of storage against itself.
pub fn compare(
    r: &Rebuilt,
    view: &DealView,
    ms: &[MilestoneView],
    label: &dyn Fn(&Asset) -> String,
) -> Vec<Check> {
    let d = &view.deal;
    let mut checks = vec![
        check("proposal event found", r.proposed, true),
        check(
            "asset",
            r.asset.map(|a| label(&a)).unwrap_or_else(|| "none".into()),
            label(&d.asset),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{fixtures::*, rebuild::rebuild};
    use crate::contract::terms_hash;
    use escrow_types::*;

    #[test]
    fn the_audit_compares_asset_and_payees_with_storage() {
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
            last_event_block: 0,
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
                    last_event_block: 0,
                },
                payee: if i == 0 { acc(2) } else { acc(7) },
                covered: 0,
                review_ends: None,
                arbitration_ends: None,
            })
            .collect();
        let label = |a: &Asset| match a {
            Asset::Native => "UNIT".to_string(),
            Asset::Psp22(_) => "USDT (PSP22 token)".to_string(),
        };
        let checks = compare(&r, &view, &ms, &label);
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
        let c = compare(&r, &view, &stale, &label);
        let m: Vec<_> = c
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(m, ["milestone 1 payee"]);
    }
}
