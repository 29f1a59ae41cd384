//! Model-based property test of the milestone escrow.
//!
//! A small pure-Rust reference model of the rules (written from the crate docs and the
//! messages' `# Errors` sections, not from the contract's helpers) runs side by side with the
//! contract in the off-chain environment. Random sequences of operations, callers and clock
//! moves are applied to both; after every step the test asserts that:
//!
//! - the contract returned exactly what the model returned (same `Ok` value, or the same
//!   `Error` variant including its fields), and emitted exactly the model's events;
//! - every deal view, milestone view, claimable balance, account index and account balance
//!   equals the model's;
//! - a failing message changed nothing observable (the off-chain engine does not revert
//!   storage on `Err`, so this checks the contract's checks-before-effects promise);
//! - the invariants hold: contract balance >= Σ locked + Σ claimable; per deal
//!   `deposited == released + fees + refunded + locked`, `deposited <= total`,
//!   `locked == Σ covered of unsettled milestones`, `settled_count == #terminal milestones`;
//!   each milestone settles at most once (events and records); deal and milestone states only
//!   move forward; a terminal milestone never changes again; the events' money adds up to
//!   each deal's totals.
//!
//! At the end of every sequence the clock jumps past every clock and non-arbiter accounts
//! (buyer, seller, oracles, a stranger) drive every deal to zero locked funds (liveness).
//!
//! CI runs `MODEL_CASES` sequences (default 256) of 50 steps, split over one thread per core.
//! The big run (10,000 × 50):
//!
//! ```text
//! MODEL_CASES=10000 cargo test --release -p milestone_escrow --lib model_ -- --nocapture
//! ```
//!
//! (`--release` is optional: faster to run, but its first build compiles ink_e2e's tree, a
//! dev-dependency, in release; the debug build `scripts/test.sh` made ran the 10,000 in 728 s
//! on 2 cores. The release profile keeps overflow checks on.) A summary line with totals and
//! per-operation counts is printed at the end.

use crate::milestone_escrow::MilestoneEscrow;
use escrow_types::*;
use ink::env::{test, DefaultEnvironment as Env};
use ink::primitives::AccountId;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

// ---------------------------------------------------------------------------- accounts

/// Accounts that play every role: alice..frank (0x01..0x06) and four more (0x07..0x0a).
const POOL: usize = 10;
const START_BALANCE: Balance = 1_000_000_000_000;
const STEPS: usize = 50;
const START_TIME: Timestamp = 1_000;

fn acct(i: usize) -> AccountId {
    let accounts = test::default_accounts::<Env>();
    match i % POOL {
        0 => accounts.alice,
        1 => accounts.bob,
        2 => accounts.charlie,
        3 => accounts.django,
        4 => accounts.eve,
        5 => accounts.frank,
        n => AccountId::from([(n + 1) as u8; 32]),
    }
}
fn zero_acct() -> AccountId {
    AccountId::from([0u8; 32])
}
fn contract_acct() -> AccountId {
    AccountId::from([0xCC; 32])
}
fn fee_acct() -> AccountId {
    AccountId::from([0xFE; 32])
}
/// Every account whose balance, claimable and deal index the test compares.
fn tracked() -> Vec<AccountId> {
    let mut v: Vec<AccountId> = (0..POOL).map(acct).collect();
    v.push(zero_acct());
    v.push(fee_acct());
    v.push(contract_acct());
    v
}

// ---------------------------------------------------------------------------- events

/// Every event the contract may emit, decoded from the off-chain recorder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    DealProposed(DealProposed),
    DealWithdrawn(DealWithdrawn),
    DealAccepted(DealAccepted),
    DealFunded(DealFunded),
    MilestoneSubmitted(MilestoneSubmitted),
    MilestoneAttested(MilestoneAttested),
    MilestoneReleased(MilestoneReleased),
    MilestoneRefunded(MilestoneRefunded),
    MilestoneDisputed(MilestoneDisputed),
    SettlementOffered(SettlementOffered),
    DisputeResolved(DisputeResolved),
    CancellationProposed(CancellationProposed),
    DealCancelled(DealCancelled),
    AmendmentProposed(AmendmentProposed),
    AmendmentAccepted(AmendmentAccepted),
    PayoutDeferred(PayoutDeferred),
    Withdrawn(Withdrawn),
    DealClosed(DealClosed),
}

impl Ev {
    fn name(&self) -> &'static str {
        match self {
            Ev::DealProposed(_) => "DealProposed",
            Ev::DealWithdrawn(_) => "DealWithdrawn",
            Ev::DealAccepted(_) => "DealAccepted",
            Ev::DealFunded(_) => "DealFunded",
            Ev::MilestoneSubmitted(_) => "MilestoneSubmitted",
            Ev::MilestoneAttested(_) => "MilestoneAttested",
            Ev::MilestoneReleased(_) => "MilestoneReleased",
            Ev::MilestoneRefunded(_) => "MilestoneRefunded",
            Ev::MilestoneDisputed(_) => "MilestoneDisputed",
            Ev::SettlementOffered(_) => "SettlementOffered",
            Ev::DisputeResolved(_) => "DisputeResolved",
            Ev::CancellationProposed(_) => "CancellationProposed",
            Ev::DealCancelled(_) => "DealCancelled",
            Ev::AmendmentProposed(_) => "AmendmentProposed",
            Ev::AmendmentAccepted(_) => "AmendmentAccepted",
            Ev::PayoutDeferred(_) => "PayoutDeferred",
            Ev::Withdrawn(_) => "Withdrawn",
            Ev::DealClosed(_) => "DealClosed",
        }
    }
}

/// Decodes one recorded event; only when its first topic is the type's signature topic.
fn decode_event(e: &test::EmittedEvent) -> Ev {
    let first = e.topics.first().expect("event without a signature topic");
    let sig: [u8; 32] = first
        .as_slice()
        .try_into()
        .expect("signature topic is 32 bytes");
    macro_rules! try_decode {
        ($($ty:ident),* $(,)?) => {$(
            if <$ty as ink::env::Event>::SIGNATURE_TOPIC == Some(sig) {
                let ev = <$ty as scale::DecodeAll>::decode_all(&mut &e.data[..])
                    .unwrap_or_else(|err| panic!("cannot decode {}: {err:?}", stringify!($ty)));
                return Ev::$ty(ev);
            }
        )*};
    }
    try_decode!(
        DealProposed,
        DealWithdrawn,
        DealAccepted,
        DealFunded,
        MilestoneSubmitted,
        MilestoneAttested,
        MilestoneReleased,
        MilestoneRefunded,
        MilestoneDisputed,
        SettlementOffered,
        DisputeResolved,
        CancellationProposed,
        DealCancelled,
        AmendmentProposed,
        AmendmentAccepted,
        PayoutDeferred,
        Withdrawn,
        DealClosed,
    );
    panic!("event with unknown signature topic {sig:?}")
}

// ---------------------------------------------------------------------------- calls

/// A message call with concrete arguments, as both the contract and the model receive it.
#[derive(Debug, Clone)]
enum Call {
    Propose(DealTerms),
    WithdrawProposal(DealId),
    Accept(DealId, Digest),
    Fund(DealId),
    Submit(DealId, u8, Digest),
    Approve(DealId, u8),
    ApproveThrough(DealId, u8),
    Attest(DealId, u8),
    Dispute(DealId, u8, Digest),
    OfferSettlement(DealId, u8, Balance),
    AcceptSettlement(DealId, u8, Balance),
    ResolveDispute(DealId, u8, Balance),
    SettleMilestone(DealId, u8),
    SettleDue(DealId),
    ProposeCancel(DealId),
    AcceptCancel(DealId),
    ProposeAmendment(DealId, u8, Timestamp),
    AcceptAmendment(DealId, u8, Timestamp),
    Withdraw,
    CloseDeal(DealId),
}

impl Call {
    fn name(&self) -> &'static str {
        match self {
            Call::Propose(_) => "propose",
            Call::WithdrawProposal(_) => "withdraw_proposal",
            Call::Accept(..) => "accept",
            Call::Fund(_) => "fund",
            Call::Submit(..) => "submit",
            Call::Approve(..) => "approve",
            Call::ApproveThrough(..) => "approve_through",
            Call::Attest(..) => "attest",
            Call::Dispute(..) => "dispute",
            Call::OfferSettlement(..) => "offer_settlement",
            Call::AcceptSettlement(..) => "accept_settlement",
            Call::ResolveDispute(..) => "resolve_dispute",
            Call::SettleMilestone(..) => "settle_milestone",
            Call::SettleDue(_) => "settle_due",
            Call::ProposeCancel(_) => "propose_cancel",
            Call::AcceptCancel(_) => "accept_cancel",
            Call::ProposeAmendment(..) => "propose_amendment",
            Call::AcceptAmendment(..) => "accept_amendment",
            Call::Withdraw => "withdraw",
            Call::CloseDeal(_) => "close_deal",
        }
    }
}

/// What a message returned on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    Unit,
    Id(DealId),
    Count(u8),
    Amount(Balance),
}

fn call_contract(c: &mut MilestoneEscrow, call: &Call) -> Result<Out, Error> {
    let unit = |r: Result<(), Error>| r.map(|()| Out::Unit);
    match call.clone() {
        Call::Propose(t) => c.propose(t).map(Out::Id),
        Call::WithdrawProposal(id) => unit(c.withdraw_proposal(id)),
        Call::Accept(id, h) => unit(c.accept(id, h)),
        Call::Fund(id) => unit(c.fund(id)),
        Call::Submit(id, i, e) => unit(c.submit(id, i, e)),
        Call::Approve(id, i) => unit(c.approve(id, i)),
        Call::ApproveThrough(id, l) => c.approve_through(id, l).map(Out::Count),
        Call::Attest(id, i) => unit(c.attest(id, i)),
        Call::Dispute(id, i, r) => unit(c.dispute(id, i, r)),
        Call::OfferSettlement(id, i, a) => unit(c.offer_settlement(id, i, a)),
        Call::AcceptSettlement(id, i, a) => unit(c.accept_settlement(id, i, a)),
        Call::ResolveDispute(id, i, a) => unit(c.resolve_dispute(id, i, a)),
        Call::SettleMilestone(id, i) => unit(c.settle_milestone(id, i)),
        Call::SettleDue(id) => c.settle_due(id).map(Out::Count),
        Call::ProposeCancel(id) => unit(c.propose_cancel(id)),
        Call::AcceptCancel(id) => unit(c.accept_cancel(id)),
        Call::ProposeAmendment(id, i, t) => unit(c.propose_amendment(id, i, t)),
        Call::AcceptAmendment(id, i, t) => unit(c.accept_amendment(id, i, t)),
        Call::Withdraw => c.withdraw().map(Out::Amount),
        Call::CloseDeal(id) => unit(c.close_deal(id)),
    }
}

// ---------------------------------------------------------------------------- the model

/// One deal in the model: the terms as proposed, the record and its milestones.
#[derive(Debug, Clone)]
struct MDeal {
    terms: DealTerms,
    deal: Deal,
    ms: Vec<Milestone>,
}

/// The reference model: the whole instance, plus the chain balances of the accounts.
#[derive(Debug, Clone)]
struct Model {
    now: Timestamp,
    fee_recipient: AccountId,
    fee_bps: u16,
    /// Deal `n` is `deals[n]`: ids are handed out in order.
    deals: Vec<MDeal>,
    claimable: BTreeMap<AccountId, Balance>,
    balances: BTreeMap<AccountId, Balance>,
    /// The deals each account takes part in, oldest first.
    index: BTreeMap<AccountId, Vec<DealId>>,
}

/// Side effects a message produces: events, and payouts made after all bookkeeping.
#[derive(Default)]
struct Fx {
    events: Vec<Ev>,
    payouts: Vec<(AccountId, Balance)>,
}

/// What a clock has made due (the rules in `settle_milestone`'s docs).
#[derive(Debug, Clone, Copy)]
enum Due {
    Release,
    Refund(RefundReason),
    Fallback,
}

fn party(d: &Deal, who: AccountId) -> Option<Role> {
    if who == d.buyer {
        Some(Role::Buyer)
    } else if who == d.seller {
        Some(Role::Seller)
    } else {
        None
    }
}

fn settled(s: MilestoneStatus) -> bool {
    matches!(
        s,
        MilestoneStatus::Released | MilestoneStatus::Refunded | MilestoneStatus::Resolved
    )
}

/// The part of a milestone the deposits cover: deposits fill milestones in order.
fn covered(m: &Milestone, deposited: Balance) -> Balance {
    if deposited <= m.funded_from {
        0
    } else {
        (deposited - m.funded_from).min(m.amount)
    }
}

fn need_deal(d: &Deal, allowed: &[DealStatus]) -> Result<(), Error> {
    if allowed.contains(&d.status) {
        Ok(())
    } else {
        Err(Error::WrongDealState { found: d.status })
    }
}

fn need_ms(m: &Milestone, allowed: &[MilestoneStatus]) -> Result<(), Error> {
    if allowed.contains(&m.status) {
        Ok(())
    } else {
        Err(Error::WrongMilestoneState { found: m.status })
    }
}

fn ship_by_passed(m: &Milestone, now: Timestamp) -> bool {
    matches!(m.ship_by, Some(t) if now > t)
}

fn hash_of(terms: &DealTerms) -> Digest {
    let mut out = [0u8; 32];
    ink::env::hash_encoded::<ink::env::hash::Blake2x256, _>(terms, &mut out);
    out
}

impl Model {
    fn new(fee_recipient: AccountId, fee_bps: u16) -> Result<Model, Error> {
        if fee_bps > MAX_FEE_BPS {
            return Err(Error::FeeTooHigh);
        }
        if fee_bps > 0 && fee_recipient == zero_acct() {
            return Err(Error::ZeroAccount);
        }
        let mut balances = BTreeMap::new();
        for i in 0..POOL {
            balances.insert(acct(i), START_BALANCE);
        }
        Ok(Model {
            now: START_TIME,
            fee_recipient,
            fee_bps,
            deals: Vec::new(),
            claimable: BTreeMap::new(),
            balances,
            index: BTreeMap::new(),
        })
    }

    fn next_id(&self) -> u64 {
        self.deals.len() as u64
    }

    fn bal(&self, a: AccountId) -> Balance {
        self.balances.get(&a).copied().unwrap_or(0)
    }

    /// Moves chain balance (value sent with a call, a payout, a forced transfer).
    fn move_balance(&mut self, from: AccountId, to: AccountId, amount: Balance) {
        let f = self
            .bal(from)
            .checked_sub(amount)
            .expect("model: balance underflow");
        self.balances.insert(from, f);
        let t = self.bal(to) + amount;
        self.balances.insert(to, t);
    }

    fn locked(md: &MDeal) -> Balance {
        let d = &md.deal;
        d.deposited - d.released - d.fees - d.refunded
    }

    fn find(&self, id: DealId) -> Result<usize, Error> {
        if id.0 < self.next_id() {
            Ok(id.0 as usize)
        } else {
            Err(Error::DealNotFound)
        }
    }

    fn find_ms(&self, i: usize, index: u8) -> Result<usize, Error> {
        if usize::from(index) < self.deals[i].ms.len() {
            Ok(usize::from(index))
        } else {
            Err(Error::MilestoneNotFound)
        }
    }

    /// Runs one call on a copy of the model: the new model, the result and the events, or
    /// the error (the model itself is then unchanged).
    fn apply(
        &self,
        caller: AccountId,
        value: Balance,
        call: &Call,
    ) -> Result<(Model, Out, Vec<Ev>), Error> {
        let mut next = self.clone();
        let mut fx = Fx::default();
        let out = next.exec(caller, value, call, &mut fx)?;
        assert!(fx.payouts.is_empty(), "model: unpaid payouts");
        Ok((next, out, fx.events))
    }

    fn exec(
        &mut self,
        caller: AccountId,
        value: Balance,
        call: &Call,
        fx: &mut Fx,
    ) -> Result<Out, Error> {
        use DealStatus as D;
        use MilestoneStatus as M;
        let now = self.now;
        match *call {
            Call::Propose(ref t) => self.propose(caller, t, fx).map(Out::Id),
            Call::WithdrawProposal(id) => {
                let i = self.find(id)?;
                let d = &self.deals[i].deal;
                if party(d, caller) != Some(d.proposer) {
                    return Err(Error::CallerIsNotProposer);
                }
                need_deal(d, &[D::Proposed])?;
                self.deals[i].deal.status = D::Withdrawn;
                fx.events.push(Ev::DealWithdrawn(DealWithdrawn {
                    deal_id: id,
                    by: caller,
                }));
                Ok(Out::Unit)
            }
            Call::Accept(id, hash) => {
                let i = self.find(id)?;
                let d = &self.deals[i].deal;
                let role = party(d, caller).ok_or(Error::CallerIsNotParty)?;
                if role == d.proposer {
                    return Err(Error::CannotAcceptOwnProposal);
                }
                need_deal(d, &[D::Proposed])?;
                if hash != d.terms_hash {
                    return Err(Error::TermsHashMismatch);
                }
                if value > 0 && role != Role::Buyer {
                    return Err(Error::UnexpectedValue);
                }
                self.deposit_allowed(i, value)?;
                let d = &mut self.deals[i].deal;
                d.status = D::Active;
                d.accepted_at = Some(now);
                fx.events.push(Ev::DealAccepted(DealAccepted {
                    deal_id: id,
                    by: caller,
                    at: now,
                }));
                self.deposit(i, caller, value, fx);
                self.pay(i, fx);
                Ok(Out::Unit)
            }
            Call::Fund(id) => {
                let i = self.find(id)?;
                need_deal(&self.deals[i].deal, &[D::Active])?;
                if value == 0 {
                    return Err(Error::ZeroDeposit);
                }
                self.deposit_allowed(i, value)?;
                self.deposit(i, caller, value, fx);
                self.pay(i, fx);
                Ok(Out::Unit)
            }
            Call::Submit(id, index, evidence) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let md = &self.deals[i];
                if caller != md.deal.seller {
                    return Err(Error::CallerIsNotSeller);
                }
                need_deal(&md.deal, &[D::Active])?;
                let m = &md.ms[k];
                need_ms(m, &[M::Pending])?;
                if covered(m, md.deal.deposited) < m.amount {
                    return Err(Error::MilestoneNotFunded);
                }
                if ship_by_passed(m, now) {
                    return Err(Error::ShipByPassed);
                }
                let review_ends = now.saturating_add(md.deal.review_window);
                let m = &mut self.deals[i].ms[k];
                m.status = M::Submitted;
                m.evidence_hash = Some(evidence);
                m.submitted_at = Some(now);
                m.amendment = None;
                fx.events.push(Ev::MilestoneSubmitted(MilestoneSubmitted {
                    deal_id: id,
                    seller: caller,
                    index,
                    evidence_hash: evidence,
                    review_ends,
                }));
                Ok(Out::Unit)
            }
            Call::Approve(id, index) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                self.buyer_may_release(i, caller)?;
                need_deal(&self.deals[i].deal, &[D::Active])?;
                self.releasable(i, k)?;
                self.release(i, k, ReleaseVia::Buyer, fx);
                self.close_if_done(i);
                self.pay(i, fx);
                Ok(Out::Unit)
            }
            Call::ApproveThrough(id, last) => {
                let i = self.find(id)?;
                if usize::from(last) >= self.deals[i].ms.len() {
                    return Err(Error::MilestoneNotFound);
                }
                self.buyer_may_release(i, caller)?;
                need_deal(&self.deals[i].deal, &[D::Active])?;
                let mut todo = Vec::new();
                for k in 0..=usize::from(last) {
                    let s = self.deals[i].ms[k].status;
                    if settled(s) {
                        continue;
                    }
                    if s == M::Disputed {
                        return Err(Error::MilestoneDisputed);
                    }
                    self.releasable(i, k)?;
                    todo.push(k);
                }
                if todo.is_empty() {
                    return Err(Error::NothingToRelease);
                }
                for &k in &todo {
                    self.release(i, k, ReleaseVia::BuyerBatch, fx);
                }
                self.close_if_done(i);
                self.pay(i, fx);
                Ok(Out::Count(todo.len() as u8))
            }
            Call::Attest(id, index) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let d = &self.deals[i].deal;
                let pos = d
                    .oracles
                    .iter()
                    .position(|o| *o == caller)
                    .ok_or(Error::CallerIsNotOracle)?;
                if d.release_rule == ReleaseRule::Buyer {
                    return Err(Error::RuleForbidsOracles);
                }
                need_deal(d, &[D::Active])?;
                self.releasable(i, k)?;
                let m = &self.deals[i].ms[k];
                if m.status == M::Pending && ship_by_passed(m, now) {
                    return Err(Error::ShipByPassed);
                }
                let bit = 1u8 << pos;
                if m.attestations & bit != 0 {
                    return Err(Error::AlreadyAttested);
                }
                let threshold = self.deals[i].deal.oracle_threshold;
                let m = &mut self.deals[i].ms[k];
                m.attestations |= bit;
                let n = m.attestations.count_ones() as u8;
                fx.events.push(Ev::MilestoneAttested(MilestoneAttested {
                    deal_id: id,
                    oracle: caller,
                    index,
                    attestations: n,
                    threshold,
                }));
                if n >= threshold {
                    self.release(i, k, ReleaseVia::Oracles, fx);
                    self.close_if_done(i);
                }
                self.pay(i, fx);
                Ok(Out::Unit)
            }
            Call::Dispute(id, index, reason) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let md = &self.deals[i];
                let role = party(&md.deal, caller).ok_or(Error::CallerIsNotParty)?;
                need_deal(&md.deal, &[D::Active])?;
                let m = &md.ms[k];
                need_ms(m, &[M::Submitted])?;
                let review_end = m
                    .submitted_at
                    .expect("submitted")
                    .saturating_add(md.deal.review_window);
                if now > review_end {
                    return Err(Error::ReviewWindowClosed);
                }
                let arbitration_ends = now.saturating_add(md.deal.arbitration_window);
                let m = &mut self.deals[i].ms[k];
                m.status = M::Disputed;
                m.dispute = Some(Dispute {
                    by: role,
                    opened_at: now,
                    reason_hash: reason,
                    offer: None,
                });
                fx.events.push(Ev::MilestoneDisputed(MilestoneDisputed {
                    deal_id: id,
                    by: caller,
                    index,
                    reason_hash: reason,
                    arbitration_ends,
                }));
                Ok(Out::Unit)
            }
            Call::OfferSettlement(id, index, seller_amount) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let role = party(&self.deals[i].deal, caller).ok_or(Error::CallerIsNotParty)?;
                let m = &mut self.deals[i].ms[k];
                need_ms(m, &[M::Disputed])?;
                if seller_amount > m.amount {
                    return Err(Error::SplitExceedsAmount);
                }
                m.dispute.as_mut().expect("disputed").offer = Some(Offer {
                    by: role,
                    seller_amount,
                });
                fx.events.push(Ev::SettlementOffered(SettlementOffered {
                    deal_id: id,
                    by: caller,
                    index,
                    seller_amount,
                }));
                Ok(Out::Unit)
            }
            Call::AcceptSettlement(id, index, seller_amount) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let role = party(&self.deals[i].deal, caller).ok_or(Error::CallerIsNotParty)?;
                let m = &self.deals[i].ms[k];
                need_ms(m, &[M::Disputed])?;
                let offer = m.dispute.and_then(|d| d.offer).ok_or(Error::NoOffer)?;
                if offer.by == role {
                    return Err(Error::CannotAcceptOwnProposal);
                }
                if offer.seller_amount != seller_amount {
                    return Err(Error::OfferMismatch);
                }
                self.split(i, k, seller_amount, Resolution::Settlement, fx);
                self.close_if_done(i);
                self.pay(i, fx);
                Ok(Out::Unit)
            }
            Call::ResolveDispute(id, index, seller_amount) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                if self.deals[i].deal.arbiter != Some(caller) {
                    return Err(Error::CallerIsNotArbiter);
                }
                let m = &self.deals[i].ms[k];
                need_ms(m, &[M::Disputed])?;
                if seller_amount > m.amount {
                    return Err(Error::SplitExceedsAmount);
                }
                self.split(i, k, seller_amount, Resolution::Arbiter, fx);
                self.close_if_done(i);
                self.pay(i, fx);
                Ok(Out::Unit)
            }
            Call::SettleMilestone(id, index) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                need_deal(&self.deals[i].deal, &[D::Active, D::Cancelled])?;
                let due = self.due(i, k)?;
                self.apply_due(i, k, due, fx);
                self.close_if_done(i);
                self.pay(i, fx);
                Ok(Out::Unit)
            }
            Call::SettleDue(id) => {
                let i = self.find(id)?;
                need_deal(&self.deals[i].deal, &[D::Active, D::Cancelled])?;
                // What is due is decided at the call's time, before any of it is settled.
                let due: Vec<(usize, Due)> = (0..self.deals[i].ms.len())
                    .filter(|&k| !settled(self.deals[i].ms[k].status))
                    .filter_map(|k| self.due(i, k).ok().map(|d| (k, d)))
                    .collect();
                if due.is_empty() {
                    return Err(Error::NothingDue);
                }
                for &(k, d) in &due {
                    self.apply_due(i, k, d, fx);
                }
                self.close_if_done(i);
                self.pay(i, fx);
                Ok(Out::Count(due.len() as u8))
            }
            Call::CloseDeal(id) => {
                let i = self.find(id)?;
                let d = &mut self.deals[i].deal;
                if d.closure_recorded {
                    return Err(Error::ClosureAlreadyRecorded);
                }
                need_deal(d, &[D::Closed])?;
                d.closure_recorded = true;
                d.cancel_proposed_by = None;
                fx.events.push(Ev::DealClosed(DealClosed { deal_id: id }));
                Ok(Out::Unit)
            }
            Call::ProposeCancel(id) => {
                let i = self.find(id)?;
                let d = &mut self.deals[i].deal;
                let role = party(d, caller).ok_or(Error::CallerIsNotParty)?;
                need_deal(d, &[D::Active])?;
                if d.cancel_proposed_by.is_some() {
                    return Err(Error::CancellationAlreadyProposed);
                }
                d.cancel_proposed_by = Some(role);
                fx.events
                    .push(Ev::CancellationProposed(CancellationProposed {
                        deal_id: id,
                        by: caller,
                    }));
                Ok(Out::Unit)
            }
            Call::AcceptCancel(id) => {
                let i = self.find(id)?;
                let d = &mut self.deals[i].deal;
                let role = party(d, caller).ok_or(Error::CallerIsNotParty)?;
                need_deal(d, &[D::Active])?;
                let by = d.cancel_proposed_by.ok_or(Error::NoCancellationPending)?;
                if by == role {
                    return Err(Error::CannotAcceptOwnProposal);
                }
                d.status = D::Cancelled;
                d.cancel_proposed_by = None;
                d.funding_closed = true;
                let mut total = 0;
                for k in 0..self.deals[i].ms.len() {
                    if matches!(self.deals[i].ms[k].status, M::Pending | M::Submitted) {
                        total += self.refund(i, k, RefundReason::Cancelled, fx);
                    }
                }
                fx.events.push(Ev::DealCancelled(DealCancelled {
                    deal_id: id,
                    by: caller,
                    refunded: total,
                }));
                self.close_if_done(i);
                // One payment for the whole cancellation.
                fx.payouts.push((self.deals[i].deal.buyer, total));
                self.pay(i, fx);
                Ok(Out::Unit)
            }
            Call::ProposeAmendment(id, index, new_ship_by) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let md = &mut self.deals[i];
                let role = party(&md.deal, caller).ok_or(Error::CallerIsNotParty)?;
                need_deal(&md.deal, &[D::Active])?;
                let m = &mut md.ms[k];
                need_ms(m, &[M::Pending])?;
                match m.ship_by {
                    Some(current) if new_ship_by > current => {}
                    _ => return Err(Error::NotAnExtension),
                }
                if new_ship_by <= now {
                    return Err(Error::ShipByInPast);
                }
                m.amendment = Some(Amendment {
                    by: role,
                    new_ship_by,
                });
                fx.events.push(Ev::AmendmentProposed(AmendmentProposed {
                    deal_id: id,
                    by: caller,
                    index,
                    new_ship_by,
                }));
                Ok(Out::Unit)
            }
            Call::AcceptAmendment(id, index, new_ship_by) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let md = &mut self.deals[i];
                let role = party(&md.deal, caller).ok_or(Error::CallerIsNotParty)?;
                need_deal(&md.deal, &[D::Active])?;
                let m = &mut md.ms[k];
                need_ms(m, &[M::Pending])?;
                let a = m.amendment.ok_or(Error::NoAmendmentPending)?;
                if a.by == role {
                    return Err(Error::CannotAcceptOwnProposal);
                }
                if a.new_ship_by != new_ship_by {
                    return Err(Error::AmendmentMismatch);
                }
                m.ship_by = Some(new_ship_by);
                m.amendment = None;
                fx.events.push(Ev::AmendmentAccepted(AmendmentAccepted {
                    deal_id: id,
                    by: caller,
                    index,
                    new_ship_by,
                }));
                Ok(Out::Unit)
            }
            Call::Withdraw => {
                let amount = self.claimable.get(&caller).copied().unwrap_or(0);
                if amount == 0 {
                    return Err(Error::NothingToWithdraw);
                }
                if self.bal(contract_acct()) < amount {
                    return Err(Error::TransferFailed);
                }
                self.claimable.remove(&caller);
                fx.events.push(Ev::Withdrawn(Withdrawn {
                    account: caller,
                    amount,
                }));
                self.move_balance(contract_acct(), caller, amount);
                Ok(Out::Amount(amount))
            }
        }
    }

    fn propose(&mut self, caller: AccountId, t: &DealTerms, fx: &mut Fx) -> Result<DealId, Error> {
        let proposer = if caller == t.buyer {
            Role::Buyer
        } else if caller == t.seller {
            Role::Seller
        } else {
            return Err(Error::CallerIsNotParty);
        };
        if t.milestones.is_empty() {
            return Err(Error::NoMilestones);
        }
        if t.milestones.len() > usize::from(MAX_MILESTONES) {
            return Err(Error::TooManyMilestones);
        }
        if t.oracles.len() > usize::from(MAX_ORACLES) {
            return Err(Error::TooManyOracles);
        }
        // Roles in order buyer, seller, arbiter, oracles: each must be non-zero and unique.
        let mut roles = vec![t.buyer, t.seller];
        roles.extend(t.arbiter);
        roles.extend(t.oracles.iter().copied());
        for (n, who) in roles.iter().enumerate() {
            if *who == zero_acct() {
                return Err(Error::ZeroAccount);
            }
            if roles[n + 1..].contains(who) {
                return Err(Error::DuplicateRole);
            }
        }
        let k = usize::from(t.oracle_threshold);
        let threshold_ok = if t.oracles.is_empty() {
            k == 0 && t.release_rule == ReleaseRule::Buyer
        } else {
            (1..=t.oracles.len()).contains(&k)
        };
        if !threshold_ok {
            return Err(Error::InvalidThreshold);
        }
        if t.fallback_seller_bps > BPS_DENOMINATOR {
            return Err(Error::InvalidBps);
        }
        if !(1..=MAX_WINDOW_MS).contains(&t.review_window)
            || !(1..=MAX_WINDOW_MS).contains(&t.arbitration_window)
        {
            return Err(Error::InvalidWindow);
        }
        let mut total: Balance = 0;
        for m in &t.milestones {
            if m.amount == 0 {
                return Err(Error::ZeroAmount);
            }
            if matches!(m.ship_by, Some(s) if s <= self.now) {
                return Err(Error::ShipByInPast);
            }
            total = total.checked_add(m.amount).ok_or(Error::AmountOverflow)?;
        }
        let id = DealId(self.next_id());
        let terms_hash = hash_of(t);
        let mut ms = Vec::new();
        let mut before = 0;
        for m in &t.milestones {
            ms.push(Milestone {
                amount: m.amount,
                terms_hash: m.terms_hash,
                ship_by: m.ship_by,
                funded_from: before,
                status: MilestoneStatus::Pending,
                evidence_hash: None,
                submitted_at: None,
                attestations: 0,
                dispute: None,
                amendment: None,
                outcome: None,
            });
            before += m.amount;
        }
        for who in roles {
            self.index.entry(who).or_default().push(id);
        }
        let deal = Deal {
            buyer: t.buyer,
            seller: t.seller,
            oracles: t.oracles.clone(),
            oracle_threshold: t.oracle_threshold,
            arbiter: t.arbiter,
            release_rule: t.release_rule,
            review_window: t.review_window,
            arbitration_window: t.arbitration_window,
            fallback_seller_bps: t.fallback_seller_bps,
            advance: t.advance,
            agreement_hash: t.agreement_hash,
            terms_hash,
            milestone_count: t.milestones.len() as u8,
            total,
            proposer,
            status: DealStatus::Proposed,
            proposed_at: self.now,
            accepted_at: None,
            deposited: 0,
            released: 0,
            fees: 0,
            refunded: 0,
            settled_count: 0,
            funding_closed: false,
            cancel_proposed_by: None,
            closure_recorded: false,
        };
        self.deals.push(MDeal {
            terms: t.clone(),
            deal,
            ms,
        });
        fx.events.push(Ev::DealProposed(DealProposed {
            deal_id: id,
            buyer: t.buyer,
            seller: t.seller,
            proposer,
            terms: t.clone(),
            terms_hash,
        }));
        Ok(id)
    }

    fn buyer_may_release(&self, i: usize, caller: AccountId) -> Result<(), Error> {
        let d = &self.deals[i].deal;
        if caller != d.buyer {
            return Err(Error::CallerIsNotBuyer);
        }
        if d.release_rule == ReleaseRule::Oracles {
            return Err(Error::RuleForbidsBuyerRelease);
        }
        Ok(())
    }

    /// Approval or attestation may release a pending-and-funded or a submitted milestone.
    fn releasable(&self, i: usize, k: usize) -> Result<(), Error> {
        let md = &self.deals[i];
        let m = &md.ms[k];
        need_ms(m, &[MilestoneStatus::Pending, MilestoneStatus::Submitted])?;
        if covered(m, md.deal.deposited) < m.amount {
            return Err(Error::MilestoneNotFunded);
        }
        Ok(())
    }

    fn deposit_allowed(&self, i: usize, value: Balance) -> Result<(), Error> {
        if value == 0 {
            return Ok(());
        }
        let d = &self.deals[i].deal;
        if d.funding_closed {
            return Err(Error::FundingClosed);
        }
        let remaining = d.total - d.deposited;
        if value > remaining {
            return Err(Error::OverFunded { remaining });
        }
        Ok(())
    }

    /// Books a deposit; an advance milestone 0 pays out once accepted and funded.
    fn deposit(&mut self, i: usize, funder: AccountId, value: Balance, fx: &mut Fx) {
        if value == 0 {
            return;
        }
        let md = &mut self.deals[i];
        md.deal.deposited += value;
        fx.events.push(Ev::DealFunded(DealFunded {
            deal_id: DealId(i as u64),
            funder,
            amount: value,
            deposited: md.deal.deposited,
        }));
        let m0 = &md.ms[0];
        // Past its ship-by, milestone 0 belongs to the buyer's refund right: no advance.
        if md.deal.advance
            && md.deal.status == DealStatus::Active
            && m0.status == MilestoneStatus::Pending
            && covered(m0, md.deal.deposited) == m0.amount
            && !ship_by_passed(m0, self.now)
        {
            self.release(i, 0, ReleaseVia::Advance, fx);
            self.close_if_done(i);
        }
    }

    fn release(&mut self, i: usize, k: usize, via: ReleaseVia, fx: &mut Fx) {
        let fee_recipient = self.fee_recipient;
        let (net, fee) = seller_payment(self.deals[i].ms[k].amount, self.fee_bps).expect("fee");
        let md = &mut self.deals[i];
        md.deal.released += net;
        md.deal.fees += fee;
        md.deal.settled_count += 1;
        let m = &mut md.ms[k];
        m.status = MilestoneStatus::Released;
        m.amendment = None;
        m.outcome = Some(Outcome {
            to_seller: net,
            fee,
            to_buyer: 0,
        });
        fx.events.push(Ev::MilestoneReleased(MilestoneReleased {
            deal_id: DealId(i as u64),
            seller: md.deal.seller,
            index: k as u8,
            amount: net,
            fee,
            via,
        }));
        fx.payouts.push((md.deal.seller, net));
        fx.payouts.push((fee_recipient, fee));
    }

    /// Returns the funded part of a milestone to the buyer (the caller pays it out).
    fn refund(&mut self, i: usize, k: usize, reason: RefundReason, fx: &mut Fx) -> Balance {
        let md = &mut self.deals[i];
        let amount = covered(&md.ms[k], md.deal.deposited);
        md.deal.refunded += amount;
        md.deal.settled_count += 1;
        if amount < md.ms[k].amount {
            // Deposits fill milestones in order: nothing may be deposited past this gap.
            md.deal.funding_closed = true;
        }
        let m = &mut md.ms[k];
        m.status = MilestoneStatus::Refunded;
        m.amendment = None;
        m.outcome = Some(Outcome {
            to_seller: 0,
            fee: 0,
            to_buyer: amount,
        });
        fx.events.push(Ev::MilestoneRefunded(MilestoneRefunded {
            deal_id: DealId(i as u64),
            buyer: md.deal.buyer,
            index: k as u8,
            amount,
            reason,
        }));
        amount
    }

    fn split(
        &mut self,
        i: usize,
        k: usize,
        seller_gross: Balance,
        resolution: Resolution,
        fx: &mut Fx,
    ) {
        let fee_recipient = self.fee_recipient;
        let o =
            split_outcome(self.deals[i].ms[k].amount, seller_gross, self.fee_bps).expect("split");
        let md = &mut self.deals[i];
        md.deal.released += o.to_seller;
        md.deal.fees += o.fee;
        md.deal.refunded += o.to_buyer;
        md.deal.settled_count += 1;
        let m = &mut md.ms[k];
        m.status = MilestoneStatus::Resolved;
        m.outcome = Some(o);
        fx.events.push(Ev::DisputeResolved(DisputeResolved {
            deal_id: DealId(i as u64),
            resolution,
            index: k as u8,
            to_seller: o.to_seller,
            fee: o.fee,
            to_buyer: o.to_buyer,
        }));
        fx.payouts.push((md.deal.seller, o.to_seller));
        fx.payouts.push((fee_recipient, o.fee));
        fx.payouts.push((md.deal.buyer, o.to_buyer));
    }

    fn due(&self, i: usize, k: usize) -> Result<Due, Error> {
        let md = &self.deals[i];
        let (d, m, now) = (&md.deal, &md.ms[k], self.now);
        match m.status {
            MilestoneStatus::Submitted => {
                if now
                    > m.submitted_at
                        .expect("submitted")
                        .saturating_add(d.review_window)
                {
                    Ok(Due::Release)
                } else {
                    Err(Error::ReviewWindowOpen)
                }
            }
            MilestoneStatus::Pending => {
                if ship_by_passed(m, now) {
                    Ok(Due::Refund(RefundReason::ShipByMissed))
                } else if d.funding_closed && covered(m, d.deposited) < m.amount {
                    Ok(Due::Refund(RefundReason::FundingClosed))
                } else {
                    Err(Error::ShipByNotPassed)
                }
            }
            MilestoneStatus::Disputed => {
                let opened = m.dispute.expect("disputed").opened_at;
                if now > opened.saturating_add(d.arbitration_window) {
                    Ok(Due::Fallback)
                } else {
                    Err(Error::ArbitrationWindowOpen)
                }
            }
            found => Err(Error::WrongMilestoneState { found }),
        }
    }

    fn apply_due(&mut self, i: usize, k: usize, due: Due, fx: &mut Fx) {
        match due {
            Due::Release => self.release(i, k, ReleaseVia::Timeout, fx),
            Due::Refund(reason) => {
                let amount = self.refund(i, k, reason, fx);
                fx.payouts.push((self.deals[i].deal.buyer, amount));
            }
            Due::Fallback => {
                let md = &self.deals[i];
                let gross = bps_of(md.ms[k].amount, md.deal.fallback_seller_bps).expect("bps");
                self.split(i, k, gross, Resolution::Fallback, fx);
            }
        }
    }

    /// A deal is closed as soon as every milestone is settled; `close_deal` only records
    /// it (with `DealClosed`), so nothing is emitted here.
    fn close_if_done(&mut self, i: usize) {
        let d = &mut self.deals[i].deal;
        if d.settled_count == d.milestone_count && d.status != DealStatus::Closed {
            d.status = DealStatus::Closed;
        }
    }

    /// Pays the pending payouts; a payment the chain would refuse is credited instead.
    fn pay(&mut self, i: usize, fx: &mut Fx) {
        for (to, amount) in std::mem::take(&mut fx.payouts) {
            if amount == 0 {
                continue;
            }
            if self.bal(contract_acct()) >= amount {
                self.move_balance(contract_acct(), to, amount);
            } else {
                *self.claimable.entry(to).or_default() += amount;
                fx.events.push(Ev::PayoutDeferred(PayoutDeferred {
                    deal_id: DealId(i as u64),
                    account: to,
                    amount,
                }));
            }
        }
    }

    /// The latest time any clock of any deal runs to.
    fn last_clock(&self) -> Timestamp {
        let mut t = self.now;
        for md in &self.deals {
            for m in &md.ms {
                t = t.max(m.ship_by.unwrap_or(0));
                if let Some(s) = m.submitted_at {
                    t = t.max(s.saturating_add(md.deal.review_window));
                }
                if let Some(d) = m.dispute {
                    t = t.max(d.opened_at.saturating_add(md.deal.arbitration_window));
                }
            }
        }
        t
    }

    /// The model's version of everything the contract lets one read.
    fn snap(&self) -> Snap {
        let mut deals = Vec::new();
        let mut milestones = Vec::new();
        for (n, md) in self.deals.iter().enumerate() {
            let id = DealId(n as u64);
            let d = &md.deal;
            deals.push(Some(DealView {
                id,
                deal: d.clone(),
                locked: Model::locked(md),
            }));
            let mut views: Vec<Option<MilestoneView>> = md
                .ms
                .iter()
                .enumerate()
                .map(|(k, m)| {
                    Some(MilestoneView {
                        index: k as u8,
                        milestone: m.clone(),
                        covered: covered(m, d.deposited),
                        review_ends: m.submitted_at.map(|s| s.saturating_add(d.review_window)),
                        arbitration_ends: match (m.status, m.dispute) {
                            (MilestoneStatus::Disputed, Some(x)) => {
                                Some(x.opened_at.saturating_add(d.arbitration_window))
                            }
                            _ => None,
                        },
                    })
                })
                .collect();
            views.push(None);
            milestones.push(views);
        }
        deals.push(None);
        milestones.push(vec![None]);
        let accounts = tracked();
        Snap {
            deal_count: self.next_id(),
            deals,
            milestones,
            claimable: accounts
                .iter()
                .map(|a| self.claimable.get(a).copied().unwrap_or(0))
                .collect(),
            index: accounts
                .iter()
                .map(|a| {
                    let ids = self.index.get(a).cloned().unwrap_or_default();
                    (
                        ids.len() as u32,
                        ids.into_iter().take(MAX_PAGE as usize).collect(),
                    )
                })
                .collect(),
            config: Config {
                fee_recipient: self.fee_recipient,
                fee_bps: self.fee_bps,
                max_milestones: MAX_MILESTONES,
                max_oracles: MAX_ORACLES,
            },
        }
    }
}

// ---------------------------------------------------------------------------- snapshots

/// Everything observable about the contract through its read messages.
#[derive(Debug, Clone, PartialEq)]
struct Snap {
    deal_count: u64,
    /// Deals `0..=deal_count` (the last is `None`).
    deals: Vec<Option<DealView>>,
    /// Per deal, milestones `0..=milestone_count` (the last is `None`).
    milestones: Vec<Vec<Option<MilestoneView>>>,
    claimable: Vec<Balance>,
    /// Per tracked account: `deal_count_of` and the first page of `deals_of`.
    index: Vec<(u32, Vec<DealId>)>,
    config: Config,
}

fn contract_snap(c: &MilestoneEscrow) -> Snap {
    let deal_count = c.deal_count();
    let mut deals = Vec::new();
    let mut milestones = Vec::new();
    for n in 0..=deal_count {
        let id = DealId(n);
        let view = c.deal(id);
        let count = view.as_ref().map_or(0, |v| v.deal.milestone_count);
        milestones.push((0..=count).map(|k| c.milestone(id, k)).collect());
        deals.push(view);
    }
    let accounts = tracked();
    Snap {
        deal_count,
        deals,
        milestones,
        claimable: accounts.iter().map(|a| c.claimable_of(*a)).collect(),
        index: accounts
            .iter()
            .map(|a| (c.deal_count_of(*a), c.deals_of(*a, 0, MAX_PAGE)))
            .collect(),
        config: c.config(),
    }
}

fn chain_balance(a: AccountId) -> Balance {
    test::get_account_balance::<Env>(a).unwrap_or(0)
}

fn deal_rank(s: DealStatus) -> u8 {
    match s {
        DealStatus::Proposed => 0,
        DealStatus::Active => 1,
        DealStatus::Cancelled => 2,
        DealStatus::Closed => 3,
        DealStatus::Withdrawn => 4,
    }
}

/// Deal states only move forward: Proposed < Active < Cancelled < Closed, Proposed → Withdrawn.
fn deal_step_ok(from: DealStatus, to: DealStatus) -> bool {
    use DealStatus::*;
    from == to
        || match from {
            Withdrawn | Closed => false,
            Proposed => true,
            _ => to != Withdrawn && deal_rank(to) > deal_rank(from),
        }
}

fn ms_rank(s: MilestoneStatus) -> u8 {
    match s {
        MilestoneStatus::Pending => 0,
        MilestoneStatus::Submitted => 1,
        MilestoneStatus::Disputed => 2,
        _ => 3,
    }
}

/// Milestone states only move forward: Pending < Submitted < Disputed < terminal (Pending
/// may jump straight to a terminal state); terminal states never change.
fn ms_step_ok(from: MilestoneStatus, to: MilestoneStatus) -> bool {
    from == to || (!settled(from) && ms_rank(to) > ms_rank(from))
}

// ---------------------------------------------------------------------------- operations

/// Who calls, relative to the deal the operation targets.
#[derive(Debug, Clone, Copy)]
enum Who {
    Buyer,
    Seller,
    /// The party that did not make the pending proposal the message answers (the deal
    /// proposal, a settlement offer, a cancellation, an amendment); the seller if none.
    Counterparty,
    /// The party that made it (the buyer if none).
    Proposer,
    Oracle(u8),
    Arbiter,
    /// Any pool account (often a stranger, sometimes a party).
    Any(u8),
}

/// Which milestone an operation names.
#[derive(Debug, Clone, Copy)]
enum Ix {
    /// The first unsettled milestone (the last one if all are settled).
    FirstOpen,
    /// Index `n % milestone_count`.
    InRange(u8),
    /// This raw index (often out of range).
    Raw(u8),
}

#[derive(Debug, Clone, Copy)]
enum ValueSel {
    Zero,
    /// Exactly what the deal still takes.
    Remaining,
    /// What completes the first not fully funded milestone.
    NextMilestone,
    Random(Balance),
    /// More than the deal still takes.
    Over(Balance),
}

#[derive(Debug, Clone, Copy)]
enum AmtSel {
    /// The amount of the offer on record (or half the milestone if none).
    Offered,
    /// A share of the milestone amount.
    Bps(u16),
    /// One more than the milestone amount.
    Exceed,
    Raw(Balance),
}

#[derive(Debug, Clone, Copy)]
enum ShipSel {
    /// The pending amendment's time (or now + 10 if none).
    Pending,
    /// Current ship-by (or now) plus this.
    Extend(u64),
    /// Current ship-by (or now) minus this.
    Back(u64),
    Now,
}

#[derive(Debug, Clone)]
struct ProposeSpec {
    by_seller: bool,
    /// Some: a pool account calls instead of the named party.
    caller_any: Option<u8>,
    /// A permutation of the pool: roles are taken from it in order.
    order: Vec<usize>,
    n_oracles: usize,
    threshold_valid: bool,
    threshold_raw: u8,
    arbiter: bool,
    rule: ReleaseRule,
    review_window: u64,
    arbitration_window: u64,
    fallback_bps: u16,
    advance: bool,
    agreement: u8,
    /// (amount, ship-by offset from now, terms-hash byte).
    milestones: Vec<(Balance, Option<u64>, u8)>,
    /// Some(k): milestone `k % len` gets a ship-by at or before now (`ShipByInPast`).
    past_ship_by: Option<(u8, u8)>,
    /// Some(k): milestone `k % len` gets amount 0 (`ZeroAmount`).
    zero_amount: Option<u8>,
    /// 0: none; 1: seller = buyer; 2: zero buyer; 3: duplicate oracle; 4: arbiter = seller;
    /// 5: zero arbiter or oracle.
    corrupt: u8,
}

#[derive(Debug, Clone)]
enum Op {
    /// Clock move (first so that shrinking turns irrelevant steps into `Advance(0)`).
    Advance(u64),
    Propose(Box<ProposeSpec>),
    /// A guided step: the natural next action for one of the newest live deals.
    Auto {
        deal: u8,
        seed: u32,
        spec: Box<ProposeSpec>,
    },
    WithdrawProposal {
        deal: u8,
        who: Who,
    },
    Accept {
        deal: u8,
        who: Who,
        right_hash: bool,
        value: ValueSel,
    },
    Fund {
        deal: u8,
        who: Who,
        value: ValueSel,
    },
    Submit {
        deal: u8,
        who: Who,
        ix: Ix,
        evidence: u8,
    },
    Approve {
        deal: u8,
        who: Who,
        ix: Ix,
    },
    ApproveThrough {
        deal: u8,
        who: Who,
        ix: Ix,
    },
    Attest {
        deal: u8,
        who: Who,
        ix: Ix,
    },
    Dispute {
        deal: u8,
        who: Who,
        ix: Ix,
        reason: u8,
    },
    Offer {
        deal: u8,
        who: Who,
        ix: Ix,
        amt: AmtSel,
    },
    AcceptOffer {
        deal: u8,
        who: Who,
        ix: Ix,
        amt: AmtSel,
    },
    Resolve {
        deal: u8,
        who: Who,
        ix: Ix,
        amt: AmtSel,
    },
    SettleMilestone {
        deal: u8,
        who: Who,
        ix: Ix,
    },
    SettleDue {
        deal: u8,
        who: Who,
    },
    ProposeCancel {
        deal: u8,
        who: Who,
    },
    AcceptCancel {
        deal: u8,
        who: Who,
    },
    ProposeAmendment {
        deal: u8,
        who: Who,
        ix: Ix,
        ship: ShipSel,
    },
    AcceptAmendment {
        deal: u8,
        who: Who,
        ix: Ix,
        ship: ShipSel,
    },
    Withdraw {
        who: u8,
    },
    CloseDeal {
        deal: u8,
        who: Who,
    },
    /// Value forced into the contract from outside (no message runs).
    ForceTransfer(Balance),
}

/// Any caller at all.
fn who_s() -> impl Strategy<Value = Who> {
    prop_oneof![
        3 => Just(Who::Buyer),
        3 => Just(Who::Seller),
        1 => Just(Who::Counterparty),
        1 => Just(Who::Proposer),
        2 => (0u8..3).prop_map(Who::Oracle),
        1 => Just(Who::Arbiter),
        2 => (0u8..POOL as u8).prop_map(Who::Any),
    ]
}

/// Mostly the caller the message is meant for, otherwise anyone.
fn who_pref(preferred: impl Strategy<Value = Who> + 'static) -> impl Strategy<Value = Who> {
    prop_oneof![7 => preferred, 3 => who_s()]
}

fn party_s() -> impl Strategy<Value = Who> {
    prop_oneof![Just(Who::Buyer), Just(Who::Seller)]
}

fn ix_s() -> impl Strategy<Value = Ix> {
    prop_oneof![
        5 => Just(Ix::FirstOpen),
        5 => any::<u8>().prop_map(Ix::InRange),
        1 => (0u8..=17).prop_map(Ix::Raw),
    ]
}

fn value_s(zero_weight: u32) -> impl Strategy<Value = ValueSel> {
    prop_oneof![
        zero_weight => Just(ValueSel::Zero),
        3 => Just(ValueSel::Remaining),
        5 => Just(ValueSel::NextMilestone),
        2 => (1u128..=1000).prop_map(ValueSel::Random),
        1 => (1u128..=50).prop_map(ValueSel::Over),
    ]
}

fn amt_s(offered_weight: u32) -> impl Strategy<Value = AmtSel> {
    prop_oneof![
        offered_weight => Just(AmtSel::Offered),
        6 => (0u16..=10_000).prop_map(AmtSel::Bps),
        1 => Just(AmtSel::Exceed),
        1 => (0u128..=1000).prop_map(AmtSel::Raw),
    ]
}

fn ship_s(pending_weight: u32) -> impl Strategy<Value = ShipSel> {
    prop_oneof![
        pending_weight => Just(ShipSel::Pending),
        6 => (1u64..=300).prop_map(ShipSel::Extend),
        1 => (0u64..=50).prop_map(ShipSel::Back),
        1 => Just(ShipSel::Now),
    ]
}

fn window_s() -> impl Strategy<Value = u64> {
    prop_oneof![60 => 1u64..=100, 1 => Just(0u64), 1 => Just(MAX_WINDOW_MS + 1), 1 => Just(MAX_WINDOW_MS)]
}

fn rare<T: std::fmt::Debug + Clone + 'static>(
    odds: u32,
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![odds => Just(None), 1 => s.prop_map(Some)]
}

fn propose_s() -> impl Strategy<Value = ProposeSpec> {
    let one_ms = || {
        (
            1u128..=1000,
            prop_oneof![2 => Just(None), 3 => (1u64..=600).prop_map(Some)],
            any::<u8>(),
        )
    };
    let milestones = prop_oneof![
        60 => prop::collection::vec(one_ms(), 1..=4),
        1 => Just(Vec::new()),
        1 => prop::collection::vec(one_ms(), 17..=17),
        1 => Just(vec![(u128::MAX, None, 1), (1, None, 2)]),
    ];
    let people = (
        any::<bool>(),
        rare(40, 0u8..POOL as u8),
        Just((0..POOL).collect::<Vec<usize>>()).prop_shuffle(),
        prop_oneof![40 => 0usize..=3, 1 => Just(6usize)],
        prop_oneof![30 => Just(true), 1 => Just(false)],
        0u8..=4,
        any::<bool>(),
        prop_oneof![
            Just(ReleaseRule::Buyer),
            Just(ReleaseRule::Oracles),
            Just(ReleaseRule::BuyerOrOracles)
        ],
        prop_oneof![60 => Just(0u8), 1 => 1u8..=5],
    );
    let rest = (
        window_s(),
        window_s(),
        prop_oneof![40 => 0u16..=10_000, 1 => Just(10_001u16)],
        prop_oneof![2 => Just(false), 1 => Just(true)],
        any::<u8>(),
        milestones,
        rare(40, (any::<u8>(), 0u8..=20)),
        rare(40, any::<u8>()),
    );
    (people, rest).prop_map(
        |(
            (
                by_seller,
                caller_any,
                order,
                n_oracles,
                threshold_valid,
                threshold_raw,
                arbiter,
                rule,
                corrupt,
            ),
            (
                review_window,
                arbitration_window,
                fallback_bps,
                advance,
                agreement,
                milestones,
                past_ship_by,
                zero_amount,
            ),
        )| ProposeSpec {
            by_seller,
            caller_any,
            order,
            n_oracles,
            threshold_valid,
            threshold_raw,
            arbiter,
            rule,
            review_window,
            arbitration_window,
            fallback_bps,
            advance,
            agreement,
            milestones,
            past_ship_by,
            zero_amount,
            corrupt,
        },
    )
}

fn op_s() -> impl Strategy<Value = Op> {
    let d = any::<u8>;
    let oracle = || (0u8..3).prop_map(Who::Oracle);
    prop_oneof![
        10 => (0u64..=150).prop_map(Op::Advance),
        6 => propose_s().prop_map(|p| Op::Propose(Box::new(p))),
        60 => (d(), any::<u32>(), propose_s())
            .prop_map(|(deal, seed, spec)| Op::Auto { deal, seed, spec: Box::new(spec) }),
        2 => (d(), who_pref(Just(Who::Proposer))).prop_map(|(deal, who)| Op::WithdrawProposal { deal, who }),
        8 => (d(), who_pref(Just(Who::Counterparty)), prop_oneof![8 => Just(true), 1 => Just(false)], value_s(12))
            .prop_map(|(deal, who, right_hash, value)| Op::Accept { deal, who, right_hash, value }),
        10 => (d(), who_pref(Just(Who::Buyer)), value_s(1)).prop_map(|(deal, who, value)| Op::Fund { deal, who, value }),
        10 => (d(), who_pref(Just(Who::Seller)), ix_s(), any::<u8>())
            .prop_map(|(deal, who, ix, evidence)| Op::Submit { deal, who, ix, evidence }),
        5 => (d(), who_pref(Just(Who::Buyer)), ix_s()).prop_map(|(deal, who, ix)| Op::Approve { deal, who, ix }),
        3 => (d(), who_pref(Just(Who::Buyer)), ix_s())
            .prop_map(|(deal, who, ix)| Op::ApproveThrough { deal, who, ix }),
        7 => (d(), who_pref(oracle()), ix_s()).prop_map(|(deal, who, ix)| Op::Attest { deal, who, ix }),
        7 => (d(), who_pref(party_s()), ix_s(), any::<u8>())
            .prop_map(|(deal, who, ix, reason)| Op::Dispute { deal, who, ix, reason }),
        5 => (d(), who_pref(party_s()), ix_s(), amt_s(1))
            .prop_map(|(deal, who, ix, amt)| Op::Offer { deal, who, ix, amt }),
        5 => (d(), who_pref(Just(Who::Counterparty)), ix_s(), amt_s(8))
            .prop_map(|(deal, who, ix, amt)| Op::AcceptOffer { deal, who, ix, amt }),
        4 => (d(), who_pref(Just(Who::Arbiter)), ix_s(), amt_s(1))
            .prop_map(|(deal, who, ix, amt)| Op::Resolve { deal, who, ix, amt }),
        5 => (d(), who_s(), ix_s()).prop_map(|(deal, who, ix)| Op::SettleMilestone { deal, who, ix }),
        5 => (d(), who_s()).prop_map(|(deal, who)| Op::SettleDue { deal, who }),
        2 => (d(), who_pref(party_s())).prop_map(|(deal, who)| Op::ProposeCancel { deal, who }),
        2 => (d(), who_pref(Just(Who::Counterparty))).prop_map(|(deal, who)| Op::AcceptCancel { deal, who }),
        3 => (d(), who_pref(party_s()), ix_s(), ship_s(1))
            .prop_map(|(deal, who, ix, ship)| Op::ProposeAmendment { deal, who, ix, ship }),
        3 => (d(), who_pref(Just(Who::Counterparty)), ix_s(), ship_s(8))
            .prop_map(|(deal, who, ix, ship)| Op::AcceptAmendment { deal, who, ix, ship }),
        1 => (0u8..POOL as u8).prop_map(|who| Op::Withdraw { who }),
        2 => (d(), who_s()).prop_map(|(deal, who)| Op::CloseDeal { deal, who }),
        1 => (1u128..=1000).prop_map(Op::ForceTransfer),
    ]
}

/// A sequence of `STEPS` operations; the first proposes a deal so that the rest has one.
fn ops_s() -> impl Strategy<Value = Vec<Op>> {
    (
        propose_s(),
        prop::collection::vec(op_s(), STEPS - 1..=STEPS - 1),
    )
        .prop_map(|(p, rest)| {
            let mut ops = vec![Op::Propose(Box::new(p))];
            ops.extend(rest);
            ops
        })
}

/// Fee configuration of one case: (fee bps, fee recipient: 0..10 pool, 10 dedicated, 11 zero).
fn fee_s() -> impl Strategy<Value = (u16, u8)> {
    (
        prop_oneof![10 => 0u16..=500, 2 => Just(0u16), 2 => Just(500u16), 1 => 501u16..=600],
        prop_oneof![6 => Just(10u8), 4 => 0u8..10, 1 => Just(11u8)],
    )
}

// ---------------------------------------------------------------------------- statistics

#[derive(Default)]
struct Stats {
    sequences: u64,
    steps: u64,
    ok: u64,
    err: u64,
    liveness_calls: u64,
    liveness_ok: u64,
    liveness_time_moves: u64,
    deals_driven: u64,
    /// Steps where a non-buyer's deposit after a missed ship-by paid out the advance.
    refund_taken: u64,
    per_op: BTreeMap<&'static str, (u64, u64)>,
    errors: BTreeMap<String, u64>,
    events: BTreeMap<&'static str, u64>,
}

static STATS: Mutex<Option<Stats>> = Mutex::new(None);

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn error_name(e: &Error) -> String {
    let s = format!("{e:?}");
    s.split([' ', '{']).next().unwrap_or("").to_string()
}

// ---------------------------------------------------------------------------- the harness

/// Money that the events say moved, per deal.
#[derive(Default, Clone, Debug)]
struct Sums {
    funded: Balance,
    to_seller: Balance,
    fees: Balance,
    to_buyer: Balance,
    /// Settling events (released, refunded, resolved) per milestone index.
    settles: BTreeMap<u8, u32>,
}

struct Harness {
    c: MilestoneEscrow,
    m: Model,
    prev: Snap,
    events_seen: usize,
    sums: BTreeMap<u64, Sums>,
    trace: Vec<String>,
    stats: Stats,
    in_liveness: bool,
}

impl Harness {
    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n--- steps (t=time, no-op clock moves left out) ---\n{}",
            self.trace.join("\n")
        )
    }

    fn ensure(&self, cond: bool, what: impl FnOnce() -> String) {
        if !cond {
            self.fail(&what());
        }
    }

    fn ensure_eq<T: PartialEq + std::fmt::Debug>(&self, got: &T, want: &T, what: &str) {
        if got != want {
            self.fail(&format!(
                "{what}\n  contract: {got:?}\n  expected: {want:?}"
            ));
        }
    }

    /// Compares two snapshots, reporting the first differing record compactly.
    fn ensure_same_snap(&self, got: &Snap, want: &Snap, what: &str) {
        if got == want {
            return;
        }
        for (n, (a, b)) in got.deals.iter().zip(&want.deals).enumerate() {
            self.ensure_eq(a, b, &format!("{what}: deal {n}"));
        }
        for (n, (a, b)) in got.milestones.iter().zip(&want.milestones).enumerate() {
            for (k, (x, y)) in a.iter().zip(b).enumerate() {
                self.ensure_eq(x, y, &format!("{what}: deal {n} milestone {k}"));
            }
            self.ensure_eq(
                &a.len(),
                &b.len(),
                &format!("{what}: deal {n} milestone count"),
            );
        }
        self.ensure_eq(
            &got.claimable,
            &want.claimable,
            &format!("{what}: claimable balances"),
        );
        self.ensure_eq(
            &got.index,
            &want.index,
            &format!("{what}: account deal index"),
        );
        self.ensure_eq(got, want, what);
    }

    fn new_events(&mut self) -> Vec<Ev> {
        let all: Vec<test::EmittedEvent> = test::recorded_events().collect();
        let new: Vec<Ev> = all[self.events_seen..].iter().map(decode_event).collect();
        self.events_seen = all.len();
        new
    }

    /// One message call, applied to the contract and to the model and compared.
    fn call(&mut self, caller: AccountId, value: Balance, call: Call) -> Result<Out, Error> {
        // Refund owed to the buyer for an advance milestone 0 whose ship-by passed, if a
        // non-buyer funds it now (see `regress_advance_after_ship_by_takes_buyers_refund`).
        let refund_owed = match call {
            Call::Fund(id) => self.mdeal(id).and_then(|md| {
                let m0 = &md.ms[0];
                (md.deal.advance
                    && m0.status == MilestoneStatus::Pending
                    && ship_by_passed(m0, self.m.now)
                    && caller != md.deal.buyer)
                    .then(|| covered(m0, md.deal.deposited))
            }),
            _ => None,
        };
        test::set_caller::<Env>(caller);
        if value > 0 {
            // Credits the contract and sets the transferred value (kept even on `Err`: the
            // off-chain engine does not revert).
            test::transfer_in::<Env>(value);
            self.m.move_balance(caller, contract_acct(), value);
        } else {
            test::set_value_transferred::<Env>(0);
        }
        let got = call_contract(&mut self.c, &call);
        test::set_value_transferred::<Env>(0);
        let want = self.m.apply(caller, value, &call);
        let want_out = want.as_ref().map(|(_, o, _)| *o).map_err(|e| *e);
        let mut line = format!(
            "t={} {} caller={} value={} {} -> {:?}",
            self.m.now,
            call.name(),
            caller_name(caller),
            value,
            short(&call),
            got
        );
        if self.in_liveness {
            line.insert_str(0, "[liveness] ");
        }
        self.trace.push(line);
        self.ensure_eq(
            &got,
            &want_out,
            &format!("{}: result differs from the model", call.name()),
        );
        let events = self.new_events();
        let is_ok = want.is_ok();
        let e = self.stats.per_op.entry(call.name()).or_default();
        if is_ok {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
        match want {
            Ok((next, _, want_events)) => {
                self.stats.ok += 1;
                self.ensure_eq(
                    &events,
                    &want_events,
                    &format!("{}: events differ from the model", call.name()),
                );
                self.m = next;
                let advance_paid = events.iter().any(|e| {
                    matches!(e, Ev::MilestoneReleased(r) if r.index == 0 && r.via == ReleaseVia::Advance)
                });
                // Once a pending milestone's ship-by has passed, the buyer's refund of its
                // funded part is never paid to the seller without the buyer's action (the
                // bug this model found; `regress_advance_after_ship_by_takes_buyers_refund`).
                if advance_paid && refund_owed.is_some_and(|owed| owed > 0) {
                    self.stats.refund_taken += 1;
                    self.fail(
                        "advance release after ship-by paid the buyer's refund to the seller",
                    );
                }
            }
            Err(err) => {
                self.stats.err += 1;
                *self.stats.errors.entry(error_name(&err)).or_default() += 1;
                self.ensure(events.is_empty(), || {
                    format!("{}: failing call emitted {events:?}", call.name())
                });
                let now = contract_snap(&self.c);
                self.ensure_same_snap(
                    &now,
                    &self.prev,
                    &format!("{}: failing call changed the contract's state", call.name()),
                );
            }
        }
        self.record_events(&events);
        self.after_step();
        got
    }

    fn advance(&mut self, ms: u64) {
        self.m.now += ms;
        test::set_block_timestamp::<Env>(self.m.now);
        if ms > 0 {
            self.trace.push(format!("t={} clock +{ms}", self.m.now));
        }
        self.after_step();
    }

    fn force_transfer(&mut self, amount: Balance) {
        let from = acct(POOL - 1);
        test::set_caller::<Env>(from);
        test::transfer_in::<Env>(amount);
        test::set_value_transferred::<Env>(0);
        self.m.move_balance(from, contract_acct(), amount);
        self.trace.push(format!(
            "t={} forced transfer of {amount} into the contract",
            self.m.now
        ));
        self.after_step();
    }

    fn record_events(&mut self, events: &[Ev]) {
        for ev in events {
            *self.stats.events.entry(ev.name()).or_default() += 1;
            let (id, f) = match ev {
                Ev::DealFunded(e) => {
                    let s = self.sums.entry(e.deal_id.0).or_default();
                    s.funded += e.amount;
                    let funded = s.funded;
                    self.ensure(e.deposited == funded, || {
                        format!(
                            "DealFunded.deposited {} != Σ deposits {funded}",
                            e.deposited
                        )
                    });
                    continue;
                }
                Ev::MilestoneReleased(e) => (e.deal_id.0, (e.index, e.amount, e.fee, 0)),
                Ev::MilestoneRefunded(e) => (e.deal_id.0, (e.index, 0, 0, e.amount)),
                Ev::DisputeResolved(e) => (e.deal_id.0, (e.index, e.to_seller, e.fee, e.to_buyer)),
                _ => continue,
            };
            let s = self.sums.entry(id).or_default();
            s.to_seller += f.1;
            s.fees += f.2;
            s.to_buyer += f.3;
            *s.settles.entry(f.0).or_default() += 1;
        }
    }

    /// Compares the contract with the model and checks the invariants.
    fn after_step(&mut self) {
        self.stats.steps += 1;
        let cur = contract_snap(&self.c);
        let want = self.m.snap();
        self.ensure_same_snap(&cur, &want, "contract state differs from the model");
        for a in tracked() {
            let got = chain_balance(a);
            let want = self.m.bal(a);
            self.ensure(got == want, || {
                format!("balance of {}: chain {got}, model {want}", caller_name(a))
            });
        }
        self.check_invariants(&cur);
        self.prev = cur;
    }

    /// The issue's invariants, checked on the contract's own reads (not the model).
    fn check_invariants(&self, cur: &Snap) {
        let mut owed: Balance = 0;
        for (n, view) in cur.deals.iter().enumerate() {
            let Some(view) = view else {
                self.ensure(n as u64 == cur.deal_count, || format!("deal {n} missing"));
                continue;
            };
            let d = &view.deal;
            let paid = d
                .released
                .checked_add(d.fees)
                .and_then(|x| x.checked_add(d.refunded));
            self.ensure(paid.is_some_and(|p| p <= d.deposited), || {
                format!("deal {n}: released + fees + refunded exceeds deposited: {d:?}")
            });
            self.ensure(view.locked + paid.unwrap_or(0) == d.deposited, || {
                format!("deal {n}: deposited != released + fees + refunded + locked: {view:?}")
            });
            self.ensure(d.deposited <= d.total, || {
                format!("deal {n}: deposited > total")
            });
            self.ensure(
                d.settled_count <= d.milestone_count && d.milestone_count <= MAX_MILESTONES,
                || format!("deal {n}: counts {d:?}"),
            );
            let k = usize::from(d.oracle_threshold);
            self.ensure(
                (d.oracles.is_empty() && k == 0)
                    || (0 < k
                        && k <= d.oracles.len()
                        && d.oracles.len() <= usize::from(MAX_ORACLES)),
                || format!("deal {n}: oracle threshold {d:?}"),
            );
            if matches!(d.status, DealStatus::Proposed | DealStatus::Withdrawn) {
                self.ensure(d.deposited == 0, || {
                    format!("deal {n}: deposit before acceptance")
                });
            }
            owed += view.locked;

            let views = &cur.milestones[n];
            self.ensure(
                views.len() == usize::from(d.milestone_count) + 1 && views.last() == Some(&None),
                || format!("deal {n}: milestone records do not match milestone_count"),
            );
            let ms: Vec<&MilestoneView> = views.iter().flatten().collect();
            self.ensure(ms.len() == usize::from(d.milestone_count), || {
                format!("deal {n}: missing milestone")
            });
            let mut terminal = 0u8;
            let mut unsettled_cover: Balance = 0;
            let mut sum: Balance = 0;
            let sums = self.sums.get(&(n as u64)).cloned().unwrap_or_default();
            for (k, mv) in ms.iter().enumerate() {
                let m = &mv.milestone;
                self.ensure(m.funded_from == sum, || {
                    format!("deal {n} milestone {k}: funded_from")
                });
                sum += m.amount;
                let settles = sums.settles.get(&(k as u8)).copied().unwrap_or(0);
                if settled(m.status) {
                    terminal += 1;
                    let o = m.outcome.unwrap_or_else(|| {
                        self.fail(&format!("deal {n} milestone {k}: no outcome"))
                    });
                    let total = o.to_seller + o.fee + o.to_buyer;
                    self.ensure(total <= m.amount, || {
                        format!("deal {n} milestone {k}: outcome exceeds amount")
                    });
                    if m.status != MilestoneStatus::Refunded {
                        self.ensure(total == m.amount, || {
                            format!("deal {n} milestone {k}: outcome != amount")
                        });
                    }
                    self.ensure(settles == 1, || {
                        format!("deal {n} milestone {k}: settled {settles} times")
                    });
                } else {
                    unsettled_cover += mv.covered;
                    self.ensure(m.outcome.is_none() && settles == 0, || {
                        format!("deal {n} milestone {k}: paid but not terminal")
                    });
                }
                // Forward-only, and a terminal milestone never changes again.
                if let Some(Some(Some(before))) = self.prev.milestones.get(n).map(|v| v.get(k)) {
                    let (a, b) = (before.milestone.status, m.status);
                    self.ensure(ms_step_ok(a, b), || {
                        format!("deal {n} milestone {k}: {a:?} -> {b:?}")
                    });
                    if settled(a) {
                        self.ensure(before.milestone == *m, || {
                            format!("deal {n} milestone {k}: terminal record changed")
                        });
                    }
                }
            }
            self.ensure(sum == d.total, || format!("deal {n}: Σ amounts != total"));
            self.ensure(terminal == d.settled_count, || {
                format!("deal {n}: settled_count != terminal milestones")
            });
            self.ensure(
                (terminal == d.milestone_count) == (d.status == DealStatus::Closed),
                || format!("deal {n}: closed iff all settled ({d:?})"),
            );
            self.ensure(view.locked == unsettled_cover, || {
                format!(
                    "deal {n}: locked {} != Σ covered of unsettled milestones {unsettled_cover}",
                    view.locked
                )
            });
            if let Some(Some(before)) = self.prev.deals.get(n) {
                let (a, b) = (before.deal.status, d.status);
                self.ensure(deal_step_ok(a, b), || format!("deal {n}: {a:?} -> {b:?}"));
            }
            // The events' money adds up to the deal's totals.
            self.ensure(sums.funded == d.deposited, || {
                format!("deal {n}: Σ DealFunded != deposited")
            });
            self.ensure(sums.to_seller == d.released && sums.fees == d.fees, || {
                format!("deal {n}: Σ released events {sums:?} != released/fees {d:?}")
            });
            self.ensure(sums.to_buyer == d.refunded, || {
                format!("deal {n}: Σ refund events != refunded")
            });
        }
        for c in &cur.claimable {
            owed += c;
        }
        let balance = chain_balance(contract_acct());
        self.ensure(balance >= owed, || {
            format!("contract balance {balance} < Σ locked + Σ claimable {owed}")
        });
    }

    // ------------------------------------------------------------------ resolving ops

    /// Mostly the newest deals (so that sequences go deep), sometimes a nonexistent one.
    fn pick_deal(&self, sel: u8) -> DealId {
        let n = self.m.next_id();
        let back = match sel % 16 {
            15 => return DealId(n + u64::from(sel % 2)),
            0..=7 => 0,
            8..=11 => 1,
            _ => 2,
        };
        if n == 0 {
            return DealId(0);
        }
        DealId(n - 1 - back.min(n - 1))
    }

    fn mdeal(&self, id: DealId) -> Option<&MDeal> {
        self.m.deals.get(id.0 as usize)
    }

    /// `pending`: who made the proposal the call answers, if any.
    fn who(&self, id: DealId, who: Who, pending: Option<Role>) -> AccountId {
        let d = self.mdeal(id).map(|md| &md.deal);
        let role_acct = |r: Role| {
            d.map_or(acct(r as usize), |d| {
                if r == Role::Buyer {
                    d.buyer
                } else {
                    d.seller
                }
            })
        };
        match who {
            Who::Buyer => role_acct(Role::Buyer),
            Who::Seller => role_acct(Role::Seller),
            Who::Counterparty => role_acct(pending.map_or(Role::Seller, Role::counterparty)),
            Who::Proposer => role_acct(pending.unwrap_or(Role::Buyer)),
            Who::Oracle(i) => d
                .and_then(|d| d.oracles.get(usize::from(i)).copied())
                .unwrap_or(acct(usize::from(i) + 5)),
            Who::Arbiter => d.and_then(|d| d.arbiter).unwrap_or(acct(8)),
            Who::Any(k) => acct(usize::from(k)),
        }
    }

    fn index(&self, id: DealId, ix: Ix) -> u8 {
        let Some(md) = self.mdeal(id) else {
            return match ix {
                Ix::Raw(k) => k,
                _ => 0,
            };
        };
        let count = md.ms.len();
        match ix {
            Ix::FirstOpen => md
                .ms
                .iter()
                .position(|m| !settled(m.status))
                .unwrap_or(count - 1) as u8,
            Ix::InRange(k) => (usize::from(k) % count) as u8,
            Ix::Raw(k) => k,
        }
    }

    fn value(&self, id: DealId, v: ValueSel) -> Balance {
        let Some(md) = self.mdeal(id) else {
            return match v {
                ValueSel::Zero => 0,
                ValueSel::Random(x) | ValueSel::Over(x) => x,
                _ => 100,
            };
        };
        let d = &md.deal;
        let remaining = d.total - d.deposited;
        match v {
            ValueSel::Zero => 0,
            ValueSel::Remaining => remaining,
            ValueSel::NextMilestone => md
                .ms
                .iter()
                .map(|m| m.amount - covered(m, d.deposited))
                .find(|&x| x > 0)
                .unwrap_or(1),
            ValueSel::Random(x) => x,
            ValueSel::Over(x) => remaining + x,
        }
    }

    fn ms_of(&self, id: DealId, idx: u8) -> Option<&Milestone> {
        self.mdeal(id).and_then(|md| md.ms.get(usize::from(idx)))
    }

    fn amount(&self, id: DealId, idx: u8, a: AmtSel) -> Balance {
        let m = self.ms_of(id, idx);
        let amount = m.map_or(100, |m| m.amount);
        match a {
            AmtSel::Offered => m
                .and_then(|m| m.dispute)
                .and_then(|d| d.offer)
                .map_or(amount / 2, |o| o.seller_amount),
            AmtSel::Bps(b) => bps_of(amount, b).expect("bps"),
            AmtSel::Exceed => amount + 1,
            AmtSel::Raw(x) => x,
        }
    }

    fn ship(&self, id: DealId, idx: u8, s: ShipSel) -> Timestamp {
        let now = self.m.now;
        let m = self.ms_of(id, idx);
        let base = m.and_then(|m| m.ship_by).unwrap_or(now);
        match s {
            ShipSel::Pending => m
                .and_then(|m| m.amendment)
                .map_or(now + 10, |a| a.new_ship_by),
            ShipSel::Extend(x) => base + x,
            ShipSel::Back(x) => base.saturating_sub(x),
            ShipSel::Now => now,
        }
    }

    fn terms(&self, p: &ProposeSpec) -> (AccountId, DealTerms) {
        let who = |k: usize| acct(p.order[k]);
        let mut buyer = who(0);
        let mut seller = who(1);
        let mut oracles: Vec<AccountId> = (0..p.n_oracles).map(|j| who(2 + j)).collect();
        let mut arbiter = p.arbiter.then(|| who(2 + p.n_oracles));
        let n = p.n_oracles;
        let (threshold, rule) = if p.threshold_valid {
            let t = if n == 0 {
                0
            } else {
                1 + p.threshold_raw % n as u8
            };
            (t, if n == 0 { ReleaseRule::Buyer } else { p.rule })
        } else {
            (p.threshold_raw, p.rule)
        };
        match p.corrupt {
            1 => seller = buyer,
            2 => buyer = zero_acct(),
            3 if n >= 2 => oracles[1] = oracles[0],
            4 => arbiter = Some(seller),
            5 if n >= 1 => oracles[0] = zero_acct(),
            5 => arbiter = Some(zero_acct()),
            _ => {}
        }
        let now = self.m.now;
        let mut milestones: Vec<MilestoneTerms> = p
            .milestones
            .iter()
            .map(|&(amount, off, h)| MilestoneTerms {
                amount,
                terms_hash: [h; 32],
                ship_by: off.map(|o| now + o),
            })
            .collect();
        if !milestones.is_empty() {
            let len = milestones.len();
            if let Some((k, back)) = p.past_ship_by {
                milestones[usize::from(k) % len].ship_by =
                    Some(now.saturating_sub(u64::from(back)));
            }
            if let Some(k) = p.zero_amount {
                milestones[usize::from(k) % len].amount = 0;
            }
        }
        let terms = DealTerms {
            buyer,
            seller,
            oracles,
            oracle_threshold: threshold,
            arbiter,
            release_rule: rule,
            review_window: p.review_window,
            arbitration_window: p.arbitration_window,
            fallback_seller_bps: p.fallback_bps,
            advance: p.advance,
            agreement_hash: [p.agreement; 32],
            milestones,
        };
        let caller = match p.caller_any {
            Some(k) => acct(usize::from(k)),
            None if p.by_seller => seller,
            None => buyer,
        };
        (caller, terms)
    }

    fn run_op(&mut self, op: &Op) {
        let proposer = |h: &Self, id: DealId| h.mdeal(id).map(|md| md.deal.proposer);
        let offer_by = |h: &Self, id: DealId, idx: u8| {
            h.ms_of(id, idx)
                .and_then(|m| m.dispute)
                .and_then(|d| d.offer)
                .map(|o| o.by)
        };
        let amend_by = |h: &Self, id: DealId, idx: u8| {
            h.ms_of(id, idx).and_then(|m| m.amendment).map(|a| a.by)
        };
        let _ = match *op {
            Op::Advance(ms) => return self.advance(ms),
            Op::ForceTransfer(x) => return self.force_transfer(x),
            Op::Auto {
                deal,
                seed,
                ref spec,
            } => return self.auto(deal, seed, spec),
            Op::Propose(ref p) => {
                let (caller, terms) = self.terms(p);
                self.call(caller, 0, Call::Propose(terms))
            }
            Op::WithdrawProposal { deal, who } => {
                let id = self.pick_deal(deal);
                self.call(
                    self.who(id, who, proposer(self, id)),
                    0,
                    Call::WithdrawProposal(id),
                )
            }
            Op::Accept {
                deal,
                who,
                right_hash,
                value,
            } => {
                let id = self.pick_deal(deal);
                let hash = match self.mdeal(id) {
                    Some(md) => {
                        // The hash comes from the contract's own `terms_hash` read.
                        let h = self.c.terms_hash(md.terms.clone());
                        self.ensure_eq(
                            &h,
                            &md.deal.terms_hash,
                            "terms_hash read differs from the model's hash",
                        );
                        h
                    }
                    None => [7; 32],
                };
                let mut hash = hash;
                if !right_hash {
                    hash[0] ^= 1;
                }
                let v = self.value(id, value);
                self.call(
                    self.who(id, who, proposer(self, id)),
                    v,
                    Call::Accept(id, hash),
                )
            }
            Op::Fund { deal, who, value } => {
                let id = self.pick_deal(deal);
                let v = self.value(id, value);
                self.call(self.who(id, who, None), v, Call::Fund(id))
            }
            Op::Submit {
                deal,
                who,
                ix,
                evidence,
            } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                self.call(
                    self.who(id, who, None),
                    0,
                    Call::Submit(id, idx, [evidence; 32]),
                )
            }
            Op::Approve { deal, who, ix } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                self.call(self.who(id, who, None), 0, Call::Approve(id, idx))
            }
            Op::ApproveThrough { deal, who, ix } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                self.call(self.who(id, who, None), 0, Call::ApproveThrough(id, idx))
            }
            Op::Attest { deal, who, ix } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                self.call(self.who(id, who, None), 0, Call::Attest(id, idx))
            }
            Op::Dispute {
                deal,
                who,
                ix,
                reason,
            } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                self.call(
                    self.who(id, who, None),
                    0,
                    Call::Dispute(id, idx, [reason; 32]),
                )
            }
            Op::Offer { deal, who, ix, amt } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                let a = self.amount(id, idx, amt);
                self.call(
                    self.who(id, who, offer_by(self, id, idx)),
                    0,
                    Call::OfferSettlement(id, idx, a),
                )
            }
            Op::AcceptOffer { deal, who, ix, amt } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                let a = self.amount(id, idx, amt);
                self.call(
                    self.who(id, who, offer_by(self, id, idx)),
                    0,
                    Call::AcceptSettlement(id, idx, a),
                )
            }
            Op::Resolve { deal, who, ix, amt } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                let a = self.amount(id, idx, amt);
                self.call(self.who(id, who, None), 0, Call::ResolveDispute(id, idx, a))
            }
            Op::SettleMilestone { deal, who, ix } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                self.call(self.who(id, who, None), 0, Call::SettleMilestone(id, idx))
            }
            Op::SettleDue { deal, who } => {
                let id = self.pick_deal(deal);
                self.call(self.who(id, who, None), 0, Call::SettleDue(id))
            }
            Op::ProposeCancel { deal, who } => {
                let id = self.pick_deal(deal);
                self.call(self.who(id, who, None), 0, Call::ProposeCancel(id))
            }
            Op::AcceptCancel { deal, who } => {
                let id = self.pick_deal(deal);
                let by = self.mdeal(id).and_then(|md| md.deal.cancel_proposed_by);
                self.call(self.who(id, who, by), 0, Call::AcceptCancel(id))
            }
            Op::ProposeAmendment {
                deal,
                who,
                ix,
                ship,
            } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                let t = self.ship(id, idx, ship);
                self.call(
                    self.who(id, who, amend_by(self, id, idx)),
                    0,
                    Call::ProposeAmendment(id, idx, t),
                )
            }
            Op::AcceptAmendment {
                deal,
                who,
                ix,
                ship,
            } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                let t = self.ship(id, idx, ship);
                self.call(
                    self.who(id, who, amend_by(self, id, idx)),
                    0,
                    Call::AcceptAmendment(id, idx, t),
                )
            }
            Op::Withdraw { who } => self.call(acct(usize::from(who)), 0, Call::Withdraw),
            Op::CloseDeal { deal, who } => {
                let id = self.pick_deal(deal);
                self.call(self.who(id, who, None), 0, Call::CloseDeal(id))
            }
        };
    }

    // ------------------------------------------------------------------ guided steps

    /// A step that moves a live deal along: what its state makes natural (accept, fund,
    /// submit, approve, attest, dispute, offer, settle, amend, cancel, wait), with `seed`
    /// choosing among the plausible actions and callers. It runs through `call` like every
    /// other step, so it changes only what is explored, not what is checked.
    fn auto(&mut self, deal: u8, seed: u32, spec: &ProposeSpec) {
        let mut r = seed;
        let mut pick = |n: usize| -> usize {
            let x = (r as usize) % n.max(1);
            r /= n.max(1) as u32;
            x
        };
        let live: Vec<u64> = (0..self.m.next_id())
            .rev()
            .filter(|&n| {
                matches!(
                    self.m.deals[n as usize].deal.status,
                    DealStatus::Proposed | DealStatus::Active | DealStatus::Cancelled
                )
            })
            .take(3)
            .collect();
        if live.is_empty() || (live.len() < 3 && pick(12) == 0) {
            let (caller, terms) = self.terms(spec);
            let _ = self.call(caller, 0, Call::Propose(terms));
            return;
        }
        let id = DealId(live[usize::from(deal) % live.len()]);
        let md = self.m.deals[id.0 as usize].clone();
        let d = &md.deal;
        let (buyer, seller) = (d.buyer, d.seller);
        let mut roles = vec![buyer, seller];
        roles.extend(d.arbiter);
        roles.extend(d.oracles.iter().copied());
        let stranger = (0..POOL)
            .map(acct)
            .find(|a| !roles.contains(a))
            .expect("a stranger");
        let party = if pick(2) == 0 { buyer } else { seller };
        let acct_of = |role: Role| if role == Role::Buyer { buyer } else { seller };
        let now = self.m.now;
        let _ = match d.status {
            DealStatus::Proposed => {
                let acceptor = acct_of(d.proposer.counterparty());
                if pick(10) == 0 {
                    self.call(acct_of(d.proposer), 0, Call::WithdrawProposal(id))
                } else {
                    let need0 = md.ms[0].amount;
                    let value = if acceptor == buyer {
                        [0, 0, need0, d.total, 1][pick(5)]
                    } else {
                        0
                    };
                    let hash = self.c.terms_hash(md.terms.clone());
                    self.call(acceptor, value, Call::Accept(id, hash))
                }
            }
            DealStatus::Active | DealStatus::Cancelled => {
                let active = d.status == DealStatus::Active;
                if active && d.cancel_proposed_by.is_some() && pick(4) == 0 {
                    let by = d.cancel_proposed_by.expect("proposed");
                    let _ = self.call(acct_of(by.counterparty()), 0, Call::AcceptCancel(id));
                    return;
                }
                if active && pick(40) == 0 {
                    let _ = self.call(party, 0, Call::ProposeCancel(id));
                    return;
                }
                let open: Vec<usize> = (0..md.ms.len())
                    .filter(|&k| !settled(md.ms[k].status))
                    .collect();
                let k = if pick(10) < 7 {
                    open[0]
                } else {
                    open[pick(open.len())]
                };
                let m = &md.ms[k];
                let ix = k as u8;
                let oracle = (!d.oracles.is_empty()).then(|| d.oracles[pick(d.oracles.len())]);
                match m.status {
                    MilestoneStatus::Pending if covered(m, d.deposited) < m.amount => match pick(8)
                    {
                        0..=3 => {
                            let need: Balance = m.amount - covered(m, d.deposited);
                            let value = [need, d.total - d.deposited, need + 1, 1][pick(4)];
                            let funder = if pick(4) == 0 { stranger } else { buyer };
                            self.call(funder, value, Call::Fund(id))
                        }
                        4 => self.amend(id, ix, m, party, pick(300) as u64 + 1),
                        5 => return self.advance(pick(150) as u64),
                        6 => self.call(stranger, 0, Call::SettleMilestone(id, ix)),
                        _ => self.call(stranger, 0, Call::SettleDue(id)),
                    },
                    MilestoneStatus::Pending => match pick(10) {
                        0..=3 => self.call(seller, 0, Call::Submit(id, ix, [pick(256) as u8; 32])),
                        4 => self.call(buyer, 0, Call::Approve(id, ix)),
                        5 => self.call(buyer, 0, Call::ApproveThrough(id, ix)),
                        6 => self.call(oracle.unwrap_or(buyer), 0, Call::Attest(id, ix)),
                        7 => self.amend(id, ix, m, party, pick(300) as u64 + 1),
                        8 => return self.advance(pick(150) as u64),
                        _ => self.call(stranger, 0, Call::SettleMilestone(id, ix)),
                    },
                    MilestoneStatus::Submitted => {
                        let review_end = m.submitted_at.expect("submitted") + d.review_window;
                        match pick(10) {
                            0 => self.call(buyer, 0, Call::Approve(id, ix)),
                            1 => self.call(buyer, 0, Call::ApproveThrough(id, ix)),
                            2 => self.call(oracle.unwrap_or(buyer), 0, Call::Attest(id, ix)),
                            3..=5 => {
                                self.call(party, 0, Call::Dispute(id, ix, [pick(256) as u8; 32]))
                            }
                            6 => {
                                return self
                                    .advance((review_end + [0, 1][pick(2)]).saturating_sub(now))
                            }
                            7 => return self.advance(pick(50) as u64),
                            _ => self.call(stranger, 0, Call::SettleMilestone(id, ix)),
                        }
                    }
                    MilestoneStatus::Disputed => {
                        let dispute = m.dispute.expect("disputed");
                        let ends = dispute.opened_at + d.arbitration_window;
                        match pick(10) {
                            0 | 1 => {
                                let amount = bps_of(m.amount, pick(10_001) as u16).expect("bps");
                                self.call(party, 0, Call::OfferSettlement(id, ix, amount))
                            }
                            2..=4 => match dispute.offer {
                                Some(o) => self.call(
                                    acct_of(o.by.counterparty()),
                                    0,
                                    Call::AcceptSettlement(id, ix, o.seller_amount),
                                ),
                                None => {
                                    self.call(party, 0, Call::OfferSettlement(id, ix, m.amount / 2))
                                }
                            },
                            5 | 6 => {
                                let amount = bps_of(m.amount, pick(10_001) as u16).expect("bps");
                                self.call(
                                    d.arbiter.unwrap_or(stranger),
                                    0,
                                    Call::ResolveDispute(id, ix, amount),
                                )
                            }
                            7 => return self.advance((ends + [0, 1][pick(2)]).saturating_sub(now)),
                            8 => self.call(stranger, 0, Call::SettleDue(id)),
                            _ => self.call(stranger, 0, Call::SettleMilestone(id, ix)),
                        }
                    }
                    s => unreachable!("open milestone in state {s:?}"),
                }
            }
            s => unreachable!("live deal in state {s:?}"),
        };
    }

    /// Proposes a later ship-by, or accepts the other party's pending one.
    fn amend(
        &mut self,
        id: DealId,
        ix: u8,
        m: &Milestone,
        party: AccountId,
        later: u64,
    ) -> Result<Out, Error> {
        let d = &self.m.deals[id.0 as usize].deal;
        let (buyer, seller) = (d.buyer, d.seller);
        match m.amendment {
            Some(a) => {
                let other = if a.by == Role::Buyer { seller } else { buyer };
                self.call(other, 0, Call::AcceptAmendment(id, ix, a.new_ship_by))
            }
            None => {
                let base = m.ship_by.unwrap_or(self.m.now).max(self.m.now);
                self.call(party, 0, Call::ProposeAmendment(id, ix, base + later))
            }
        }
    }

    // ------------------------------------------------------------------ liveness

    /// Once every clock has passed, non-arbiter accounts bring every deal to zero locked.
    /// `mode` picks the route: 0 cancel by both parties; 1 deliver (seller submits, buyer
    /// funds the rest, timeouts pay); 2 release (buyer approves / oracles attest).
    fn liveness(&mut self, mode: u8, far: bool) {
        self.in_liveness = true;
        let target = self.m.last_clock() + 1 + if far { 1_000_000 } else { 0 };
        let now = self.m.now;
        self.advance(target - now);
        for n in 0..self.m.next_id() {
            let id = DealId(n);
            let mut cancel = mode == 0;
            let mut done = false;
            for _ in 0..64 {
                let md = self.m.deals[n as usize].clone();
                if Model::locked(&md) == 0 {
                    done = true;
                    break;
                }
                let d = &md.deal;
                self.ensure(
                    matches!(d.status, DealStatus::Active | DealStatus::Cancelled),
                    || format!("liveness: deal {n} holds funds in state {:?}", d.status),
                );
                let mut roles = vec![d.buyer, d.seller];
                roles.extend(d.arbiter);
                roles.extend(d.oracles.iter().copied());
                let stranger = (0..POOL)
                    .map(acct)
                    .find(|a| !roles.contains(a))
                    .expect("a stranger");
                self.stats.liveness_calls += 1;
                if self.call(stranger, 0, Call::SettleDue(id)).is_ok() {
                    continue;
                }
                self.ensure(d.status == DealStatus::Active, || {
                    format!("liveness: cancelled deal {n} holds funds but nothing is due")
                });
                let first = md
                    .ms
                    .iter()
                    .position(|m| !settled(m.status))
                    .expect("unsettled milestone");
                let m = &md.ms[first];
                self.stats.liveness_calls += 1;
                let ok = if cancel {
                    match d.cancel_proposed_by {
                        None => self.call(d.buyer, 0, Call::ProposeCancel(id)),
                        Some(Role::Buyer) => self.call(d.seller, 0, Call::AcceptCancel(id)),
                        Some(Role::Seller) => self.call(d.buyer, 0, Call::AcceptCancel(id)),
                    }
                    .is_ok()
                } else if covered(m, d.deposited) < m.amount {
                    if d.funding_closed {
                        false
                    } else {
                        self.call(d.buyer, d.total - d.deposited, Call::Fund(id))
                            .is_ok()
                    }
                } else if mode == 2 && d.release_rule != ReleaseRule::Oracles {
                    let last = md
                        .ms
                        .iter()
                        .rposition(|m| !settled(m.status))
                        .expect("unsettled") as u8;
                    self.call(d.buyer, 0, Call::ApproveThrough(id, last))
                        .is_ok()
                } else if mode == 2 && m.attestations.count_ones() < u32::from(d.oracle_threshold) {
                    let next = (0..d.oracles.len())
                        .find(|&j| m.attestations & (1 << j) == 0)
                        .expect("oracle");
                    self.call(d.oracles[next], 0, Call::Attest(id, first as u8))
                        .is_ok()
                } else if m.status == MilestoneStatus::Pending {
                    let ok = self
                        .call(d.seller, 0, Call::Submit(id, first as u8, [0xEE; 32]))
                        .is_ok();
                    if ok {
                        self.stats.liveness_time_moves += 1;
                        self.advance(d.review_window + 1);
                    }
                    ok
                } else {
                    false
                };
                if !ok {
                    // Whatever else fails, both parties can still cancel.
                    cancel = true;
                }
            }
            self.ensure(done, || {
                format!("liveness: deal {n} still holds funds after 64 rounds")
            });
            self.stats.deals_driven += 1;
            if self.m.deals[n as usize].deal.status == DealStatus::Closed
                && !self.m.deals[n as usize].deal.closure_recorded
            {
                // Anyone records the closure, once.
                let stranger = acct(POOL - 1);
                let recorded = self.call(stranger, 0, Call::CloseDeal(id)).is_ok();
                self.ensure(recorded, || {
                    format!("liveness: close_deal of deal {n} failed")
                });
            }
            let view = self.c.deal(id).expect("deal");
            self.ensure(view.locked == 0, || {
                format!("liveness: deal {n} locked {}", view.locked)
            });
        }
        self.in_liveness = false;
    }
}

fn caller_name(a: AccountId) -> String {
    let b: &[u8; 32] = a.as_ref();
    match b[0] {
        0 if *b == [0; 32] => "zero".into(),
        0xCC => "contract".into(),
        0xFE => "fee".into(),
        n => format!("#{n}"),
    }
}

/// A call's arguments, without the (long) full terms of a proposal.
fn short(call: &Call) -> String {
    match call {
        Call::Propose(t) => format!(
            "buyer={} seller={} oracles={:?} k={} arbiter={:?} rule={:?} windows={}/{} fb={} advance={} ms={:?}",
            caller_name(t.buyer),
            caller_name(t.seller),
            t.oracles.iter().map(|o| caller_name(*o)).collect::<Vec<_>>(),
            t.oracle_threshold,
            t.arbiter.map(caller_name),
            t.release_rule,
            t.review_window,
            t.arbitration_window,
            t.fallback_seller_bps,
            t.advance,
            t.milestones.iter().map(|m| (m.amount, m.ship_by)).collect::<Vec<_>>()
        ),
        Call::Accept(id, h) => format!("{id:?} hash={:02x}{:02x}..", h[0], h[1]),
        Call::Submit(id, i, _) | Call::Dispute(id, i, _) => format!("{id:?} #{i}"),
        other => {
            let s = format!("{other:?}");
            s.split_once('(').map_or(String::new(), |(_, r)| r.strip_suffix(')').unwrap_or(r).to_string())
        }
    }
}

// ---------------------------------------------------------------------------- the test

fn run_case(fee: (u16, u8), ops: &[Op], mode: u8, far: bool) {
    test::run_test::<Env, _>(|_| {
        // A fresh engine: the contract lives at its own account with an empty balance, and
        // every pool account can pay.
        test::set_callee::<Env>(contract_acct());
        test::set_account_balance::<Env>(contract_acct(), 0);
        for i in 0..POOL {
            test::set_account_balance::<Env>(acct(i), START_BALANCE);
        }
        test::set_block_timestamp::<Env>(START_TIME);
        test::set_caller::<Env>(acct(0));
        test::set_value_transferred::<Env>(0);

        let recipient = match fee.1 {
            10 => fee_acct(),
            11 => zero_acct(),
            n => acct(usize::from(n)),
        };
        let c = match (
            MilestoneEscrow::new(recipient, fee.0),
            Model::new(recipient, fee.0),
        ) {
            (Ok(c), Ok(_)) => c,
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "constructor error differs from the model");
                MilestoneEscrow::new(fee_acct(), fee.0.min(MAX_FEE_BPS)).expect("valid constructor")
            }
            (a, b) => panic!(
                "constructor: contract {:?}, model {:?}",
                a.map(|_| ()),
                b.map(|_| ())
            ),
        };
        let cfg = c.config();
        let model = Model::new(cfg.fee_recipient, cfg.fee_bps).expect("model");
        let prev = contract_snap(&c);
        let mut h = Harness {
            c,
            m: model,
            prev,
            events_seen: test::recorded_events().count(),
            sums: BTreeMap::new(),
            trace: vec![format!(
                "fee_bps={} fee_recipient={}",
                cfg.fee_bps,
                caller_name(cfg.fee_recipient)
            )],
            stats: Stats::default(),
            in_liveness: false,
        };
        h.after_step();
        h.stats.steps = 0;
        for op in ops {
            h.run_op(op);
        }
        let random_steps = h.stats.steps;
        let (random_ok, random_err) = (h.stats.ok, h.stats.err);
        h.liveness(mode, far);
        let mut g = STATS.lock().unwrap_or_else(|e| e.into_inner());
        let g = g.get_or_insert_with(Stats::default);
        g.sequences += 1;
        g.steps += random_steps;
        g.ok += random_ok;
        g.err += random_err;
        g.liveness_ok += h.stats.ok - random_ok;
        g.liveness_calls += h.stats.liveness_calls;
        g.liveness_time_moves += h.stats.liveness_time_moves;
        g.deals_driven += h.stats.deals_driven;
        g.refund_taken += h.stats.refund_taken;
        for (k, v) in h.stats.per_op {
            let e = g.per_op.entry(k).or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
        for (k, v) in h.stats.errors {
            *g.errors.entry(k).or_default() += v;
        }
        for (k, v) in h.stats.events {
            *g.events.entry(k).or_default() += v;
        }
        Ok(())
    })
    .expect("off-chain test environment");
}

#[test]
fn model_based_sequences() {
    let cases: u32 = std::env::var("MODEL_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    // The sequences are independent and the off-chain environment is per thread: shard them
    // over the machine's cores (each shard its own runner, so a failure still shrinks).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(cases.max(1) as usize) as u32;
    let config = ProptestConfig {
        failure_persistence: None,
        // Each shrinking attempt replays a whole sequence: bound the effort.
        max_shrink_iters: 2_000,
        max_shrink_time: 180_000,
        ..ProptestConfig::default()
    };
    *STATS.lock().unwrap_or_else(|e| e.into_inner()) = Some(Stats::default());
    // Proptest catches each failing run's panic and reports the minimal one; keep the
    // default hook from printing every shrinking attempt (only on the shards' threads).
    let default_hook = std::sync::Arc::new(std::panic::take_hook());
    let hook = default_hook.clone();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.with(|q| q.get()) {
            hook(info)
        }
    }));
    let start = Instant::now();
    let results: Vec<_> = std::thread::scope(|scope| {
        let shards: Vec<_> = (0..threads)
            .map(|i| {
                let config = ProptestConfig {
                    cases: cases / threads + u32::from(i < cases % threads),
                    ..config.clone()
                };
                scope.spawn(move || {
                    QUIET.with(|q| q.set(true));
                    let strategy = (fee_s(), ops_s(), 0u8..3, any::<bool>());
                    TestRunner::new(config).run(&strategy, |(fee, ops, mode, far)| {
                        run_case(fee, &ops, mode, far);
                        Ok(())
                    })
                })
            })
            .collect();
        shards
            .into_iter()
            .map(|shard| shard.join().expect("a model shard's runner panicked"))
            .collect()
    });
    let elapsed = start.elapsed();
    let g = STATS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    let per_op: Vec<String> = g
        .per_op
        .iter()
        .map(|(k, (ok, err))| format!("{k}={ok}/{err}"))
        .collect();
    let errors: Vec<String> = g.errors.iter().map(|(k, n)| format!("{k}={n}")).collect();
    let events: Vec<String> = g.events.iter().map(|(k, n)| format!("{k}={n}")).collect();
    println!(
        "model_tests summary: sequences={} (in {} threads) steps={} (ok={} err={}) liveness_calls={} (ok={}) \
         liveness_clock_moves={} deals_driven_to_zero={} advance_took_buyer_refund={} wall={:.1}s\n  per op incl. liveness \
         (ok/err): {}\n  errors: {}\n  events: {}",
        g.sequences,
        threads,
        g.steps,
        g.ok,
        g.err,
        g.liveness_calls,
        g.liveness_ok,
        g.liveness_time_moves,
        g.deals_driven,
        g.refund_taken,
        elapsed.as_secs_f64(),
        per_op.join(" "),
        errors.join(" "),
        events.join(" ")
    );
    for result in results {
        if let Err(e) = result {
            panic!("{e}");
        }
    }
    assert_eq!(
        g.sequences,
        u64::from(cases),
        "every shard ran its sequences"
    );
}

/// Regression (found by this model, fixed in `deposit_and_advance`): after an advance
/// milestone's ship-by passes with the milestone only partly funded, the buyer is owed a
/// refund of the funded part, yet anyone (here the seller) may top it up with `fund`, which
/// releases the whole milestone to the seller via `Advance`, taking the buyer's refund.
/// `attest` refuses the same race (`ShipByPassed`); `deposit_and_advance` now does too.
#[test]
fn regress_advance_after_ship_by_takes_buyers_refund() {
    test::run_test::<Env, _>(|acc| {
        test::set_callee::<Env>(contract_acct());
        test::set_account_balance::<Env>(contract_acct(), 0);
        test::set_account_balance::<Env>(acc.alice, START_BALANCE);
        test::set_account_balance::<Env>(acc.bob, START_BALANCE);
        test::set_block_timestamp::<Env>(START_TIME);
        let mut c = MilestoneEscrow::new(fee_acct(), 0).expect("instance");
        let terms = DealTerms {
            buyer: acc.alice,
            seller: acc.bob,
            oracles: vec![],
            oracle_threshold: 0,
            arbiter: None,
            release_rule: ReleaseRule::Buyer,
            review_window: 10,
            arbitration_window: 10,
            fallback_seller_bps: 5_000,
            advance: true,
            agreement_hash: [1; 32],
            milestones: vec![
                MilestoneTerms { amount: 100, terms_hash: [2; 32], ship_by: Some(START_TIME + 10) },
                MilestoneTerms { amount: 100, terms_hash: [3; 32], ship_by: None },
            ],
        };
        test::set_caller::<Env>(acc.bob);
        let id = c.propose(terms.clone()).expect("propose");
        // The buyer accepts with half of milestone 0.
        test::set_caller::<Env>(acc.alice);
        test::transfer_in::<Env>(50);
        c.accept(id, c.terms_hash(terms)).expect("accept");
        test::set_value_transferred::<Env>(0);
        // Milestone 0's ship-by passes: its 50 are now due back to the buyer.
        test::set_block_timestamp::<Env>(START_TIME + 11);
        assert_eq!(c.milestone(id, 0).expect("m0").covered, 50);
        // The seller tops milestone 0 up before anyone settles the refund.
        let seller_before = chain_balance(acc.bob);
        test::set_caller::<Env>(acc.bob);
        test::transfer_in::<Env>(50);
        let _ = c.fund(id);
        test::set_value_transferred::<Env>(0);
        let m0 = c.milestone(id, 0).expect("m0").milestone;
        let seller_gain = chain_balance(acc.bob) as i128 - seller_before as i128;
        assert_ne!(
            m0.status,
            MilestoneStatus::Released,
            "the seller paid 50 and received {} (net +{}): the buyer's 50 refund went to the seller",
            seller_gain + 50,
            seller_gain
        );
        Ok(())
    })
    .expect("off-chain test environment");
}
