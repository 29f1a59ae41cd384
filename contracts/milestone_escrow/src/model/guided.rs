//! Guided steps that move live deals along, and the end-of-sequence liveness drive.
use super::*;
use crate::token::mock::Mode;

impl Harness {
    /// A step that moves a live deal along: what its state makes natural (accept, fund,
    /// approve the escrow on the deal's token and fund it with tokens, submit, approve,
    /// attest, dispute, offer, settle, amend, cancel, assign a receivable, flip the moody
    /// token's behaviour, withdraw a token claimable, withdraw a proposal, wait, or jump
    /// onto a deadline), with `seed`
    /// choosing among the plausible actions and callers. It runs through `call` like every
    /// other step, so it changes only what is explored, not what is checked.
    pub(super) fn auto(&mut self, deal: u8, seed: u64, spec: &ProposeSpec) {
        let mut r = seed;
        let mut pick = |n: usize| -> usize {
            let x = (r % n.max(1) as u64) as usize;
            r /= n.max(1) as u64;
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
                    let value = if d.asset != Asset::Native {
                        // A token deal is accepted without value (`UnexpectedValue`).
                        [0, 0, 0, 0, 0, 1][pick(6)]
                    } else if acceptor == buyer {
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
                if pick(14) == 0 {
                    // The payee of a milestone (the seller, or an assignee) assigns the
                    // receivable from it on: mostly to the factor, sometimes back to the
                    // seller or to anyone; sometimes the seller tries for an assignee's.
                    let k = open[pick(open.len())];
                    let caller = if pick(5) == 0 { seller } else { md.payees[k] };
                    let to = match pick(6) {
                        0 => seller,
                        1 => acct(pick(POOL)),
                        _ => factor_acct(),
                    };
                    let _ = self.call(caller, 0, Call::Assign(id, k as u8, to));
                    return;
                }
                if d.asset == Asset::Psp22(token_b()) && pick(20) == 0 {
                    let mode = [
                        Mode::Honest,
                        Mode::Honest,
                        Mode::Revert,
                        Mode::Lie,
                        Mode::DeliverLess(100),
                    ][pick(5)];
                    return self.token_mode(mode);
                }
                if d.asset != Asset::Native && pick(15) == 0 {
                    let holders: Vec<(AccountId, AccountId)> = self
                        .m
                        .claimable
                        .iter()
                        .filter_map(|(&(who, asset), &c)| match asset {
                            Asset::Psp22(t) if c > 0 => Some((who, t)),
                            _ => None,
                        })
                        .collect();
                    if !holders.is_empty() {
                        let (who, token) = holders[pick(holders.len())];
                        let _ = self.call(who, 0, Call::WithdrawTokens(token, who));
                        return;
                    }
                }
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
                                match d.asset {
                                    // Sometimes the wrong message for the asset (`WrongAsset`).
                                    Asset::Native if pick(15) == 0 => {
                                        self.call(funder, 0, Call::FundTokens(id, value))
                                    }
                                    Asset::Native => self.call(funder, value, Call::Fund(id)),
                                    Asset::Psp22(_) if pick(12) == 0 => {
                                        self.call(funder, value, Call::Fund(id))
                                    }
                                    Asset::Psp22(token) => {
                                        // Approve first, mostly for exactly the deposit.
                                        let allowed =
                                            self.m.tokens.get(&token).map_or(0, |t| {
                                                t.allowance(funder, contract_acct())
                                            });
                                        if allowed < value && pick(8) != 0 {
                                            let amount = [
                                                value,
                                                value,
                                                value,
                                                value - 1,
                                                value + pick(100) as Balance,
                                            ][pick(5)];
                                            self.approve_tokens(token, funder, amount);
                                        }
                                        self.call(funder, 0, Call::FundTokens(id, value))
                                    }
                                }
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
    /// Token deals included: the moody token behaves as `mode` during the drive, and a
    /// payout it refuses becomes claimable (`PayoutDeferred`) without blocking the rest.
    /// Afterwards each token's balance in the escrow is Σ claimable in it plus its surplus.
    /// Then every holder withdraws its token claimable: while the token still refuses, the
    /// withdrawal fails and the credit stays; with the token honest again, it comes out.
    /// Nothing was lost, and the escrow keeps exactly the surplus.
    ///
    /// `far`: jump a long way past the last deadline instead of just past it.
    pub(super) fn liveness(&mut self, far: bool, mode: Mode) {
        self.in_liveness = true;
        self.token_mode(mode);
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
        self.ensure_tokens_owed("liveness");
        self.in_liveness = false;

        // Nothing was lost: while the token still refuses, a withdrawal fails and keeps the
        // credit; once the token pays again, every token claimable comes out.
        let holders: Vec<((AccountId, Asset), Balance)> = self
            .m
            .claimable
            .iter()
            .filter(|(&(_, asset), &c)| asset != Asset::Native && c > 0)
            .map(|(k, c)| (*k, *c))
            .collect();
        if mode == Mode::Revert {
            for &((who, asset), _) in &holders {
                let token = asset.token().expect("a token claimable");
                if token != token_b() {
                    continue;
                }
                let got = self.call(who, 0, Call::WithdrawTokens(token, who));
                self.ensure(got == Err(Error::TransferFailed), || {
                    format!(
                        "after liveness: {} withdrawing from the refusing {} got {got:?}",
                        caller_name(who),
                        caller_name(token)
                    )
                });
            }
        }
        self.token_mode(Mode::Honest);
        for ((who, asset), credit) in holders {
            let token = asset.token().expect("a token claimable");
            let got = self.call(who, 0, Call::WithdrawTokens(token, who));
            self.ensure(got == Ok(Out::Amount(credit)), || {
                format!(
                    "after liveness: {} withdrawing {credit} {} got {got:?}",
                    caller_name(who),
                    caller_name(token)
                )
            });
            self.stats.recovered += 1;
        }
        self.ensure_tokens_owed("after the withdrawals");
    }

    /// No deal holds anything: each token's balance in the escrow is Σ claimable in it plus
    /// its surplus.
    fn ensure_tokens_owed(&self, when: &str) {
        for t in all_tokens() {
            let claim: Balance = tracked()
                .iter()
                .map(|a| self.c.claimable_tokens_of(*a, t))
                .sum();
            let surplus = self.m.surplus.get(&t).copied().unwrap_or(0);
            let balance = mock::balance_of(t, contract_acct()).unwrap_or(0);
            self.ensure(balance == claim + surplus, || {
                format!(
                    "{when}: {} balance {balance} != Σ claimable {claim} + surplus {surplus}",
                    caller_name(t)
                )
            });
        }
    }
}
