//! Unit tests in ink!'s off-chain environment.
//!
//! The off-chain engine neither reverts storage on `Err` nor refuses transfers, so every
//! failing call here goes through [`T::fails`], which asserts the exact error *and* that the
//! contract's observable state (deals, milestones, claimables, balance, events) is unchanged:
//! the contract promises checks before effects. Refused transfers and on-chain reverts are
//! covered by the ink_e2e tests on the node.
//!
//! This file holds the shared fixtures (accounts, the seed deal, the harness `T`); the tests
//! are split by concern into the modules below.
mod assign;
mod cancel_and_amend;
mod clocks;
mod disputes;
mod funding;
mod holes;
mod matrices;
mod proposals;
mod reads;
mod releases;
mod tokens;

use crate::{milestone_escrow::MilestoneEscrow, token::mock};
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
/// The seed's funding deadline and the ship-by of its milestones 0 and 2: far enough
/// ahead that only the tests about those clocks reach them.
const LATE: u64 = T0 + 1_000_000;
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
/// A bank the terms may name as the buyer's funder.
fn funder() -> AccountId {
    acct(7)
}
fn fee_recipient() -> AccountId {
    acct(9)
}
/// The account a seller assigns its receivables to (a bank).
fn factor() -> AccountId {
    acct(8)
}
/// Two mock PSP22 tokens (`crate::token::mock`); `T::new` installs both, honest, and gives
/// every party `BASE` of each.
fn usd() -> AccountId {
    AccountId::from([0xC1; 32])
}
fn eur() -> AccountId {
    AccountId::from([0xC2; 32])
}
fn tokens() -> [AccountId; 2] {
    [usd(), eur()]
}
fn everyone() -> [AccountId; 9] {
    [
        factor(),
        buyer(),
        seller(),
        oracle1(),
        oracle2(),
        arbiter(),
        stranger(),
        funder(),
        fee_recipient(),
    ]
}

/// The seed's deal: 30/40/30 of 1,000, shipment attested by oracles (1 of 2), delivery
/// approved by the buyer. Milestone 1 must ship by `SHIP_BY`, the others by `LATE`, and
/// funding closes at `LATE`. No funder besides the buyer.
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
        funder: None,
        fund_by: LATE,
        asset: Asset::Native,
        milestones: vec![
            MilestoneTerms {
                amount: 300,
                terms_hash: [1; 32],
                ship_by: LATE,
            },
            MilestoneTerms {
                amount: 400,
                terms_hash: [2; 32],
                ship_by: SHIP_BY,
            },
            MilestoneTerms {
                amount: 300,
                terms_hash: [3; 32],
                ship_by: LATE,
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
    token_claimable: Vec<Balance>,
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
        for token in tokens() {
            mock::install(token, mock::Mode::Honest);
            for who in everyone() {
                mock::mint(token, who, BASE);
            }
        }
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
            token_claimable: tokens()
                .iter()
                .flat_map(|t| everyone().map(|a| self.c.claimable_tokens_of(a, *t)))
                .collect(),
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
    ///
    /// A token call made before the failure is undone first, as the chain's revert of the
    /// whole call tree undoes it (the mock ledger cannot know the message failed).
    #[track_caller]
    fn fails<R: core::fmt::Debug>(
        &mut self,
        expected: Error,
        f: impl FnOnce(&mut Self) -> Result<R, Error>,
    ) {
        let mut before = self.snapshot();
        let ledger = mock::save();
        self.sent = 0;
        let got = f(self);
        mock::restore(ledger);
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

    /// Proposes (buyer) and accepts (seller) `terms` in `token`, then funds `funds` of it
    /// (buyer: approves the escrow, then `fund_tokens`).
    fn token_active(&mut self, token: AccountId, terms: DealTerms, funds: Balance) -> DealId {
        let terms = DealTerms {
            asset: Asset::Psp22(token),
            ..terms
        };
        let id = self.active(terms, 0);
        if funds > 0 {
            self.fund_tokens(id, buyer(), funds).expect("fund_tokens");
        }
        id
    }

    /// `who` approves the escrow for `amount` of the deal's token and calls `fund_tokens`.
    fn fund_tokens(&mut self, id: DealId, who: AccountId, amount: Balance) -> Result<(), Error> {
        let token = self.deal(id).asset.token().expect("a token deal");
        mock::approve(token, who, test::callee::<E>(), amount);
        self.by(who).fund_tokens(id, amount)
    }

    /// `who`'s token balance change since the start (negative for what it paid); the
    /// escrow's absolute balance.
    fn tokens_of(token: AccountId, who: AccountId) -> i128 {
        let b = i128::try_from(mock::balance_of(token, who).unwrap_or(0)).unwrap();
        if who == test::callee::<E>() {
            b
        } else {
            b - i128::try_from(BASE).unwrap()
        }
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
