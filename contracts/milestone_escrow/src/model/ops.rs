//! Turns a generated operation into a concrete call: its selectors (who, which milestone,
//! what value) are resolved against the model's current state.
use super::*;

impl Harness {
    /// Mostly the newest deals (so that sequences go deep), sometimes a nonexistent one.
    pub(super) fn pick_deal(&self, sel: u8) -> DealId {
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

    pub(super) fn mdeal(&self, id: DealId) -> Option<&MDeal> {
        self.m.deals.get(id.0 as usize)
    }

    /// `pending`: who made the proposal the call answers, if any.
    pub(super) fn who(&self, id: DealId, who: Who, pending: Option<Role>) -> AccountId {
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
            Who::Funder => d.and_then(|d| d.funder).unwrap_or(acct(9)),
            Who::Any(k) => acct(usize::from(k)),
            Who::Payee => self.payee_from(id, 0),
        }
    }

    /// The payee of the first unsettled milestone from `from` on (the seller if none; the
    /// pool's second account if there is no such deal).
    pub(super) fn payee_from(&self, id: DealId, from: u8) -> AccountId {
        let Some(md) = self.mdeal(id) else {
            return acct(1);
        };
        (usize::from(from)..md.ms.len())
            .find(|&k| !settled(md.ms[k].status))
            .map_or(md.deal.seller, |k| md.payees[k])
    }

    /// Resolves where an assignment or a withdrawal sends the money; `caller` stands in for
    /// the seller when there is no deal.
    pub(super) fn to_acct(&self, id: Option<DealId>, to: ToSel, caller: AccountId) -> AccountId {
        match to {
            ToSel::Factor => factor_acct(),
            ToSel::Pool(k) => acct(usize::from(k)),
            ToSel::Seller => id
                .and_then(|id| self.mdeal(id))
                .map_or(caller, |md| md.deal.seller),
            ToSel::Zero => zero_acct(),
            ToSel::Contract => contract_acct(),
        }
    }

    /// The allowance an `ApproveTokens` operation gives.
    pub(super) fn allowance_for(&self, id: DealId, allow: AllowSel) -> Balance {
        let need = self.value(id, ValueSel::NextMilestone);
        match allow {
            AllowSel::Need => need,
            AllowSel::Remaining => self.value(id, ValueSel::Remaining),
            AllowSel::Short => need.saturating_sub(1),
            AllowSel::More(x) => need + x,
            AllowSel::Zero => 0,
        }
    }

    /// The token a deal is paid in (the honest token for a native deal or none).
    pub(super) fn token_of(&self, id: DealId) -> AccountId {
        self.mdeal(id)
            .and_then(|md| md.deal.asset.token())
            .unwrap_or_else(token_a)
    }

    pub(super) fn index(&self, id: DealId, ix: Ix) -> u8 {
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

    pub(super) fn value(&self, id: DealId, v: ValueSel) -> Balance {
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

    pub(super) fn ms_of(&self, id: DealId, idx: u8) -> Option<&Milestone> {
        self.mdeal(id).and_then(|md| md.ms.get(usize::from(idx)))
    }

    pub(super) fn amount(&self, id: DealId, idx: u8, a: AmtSel) -> Balance {
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

    pub(super) fn ship(&self, id: DealId, idx: u8, s: ShipSel) -> Timestamp {
        let now = self.m.now;
        let m = self.ms_of(id, idx);
        let base = m.map_or(now, |m| m.ship_by);
        match s {
            ShipSel::Pending => m
                .and_then(|m| m.amendment)
                .map_or(now + 10, |a| a.new_ship_by),
            ShipSel::Extend(x) => base + x,
            ShipSel::Back(x) => base.saturating_sub(x),
            ShipSel::Now => now,
        }
    }

    /// Moves the clock onto a deadline of a deal (or one past it), if it is still ahead:
    /// the boundaries where a clock's rule flips.
    pub(super) fn jump(&mut self, deal: u8, clock: ClockSel, past: bool) {
        let id = self.pick_deal(deal);
        let Some(md) = self.mdeal(id) else {
            return self.advance(0);
        };
        let d = &md.deal;
        let at = match clock {
            ClockSel::FundBy => Some(d.fund_by),
            ClockSel::ShipBy(ix) => self.ms_of(id, self.index(id, ix)).map(|m| m.ship_by),
            ClockSel::ReviewEnd(ix) => self
                .ms_of(id, self.index(id, ix))
                .and_then(|m| m.submitted_at)
                .map(|s| s.saturating_add(d.review_window)),
            ClockSel::ArbitrationEnd(ix) => self
                .ms_of(id, self.index(id, ix))
                .and_then(|m| m.dispute)
                .map(|x| x.opened_at.saturating_add(d.arbitration_window)),
        };
        let target = at.map_or(0, |t| t + u64::from(past));
        self.advance(target.saturating_sub(self.m.now));
    }

    pub(super) fn terms(&self, p: &ProposeSpec) -> (AccountId, DealTerms) {
        let who = |k: usize| acct(p.order[k]);
        let mut buyer = who(0);
        let mut seller = who(1);
        let mut oracles: Vec<AccountId> = (0..p.n_oracles).map(|j| who(2 + j)).collect();
        let mut arbiter = p.arbiter.then(|| who(2 + p.n_oracles));
        let mut funder = p
            .funder
            .then(|| who(2 + p.n_oracles + usize::from(p.arbiter)));
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
            6 if funder.is_some() => funder = Some(buyer),
            7 if funder.is_some() => funder = Some(zero_acct()),
            8 if funder.is_some() => funder = Some(seller),
            9 if funder.is_some() => funder = oracles.first().copied().or(arbiter).or(Some(seller)),
            _ => {}
        }
        let now = self.m.now;
        let mut milestones: Vec<MilestoneTerms> = p
            .milestones
            .iter()
            .map(|&(amount, off, h)| MilestoneTerms {
                amount,
                terms_hash: [h; 32],
                ship_by: now + off,
            })
            .collect();
        if !milestones.is_empty() {
            let len = milestones.len();
            if let Some((k, back)) = p.past_ship_by {
                milestones[usize::from(k) % len].ship_by = now.saturating_sub(u64::from(back));
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
            funder,
            fund_by: now + p.fund_by,
            asset: match p.asset {
                AssetSel::Native => Asset::Native,
                AssetSel::TokenA => Asset::Psp22(token_a()),
                AssetSel::TokenB => Asset::Psp22(token_b()),
                AssetSel::NoContract => Asset::Psp22(token_none()),
                AssetSel::Zero => Asset::Psp22(zero_acct()),
                AssetSel::Escrow => Asset::Psp22(contract_acct()),
            },
            milestones,
        };
        let caller = match p.caller_any {
            Some(k) => acct(usize::from(k)),
            None if p.by_seller => seller,
            None => buyer,
        };
        (caller, terms)
    }

    pub(super) fn run_op(&mut self, op: &Op) {
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
            Op::Jump { deal, clock, past } => return self.jump(deal, clock, past),
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
            Op::Fund {
                deal,
                who,
                value,
                allow,
                swap,
            } => {
                let id = self.pick_deal(deal);
                let v = self.value(id, value);
                let caller = self.who(id, who, None);
                let token = self.mdeal(id).and_then(|md| md.deal.asset.token());
                match (token, swap) {
                    (None, false) | (Some(_), true) => self.call(caller, v, Call::Fund(id)),
                    (None, true) => self.call(caller, 0, Call::FundTokens(id, v)),
                    (Some(token), false) => {
                        if let Some(allow) = allow {
                            let amount = self.allowance_for(id, allow);
                            self.approve_tokens(token, caller, amount);
                        }
                        self.call(caller, 0, Call::FundTokens(id, v))
                    }
                }
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
            Op::WithdrawCancel { deal, who } => {
                let id = self.pick_deal(deal);
                let by = self.mdeal(id).and_then(|md| md.deal.cancel_proposed_by);
                self.call(self.who(id, who, by), 0, Call::WithdrawCancel(id))
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
            Op::WithdrawAmendment { deal, who, ix } => {
                let id = self.pick_deal(deal);
                let idx = self.index(id, ix);
                self.call(
                    self.who(id, who, amend_by(self, id, idx)),
                    0,
                    Call::WithdrawAmendment(id, idx),
                )
            }
            Op::Withdraw { who } => self.call(acct(usize::from(who)), 0, Call::Withdraw),
            Op::WithdrawTo { who, to } => self.call(
                acct(usize::from(who)),
                0,
                Call::WithdrawTo(acct(usize::from(to))),
            ),
            Op::CloseDeal { deal, who } => {
                let id = self.pick_deal(deal);
                self.call(self.who(id, who, None), 0, Call::CloseDeal(id))
            }
            Op::ApproveTokens { deal, who, allow } => {
                let id = self.pick_deal(deal);
                let owner = self.who(id, who, None);
                let amount = self.allowance_for(id, allow);
                return self.approve_tokens(self.token_of(id), owner, amount);
            }
            Op::WithdrawTokens { holder, token, to } => {
                let holders: Vec<(AccountId, AccountId)> = self
                    .m
                    .claimable
                    .iter()
                    .filter_map(|(&(who, asset), &c)| match asset {
                        Asset::Psp22(t) if c > 0 => Some((who, t)),
                        _ => None,
                    })
                    .collect();
                let (who, token) = if holders.is_empty() {
                    (
                        acct(usize::from(holder)),
                        all_tokens()[usize::from(token) % 3],
                    )
                } else {
                    holders[usize::from(holder) % holders.len()]
                };
                let to = match to {
                    ToSel::Seller => who,
                    other => self.to_acct(None, other, who),
                };
                self.call(who, 0, Call::WithdrawTokens(token, to))
            }
            Op::Assign { deal, who, ix, to } => {
                let id = self.pick_deal(deal);
                let from = self.index(id, ix);
                let caller = match who {
                    Who::Payee => self.payee_from(id, from),
                    other => self.who(id, other, None),
                };
                let to = self.to_acct(Some(id), to, caller);
                self.call(caller, 0, Call::Assign(id, from, to))
            }
            Op::TokenMode(mode) => return self.token_mode(mode),
            Op::ForceTokens { moody, amount } => {
                return self.force_tokens(if moody { token_b() } else { token_a() }, amount)
            }
        };
    }
}
