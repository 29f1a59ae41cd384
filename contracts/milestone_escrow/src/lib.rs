#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std, no_main)]

mod guards;
mod steps;
mod token;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod model;

#[cfg(all(test, feature = "e2e-tests"))]
mod e2e_tests;

#[ink::contract]
pub mod milestone_escrow {
    use crate::{guards::*, steps::Payout};
    use escrow_types::*;
    use ink::{
        prelude::vec::Vec,
        storage::{traits::ManualKey, Mapping},
    };

    /// The contract's storage. The root holds only the fixed configuration and the deal
    /// counter; every deal, milestone and index entry is its own `Mapping` entry, so no
    /// message reads or writes more than the records it touches. The keys are fixed
    /// (`escrow_types::keys`) so that clients and auditors can compute them.
    #[ink(storage)]
    pub struct MilestoneEscrow {
        pub(crate) instance: Instance,
        pub(crate) deals: Mapping<DealId, DealRecord, ManualKey<{ keys::DEALS }>>,
        pub(crate) milestones:
            Mapping<(DealId, u8), MilestoneRecord, ManualKey<{ keys::MILESTONES }>>,
        /// `(account, n)` → the account's n-th deal, for paginated listing.
        pub(crate) account_deals:
            Mapping<(AccountId, u32), DealId, ManualKey<{ keys::ACCOUNT_DEALS }>>,
        /// Number of deals an account takes part in.
        pub(crate) account_deal_count:
            Mapping<AccountId, u32, ManualKey<{ keys::ACCOUNT_DEAL_COUNT }>>,
        /// `(account, asset)` → payouts the chain or the token refused, waiting for
        /// `withdraw` or `withdraw_tokens` (written by `payout::credit`). One book per asset.
        pub(crate) claimable: Mapping<(AccountId, Asset), Claim, ManualKey<{ keys::CLAIMABLE }>>,
    }

    impl MilestoneEscrow {
        /// Creates an instance whose releases pay `fee_bps` basis points to `fee_recipient`.
        ///
        /// # Errors
        /// - [`Error::FeeTooHigh`] if `fee_bps > MAX_FEE_BPS`.
        /// - [`Error::ZeroAccount`] if `fee_recipient` is the all-zero account while a fee is set.
        /// - [`Error::FeeRecipientIsContract`] if `fee_recipient` is the new contract itself.
        #[ink(constructor)]
        pub fn new(fee_recipient: AccountId, fee_bps: u16) -> Result<Self, Error> {
            Ok(Self {
                instance: Instance::new(Self::env().account_id(), fee_recipient, fee_bps)?,
                deals: Mapping::default(),
                milestones: Mapping::default(),
                account_deals: Mapping::default(),
                account_deal_count: Mapping::default(),
                claimable: Mapping::default(),
            })
        }

        // ------------------------------------------------------------------ lifecycle

        /// Proposes a deal. The caller must be its buyer or seller; the other party accepts.
        ///
        /// # Access
        /// The deal's buyer or seller.
        /// # Events
        /// `DealProposed`, with the full terms.
        /// # Errors
        /// `CallerIsNotParty`, `NoMilestones`, `TooManyMilestones`, `TooManyOracles`,
        /// `DuplicateRole`, `ZeroAccount`, `InvalidThreshold`, `InvalidBps`, `InvalidWindow`,
        /// `FundByInPast`, `ZeroAmount`, `ShipByInPast`, `AmountOverflow`, `InvalidAsset`.
        #[ink(message)]
        #[inline(never)]
        pub fn propose(&mut self, terms: DealTerms) -> Result<DealId, Error> {
            let now = self.env().block_timestamp();
            let proposer = proposer_role(&terms, self.env().caller())?;
            let total = validate_terms(&terms, now)?;
            ensure_asset(&terms.asset, &self.env().account_id())?;
            let id = DealId(self.instance.next_deal_id);
            let next = id.0.checked_add(1).ok_or(Error::AmountOverflow)?;
            let slots = self.index_slots(&terms)?;
            let terms_hash = self.hash_terms(&terms);
            let count =
                u8::try_from(terms.milestones.len()).map_err(|_| Error::TooManyMilestones)?;

            // Effects.
            self.instance.next_deal_id = next;
            self.insert_milestones(id, &terms)?;
            self.index_deal(id, slots);
            let mut deal = proposed_deal(&terms, proposer, terms_hash, count, total, now);
            let prev_block = self.trail(&mut deal.last_event_block);
            self.deals.insert(id, &deal);
            self.env().emit_event(DealProposed {
                deal_id: id,
                buyer: terms.buyer,
                seller: terms.seller,
                proposer,
                terms,
                terms_hash,
                prev_block,
            });
            Ok(id)
        }

        /// Withdraws a proposal before the counterparty accepts it.
        ///
        /// # Access
        /// The proposing party.
        /// # Events
        /// `DealWithdrawn`.
        /// # Errors
        /// `DealNotFound`, `CallerIsNotProposer`, `WrongDealState`.
        #[ink(message)]
        #[inline(never)]
        pub fn withdraw_proposal(&mut self, deal_id: DealId) -> Result<(), Error> {
            let caller = self.env().caller();
            let mut deal = self.load_deal(deal_id)?;
            if deal.role_of(&caller) != Some(deal.proposer) {
                return Err(Error::CallerIsNotProposer);
            }
            self.ensure_state(deal_id, &deal, &[DealStatus::Proposed])?;
            deal.status = DealStatus::Withdrawn;
            let prev_block = self.trail(&mut deal.last_event_block);
            self.deals.insert(deal_id, &deal);
            self.env().emit_event(DealWithdrawn {
                deal_id,
                by: caller,
                prev_block,
            });
            Ok(())
        }

        /// Accepts a proposed deal, naming the hash of the terms accepted (so terms cannot
        /// be switched under the acceptor). The buyer may send funds with its acceptance of a
        /// native deal (a token deal is funded with `fund_tokens`). A proposal expires at its
        /// funding deadline.
        ///
        /// # Access
        /// The counterparty of the proposer. Value only from the buyer.
        /// # Events
        /// `DealAccepted`; with value also `DealFunded`, and `MilestoneReleased` (via
        /// `Advance`) if milestone 0 is an advance and now funded.
        /// # Errors
        /// `DealNotFound`, `CallerIsNotParty`, `CannotAcceptOwnProposal`, `WrongDealState`,
        /// `TermsHashMismatch`, `FundingDeadlinePassed`, `UnexpectedValue`, `OverFunded`.
        #[ink(message, payable)]
        #[inline(never)]
        pub fn accept(&mut self, deal_id: DealId, terms_hash: Digest) -> Result<(), Error> {
            let caller = self.env().caller();
            let value = self.env().transferred_value();
            let now = self.env().block_timestamp();
            let mut deal = self.load_deal(deal_id)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            ensure_not_own(deal.proposer, role)?;
            self.ensure_state(deal_id, &deal, &[DealStatus::Proposed])?;
            ensure_acceptable(&deal, role, terms_hash, value, now)?;
            deal.status = DealStatus::Active;
            deal.accepted_at = Some(now);
            let prev_block = self.trail(&mut deal.last_event_block);
            self.env().emit_event(DealAccepted {
                deal_id,
                by: caller,
                at: now,
                prev_block,
            });
            let payouts = self.deposit_and_advance(deal_id, &mut deal, caller, value)?;
            self.deals.insert(deal_id, &deal);
            self.pay_all(deal_id, deal.asset, &payouts)
        }

        /// Deposits funds for an accepted native deal, until its funding deadline. Deposits cover
        /// milestones in order; funded milestones may proceed while later ones wait for
        /// money.
        ///
        /// # Access
        /// The buyer, or the funder the terms name (a bank paying for the buyer). Refunds
        /// always go to the buyer.
        /// # Events
        /// `DealFunded`; `MilestoneReleased` (via `Advance`) if it completes an advance.
        /// # Errors
        /// `DealNotFound`, `CallerIsNotFunder`, `WrongDealState`, `WrongAsset` (a token
        /// deal), `ZeroDeposit`, `FundingClosed`, `FundingDeadlinePassed`, `OverFunded`.
        #[ink(message, payable)]
        #[inline(never)]
        pub fn fund(&mut self, deal_id: DealId) -> Result<(), Error> {
            let caller = self.env().caller();
            let value = self.env().transferred_value();
            let now = self.env().block_timestamp();
            let mut deal = self.load_deal(deal_id)?;
            ensure_funder(&deal, &caller)?;
            self.ensure_state(deal_id, &deal, &[DealStatus::Active])?;
            let fits = if deal.asset != Asset::Native {
                Err(Error::WrongAsset)
            } else if value == 0 {
                Err(Error::ZeroDeposit)
            } else {
                ensure_deposit_fits(&deal, value, now)
            };
            if let Err(e) = fits {
                // A deal whose milestones are all settled is closed. It can take no deposit
                // anyway (each was funded in full, or funding closed), so only this error
                // path pays for counting them.
                return Err(self.closed_or(deal_id, &deal, e));
            }
            let payouts = self.deposit_and_advance(deal_id, &mut deal, caller, value)?;
            self.deals.insert(deal_id, &deal);
            self.pay_all(deal_id, deal.asset, &payouts)
        }

        /// Deposits `amount` of a token deal's token, pulled from the caller with the token's
        /// `transfer_from`: the caller first approves the escrow for at least `amount` on
        /// the token. The deposit is credited only if the escrow's balance in the token rose
        /// by exactly `amount`, so a token that delivers less (or more, or nothing) is
        /// refused. Otherwise as `fund`.
        ///
        /// # Access
        /// The buyer, or the funder the terms name.
        /// # Events
        /// `DealFunded`; `MilestoneReleased` (via `Advance`) if it completes an advance.
        /// # Errors
        /// `DealNotFound`, `CallerIsNotFunder`, `WrongDealState`, `WrongAsset` (a native
        /// deal), `ZeroDeposit`, `FundingClosed`, `FundingDeadlinePassed`, `OverFunded`,
        /// `TransferFailed` (the token refused: no allowance or balance), `DepositMismatch`.
        #[ink(message)]
        #[inline(never)]
        pub fn fund_tokens(&mut self, deal_id: DealId, amount: Balance) -> Result<(), Error> {
            let caller = self.env().caller();
            let now = self.env().block_timestamp();
            let mut deal = self.load_deal(deal_id)?;
            ensure_funder(&deal, &caller)?;
            self.ensure_state(deal_id, &deal, &[DealStatus::Active])?;
            let fits = ensure_token_deal(&deal).and_then(|token| {
                if amount == 0 {
                    return Err(Error::ZeroDeposit);
                }
                ensure_deposit_fits(&deal, amount, now).map(|()| token)
            });
            // As in `fund`: only the error path reads whether the deal has closed since.
            let token = fits.map_err(|e| self.closed_or(deal_id, &deal, e))?;
            self.pull_tokens(token, caller, amount)?;
            let payouts = self.deposit_and_advance(deal_id, &mut deal, caller, amount)?;
            self.deals.insert(deal_id, &deal);
            self.pay_all(deal_id, deal.asset, &payouts)
        }

        /// Marks a funded milestone delivered, with the hash of the evidence. Starts the
        /// buyer's review window. Voids a pending cancellation proposal: a cancellation
        /// never refunds a milestone delivered after it was proposed.
        ///
        /// # Access
        /// The seller.
        /// # Events
        /// `MilestoneSubmitted`; `CancellationWithdrawn` if it voided a cancellation.
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotSeller`, `WrongDealState`,
        /// `WrongMilestoneState`, `MilestoneNotFunded`, `ShipByPassed`.
        #[ink(message)]
        #[inline(never)]
        pub fn submit(
            &mut self,
            deal_id: DealId,
            index: u8,
            evidence_hash: Digest,
        ) -> Result<(), Error> {
            let caller = self.env().caller();
            let now = self.env().block_timestamp();
            let mut deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            if caller != deal.seller {
                return Err(Error::CallerIsNotSeller);
            }
            self.ensure_status_seen(deal_id, &deal, &m, &[DealStatus::Active])?;
            ensure_submittable(&m, now)?;
            m.status = MilestoneStatus::Submitted;
            m.evidence_hash = Some(evidence_hash);
            m.submitted_at = Some(now);
            m.amendment = None;
            let prev_block = self.trail(&mut m.last_event_block);
            self.milestones.insert((deal_id, index), &m);
            self.env().emit_event(MilestoneSubmitted {
                deal_id,
                seller: caller,
                index,
                evidence_hash,
                review_ends: now.saturating_add(deal.review_window),
                prev_block,
            });
            self.void_cancellation(deal_id, &mut deal, caller, index);
            Ok(())
        }

        /// Releases a funded milestone (submitted or not) to the seller.
        ///
        /// # Access
        /// The buyer, unless the release rule is `Oracles`.
        /// # Events
        /// `MilestoneReleased` (via `Buyer`).
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotBuyer`, `RuleForbidsBuyerRelease`,
        /// `WrongDealState`, `WrongMilestoneState`, `MilestoneNotFunded`.
        #[ink(message)]
        #[inline(never)]
        pub fn approve(&mut self, deal_id: DealId, index: u8) -> Result<(), Error> {
            let caller = self.env().caller();
            let deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            m.check_buyer_release(&caller)?;
            self.ensure_status_seen(deal_id, &deal, &m, &[DealStatus::Active])?;
            m.check_releasable()?;
            let payouts = self.book_release(deal_id, index, &mut m, ReleaseVia::Buyer)?;
            self.milestones.insert((deal_id, index), &m);
            self.pay_all(deal_id, m.context.asset, &payouts)
        }

        /// Releases every unsettled milestone `0..=last` at once.
        ///
        /// # Access
        /// The buyer, unless the release rule is `Oracles`.
        /// # Events
        /// `MilestoneReleased` (via `BuyerBatch`) for each.
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound` (`last` out of range), `CallerIsNotBuyer`,
        /// `RuleForbidsBuyerRelease`, `WrongDealState`, `MilestoneDisputed`,
        /// `MilestoneNotFunded`, `NothingToRelease`.
        #[ink(message)]
        #[inline(never)]
        pub fn approve_through(&mut self, deal_id: DealId, last: u8) -> Result<u8, Error> {
            let caller = self.env().caller();
            let deal = self.load_deal(deal_id)?;
            if last >= deal.milestone_count {
                return Err(Error::MilestoneNotFound);
            }
            check_buyer_release(&deal.buyer, deal.release_rule, &caller)?;
            self.ensure_state(deal_id, &deal, &[DealStatus::Active])?;
            // Checks for the whole range first, so that a failure changes nothing.
            let mut todo = Vec::new();
            for index in 0..=last {
                let m = self.load_milestone(deal_id, index)?;
                match m.status {
                    s if s.is_terminal() => continue,
                    MilestoneStatus::Disputed => return Err(Error::MilestoneDisputed),
                    _ => m.check_releasable()?,
                }
                todo.push((index, m));
            }
            if todo.is_empty() {
                return Err(self.closed_or(deal_id, &deal, Error::NothingToRelease));
            }
            let mut payouts = Vec::new();
            let released = u8::try_from(todo.len()).map_err(|_| Error::TooManyMilestones)?;
            for (index, mut m) in todo {
                let via = ReleaseVia::BuyerBatch;
                payouts.extend(self.book_release(deal_id, index, &mut m, via)?);
                self.milestones.insert((deal_id, index), &m);
            }
            self.pay_all(deal_id, deal.asset, &payouts)?;
            Ok(released)
        }

        /// Attests a funded milestone (before or after the seller's submission). When the
        /// deal's threshold of distinct oracles is reached, the milestone is released. Like a
        /// submission, it voids a pending cancellation proposal.
        ///
        /// # Access
        /// One of the deal's oracles, unless the release rule is `Buyer`.
        /// # Events
        /// `MilestoneAttested`; `MilestoneReleased` (via `Oracles`) at the threshold;
        /// `CancellationWithdrawn` if it voided a cancellation.
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotOracle`, `RuleForbidsOracles`,
        /// `WrongDealState`, `WrongMilestoneState`, `MilestoneNotFunded`, `ShipByPassed`,
        /// `AlreadyAttested`.
        #[ink(message)]
        #[inline(never)]
        pub fn attest(&mut self, deal_id: DealId, index: u8) -> Result<(), Error> {
            let caller = self.env().caller();
            let now = self.env().block_timestamp();
            let mut deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            let bit = m.check_oracle(&caller)?;
            self.ensure_status_seen(deal_id, &deal, &m, &[DealStatus::Active])?;
            m.check_attestable(bit, now)?;
            m.attestations |= bit;
            let attestations = m.attestation_count();
            let threshold = m.context.oracle_threshold;
            let prev_block = self.trail(&mut m.last_event_block);
            self.env().emit_event(MilestoneAttested {
                deal_id,
                oracle: caller,
                index,
                attestations,
                threshold,
                prev_block,
            });
            let mut payouts = Vec::new();
            if attestations >= threshold {
                payouts = self.book_release(deal_id, index, &mut m, ReleaseVia::Oracles)?;
            }
            self.milestones.insert((deal_id, index), &m);
            self.void_cancellation(deal_id, &mut deal, caller, index);
            self.pay_all(deal_id, m.context.asset, &payouts)
        }

        /// Disputes a submitted milestone within its review window. Freezes that milestone
        /// alone; the others carry on. Starts the arbitration window.
        ///
        /// # Access
        /// The buyer or the seller.
        /// # Events
        /// `MilestoneDisputed`.
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotParty`, `WrongDealState`,
        /// `WrongMilestoneState`, `ReviewWindowClosed`.
        #[ink(message)]
        #[inline(never)]
        pub fn dispute(
            &mut self,
            deal_id: DealId,
            index: u8,
            reason_hash: Digest,
        ) -> Result<(), Error> {
            let caller = self.env().caller();
            let now = self.env().block_timestamp();
            let deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            self.ensure_status_seen(deal_id, &deal, &m, &[DealStatus::Active])?;
            ensure_disputable(&m, now)?;
            m.status = MilestoneStatus::Disputed;
            m.dispute = Some(Dispute {
                by: role,
                opened_at: now,
                reason_hash,
                offer: None,
            });
            let prev_block = self.trail(&mut m.last_event_block);
            self.milestones.insert((deal_id, index), &m);
            self.env().emit_event(MilestoneDisputed {
                deal_id,
                by: caller,
                index,
                reason_hash,
                arbitration_ends: now.saturating_add(deal.arbitration_window),
                prev_block,
            });
            Ok(())
        }

        /// Offers to settle a dispute: the seller gets `seller_amount` (the fee comes out
        /// of it), the buyer the rest. Replaces any earlier offer. Offers lapse with the
        /// arbitration window.
        ///
        /// # Access
        /// The buyer or the seller, while the arbitration window runs.
        /// # Events
        /// `SettlementOffered`.
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotParty`, `WrongMilestoneState`,
        /// `SplitExceedsAmount`, `ArbitrationWindowClosed`.
        #[ink(message)]
        #[inline(never)]
        pub fn offer_settlement(
            &mut self,
            deal_id: DealId,
            index: u8,
            seller_amount: Balance,
        ) -> Result<(), Error> {
            let caller = self.env().caller();
            let now = self.env().block_timestamp();
            let deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            ensure_split_fits(&m, seller_amount)?;
            ensure_arbitration_open(&deal, &m, now)?;
            let mut dispute = m
                .dispute
                .ok_or(Error::WrongMilestoneState { found: m.status })?;
            dispute.offer = Some(Offer {
                by: role,
                seller_amount,
            });
            m.dispute = Some(dispute);
            let prev_block = self.trail(&mut m.last_event_block);
            self.milestones.insert((deal_id, index), &m);
            self.env().emit_event(SettlementOffered {
                deal_id,
                by: caller,
                index,
                seller_amount,
                prev_block,
            });
            Ok(())
        }

        /// Accepts the other party's settlement offer, naming its amount (so it cannot be
        /// switched under the acceptor), and splits the milestone accordingly.
        ///
        /// # Access
        /// The party that did not make the offer, while the arbitration window runs.
        /// # Events
        /// `DisputeResolved` (`Settlement`).
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotParty`, `WrongMilestoneState`,
        /// `ArbitrationWindowClosed`, `NoOffer`, `CannotAcceptOwnProposal`, `OfferMismatch`.
        #[ink(message)]
        #[inline(never)]
        pub fn accept_settlement(
            &mut self,
            deal_id: DealId,
            index: u8,
            seller_amount: Balance,
        ) -> Result<(), Error> {
            let caller = self.env().caller();
            let now = self.env().block_timestamp();
            let deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            ensure_milestone_status(&m, &[MilestoneStatus::Disputed])?;
            ensure_arbitration_open(&deal, &m, now)?;
            let offer = m.dispute.and_then(|d| d.offer).ok_or(Error::NoOffer)?;
            ensure_not_own(offer.by, role)?;
            if offer.seller_amount != seller_amount {
                return Err(Error::OfferMismatch);
            }
            self.end_dispute(
                deal_id,
                index,
                &mut m,
                seller_amount,
                Resolution::Settlement,
            )
        }

        /// Rules on a dispute: any split of the milestone amount.
        ///
        /// # Access
        /// The deal's arbiter, while the arbitration window runs.
        /// # Events
        /// `DisputeResolved` (`Arbiter`).
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotArbiter`, `WrongMilestoneState`,
        /// `SplitExceedsAmount`, `ArbitrationWindowClosed`.
        #[ink(message)]
        #[inline(never)]
        pub fn resolve_dispute(
            &mut self,
            deal_id: DealId,
            index: u8,
            seller_amount: Balance,
        ) -> Result<(), Error> {
            let caller = self.env().caller();
            let now = self.env().block_timestamp();
            let deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            if deal.arbiter != Some(caller) {
                return Err(Error::CallerIsNotArbiter);
            }
            ensure_split_fits(&m, seller_amount)?;
            ensure_arbitration_open(&deal, &m, now)?;
            self.end_dispute(deal_id, index, &mut m, seller_amount, Resolution::Arbiter)
        }

        /// Settles one milestone whose clock has run out: auto-release after the review
        /// window, refund after a missed ship-by, refund of the deposits of a milestone not
        /// fully funded by the funding deadline (or once funding closed), or the fallback
        /// split after the arbitration window.
        ///
        /// # Access
        /// Anyone.
        /// # Events
        /// `MilestoneReleased` (`Timeout`), `MilestoneRefunded` or `DisputeResolved`
        /// (`Fallback`).
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `WrongDealState`, `WrongMilestoneState`,
        /// `ReviewWindowOpen`, `ShipByNotPassed`, `ArbitrationWindowOpen`.
        #[ink(message)]
        #[inline(never)]
        pub fn settle_milestone(&mut self, deal_id: DealId, index: u8) -> Result<(), Error> {
            let now = self.env().block_timestamp();
            let mut deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            let allowed = [DealStatus::Active, DealStatus::Cancelled];
            self.ensure_status_seen(deal_id, &deal, &m, &allowed)?;
            let action = due_action(&deal, &m, now)?;
            let funding_was_closed = deal.funding_closed;
            let payouts = self.apply_due(deal_id, &mut deal, index, &mut m, action)?;
            self.milestones.insert((deal_id, index), &m);
            if deal.funding_closed != funding_was_closed {
                self.deals.insert(deal_id, &deal);
            }
            self.pay_all(deal_id, deal.asset, &payouts)
        }

        /// Settles everything in the deal whose clock has run out, in one call, including
        /// the unfunded milestones that become due because a lapse in the same call closed
        /// funding. Returns how many it settled. Once every deadline of a deal has passed,
        /// one call leaves nothing locked.
        ///
        /// # Access
        /// Anyone.
        /// # Events
        /// As [`settle_milestone`](Self::settle_milestone), for each.
        /// # Errors
        /// `DealNotFound`, `WrongDealState`, `NothingDue`.
        #[ink(message)]
        #[inline(never)]
        pub fn settle_due(&mut self, deal_id: DealId) -> Result<u8, Error> {
            let now = self.env().block_timestamp();
            let mut deal = self.load_deal(deal_id)?;
            let (settled, open) = self.open_milestones(deal_id, &deal)?;
            // Checked after the walk (which changes nothing): only it knows whether the
            // deal has closed.
            let allowed = [DealStatus::Active, DealStatus::Cancelled];
            ensure_status(deal.status_with(settled), &allowed)?;
            let funding_was_closed = deal.funding_closed;
            let (count, payouts) = self.apply_all_due(deal_id, &mut deal, open, now)?;
            if count == 0 {
                return Err(Error::NothingDue);
            }
            if deal.funding_closed != funding_was_closed {
                self.deals.insert(deal_id, &deal);
            }
            self.pay_all(deal_id, deal.asset, &payouts)?;
            Ok(count)
        }

        /// Proposes to cancel the deal by mutual consent.
        ///
        /// # Access
        /// The buyer or the seller.
        /// # Events
        /// `CancellationProposed`.
        /// # Errors
        /// `DealNotFound`, `CallerIsNotParty`, `WrongDealState`, `CancellationAlreadyProposed`.
        #[ink(message)]
        #[inline(never)]
        pub fn propose_cancel(&mut self, deal_id: DealId) -> Result<(), Error> {
            let caller = self.env().caller();
            let mut deal = self.load_deal(deal_id)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            ensure_status(self.status_of(deal_id, &deal)?, &[DealStatus::Active])?;
            if deal.cancel_proposed_by.is_some() {
                return Err(Error::CancellationAlreadyProposed);
            }
            deal.cancel_proposed_by = Some(role);
            let prev_block = self.trail(&mut deal.last_event_block);
            self.deals.insert(deal_id, &deal);
            self.env().emit_event(CancellationProposed {
                deal_id,
                by: caller,
                prev_block,
            });
            Ok(())
        }

        /// Withdraws the caller's pending cancellation proposal.
        ///
        /// # Access
        /// The party that proposed the cancellation.
        /// # Events
        /// `CancellationWithdrawn`.
        /// # Errors
        /// `DealNotFound`, `CallerIsNotParty`, `WrongDealState`, `NoCancellationPending`,
        /// `CallerIsNotProposer`.
        #[ink(message)]
        #[inline(never)]
        pub fn withdraw_cancel(&mut self, deal_id: DealId) -> Result<(), Error> {
            let caller = self.env().caller();
            let mut deal = self.load_deal(deal_id)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            ensure_status(self.status_of(deal_id, &deal)?, &[DealStatus::Active])?;
            let proposer = deal
                .cancel_proposed_by
                .ok_or(Error::NoCancellationPending)?;
            ensure_own(proposer, role)?;
            deal.cancel_proposed_by = None;
            let prev_block = self.trail(&mut deal.last_event_block);
            self.deals.insert(deal_id, &deal);
            self.env().emit_event(CancellationWithdrawn {
                deal_id,
                by: caller,
                voided_by: None,
                prev_block,
            });
            Ok(())
        }

        /// Accepts the other party's cancellation: every unreleased, undisputed milestone's
        /// funds go back to the buyer; disputed milestones run to their end; no more
        /// deposits are taken. The proposal covers exactly what was pending when it was
        /// made: any submission or attestation since voided it (`NoCancellationPending`).
        ///
        /// # Access
        /// The party that did not propose the cancellation.
        /// # Events
        /// `MilestoneRefunded` (`Cancelled`) for each, `DealCancelled`.
        /// # Errors
        /// `DealNotFound`, `CallerIsNotParty`, `WrongDealState`, `NoCancellationPending`,
        /// `CannotAcceptOwnProposal`.
        #[ink(message)]
        #[inline(never)]
        pub fn accept_cancel(&mut self, deal_id: DealId) -> Result<(), Error> {
            let caller = self.env().caller();
            let mut deal = self.load_deal(deal_id)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            let (settled, open) = self.open_milestones(deal_id, &deal)?;
            ensure_status(deal.status_with(settled), &[DealStatus::Active])?;
            let proposer = deal
                .cancel_proposed_by
                .ok_or(Error::NoCancellationPending)?;
            ensure_not_own(proposer, role)?;
            let mut refunded: Balance = 0;
            deal.status = DealStatus::Cancelled;
            deal.cancel_proposed_by = None;
            deal.funding_closed = true;
            // Disputed milestones run to their end.
            let touched = open
                .into_iter()
                .filter(|(_, m)| m.status != MilestoneStatus::Disputed);
            for (index, mut m) in touched {
                let reason = RefundReason::Cancelled;
                let amount = self.book_refund(deal_id, &mut deal, index, &mut m, reason)?;
                refunded = refunded.checked_add(amount).ok_or(Error::AmountOverflow)?;
                self.milestones.insert((deal_id, index), &m);
            }
            let prev_block = self.trail(&mut deal.last_event_block);
            self.env().emit_event(DealCancelled {
                deal_id,
                by: caller,
                refunded,
                prev_block,
            });
            self.deals.insert(deal_id, &deal);
            let refund = Payout {
                to: deal.buyer,
                amount: refunded,
            };
            self.pay_all(deal_id, deal.asset, &[refund])
        }

        /// Proposes a later ship-by for an unsubmitted milestone whose ship-by has not
        /// passed. Replaces any earlier proposal.
        ///
        /// # Access
        /// The buyer or the seller.
        /// # Events
        /// `AmendmentProposed`.
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotParty`, `WrongDealState`,
        /// `WrongMilestoneState`, `ShipByPassed`, `NotAnExtension`.
        #[ink(message)]
        #[inline(never)]
        pub fn propose_amendment(
            &mut self,
            deal_id: DealId,
            index: u8,
            new_ship_by: Timestamp,
        ) -> Result<(), Error> {
            let caller = self.env().caller();
            let now = self.env().block_timestamp();
            let deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            self.ensure_status_seen(deal_id, &deal, &m, &[DealStatus::Active])?;
            ensure_extension(&m, new_ship_by, now)?;
            m.amendment = Some(Amendment {
                by: role,
                new_ship_by,
            });
            let prev_block = self.trail(&mut m.last_event_block);
            self.milestones.insert((deal_id, index), &m);
            self.env().emit_event(AmendmentProposed {
                deal_id,
                by: caller,
                index,
                new_ship_by,
                prev_block,
            });
            Ok(())
        }

        /// Accepts the other party's ship-by amendment, naming the new time. Refused once
        /// the milestone's current ship-by has passed: the buyer's refund right is earned.
        ///
        /// # Access
        /// The party that did not propose the amendment.
        /// # Events
        /// `AmendmentAccepted`.
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotParty`, `WrongDealState`,
        /// `WrongMilestoneState`, `NoAmendmentPending`, `CannotAcceptOwnProposal`,
        /// `AmendmentMismatch`, `ShipByPassed`.
        #[ink(message)]
        #[inline(never)]
        pub fn accept_amendment(
            &mut self,
            deal_id: DealId,
            index: u8,
            new_ship_by: Timestamp,
        ) -> Result<(), Error> {
            let caller = self.env().caller();
            let now = self.env().block_timestamp();
            let deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            self.ensure_status_seen(deal_id, &deal, &m, &[DealStatus::Active])?;
            ensure_milestone_status(&m, &[MilestoneStatus::Pending])?;
            let amendment = m.amendment.ok_or(Error::NoAmendmentPending)?;
            ensure_not_own(amendment.by, role)?;
            if amendment.new_ship_by != new_ship_by {
                return Err(Error::AmendmentMismatch);
            }
            ensure_ship_by_ahead(&m, now)?;
            m.ship_by = new_ship_by;
            m.amendment = None;
            let prev_block = self.trail(&mut m.last_event_block);
            self.milestones.insert((deal_id, index), &m);
            self.env().emit_event(AmendmentAccepted {
                deal_id,
                by: caller,
                index,
                new_ship_by,
                prev_block,
            });
            Ok(())
        }

        /// Withdraws the caller's pending ship-by amendment.
        ///
        /// # Access
        /// The party that proposed the amendment.
        /// # Events
        /// `AmendmentWithdrawn`.
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound`, `CallerIsNotParty`, `NoAmendmentPending`,
        /// `CallerIsNotProposer`.
        #[ink(message)]
        #[inline(never)]
        pub fn withdraw_amendment(&mut self, deal_id: DealId, index: u8) -> Result<(), Error> {
            let caller = self.env().caller();
            let deal = self.load_deal(deal_id)?;
            let mut m = self.load_milestone(deal_id, index)?;
            let role = deal.role_of(&caller).ok_or(Error::CallerIsNotParty)?;
            let amendment = m.amendment.ok_or(Error::NoAmendmentPending)?;
            ensure_own(amendment.by, role)?;
            m.amendment = None;
            let prev_block = self.trail(&mut m.last_event_block);
            self.milestones.insert((deal_id, index), &m);
            self.env().emit_event(AmendmentWithdrawn {
                deal_id,
                by: caller,
                index,
                prev_block,
            });
            Ok(())
        }

        /// Pays out the caller's claimable balance (payouts the chain refused earlier).
        ///
        /// # Access
        /// Anyone with a claimable balance.
        /// # Events
        /// `Withdrawn`.
        /// # Errors
        /// `NothingToWithdraw`, `ContractBalanceTooLow`, `TransferFailed` (nothing changes;
        /// try again once the account can receive it, or use `withdraw_to`).
        #[ink(message)]
        #[inline(never)]
        pub fn withdraw(&mut self) -> Result<Balance, Error> {
            let caller = self.env().caller();
            self.withdraw_claimable(caller, Asset::Native, caller)
        }

        /// Pays out the caller's claimable balance to `to`, an account of its choice: for a
        /// payout that cannot land on the caller's own account (below the existential
        /// deposit on a fresh account, say).
        ///
        /// # Access
        /// Anyone with a claimable balance.
        /// # Events
        /// `Withdrawn`.
        /// # Errors
        /// As [`withdraw`](Self::withdraw).
        #[ink(message)]
        #[inline(never)]
        pub fn withdraw_to(&mut self, to: AccountId) -> Result<Balance, Error> {
            let caller = self.env().caller();
            self.withdraw_claimable(caller, Asset::Native, to)
        }

        /// Pays out the caller's claimable balance in `token` (token payouts the token
        /// refused earlier) to `to`, an account of its choice (the caller itself, usually).
        ///
        /// # Access
        /// Anyone with a claimable balance in `token`.
        /// # Events
        /// `Withdrawn`.
        /// # Errors
        /// `NothingToWithdraw`, `TransferFailed` (the token refused again; nothing changes).
        #[ink(message)]
        #[inline(never)]
        pub fn withdraw_tokens(
            &mut self,
            token: AccountId,
            to: AccountId,
        ) -> Result<Balance, Error> {
            let caller = self.env().caller();
            self.withdraw_claimable(caller, Asset::Psp22(token), to)
        }

        /// Assigns the receivable of milestones `from..` of a deal to `to` (a factor, say):
        /// from then on, every payment to the seller's side of each unsettled milestone in
        /// the range (releases, the seller's part of a split, deferred payouts) goes to `to`.
        /// Refunds still go to the buyer; the seller stays the party that submits, disputes
        /// and settles. Settled milestones are untouched. The new payee may assign again.
        ///
        /// # Access
        /// The current payee of every unsettled milestone in the range: the seller, or the
        /// account it (or a later assignee) assigned them to.
        /// # Events
        /// `ReceivableAssigned`.
        /// # Errors
        /// `DealNotFound`, `MilestoneNotFound` (`from` out of range), `WrongDealState`,
        /// `ZeroAccount`, `AssigneeIsContract`, `CallerIsNotPayee`, `NothingToAssign`.
        #[ink(message)]
        #[inline(never)]
        pub fn assign(&mut self, deal_id: DealId, from: u8, to: AccountId) -> Result<u8, Error> {
            let caller = self.env().caller();
            let mut deal = self.load_deal(deal_id)?;
            if from >= deal.milestone_count {
                return Err(Error::MilestoneNotFound);
            }
            let allowed = [DealStatus::Active, DealStatus::Cancelled];
            self.ensure_state(deal_id, &deal, &allowed)?;
            ensure_assignee(&to, &self.env().account_id())
                .map_err(|e| self.closed_or(deal_id, &deal, e))?;
            let mut todo = Vec::new();
            for index in from..deal.milestone_count {
                let m = self.load_milestone(deal_id, index)?;
                if m.status.is_terminal() {
                    continue;
                }
                if m.context.payee != caller {
                    return Err(Error::CallerIsNotPayee);
                }
                todo.push((index, m));
            }
            let count = u8::try_from(todo.len()).map_err(|_| Error::TooManyMilestones)?;
            if count == 0 {
                return Err(self.closed_or(deal_id, &deal, Error::NothingToAssign));
            }
            for (index, mut m) in todo {
                m.context.payee = to;
                self.milestones.insert((deal_id, index), &m);
            }
            let prev_block = self.trail(&mut deal.last_event_block);
            self.deals.insert(deal_id, &deal);
            self.env().emit_event(ReceivableAssigned {
                deal_id,
                by: caller,
                to,
                from_index: from,
                count,
                prev_block,
            });
            Ok(count)
        }

        /// Records a closed deal's closure with the `DealClosed` event. A deal is closed
        /// once every milestone is settled (reads say so at once); releases do not record it
        /// themselves because that would make each of them write the deal record too
        /// (docs/cost-model.md §5).
        ///
        /// # Access
        /// Anyone.
        /// # Events
        /// `DealClosed`.
        /// # Errors
        /// `DealNotFound`, `ClosureAlreadyRecorded`, `WrongDealState` (a milestone is unsettled,
        /// or the deal was never accepted).
        #[ink(message)]
        #[inline(never)]
        pub fn close_deal(&mut self, deal_id: DealId) -> Result<(), Error> {
            let mut deal = self.load_deal(deal_id)?;
            if deal.status == DealStatus::Closed {
                return Err(Error::ClosureAlreadyRecorded);
            }
            ensure_status(self.status_of(deal_id, &deal)?, &[DealStatus::Closed])?;
            deal.status = DealStatus::Closed;
            deal.cancel_proposed_by = None;
            let prev_block = self.trail(&mut deal.last_event_block);
            self.deals.insert(deal_id, &deal);
            self.env().emit_event(DealClosed {
                deal_id,
                prev_block,
            });
            Ok(())
        }

        // ------------------------------------------------------------------ reads

        /// A deal with its totals, or `None`.
        #[ink(message)]
        #[inline(never)]
        pub fn deal(&self, deal_id: DealId) -> Option<DealView> {
            let record = self.deals.get(deal_id)?;
            let mut totals = Totals::default();
            for index in 0..record.milestone_count {
                totals.add(&self.milestones.get((deal_id, index))?.milestone)?;
            }
            let deal = record.into_view(totals);
            Some(DealView {
                id: deal_id,
                locked: deal.locked(),
                deal,
            })
        }

        /// A milestone with its clocks, or `None`.
        #[ink(message)]
        #[inline(never)]
        pub fn milestone(&self, deal_id: DealId, index: u8) -> Option<MilestoneView> {
            let deal = self.deals.get(deal_id)?;
            let record = self.milestones.get((deal_id, index))?;
            let review_ends = record.submitted_at.map(|_| record.review_end());
            let arbitration_ends = (record.status == MilestoneStatus::Disputed)
                .then(|| arbitration_end(&deal, &record));
            Some(MilestoneView {
                index,
                covered: record.covered_by(deal.deposited),
                payee: record.context.payee,
                milestone: record.milestone,
                review_ends,
                arbitration_ends,
            })
        }

        /// Up to `limit` (≤ `MAX_PAGE`) ids of the deals `account` takes part in, from
        /// position `start`, oldest first.
        #[ink(message)]
        #[inline(never)]
        pub fn deals_of(&self, account: AccountId, start: u32, limit: u32) -> Vec<DealId> {
            let count = self.account_deal_count.get(account).unwrap_or(0);
            let end = start.saturating_add(limit.min(MAX_PAGE)).min(count);
            (start..end)
                .filter_map(|n| self.account_deals.get((account, n)))
                .collect()
        }

        /// Number of deals `account` takes part in (in any role).
        #[ink(message)]
        #[inline(never)]
        pub fn deal_count_of(&self, account: AccountId) -> u32 {
            self.account_deal_count.get(account).unwrap_or(0)
        }

        /// What `account` may `withdraw` (native).
        #[ink(message)]
        #[inline(never)]
        pub fn claimable_of(&self, account: AccountId) -> Balance {
            self.claimable
                .get((account, Asset::Native))
                .map_or(0, |c| c.amount)
        }

        /// What `account` may `withdraw_tokens` in `token`.
        #[ink(message)]
        #[inline(never)]
        pub fn claimable_tokens_of(&self, account: AccountId, token: AccountId) -> Balance {
            self.claimable
                .get((account, Asset::Psp22(token)))
                .map_or(0, |c| c.amount)
        }

        /// The instance's fixed configuration.
        #[ink(message)]
        #[inline(never)]
        pub fn config(&self) -> Config {
            Config {
                fee_recipient: self.instance.fee_recipient,
                fee_bps: self.instance.fee_bps,
                max_milestones: MAX_MILESTONES,
                max_oracles: MAX_ORACLES,
            }
        }

        /// Number of deals ever proposed.
        #[ink(message)]
        #[inline(never)]
        pub fn deal_count(&self) -> u64 {
            self.instance.next_deal_id
        }

        /// The hash `accept` expects for `terms`.
        #[ink(message)]
        #[inline(never)]
        pub fn terms_hash(&self, terms: DealTerms) -> Digest {
            self.hash_terms(&terms)
        }
    }
}
