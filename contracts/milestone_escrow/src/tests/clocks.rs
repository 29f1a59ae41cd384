//! What the clocks make due: settle_milestone and settle_due.
use super::*;

#[ink::test]
fn settle_milestone_releases_after_review_window() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(seller()).submit(id, 0, [0; 32]).unwrap();
    t.at(T0 + REVIEW);
    t.fails(Error::ReviewWindowOpen, |t| {
        t.by(stranger()).settle_milestone(id, 0)
    });
    t.at(T0 + REVIEW + 1);
    assert_eq!(t.by(stranger()).settle_milestone(id, 0), Ok(()));
    assert_eq!(T::balance(seller()), 297);
    assert_eq!(events_of::<MilestoneReleased>()[0].via, ReleaseVia::Timeout);
    t.fails(
        Error::WrongMilestoneState {
            found: MilestoneStatus::Released,
        },
        |t| t.by(stranger()).settle_milestone(id, 0),
    );
}

#[ink::test]
fn settle_milestone_refunds_after_missed_ship_by() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.at(SHIP_BY);
    t.fails(Error::ShipByNotPassed, |t| {
        t.by(stranger()).settle_milestone(id, 1)
    });
    t.fails(Error::ShipByNotPassed, |t| {
        t.by(stranger()).settle_milestone(id, 0)
    });
    t.at(SHIP_BY + 1);
    assert_eq!(t.by(stranger()).settle_milestone(id, 1), Ok(()));
    assert_eq!(T::balance(buyer()), 400);
    assert_eq!(
        events_of::<MilestoneRefunded>(),
        vec![MilestoneRefunded {
            deal_id: id,
            buyer: buyer(),
            index: 1,
            amount: 400,
            reason: RefundReason::ShipByMissed,
            prev_block: 0,
        }]
    );
    // Fully funded: funding stays open (and is complete anyway).
    assert!(!t.deal(id).funding_closed);
    t.assert_books(id);
}

#[ink::test]
fn missed_ship_by_of_partly_funded_milestone_closes_funding() {
    let mut t = T::new();
    let id = t.active(terms(), 500);
    t.at(SHIP_BY + 1);
    // Milestone 1 lapses; milestone 2 can never be funded now, so the same call lapses it
    // with nothing to refund.
    assert_eq!(t.by(stranger()).settle_due(id), Ok(2));
    assert_eq!(T::balance(buyer()), 200); // the covered part of milestone 1
    assert!(t.deal(id).funding_closed);
    assert_eq!(
        events_of::<MilestoneRefunded>()[1].reason,
        RefundReason::FundingClosed
    );
    assert_eq!(events_of::<MilestoneRefunded>()[1].amount, 0);
    // Milestone 0 (funded) still runs normally.
    assert_eq!(t.by(buyer()).approve(id, 0), Ok(()));
    assert_eq!(t.deal(id).status, DealStatus::Closed);
    assert_eq!(t.c.deal(id).unwrap().locked, 0);
    t.assert_books(id);
}

#[ink::test]
fn settle_milestone_applies_fallback_after_arbitration_window() {
    let mut t = T::new();
    let id = disputed(&mut t, false);
    t.at(T0 + ARBITRATION);
    t.fails(Error::ArbitrationWindowOpen, |t| {
        t.by(stranger()).settle_milestone(id, 0)
    });
    t.at(T0 + ARBITRATION + 1);
    assert_eq!(t.by(stranger()).settle_milestone(id, 0), Ok(()));
    // 50% fallback of 300: 150 gross to the seller (148 + 2 fee... 1% of 150 is 1), 150 back.
    assert_eq!(
        (
            T::balance(seller()),
            T::balance(fee_recipient()),
            T::balance(buyer())
        ),
        (149, 1, 150)
    );
    assert_eq!(
        events_of::<DisputeResolved>()[0].resolution,
        Resolution::Fallback
    );
}

#[ink::test]
fn settle_due_settles_everything_due() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.fails(Error::NothingDue, |t| t.by(stranger()).settle_due(id));
    t.by(seller()).submit(id, 0, [0; 32]).unwrap();
    t.by(seller()).submit(id, 2, [0; 32]).unwrap();
    t.by(buyer()).dispute(id, 2, [0; 32]).unwrap();
    t.at(SHIP_BY + ARBITRATION);
    assert_eq!(t.by(stranger()).settle_due(id), Ok(3));
    assert_eq!(t.deal(id).status, DealStatus::Closed);
    assert_eq!(t.c.deal(id).unwrap().locked, 0);
    // 0 released (297+3), 1 refunded (400), 2 fallback 150 → 149 + 1, 150 back.
    assert_eq!(
        (
            T::balance(seller()),
            T::balance(fee_recipient()),
            T::balance(buyer())
        ),
        (446, 4, 550)
    );
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Closed,
        },
        |t| t.by(stranger()).settle_due(id),
    );
    t.fails(Error::DealNotFound, |t| {
        t.by(stranger()).settle_due(DealId(3))
    });
}
