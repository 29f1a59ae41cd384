//! Cancellation by both parties, and ship-by amendments.
use super::*;

#[ink::test]
fn cancel_works_with_released_and_disputed_milestones() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(buyer()).approve(id, 0).unwrap();
    t.by(seller()).submit(id, 2, [0; 32]).unwrap();
    t.by(seller()).dispute(id, 2, [0; 32]).unwrap();
    assert_eq!(t.by(seller()).propose_cancel(id), Ok(()));
    t.fails(Error::CancellationAlreadyProposed, |t| {
        t.by(buyer()).propose_cancel(id)
    });
    t.fails(Error::CannotAcceptOwnProposal, |t| {
        t.by(seller()).accept_cancel(id)
    });
    t.fails(Error::CallerIsNotParty, |t| {
        t.by(arbiter()).accept_cancel(id)
    });
    assert_eq!(t.by(buyer()).accept_cancel(id), Ok(()));
    // Milestone 1 (400, undisputed) goes back; the disputed one stays frozen.
    assert_eq!(T::balance(buyer()), 400);
    let d = t.deal(id);
    assert_eq!(
        (d.status, d.funding_closed, d.refunded),
        (DealStatus::Cancelled, true, 400)
    );
    assert_eq!(t.status(id, 1), MilestoneStatus::Refunded);
    assert_eq!(t.status(id, 2), MilestoneStatus::Disputed);
    assert_eq!(
        events_of::<DealCancelled>(),
        vec![DealCancelled {
            deal_id: id,
            by: buyer(),
            refunded: 400,
            prev_block: 0,
        }]
    );
    // The dispute still ends normally, and then the deal closes.
    assert_eq!(t.by(arbiter()).resolve_dispute(id, 2, 0), Ok(()));
    assert_eq!(t.deal(id).status, DealStatus::Closed);
    assert_eq!(T::balance(buyer()), 700);
    t.assert_books(id);
}

#[ink::test]
fn cancel_rejects_without_proposal_and_outsiders() {
    let mut t = T::new();
    let id = t.active(terms(), 0);
    t.fails(Error::NoCancellationPending, |t| {
        t.by(buyer()).accept_cancel(id)
    });
    for who in [oracle1(), arbiter(), stranger()] {
        t.fails(Error::CallerIsNotParty, |t| t.by(who).propose_cancel(id));
    }
    let proposed = t.propose(terms());
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Proposed,
        },
        |t| t.by(buyer()).propose_cancel(proposed),
    );
    // Cancelling an unfunded deal closes it at once, refunding nothing.
    t.by(buyer()).propose_cancel(id).unwrap();
    assert_eq!(t.by(seller()).accept_cancel(id), Ok(()));
    assert_eq!(t.deal(id).status, DealStatus::Closed);
}

#[ink::test]
fn amendment_works() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    assert_eq!(
        t.by(seller()).propose_amendment(id, 1, SHIP_BY + 500),
        Ok(())
    );
    t.fails(Error::CannotAcceptOwnProposal, |t| {
        t.by(seller()).accept_amendment(id, 1, SHIP_BY + 500)
    });
    t.fails(Error::AmendmentMismatch, |t| {
        t.by(buyer()).accept_amendment(id, 1, SHIP_BY + 501)
    });
    assert_eq!(t.by(buyer()).accept_amendment(id, 1, SHIP_BY + 500), Ok(()));
    assert_eq!(t.m(id, 1).ship_by, SHIP_BY + 500);
    assert_eq!(
        events_of::<AmendmentAccepted>(),
        vec![AmendmentAccepted {
            deal_id: id,
            by: buyer(),
            index: 1,
            new_ship_by: SHIP_BY + 500,
            prev_block: 0,
        }]
    );
    // The old deadline no longer refunds; the seller may still deliver.
    t.at(SHIP_BY + 1);
    t.fails(Error::ShipByNotPassed, |t| {
        t.by(stranger()).settle_milestone(id, 1)
    });
    assert_eq!(t.by(seller()).submit(id, 1, [0; 32]), Ok(()));
}

#[ink::test]
fn amendment_rejects_shortening_and_strangers() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.fails(Error::NotAnExtension, |t| {
        t.by(buyer()).propose_amendment(id, 1, SHIP_BY)
    });
    t.fails(Error::NotAnExtension, |t| {
        t.by(buyer()).propose_amendment(id, 0, SHIP_BY)
    });
    t.fails(Error::CallerIsNotParty, |t| {
        t.by(oracle1()).propose_amendment(id, 1, SHIP_BY + 9)
    });
    t.fails(Error::NoAmendmentPending, |t| {
        t.by(buyer()).accept_amendment(id, 1, SHIP_BY + 9)
    });
    t.at(SHIP_BY + 10);
    t.fails(Error::ShipByPassed, |t| {
        t.by(buyer()).propose_amendment(id, 1, SHIP_BY + 20)
    });
}
