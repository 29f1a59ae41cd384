//! Deposits (fund) and delivery (submit).
use super::*;

#[ink::test]
fn fund_works_in_order() {
    let mut t = T::new();
    let id = t.active(terms(), 0);
    assert_eq!(t.paying(buyer(), 500).fund(id), Ok(()));
    let v = t.c.milestone(id, 1).unwrap();
    assert_eq!(v.covered, 200);
    assert!(t.m(id, 0).is_funded(500));
    assert!(!t.m(id, 1).is_funded(500));
    assert_eq!(t.paying(buyer(), 500).fund(id), Ok(()));
    assert_eq!(t.deal(id).deposited, 1_000);
    assert_eq!(
        events_of::<DealFunded>(),
        vec![
            DealFunded {
                deal_id: id,
                funder: buyer(),
                amount: 500,
                deposited: 500,
                prev_block: 0,
            },
            DealFunded {
                deal_id: id,
                funder: buyer(),
                amount: 500,
                deposited: 1_000,
                prev_block: 0,
            },
        ]
    );
    t.fails(Error::OverFunded { remaining: 0 }, |t| {
        t.paying(buyer(), 1).fund(id)
    });
}

#[ink::test]
fn fund_rejects_bad_states_and_amounts() {
    let mut t = T::new();
    let id = t.propose(terms());
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Proposed,
        },
        |t| t.paying(buyer(), 5).fund(id),
    );
    let id = t.active(terms(), 100);
    t.fails(Error::ZeroDeposit, |t| t.by(buyer()).fund(id));
    t.fails(Error::OverFunded { remaining: 900 }, |t| {
        t.paying(buyer(), 901).fund(id)
    });
    t.fails(Error::DealNotFound, |t| {
        t.paying(buyer(), 1).fund(DealId(7))
    });
    // Milestone 1 lapses unfunded: funding closes.
    t.at(SHIP_BY + 1);
    assert_eq!(t.by(stranger()).settle_milestone(id, 1), Ok(()));
    t.fails(Error::FundingClosed, |t| t.paying(buyer(), 1).fund(id));
}

#[ink::test]
fn submit_works() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.at(SHIP_BY); // the deadline itself is still in time
    assert_eq!(t.by(seller()).submit(id, 1, [8; 32]), Ok(()));
    let v = t.c.milestone(id, 1).unwrap();
    assert_eq!(v.milestone.status, MilestoneStatus::Submitted);
    assert_eq!(v.milestone.evidence_hash, Some([8; 32]));
    assert_eq!(v.review_ends, Some(SHIP_BY + REVIEW));
    assert_eq!(
        events_of::<MilestoneSubmitted>(),
        vec![MilestoneSubmitted {
            deal_id: id,
            seller: seller(),
            index: 1,
            evidence_hash: [8; 32],
            review_ends: SHIP_BY + REVIEW,
            prev_block: 0,
        }]
    );
}

#[ink::test]
fn submit_rejects_non_seller_and_bad_states() {
    let mut t = T::new();
    let id = t.active(terms(), 500);
    for who in [buyer(), oracle1(), arbiter(), stranger()] {
        t.fails(Error::CallerIsNotSeller, |t| {
            t.by(who).submit(id, 0, [0; 32])
        });
    }
    t.fails(Error::MilestoneNotFunded, |t| {
        t.by(seller()).submit(id, 1, [0; 32])
    });
    t.fails(Error::MilestoneNotFound, |t| {
        t.by(seller()).submit(id, 3, [0; 32])
    });
    t.paying(buyer(), 500).fund(id).unwrap();
    t.at(SHIP_BY + 1);
    t.fails(Error::ShipByPassed, |t| {
        t.by(seller()).submit(id, 1, [0; 32])
    });
    assert_eq!(t.by(seller()).submit(id, 0, [0; 32]), Ok(()));
    t.fails(
        Error::WrongMilestoneState {
            found: MilestoneStatus::Submitted,
        },
        |t| t.by(seller()).submit(id, 0, [0; 32]),
    );
}
