//! Unit tests in ink!'s off-chain environment.
//!
//! The off-chain engine neither reverts storage on `Err` nor refuses transfers, so every
//! failing call here goes through [`T::fails`], which asserts the exact error *and* that the
//! contract's observable state (deals, milestones, claimables, balance, events) is unchanged:
//! the contract promises checks before effects. Refused transfers and on-chain reverts are
//! covered by the ink_e2e tests on the node.
use crate::milestone_escrow::MilestoneEscrow;
use escrow_types::*;
use ink::{
    env::{test, DefaultEnvironment as E},
    primitives::AccountId,
};

const FEE_BPS: u16 = 100; // 1%
const T0: u64 = 1_000_000;
const REVIEW: u64 = 100;
const ARBITRATION: u64 = 200;
const SHIP_BY: u64 = T0 + 1_000;
/// Every party's starting balance.
const BASE: Balance = 1_000_000_000_000;

/// Test accounts: 0xA0 + n, clear of the engine's default accounts and callee.
fn acct(n: u8) -> AccountId {
    AccountId::from([0xA0 + n; 32])
}
fn buyer() -> AccountId {
    acct(1)
}
fn seller() -> AccountId {
    acct(2)
}
fn oracle1() -> AccountId {
    acct(3)
}
fn oracle2() -> AccountId {
    acct(4)
}
fn arbiter() -> AccountId {
    acct(5)
}
fn stranger() -> AccountId {
    acct(6)
}
fn fee_recipient() -> AccountId {
    acct(9)
}
fn everyone() -> [AccountId; 7] {
    [
        buyer(),
        seller(),
        oracle1(),
        oracle2(),
        arbiter(),
        stranger(),
        fee_recipient(),
    ]
}

/// The seed's deal: 30/40/30 of 1,000 with an advance, shipment attested by oracles (1 of 2),
/// delivery approved by the buyer. Milestone 1 must ship by `SHIP_BY`.
fn terms() -> DealTerms {
    DealTerms {
        buyer: buyer(),
        seller: seller(),
        oracles: vec![oracle1(), oracle2()],
        oracle_threshold: 1,
        arbiter: Some(arbiter()),
        release_rule: ReleaseRule::BuyerOrOracles,
        review_window: REVIEW,
        arbitration_window: ARBITRATION,
        fallback_seller_bps: 5_000,
        advance: false,
        agreement_hash: [7; 32],
        milestones: vec![
            MilestoneTerms {
                amount: 300,
                terms_hash: [1; 32],
                ship_by: None,
            },
            MilestoneTerms {
                amount: 400,
                terms_hash: [2; 32],
                ship_by: Some(SHIP_BY),
            },
            MilestoneTerms {
                amount: 300,
                terms_hash: [3; 32],
                ship_by: None,
            },
        ],
    }
}

/// Everything a caller can observe about the contract.
#[derive(Debug, PartialEq)]
struct Snapshot {
    deals: Vec<Option<DealView>>,
    milestones: Vec<Option<MilestoneView>>,
    claimable: Vec<Balance>,
    listing: Vec<(u32, Vec<DealId>)>,
    deal_count: u64,
    balance: Balance,
    events: usize,
}

/// Test harness: one contract, a clock and callers.
struct T {
    c: MilestoneEscrow,
    /// Value sent with the latest call.
    sent: Balance,
}

impl T {
    fn new() -> Self {
        test::set_block_timestamp::<E>(T0);
        // The off-chain engine enforces an existential deposit on `set_account_balance`,
        // so every party starts at BASE and `balance` reports the change from it.
        for who in everyone() {
            test::set_account_balance::<E>(who, BASE);
        }
        test::set_account_balance::<E>(test::callee::<E>(), 0);
        test::set_caller::<E>(stranger());
        test::set_value_transferred::<E>(0);
        Self {
            c: MilestoneEscrow::new(fee_recipient(), FEE_BPS).expect("valid config"),
            sent: 0,
        }
    }

    /// Calls as `who` with no value.
    fn by(&mut self, who: AccountId) -> &mut MilestoneEscrow {
        test::set_caller::<E>(who);
        test::set_value_transferred::<E>(0);
        self.sent = 0;
        &mut self.c
    }

    /// Calls as `who`, sending `value` into the contract. The caller is topped up first,
    /// so that a party's balance in these tests is exactly what the contract paid it.
    fn paying(&mut self, who: AccountId, value: Balance) -> &mut MilestoneEscrow {
        test::set_caller::<E>(who);
        test::set_account_balance::<E>(who, BASE + Self::balance(who) + value);
        test::transfer_in::<E>(value);
        self.sent = value;
        &mut self.c
    }

    fn at(&mut self, t: u64) -> &mut Self {
        test::set_block_timestamp::<E>(t);
        self
    }

    /// A party's balance change since the start; the contract's absolute balance.
    fn balance(who: AccountId) -> Balance {
        let b = test::get_account_balance::<E>(who).unwrap_or(0);
        if who == test::callee::<E>() {
            b
        } else {
            b - BASE
        }
    }

    fn events() -> Vec<test::EmittedEvent> {
        test::recorded_events().collect()
    }

    fn snapshot(&self) -> Snapshot {
        let n = self.c.deal_count();
        let ids: Vec<DealId> = (0..n.saturating_add(1)).map(DealId).collect();
        Snapshot {
            deals: ids.iter().map(|id| self.c.deal(*id)).collect(),
            milestones: ids
                .iter()
                .flat_map(|id| (0..MAX_MILESTONES).map(move |i| (*id, i)))
                .map(|(id, i)| self.c.milestone(id, i))
                .collect(),
            claimable: everyone().iter().map(|a| self.c.claimable_of(*a)).collect(),
            listing: everyone()
                .iter()
                .map(|a| (self.c.deal_count_of(*a), self.c.deals_of(*a, 0, MAX_PAGE)))
                .collect(),
            deal_count: n,
            balance: Self::balance(test::callee::<E>()),
            events: Self::events().len(),
        }
    }

    /// Asserts that `f` fails with exactly `expected` and changes nothing observable.
    #[track_caller]
    fn fails<R: core::fmt::Debug>(
        &mut self,
        expected: Error,
        f: impl FnOnce(&mut Self) -> Result<R, Error>,
    ) {
        let mut before = self.snapshot();
        self.sent = 0;
        let got = f(self);
        assert_eq!(got.map(|_| ()), Err(expected));
        // Value sent with a failing call is returned by the chain's revert; the off-chain
        // engine keeps it, so the only balance change allowed is exactly that value.
        before.balance += self.sent;
        let after = self.snapshot();
        assert_eq!(before, after, "a failing call changed state");
    }

    fn propose(&mut self, terms: DealTerms) -> DealId {
        let by = terms.buyer;
        self.by(by).propose(terms).expect("valid terms")
    }

    fn hash(&self, terms: &DealTerms) -> Digest {
        self.c.terms_hash(terms.clone())
    }

    /// Proposes (buyer), accepts (seller) and funds `funds` (buyer).
    fn active(&mut self, terms: DealTerms, funds: Balance) -> DealId {
        let h = self.hash(&terms);
        let id = self.propose(terms);
        self.by(seller()).accept(id, h).expect("accept");
        if funds > 0 {
            self.paying(buyer(), funds).fund(id).expect("fund");
        }
        id
    }

    fn deal(&self, id: DealId) -> Deal {
        self.c.deal(id).expect("deal exists").deal
    }

    fn m(&self, id: DealId, i: u8) -> Milestone {
        self.c.milestone(id, i).expect("milestone exists").milestone
    }

    fn status(&self, id: DealId, i: u8) -> MilestoneStatus {
        self.m(id, i).status
    }

    /// Asserts the per-deal accounting identity.
    fn assert_books(&self, id: DealId) {
        let v = self.c.deal(id).expect("deal");
        let d = &v.deal;
        assert_eq!(
            d.deposited,
            d.released + d.fees + d.refunded + v.locked,
            "books of {id:?}"
        );
        assert!(d.deposited <= d.total);
    }
}

fn decode<Ev: scale::Decode + ink::env::Event>(e: &test::EmittedEvent) -> Option<Ev> {
    let sig = <Ev as ink::env::Event>::SIGNATURE_TOPIC?;
    if e.topics.first().map(|t| t.as_slice()) != Some(&sig[..]) {
        return None;
    }
    <Ev as scale::Decode>::decode(&mut &e.data[..]).ok()
}

fn events_of<Ev: scale::Decode + ink::env::Event>() -> Vec<Ev> {
    T::events().iter().filter_map(decode::<Ev>).collect()
}

// ---------------------------------------------------------------------------- constructor

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

// ---------------------------------------------------------------------------- propose

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
    assert_eq!(t.m(id, 1).ship_by, Some(SHIP_BY));
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
            terms_hash: h
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
                ship_by: None
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
            Box::new(|d| d.milestones[1].ship_by = Some(T0)),
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
            ship_by: Some(T0 + 1)
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
        ship_by: None,
    }];
    d.oracles = (10..15).map(acct).collect();
    d.oracle_threshold = 5;
    d.arbiter = None;
    assert_eq!(t.by(buyer()).propose(d), Ok(DealId(1)));
    assert_eq!(t.deal(DealId(0)).milestone_count, 16);
    assert_eq!(t.deal(DealId(1)).total, u128::MAX);
}

// ---------------------------------------------------------------------------- withdraw / accept

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
            by: buyer()
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
            at: T0 + 5
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
            seller: seller(),
            index: 0,
            amount: 297,
            fee: 3,
            via: ReleaseVia::Advance
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

// ---------------------------------------------------------------------------- fund

#[ink::test]
fn fund_works_from_anyone_in_order() {
    let mut t = T::new();
    let id = t.active(terms(), 0);
    assert_eq!(t.paying(stranger(), 500).fund(id), Ok(()));
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
                funder: stranger(),
                amount: 500,
                deposited: 500
            },
            DealFunded {
                deal_id: id,
                funder: buyer(),
                amount: 500,
                deposited: 1_000
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

// ---------------------------------------------------------------------------- submit

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
            review_ends: SHIP_BY + REVIEW
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

// ---------------------------------------------------------------------------- approve

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

// ---------------------------------------------------------------------------- attest

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
                threshold: 2
            },
            MilestoneAttested {
                deal_id: id,
                oracle: oracle1(),
                index: 1,
                attestations: 2,
                threshold: 2
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

// ---------------------------------------------------------------------------- dispute

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
            arbitration_ends: T0 + REVIEW + ARBITRATION
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

/// A disputed deal at 1,000 funded, milestone 0 (300) disputed by the buyer at T0.
fn disputed(t: &mut T, with_arbiter: bool) -> DealId {
    let mut terms = terms();
    if !with_arbiter {
        terms.arbiter = None;
    }
    let id = t.active(terms, 1_000);
    t.by(seller()).submit(id, 0, [0; 32]).unwrap();
    t.by(buyer()).dispute(id, 0, [0; 32]).unwrap();
    id
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
            fee: 2,
            to_buyer: 100
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

// ---------------------------------------------------------------------------- clocks

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
            reason: RefundReason::ShipByMissed
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
    assert_eq!(t.by(stranger()).settle_due(id), Ok(1));
    assert_eq!(T::balance(buyer()), 200); // the covered part of milestone 1
    assert!(t.deal(id).funding_closed);
    // Milestone 2 can never be funded now: it lapses with nothing to refund.
    assert_eq!(t.by(stranger()).settle_milestone(id, 2), Ok(()));
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

// ---------------------------------------------------------------------------- cancel

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
            refunded: 400
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

// ---------------------------------------------------------------------------- amend

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
    assert_eq!(t.m(id, 1).ship_by, Some(SHIP_BY + 500));
    assert_eq!(
        events_of::<AmendmentAccepted>(),
        vec![AmendmentAccepted {
            deal_id: id,
            by: buyer(),
            index: 1,
            new_ship_by: SHIP_BY + 500
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
    t.fails(Error::ShipByInPast, |t| {
        t.by(buyer()).propose_amendment(id, 1, SHIP_BY + 10)
    });
}

// ---------------------------------------------------------------------------- withdraw & reads

#[ink::test]
fn withdraw_rejects_empty_claims() {
    let mut t = T::new();
    for who in everyone() {
        t.fails(Error::NothingToWithdraw, |t| t.by(who).withdraw());
    }
}

#[ink::test]
fn deals_of_paginates() {
    let mut t = T::new();
    for _ in 0..40 {
        t.propose(terms());
    }
    assert_eq!(t.c.deal_count(), 40);
    assert_eq!(t.c.deal_count_of(buyer()), 40);
    let page = t.c.deals_of(buyer(), 0, 100);
    assert_eq!(page.len(), MAX_PAGE as usize);
    assert_eq!(page[31], DealId(31));
    assert_eq!(t.c.deals_of(buyer(), 38, 5), vec![DealId(38), DealId(39)]);
    assert_eq!(t.c.deals_of(buyer(), 40, 5), vec![]);
    assert_eq!(t.c.deals_of(stranger(), 0, 5), vec![]);
}

// ---------------------------------------------------------------------------- matrices

/// Milestone states reachable for milestone 0 of a fresh deal, each with its setup.
fn milestone_states() -> Vec<(&'static str, fn(&mut T) -> DealId)> {
    vec![
        ("unfunded", |t| t.active(terms(), 0)),
        ("funded", |t| t.active(terms(), 1_000)),
        ("submitted", |t| {
            let id = t.active(terms(), 1_000);
            t.by(seller()).submit(id, 0, [0; 32]).unwrap();
            id
        }),
        ("disputed", |t| disputed(t, true)),
        ("released", |t| {
            let id = t.active(terms(), 1_000);
            t.by(buyer()).approve(id, 0).unwrap();
            id
        }),
        ("resolved", |t| {
            let id = disputed(t, true);
            t.by(arbiter()).resolve_dispute(id, 0, 10).unwrap();
            id
        }),
        ("refunded", |t| {
            let id = t.active(terms(), 1_000);
            t.by(seller()).propose_cancel(id).unwrap();
            t.by(buyer()).accept_cancel(id).unwrap();
            id
        }),
    ]
}

type Call = fn(&mut T, DealId) -> Result<(), Error>;

/// Every milestone message against every milestone state, each by its rightful caller:
/// the exact outcome, and unchanged state on every failure.
#[ink::test]
fn milestone_message_state_matrix() {
    use Error::*;
    use MilestoneStatus::*;
    let ws = |found| WrongMilestoneState { found };
    let closed = WrongDealState {
        found: DealStatus::Closed,
    };
    let calls: Vec<(&str, Call, [Result<(), Error>; 7])> = vec![
        (
            "submit",
            |t, id| t.by(seller()).submit(id, 0, [0; 32]),
            [
                Err(MilestoneNotFunded),
                Ok(()),
                Err(ws(Submitted)),
                Err(ws(Disputed)),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "approve",
            |t, id| t.by(buyer()).approve(id, 0),
            [
                Err(MilestoneNotFunded),
                Ok(()),
                Ok(()),
                Err(ws(Disputed)),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "attest",
            |t, id| t.by(oracle1()).attest(id, 0),
            [
                Err(MilestoneNotFunded),
                Ok(()),
                Ok(()),
                Err(ws(Disputed)),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "dispute",
            |t, id| t.by(buyer()).dispute(id, 0, [0; 32]),
            [
                Err(ws(Pending)),
                Err(ws(Pending)),
                Ok(()),
                Err(ws(Disputed)),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "offer_settlement",
            |t, id| t.by(seller()).offer_settlement(id, 0, 1),
            [
                Err(ws(Pending)),
                Err(ws(Pending)),
                Err(ws(Submitted)),
                Ok(()),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(ws(Refunded)),
            ],
        ),
        (
            "resolve_dispute",
            |t, id| t.by(arbiter()).resolve_dispute(id, 0, 1),
            [
                Err(ws(Pending)),
                Err(ws(Pending)),
                Err(ws(Submitted)),
                Ok(()),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(ws(Refunded)),
            ],
        ),
        (
            "settle_milestone",
            |t, id| t.by(stranger()).settle_milestone(id, 0),
            [
                Err(ShipByNotPassed),
                Err(ShipByNotPassed),
                Err(ReviewWindowOpen),
                Err(ArbitrationWindowOpen),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "propose_amendment",
            |t, id| {
                t.by(buyer())
                    .propose_amendment(id, 1, SHIP_BY + 1)
                    .map(|_| ())
            },
            [Ok(()), Ok(()), Ok(()), Ok(()), Ok(()), Ok(()), Err(closed)],
        ),
        (
            "propose_cancel",
            |t, id| t.by(buyer()).propose_cancel(id),
            [Ok(()), Ok(()), Ok(()), Ok(()), Ok(()), Ok(()), Err(closed)],
        ),
    ];
    for (name, call, expected) in calls {
        for ((state, setup), want) in milestone_states().into_iter().zip(expected) {
            let mut t = T::new();
            let id = setup(&mut t);
            match want {
                Ok(()) => assert_eq!(call(&mut t, id), Ok(()), "{name} in {state}"),
                Err(e) => t.fails(e, |t| call(t, id)),
            }
            t.assert_books(id);
        }
    }
}

/// Who may call what: every state-changing message by every role, in a state where the
/// message is otherwise valid.
#[ink::test]
fn authorization_matrix() {
    use Error::*;
    #[derive(Clone, Copy)]
    enum Who {
        Buyer,
        Seller,
        Oracle,
        Arbiter,
        Stranger,
    }
    let account = |w: Who| match w {
        Who::Buyer => buyer(),
        Who::Seller => seller(),
        Who::Oracle => oracle1(),
        Who::Arbiter => arbiter(),
        Who::Stranger => stranger(),
    };
    let roles = [
        Who::Buyer,
        Who::Seller,
        Who::Oracle,
        Who::Arbiter,
        Who::Stranger,
    ];
    type Setup = fn(&mut T) -> DealId;
    type Act = fn(&mut T, DealId, AccountId) -> Result<(), Error>;
    let proposed: Setup = |t| t.propose(terms());
    let funded: Setup = |t| t.active(terms(), 1_000);
    let submitted: Setup = |t| {
        let id = t.active(terms(), 1_000);
        t.by(seller()).submit(id, 0, [0; 32]).unwrap();
        id
    };
    let disputed_: Setup = |t| disputed(t, true);
    let offered: Setup = |t| {
        let id = disputed(t, true);
        t.by(seller()).offer_settlement(id, 0, 100).unwrap();
        id
    };
    let cancel_proposed: Setup = |t| {
        let id = t.active(terms(), 1_000);
        t.by(seller()).propose_cancel(id).unwrap();
        id
    };
    let amended: Setup = |t| {
        let id = t.active(terms(), 1_000);
        t.by(seller())
            .propose_amendment(id, 1, SHIP_BY + 9)
            .unwrap();
        id
    };
    let rows: Vec<(&str, Setup, Act, [Result<(), Error>; 5])> = vec![
        (
            "withdraw_proposal",
            proposed,
            |t, id, w| t.by(w).withdraw_proposal(id),
            [
                Ok(()),
                Err(CallerIsNotProposer),
                Err(CallerIsNotProposer),
                Err(CallerIsNotProposer),
                Err(CallerIsNotProposer),
            ],
        ),
        (
            "accept",
            proposed,
            |t, id, w| {
                let h = t.deal(id).terms_hash;
                t.by(w).accept(id, h)
            },
            [
                Err(CannotAcceptOwnProposal),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "submit",
            funded,
            |t, id, w| t.by(w).submit(id, 0, [0; 32]),
            [
                Err(CallerIsNotSeller),
                Ok(()),
                Err(CallerIsNotSeller),
                Err(CallerIsNotSeller),
                Err(CallerIsNotSeller),
            ],
        ),
        (
            "approve",
            submitted,
            |t, id, w| t.by(w).approve(id, 0),
            [
                Ok(()),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
            ],
        ),
        (
            "approve_through",
            submitted,
            |t, id, w| t.by(w).approve_through(id, 1).map(|_| ()),
            [
                Ok(()),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
            ],
        ),
        (
            "attest",
            submitted,
            |t, id, w| t.by(w).attest(id, 0),
            [
                Err(CallerIsNotOracle),
                Err(CallerIsNotOracle),
                Ok(()),
                Err(CallerIsNotOracle),
                Err(CallerIsNotOracle),
            ],
        ),
        (
            "dispute",
            submitted,
            |t, id, w| t.by(w).dispute(id, 0, [0; 32]),
            [
                Ok(()),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "offer_settlement",
            disputed_,
            |t, id, w| t.by(w).offer_settlement(id, 0, 5),
            [
                Ok(()),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "accept_settlement",
            offered,
            |t, id, w| t.by(w).accept_settlement(id, 0, 100),
            [
                Ok(()),
                Err(CannotAcceptOwnProposal),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "resolve_dispute",
            disputed_,
            |t, id, w| t.by(w).resolve_dispute(id, 0, 5),
            [
                Err(CallerIsNotArbiter),
                Err(CallerIsNotArbiter),
                Err(CallerIsNotArbiter),
                Ok(()),
                Err(CallerIsNotArbiter),
            ],
        ),
        (
            "settle_due",
            submitted,
            |t, id, w| {
                t.at(T0 + REVIEW + 1);
                t.by(w).settle_due(id).map(|_| ())
            },
            [Ok(()), Ok(()), Ok(()), Ok(()), Ok(())],
        ),
        (
            "propose_cancel",
            funded,
            |t, id, w| t.by(w).propose_cancel(id),
            [
                Ok(()),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "accept_cancel",
            cancel_proposed,
            |t, id, w| t.by(w).accept_cancel(id),
            [
                Ok(()),
                Err(CannotAcceptOwnProposal),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "propose_amendment",
            funded,
            |t, id, w| t.by(w).propose_amendment(id, 1, SHIP_BY + 9),
            [
                Ok(()),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "accept_amendment",
            amended,
            |t, id, w| t.by(w).accept_amendment(id, 1, SHIP_BY + 9),
            [
                Ok(()),
                Err(CannotAcceptOwnProposal),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
    ];
    let mut cells = 0;
    for (name, setup, act, expected) in rows {
        for (who, want) in roles.iter().zip(expected) {
            let mut t = T::new();
            let id = setup(&mut t);
            let caller = account(*who);
            match want {
                Ok(()) => assert_eq!(act(&mut t, id, caller), Ok(()), "{name}"),
                Err(e) => t.fails(e, |t| act(t, id, caller)),
            }
            cells += 1;
        }
    }
    // Funding is open to anyone: checked separately, with value.
    for who in roles {
        let mut t = T::new();
        let id = t.active(terms(), 0);
        assert_eq!(t.paying(account(who), 10).fund(id), Ok(()));
        cells += 1;
    }
    assert_eq!(cells, 15 * 5 + 5);
}

/// Liveness: from a deal with every kind of milestone in flight, once every clock has run
/// out, a stranger alone brings locked funds to zero.
#[ink::test]
fn stranger_can_drain_every_deal_after_clocks() {
    let mut t = T::new();
    let mut terms = terms();
    terms.arbiter = None;
    terms.milestones.push(MilestoneTerms {
        amount: 50,
        terms_hash: [0; 32],
        ship_by: Some(SHIP_BY),
    });
    let id = t.active(terms, 1_000);
    t.by(seller()).submit(id, 0, [0; 32]).unwrap();
    t.by(seller()).submit(id, 2, [0; 32]).unwrap();
    t.by(buyer()).dispute(id, 2, [0; 32]).unwrap();
    t.at(SHIP_BY + MAX_WINDOW_MS);
    assert_eq!(t.by(stranger()).settle_due(id), Ok(4));
    let v = t.c.deal(id).unwrap();
    assert_eq!((v.locked, v.deal.status), (0, DealStatus::Closed));
    assert_eq!(T::balance(test::callee::<E>()), 0);
    t.assert_books(id);
}
