//! The reference model: the whole instance as plain data, and the bookkeeping steps its
//! messages share (deposit, release, refund, split, the clocks, payouts, reads). Written
//! from the crate docs and the messages' `# Errors` sections, not from the contract's
//! helpers.
use super::*;

/// One deal in the model: the terms as proposed, the record and its milestones.
#[derive(Debug, Clone)]
pub(super) struct MDeal {
    pub(super) terms: DealTerms,
    pub(super) deal: Deal,
    pub(super) ms: Vec<Milestone>,
    /// Per milestone, who its payments to the seller's side go to: the seller until `assign`.
    pub(super) payees: Vec<AccountId>,
}

/// The reference model: the whole instance, plus the chain balances of the accounts.
#[derive(Debug, Clone)]
pub(super) struct Model {
    pub(super) now: Timestamp,
    pub(super) fee_recipient: AccountId,
    pub(super) fee_bps: u16,
    /// Deal `n` is `deals[n]`: ids are handed out in order.
    pub(super) deals: Vec<MDeal>,
    /// `(account, asset)` → what the account may withdraw in that asset.
    pub(super) claimable: BTreeMap<(AccountId, Asset), Balance>,
    /// Native chain balances.
    pub(super) balances: BTreeMap<AccountId, Balance>,
    /// The installed tokens' ledgers (`tokens.rs`).
    pub(super) tokens: BTreeMap<AccountId, MToken>,
    /// Per token, what the escrow holds that no deal or claimable accounts for: what a
    /// lying token reported paid and kept, payouts to the escrow itself, forced transfers.
    pub(super) surplus: BTreeMap<AccountId, Balance>,
    /// The deals each account takes part in, oldest first.
    pub(super) index: BTreeMap<AccountId, Vec<DealId>>,
    /// The block calls run in (the harness moves it on with the clock).
    pub(super) block: BlockNumber,
    /// Per trail, the block of its latest event: the events' `prev_block` and the records'
    /// `last_event_block` follow from the events alone (`Trail`'s rule).
    pub(super) trails: BTreeMap<Trail, BlockNumber>,
}

/// Side effects a message produces: events, and payouts made after all bookkeeping.
#[derive(Default)]
pub(super) struct Fx {
    pub(super) events: Vec<Ev>,
    pub(super) payouts: Vec<Payout>,
}

/// A payment owed by deal `deal` (its index), in the deal's asset.
#[derive(Debug, Clone, Copy)]
pub(super) struct Payout {
    pub(super) deal: usize,
    pub(super) to: AccountId,
    pub(super) amount: Balance,
}

/// What a clock has made due (the rules in `settle_milestone`'s docs).
#[derive(Debug, Clone, Copy)]
pub(super) enum Due {
    Release,
    Refund(RefundReason),
    Fallback,
}

pub(super) fn party(d: &Deal, who: AccountId) -> Option<Role> {
    if who == d.buyer {
        Some(Role::Buyer)
    } else if who == d.seller {
        Some(Role::Seller)
    } else {
        None
    }
}

pub(super) fn settled(s: MilestoneStatus) -> bool {
    matches!(
        s,
        MilestoneStatus::Released | MilestoneStatus::Refunded | MilestoneStatus::Resolved
    )
}

/// The part of a milestone the deposits cover: deposits fill milestones in order.
pub(super) fn covered(m: &Milestone, deposited: Balance) -> Balance {
    if deposited <= m.funded_from {
        0
    } else {
        (deposited - m.funded_from).min(m.amount)
    }
}

pub(super) fn need_deal(d: &Deal, allowed: &[DealStatus]) -> Result<(), Error> {
    if allowed.contains(&d.status) {
        Ok(())
    } else {
        Err(Error::WrongDealState { found: d.status })
    }
}

pub(super) fn need_ms(m: &Milestone, allowed: &[MilestoneStatus]) -> Result<(), Error> {
    if allowed.contains(&m.status) {
        Ok(())
    } else {
        Err(Error::WrongMilestoneState { found: m.status })
    }
}

/// A milestone's refund clock (its ship-by, inclusive) has run out.
pub(super) fn ship_by_passed(m: &Milestone, now: Timestamp) -> bool {
    now > m.ship_by
}

/// The deal's funding clock (its fund-by, inclusive) has run out.
pub(super) fn fund_by_passed(d: &Deal, now: Timestamp) -> bool {
    now > d.fund_by
}

/// Everyone the terms name, in the order of the distinctness check and of the account
/// index: buyer, seller, arbiter, oracles, funder.
pub(super) fn participants(t: &DealTerms) -> Vec<AccountId> {
    let mut roles = vec![t.buyer, t.seller];
    roles.extend(t.arbiter);
    roles.extend(t.oracles.iter().copied());
    roles.extend(t.funder);
    roles
}

pub(super) fn hash_of(terms: &DealTerms) -> Digest {
    let mut out = [0u8; 32];
    ink::env::hash_encoded::<ink::env::hash::Blake2x256, _>(terms, &mut out);
    out
}

impl Model {
    pub(super) fn new(fee_recipient: AccountId, fee_bps: u16) -> Result<Model, Error> {
        if fee_bps > MAX_FEE_BPS {
            return Err(Error::FeeTooHigh);
        }
        if fee_bps > 0 && fee_recipient == zero_acct() {
            return Err(Error::ZeroAccount);
        }
        // Fees paid to the contract itself would sit in its balance owed to nobody.
        if fee_recipient == contract_acct() {
            return Err(Error::FeeRecipientIsContract);
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
            tokens: installed()
                .into_iter()
                .map(|t| (t, MToken::new()))
                .collect(),
            surplus: BTreeMap::new(),
            index: BTreeMap::new(),
            block: 0,
            trails: BTreeMap::new(),
        })
    }

    pub(super) fn next_id(&self) -> u64 {
        self.deals.len() as u64
    }

    pub(super) fn bal(&self, a: AccountId) -> Balance {
        self.balances.get(&a).copied().unwrap_or(0)
    }

    /// What `a` may withdraw in `asset`.
    pub(super) fn claim(&self, a: AccountId, asset: Asset) -> Balance {
        self.claimable.get(&(a, asset)).copied().unwrap_or(0)
    }

    /// Moves chain balance (value sent with a call, a payout, a forced transfer).
    pub(super) fn move_balance(&mut self, from: AccountId, to: AccountId, amount: Balance) {
        let f = self
            .bal(from)
            .checked_sub(amount)
            .expect("model: balance underflow");
        self.balances.insert(from, f);
        let t = self.bal(to) + amount;
        self.balances.insert(to, t);
    }

    pub(super) fn locked(md: &MDeal) -> Balance {
        let d = &md.deal;
        d.deposited - d.released - d.fees - d.refunded
    }

    pub(super) fn find(&self, id: DealId) -> Result<usize, Error> {
        if id.0 < self.next_id() {
            Ok(id.0 as usize)
        } else {
            Err(Error::DealNotFound)
        }
    }

    pub(super) fn find_ms(&self, i: usize, index: u8) -> Result<usize, Error> {
        if usize::from(index) < self.deals[i].ms.len() {
            Ok(usize::from(index))
        } else {
            Err(Error::MilestoneNotFound)
        }
    }
}

impl Model {
    pub(super) fn propose(
        &mut self,
        caller: AccountId,
        t: &DealTerms,
        fx: &mut Fx,
    ) -> Result<DealId, Error> {
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
        // Roles in order buyer, seller, arbiter, oracles, funder: each must be non-zero and
        // unique (the funder is a participant like the others).
        let roles = participants(t);
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
        // The funding clock must still run: a proposal expires at its fund-by.
        if t.fund_by <= self.now {
            return Err(Error::FundByInPast);
        }
        let mut total: Balance = 0;
        for m in &t.milestones {
            if m.amount == 0 {
                return Err(Error::ZeroAmount);
            }
            // Every milestone has a refund clock, and it must still run.
            if m.ship_by <= self.now {
                return Err(Error::ShipByInPast);
            }
            total = total.checked_add(m.amount).ok_or(Error::AmountOverflow)?;
        }
        // A token must be a real account other than the escrow.
        if let Asset::Psp22(token) = t.asset {
            if token == zero_acct() || token == contract_acct() {
                return Err(Error::InvalidAsset);
            }
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
                last_event_block: 0,
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
            funder: t.funder,
            fund_by: t.fund_by,
            asset: t.asset,
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
            last_event_block: 0,
        };
        self.deals.push(MDeal {
            terms: t.clone(),
            deal,
            payees: vec![t.seller; ms.len()],
            ms,
        });
        fx.events.push(Ev::DealProposed(DealProposed {
            deal_id: id,
            buyer: t.buyer,
            seller: t.seller,
            proposer,
            terms: t.clone(),
            terms_hash,
            prev_block: 0,
        }));
        Ok(id)
    }

    pub(super) fn buyer_may_release(&self, i: usize, caller: AccountId) -> Result<(), Error> {
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
    pub(super) fn releasable(&self, i: usize, k: usize) -> Result<(), Error> {
        let md = &self.deals[i];
        let m = &md.ms[k];
        need_ms(m, &[MilestoneStatus::Pending, MilestoneStatus::Submitted])?;
        if covered(m, md.deal.deposited) < m.amount {
            return Err(Error::MilestoneNotFunded);
        }
        Ok(())
    }

    /// A deposit of `value` fits: funding open, the funding clock still running, the total
    /// not exceeded (nothing to check for no value).
    pub(super) fn deposit_allowed(&self, i: usize, value: Balance) -> Result<(), Error> {
        if value == 0 {
            return Ok(());
        }
        let d = &self.deals[i].deal;
        if d.funding_closed {
            return Err(Error::FundingClosed);
        }
        if fund_by_passed(d, self.now) {
            return Err(Error::FundingDeadlinePassed);
        }
        let remaining = d.total - d.deposited;
        if value > remaining {
            return Err(Error::OverFunded { remaining });
        }
        Ok(())
    }

    /// Books a deposit; an advance milestone 0 pays out once accepted and funded.
    pub(super) fn deposit(&mut self, i: usize, funder: AccountId, value: Balance, fx: &mut Fx) {
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
            prev_block: 0,
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

    pub(super) fn release(&mut self, i: usize, k: usize, via: ReleaseVia, fx: &mut Fx) {
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
        // The seller's side goes to the milestone's payee at this moment.
        let payee = md.payees[k];
        fx.events.push(Ev::MilestoneReleased(MilestoneReleased {
            deal_id: DealId(i as u64),
            payee,
            index: k as u8,
            amount: net,
            fee,
            via,
            prev_block: 0,
        }));
        fx.payouts.push(Payout {
            deal: i,
            to: payee,
            amount: net,
        });
        fx.payouts.push(Payout {
            deal: i,
            to: fee_recipient,
            amount: fee,
        });
    }

    /// Returns the funded part of a milestone to the buyer (the caller pays it out).
    pub(super) fn refund(
        &mut self,
        i: usize,
        k: usize,
        reason: RefundReason,
        fx: &mut Fx,
    ) -> Balance {
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
            prev_block: 0,
        }));
        amount
    }

    pub(super) fn split(
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
        let payee = md.payees[k];
        fx.events.push(Ev::DisputeResolved(DisputeResolved {
            deal_id: DealId(i as u64),
            resolution,
            index: k as u8,
            to_seller: o.to_seller,
            payee,
            fee: o.fee,
            to_buyer: o.to_buyer,
            prev_block: 0,
        }));
        // The seller's part to the payee, the buyer's part to the buyer (never assigned).
        for (to, amount) in [
            (payee, o.to_seller),
            (fee_recipient, o.fee),
            (md.deal.buyer, o.to_buyer),
        ] {
            fx.payouts.push(Payout {
                deal: i,
                to,
                amount,
            });
        }
    }

    pub(super) fn due(&self, i: usize, k: usize) -> Result<Due, Error> {
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
                // The refund clock first; a fully funded milestone then carries on; one not
                // fully funded lapses at the funding deadline, or once funding closed.
                let funded = covered(m, d.deposited) == m.amount;
                if ship_by_passed(m, now) {
                    Ok(Due::Refund(RefundReason::ShipByMissed))
                } else if funded {
                    Err(Error::ShipByNotPassed)
                } else if fund_by_passed(d, now) {
                    Ok(Due::Refund(RefundReason::FundingDeadlinePassed))
                } else if d.funding_closed {
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

    pub(super) fn apply_due(&mut self, i: usize, k: usize, due: Due, fx: &mut Fx) {
        match due {
            Due::Release => self.release(i, k, ReleaseVia::Timeout, fx),
            Due::Refund(reason) => {
                let amount = self.refund(i, k, reason, fx);
                fx.payouts.push(Payout {
                    deal: i,
                    to: self.deals[i].deal.buyer,
                    amount,
                });
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
    pub(super) fn close_if_done(&mut self, i: usize) {
        let d = &mut self.deals[i].deal;
        if d.settled_count == d.milestone_count && d.status != DealStatus::Closed {
            d.status = DealStatus::Closed;
        }
    }

    /// Pays the pending payouts, each in its deal's asset, after all other events. Native:
    /// the off-chain engine never refuses a transfer (no existential deposit), so nothing
    /// native is deferred here (native deferral, `ContractBalanceTooLow` and `TransferFailed`
    /// are the unit and on-chain tests' to cover). A token payout the token refuses is
    /// credited to the payee's claimable balance in that token, with `PayoutDeferred`.
    pub(super) fn pay(&mut self, fx: &mut Fx) {
        for p in std::mem::take(&mut fx.payouts) {
            if p.amount == 0 {
                continue;
            }
            let asset = self.deals[p.deal].deal.asset;
            match asset {
                Asset::Native => self.move_balance(contract_acct(), p.to, p.amount),
                Asset::Psp22(token) => {
                    if !self.token_pay(token, p.to, p.amount) {
                        *self.claimable.entry((p.to, asset)).or_default() += p.amount;
                        fx.events.push(Ev::PayoutDeferred(PayoutDeferred {
                            deal_id: DealId(p.deal as u64),
                            account: p.to,
                            asset,
                            amount: p.amount,
                            prev_block: 0,
                        }));
                    }
                }
            }
        }
    }

    /// A submission or an attestation voids a pending cancellation proposal (it covered
    /// only what was pending when it was made), after the message's own events.
    pub(super) fn void_cancellation(&mut self, i: usize, by: AccountId, index: u8, fx: &mut Fx) {
        let d = &mut self.deals[i].deal;
        if d.cancel_proposed_by.take().is_some() {
            fx.events
                .push(Ev::CancellationWithdrawn(CancellationWithdrawn {
                    deal_id: DealId(i as u64),
                    by,
                    voided_by: Some(index),
                    prev_block: 0,
                }));
        }
    }

    /// The latest time any clock of any deal runs to now: fund-by, every current ship-by,
    /// and every running review and arbitration window.
    pub(super) fn last_clock(&self) -> Timestamp {
        let mut t = self.now;
        for md in &self.deals {
            t = t.max(md.deal.fund_by);
            for m in &md.ms {
                t = t.max(m.ship_by);
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

    /// A time by which every deadline of every deal has passed or will have: each deal's
    /// fund-by, and for each milestone its current ship-by (amendments included) plus the
    /// longest review and arbitration a submission by then can lead to; at least
    /// [`last_clock`](Self::last_clock), the clocks actually running.
    pub(super) fn every_deadline(&self) -> Timestamp {
        let mut t = self.last_clock();
        for md in &self.deals {
            let d = &md.deal;
            for m in &md.ms {
                t = t.max(
                    m.ship_by
                        .saturating_add(d.review_window)
                        .saturating_add(d.arbitration_window),
                );
            }
        }
        t
    }

    /// The model's version of everything the contract lets one read.
    pub(super) fn snap(&self) -> Snap {
        let mut deals = Vec::new();
        let mut milestones = Vec::new();
        for (n, md) in self.deals.iter().enumerate() {
            let id = DealId(n as u64);
            let d = &md.deal;
            let last = |t| self.trails.get(&t).copied().unwrap_or(0);
            deals.push(Some(DealView {
                id,
                deal: Deal {
                    last_event_block: last(Trail::Deal(id)),
                    ..d.clone()
                },
                locked: Model::locked(md),
            }));
            let mut views: Vec<Option<MilestoneView>> = md
                .ms
                .iter()
                .enumerate()
                .map(|(k, m)| {
                    Some(MilestoneView {
                        index: k as u8,
                        payee: md.payees[k],
                        milestone: Milestone {
                            last_event_block: last(Trail::Milestone(id, k as u8)),
                            ..m.clone()
                        },
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
                .map(|a| self.claim(*a, Asset::Native))
                .collect(),
            token_claimable: accounts
                .iter()
                .flat_map(|a| installed().map(|t| self.claim(*a, Asset::Psp22(t))))
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
