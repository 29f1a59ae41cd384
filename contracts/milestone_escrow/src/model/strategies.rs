//! The operations a sequence is made of, and the proptest strategies that generate them.
use super::*;
use crate::token::mock::Mode;

/// Who calls, relative to the deal the operation targets.
#[derive(Debug, Clone, Copy)]
pub(super) enum Who {
    Buyer,
    Seller,
    /// The party that did not make the pending proposal the message answers (the deal
    /// proposal, a settlement offer, a cancellation, an amendment); the seller if none.
    Counterparty,
    /// The party that made it (the buyer if none).
    Proposer,
    Oracle(u8),
    Arbiter,
    /// The funder the terms name (a pool account, often a stranger, if none).
    Funder,
    /// Any pool account (often a stranger, sometimes a party).
    Any(u8),
    /// The current payee of the first unsettled milestone the operation names (the seller,
    /// or an assignee).
    Payee,
}

/// What a proposal's terms are paid in.
#[derive(Debug, Clone, Copy)]
pub(super) enum AssetSel {
    Native,
    /// The honest token.
    TokenA,
    /// The moody token.
    TokenB,
    /// An address without a token contract.
    NoContract,
    /// `Psp22` of the zero account (`InvalidAsset`).
    Zero,
    /// `Psp22` of the escrow itself (`InvalidAsset`).
    Escrow,
}

/// Where an assignment or a token withdrawal sends the money.
#[derive(Debug, Clone, Copy)]
pub(super) enum ToSel {
    /// The factor account (no role in any deal).
    Factor,
    /// A pool account.
    Pool(u8),
    /// The deal's seller (an assignee handing a receivable back), or the caller itself.
    Seller,
    Zero,
    /// The escrow itself.
    Contract,
}

/// An allowance a funder gives the escrow on a token.
#[derive(Debug, Clone, Copy)]
pub(super) enum AllowSel {
    /// What completes the first not fully funded milestone.
    Need,
    /// What the deal still takes.
    Remaining,
    /// One less than what completes the first not fully funded milestone.
    Short,
    /// That plus this.
    More(Balance),
    Zero,
}

/// Which milestone an operation names.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ix {
    /// The first unsettled milestone (the last one if all are settled).
    FirstOpen,
    /// Index `n % milestone_count`.
    InRange(u8),
    /// This raw index (often out of range).
    Raw(u8),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum ValueSel {
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
pub(super) enum AmtSel {
    /// The amount of the offer on record (or half the milestone if none).
    Offered,
    /// A share of the milestone amount.
    Bps(u16),
    /// One more than the milestone amount.
    Exceed,
    Raw(Balance),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum ShipSel {
    /// The pending amendment's time (or now + 10 if none).
    Pending,
    /// The milestone's current ship-by (now if there is no such milestone) plus this.
    Extend(u64),
    /// The milestone's current ship-by (now if there is no such milestone) minus this.
    Back(u64),
    Now,
}

/// A deadline of a deal, for clock moves that land on it or just past it.
#[derive(Debug, Clone, Copy)]
pub(super) enum ClockSel {
    FundBy,
    ShipBy(Ix),
    ReviewEnd(Ix),
    ArbitrationEnd(Ix),
}

#[derive(Debug, Clone)]
pub(super) struct ProposeSpec {
    pub(super) by_seller: bool,
    /// Some: a pool account calls instead of the named party.
    pub(super) caller_any: Option<u8>,
    /// A permutation of the pool: roles are taken from it in order.
    pub(super) order: Vec<usize>,
    pub(super) n_oracles: usize,
    pub(super) threshold_valid: bool,
    pub(super) threshold_raw: u8,
    pub(super) arbiter: bool,
    /// A funder besides the buyer, taken from `order` after the arbiter.
    pub(super) funder: bool,
    pub(super) rule: ReleaseRule,
    pub(super) review_window: u64,
    pub(super) arbitration_window: u64,
    pub(super) fallback_bps: u16,
    pub(super) advance: bool,
    pub(super) agreement: u8,
    /// Fund-by offset from now (0: now itself, `FundByInPast`).
    pub(super) fund_by: u64,
    /// (amount, ship-by offset from now, terms-hash byte).
    pub(super) milestones: Vec<(Balance, u64, u8)>,
    /// Some(k): milestone `k % len` gets a ship-by at or before now (`ShipByInPast`).
    pub(super) past_ship_by: Option<(u8, u8)>,
    /// Some(k): milestone `k % len` gets amount 0 (`ZeroAmount`).
    pub(super) zero_amount: Option<u8>,
    /// 0: none; 1: seller = buyer; 2: zero buyer; 3: duplicate oracle; 4: arbiter = seller;
    /// 5: zero arbiter or oracle; 6: funder = buyer; 7: zero funder; 8: funder = seller;
    /// 9: funder = the first oracle or the arbiter.
    pub(super) corrupt: u8,
    pub(super) asset: AssetSel,
}

#[derive(Debug, Clone)]
pub(super) enum Op {
    /// Clock move (first so that shrinking turns irrelevant steps into `Advance(0)`).
    Advance(u64),
    /// Clock move onto one of a deal's deadlines (`past`: one past it), if still ahead.
    Jump {
        deal: u8,
        clock: ClockSel,
        past: bool,
    },
    Propose(Box<ProposeSpec>),
    /// A guided step: the natural next action for one of the newest live deals.
    Auto {
        deal: u8,
        seed: u64,
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
    /// A deposit in the deal's asset: `fund` with value for a native deal; for a token
    /// deal an approval (`allow`, if any) and `fund_tokens`. `swap`: the other asset's
    /// message instead (`WrongAsset`).
    Fund {
        deal: u8,
        who: Who,
        value: ValueSel,
        allow: Option<AllowSel>,
        swap: bool,
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
    WithdrawCancel {
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
    WithdrawAmendment {
        deal: u8,
        who: Who,
        ix: Ix,
    },
    Withdraw {
        who: u8,
    },
    WithdrawTo {
        who: u8,
        to: u8,
    },
    CloseDeal {
        deal: u8,
        who: Who,
    },
    /// Value forced into the contract from outside (no message runs).
    ForceTransfer(Balance),
    /// A funder approves the escrow on the deal's token (the honest token for a native
    /// deal): the token's own message, no escrow message runs.
    ApproveTokens {
        deal: u8,
        who: Who,
        allow: AllowSel,
    },
    /// `withdraw_tokens` by the `holder`-th account holding a token claimable (a pool
    /// account if none), in its token (or token `token % 3`).
    WithdrawTokens {
        holder: u8,
        token: u8,
        to: ToSel,
    },
    /// `assign(deal, ix, to)`.
    Assign {
        deal: u8,
        who: Who,
        ix: Ix,
        to: ToSel,
    },
    /// The moody token changes its behaviour (no escrow message runs).
    TokenMode(Mode),
    /// Tokens sent to the escrow with a plain token transfer (no escrow message runs).
    ForceTokens {
        moody: bool,
        amount: Balance,
    },
}

/// Any caller at all.
pub(super) fn who_s() -> impl Strategy<Value = Who> {
    prop_oneof![
        3 => Just(Who::Buyer),
        3 => Just(Who::Seller),
        1 => Just(Who::Counterparty),
        1 => Just(Who::Proposer),
        2 => (0u8..3).prop_map(Who::Oracle),
        1 => Just(Who::Arbiter),
        1 => Just(Who::Funder),
        2 => (0u8..POOL as u8).prop_map(Who::Any),
    ]
}

/// Who deposits: mostly the buyer or the named funder, sometimes the seller or anyone.
pub(super) fn funder_s() -> impl Strategy<Value = Who> {
    prop_oneof![
        6 => Just(Who::Buyer),
        4 => Just(Who::Funder),
        1 => Just(Who::Seller),
        1 => (0u8..POOL as u8).prop_map(Who::Any),
        1 => who_s(),
    ]
}

pub(super) fn clock_s() -> impl Strategy<Value = ClockSel> {
    prop_oneof![
        3 => Just(ClockSel::FundBy),
        4 => ix_s().prop_map(ClockSel::ShipBy),
        2 => ix_s().prop_map(ClockSel::ReviewEnd),
        2 => ix_s().prop_map(ClockSel::ArbitrationEnd),
    ]
}

/// The moody token's behaviours: mostly honest.
pub(super) fn mode_s() -> impl Strategy<Value = Mode> {
    prop_oneof![
        5 => Just(Mode::Honest),
        2 => Just(Mode::Revert),
        1 => Just(Mode::Lie),
        1 => prop_oneof![Just(1u16), Just(100u16), Just(10_000u16)].prop_map(Mode::DeliverLess),
    ]
}

/// The approval before a token deposit: mostly exactly what completes the next milestone
/// (which the deposit then usually is), sometimes another amount or none.
pub(super) fn fund_allow_s() -> impl Strategy<Value = Option<AllowSel>> {
    prop_oneof![
        6 => Just(Some(AllowSel::Need)),
        3 => allow_s().prop_map(Some),
        2 => Just(None),
    ]
}

/// The moody token's behaviour during the liveness drive: mostly refusing, so that payouts
/// become claimable.
pub(super) fn liveness_mode_s() -> impl Strategy<Value = Mode> {
    prop_oneof![
        2 => Just(Mode::Honest),
        4 => Just(Mode::Revert),
        1 => Just(Mode::Lie),
        1 => Just(Mode::DeliverLess(100)),
    ]
}

pub(super) fn asset_s() -> impl Strategy<Value = AssetSel> {
    prop_oneof![
        40 => Just(AssetSel::Native),
        30 => Just(AssetSel::TokenA),
        30 => Just(AssetSel::TokenB),
        1 => Just(AssetSel::NoContract),
        1 => Just(AssetSel::Zero),
        1 => Just(AssetSel::Escrow),
    ]
}

pub(super) fn to_s() -> impl Strategy<Value = ToSel> {
    prop_oneof![
        8 => Just(ToSel::Factor),
        3 => (0u8..POOL as u8).prop_map(ToSel::Pool),
        2 => Just(ToSel::Seller),
        1 => Just(ToSel::Zero),
        1 => Just(ToSel::Contract),
    ]
}

pub(super) fn allow_s() -> impl Strategy<Value = AllowSel> {
    prop_oneof![
        6 => Just(AllowSel::Need),
        3 => Just(AllowSel::Remaining),
        2 => Just(AllowSel::Short),
        2 => (1u128..=500).prop_map(AllowSel::More),
        1 => Just(AllowSel::Zero),
    ]
}

/// Mostly the caller the message is meant for, otherwise anyone.
pub(super) fn who_pref(
    preferred: impl Strategy<Value = Who> + 'static,
) -> impl Strategy<Value = Who> {
    prop_oneof![7 => preferred, 3 => who_s()]
}

pub(super) fn party_s() -> impl Strategy<Value = Who> {
    prop_oneof![Just(Who::Buyer), Just(Who::Seller)]
}

pub(super) fn ix_s() -> impl Strategy<Value = Ix> {
    prop_oneof![
        5 => Just(Ix::FirstOpen),
        5 => any::<u8>().prop_map(Ix::InRange),
        1 => (0u8..=17).prop_map(Ix::Raw),
    ]
}

pub(super) fn value_s(zero_weight: u32) -> impl Strategy<Value = ValueSel> {
    prop_oneof![
        zero_weight => Just(ValueSel::Zero),
        3 => Just(ValueSel::Remaining),
        5 => Just(ValueSel::NextMilestone),
        2 => (1u128..=1000).prop_map(ValueSel::Random),
        1 => (1u128..=50).prop_map(ValueSel::Over),
    ]
}

pub(super) fn amt_s(offered_weight: u32) -> impl Strategy<Value = AmtSel> {
    prop_oneof![
        offered_weight => Just(AmtSel::Offered),
        6 => (0u16..=10_000).prop_map(AmtSel::Bps),
        1 => Just(AmtSel::Exceed),
        1 => (0u128..=1000).prop_map(AmtSel::Raw),
    ]
}

pub(super) fn ship_s(pending_weight: u32) -> impl Strategy<Value = ShipSel> {
    prop_oneof![
        pending_weight => Just(ShipSel::Pending),
        6 => (1u64..=300).prop_map(ShipSel::Extend),
        1 => (0u64..=50).prop_map(ShipSel::Back),
        1 => Just(ShipSel::Now),
    ]
}

pub(super) fn window_s() -> impl Strategy<Value = u64> {
    prop_oneof![60 => 1u64..=100, 1 => Just(0u64), 1 => Just(MAX_WINDOW_MS + 1), 1 => Just(MAX_WINDOW_MS)]
}

pub(super) fn rare<T: std::fmt::Debug + Clone + 'static>(
    odds: u32,
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![odds => Just(None), 1 => s.prop_map(Some)]
}

pub(super) fn propose_s() -> impl Strategy<Value = ProposeSpec> {
    let one_ms = || {
        (
            1u128..=1000,
            // Ship-by: soon, within the clock moves of a sequence, or beyond most of them
            // (jumps still reach it).
            prop_oneof![1 => 1u64..=60, 2 => 1u64..=600, 3 => 300u64..=3_000],
            any::<u8>(),
        )
    };
    let milestones = prop_oneof![
        60 => prop::collection::vec(one_ms(), 1..=4),
        1 => Just(Vec::new()),
        1 => prop::collection::vec(one_ms(), 17..=17),
        1 => Just(vec![(u128::MAX, 100, 1), (1, 100, 2)]),
    ];
    let people = (
        any::<bool>(),
        rare(40, 0u8..POOL as u8),
        Just((0..POOL).collect::<Vec<usize>>()).prop_shuffle(),
        prop_oneof![40 => 0usize..=3, 1 => Just(6usize)],
        prop_oneof![30 => Just(true), 1 => Just(false)],
        0u8..=4,
        (
            any::<bool>(),
            prop_oneof![2 => Just(false), 1 => Just(true)],
        ),
        prop_oneof![
            Just(ReleaseRule::Buyer),
            Just(ReleaseRule::Oracles),
            Just(ReleaseRule::BuyerOrOracles)
        ],
        prop_oneof![90 => Just(0u8), 1 => 1u8..=9],
    );
    let rest = (
        window_s(),
        window_s(),
        prop_oneof![40 => 0u16..=10_000, 1 => Just(10_001u16)],
        prop_oneof![2 => Just(false), 1 => Just(true)],
        (
            any::<u8>(),
            // Fund-by: often before some ship-bys, sometimes after all, rarely not ahead.
            prop_oneof![3 => 1u64..=100, 4 => 1u64..=700, 4 => 300u64..=3_000, 1 => Just(0u64)],
        ),
        milestones,
        rare(40, (any::<u8>(), 0u8..=20)),
        rare(40, any::<u8>()),
        asset_s(),
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
                (arbiter, funder),
                rule,
                corrupt,
            ),
            (
                review_window,
                arbitration_window,
                fallback_bps,
                advance,
                (agreement, fund_by),
                milestones,
                past_ship_by,
                zero_amount,
                asset,
            ),
        )| ProposeSpec {
            by_seller,
            caller_any,
            order,
            n_oracles,
            threshold_valid,
            threshold_raw,
            arbiter,
            funder,
            rule,
            review_window,
            arbitration_window,
            fallback_bps,
            advance,
            agreement,
            fund_by,
            milestones,
            past_ship_by,
            zero_amount,
            corrupt,
            asset,
        },
    )
}

pub(super) fn op_s() -> impl Strategy<Value = Op> {
    let d = any::<u8>;
    let oracle = || (0u8..3).prop_map(Who::Oracle);
    prop_oneof![
        10 => (0u64..=150).prop_map(Op::Advance),
        3 => (d(), clock_s(), any::<bool>()).prop_map(|(deal, clock, past)| Op::Jump { deal, clock, past }),
        6 => propose_s().prop_map(|p| Op::Propose(Box::new(p))),
        75 => (d(), any::<u64>(), propose_s())
            .prop_map(|(deal, seed, spec)| Op::Auto { deal, seed, spec: Box::new(spec) }),
        2 => (d(), who_pref(Just(Who::Proposer))).prop_map(|(deal, who)| Op::WithdrawProposal { deal, who }),
        8 => (d(), who_pref(Just(Who::Counterparty)), prop_oneof![8 => Just(true), 1 => Just(false)], value_s(12))
            .prop_map(|(deal, who, right_hash, value)| Op::Accept { deal, who, right_hash, value }),
        14 => (d(), funder_s(), value_s(1), fund_allow_s(), prop_oneof![10 => Just(false), 1 => Just(true)])
            .prop_map(|(deal, who, value, allow, swap)| Op::Fund { deal, who, value, allow, swap }),
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
        2 => (d(), who_pref(Just(Who::Proposer))).prop_map(|(deal, who)| Op::WithdrawCancel { deal, who }),
        2 => (d(), who_pref(Just(Who::Counterparty))).prop_map(|(deal, who)| Op::AcceptCancel { deal, who }),
        3 => (d(), who_pref(party_s()), ix_s(), ship_s(1))
            .prop_map(|(deal, who, ix, ship)| Op::ProposeAmendment { deal, who, ix, ship }),
        3 => (d(), who_pref(Just(Who::Counterparty)), ix_s(), ship_s(8))
            .prop_map(|(deal, who, ix, ship)| Op::AcceptAmendment { deal, who, ix, ship }),
        2 => (d(), who_pref(Just(Who::Proposer)), ix_s())
            .prop_map(|(deal, who, ix)| Op::WithdrawAmendment { deal, who, ix }),
        1 => (0u8..POOL as u8).prop_map(|who| Op::Withdraw { who }),
        1 => (0u8..POOL as u8, 0u8..POOL as u8).prop_map(|(who, to)| Op::WithdrawTo { who, to }),
        2 => (d(), who_s()).prop_map(|(deal, who)| Op::CloseDeal { deal, who }),
        1 => (1u128..=1000).prop_map(Op::ForceTransfer),
        3 => (d(), funder_s(), allow_s()).prop_map(|(deal, who, allow)| Op::ApproveTokens { deal, who, allow }),
        2 => (any::<u8>(), any::<u8>(), to_s())
            .prop_map(|(holder, token, to)| Op::WithdrawTokens { holder, token, to }),
        5 => (d(), who_pref(prop_oneof![2 => Just(Who::Seller), 3 => Just(Who::Payee)]), ix_s(), to_s())
            .prop_map(|(deal, who, ix, to)| Op::Assign { deal, who, ix, to }),
        3 => mode_s().prop_map(Op::TokenMode),
        1 => (any::<bool>(), 1u128..=1000).prop_map(|(moody, amount)| Op::ForceTokens { moody, amount }),
    ]
}

/// A sequence of `STEPS` operations; the first proposes a deal so that the rest has one.
pub(super) fn ops_s() -> impl Strategy<Value = Vec<Op>> {
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

/// Fee configuration of one case: (fee bps, fee recipient: 0..10 pool, 10 dedicated, 11 zero,
/// 12 the contract itself).
pub(super) fn fee_s() -> impl Strategy<Value = (u16, u8)> {
    (
        prop_oneof![10 => 0u16..=500, 2 => Just(0u16), 2 => Just(500u16), 1 => 501u16..=600],
        prop_oneof![6 => Just(10u8), 4 => 0u8..10, 1 => Just(11u8), 1 => Just(12u8)],
    )
}
