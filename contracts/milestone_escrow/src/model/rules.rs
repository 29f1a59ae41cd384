//! The model's messages: each one's checks, in the order the contract documents them,
//! then its effects through the shared steps in `books`.
use super::*;

/// A disputed milestone's arbitration window has ended at `now` (its end inclusive).
pub(super) fn arbitration_closed(d: &Deal, m: &Milestone, now: Timestamp) -> bool {
    let opened = m.dispute.expect("disputed").opened_at;
    now > opened.saturating_add(d.arbitration_window)
}

impl Model {
    /// `withdraw`, `withdraw_to` and `withdraw_tokens`: pays `owner`'s claimable balance in
    /// `asset` to `to`. A token that refuses fails the call (`TransferFailed`; nothing
    /// changes, as `apply` works on a copy).
    fn withdraw_to(
        &mut self,
        owner: AccountId,
        asset: Asset,
        to: AccountId,
        fx: &mut Fx,
    ) -> Result<Out, Error> {
        let amount = self.claim(owner, asset);
        if amount == 0 {
            return Err(Error::NothingToWithdraw);
        }
        self.claimable.remove(&(owner, asset));
        fx.events.push(Ev::Withdrawn(Withdrawn {
            account: owner,
            to,
            asset,
            amount,
            prev_block: 0,
        }));
        match asset {
            Asset::Native => self.move_balance(contract_acct(), to, amount),
            Asset::Psp22(token) => {
                if !self.token_pay(token, to, amount) {
                    return Err(Error::TransferFailed);
                }
            }
        }
        Ok(Out::Amount(amount))
    }

    /// Runs one call on a copy of the model: the new model, the result and the events, or
    /// the error (the model itself is then unchanged).
    pub(super) fn apply(
        &self,
        caller: AccountId,
        value: Balance,
        call: &Call,
    ) -> Result<(Model, Out, Vec<Ev>), Error> {
        let mut next = self.clone();
        let mut fx = Fx::default();
        let out = next.exec(caller, value, call, &mut fx)?;
        assert!(fx.payouts.is_empty(), "model: unpaid payouts");
        for e in &mut fx.events {
            let (trail, prev_block) = e.trail_mut();
            *prev_block = next.trails.insert(trail, next.block).unwrap_or(0);
        }
        Ok((next, out, fx.events))
    }

    pub(super) fn exec(
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
                    prev_block: 0,
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
                // A proposal expires at its funding deadline.
                if fund_by_passed(d, now) {
                    return Err(Error::FundingDeadlinePassed);
                }
                // Value only from the buyer, and only for a native deal (a token deal is
                // funded with `fund_tokens`).
                if value > 0 && (role != Role::Buyer || d.asset != Asset::Native) {
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
                    prev_block: 0,
                }));
                self.deposit(i, caller, value, fx);
                self.pay(fx);
                Ok(Out::Unit)
            }
            Call::Fund(id) => {
                let i = self.find(id)?;
                // Only the buyer, or the funder the terms name, may deposit.
                let d = &self.deals[i].deal;
                if caller != d.buyer && d.funder != Some(caller) {
                    return Err(Error::CallerIsNotFunder);
                }
                need_deal(&self.deals[i].deal, &[D::Active])?;
                if self.deals[i].deal.asset != Asset::Native {
                    return Err(Error::WrongAsset);
                }
                if value == 0 {
                    return Err(Error::ZeroDeposit);
                }
                self.deposit_allowed(i, value)?;
                self.deposit(i, caller, value, fx);
                self.pay(fx);
                Ok(Out::Unit)
            }
            Call::FundTokens(id, amount) => {
                let i = self.find(id)?;
                let d = &self.deals[i].deal;
                if caller != d.buyer && d.funder != Some(caller) {
                    return Err(Error::CallerIsNotFunder);
                }
                need_deal(d, &[D::Active])?;
                let Asset::Psp22(token) = d.asset else {
                    return Err(Error::WrongAsset);
                };
                if amount == 0 {
                    return Err(Error::ZeroDeposit);
                }
                self.deposit_allowed(i, amount)?;
                // Pulled and measured before anything is booked.
                self.token_pull(token, caller, amount)?;
                self.deposit(i, caller, amount, fx);
                self.pay(fx);
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
                    prev_block: 0,
                }));
                // After the message's own event (`# Events`: `MilestoneSubmitted`;
                // `CancellationWithdrawn` if it voided a cancellation).
                self.void_cancellation(i, caller, index, fx);
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
                self.pay(fx);
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
                self.pay(fx);
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
                    prev_block: 0,
                }));
                if n >= threshold {
                    self.release(i, k, ReleaseVia::Oracles, fx);
                    self.close_if_done(i);
                }
                self.void_cancellation(i, caller, index, fx);
                self.pay(fx);
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
                    prev_block: 0,
                }));
                Ok(Out::Unit)
            }
            Call::OfferSettlement(id, index, seller_amount) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let role = party(&self.deals[i].deal, caller).ok_or(Error::CallerIsNotParty)?;
                let md = &mut self.deals[i];
                let m = &mut md.ms[k];
                need_ms(m, &[M::Disputed])?;
                if seller_amount > m.amount {
                    return Err(Error::SplitExceedsAmount);
                }
                if arbitration_closed(&md.deal, m, now) {
                    return Err(Error::ArbitrationWindowClosed);
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
                    prev_block: 0,
                }));
                Ok(Out::Unit)
            }
            Call::AcceptSettlement(id, index, seller_amount) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let role = party(&self.deals[i].deal, caller).ok_or(Error::CallerIsNotParty)?;
                let m = &self.deals[i].ms[k];
                need_ms(m, &[M::Disputed])?;
                if arbitration_closed(&self.deals[i].deal, m, now) {
                    return Err(Error::ArbitrationWindowClosed);
                }
                let offer = m.dispute.and_then(|d| d.offer).ok_or(Error::NoOffer)?;
                if offer.by == role {
                    return Err(Error::CannotAcceptOwnProposal);
                }
                if offer.seller_amount != seller_amount {
                    return Err(Error::OfferMismatch);
                }
                self.split(i, k, seller_amount, Resolution::Settlement, fx);
                self.close_if_done(i);
                self.pay(fx);
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
                if arbitration_closed(&self.deals[i].deal, m, now) {
                    return Err(Error::ArbitrationWindowClosed);
                }
                self.split(i, k, seller_amount, Resolution::Arbiter, fx);
                self.close_if_done(i);
                self.pay(fx);
                Ok(Out::Unit)
            }
            Call::SettleMilestone(id, index) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                need_deal(&self.deals[i].deal, &[D::Active, D::Cancelled])?;
                let due = self.due(i, k)?;
                self.apply_due(i, k, due, fx);
                self.close_if_done(i);
                self.pay(fx);
                Ok(Out::Unit)
            }
            Call::SettleDue(id) => {
                let i = self.find(id)?;
                need_deal(&self.deals[i].deal, &[D::Active, D::Cancelled])?;
                // Everything due, in one call: walk the open milestones in order, settling
                // each one due as it comes, and walk again as long as a walk settled
                // something (a lapse that closes funding makes milestones due that an
                // earlier part of the walk passed over).
                let mut count: u8 = 0;
                loop {
                    let mut settled_now = false;
                    for k in 0..self.deals[i].ms.len() {
                        if settled(self.deals[i].ms[k].status) {
                            continue;
                        }
                        if let Ok(due) = self.due(i, k) {
                            self.apply_due(i, k, due, fx);
                            count += 1;
                            settled_now = true;
                        }
                    }
                    if !settled_now {
                        break;
                    }
                }
                if count == 0 {
                    return Err(Error::NothingDue);
                }
                self.close_if_done(i);
                self.pay(fx);
                Ok(Out::Count(count))
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
                fx.events.push(Ev::DealClosed(DealClosed {
                    deal_id: id,
                    prev_block: 0,
                }));
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
                        prev_block: 0,
                    }));
                Ok(Out::Unit)
            }
            Call::WithdrawCancel(id) => {
                let i = self.find(id)?;
                let d = &mut self.deals[i].deal;
                let role = party(d, caller).ok_or(Error::CallerIsNotParty)?;
                need_deal(d, &[D::Active])?;
                let by = d.cancel_proposed_by.ok_or(Error::NoCancellationPending)?;
                if by != role {
                    return Err(Error::CallerIsNotProposer);
                }
                d.cancel_proposed_by = None;
                fx.events
                    .push(Ev::CancellationWithdrawn(CancellationWithdrawn {
                        deal_id: id,
                        by: caller,
                        voided_by: None,
                        prev_block: 0,
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
                    prev_block: 0,
                }));
                self.close_if_done(i);
                // One payment for the whole cancellation.
                fx.payouts.push(Payout {
                    deal: i,
                    to: self.deals[i].deal.buyer,
                    amount: total,
                });
                self.pay(fx);
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
                // Past its ship-by the buyer's refund right is earned: no more amending.
                if ship_by_passed(m, now) {
                    return Err(Error::ShipByPassed);
                }
                if new_ship_by <= m.ship_by {
                    return Err(Error::NotAnExtension);
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
                    prev_block: 0,
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
                if ship_by_passed(m, now) {
                    return Err(Error::ShipByPassed);
                }
                m.ship_by = new_ship_by;
                m.amendment = None;
                fx.events.push(Ev::AmendmentAccepted(AmendmentAccepted {
                    deal_id: id,
                    by: caller,
                    index,
                    new_ship_by,
                    prev_block: 0,
                }));
                Ok(Out::Unit)
            }
            Call::WithdrawAmendment(id, index) => {
                let i = self.find(id)?;
                let k = self.find_ms(i, index)?;
                let md = &mut self.deals[i];
                let role = party(&md.deal, caller).ok_or(Error::CallerIsNotParty)?;
                let m = &mut md.ms[k];
                let a = m.amendment.ok_or(Error::NoAmendmentPending)?;
                if a.by != role {
                    return Err(Error::CallerIsNotProposer);
                }
                m.amendment = None;
                fx.events.push(Ev::AmendmentWithdrawn(AmendmentWithdrawn {
                    deal_id: id,
                    by: caller,
                    index,
                    prev_block: 0,
                }));
                Ok(Out::Unit)
            }
            Call::Withdraw => self.withdraw_to(caller, Asset::Native, caller, fx),
            Call::WithdrawTo(to) => self.withdraw_to(caller, Asset::Native, to, fx),
            Call::WithdrawTokens(token, to) => {
                self.withdraw_to(caller, Asset::Psp22(token), to, fx)
            }
            Call::Assign(id, from, to) => {
                let i = self.find(id)?;
                let count = self.deals[i].ms.len();
                if usize::from(from) >= count {
                    return Err(Error::MilestoneNotFound);
                }
                need_deal(&self.deals[i].deal, &[D::Active, D::Cancelled])?;
                if to == zero_acct() {
                    return Err(Error::ZeroAccount);
                }
                if to == contract_acct() {
                    return Err(Error::AssigneeIsContract);
                }
                // Every unsettled milestone of the range must be the caller's to assign;
                // settled ones are untouched.
                let md = &mut self.deals[i];
                let open: Vec<usize> = (usize::from(from)..count)
                    .filter(|&k| !settled(md.ms[k].status))
                    .collect();
                if open.iter().any(|&k| md.payees[k] != caller) {
                    return Err(Error::CallerIsNotPayee);
                }
                if open.is_empty() {
                    return Err(Error::NothingToAssign);
                }
                for &k in &open {
                    md.payees[k] = to;
                }
                fx.events.push(Ev::ReceivableAssigned(ReceivableAssigned {
                    deal_id: id,
                    by: caller,
                    to,
                    from_index: from,
                    count: open.len() as u8,
                    prev_block: 0,
                }));
                Ok(Out::Count(open.len() as u8))
            }
        }
    }
}
