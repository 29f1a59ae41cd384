//! Disputes and how they end: a settlement or the arbiter's ruling.
use super::*;

#[ink::test]
fn dispute_works_within_window() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(seller()).submit(id, 0, [0; 32]).unwrap();
    t.at(T0 + REVIEW); // last moment of the window
    assert_eq!(t.by(buyer()).dispute(id, 0, [4; 32]), Ok(()));
    let v = t.c.milestone(id, 0).unwrap();
    assert_eq!(v.milestone.status, MilestoneStatus::Disputed);
    assert_eq!(v.arbitration_ends, Some(T0 + REVIEW + ARBITRATION));
    assert_eq!(
        events_of::<MilestoneDisputed>(),
        vec![MilestoneDisputed {
            deal_id: id,
            by: buyer(),
            index: 0,
            reason_hash: [4; 32],
            arbitration_ends: T0 + REVIEW + ARBITRATION,
            prev_block: 0,
        }]
    );
    // Other milestones carry on.
    assert_eq!(t.by(buyer()).approve(id, 2), Ok(()));
}

#[ink::test]
fn dispute_rejects_late_strangers_and_unsubmitted() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.fails(
        Error::WrongMilestoneState {
            found: MilestoneStatus::Pending,
        },
        |t| t.by(buyer()).dispute(id, 0, [0; 32]),
    );
    t.by(seller()).submit(id, 0, [0; 32]).unwrap();
    for who in [oracle1(), arbiter(), stranger()] {
        t.fails(Error::CallerIsNotParty, |t| {
            t.by(who).dispute(id, 0, [0; 32])
        });
    }
    t.at(T0 + REVIEW + 1);
    t.fails(Error::ReviewWindowClosed, |t| {
        t.by(buyer()).dispute(id, 0, [0; 32])
    });
    t.fails(Error::ReviewWindowClosed, |t| {
        t.by(seller()).dispute(id, 0, [0; 32])
    });
}

#[ink::test]
fn settlement_works() {
    let mut t = T::new();
    let id = disputed(&mut t, true);
    assert_eq!(t.by(seller()).offer_settlement(id, 0, 250), Ok(()));
    assert_eq!(t.by(buyer()).offer_settlement(id, 0, 200), Ok(()));
    t.fails(Error::OfferMismatch, |t| {
        t.by(seller()).accept_settlement(id, 0, 250)
    });
    t.fails(Error::CannotAcceptOwnProposal, |t| {
        t.by(buyer()).accept_settlement(id, 0, 200)
    });
    t.fails(Error::CallerIsNotParty, |t| {
        t.by(arbiter()).accept_settlement(id, 0, 200)
    });
    assert_eq!(t.by(seller()).accept_settlement(id, 0, 200), Ok(()));
    // Fee on the seller's part only: 200 → 198 + 2; the buyer gets 100 back.
    assert_eq!(T::balance(seller()), 198);
    assert_eq!(T::balance(fee_recipient()), 2);
    assert_eq!(T::balance(buyer()), 100);
    assert_eq!(
        events_of::<DisputeResolved>(),
        vec![DisputeResolved {
            deal_id: id,
            resolution: Resolution::Settlement,
            index: 0,
            to_seller: 198,
            payee: seller(),
            fee: 2,
            to_buyer: 100,
            prev_block: 0,
        }]
    );
    assert_eq!(t.status(id, 0), MilestoneStatus::Resolved);
    t.assert_books(id);
    t.fails(
        Error::WrongMilestoneState {
            found: MilestoneStatus::Resolved,
        },
        |t| t.by(seller()).accept_settlement(id, 0, 200),
    );
}

#[ink::test]
fn settlement_rejects_missing_and_oversized_offers() {
    let mut t = T::new();
    let id = disputed(&mut t, true);
    t.fails(Error::NoOffer, |t| {
        t.by(seller()).accept_settlement(id, 0, 0)
    });
    t.fails(Error::SplitExceedsAmount, |t| {
        t.by(seller()).offer_settlement(id, 0, 301)
    });
    t.fails(Error::CallerIsNotParty, |t| {
        t.by(stranger()).offer_settlement(id, 0, 1)
    });
    t.fails(
        Error::WrongMilestoneState {
            found: MilestoneStatus::Pending,
        },
        |t| t.by(seller()).offer_settlement(id, 1, 1),
    );
}

#[ink::test]
fn resolve_dispute_works() {
    let mut t = T::new();
    let id = disputed(&mut t, true);
    assert_eq!(t.by(arbiter()).resolve_dispute(id, 0, 300), Ok(()));
    assert_eq!(
        (
            T::balance(seller()),
            T::balance(fee_recipient()),
            T::balance(buyer())
        ),
        (297, 3, 0)
    );
    assert_eq!(
        events_of::<DisputeResolved>()[0].resolution,
        Resolution::Arbiter
    );
    t.fails(
        Error::WrongMilestoneState {
            found: MilestoneStatus::Resolved,
        },
        |t| t.by(arbiter()).resolve_dispute(id, 0, 300),
    );
}

#[ink::test]
fn resolve_dispute_rejects_non_arbiter_and_oversplit() {
    let mut t = T::new();
    let id = disputed(&mut t, true);
    for who in [buyer(), seller(), oracle1(), stranger()] {
        t.fails(Error::CallerIsNotArbiter, |t| {
            t.by(who).resolve_dispute(id, 0, 1)
        });
    }
    t.fails(Error::SplitExceedsAmount, |t| {
        t.by(arbiter()).resolve_dispute(id, 0, 301)
    });
    let id = disputed(&mut t, false);
    t.fails(Error::CallerIsNotArbiter, |t| {
        t.by(arbiter()).resolve_dispute(id, 0, 1)
    });
}
