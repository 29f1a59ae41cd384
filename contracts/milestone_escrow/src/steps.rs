//! The steps the messages share that read or write storage: loading records, the deal-state
//! checks that may have to count settled milestones, and booking releases, refunds, splits
//! and deposits. Each step writes effects only; payouts are returned and made last.
use crate::{
    guards::{advance_due, due_action, ensure_status, participants, proposed_milestone, DueAction},
    milestone_escrow::MilestoneEscrow,
    token,
};
use escrow_types::*;
use ink::{
    codegen::Env as _,
    env::ContractEnv,
    prelude::{vec, vec::Vec},
    primitives::AccountId,
};

/// A payment to make once all effects are written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Payout {
    pub(crate) to: AccountId,
    pub(crate) amount: Balance,
}

impl MilestoneEscrow {
    pub(crate) fn hash_terms(&self, terms: &DealTerms) -> Digest {
        let mut out = [0u8; 32];
        ink::env::hash_encoded::<ink::env::hash::Blake2x256, _>(terms, &mut out);
        out
    }

    /// Moves a trail on to this block (its record must be written by the same message):
    /// returns the new event's `prev_block`.
    pub(crate) fn trail(&self, last_event_block: &mut BlockNumber) -> BlockNumber {
        trail_step(last_event_block, self.env().block_number())
    }

    pub(crate) fn load_deal(&self, deal_id: DealId) -> Result<DealRecord, Error> {
        self.deals.get(deal_id).ok_or(Error::DealNotFound)
    }

    pub(crate) fn load_milestone(
        &self,
        deal_id: DealId,
        index: u8,
    ) -> Result<MilestoneRecord, Error> {
        self.milestones
            .get((deal_id, index))
            .ok_or(Error::MilestoneNotFound)
    }

    /// Each participant's next slot in the account index: `(who, n, n + 1)`. Checked
    /// before any write, so that `index_deal` cannot fail.
    pub(crate) fn index_slots(
        &self,
        terms: &DealTerms,
    ) -> Result<Vec<(AccountId, u32, u32)>, Error> {
        let mut slots = Vec::with_capacity(8);
        for who in participants(terms) {
            let n = self.account_deal_count.get(who).unwrap_or(0);
            slots.push((who, n, n.checked_add(1).ok_or(Error::AmountOverflow)?));
        }
        Ok(slots)
    }

    /// Lists deal `id` under each participant's index.
    pub(crate) fn index_deal(&mut self, id: DealId, slots: Vec<(AccountId, u32, u32)>) {
        for (who, n, next_n) in slots {
            self.account_deals.insert((who, n), &id);
            self.account_deal_count.insert(who, &next_n);
        }
    }

    /// Writes a proposed deal's milestone records, each with its copy of what a release
    /// needs (so that releases need not read the deal).
    pub(crate) fn insert_milestones(&mut self, id: DealId, terms: &DealTerms) -> Result<(), Error> {
        let context = ReleaseContext {
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
        };
        let mut funded_from: Balance = 0;
        for (i, m) in terms.milestones.iter().enumerate() {
            let index = u8::try_from(i).map_err(|_| Error::TooManyMilestones)?;
            let next_amount = terms
                .milestones
                .get(i.saturating_add(1))
                .map_or(0, |next| next.amount);
            let record = proposed_milestone(m, funded_from, context.clone(), next_amount);
            self.milestones.insert((id, index), &record);
            // validate_terms proved the total fits, so every prefix sum fits too.
            funded_from = funded_from
                .checked_add(m.amount)
                .ok_or(Error::AmountOverflow)?;
        }
        Ok(())
    }

    /// The deal's state, `Closed` included: reads milestones until it finds an
    /// unsettled one (so an open deal usually costs one read).
    pub(crate) fn status_of(
        &self,
        deal_id: DealId,
        deal: &DealRecord,
    ) -> Result<DealStatus, Error> {
        if !matches!(deal.status, DealStatus::Active | DealStatus::Cancelled) {
            return Ok(deal.status);
        }
        for index in 0..deal.milestone_count {
            if !self.load_milestone(deal_id, index)?.status.is_terminal() {
                return Ok(deal.status);
            }
        }
        Ok(DealStatus::Closed)
    }

    /// Checks the deal's state for a message on milestone `m`. A deal with an unsettled
    /// milestone is not closed, so only a settled `m` makes this read the others.
    pub(crate) fn ensure_status_seen(
        &self,
        deal_id: DealId,
        deal: &DealRecord,
        m: &Milestone,
        allowed: &[DealStatus],
    ) -> Result<(), Error> {
        let status = if m.status.is_terminal() {
            self.status_of(deal_id, deal)?
        } else {
            deal.status
        };
        ensure_status(status, allowed)
    }

    /// Checks the deal's stored state; on an error, reports `Closed` if the deal has
    /// closed since (only that path reads the milestones).
    pub(crate) fn ensure_state(
        &self,
        deal_id: DealId,
        deal: &DealRecord,
        allowed: &[DealStatus],
    ) -> Result<(), Error> {
        ensure_status(deal.status, allowed).map_err(|e| self.closed_or(deal_id, deal, e))
    }

    /// `WrongDealState { found: Closed }` if the deal is closed, else `e`: for messages
    /// that check the stored state first and only learn on an error path that the deal
    /// may have closed since.
    pub(crate) fn closed_or(&self, deal_id: DealId, deal: &DealRecord, e: Error) -> Error {
        match self.status_of(deal_id, deal) {
            Ok(DealStatus::Closed) => Error::WrongDealState {
                found: DealStatus::Closed,
            },
            _ => e,
        }
    }

    /// Records a deposit, flags the milestones it completes as funded (their records
    /// carry the flag so that releases need not read the deal), and, if it completes an
    /// advance, releases milestone 0.
    pub(crate) fn deposit_and_advance(
        &mut self,
        deal_id: DealId,
        deal: &mut DealRecord,
        funder: AccountId,
        value: Balance,
    ) -> Result<Vec<Payout>, Error> {
        if value == 0 {
            return Ok(Vec::new());
        }
        // The caller ran ensure_deposit_fits: value <= total - deposited, no overflow.
        deal.deposited = deal
            .deposited
            .checked_add(value)
            .ok_or(Error::AmountOverflow)?;
        let prev_block = self.trail(&mut deal.last_event_block);
        self.env().emit_event(DealFunded {
            deal_id,
            funder,
            amount: value,
            deposited: deal.deposited,
            prev_block,
        });
        let now = self.env().block_timestamp();
        let mut payouts = Vec::new();
        // Deposits cover milestones in order: only those from `funded_count` on can
        // change, and `funding_mark` says whether the next one is complete without
        // reading it.
        while deal.funded_count < deal.milestone_count && deal.deposited >= deal.funding_mark {
            let index = deal.funded_count;
            let mut m = self.load_milestone(deal_id, index)?;
            m.context.funded = true;
            deal.funded_count = index.checked_add(1).ok_or(Error::AmountOverflow)?;
            deal.funding_mark = deal
                .funding_mark
                .checked_add(m.next_amount)
                .ok_or(Error::AmountOverflow)?;
            if advance_due(deal, &m, index, now) {
                payouts = self.book_release(deal_id, 0, &mut m, ReleaseVia::Advance)?;
            }
            self.milestones.insert((deal_id, index), &m);
        }
        Ok(payouts)
    }

    /// Marks a milestone released and books it; returns the payouts to make.
    pub(crate) fn book_release(
        &mut self,
        deal_id: DealId,
        index: u8,
        m: &mut MilestoneRecord,
        via: ReleaseVia,
    ) -> Result<Vec<Payout>, Error> {
        let outcome = m.release()?;
        let prev_block = self.trail(&mut m.last_event_block);
        self.env().emit_event(MilestoneReleased {
            deal_id,
            payee: m.context.payee,
            index,
            amount: outcome.to_seller,
            fee: outcome.fee,
            via,
            prev_block,
        });
        Ok(vec![
            Payout {
                to: m.context.payee,
                amount: outcome.to_seller,
            },
            Payout {
                to: m.context.fee_recipient,
                amount: outcome.fee,
            },
        ])
    }

    /// Marks a milestone refunded and books its funded part; returns that amount.
    pub(crate) fn book_refund(
        &mut self,
        deal_id: DealId,
        deal: &mut DealRecord,
        index: u8,
        m: &mut MilestoneRecord,
        reason: RefundReason,
    ) -> Result<Balance, Error> {
        let amount = m.covered_by(deal.deposited);
        if amount < m.amount {
            // Deposits cover milestones in order: none may skip this one now.
            deal.funding_closed = true;
        }
        m.status = MilestoneStatus::Refunded;
        m.amendment = None;
        m.outcome = Some(Outcome {
            to_seller: 0,
            fee: 0,
            to_buyer: amount,
        });
        let prev_block = self.trail(&mut m.last_event_block);
        self.env().emit_event(MilestoneRefunded {
            deal_id,
            buyer: deal.buyer,
            index,
            amount,
            reason,
            prev_block,
        });
        Ok(amount)
    }

    /// Ends a dispute with `seller_gross` to the seller and the rest to the buyer.
    pub(crate) fn end_dispute(
        &mut self,
        deal_id: DealId,
        index: u8,
        m: &mut MilestoneRecord,
        seller_gross: Balance,
        resolution: Resolution,
    ) -> Result<(), Error> {
        let payouts = self.book_split(deal_id, index, m, seller_gross, resolution)?;
        self.milestones.insert((deal_id, index), m);
        self.pay_all(deal_id, m.context.asset, &payouts)
    }

    pub(crate) fn book_split(
        &mut self,
        deal_id: DealId,
        index: u8,
        m: &mut MilestoneRecord,
        seller_gross: Balance,
        resolution: Resolution,
    ) -> Result<Vec<Payout>, Error> {
        let outcome = split_outcome(m.amount, seller_gross, m.context.fee_bps)
            .ok_or(Error::SplitExceedsAmount)?;
        m.status = MilestoneStatus::Resolved;
        m.outcome = Some(outcome);
        let prev_block = self.trail(&mut m.last_event_block);
        self.env().emit_event(DisputeResolved {
            deal_id,
            resolution,
            index,
            to_seller: outcome.to_seller,
            payee: m.context.payee,
            fee: outcome.fee,
            to_buyer: outcome.to_buyer,
            prev_block,
        });
        Ok(vec![
            Payout {
                to: m.context.payee,
                amount: outcome.to_seller,
            },
            Payout {
                to: m.context.fee_recipient,
                amount: outcome.fee,
            },
            Payout {
                to: m.context.buyer,
                amount: outcome.to_buyer,
            },
        ])
    }

    pub(crate) fn apply_due(
        &mut self,
        deal_id: DealId,
        deal: &mut DealRecord,
        index: u8,
        m: &mut MilestoneRecord,
        action: DueAction,
    ) -> Result<Vec<Payout>, Error> {
        match action {
            DueAction::Release => self.book_release(deal_id, index, m, ReleaseVia::Timeout),
            DueAction::Refund(reason) => {
                let amount = self.book_refund(deal_id, deal, index, m, reason)?;
                Ok(vec![Payout {
                    to: deal.buyer,
                    amount,
                }])
            }
            DueAction::Fallback => {
                let seller_gross =
                    bps_of(m.amount, deal.fallback_seller_bps).ok_or(Error::InvalidBps)?;
                self.book_split(deal_id, index, m, seller_gross, Resolution::Fallback)
            }
        }
    }

    /// Walks the deal's milestones: how many are settled, and the others with their records.
    pub(crate) fn open_milestones(
        &self,
        deal_id: DealId,
        deal: &DealRecord,
    ) -> Result<(u8, Vec<(u8, MilestoneRecord)>), Error> {
        let mut settled: u8 = 0;
        let mut open = Vec::new();
        for index in 0..deal.milestone_count {
            let m = self.load_milestone(deal_id, index)?;
            if m.status.is_terminal() {
                settled = settled.saturating_add(1);
            } else {
                open.push((index, m));
            }
        }
        Ok((settled, open))
    }

    /// Books every milestone of `open` that a clock has made due at `now`; returns how many
    /// and the payouts to make. A lapse that closes funding makes the unfunded milestones
    /// due too, wherever they stand in the deal, so the walk repeats once funding closed
    /// during it (funding closes at most once, so it ends).
    pub(crate) fn apply_all_due(
        &mut self,
        deal_id: DealId,
        deal: &mut DealRecord,
        mut open: Vec<(u8, MilestoneRecord)>,
        now: Timestamp,
    ) -> Result<(u8, Vec<Payout>), Error> {
        let mut count: u8 = 0;
        let mut payouts = Vec::new();
        loop {
            let funding_was_closed = deal.funding_closed;
            let mut rest = Vec::new();
            for (index, mut m) in open {
                match due_action(deal, &m, now) {
                    Ok(action) => {
                        payouts.extend(self.apply_due(deal_id, deal, index, &mut m, action)?);
                        self.milestones.insert((deal_id, index), &m);
                        count = count.checked_add(1).ok_or(Error::TooManyMilestones)?;
                    }
                    Err(_) => rest.push((index, m)),
                }
            }
            if deal.funding_closed == funding_was_closed || rest.is_empty() {
                return Ok((count, payouts));
            }
            open = rest;
        }
    }

    /// A submission or an attestation of milestone `index` by `by` voids a pending
    /// cancellation proposal: the proposal covered what was pending when it was made, and a
    /// cancellation must never refund a milestone delivered since. Writes the deal record
    /// only when there is a proposal to void.
    pub(crate) fn void_cancellation(
        &mut self,
        deal_id: DealId,
        deal: &mut DealRecord,
        by: AccountId,
        index: u8,
    ) {
        if deal.cancel_proposed_by.take().is_some() {
            let prev_block = self.trail(&mut deal.last_event_block);
            self.deals.insert(deal_id, deal);
            self.env().emit_event(CancellationWithdrawn {
                deal_id,
                by,
                voided_by: Some(index),
                prev_block,
            });
        }
    }

    /// Pays `owner`'s claimable balance in `asset` to `to` (`withdraw`, `withdraw_to`,
    /// `withdraw_tokens`).
    pub(crate) fn withdraw_claimable(
        &mut self,
        owner: AccountId,
        asset: Asset,
        to: AccountId,
    ) -> Result<Balance, Error> {
        let mut claim = self.claimable.get((owner, asset)).unwrap_or_default();
        let amount = claim.amount;
        if amount == 0 {
            return Err(Error::NothingToWithdraw);
        }
        // The entry stays, at 0, to keep the trail of this claimable balance.
        claim.amount = 0;
        let prev_block = self.trail(&mut claim.last_event_block);
        self.claimable.insert((owner, asset), &claim);
        self.env().emit_event(Withdrawn {
            account: owner,
            to,
            asset,
            amount,
            prev_block,
        });
        // A refusal here reverts the whole message, so the credit is kept.
        let paid = match asset {
            Asset::Native => self.env().transfer(to, amount).is_ok(),
            Asset::Psp22(token) => token::transfer(token, to, amount),
        };
        if !paid {
            if asset == Asset::Native {
                payout::ensure_covers::<<Self as ContractEnv>::Env>(amount)?;
            }
            return Err(Error::TransferFailed);
        }
        Ok(amount)
    }

    /// Pulls a token deposit of `amount` from `from` and measures it: `Ok` only if the
    /// escrow's balance in `token` rose by exactly `amount`. Runs before any effect of the
    /// deposit, so that nothing is booked for tokens that did not arrive.
    pub(crate) fn pull_tokens(
        &self,
        token: AccountId,
        from: AccountId,
        amount: Balance,
    ) -> Result<(), Error> {
        let this = self.env().account_id();
        let before = token::balance_of(token, this).ok_or(Error::TransferFailed)?;
        if !token::transfer_from(token, from, this, amount) {
            return Err(Error::TransferFailed);
        }
        let after = token::balance_of(token, this).ok_or(Error::TransferFailed)?;
        // A balance that fell counts as nothing received.
        let received = after.saturating_sub(before);
        if received != amount {
            return Err(Error::DepositMismatch { received });
        }
        Ok(())
    }

    /// Pushes payouts in the deal's `asset`. All effects are written before this runs.
    pub(crate) fn pay_all(
        &mut self,
        deal_id: DealId,
        asset: Asset,
        payouts: &[Payout],
    ) -> Result<(), Error> {
        match asset {
            Asset::Native => {
                for p in payouts {
                    payout::pay::<<Self as ContractEnv>::Env>(deal_id, p.to, p.amount)?;
                }
            }
            Asset::Psp22(token) => {
                for p in payouts {
                    self.pay_tokens(deal_id, token, p)?;
                }
            }
        }
        Ok(())
    }

    /// Pays one token payout. A transfer the token refuses (an error, a revert, a trap, a
    /// re-entry attempt, or its gas limit spent) is credited to the payee's claimable
    /// balance in that token (`payout::credit`): a token can hold up only its own payees'
    /// money, and nothing is lost.
    fn pay_tokens(&mut self, deal_id: DealId, token: AccountId, p: &Payout) -> Result<(), Error> {
        if p.amount == 0 || token::transfer(token, p.to, p.amount) {
            return Ok(());
        }
        let asset = Asset::Psp22(token);
        payout::credit::<<Self as ContractEnv>::Env>(deal_id, p.to, asset, p.amount)
    }
}
