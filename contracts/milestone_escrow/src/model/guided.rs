//! Guided steps that move live deals along, and the end-of-sequence liveness drive.
use super::*;

impl Harness {
    /// A step that moves a live deal along: what its state makes natural (accept, fund,
    /// submit, approve, attest, dispute, offer, settle, amend, cancel, withdraw a proposal,
    /// wait, or jump onto a deadline), with `seed`
    /// choosing among the plausible actions and callers. It runs through `call` like every
    /// other step, so it changes only what is explored, not what is checked.
    pub(super) fn auto(&mut self, deal: u8, seed: u32, spec: &ProposeSpec) {
        let mut r = seed;
        let mut pick = |n: usize| -> usize {
            let x = (r as usize) % n.max(1);
            r /= n.max(1) as u32;
            x
        };
        let live: Vec<u64> = (0..self.m.next_id())
            .rev()
            .filter(|&n| {
                matches!(
                    self.m.deals[n as usize].deal.status,
                    DealStatus::Proposed | DealStatus::Active | DealStatus::Cancelled
                )
            })
            .take(3)
            .collect();
        if live.is_empty() || (live.len() < 3 && pick(12) == 0) {
            let (caller, terms) = self.terms(spec);
            let _ = self.call(caller, 0, Call::Propose(terms));
            return;
        }
        let id = DealId(live[usize::from(deal) % live.len()]);
        let md = self.m.deals[id.0 as usize].clone();
        let d = &md.deal;
        let (buyer, seller) = (d.buyer, d.seller);
        let roles = participants(&md.terms);
        let stranger = (0..POOL)
            .map(acct)
            .find(|a| !roles.contains(a))
            .expect("a stranger");
        let party = if pick(2) == 0 { buyer } else { seller };
        let acct_of = |role: Role| if role == Role::Buyer { buyer } else { seller };
        let now = self.m.now;
        let _ = match d.status {
            DealStatus::Proposed => {
                let acceptor = acct_of(d.proposer.counterparty());
                let choice = pick(12);
                if choice == 0 {
                    self.call(acct_of(d.proposer), 0, Call::WithdrawProposal(id))
                } else if choice == 1 {
                    // Onto the funding deadline: the last moment it may be accepted, or past.
                    return self.advance((d.fund_by + pick(2) as u64).saturating_sub(now));
                } else {
                    let need0 = md.ms[0].amount;
                    let value = if acceptor == buyer {
                        [0, 0, need0, d.total, 1][pick(5)]
                    } else {
                        0
                    };
                    let hash = self.c.terms_hash(md.terms.clone());
                    self.call(acceptor, value, Call::Accept(id, hash))
                }
            }
            DealStatus::Active | DealStatus::Cancelled => {
                let active = d.status == DealStatus::Active;
                if let (true, Some(by)) = (active, d.cancel_proposed_by) {
                    match pick(6) {
                        0 => {
                            let _ =
                                self.call(acct_of(by.counterparty()), 0, Call::AcceptCancel(id));
                            return;
                        }
                        1 => {
                            let _ = self.call(acct_of(by), 0, Call::WithdrawCancel(id));
                            return;
                        }
                        _ => {}
                    }
                }
                if active && pick(15) == 0 {
                    let _ = self.call(party, 0, Call::ProposeCancel(id));
                    return;
                }
                let open: Vec<usize> = (0..md.ms.len())
                    .filter(|&k| !settled(md.ms[k].status))
                    .collect();
                let k = if pick(10) < 7 {
                    open[0]
                } else {
                    open[pick(open.len())]
                };
                let m = &md.ms[k];
                let ix = k as u8;
                let oracle = (!d.oracles.is_empty()).then(|| d.oracles[pick(d.oracles.len())]);
                match m.status {
                    MilestoneStatus::Pending if covered(m, d.deposited) < m.amount => {
                        match pick(20) {
                            0..=8 => {
                                let need: Balance = m.amount - covered(m, d.deposited);
                                let value = [need, d.total - d.deposited, need + 1, 1][pick(4)];
                                // Mostly the buyer or the named funder; sometimes the seller
                                // (topping up its own advance) or a stranger, both refused.
                                let funder = match pick(8) {
                                    0..=3 => buyer,
                                    4 | 5 => d.funder.unwrap_or(buyer),
                                    6 => seller,
                                    _ => stranger,
                                };
                                self.call(funder, value, Call::Fund(id))
                            }
                            9..=11 => {
                                self.amend(id, ix, m, party, pick(300) as u64 + 1, pick(4) == 0)
                            }
                            12 | 13 => return self.advance(pick(150) as u64),
                            14 => {
                                return self
                                    .advance((d.fund_by + pick(2) as u64).saturating_sub(now))
                            }
                            15 => {
                                return self
                                    .advance((m.ship_by + pick(2) as u64).saturating_sub(now))
                            }
                            16 | 17 => self.call(stranger, 0, Call::SettleMilestone(id, ix)),
                            _ => self.call(stranger, 0, Call::SettleDue(id)),
                        }
                    }
                    MilestoneStatus::Pending => match pick(20) {
                        0..=7 => self.call(seller, 0, Call::Submit(id, ix, [pick(256) as u8; 32])),
                        8 => self.call(buyer, 0, Call::Approve(id, ix)),
                        9 => self.call(buyer, 0, Call::ApproveThrough(id, ix)),
                        10..=12 => self.call(oracle.unwrap_or(buyer), 0, Call::Attest(id, ix)),
                        13..=15 => self.amend(id, ix, m, party, pick(300) as u64 + 1, pick(4) == 0),
                        16 | 17 => return self.advance(pick(150) as u64),
                        18 => {
                            return self.advance((m.ship_by + pick(2) as u64).saturating_sub(now))
                        }
                        _ => self.call(stranger, 0, Call::SettleMilestone(id, ix)),
                    },
                    MilestoneStatus::Submitted => {
                        let review_end = m.submitted_at.expect("submitted") + d.review_window;
                        match pick(10) {
                            0 => self.call(buyer, 0, Call::Approve(id, ix)),
                            1 => self.call(buyer, 0, Call::ApproveThrough(id, ix)),
                            2 => self.call(oracle.unwrap_or(buyer), 0, Call::Attest(id, ix)),
                            3..=5 => {
                                self.call(party, 0, Call::Dispute(id, ix, [pick(256) as u8; 32]))
                            }
                            6 => {
                                return self
                                    .advance((review_end + [0, 1][pick(2)]).saturating_sub(now))
                            }
                            7 => return self.advance(pick(50) as u64),
                            _ => self.call(stranger, 0, Call::SettleMilestone(id, ix)),
                        }
                    }
                    MilestoneStatus::Disputed => {
                        let dispute = m.dispute.expect("disputed");
                        let ends = dispute.opened_at + d.arbitration_window;
                        match pick(10) {
                            0 | 1 => {
                                let amount = bps_of(m.amount, pick(10_001) as u16).expect("bps");
                                self.call(party, 0, Call::OfferSettlement(id, ix, amount))
                            }
                            2..=4 => match dispute.offer {
                                Some(o) => self.call(
                                    acct_of(o.by.counterparty()),
                                    0,
                                    Call::AcceptSettlement(id, ix, o.seller_amount),
                                ),
                                None => {
                                    self.call(party, 0, Call::OfferSettlement(id, ix, m.amount / 2))
                                }
                            },
                            5 | 6 => {
                                let amount = bps_of(m.amount, pick(10_001) as u16).expect("bps");
                                self.call(
                                    d.arbiter.unwrap_or(stranger),
                                    0,
                                    Call::ResolveDispute(id, ix, amount),
                                )
                            }
                            7 => return self.advance((ends + [0, 1][pick(2)]).saturating_sub(now)),
                            8 => self.call(stranger, 0, Call::SettleDue(id)),
                            _ => self.call(stranger, 0, Call::SettleMilestone(id, ix)),
                        }
                    }
                    s => unreachable!("open milestone in state {s:?}"),
                }
            }
            s => unreachable!("live deal in state {s:?}"),
        };
    }

    /// Proposes a later ship-by, or answers the pending one: the other party accepts it,
    /// or (`withdraw`) its proposer withdraws it.
    pub(super) fn amend(
        &mut self,
        id: DealId,
        ix: u8,
        m: &Milestone,
        party: AccountId,
        later: u64,
        withdraw: bool,
    ) -> Result<Out, Error> {
        let d = &self.m.deals[id.0 as usize].deal;
        let (buyer, seller) = (d.buyer, d.seller);
        let acct_of = |r: Role| if r == Role::Buyer { buyer } else { seller };
        match m.amendment {
            Some(a) if withdraw => self.call(acct_of(a.by), 0, Call::WithdrawAmendment(id, ix)),
            Some(a) => self.call(
                acct_of(a.by.counterparty()),
                0,
                Call::AcceptAmendment(id, ix, a.new_ship_by),
            ),
            None => self.call(party, 0, Call::ProposeAmendment(id, ix, m.ship_by + later)),
        }
    }

    // ------------------------------------------------------------------ liveness

    /// The liveness property: once every deadline of a deal has passed, a stranger (no
    /// party, oracle, arbiter or funder of any deal) drives it to zero locked funds on its
    /// own, with one `settle_due` call, which settles every open milestone and ends the
    /// deal. Nothing else calls. Afterwards nothing is locked anywhere: the contract holds
    /// only the claimable balances (and the stray value no deal ever accounted for).
    ///
    /// `far`: jump a long way past the last deadline instead of just past it.
    pub(super) fn liveness(&mut self, far: bool) {
        self.in_liveness = true;
        let target = self.m.every_deadline() + 1 + if far { 1_000_000 } else { 0 };
        let now = self.m.now;
        self.advance(target - now);
        let stranger = stranger_acct();
        for n in 0..self.m.next_id() {
            let id = DealId(n);
            let md = self.m.deals[n as usize].clone();
            let d = &md.deal;
            self.ensure(!participants(&md.terms).contains(&stranger), || {
                format!("liveness: the stranger takes part in deal {n}")
            });
            let locked = Model::locked(&md);
            let open = md.ms.iter().filter(|m| !settled(m.status)).count();
            if matches!(d.status, DealStatus::Active | DealStatus::Cancelled) {
                self.stats.liveness_calls += 1;
                let got = self.call(stranger, 0, Call::SettleDue(id));
                self.ensure(got == Ok(Out::Count(open as u8)), || {
                    format!(
                        "liveness: one settle_due by a stranger on deal {n} (locked {locked}, \
                         {open} open milestones) returned {got:?}, not Ok({open})"
                    )
                });
                self.stats.deals_ended += 1;
                self.stats.liveness_settled += open as u64;
                if locked > 0 {
                    self.stats.deals_driven += 1;
                }
            } else {
                self.ensure(locked == 0, || {
                    format!("liveness: deal {n} holds {locked} in state {:?}", d.status)
                });
            }
            let d = &self.m.deals[n as usize].deal;
            self.ensure(
                !matches!(d.status, DealStatus::Active | DealStatus::Cancelled),
                || format!("liveness: deal {n} still open ({:?})", d.status),
            );
            if d.status == DealStatus::Closed && !d.closure_recorded {
                // Anyone records the closure, once.
                self.stats.liveness_calls += 1;
                let recorded = self.call(stranger, 0, Call::CloseDeal(id));
                self.ensure(recorded == Ok(Out::Unit), || {
                    format!("liveness: close_deal of deal {n} returned {recorded:?}")
                });
            }
            let view = self.c.deal(id).expect("deal");
            self.ensure(view.locked == 0, || {
                format!("liveness: deal {n} locked {}", view.locked)
            });
        }
        let claimable: Balance = tracked().iter().map(|a| self.c.claimable_of(*a)).sum();
        let balance = chain_balance(contract_acct());
        self.ensure(balance == claimable + self.stray, || {
            format!(
                "liveness: contract balance {balance} != Σ claimable {claimable} + stray {}",
                self.stray
            )
        });
        self.in_liveness = false;
    }
}
