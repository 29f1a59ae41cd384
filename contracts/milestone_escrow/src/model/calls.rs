//! The interface both sides receive: message calls with concrete arguments, their
//! results, and the events decoded from the off-chain recorder.
use super::*;

// ---------------------------------------------------------------------------- events

/// Every event the contract may emit, decoded from the off-chain recorder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ev {
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
    CancellationWithdrawn(CancellationWithdrawn),
    DealCancelled(DealCancelled),
    AmendmentProposed(AmendmentProposed),
    AmendmentAccepted(AmendmentAccepted),
    AmendmentWithdrawn(AmendmentWithdrawn),
    PayoutDeferred(PayoutDeferred),
    Withdrawn(Withdrawn),
    ReceivableAssigned(ReceivableAssigned),
    DealClosed(DealClosed),
}

macro_rules! each_event {
    ($self:ident, $e:ident => $body:expr) => {
        match $self {
            Ev::DealProposed($e) => $body,
            Ev::DealWithdrawn($e) => $body,
            Ev::DealAccepted($e) => $body,
            Ev::DealFunded($e) => $body,
            Ev::MilestoneSubmitted($e) => $body,
            Ev::MilestoneAttested($e) => $body,
            Ev::MilestoneReleased($e) => $body,
            Ev::MilestoneRefunded($e) => $body,
            Ev::MilestoneDisputed($e) => $body,
            Ev::SettlementOffered($e) => $body,
            Ev::DisputeResolved($e) => $body,
            Ev::CancellationProposed($e) => $body,
            Ev::CancellationWithdrawn($e) => $body,
            Ev::DealCancelled($e) => $body,
            Ev::AmendmentProposed($e) => $body,
            Ev::AmendmentAccepted($e) => $body,
            Ev::AmendmentWithdrawn($e) => $body,
            Ev::PayoutDeferred($e) => $body,
            Ev::Withdrawn($e) => $body,
            Ev::ReceivableAssigned($e) => $body,
            Ev::DealClosed($e) => $body,
        }
    };
}

impl Ev {
    /// The event's trail and its `prev_block`, for the model to fill in.
    pub(super) fn trail_mut(&mut self) -> (Trail, &mut BlockNumber) {
        each_event!(self, e => (e.trail(), &mut e.prev_block))
    }

    pub(super) fn name(&self) -> &'static str {
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
            Ev::CancellationWithdrawn(_) => "CancellationWithdrawn",
            Ev::DealCancelled(_) => "DealCancelled",
            Ev::AmendmentProposed(_) => "AmendmentProposed",
            Ev::AmendmentAccepted(_) => "AmendmentAccepted",
            Ev::AmendmentWithdrawn(_) => "AmendmentWithdrawn",
            Ev::PayoutDeferred(_) => "PayoutDeferred",
            Ev::Withdrawn(_) => "Withdrawn",
            Ev::ReceivableAssigned(_) => "ReceivableAssigned",
            Ev::DealClosed(_) => "DealClosed",
        }
    }
}

/// Decodes one recorded event; only when its first topic is the type's signature topic.
pub(super) fn decode_event(e: &test::EmittedEvent) -> Ev {
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
        CancellationWithdrawn,
        DealCancelled,
        AmendmentProposed,
        AmendmentAccepted,
        AmendmentWithdrawn,
        PayoutDeferred,
        Withdrawn,
        ReceivableAssigned,
        DealClosed,
    );
    panic!("event with unknown signature topic {sig:?}")
}

// ---------------------------------------------------------------------------- calls

/// A message call with concrete arguments, as both the contract and the model receive it.
#[derive(Debug, Clone)]
pub(super) enum Call {
    Propose(DealTerms),
    WithdrawProposal(DealId),
    Accept(DealId, Digest),
    Fund(DealId),
    /// `fund_tokens(deal, amount)`.
    FundTokens(DealId, Balance),
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
    WithdrawCancel(DealId),
    AcceptCancel(DealId),
    ProposeAmendment(DealId, u8, Timestamp),
    AcceptAmendment(DealId, u8, Timestamp),
    WithdrawAmendment(DealId, u8),
    Withdraw,
    WithdrawTo(AccountId),
    /// `withdraw_tokens(token, to)`.
    WithdrawTokens(AccountId, AccountId),
    /// `assign(deal, from, to)`.
    Assign(DealId, u8, AccountId),
    CloseDeal(DealId),
}

impl Call {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Call::Propose(_) => "propose",
            Call::WithdrawProposal(_) => "withdraw_proposal",
            Call::Accept(..) => "accept",
            Call::Fund(_) => "fund",
            Call::FundTokens(..) => "fund_tokens",
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
            Call::WithdrawCancel(_) => "withdraw_cancel",
            Call::AcceptCancel(_) => "accept_cancel",
            Call::ProposeAmendment(..) => "propose_amendment",
            Call::AcceptAmendment(..) => "accept_amendment",
            Call::WithdrawAmendment(..) => "withdraw_amendment",
            Call::Withdraw => "withdraw",
            Call::WithdrawTo(_) => "withdraw_to",
            Call::WithdrawTokens(..) => "withdraw_tokens",
            Call::Assign(..) => "assign",
            Call::CloseDeal(_) => "close_deal",
        }
    }
}

/// What a message returned on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Out {
    Unit,
    Id(DealId),
    Count(u8),
    Amount(Balance),
}

pub(super) fn call_contract(c: &mut MilestoneEscrow, call: &Call) -> Result<Out, Error> {
    let unit = |r: Result<(), Error>| r.map(|()| Out::Unit);
    match call.clone() {
        Call::Propose(t) => c.propose(t).map(Out::Id),
        Call::WithdrawProposal(id) => unit(c.withdraw_proposal(id)),
        Call::Accept(id, h) => unit(c.accept(id, h)),
        Call::Fund(id) => unit(c.fund(id)),
        Call::FundTokens(id, a) => unit(c.fund_tokens(id, a)),
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
        Call::WithdrawCancel(id) => unit(c.withdraw_cancel(id)),
        Call::AcceptCancel(id) => unit(c.accept_cancel(id)),
        Call::ProposeAmendment(id, i, t) => unit(c.propose_amendment(id, i, t)),
        Call::AcceptAmendment(id, i, t) => unit(c.accept_amendment(id, i, t)),
        Call::WithdrawAmendment(id, i) => unit(c.withdraw_amendment(id, i)),
        Call::Withdraw => c.withdraw().map(Out::Amount),
        Call::WithdrawTo(to) => c.withdraw_to(to).map(Out::Amount),
        Call::WithdrawTokens(token, to) => c.withdraw_tokens(token, to).map(Out::Amount),
        Call::Assign(id, from, to) => c.assign(id, from, to).map(Out::Count),
        Call::CloseDeal(id) => unit(c.close_deal(id)),
    }
}

pub(super) fn caller_name(a: AccountId) -> String {
    let b: &[u8; 32] = a.as_ref();
    match b[0] {
        0 if *b == [0; 32] => "zero".into(),
        0xCC => "contract".into(),
        0xFE => "fee".into(),
        0x5A => "stranger".into(),
        0xFA => "factor".into(),
        0x7A => "tokA".into(),
        0x7B => "tokB".into(),
        0x7C => "tokNone".into(),
        n => format!("#{n}"),
    }
}

pub(super) fn asset_name(a: Asset) -> String {
    match a {
        Asset::Native => "native".into(),
        Asset::Psp22(t) => caller_name(t),
    }
}

/// A call's arguments, without the (long) full terms of a proposal.
pub(super) fn short(call: &Call) -> String {
    match call {
        Call::Propose(t) => format!(
            "asset={} buyer={} seller={} oracles={:?} k={} arbiter={:?} funder={:?} rule={:?} windows={}/{} fb={} advance={} fund_by={} ms(amount, ship_by)={:?}",
            asset_name(t.asset),
            caller_name(t.buyer),
            caller_name(t.seller),
            t.oracles.iter().map(|o| caller_name(*o)).collect::<Vec<_>>(),
            t.oracle_threshold,
            t.arbiter.map(caller_name),
            t.funder.map(caller_name),
            t.release_rule,
            t.review_window,
            t.arbitration_window,
            t.fallback_seller_bps,
            t.advance,
            t.fund_by,
            t.milestones.iter().map(|m| (m.amount, m.ship_by)).collect::<Vec<_>>()
        ),
        Call::WithdrawTo(to) => format!("to={}", caller_name(*to)),
        Call::WithdrawTokens(token, to) => {
            format!("token={} to={}", caller_name(*token), caller_name(*to))
        }
        Call::Assign(id, from, to) => format!("{id:?} from={from} to={}", caller_name(*to)),
        Call::Accept(id, h) => format!("{id:?} hash={:02x}{:02x}..", h[0], h[1]),
        Call::Submit(id, i, _) | Call::Dispute(id, i, _) => format!("{id:?} #{i}"),
        other => {
            let s = format!("{other:?}");
            s.split_once('(').map_or(String::new(), |(_, r)| r.strip_suffix(')').unwrap_or(r).to_string())
        }
    }
}
