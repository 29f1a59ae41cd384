//! What the bench drives through the contract: the reference deal, the lifecycle that
//! measures every mutating message, deals of 1 and 16 milestones, and the fill of N deals.

use std::time::Duration;

use escrow_types::{Asset, DealId, DealTerms, MilestoneTerms, ReleaseRule};
use ink::primitives::AccountId;
use scale::Decode;
use subxt::{dynamic::Value, utils::AccountId32};
use subxt_signer::sr25519::{dev, Keypair};

use crate::{
    contract::call_data,
    session::{Bench, Done, Row},
    submit, EscrowEvent, Res, Weight, FILL_BATCH, UNIT,
};

/// A step of the reference deal, and the lifecycle row measuring the same message (that
/// row's 861cbb3 figure prices the step in the old whole-deal total).
pub struct StepSpec {
    pub name: &'static str,
    pub like: &'static str,
}

/// The reference deal's steps, in the order they run. Milestones are numbered from 0, as
/// the contract numbers them: milestone 0 is the advance, so "milestone 1" and "milestone 2"
/// are the 40% and the last 30%, and after them every milestone is settled and the deal can
/// be closed.
pub const REFERENCE_STEPS: [StepSpec; 7] = [
    StepSpec {
        name: "propose (3 milestones, advance)",
        like: "propose (5 milestones)",
    },
    StepSpec {
        name: "accept + fund in full (the advance pays milestone 0)",
        like: "accept + fund",
    },
    StepSpec {
        name: "submit milestone 1",
        like: "submit",
    },
    StepSpec {
        name: "attest milestone 1 (quorum → release)",
        like: "attest (quorum → release)",
    },
    StepSpec {
        name: "submit milestone 2",
        like: "submit",
    },
    StepSpec {
        name: "approve milestone 2 (release + fee)",
        like: "approve (release + fee)",
    },
    StepSpec {
        name: "close_deal",
        like: "close_deal",
    },
];

/// A measured step of the reference deal.
pub struct Step {
    pub spec: &'static StepSpec,
    /// Dry-run `gas_consumed` in the state the step was submitted in.
    pub gas: Weight,
    /// What its transaction took from its block's normal-class budget.
    pub block: Weight,
    /// Transfers out of the contract it made.
    pub payments: u32,
}

pub fn sum(ws: impl IntoIterator<Item = Weight>) -> Weight {
    ws.into_iter().fold(Weight::default(), |a, w| Weight {
        ref_time: a.ref_time + w.ref_time,
        proof_size: a.proof_size + w.proof_size,
    })
}

/// Transfers out of the contract that a message's events record: a release pays the seller
/// and the fee recipient, a refund the buyer, a split all three; a zero amount is not paid
/// (`payout::pay` skips it), and a transfer the chain refused (`PayoutDeferred`) did not
/// happen.
fn transfers(events: &[EscrowEvent]) -> u32 {
    let paid = |amounts: &[u128]| amounts.iter().filter(|a| **a > 0).count() as u32;
    let made: u32 = events
        .iter()
        .map(|e| match e {
            EscrowEvent::MilestoneReleased(r) => paid(&[r.amount, r.fee]),
            EscrowEvent::MilestoneRefunded(r) => paid(&[r.amount]),
            EscrowEvent::DisputeResolved(r) => paid(&[r.to_seller, r.fee, r.to_buyer]),
            _ => 0,
        })
        .sum();
    let deferred = events
        .iter()
        .filter(|e| matches!(e, EscrowEvent::PayoutDeferred(_)))
        .count() as u32;
    made - deferred
}

pub fn ink_id(k: &Keypair) -> AccountId {
    AccountId::from(k.public_key().0)
}

fn ink_id_of(a: &AccountId32) -> AccountId {
    AccountId::from(a.0)
}

/// A measured step of the stablecoin reference deal.
pub struct TokenStep {
    pub name: &'static str,
    /// Dry-run `gas_consumed` in the state the step was submitted in.
    pub gas: Weight,
    /// Transfers out of the escrow it made (token transfers).
    pub payments: u32,
}

impl Bench {
    /// Runs the next step of the reference deal and records it.
    async fn step<R: Decode>(
        &self,
        steps: &mut Vec<Step>,
        who: &Keypair,
        value: u128,
        data: Vec<u8>,
    ) -> Res<R> {
        let spec = &REFERENCE_STEPS[steps.len()];
        let escrow = self.escrow.clone();
        let Done {
            ret,
            dry,
            block,
            events,
        } = self.exec::<R>(who, &escrow, value, spec.name, data).await?;
        steps.push(Step {
            spec,
            gas: dry.gas_consumed,
            block: self.block_used(block).await?,
            payments: transfers(&events),
        });
        Ok(ret)
    }

    /// The reference deal (issue 12): 30/40/30 with an advance, an oracle (threshold 1) and
    /// an arbiter, settled without a dispute, each step measured in the state it is then
    /// submitted in.
    pub async fn reference_deal(&self) -> Res<Vec<Step>> {
        let (seller, buyer, oracle, anyone) =
            (dev::charlie(), dev::bob(), dev::dave(), dev::alice());
        let terms = reference_terms(self.now_ms().await?);
        let total: u128 = terms.milestones.iter().map(|m| m.amount).sum();
        let hash = self.terms_hash(&terms).await?;
        let mut steps = Vec::new();
        let s = &mut steps;
        let deal: DealId = self
            .step(s, &seller, 0, call_data("propose", &(terms,)))
            .await?;
        let accept = call_data("accept", &(deal, hash));
        self.step::<()>(s, &buyer, total, accept).await?;
        let submit1 = call_data("submit", &(deal, 1u8, [1u8; 32]));
        self.step::<()>(s, &seller, 0, submit1).await?;
        let attest1 = call_data("attest", &(deal, 1u8));
        self.step::<()>(s, &oracle, 0, attest1).await?;
        let submit2 = call_data("submit", &(deal, 2u8, [2u8; 32]));
        self.step::<()>(s, &seller, 0, submit2).await?;
        let approve2 = call_data("approve", &(deal, 2u8));
        self.step::<()>(s, &buyer, 0, approve2).await?;
        // Every milestone is settled now: anyone records the closure.
        let close = call_data("close_deal", &(deal,));
        self.step::<()>(s, &anyone, 0, close).await?;
        Ok(steps)
    }

    /// The reference deal paid in the stablecoin `usd` (issue 15): the same terms and steps,
    /// except that the buyer accepts without value, approves the escrow on the token for the
    /// deal's total, and deposits with `fund_tokens`, and every payout is a token transfer.
    /// Each step as measured (dry-run `gas_consumed`), the token's `approve` included.
    pub async fn stablecoin_deal(&self, usd: &AccountId32) -> Res<Vec<TokenStep>> {
        let (seller, buyer, oracle, anyone) =
            (dev::charlie(), dev::bob(), dev::dave(), dev::alice());
        let terms = DealTerms {
            asset: Asset::Psp22(AccountId::from(usd.0)),
            ..reference_terms(self.now_ms().await?)
        };
        let total: u128 = terms.milestones.iter().map(|m| m.amount).sum();
        let hash = self.terms_hash(&terms).await?;
        let escrow = self.escrow.clone();
        let mut steps = Vec::new();
        let mut step = async |name: &'static str, who: &Keypair, dest: &AccountId32, data| {
            let done = self.exec::<()>(who, dest, 0, name, data).await?;
            steps.push(TokenStep {
                name,
                gas: done.dry.gas_consumed,
                payments: transfers(&done.events),
            });
            Res::Ok(())
        };
        let propose = call_data("propose", &(terms,));
        let (deal, _) = self.dry::<DealId>(&seller, &escrow, 0, &propose).await?;
        step("propose (3 milestones, advance)", &seller, &escrow, propose).await?;
        let accept = call_data("accept", &(deal, hash));
        step("accept (no value)", &buyer, &escrow, accept).await?;
        let approve = call_data("PSP22::approve", &(ink_id_of(&escrow), total));
        step("the token's approve (escrow, total)", &buyer, usd, approve).await?;
        let fund = call_data("fund_tokens", &(deal, total));
        step(
            "fund_tokens in full (the advance pays milestone 0)",
            &buyer,
            &escrow,
            fund,
        )
        .await?;
        let submit1 = call_data("submit", &(deal, 1u8, [1u8; 32]));
        step("submit milestone 1", &seller, &escrow, submit1).await?;
        let attest1 = call_data("attest", &(deal, 1u8));
        step(
            "attest milestone 1 (quorum → release)",
            &oracle,
            &escrow,
            attest1,
        )
        .await?;
        let submit2 = call_data("submit", &(deal, 2u8, [2u8; 32]));
        step("submit milestone 2", &seller, &escrow, submit2).await?;
        let approve2 = call_data("approve", &(deal, 2u8));
        step(
            "approve milestone 2 (release + fee)",
            &buyer,
            &escrow,
            approve2,
        )
        .await?;
        let close = call_data("close_deal", &(deal,));
        step("close_deal", &anyone, &escrow, close).await?;
        Ok(steps)
    }

    /// Every mutating message along deals' lives, each measured in the state it is then
    /// submitted in. Returns the rows and the storage deposit of a proposal.
    pub async fn lifecycle(&self) -> Res<(Vec<Row>, u128)> {
        let (seller, buyer, oracle, arbiter, anyone) = (
            dev::charlie(),
            dev::bob(),
            dev::dave(),
            dev::eve(),
            dev::alice(),
        );
        let mut terms = seed_terms(self.now_ms().await?);
        terms.review_window = 2_000;
        let total: u128 = terms.milestones.iter().map(|m| m.amount).sum();
        let hash = self.terms_hash(&terms).await?;
        let mut rows = Vec::new();
        let r = &mut rows;
        let propose = call_data("propose", &(terms.clone(),));

        let d0 = self.propose(&seller, &terms).await?;
        self.measure::<()>(
            r,
            "withdraw_proposal",
            &seller,
            0,
            call_data("withdraw_proposal", &(d0,)),
        )
        .await?;
        let proposed = self
            .measure::<DealId>(r, "propose (5 milestones)", &seller, 0, propose.clone())
            .await?;
        let (deal, deposit) = (proposed.ret, proposed.dry.storage_deposit.limit());
        let accept = call_data("accept", &(deal, hash));
        self.measure::<()>(r, "accept + fund", &buyer, 1_000 * UNIT, accept)
            .await?;
        // Only the buyer (or a funder the terms name; these name none) may deposit.
        let rest = total - 1_000 * UNIT;
        self.measure::<()>(r, "fund", &buyer, rest, call_data("fund", &(deal,)))
            .await?;
        let approve = call_data("approve", &(deal, 0u8));
        self.measure::<()>(r, "approve (release + fee)", &buyer, 0, approve)
            .await?;
        let submit = call_data("submit", &(deal, 1u8, [1u8; 32]));
        self.measure::<()>(r, "submit", &seller, 0, submit).await?;
        let attest = call_data("attest", &(deal, 1u8));
        self.measure::<()>(r, "attest (quorum → release)", &oracle, 0, attest)
            .await?;
        let ship_by = self.now_ms().await? + 900_000;
        let amend = call_data("propose_amendment", &(deal, 3u8, ship_by));
        self.measure::<()>(r, "propose_amendment", &seller, 0, amend)
            .await?;
        let agree = call_data("accept_amendment", &(deal, 3u8, ship_by));
        self.measure::<()>(r, "accept_amendment", &buyer, 0, agree)
            .await?;
        self.call::<()>(
            &seller,
            0,
            "submit",
            call_data("submit", &(deal, 2u8, [2u8; 32])),
        )
        .await?;
        let dispute = call_data("dispute", &(deal, 2u8, [3u8; 32]));
        self.measure::<()>(r, "dispute", &buyer, 0, dispute).await?;
        let offer = call_data("offer_settlement", &(deal, 2u8, 150 * UNIT));
        self.measure::<()>(r, "offer_settlement", &seller, 0, offer)
            .await?;
        let settle = call_data("accept_settlement", &(deal, 2u8, 150 * UNIT));
        self.measure::<()>(r, "accept_settlement (split)", &buyer, 0, settle)
            .await?;
        self.call::<()>(
            &seller,
            0,
            "submit",
            call_data("submit", &(deal, 3u8, [4u8; 32])),
        )
        .await?;
        self.call::<()>(
            &seller,
            0,
            "dispute",
            call_data("dispute", &(deal, 3u8, [5u8; 32])),
        )
        .await?;
        let rule = call_data("resolve_dispute", &(deal, 3u8, 50 * UNIT));
        self.measure::<()>(r, "resolve_dispute (split)", &arbiter, 0, rule)
            .await?;
        self.call::<()>(
            &seller,
            0,
            "submit",
            call_data("submit", &(deal, 4u8, [6u8; 32])),
        )
        .await?;
        // The review window is 2 s: let it pass, then seal a block so the clock moves.
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        self.tick().await?;
        let due = call_data("settle_milestone", &(deal, 4u8));
        self.measure::<()>(r, "settle_milestone (timeout release)", &anyone, 0, due)
            .await?;
        // Every milestone of the deal is settled now: anyone records its closure.
        let close = call_data("close_deal", &(deal,));
        self.measure::<()>(r, "close_deal", &anyone, 0, close)
            .await?;

        // Batch approval and mutual cancellation on another deal.
        let d2 = self.propose(&seller, &terms).await?;
        self.call::<()>(&buyer, total, "accept", call_data("accept", &(d2, hash)))
            .await?;
        let through = call_data("approve_through", &(d2, 2u8));
        self.measure::<u8>(r, "approve_through (3 milestones)", &buyer, 0, through)
            .await?;
        let cancel = call_data("propose_cancel", &(d2,));
        self.measure::<()>(r, "propose_cancel", &buyer, 0, cancel)
            .await?;
        let agree = call_data("accept_cancel", &(d2,));
        self.measure::<()>(r, "accept_cancel (2 refunds)", &seller, 0, agree)
            .await?;
        Ok((rows, deposit))
    }

    /// fund and approve on a deal of `n` milestones (the first one only).
    pub async fn touch_first_of(&self, n: u8) -> Res<(Weight, Weight)> {
        let (seller, buyer) = (dev::charlie(), dev::bob());
        let mut terms = seed_terms(self.now_ms().await?);
        let fund_by = terms.fund_by;
        terms.milestones = (0..n)
            .map(|i| MilestoneTerms {
                amount: 10 * UNIT,
                terms_hash: [i; 32],
                ship_by: default_ship_by(fund_by, usize::from(i)),
            })
            .collect();
        let hash = self.terms_hash(&terms).await?;
        let deal = self.propose(&seller, &terms).await?;
        let escrow = self.escrow.clone();
        let accept = call_data("accept", &(deal, hash));
        self.call::<()>(&buyer, 0, "accept", accept).await?;
        let fund = call_data("fund", &(deal,));
        let fund = self.exec::<()>(&buyer, &escrow, 10 * UNIT, "fund", fund);
        let fund = fund.await?.dry.gas_consumed;
        let approve = call_data("approve", &(deal, 0u8));
        let approve = self.exec::<()>(&buyer, &escrow, 0, "approve", approve);
        Ok((fund, approve.await?.dry.gas_consumed))
    }

    /// Proposes `n` one-milestone deals between the same parties, in batches.
    pub async fn fill(&self, n: u32) -> Res<()> {
        let seller = dev::charlie();
        let mut terms = seed_terms(self.now_ms().await?);
        terms.milestones.truncate(1);
        let data = call_data("propose", &(terms,));
        let (_, dry) = self.dry::<DealId>(&seller, &self.escrow, 0, &data).await?;
        // Headroom: later proposals write to slightly longer index lists.
        let gas = Weight {
            ref_time: dry.gas_required.ref_time * 2,
            proof_size: dry.gas_required.proof_size * 2,
        };
        let deposit = dry.storage_deposit.limit() * 2;
        let fields = submit::call_fields(&self.escrow, 0, gas, deposit, data);
        let call = Value::unnamed_variant("Contracts", [Value::named_variant("call", fields)]);
        let before = self.deal_count().await?;
        let mut left = n as usize;
        while left > 0 {
            let k = left.min(FILL_BATCH);
            let calls = Value::unnamed_composite(std::iter::repeat_n(call.clone(), k));
            let tx = subxt::dynamic::tx("Utility", "batch_all", vec![("calls", calls)]);
            submit::sign_submit_wait(&self.chain, &tx, &seller, None, self.opts.clone())
                .await
                .map_err(|e| format!("filling deals: {e}"))?;
            left -= k;
        }
        let after = self.deal_count().await?;
        if after != before + u64::from(n) {
            return Err(format!(
                "filling deals: deal_count went from {before} to {after}, expected +{n}"
            ));
        }
        Ok(())
    }
}

fn milestone(amount: u128, tag: u8, ship_by: u64) -> MilestoneTerms {
    MilestoneTerms {
        amount,
        terms_hash: [tag; 32],
        ship_by,
    }
}

const DAY_MS: u64 = 86_400_000;

/// The funding deadline `escrow deal propose` sets by default: 7 days after `now`.
fn default_fund_by(now: u64) -> u64 {
    now + 7 * DAY_MS
}

/// The ship-by `escrow deal propose` derives by default for milestone `index` (from 0):
/// fund-by + (index + 1) × 30 days.
fn default_ship_by(fund_by: u64, index: usize) -> u64 {
    fund_by + (index as u64 + 1) * 30 * DAY_MS
}

/// The reference deal's terms at `now`: buyer Bob, seller Charlie, 300/400/300 UNIT
/// (30/40/30) with milestone 0 an advance, oracle Dave (threshold 1), arbiter Eve; either
/// the buyer or the oracle may release. No funder besides the buyer; the CLI's default
/// deadlines (funding within 7 days, milestone n shipped by fund-by + (n+1) × 30 days).
pub fn reference_terms(now: u64) -> DealTerms {
    let fund_by = default_fund_by(now);
    DealTerms {
        buyer: ink_id(&dev::bob()),
        seller: ink_id(&dev::charlie()),
        oracles: vec![ink_id(&dev::dave())],
        oracle_threshold: 1,
        arbiter: Some(ink_id(&dev::eve())),
        release_rule: ReleaseRule::BuyerOrOracles,
        review_window: 7 * 24 * 3600 * 1000,
        arbitration_window: 14 * 24 * 3600 * 1000,
        fallback_seller_bps: 5_000,
        advance: true,
        agreement_hash: [0xAA; 32],
        funder: None,
        fund_by,
        asset: Asset::Native,
        milestones: vec![
            milestone(300 * UNIT, 1, default_ship_by(fund_by, 0)),
            milestone(400 * UNIT, 2, default_ship_by(fund_by, 1)),
            milestone(300 * UNIT, 3, default_ship_by(fund_by, 2)),
        ],
    }
}

/// The lifecycle's deal: the reference deal without the advance (so that `approve` and
/// `attest` have milestones to release), plus two milestones: one whose ship-by is 10
/// minutes away (the amendment extends it) and one more for a timeout release. The
/// lifecycle's rows, and so the 861cbb3 figures, were measured on this deal (before every
/// milestone had a ship-by and deals a funding deadline).
fn seed_terms(now: u64) -> DealTerms {
    let mut terms = reference_terms(now);
    terms.advance = false;
    let last = default_ship_by(terms.fund_by, 4);
    terms.milestones.extend([
        milestone(100 * UNIT, 4, now + 600_000),
        milestone(100 * UNIT, 5, last),
    ]);
    terms
}

#[cfg(test)]
mod tests {
    use escrow_types::{MilestoneReleased, PayoutDeferred, ReleaseVia};

    use super::*;

    fn released(amount: u128, fee: u128) -> EscrowEvent {
        EscrowEvent::MilestoneReleased(MilestoneReleased {
            deal_id: DealId(1),
            payee: ink_id(&dev::charlie()),
            index: 0,
            amount,
            fee,
            via: ReleaseVia::Buyer,
            prev_block: 0,
        })
    }

    #[test]
    fn a_release_with_a_fee_is_two_transfers_and_a_deferred_payout_none() {
        assert_eq!(transfers(&[released(297, 3)]), 2);
        assert_eq!(transfers(&[released(300, 0)]), 1);
        let deferred = EscrowEvent::PayoutDeferred(PayoutDeferred {
            deal_id: DealId(1),
            account: ink_id(&dev::ferdie()),
            asset: Asset::Native,
            amount: 3,
            prev_block: 0,
        });
        assert_eq!(transfers(&[released(297, 3), deferred]), 1);
    }

    #[test]
    fn the_reference_deal_is_30_40_30_with_an_advance() {
        let t = reference_terms(1_796_126_400_000);
        let amounts: Vec<u128> = t.milestones.iter().map(|m| m.amount).collect();
        assert_eq!(amounts, [300 * UNIT, 400 * UNIT, 300 * UNIT]);
        assert!(t.advance);
        assert_eq!((t.oracles.len(), t.oracle_threshold), (1, 1));
        assert!(t.arbiter.is_some());
        assert_eq!(
            (t.funder, t.fund_by),
            (None, 1_796_126_400_000 + 7 * DAY_MS)
        );
        let ships: Vec<u64> = t.milestones.iter().map(|m| m.ship_by).collect();
        assert_eq!(
            ships,
            [1, 2, 3].map(|n| t.fund_by + n * 30 * DAY_MS),
            "the CLI's default deadlines"
        );
    }
}
