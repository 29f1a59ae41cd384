//! # Audit forger
//!
//! ## Warning
//!
//! TEST ONLY. Never deploy it for real deals: it has no rules at all.
//!
//! ## Overview
//!
//! The real `milestone_escrow` cannot be made to break its rules, so the tests of `escrow
//! audit` deploy this contract instead (with `escrow deploy --bundle`, which then trusts its
//! code hash). It keeps the escrow's storage layout (`escrow_types::keys`) and answers the
//! escrow's `config` and `deal_count` reads, and its messages write records and emit the
//! escrow's own events as the test says, one forged fact at a time: an attestation by an
//! account the deal does not name, an event that links back to the wrong block, a deposit the
//! events never announced, a claimable balance its events do not add up to.
//!
//! ## Trails
//!
//! Every event it emits is on its trail as the real contract's are (the record keeps the
//! block of its latest event, the event the block of the previous one), unless a message is
//! told which block an event links back to.
//!
//! ## Error handling
//!
//! No message fails: whatever it is asked to write, it writes.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

#[ink::contract]
mod audit_forger {
    use escrow_types::*;
    use ink::storage::{traits::ManualKey, Mapping};

    /// The escrow's layout, as far as the auditor reads it.
    #[ink(storage)]
    pub struct AuditForger {
        instance: Instance,
        deals: Mapping<DealId, DealRecord, ManualKey<{ keys::DEALS }>>,
        milestones: Mapping<(DealId, u8), MilestoneRecord, ManualKey<{ keys::MILESTONES }>>,
        claimable: Mapping<(AccountId, Asset), Claim, ManualKey<{ keys::CLAIMABLE }>>,
    }

    impl AuditForger {
        /// The escrow's constructor signature, so that `escrow deploy` deploys it.
        #[ink(constructor)]
        pub fn new(fee_recipient: AccountId, fee_bps: u16) -> Result<Self, Error> {
            Ok(Self {
                instance: Instance::new(Self::env().account_id(), fee_recipient, fee_bps)?,
                deals: Mapping::default(),
                milestones: Mapping::default(),
                claimable: Mapping::default(),
            })
        }

        /// As the escrow's.
        #[ink(message)]
        pub fn config(&self) -> Config {
            Config {
                fee_recipient: self.instance.fee_recipient,
                fee_bps: self.instance.fee_bps,
                max_milestones: MAX_MILESTONES,
                max_oracles: MAX_ORACLES,
            }
        }

        /// As the escrow's.
        #[ink(message)]
        pub fn deal_count(&self) -> u64 {
            self.instance.next_deal_id
        }

        /// Proposes a deal as the escrow would record it (no checks), with `DealProposed`.
        #[ink(message)]
        pub fn propose(&mut self, terms: DealTerms) -> DealId {
            let id = DealId(self.instance.next_deal_id);
            self.instance.next_deal_id = id.0.saturating_add(1);
            let mut hash = [0u8; 32];
            ink::env::hash_encoded::<ink::env::hash::Blake2x256, _>(&terms, &mut hash);
            let total = terms
                .milestones
                .iter()
                .fold(0u128, |t, m| t.saturating_add(m.amount));
            let count = u8::try_from(terms.milestones.len()).unwrap_or(u8::MAX);
            let mut funded_from = 0;
            for (i, m) in (0u8..).zip(terms.milestones.iter()) {
                let record = MilestoneRecord {
                    context: ReleaseContext {
                        buyer: terms.buyer,
                        payee: terms.seller,
                        asset: terms.asset,
                        fee_recipient: self.instance.fee_recipient,
                        fee_bps: self.instance.fee_bps,
                        release_rule: terms.release_rule,
                        oracles: terms.oracles.clone(),
                        oracle_threshold: terms.oracle_threshold,
                        review_window: terms.review_window,
                        funded: false,
                    },
                    next_amount: terms
                        .milestones
                        .get(usize::from(i).saturating_add(1))
                        .map_or(0, |n| n.amount),
                    milestone: Milestone {
                        amount: m.amount,
                        terms_hash: m.terms_hash,
                        ship_by: m.ship_by,
                        funded_from,
                        status: MilestoneStatus::Pending,
                        evidence_hash: None,
                        submitted_at: None,
                        attestations: 0,
                        dispute: None,
                        amendment: None,
                        outcome: None,
                        last_event_block: 0,
                    },
                };
                funded_from = funded_from.saturating_add(m.amount);
                self.milestones.insert((id, i), &record);
            }
            let mut deal = DealRecord {
                buyer: terms.buyer,
                seller: terms.seller,
                oracles: terms.oracles.clone(),
                oracle_threshold: terms.oracle_threshold,
                arbiter: terms.arbiter,
                release_rule: terms.release_rule,
                review_window: terms.review_window,
                arbitration_window: terms.arbitration_window,
                fallback_seller_bps: terms.fallback_seller_bps,
                advance: terms.advance,
                agreement_hash: terms.agreement_hash,
                funder: terms.funder,
                fund_by: terms.fund_by,
                asset: terms.asset,
                terms_hash: hash,
                milestone_count: count,
                total,
                proposer: Role::Seller,
                status: DealStatus::Proposed,
                proposed_at: self.env().block_timestamp(),
                accepted_at: None,
                deposited: 0,
                funded_count: 0,
                funding_mark: terms.milestones.first().map_or(0, |m| m.amount),
                funding_closed: false,
                cancel_proposed_by: None,
                last_event_block: 0,
            };
            let prev_block = trail_step(&mut deal.last_event_block, self.env().block_number());
            self.deals.insert(id, &deal);
            self.env().emit_event(DealProposed {
                deal_id: id,
                buyer: terms.buyer,
                seller: terms.seller,
                proposer: Role::Seller,
                terms,
                terms_hash: hash,
                prev_block,
            });
            id
        }

        /// Emits `MilestoneAttested` by the caller, whoever it is.
        #[ink(message)]
        pub fn attest(&mut self, deal_id: DealId, index: u8) {
            let prev_block = self.milestone_trail(deal_id, index);
            self.env().emit_event(MilestoneAttested {
                deal_id,
                oracle: self.env().caller(),
                index,
                attestations: 1,
                threshold: 1,
                prev_block,
            });
        }

        /// Emits `AmendmentProposed` by the caller, linked back to `prev_block` when given.
        #[ink(message)]
        pub fn propose_amendment(&mut self, deal_id: DealId, index: u8, prev_block: Option<u32>) {
            let on_trail = self.milestone_trail(deal_id, index);
            self.env().emit_event(AmendmentProposed {
                deal_id,
                by: self.env().caller(),
                index,
                new_ship_by: 0,
                prev_block: prev_block.unwrap_or(on_trail),
            });
        }

        /// Adds the value sent to what the deal says was deposited, with no event.
        #[ink(message, payable)]
        pub fn deposit_silently(&mut self, deal_id: DealId) {
            if let Some(mut d) = self.deals.get(deal_id) {
                d.deposited = d.deposited.saturating_add(self.env().transferred_value());
                self.deals.insert(deal_id, &d);
            }
        }

        /// Emits `PayoutDeferred` of `amount` to `account` for the deal, and credits its
        /// claimable balance `credit` (not `amount`, when the test says so).
        #[ink(message)]
        pub fn defer(
            &mut self,
            deal_id: DealId,
            account: AccountId,
            amount: Balance,
            credit: Balance,
        ) {
            let key = (account, Asset::Native);
            let mut claim = self.claimable.get(key).unwrap_or_default();
            claim.amount = claim.amount.saturating_add(credit);
            let prev_block = trail_step(&mut claim.last_event_block, self.env().block_number());
            self.claimable.insert(key, &claim);
            self.env().emit_event(PayoutDeferred {
                deal_id,
                account,
                asset: Asset::Native,
                amount,
                prev_block,
            });
        }

        /// Moves milestone `index`'s trail on to this block; the event's `prev_block`.
        fn milestone_trail(&mut self, deal_id: DealId, index: u8) -> u32 {
            let Some(mut m) = self.milestones.get((deal_id, index)) else {
                return 0;
            };
            let prev = trail_step(&mut m.milestone.last_event_block, self.env().block_number());
            self.milestones.insert((deal_id, index), &m);
            prev
        }
    }
}
