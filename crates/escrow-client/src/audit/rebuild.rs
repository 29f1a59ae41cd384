//! A deal rebuilt from its events alone: status, money, milestones, payees, and the
//! inconsistencies inside the event stream itself.

use escrow_types::{Asset, DealStatus, MilestoneStatus};
use ink::primitives::AccountId;

use crate::{
    accounts::ss58,
    contract::{terms_hash, EscrowEvent},
};

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

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_types::*;

    use crate::audit::fixtures::*;

    #[test]
    fn rebuild_folds_a_lifecycle() {
        let id = DealId(0);
        let mut evs = vec![
            proposed(terms(Asset::Native, &[60, 40])),
            EscrowEvent::DealAccepted(DealAccepted {
                deal_id: id,
                by: acc(2),
                at: 1,
                prev_block: 0,
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
                prev_block: 0,
            }),
        ];
        // Closed by its last settlement, before any DealClosed.
        let r = rebuild(&evs);
        assert_eq!(r.status, Some(DealStatus::Closed));
        assert!(!r.closure_recorded);
        evs.push(EscrowEvent::DealClosed(DealClosed {
            deal_id: id,
            prev_block: 0,
        }));
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
                prev_block: 0,
            })
        };
        let ok = [proposed(terms(usdt, &[10])), deferred(usdt)];
        assert_eq!(rebuild(&ok).anomalies, Vec::<String>::new());
        let bad = [proposed(terms(usdt, &[10])), deferred(Asset::Native)];
        assert_eq!(rebuild(&bad).anomalies.len(), 1);
    }
}
