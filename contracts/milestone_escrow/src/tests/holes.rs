//! Regressions of issue 14: the holes an honest buyer or seller would fall into, one test
//! (or more) per behaviour, each named after it. Refused and deferred transfers need the
//! chain: those are in `e2e_tests::deals`.
use super::*;

/// The seed's terms with a funding deadline before milestone 1's ship-by.
const FUND_BY: u64 = T0 + 500;

fn terms_funded_by(fund_by: u64) -> DealTerms {
    DealTerms { fund_by, ..terms() }
}

// ------------------------------------------------------------ 1. stale cancellation

#[ink::test]
fn regress_stale_cancellation_never_refunds_a_milestone_submitted_after_it() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(seller()).propose_cancel(id).unwrap();
    // The parties carry on: the seller ships and submits milestone 1.
    assert_eq!(t.by(seller()).submit(id, 1, [5; 32]), Ok(()));
    assert_eq!(
        events_of::<CancellationWithdrawn>(),
        vec![CancellationWithdrawn {
            deal_id: id,
            by: seller(),
            voided_by: Some(1),
            prev_block: 0,
        }]
    );
    assert_eq!(t.deal(id).cancel_proposed_by, None);
    // The submission's own event first, then the voiding (as `submit`'s docs list them).
    let last_two: Vec<_> = T::events().into_iter().rev().take(2).collect();
    assert!(decode::<CancellationWithdrawn>(&last_two[0]).is_some());
    assert!(decode::<MilestoneSubmitted>(&last_two[1]).is_some());
    // Days later the buyer tries to accept the old proposal: there is none.
    t.at(T0 + 50);
    t.fails(Error::NoCancellationPending, |t| {
        t.by(buyer()).accept_cancel(id)
    });
    assert_eq!(t.status(id, 1), MilestoneStatus::Submitted);
    assert_eq!((T::balance(buyer()), T::balance(seller())), (0, 0));
    assert_eq!(t.c.deal(id).unwrap().locked, 1_000);
}

#[ink::test]
fn regress_stale_cancellation_is_voided_by_an_attestation() {
    let mut t = T::new();
    let mut terms = terms();
    terms.oracle_threshold = 2;
    let id = t.active(terms, 1_000);
    t.by(buyer()).propose_cancel(id).unwrap();
    // One of two attestations: the milestone stays pending, the proposal is void.
    assert_eq!(t.by(oracle1()).attest(id, 1), Ok(()));
    assert_eq!(
        events_of::<CancellationWithdrawn>(),
        vec![CancellationWithdrawn {
            deal_id: id,
            by: oracle1(),
            voided_by: Some(1),
            prev_block: 0,
        }]
    );
    t.fails(Error::NoCancellationPending, |t| {
        t.by(seller()).accept_cancel(id)
    });
    assert_eq!(t.m(id, 1).attestations, 0b01);
}

#[ink::test]
fn cancellation_proposal_can_be_withdrawn_by_its_proposer_only() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.fails(Error::NoCancellationPending, |t| {
        t.by(seller()).withdraw_cancel(id)
    });
    t.by(seller()).propose_cancel(id).unwrap();
    t.fails(Error::CallerIsNotProposer, |t| {
        t.by(buyer()).withdraw_cancel(id)
    });
    for who in [oracle1(), arbiter(), stranger()] {
        t.fails(Error::CallerIsNotParty, |t| t.by(who).withdraw_cancel(id));
    }
    assert_eq!(t.by(seller()).withdraw_cancel(id), Ok(()));
    assert_eq!(
        events_of::<CancellationWithdrawn>(),
        vec![CancellationWithdrawn {
            deal_id: id,
            by: seller(),
            voided_by: None,
            prev_block: 0,
        }]
    );
    t.fails(Error::NoCancellationPending, |t| {
        t.by(buyer()).accept_cancel(id)
    });
    // A new proposal may follow, and its acceptance refunds what was pending then.
    t.by(seller()).propose_cancel(id).unwrap();
    assert_eq!(t.by(buyer()).accept_cancel(id), Ok(()));
    assert_eq!(T::balance(buyer()), 1_000);
    t.assert_books(id);
}

// ------------------------------------------------------- 2. a refund clock everywhere

#[ink::test]
fn regress_silent_seller_cannot_lock_funds_every_milestone_refunds_at_its_ship_by() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    // The seller never submits anything. Milestone 1's clock frees it first…
    t.at(SHIP_BY + 1);
    assert_eq!(t.by(stranger()).settle_due(id), Ok(1));
    assert_eq!(T::balance(buyer()), 400);
    // …and every other milestone has one too: nothing stays locked.
    t.at(LATE);
    t.fails(Error::NothingDue, |t| t.by(stranger()).settle_due(id));
    t.at(LATE + 1);
    assert_eq!(t.by(stranger()).settle_due(id), Ok(2));
    assert_eq!(T::balance(buyer()), 1_000);
    let v = t.c.deal(id).unwrap();
    assert_eq!((v.locked, v.deal.status), (0, DealStatus::Closed));
    assert!(events_of::<MilestoneRefunded>()
        .iter()
        .all(|e| e.reason == RefundReason::ShipByMissed));
}

#[ink::test]
fn amendment_moves_the_refund_clock_by_consent_only() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(buyer()).propose_amendment(id, 0, LATE + 10).unwrap();
    // Not yet accepted: the old clock still runs.
    assert_eq!(t.m(id, 0).ship_by, LATE);
    t.by(seller()).accept_amendment(id, 0, LATE + 10).unwrap();
    t.at(LATE + 1);
    t.fails(Error::ShipByNotPassed, |t| {
        t.by(stranger()).settle_milestone(id, 0)
    });
    t.at(LATE + 11);
    assert_eq!(t.by(stranger()).settle_milestone(id, 0), Ok(()));
}

// ---------------------------------------------------------------- 3. a funding clock

#[ink::test]
fn regress_funding_clock_lapses_partly_funded_milestones_and_funded_ones_carry_on() {
    let mut t = T::new();
    let id = t.active(terms_funded_by(FUND_BY), 500);
    // The deadline itself is still in time.
    t.at(FUND_BY);
    t.fails(Error::ShipByNotPassed, |t| {
        t.by(stranger()).settle_milestone(id, 1)
    });
    assert_eq!(t.paying(buyer(), 100).fund(id), Ok(()));
    t.at(FUND_BY + 1);
    t.fails(Error::FundingDeadlinePassed, |t| {
        t.paying(buyer(), 100).fund(id)
    });
    assert_eq!(t.by(stranger()).settle_due(id), Ok(2));
    // Milestone 1 held 300 of its 400 and milestone 2 nothing: 300 goes back.
    assert_eq!(T::balance(buyer()), 300);
    assert_eq!(
        events_of::<MilestoneRefunded>(),
        vec![
            MilestoneRefunded {
                deal_id: id,
                buyer: buyer(),
                index: 1,
                amount: 300,
                reason: RefundReason::FundingDeadlinePassed,
                prev_block: 0,
            },
            MilestoneRefunded {
                deal_id: id,
                buyer: buyer(),
                index: 2,
                amount: 0,
                reason: RefundReason::FundingDeadlinePassed,
                prev_block: 0,
            },
        ]
    );
    // Milestone 0 (funded) carries on.
    assert_eq!(t.status(id, 0), MilestoneStatus::Pending);
    assert_eq!(t.by(seller()).submit(id, 0, [0; 32]), Ok(()));
    assert_eq!(t.by(buyer()).approve(id, 0), Ok(()));
    assert_eq!(T::balance(seller()), 297);
    let v = t.c.deal(id).unwrap();
    assert_eq!((v.locked, v.deal.status), (0, DealStatus::Closed));
    t.assert_books(id);
}

#[ink::test]
fn regress_a_deal_nobody_funds_ends_at_its_funding_deadline() {
    let mut t = T::new();
    let id = t.active(terms_funded_by(FUND_BY), 0);
    t.at(FUND_BY + 1);
    assert_eq!(t.by(stranger()).settle_due(id), Ok(3));
    let v = t.c.deal(id).unwrap();
    assert_eq!((v.locked, v.deal.status), (0, DealStatus::Closed));
    assert_eq!(T::balance(test::callee::<E>()), 0);
}

#[ink::test]
fn proposal_expires_at_its_funding_deadline() {
    let mut t = T::new();
    let terms = terms_funded_by(FUND_BY);
    let h = t.hash(&terms);
    let id = t.propose(terms);
    t.at(FUND_BY + 1);
    t.fails(Error::FundingDeadlinePassed, |t| {
        t.by(seller()).accept(id, h)
    });
    // A proposal must leave time to fund.
    let stale = terms_funded_by(FUND_BY + 1);
    t.fails(Error::FundByInPast, |t| t.by(buyer()).propose(stale));
}

// ---------------------------------------------------------------- 4. who may fund

#[ink::test]
fn regress_seller_cannot_top_up_its_own_advance() {
    let mut t = T::new();
    let mut terms = terms();
    terms.advance = true;
    let id = t.active(terms, 200);
    // The seller (or anyone else) completing milestone 0 would be paid the buyer's 200.
    for who in [seller(), stranger(), oracle1(), arbiter()] {
        t.fails(Error::CallerIsNotFunder, |t| t.paying(who, 100).fund(id));
    }
    assert_eq!(T::balance(seller()), 0);
    assert_eq!(t.status(id, 0), MilestoneStatus::Pending);
}

#[ink::test]
fn named_funder_may_fund_and_refunds_go_to_the_buyer() {
    let mut t = T::new();
    let mut terms = terms();
    terms.funder = Some(funder());
    let id = t.active(terms, 0);
    assert_eq!(t.c.deals_of(funder(), 0, MAX_PAGE), vec![id]);
    assert_eq!(t.paying(funder(), 1_000).fund(id), Ok(()));
    assert_eq!(events_of::<DealFunded>()[0].funder, funder());
    t.at(SHIP_BY + 1);
    assert_eq!(t.by(stranger()).settle_milestone(id, 1), Ok(()));
    assert_eq!((T::balance(buyer()), T::balance(funder())), (400, 0));
}

#[ink::test]
fn funder_must_be_distinct_from_every_role() {
    let mut t = T::new();
    for who in [buyer(), seller(), oracle1(), arbiter()] {
        let mut terms = terms();
        terms.funder = Some(who);
        t.fails(Error::DuplicateRole, |t| t.by(buyer()).propose(terms));
    }
}

// ------------------------------------------------------------ 5. amendment proposals

#[ink::test]
fn amendment_can_be_withdrawn_by_its_proposer_only() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.fails(Error::NoAmendmentPending, |t| {
        t.by(seller()).withdraw_amendment(id, 1)
    });
    t.by(seller())
        .propose_amendment(id, 1, SHIP_BY + 500)
        .unwrap();
    t.fails(Error::CallerIsNotProposer, |t| {
        t.by(buyer()).withdraw_amendment(id, 1)
    });
    t.fails(Error::CallerIsNotParty, |t| {
        t.by(stranger()).withdraw_amendment(id, 1)
    });
    assert_eq!(t.by(seller()).withdraw_amendment(id, 1), Ok(()));
    assert_eq!(
        events_of::<AmendmentWithdrawn>(),
        vec![AmendmentWithdrawn {
            deal_id: id,
            by: seller(),
            index: 1,
            prev_block: 0,
        }]
    );
    t.fails(Error::NoAmendmentPending, |t| {
        t.by(buyer()).accept_amendment(id, 1, SHIP_BY + 500)
    });
    assert_eq!(t.m(id, 1).ship_by, SHIP_BY);
}

#[ink::test]
fn regress_amendment_cannot_be_accepted_after_the_deadline_it_would_move() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(seller())
        .propose_amendment(id, 1, SHIP_BY + 500)
        .unwrap();
    // The buyer's refund right is earned one moment after ship-by.
    t.at(SHIP_BY + 1);
    t.fails(Error::ShipByPassed, |t| {
        t.by(buyer()).accept_amendment(id, 1, SHIP_BY + 500)
    });
    t.fails(Error::ShipByPassed, |t| {
        t.by(seller()).propose_amendment(id, 1, SHIP_BY + 600)
    });
    assert_eq!(t.by(stranger()).settle_milestone(id, 1), Ok(()));
    assert_eq!(T::balance(buyer()), 400);
}

#[ink::test]
fn amendment_accepted_at_the_deadline_itself_moves_it() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    t.by(seller())
        .propose_amendment(id, 1, SHIP_BY + 500)
        .unwrap();
    t.at(SHIP_BY);
    assert_eq!(t.by(buyer()).accept_amendment(id, 1, SHIP_BY + 500), Ok(()));
    assert_eq!(t.m(id, 1).ship_by, SHIP_BY + 500);
}

// --------------------------------------------------------- 6. the arbitration window

#[ink::test]
fn arbitration_window_end_is_the_last_moment_to_settle_or_rule() {
    let mut t = T::new();
    let id = disputed(&mut t, true);
    t.at(T0 + ARBITRATION);
    assert_eq!(t.by(seller()).offer_settlement(id, 0, 100), Ok(()));
    assert_eq!(t.by(buyer()).accept_settlement(id, 0, 100), Ok(()));
    let id = disputed(&mut t, true);
    t.at(T0 + ARBITRATION + ARBITRATION);
    // (This second dispute opened at T0 + ARBITRATION.)
    assert_eq!(t.by(arbiter()).resolve_dispute(id, 0, 300), Ok(()));
}

#[ink::test]
fn after_the_arbitration_window_only_the_fallback_ends_a_dispute() {
    let mut t = T::new();
    let id = disputed(&mut t, true);
    t.by(seller()).offer_settlement(id, 0, 250).unwrap();
    t.at(T0 + ARBITRATION + 1);
    t.fails(Error::ArbitrationWindowClosed, |t| {
        t.by(arbiter()).resolve_dispute(id, 0, 300)
    });
    t.fails(Error::ArbitrationWindowClosed, |t| {
        t.by(buyer()).accept_settlement(id, 0, 250)
    });
    t.fails(Error::ArbitrationWindowClosed, |t| {
        t.by(buyer()).offer_settlement(id, 0, 10)
    });
    assert_eq!(t.by(stranger()).settle_milestone(id, 0), Ok(()));
    assert_eq!(
        events_of::<DisputeResolved>()[0].resolution,
        Resolution::Fallback
    );
    assert_eq!((T::balance(seller()), T::balance(buyer())), (149, 150));
}

// ------------------------------------------------------------------ 7. small things

#[ink::test]
fn constructor_rejects_the_contract_as_fee_recipient() {
    let _ = T::new();
    let this = test::callee::<E>();
    assert_eq!(
        MilestoneEscrow::new(this, FEE_BPS).map(|_| ()),
        Err(Error::FeeRecipientIsContract)
    );
    assert_eq!(
        MilestoneEscrow::new(this, 0).map(|_| ()),
        Err(Error::FeeRecipientIsContract)
    );
}

#[ink::test]
fn regress_settle_due_refunds_what_a_lapse_in_the_same_call_made_due() {
    let mut t = T::new();
    let mut terms = terms();
    // Milestone 2 ships first; milestone 1 (partly funded) much later.
    terms.milestones[1].ship_by = LATE;
    terms.milestones[2].ship_by = SHIP_BY;
    let id = t.active(terms, 500);
    t.at(SHIP_BY + 1);
    // Milestone 2 lapses unfunded, which closes funding, which makes milestone 1's 200 due:
    // one call settles both.
    assert_eq!(t.by(stranger()).settle_due(id), Ok(2));
    let refunds: Vec<_> = events_of::<MilestoneRefunded>()
        .into_iter()
        .map(|e| (e.index, e.amount, e.reason))
        .collect();
    assert_eq!(
        refunds,
        vec![
            (2, 0, RefundReason::ShipByMissed),
            (1, 200, RefundReason::FundingClosed)
        ]
    );
    assert_eq!(T::balance(buyer()), 200);
    assert_eq!(t.c.deal(id).unwrap().locked, 300);
    t.assert_books(id);
}

#[ink::test]
fn withdraw_to_rejects_empty_claims() {
    let mut t = T::new();
    t.fails(Error::NothingToWithdraw, |t| {
        t.by(seller()).withdraw_to(stranger())
    });
}
