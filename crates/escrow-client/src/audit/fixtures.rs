//! Events and terms for the audit's unit tests.
#![allow(dead_code)]

use escrow_types::*;

use crate::contract::{terms_hash, EscrowEvent};

pub(crate) fn acc(b: u8) -> ink::primitives::AccountId {
    [b; 32].into()
}

pub(crate) fn terms(asset: Asset, amounts: &[u128]) -> DealTerms {
    DealTerms {
        buyer: acc(1),
        seller: acc(2),
        oracles: vec![],
        oracle_threshold: 0,
        arbiter: None,
        release_rule: ReleaseRule::Buyer,
        review_window: 1,
        arbitration_window: 1,
        fallback_seller_bps: 0,
        advance: false,
        agreement_hash: [0; 32],
        funder: None,
        fund_by: 5,
        asset,
        milestones: amounts
            .iter()
            .enumerate()
            .map(|(i, &amount)| MilestoneTerms {
                amount,
                terms_hash: [0; 32],
                ship_by: 10 * (i as u64 + 1),
            })
            .collect(),
    }
}

pub(crate) fn proposed(terms: DealTerms) -> EscrowEvent {
    EscrowEvent::DealProposed(DealProposed {
        deal_id: DealId(0),
        buyer: acc(1),
        seller: acc(2),
        proposer: Role::Buyer,
        terms_hash: terms_hash(&terms),
        terms,
        prev_block: 0,
    })
}

pub(crate) fn funded(amount: u128) -> EscrowEvent {
    EscrowEvent::DealFunded(DealFunded {
        deal_id: DealId(0),
        funder: acc(1),
        amount,
        deposited: amount,
        prev_block: 0,
    })
}

pub(crate) fn released(index: u8, payee: u8, amount: u128, fee: u128) -> EscrowEvent {
    EscrowEvent::MilestoneReleased(MilestoneReleased {
        deal_id: DealId(0),
        payee: acc(payee),
        index,
        amount,
        fee,
        via: ReleaseVia::Buyer,
        prev_block: 0,
    })
}

pub(crate) fn assigned(by: u8, to: u8, from_index: u8, count: u8) -> EscrowEvent {
    EscrowEvent::ReceivableAssigned(ReceivableAssigned {
        deal_id: DealId(0),
        by: acc(by),
        to: acc(to),
        from_index,
        count,
        prev_block: 0,
    })
}

/// The escrow's address in the synthetic histories.
pub(crate) const ESCROW: [u8; 32] = [0xEE; 32];
/// The instance's fee recipient.
pub(crate) const FEE: u8 = 9;

/// The instance: 1% to account 9.
pub(crate) fn config() -> Config {
    Config {
        fee_recipient: acc(FEE),
        fee_bps: 100,
        max_milestones: MAX_MILESTONES,
        max_oracles: MAX_ORACLES,
    }
}

/// The reference deal's terms: buyer 1, seller 2, oracle 3 (threshold 1), arbiter 4,
/// 300/400/300 with milestone 0 an advance, review 10 ms, arbitration 20 ms, funding by
/// t=1000, ship-by t=500, buyer or oracles release, fallback 50% to the seller.
pub(crate) fn reference_terms() -> DealTerms {
    let mut t = terms(Asset::Native, &[300, 400, 300]);
    t.oracles = vec![acc(3)];
    t.oracle_threshold = 1;
    t.arbiter = Some(acc(4));
    t.release_rule = ReleaseRule::BuyerOrOracles;
    t.review_window = 10;
    t.arbitration_window = 20;
    t.fallback_seller_bps = 5_000;
    t.advance = true;
    t.fund_by = 1_000;
    for m in &mut t.milestones {
        m.ship_by = 500;
    }
    t
}

/// One block of a synthetic history: its time, one extrinsic (index 1) signed by `caller`,
/// its escrow events and the transfers the chain recorded.
pub(crate) fn block(
    number: u32,
    time: u64,
    caller: u8,
    events: Vec<EscrowEvent>,
    transfers: &[(u8, u8, u128)],
) -> crate::audit::walk::Block {
    let who = |n: u8| if n == 0xEE { ESCROW } else { [n; 32] };
    crate::audit::walk::Block {
        number,
        hash: Default::default(),
        time,
        events: events.into_iter().map(|e| (Some(1), e)).collect(),
        callers: [(1, vec![[caller; 32]])].into_iter().collect(),
        transfers: transfers
            .iter()
            .map(|&(from, to, amount)| crate::audit::walk::Transfer {
                extrinsic: Some(1),
                asset: Asset::Native,
                from: who(from),
                to: who(to),
                amount,
            })
            .collect(),
    }
}

/// The reference deal's history, every link and transfer as the contract makes them:
/// #2 the seller proposes; #3 the buyer accepts and funds 1000, which pays the advance
/// (297 + 3); #4 the seller submits milestone 1; #5 the oracle attests it, releasing it
/// (396 + 4); #6 the seller submits milestone 2; #7 the buyer disputes it; #8 the arbiter
/// splits it 200/100 (198 + 2 to the seller's side).
pub(crate) fn reference_history() -> Vec<crate::audit::walk::Block> {
    let id = DealId(0);
    let t = reference_terms();
    let e = 0xEE;
    vec![
        block(
            2,
            100,
            2,
            vec![EscrowEvent::DealProposed(DealProposed {
                deal_id: id,
                buyer: acc(1),
                seller: acc(2),
                proposer: Role::Seller,
                terms_hash: terms_hash(&t),
                terms: t,
                prev_block: 0,
            })],
            &[],
        ),
        block(
            3,
            110,
            1,
            vec![
                EscrowEvent::DealAccepted(DealAccepted {
                    deal_id: id,
                    by: acc(1),
                    at: 110,
                    prev_block: 2,
                }),
                EscrowEvent::DealFunded(DealFunded {
                    deal_id: id,
                    funder: acc(1),
                    amount: 1_000,
                    deposited: 1_000,
                    prev_block: 3,
                }),
                EscrowEvent::MilestoneReleased(MilestoneReleased {
                    deal_id: id,
                    payee: acc(2),
                    index: 0,
                    amount: 297,
                    fee: 3,
                    via: ReleaseVia::Advance,
                    prev_block: 0,
                }),
            ],
            &[(1, e, 1_000), (e, 2, 297), (e, FEE, 3)],
        ),
        block(
            4,
            120,
            2,
            vec![EscrowEvent::MilestoneSubmitted(MilestoneSubmitted {
                deal_id: id,
                seller: acc(2),
                index: 1,
                evidence_hash: [1; 32],
                review_ends: 130,
                prev_block: 0,
            })],
            &[],
        ),
        block(
            5,
            125,
            3,
            vec![
                EscrowEvent::MilestoneAttested(MilestoneAttested {
                    deal_id: id,
                    oracle: acc(3),
                    index: 1,
                    attestations: 1,
                    threshold: 1,
                    prev_block: 4,
                }),
                EscrowEvent::MilestoneReleased(MilestoneReleased {
                    deal_id: id,
                    payee: acc(2),
                    index: 1,
                    amount: 396,
                    fee: 4,
                    via: ReleaseVia::Oracles,
                    prev_block: 5,
                }),
            ],
            &[(e, 2, 396), (e, FEE, 4)],
        ),
        block(
            6,
            130,
            2,
            vec![EscrowEvent::MilestoneSubmitted(MilestoneSubmitted {
                deal_id: id,
                seller: acc(2),
                index: 2,
                evidence_hash: [2; 32],
                review_ends: 140,
                prev_block: 0,
            })],
            &[],
        ),
        block(
            7,
            135,
            1,
            vec![EscrowEvent::MilestoneDisputed(MilestoneDisputed {
                deal_id: id,
                by: acc(1),
                index: 2,
                reason_hash: [3; 32],
                arbitration_ends: 155,
                prev_block: 6,
            })],
            &[],
        ),
        block(
            8,
            150,
            4,
            vec![EscrowEvent::DisputeResolved(DisputeResolved {
                deal_id: id,
                resolution: Resolution::Arbiter,
                index: 2,
                to_seller: 198,
                payee: acc(2),
                fee: 2,
                to_buyer: 100,
                prev_block: 7,
            })],
            &[(e, 2, 198), (e, FEE, 2), (e, 1, 100)],
        ),
    ]
}
