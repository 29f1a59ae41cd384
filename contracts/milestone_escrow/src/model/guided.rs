//! Guided steps that move live deals along, and the end-of-sequence liveness drive.
use super::*;

impl Harness {
    /// A step that moves a live deal along: what its state makes natural (accept, fund,
    /// submit, approve, attest, dispute, offer, settle, amend, cancel, wait), with `seed`
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
        let mut roles = vec![buyer, seller];
        roles.extend(d.arbiter);
        roles.extend(d.oracles.iter().copied());
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
                if pick(10) == 0 {
                    self.call(acct_of(d.proposer), 0, Call::WithdrawProposal(id))
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
                if active && d.cancel_proposed_by.is_some() && pick(4) == 0 {
                    let by = d.cancel_proposed_by.expect("proposed");
                    let _ = self.call(acct_of(by.counterparty()), 0, Call::AcceptCancel(id));
                    return;
                }
                if active && pick(40) == 0 {
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
                    MilestoneStatus::Pending if covered(m, d.deposited) < m.amount => match pick(8)
                    {
                        0..=3 => {
                            let need: Balance = m.amount - covered(m, d.deposited);
                            let value = [need, d.total - d.deposited, need + 1, 1][pick(4)];
                            let funder = if pick(4) == 0 { stranger } else { buyer };
                            self.call(funder, value, Call::Fund(id))
                        }
                        4 => self.amend(id, ix, m, party, pick(300) as u64 + 1),
                        5 => return self.advance(pick(150) as u64),
                        6 => self.call(stranger, 0, Call::SettleMilestone(id, ix)),
                        _ => self.call(stranger, 0, Call::SettleDue(id)),
                    },
                    MilestoneStatus::Pending => match pick(10) {
                        0..=3 => self.call(seller, 0, Call::Submit(id, ix, [pick(256) as u8; 32])),
                        4 => self.call(buyer, 0, Call::Approve(id, ix)),
                        5 => self.call(buyer, 0, Call::ApproveThrough(id, ix)),
                        6 => self.call(oracle.unwrap_or(buyer), 0, Call::Attest(id, ix)),
                        7 => self.amend(id, ix, m, party, pick(300) as u64 + 1),
                        8 => return self.advance(pick(150) as u64),
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

    /// Proposes a later ship-by, or accepts the other party's pending one.
    pub(super) fn amend(
        &mut self,
        id: DealId,
        ix: u8,
        m: &Milestone,
        party: AccountId,
        later: u64,
    ) -> Result<Out, Error> {
        let d = &self.m.deals[id.0 as usize].deal;
        let (buyer, seller) = (d.buyer, d.seller);
        match m.amendment {
            Some(a) => {
                let other = if a.by == Role::Buyer { seller } else { buyer };
                self.call(other, 0, Call::AcceptAmendment(id, ix, a.new_ship_by))
            }
            None => {
                let base = m.ship_by.unwrap_or(self.m.now).max(self.m.now);
                self.call(party, 0, Call::ProposeAmendment(id, ix, base + later))
            }
        }
    }

    // ------------------------------------------------------------------ liveness

    /// Once every clock has passed, non-arbiter accounts bring every deal to zero locked.
    /// `mode` picks the route: 0 cancel by both parties; 1 deliver (seller submits, buyer
    /// funds the rest, timeouts pay); 2 release (buyer approves / oracles attest).
    pub(super) fn liveness(&mut self, mode: u8, far: bool) {
        self.in_liveness = true;
        let target = self.m.last_clock() + 1 + if far { 1_000_000 } else { 0 };
        let now = self.m.now;
        self.advance(target - now);
        for n in 0..self.m.next_id() {
            let id = DealId(n);
            let mut cancel = mode == 0;
            let mut done = false;
            for _ in 0..64 {
                let md = self.m.deals[n as usize].clone();
                if Model::locked(&md) == 0 {
                    done = true;
                    break;
                }
                let d = &md.deal;
                self.ensure(
                    matches!(d.status, DealStatus::Active | DealStatus::Cancelled),
                    || format!("liveness: deal {n} holds funds in state {:?}", d.status),
                );
                let mut roles = vec![d.buyer, d.seller];
                roles.extend(d.arbiter);
                roles.extend(d.oracles.iter().copied());
                let stranger = (0..POOL)
                    .map(acct)
                    .find(|a| !roles.contains(a))
                    .expect("a stranger");
                self.stats.liveness_calls += 1;
                if self.call(stranger, 0, Call::SettleDue(id)).is_ok() {
                    continue;
                }
                self.ensure(d.status == DealStatus::Active, || {
                    format!("liveness: cancelled deal {n} holds funds but nothing is due")
                });
                let first = md
                    .ms
                    .iter()
                    .position(|m| !settled(m.status))
                    .expect("unsettled milestone");
                let m = &md.ms[first];
                self.stats.liveness_calls += 1;
                let ok = if cancel {
                    match d.cancel_proposed_by {
                        None => self.call(d.buyer, 0, Call::ProposeCancel(id)),
                        Some(Role::Buyer) => self.call(d.seller, 0, Call::AcceptCancel(id)),
                        Some(Role::Seller) => self.call(d.buyer, 0, Call::AcceptCancel(id)),
                    }
                    .is_ok()
                } else if covered(m, d.deposited) < m.amount {
                    if d.funding_closed {
                        false
                    } else {
                        self.call(d.buyer, d.total - d.deposited, Call::Fund(id))
                            .is_ok()
                    }
                } else if mode == 2 && d.release_rule != ReleaseRule::Oracles {
                    let last = md
                        .ms
                        .iter()
                        .rposition(|m| !settled(m.status))
                        .expect("unsettled") as u8;
                    self.call(d.buyer, 0, Call::ApproveThrough(id, last))
                        .is_ok()
                } else if mode == 2 && m.attestations.count_ones() < u32::from(d.oracle_threshold) {
                    let next = (0..d.oracles.len())
                        .find(|&j| m.attestations & (1 << j) == 0)
                        .expect("oracle");
                    self.call(d.oracles[next], 0, Call::Attest(id, first as u8))
                        .is_ok()
                } else if m.status == MilestoneStatus::Pending {
                    let ok = self
                        .call(d.seller, 0, Call::Submit(id, first as u8, [0xEE; 32]))
                        .is_ok();
                    if ok {
                        self.stats.liveness_time_moves += 1;
                        self.advance(d.review_window + 1);
                    }
                    ok
                } else {
                    false
                };
                if !ok {
                    // Whatever else fails, both parties can still cancel.
                    cancel = true;
                }
            }
            self.ensure(done, || {
                format!("liveness: deal {n} still holds funds after 64 rounds")
            });
            self.stats.deals_driven += 1;
            if self.m.deals[n as usize].deal.status == DealStatus::Closed
                && !self.m.deals[n as usize].deal.closure_recorded
            {
                // Anyone records the closure, once.
                let stranger = acct(POOL - 1);
                let recorded = self.call(stranger, 0, Call::CloseDeal(id)).is_ok();
                self.ensure(recorded, || {
                    format!("liveness: close_deal of deal {n} failed")
                });
            }
            let view = self.c.deal(id).expect("deal");
            self.ensure(view.locked == 0, || {
                format!("liveness: deal {n} locked {}", view.locked)
            });
        }
        self.in_liveness = false;
    }
}
