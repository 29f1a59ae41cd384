//! Assignable receivables (issue 15): a seller assigns the payouts of a deal's milestones,
//! from one on, to a factor. Only where the seller's money goes changes.
use super::*;

/// The seed's deal with an advance: milestone 0 (300) is paid when funded.
fn with_advance() -> DealTerms {
    DealTerms {
        advance: true,
        ..terms()
    }
}

fn assigned(
    deal_id: DealId,
    by: AccountId,
    to: AccountId,
    from_index: u8,
    count: u8,
) -> ReceivableAssigned {
    ReceivableAssigned {
        deal_id,
        by,
        to,
        from_index,
        count,
        prev_block: 0,
    }
}

#[ink::test]
fn factor_receives_the_milestones_assigned_after_the_advance() {
    let mut t = T::new();
    let id = t.active(with_advance(), 1_000);
    assert_eq!(T::balance(seller()), 297);
    assert_eq!(t.by(seller()).assign(id, 1, factor()), Ok(2));
    assert_eq!(
        events_of::<ReceivableAssigned>(),
        vec![assigned(id, seller(), factor(), 1, 2)]
    );
    // The buyer sees the new payee in reads; the paid advance is untouched.
    let payees: Vec<AccountId> = (0..3)
        .map(|i| t.c.milestone(id, i).unwrap().payee)
        .collect();
    assert_eq!(payees, vec![seller(), factor(), factor()]);
    assert_eq!(t.by(buyer()).approve_through(id, 2), Ok(2));
    assert_eq!(T::balance(factor()), 396 + 297);
    assert_eq!(T::balance(seller()), 297);
    assert_eq!(T::balance(fee_recipient()), 3 + 4 + 3);
    let released: Vec<(AccountId, Balance)> = events_of::<MilestoneReleased>()
        .into_iter()
        .map(|e| (e.payee, e.amount))
        .collect();
    assert_eq!(
        released,
        vec![(seller(), 297), (factor(), 396), (factor(), 297)]
    );
    t.assert_books(id);
}

#[ink::test]
fn seller_stays_the_party_and_refunds_still_go_to_the_buyer() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    assert_eq!(t.by(seller()).assign(id, 0, factor()), Ok(3));
    t.fails(Error::CallerIsNotSeller, |t| {
        t.by(factor()).submit(id, 0, [0; 32])
    });
    t.fails(Error::CallerIsNotParty, |t| {
        t.by(factor()).propose_cancel(id)
    });
    assert_eq!(t.by(seller()).submit(id, 0, [0; 32]), Ok(()));
    t.at(SHIP_BY + 1);
    assert_eq!(t.by(stranger()).settle_milestone(id, 1), Ok(()));
    assert_eq!(T::balance(buyer()), 400);
    assert_eq!(T::balance(factor()), 0);
    t.assert_books(id);
}

#[ink::test]
fn dispute_split_pays_the_seller_part_to_the_assignee() {
    let mut t = T::new();
    let id = disputed(&mut t, true);
    assert_eq!(t.by(seller()).assign(id, 0, factor()), Ok(3));
    assert_eq!(t.by(arbiter()).resolve_dispute(id, 0, 200), Ok(()));
    assert_eq!(
        (
            T::balance(factor()),
            T::balance(seller()),
            T::balance(buyer())
        ),
        (198, 0, 100)
    );
    assert_eq!(events_of::<DisputeResolved>()[0].payee, factor());
}

#[ink::test]
fn assignee_may_assign_again_and_the_seller_no_longer_can() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    assert_eq!(t.by(seller()).assign(id, 1, factor()), Ok(2));
    t.fails(Error::CallerIsNotPayee, |t| {
        t.by(seller()).assign(id, 1, seller())
    });
    // A range that reaches a milestone someone else is payee of is refused whole.
    t.fails(Error::CallerIsNotPayee, |t| {
        t.by(seller()).assign(id, 0, stranger())
    });
    assert_eq!(t.by(factor()).assign(id, 2, funder()), Ok(1));
    assert_eq!(t.by(buyer()).approve_through(id, 2), Ok(3));
    assert_eq!(
        (
            T::balance(seller()),
            T::balance(factor()),
            T::balance(funder())
        ),
        (297, 396, 297)
    );
}

#[ink::test]
fn only_the_payee_assigns() {
    for who in [buyer(), oracle1(), arbiter(), stranger(), factor()] {
        let mut t = T::new();
        let id = t.active(terms(), 1_000);
        t.fails(Error::CallerIsNotPayee, |t| t.by(who).assign(id, 0, who));
    }
}

#[ink::test]
fn assignment_skips_settled_milestones_and_needs_an_open_one() {
    let mut t = T::new();
    let id = t.active(terms(), 1_000);
    assert_eq!(t.by(buyer()).approve(id, 2), Ok(()));
    t.fails(Error::NothingToAssign, |t| {
        t.by(seller()).assign(id, 2, factor())
    });
    assert_eq!(t.by(seller()).assign(id, 1, factor()), Ok(1));
    assert_eq!(t.c.milestone(id, 2).unwrap().payee, seller());
    assert_eq!(
        events_of::<ReceivableAssigned>(),
        vec![assigned(id, seller(), factor(), 1, 1)]
    );
}

#[ink::test]
fn assignment_bad_input_is_refused_by_name() {
    let mut t = T::new();
    let proposed = t.propose(terms());
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Proposed,
        },
        |t| t.by(seller()).assign(proposed, 0, factor()),
    );
    let id = t.active(terms(), 1_000);
    t.fails(Error::MilestoneNotFound, |t| {
        t.by(seller()).assign(id, 3, factor())
    });
    t.fails(Error::ZeroAccount, |t| {
        t.by(seller()).assign(id, 0, AccountId::from([0; 32]))
    });
    let escrow = test::callee::<E>();
    t.fails(Error::AssigneeIsContract, |t| {
        t.by(seller()).assign(id, 0, escrow)
    });
    t.fails(Error::DealNotFound, |t| {
        t.by(seller()).assign(DealId(9), 0, factor())
    });
    assert_eq!(t.by(buyer()).approve_through(id, 2), Ok(3));
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Closed,
        },
        |t| t.by(seller()).assign(id, 0, factor()),
    );
}

/// A token payout of an assigned milestone that the token refuses is the assignee's claim.
#[ink::test]
fn refused_token_payout_of_an_assigned_milestone_is_the_assignee_s_claim() {
    let mut t = T::new();
    let id = t.token_active(usd(), terms(), 1_000);
    assert_eq!(t.by(seller()).assign(id, 0, factor()), Ok(3));
    mock::set_mode(usd(), mock::Mode::Revert);
    assert_eq!(t.by(buyer()).approve(id, 0), Ok(()));
    assert_eq!(t.c.claimable_tokens_of(factor(), usd()), 297);
    assert_eq!(t.c.claimable_tokens_of(seller(), usd()), 0);
    mock::set_mode(usd(), mock::Mode::Honest);
    assert_eq!(t.by(factor()).withdraw_tokens(usd(), factor()), Ok(297));
    assert_eq!(T::tokens_of(usd(), factor()), 297);
}
