//! Releases by the buyer (approve, approve_through) and by the oracles (attest).
use super::*;

#[ink::test]
fn approve_works() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(seller()).submit(id, 2, [1; 32]).unwrap();
    assert_eq!(t.by(buyer()).approve(id, 2), Ok(()));
    assert_eq!(T::balance(seller()), 297);
    assert_eq!(T::balance(fee_recipient()), 3);
    // Unsubmitted but funded milestones may be approved too.
    assert_eq!(t.by(buyer()).approve(id, 0), Ok(()));
    assert_eq!(T::balance(seller()), 594);
    let d = t.deal(id);
    assert_eq!(
        (d.released, d.fees, d.settled_count, d.status),
        (594, 6, 2, DealStatus::Active)
    );
    assert_eq!(
        t.m(id, 2).outcome,
        Some(Outcome {
            to_seller: 297,
            fee: 3,
            to_buyer: 0
        })
    );
    t.assert_books(id);
}

#[ink::test]
fn approve_rejects_non_buyer_rule_and_replay() {
    let mut t = T::new();
    let id = t.active(terms(), 300);
    for who in [seller(), oracle1(), arbiter(), stranger()] {
        t.fails(Error::CallerIsNotBuyer, |t| t.by(who).approve(id, 0));
    }
    t.fails(Error::MilestoneNotFunded, |t| t.by(buyer()).approve(id, 1));
    assert_eq!(t.by(buyer()).approve(id, 0), Ok(()));
    let seller_before = T::balance(seller());
    t.fails(
        Error::WrongMilestoneState {
            found: MilestoneStatus::Released,
        },
        |t| t.by(buyer()).approve(id, 0),
    );
    assert_eq!(T::balance(seller()), seller_before);

    let mut oracles_only = terms();
    oracles_only.release_rule = ReleaseRule::Oracles;
    let id = t.active(oracles_only, 1_000);
    t.fails(Error::RuleForbidsBuyerRelease, |t| {
        t.by(buyer()).approve(id, 0)
    });
    t.fails(Error::RuleForbidsBuyerRelease, |t| {
        t.by(buyer()).approve_through(id, 2)
    });
}

#[ink::test]
fn approve_through_works() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(buyer()).approve(id, 0).unwrap();
    assert_eq!(t.by(buyer()).approve_through(id, 2), Ok(2));
    assert_eq!(T::balance(seller()), 297 + 396 + 297);
    assert_eq!(T::balance(fee_recipient()), 3 + 4 + 3);
    let d = t.deal(id);
    assert_eq!((d.status, d.settled_count), (DealStatus::Closed, 3));
    // Closed as soon as all are settled; the closure is recorded by `close_deal`.
    assert_eq!(events_of::<DealClosed>(), vec![]);
    assert_eq!(t.c.deal(id).unwrap().locked, 0);
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Closed,
        },
        |t| t.by(buyer()).approve_through(id, 2),
    );
}

#[ink::test]
fn approve_through_rejects_disputed_unfunded_and_empty_ranges() {
    let mut t = T::new();
    let id = t.active(terms(), 700);
    t.fails(Error::MilestoneNotFound, |t| {
        t.by(buyer()).approve_through(id, 3)
    });
    t.fails(Error::MilestoneNotFunded, |t| {
        t.by(buyer()).approve_through(id, 2)
    });
    t.fails(Error::CallerIsNotBuyer, |t| {
        t.by(seller()).approve_through(id, 0)
    });
    t.by(seller()).submit(id, 1, [0; 32]).unwrap();
    t.by(buyer()).dispute(id, 1, [0; 32]).unwrap();
    t.fails(Error::MilestoneDisputed, |t| {
        t.by(buyer()).approve_through(id, 1)
    });
    assert_eq!(t.by(buyer()).approve_through(id, 0), Ok(1));
    t.fails(Error::NothingToRelease, |t| {
        t.by(buyer()).approve_through(id, 0)
    });
}

#[ink::test]
fn attest_works_at_threshold() {
    let mut t = T::new();
    let mut two_of_two = terms();
    two_of_two.oracle_threshold = 2;
    let id = t.active(two_of_two, 1_000);
    assert_eq!(t.by(oracle2()).attest(id, 1), Ok(()));
    assert_eq!(t.status(id, 1), MilestoneStatus::Pending);
    assert_eq!(t.m(id, 1).attestations, 0b10);
    t.fails(Error::AlreadyAttested, |t| t.by(oracle2()).attest(id, 1));
    assert_eq!(t.by(oracle1()).attest(id, 1), Ok(()));
    assert_eq!(t.status(id, 1), MilestoneStatus::Released);
    assert_eq!(T::balance(seller()), 396);
    assert_eq!(
        events_of::<MilestoneAttested>(),
        vec![
            MilestoneAttested {
                deal_id: id,
                oracle: oracle2(),
                index: 1,
                attestations: 1,
                threshold: 2,
                prev_block: 0,
            },
            MilestoneAttested {
                deal_id: id,
                oracle: oracle1(),
                index: 1,
                attestations: 2,
                threshold: 2,
                prev_block: 0,
            },
        ]
    );
    assert_eq!(events_of::<MilestoneReleased>()[0].via, ReleaseVia::Oracles);
    t.fails(
        Error::WrongMilestoneState {
            found: MilestoneStatus::Released,
        },
        |t| t.by(oracle1()).attest(id, 1),
    );
}

#[ink::test]
fn attest_rejects_non_oracles_rule_and_late_attestation() {
    let mut t = T::new();
    let id = t.active(terms(), 500);
    for who in [buyer(), seller(), arbiter(), stranger()] {
        t.fails(Error::CallerIsNotOracle, |t| t.by(who).attest(id, 0));
    }
    t.fails(Error::MilestoneNotFunded, |t| t.by(oracle1()).attest(id, 1));
    t.paying(buyer(), 500).fund(id).unwrap();
    t.at(SHIP_BY + 1);
    t.fails(Error::ShipByPassed, |t| t.by(oracle1()).attest(id, 1));

    let mut buyer_only = terms();
    buyer_only.release_rule = ReleaseRule::Buyer;
    t.at(T0);
    let id = t.active(buyer_only, 1_000);
    t.fails(Error::RuleForbidsOracles, |t| t.by(oracle1()).attest(id, 0));
}

#[ink::test]
fn attest_after_submission_releases() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(seller()).submit(id, 1, [0; 32]).unwrap();
    t.at(SHIP_BY + 50);
    assert_eq!(t.by(oracle1()).attest(id, 1), Ok(()));
    assert_eq!(t.status(id, 1), MilestoneStatus::Released);
}
