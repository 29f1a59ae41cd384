//! The constructor, and a deal's opening: propose, withdraw_proposal and accept.
use super::*;

#[ink::test]
fn new_works() {
    let t = T::new();
    let cfg = t.c.config();
    assert_eq!(cfg.fee_recipient, fee_recipient());
    assert_eq!(cfg.fee_bps, FEE_BPS);
    assert_eq!(cfg.max_milestones, 16);
    assert_eq!(cfg.max_oracles, 5);
    assert_eq!(t.c.deal_count(), 0);
}

#[ink::test]
fn new_rejects_fee_above_max() {
    assert_eq!(
        MilestoneEscrow::new(fee_recipient(), MAX_FEE_BPS).map(|_| ()),
        Ok(())
    );
    assert_eq!(
        MilestoneEscrow::new(fee_recipient(), MAX_FEE_BPS + 1).map(|_| ()),
        Err(Error::FeeTooHigh)
    );
}

#[ink::test]
fn new_rejects_zero_fee_recipient() {
    assert_eq!(
        MilestoneEscrow::new(AccountId::from([0; 32]), 1).map(|_| ()),
        Err(Error::ZeroAccount)
    );
    assert_eq!(
        MilestoneEscrow::new(AccountId::from([0; 32]), 0).map(|_| ()),
        Ok(())
    );
}

#[ink::test]
fn propose_works() {
    let mut t = T::new();
    let terms = terms();
    let h = t.hash(&terms);
    let id = t.by(seller()).propose(terms.clone()).unwrap();
    assert_eq!(id, DealId(0));
    let d = t.deal(id);
    assert_eq!(
        (d.buyer, d.seller, d.proposer),
        (buyer(), seller(), Role::Seller)
    );
    assert_eq!(
        (d.status, d.total, d.milestone_count),
        (DealStatus::Proposed, 1_000, 3)
    );
    assert_eq!((d.terms_hash, d.proposed_at, d.accepted_at), (h, T0, None));
    assert_eq!(d.oracles, vec![oracle1(), oracle2()]);
    // Prefix sums: milestone i is covered by deposits beyond the amounts before it.
    assert_eq!(
        (0..3).map(|i| t.m(id, i).funded_from).collect::<Vec<_>>(),
        vec![0, 300, 700]
    );
    assert_eq!(t.m(id, 1).ship_by, SHIP_BY);
    assert_eq!(t.c.milestone(id, 3), None);
    for who in [buyer(), seller(), oracle1(), oracle2(), arbiter()] {
        assert_eq!(t.c.deals_of(who, 0, 10), vec![id]);
        assert_eq!(t.c.deal_count_of(who), 1);
    }
    assert_eq!(t.c.deal_count_of(stranger()), 0);
    let ev = events_of::<DealProposed>();
    assert_eq!(
        ev,
        vec![DealProposed {
            deal_id: id,
            buyer: buyer(),
            seller: seller(),
            proposer: Role::Seller,
            terms,
            terms_hash: h,
            prev_block: 0,
        }]
    );
}

#[ink::test]
fn propose_rejects_stranger() {
    let mut t = T::new();
    for who in [oracle1(), arbiter(), stranger()] {
        t.fails(Error::CallerIsNotParty, |t| t.by(who).propose(terms()));
    }
}

#[ink::test]
fn propose_rejects_invalid_terms() {
    let mut t = T::new();
    let ms = |n: usize| {
        vec![
            MilestoneTerms {
                amount: 1,
                terms_hash: [0; 32],
                ship_by: LATE
            };
            n
        ]
    };
    let cases: Vec<(Error, Box<dyn Fn(&mut DealTerms)>)> = vec![
        (Error::NoMilestones, Box::new(|d| d.milestones.clear())),
        (
            Error::TooManyMilestones,
            Box::new(move |d| d.milestones = ms(17)),
        ),
        (Error::ZeroAmount, Box::new(|d| d.milestones[2].amount = 0)),
        (
            Error::TooManyOracles,
            Box::new(|d| d.oracles = (10..16).map(acct).collect()),
        ),
        (
            Error::InvalidThreshold,
            Box::new(|d| d.oracle_threshold = 0),
        ),
        (
            Error::InvalidThreshold,
            Box::new(|d| d.oracle_threshold = 3),
        ),
        (
            Error::InvalidThreshold,
            Box::new(|d| {
                d.oracles.clear();
                d.oracle_threshold = 0;
            }),
        ),
        (
            Error::DuplicateRole,
            Box::new(|d| d.arbiter = Some(buyer())),
        ),
        (
            Error::DuplicateRole,
            Box::new(|d| d.oracles = vec![oracle1(), oracle1()]),
        ),
        (Error::DuplicateRole, Box::new(|d| d.oracles[1] = seller())),
        (
            Error::ZeroAccount,
            Box::new(|d| d.arbiter = Some(AccountId::from([0; 32]))),
        ),
        (
            Error::InvalidBps,
            Box::new(|d| d.fallback_seller_bps = 10_001),
        ),
        (Error::InvalidWindow, Box::new(|d| d.review_window = 0)),
        (
            Error::InvalidWindow,
            Box::new(|d| d.arbitration_window = MAX_WINDOW_MS + 1),
        ),
        (
            Error::ShipByInPast,
            Box::new(|d| d.milestones[1].ship_by = T0),
        ),
        (
            Error::AmountOverflow,
            Box::new(|d| d.milestones[0].amount = u128::MAX),
        ),
    ];
    for (expected, mutate) in cases {
        let mut bad = terms();
        mutate(&mut bad);
        t.fails(expected, |t| t.by(buyer()).propose(bad));
    }
}

#[ink::test]
fn propose_accepts_boundaries() {
    let mut t = T::new();
    let mut d = terms();
    d.milestones = vec![
        MilestoneTerms {
            amount: 1,
            terms_hash: [0; 32],
            ship_by: T0 + 1
        };
        16
    ];
    d.fallback_seller_bps = 10_000;
    d.review_window = MAX_WINDOW_MS;
    assert_eq!(t.by(buyer()).propose(d), Ok(DealId(0)));
    let mut d = terms();
    d.milestones = vec![MilestoneTerms {
        amount: u128::MAX,
        terms_hash: [0; 32],
        ship_by: LATE,
    }];
    d.oracles = (10..15).map(acct).collect();
    d.oracle_threshold = 5;
    d.arbiter = None;
    assert_eq!(t.by(buyer()).propose(d), Ok(DealId(1)));
    assert_eq!(t.deal(DealId(0)).milestone_count, 16);
    assert_eq!(t.deal(DealId(1)).total, u128::MAX);
}

#[ink::test]
fn withdraw_proposal_works() {
    let mut t = T::new();
    let id = t.propose(terms());
    assert_eq!(t.by(buyer()).withdraw_proposal(id), Ok(()));
    assert_eq!(t.deal(id).status, DealStatus::Withdrawn);
    assert_eq!(
        events_of::<DealWithdrawn>(),
        vec![DealWithdrawn {
            deal_id: id,
            by: buyer(),
            prev_block: 0,
        }]
    );
    let h = t.hash(&terms());
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Withdrawn,
        },
        |t| t.by(seller()).accept(id, h),
    );
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Withdrawn,
        },
        |t| t.by(buyer()).withdraw_proposal(id),
    );
}

#[ink::test]
fn withdraw_proposal_rejects_non_proposer() {
    let mut t = T::new();
    let id = t.propose(terms());
    for who in [seller(), oracle1(), arbiter(), stranger()] {
        t.fails(Error::CallerIsNotProposer, |t| {
            t.by(who).withdraw_proposal(id)
        });
    }
    t.fails(Error::DealNotFound, |t| {
        t.by(buyer()).withdraw_proposal(DealId(9))
    });
}

#[ink::test]
fn accept_works() {
    let mut t = T::new();
    let terms = terms();
    let h = t.hash(&terms);
    let id = t.propose(terms);
    t.at(T0 + 5);
    assert_eq!(t.by(seller()).accept(id, h), Ok(()));
    let d = t.deal(id);
    assert_eq!(
        (d.status, d.accepted_at, d.deposited),
        (DealStatus::Active, Some(T0 + 5), 0)
    );
    assert_eq!(
        events_of::<DealAccepted>(),
        vec![DealAccepted {
            deal_id: id,
            by: seller(),
            at: T0 + 5,
            prev_block: 0,
        }]
    );
}

#[ink::test]
fn accept_rejects_wrong_callers_and_terms() {
    let mut t = T::new();
    let terms = terms();
    let h = t.hash(&terms);
    let id = t.propose(terms);
    t.fails(Error::CannotAcceptOwnProposal, |t| {
        t.by(buyer()).accept(id, h)
    });
    for who in [oracle1(), arbiter(), stranger()] {
        t.fails(Error::CallerIsNotParty, |t| t.by(who).accept(id, h));
    }
    t.fails(Error::TermsHashMismatch, |t| {
        t.by(seller()).accept(id, [0; 32])
    });
    t.fails(Error::UnexpectedValue, |t| {
        t.paying(seller(), 10).accept(id, h)
    });
    t.fails(Error::DealNotFound, |t| t.by(seller()).accept(DealId(5), h));
    assert_eq!(t.by(seller()).accept(id, h), Ok(()));
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Active,
        },
        |t| t.by(seller()).accept(id, h),
    );
}

#[ink::test]
fn accept_with_funds_pays_the_advance() {
    let mut t = T::new();
    let mut terms = terms();
    terms.advance = true;
    let h = t.hash(&terms);
    let id = t.by(seller()).propose(terms).unwrap();
    assert_eq!(t.paying(buyer(), 1_000).accept(id, h), Ok(()));
    // 300 advance, 1% fee: 297 to the seller, 3 to the fee recipient.
    assert_eq!(T::balance(seller()), 297);
    assert_eq!(T::balance(fee_recipient()), 3);
    assert_eq!(T::balance(test::callee::<E>()), 700);
    let d = t.deal(id);
    assert_eq!(
        (d.deposited, d.released, d.fees, d.settled_count),
        (1_000, 297, 3, 1)
    );
    assert_eq!(t.status(id, 0), MilestoneStatus::Released);
    assert_eq!(
        events_of::<MilestoneReleased>(),
        vec![MilestoneReleased {
            deal_id: id,
            payee: seller(),
            index: 0,
            amount: 297,
            fee: 3,
            via: ReleaseVia::Advance,
            prev_block: 0,
        }]
    );
    t.assert_books(id);
}

#[ink::test]
fn accept_rejects_overfunding() {
    let mut t = T::new();
    let terms = terms();
    let h = t.hash(&terms);
    let id = t.by(seller()).propose(terms).unwrap();
    t.fails(Error::OverFunded { remaining: 1_000 }, |t| {
        t.paying(buyer(), 1_001).accept(id, h)
    });
}
