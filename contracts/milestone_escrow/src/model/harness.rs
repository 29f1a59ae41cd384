//! The harness: runs each call on the contract and on the model, compares results,
//! events and every read, and checks the invariants on the contract's own reads.
use super::*;
use crate::token::mock;

// ---------------------------------------------------------------------------- snapshots

/// Everything observable about the contract through its read messages.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Snap {
    pub(super) deal_count: u64,
    /// Deals `0..=deal_count` (the last is `None`).
    pub(super) deals: Vec<Option<DealView>>,
    /// Per deal, milestones `0..=milestone_count` (the last is `None`).
    pub(super) milestones: Vec<Vec<Option<MilestoneView>>>,
    /// Per tracked account: `claimable_of` (native).
    pub(super) claimable: Vec<Balance>,
    /// Per tracked account, per installed token: `claimable_tokens_of` (the no-contract
    /// token can owe nothing: it never takes a deposit; checked at the end of a sequence).
    pub(super) token_claimable: Vec<Balance>,
    /// Per tracked account: `deal_count_of` and the first page of `deals_of`.
    pub(super) index: Vec<(u32, Vec<DealId>)>,
    pub(super) config: Config,
}

pub(super) fn contract_snap(c: &MilestoneEscrow) -> Snap {
    let deal_count = c.deal_count();
    let mut deals = Vec::new();
    let mut milestones = Vec::new();
    for n in 0..=deal_count {
        let id = DealId(n);
        let view = c.deal(id);
        let count = view.as_ref().map_or(0, |v| v.deal.milestone_count);
        milestones.push((0..=count).map(|k| c.milestone(id, k)).collect());
        deals.push(view);
    }
    let accounts = tracked();
    Snap {
        deal_count,
        deals,
        milestones,
        claimable: accounts.iter().map(|a| c.claimable_of(*a)).collect(),
        token_claimable: accounts
            .iter()
            .flat_map(|a| installed().map(|t| c.claimable_tokens_of(*a, t)))
            .collect(),
        index: accounts
            .iter()
            .map(|a| (c.deal_count_of(*a), c.deals_of(*a, 0, MAX_PAGE)))
            .collect(),
        config: c.config(),
    }
}

pub(super) fn chain_balance(a: AccountId) -> Balance {
    test::get_account_balance::<Env>(a).unwrap_or(0)
}

/// Every tracked account's holdings in every asset: native chain balances and the installed
/// tokens' balances (the no-contract token has none).
pub(super) type Ledgers = BTreeMap<(Asset, AccountId), Balance>;

pub(super) fn ledgers() -> Ledgers {
    let mut l = Ledgers::new();
    for a in tracked() {
        l.insert((Asset::Native, a), chain_balance(a));
        for t in installed() {
            l.insert((Asset::Psp22(t), a), mock::balance_of(t, a).unwrap_or(0));
        }
    }
    l
}

/// Signed changes per (asset, account), zero entries left out.
pub(super) type Deltas = BTreeMap<(Asset, AccountId), i128>;

pub(super) fn deltas(before: &Ledgers, after: &Ledgers) -> Deltas {
    after
        .iter()
        .map(|(k, &a)| (*k, a as i128 - before.get(k).copied().unwrap_or(0) as i128))
        .filter(|(_, d)| *d != 0)
        .collect()
}

/// A token's state without the zero entries (a zero balance or allowance equals none).
pub(super) fn normal(
    mode: mock::Mode,
    balances: &BTreeMap<AccountId, Balance>,
    allowances: &BTreeMap<(AccountId, AccountId), Balance>,
) -> MToken {
    MToken {
        mode,
        balances: balances
            .iter()
            .filter(|(_, b)| **b > 0)
            .map(|(k, b)| (*k, *b))
            .collect(),
        allowances: allowances
            .iter()
            .filter(|(_, b)| **b > 0)
            .map(|(k, b)| (*k, *b))
            .collect(),
    }
}

pub(super) fn deal_rank(s: DealStatus) -> u8 {
    match s {
        DealStatus::Proposed => 0,
        DealStatus::Active => 1,
        DealStatus::Cancelled => 2,
        DealStatus::Closed => 3,
        DealStatus::Withdrawn => 4,
    }
}

/// Deal states only move forward: Proposed < Active < Cancelled < Closed, Proposed → Withdrawn.
pub(super) fn deal_step_ok(from: DealStatus, to: DealStatus) -> bool {
    use DealStatus::*;
    from == to
        || match from {
            Withdrawn | Closed => false,
            Proposed => true,
            _ => to != Withdrawn && deal_rank(to) > deal_rank(from),
        }
}

pub(super) fn ms_rank(s: MilestoneStatus) -> u8 {
    match s {
        MilestoneStatus::Pending => 0,
        MilestoneStatus::Submitted => 1,
        MilestoneStatus::Disputed => 2,
        _ => 3,
    }
}

/// Milestone states only move forward: Pending < Submitted < Disputed < terminal (Pending
/// may jump straight to a terminal state); terminal states never change.
pub(super) fn ms_step_ok(from: MilestoneStatus, to: MilestoneStatus) -> bool {
    from == to || (!settled(from) && ms_rank(to) > ms_rank(from))
}

// ---------------------------------------------------------------------------- statistics

#[derive(Default)]
pub(super) struct Stats {
    pub(super) sequences: u64,
    pub(super) steps: u64,
    pub(super) ok: u64,
    pub(super) err: u64,
    /// Calls the stranger made in the liveness drive (`settle_due`, `close_deal`).
    pub(super) liveness_calls: u64,
    pub(super) liveness_ok: u64,
    /// Deals that held funds when the liveness drive began (each drained by one call).
    pub(super) deals_driven: u64,
    /// Open deals the liveness drive ended (every milestone settled by one call).
    pub(super) deals_ended: u64,
    /// Milestones the stranger's `settle_due` calls settled.
    pub(super) liveness_settled: u64,
    /// Steps where a non-buyer's deposit after a missed ship-by paid out the advance.
    pub(super) refund_taken: u64,
    /// `settle_due` calls whose walk went round again: a lapse closed funding and made an
    /// earlier milestone due in the same call.
    pub(super) second_walks: u64,
    /// `withdraw_tokens` calls the token refused, whose writes the harness reverted as the
    /// chain would (the off-chain engine keeps them).
    pub(super) reverted_withdrawals: u64,
    /// Token claimables withdrawn after the liveness drive, with the token honest again.
    pub(super) recovered: u64,
    /// Successful calls whose money moves were checked against their events, per asset
    /// kind (native, token).
    pub(super) flows_checked: (u64, u64),
    pub(super) per_op: BTreeMap<&'static str, (u64, u64)>,
    pub(super) errors: BTreeMap<String, u64>,
    pub(super) events: BTreeMap<&'static str, u64>,
}

pub(super) static STATS: Mutex<Option<Stats>> = Mutex::new(None);

thread_local! {
    pub(super) static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub(super) fn error_name(e: &Error) -> String {
    let s = format!("{e:?}");
    s.split([' ', '{']).next().unwrap_or("").to_string()
}

// ---------------------------------------------------------------------------- the harness

/// Money that the events say moved, per deal.
#[derive(Default, Clone, Debug)]
pub(super) struct Sums {
    pub(super) funded: Balance,
    pub(super) to_seller: Balance,
    pub(super) fees: Balance,
    pub(super) to_buyer: Balance,
    /// Settling events (released, refunded, resolved) per milestone index.
    pub(super) settles: BTreeMap<u8, u32>,
}

pub(super) struct Harness {
    pub(super) c: MilestoneEscrow,
    pub(super) m: Model,
    pub(super) prev: Snap,
    pub(super) events_seen: usize,
    pub(super) sums: BTreeMap<u64, Sums>,
    pub(super) trace: Vec<String>,
    pub(super) stats: Stats,
    pub(super) in_liveness: bool,
    /// Value the contract holds that no deal accounts for: forced transfers, and value sent
    /// with a failing call (the off-chain engine keeps it; a chain would revert it).
    pub(super) stray: Balance,
    /// Per deal with a cancellation pending: the milestones submitted or attested since it
    /// was proposed (a cancellation must never refund them).
    pub(super) delivered_since_cancel: BTreeMap<u64, std::collections::BTreeSet<u8>>,
    /// The assignments of the current step (the only way a payee may change).
    pub(super) assigned: Vec<ReceivableAssigned>,
    /// Every asset's holdings as of the last step.
    pub(super) ledgers: Ledgers,
    /// The deals as read before the last step (what a call's events are checked against).
    pub(super) prev_deals: Vec<Option<DealView>>,
}

impl Harness {
    pub(super) fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n--- steps (t=time, no-op clock moves left out) ---\n{}",
            self.trace.join("\n")
        )
    }

    pub(super) fn ensure(&self, cond: bool, what: impl FnOnce() -> String) {
        if !cond {
            self.fail(&what());
        }
    }

    pub(super) fn ensure_eq<T: PartialEq + std::fmt::Debug>(&self, got: &T, want: &T, what: &str) {
        if got != want {
            self.fail(&format!(
                "{what}\n  contract: {got:?}\n  expected: {want:?}"
            ));
        }
    }

    /// Compares two snapshots, reporting the first differing record compactly.
    pub(super) fn ensure_same_snap(&self, got: &Snap, want: &Snap, what: &str) {
        if got == want {
            return;
        }
        for (n, (a, b)) in got.deals.iter().zip(&want.deals).enumerate() {
            self.ensure_eq(a, b, &format!("{what}: deal {n}"));
        }
        for (n, (a, b)) in got.milestones.iter().zip(&want.milestones).enumerate() {
            for (k, (x, y)) in a.iter().zip(b).enumerate() {
                self.ensure_eq(x, y, &format!("{what}: deal {n} milestone {k}"));
            }
            self.ensure_eq(
                &a.len(),
                &b.len(),
                &format!("{what}: deal {n} milestone count"),
            );
        }
        self.ensure_eq(
            &got.claimable,
            &want.claimable,
            &format!("{what}: claimable balances"),
        );
        self.ensure_eq(
            &got.index,
            &want.index,
            &format!("{what}: account deal index"),
        );
        self.ensure_eq(got, want, what);
    }

    pub(super) fn new_events(&mut self) -> Vec<Ev> {
        let all: Vec<test::EmittedEvent> = test::recorded_events().collect();
        let new: Vec<Ev> = all[self.events_seen..].iter().map(decode_event).collect();
        self.events_seen = all.len();
        new
    }

    /// One message call, applied to the contract and to the model and compared.
    pub(super) fn call(
        &mut self,
        caller: AccountId,
        value: Balance,
        call: Call,
    ) -> Result<Out, Error> {
        // Refund owed to the buyer for an advance milestone 0 whose ship-by passed, if a
        // non-buyer funds it now (see `regress_advance_after_ship_by_takes_buyers_refund`).
        let refund_owed = match call {
            Call::Fund(id) | Call::FundTokens(id, _) => self.mdeal(id).and_then(|md| {
                let m0 = &md.ms[0];
                (md.deal.advance
                    && m0.status == MilestoneStatus::Pending
                    && ship_by_passed(m0, self.m.now)
                    && caller != md.deal.buyer)
                    .then(|| covered(m0, md.deal.deposited))
            }),
            _ => None,
        };
        // Every asset's holdings, and the tokens' whole state: a chain reverts the token's
        // state with the call that fails, the off-chain engine does not, so the harness puts
        // it back itself when the contract returns `Err`.
        let before = self.ledgers.clone();
        let saved = mock::save();
        let claim = match call {
            Call::WithdrawTokens(token, _) => self
                .c
                .claimable
                .get((caller, Asset::Psp22(token)))
                .unwrap_or_default(),
            _ => Claim::default(),
        };
        test::set_caller::<Env>(caller);
        if value > 0 {
            // Credits the contract and sets the transferred value (kept even on `Err`: the
            // off-chain engine does not revert).
            test::transfer_in::<Env>(value);
            self.m.move_balance(caller, contract_acct(), value);
        } else {
            test::set_value_transferred::<Env>(0);
        }
        let got = call_contract(&mut self.c, &call);
        test::set_value_transferred::<Env>(0);
        if got.is_err() {
            mock::restore(saved.clone());
        }
        let want = self.m.apply(caller, value, &call);
        let want_out = want.as_ref().map(|(_, o, _)| *o).map_err(|e| *e);
        let mut line = format!(
            "t={} {} caller={} value={} {} -> {:?}",
            self.m.now,
            call.name(),
            caller_name(caller),
            value,
            short(&call),
            got
        );
        if self.in_liveness {
            line.insert_str(0, "[liveness] ");
        }
        self.trace.push(line);
        self.ensure_eq(
            &got,
            &want_out,
            &format!("{}: result differs from the model", call.name()),
        );
        let mut events = self.new_events();
        if let (Call::WithdrawTokens(token, to), Err(Error::TransferFailed)) = (&call, &got) {
            // `withdraw_tokens` removes the credit and emits `Withdrawn` before the token's
            // transfer; when the token refuses, the `Err` reverts both on a chain. The
            // off-chain engine keeps them: check they are all the call did, and revert them.
            let asset = Asset::Psp22(*token);
            self.ensure_eq(
                &events,
                &vec![Ev::Withdrawn(Withdrawn {
                    account: caller,
                    to: *to,
                    asset,
                    amount: claim.amount,
                    prev_block: claim.last_event_block,
                })],
                "withdraw_tokens refused: events before the revert",
            );
            self.ensure(self.c.claimable_tokens_of(caller, *token) == 0, || {
                "withdraw_tokens refused: the credit was not taken before the transfer".into()
            });
            self.c.claimable.insert((caller, asset), &claim);
            events.clear();
            self.stats.reverted_withdrawals += 1;
        }
        let is_ok = want.is_ok();
        let e = self.stats.per_op.entry(call.name()).or_default();
        if is_ok {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
        match want {
            Ok((next, _, want_events)) => {
                self.stats.ok += 1;
                if matches!(call, Call::SettleDue(_)) {
                    let order: Vec<u8> = events
                        .iter()
                        .filter_map(|e| match e {
                            Ev::MilestoneReleased(e) => Some(e.index),
                            Ev::MilestoneRefunded(e) => Some(e.index),
                            Ev::DisputeResolved(e) => Some(e.index),
                            _ => None,
                        })
                        .collect();
                    if order.windows(2).any(|w| w[1] < w[0]) {
                        self.stats.second_walks += 1;
                    }
                }
                self.ensure_eq(
                    &events,
                    &want_events,
                    &format!("{}: events differ from the model", call.name()),
                );
                self.m = next;
                let advance_paid = events.iter().any(|e| {
                    matches!(e, Ev::MilestoneReleased(r) if r.index == 0 && r.via == ReleaseVia::Advance)
                });
                // Once a pending milestone's ship-by has passed, the buyer's refund of its
                // funded part is never paid to the seller without the buyer's action (the
                // bug this model found; `regress_advance_after_ship_by_takes_buyers_refund`).
                if advance_paid && refund_owed.is_some_and(|owed| owed > 0) {
                    self.stats.refund_taken += 1;
                    self.fail(
                        "advance release after ship-by paid the buyer's refund to the seller",
                    );
                }
            }
            Err(err) => {
                self.stats.err += 1;
                self.stray += value;
                *self.stats.errors.entry(error_name(&err)).or_default() += 1;
                self.ensure(events.is_empty(), || {
                    format!("{}: failing call emitted {events:?}", call.name())
                });
                let now = contract_snap(&self.c);
                self.ensure_same_snap(
                    &now,
                    &self.prev,
                    &format!("{}: failing call changed the contract's state", call.name()),
                );
            }
        }
        self.record_events(&events);
        self.after_step();
        self.check_flows(caller, value, &call, &got, &events, &before, &saved);
        got
    }

    /// Every asset's holdings moved exactly as the call's events say (on the contract's
    /// own reads, not the model): deposits from the depositor, releases and the seller's
    /// part of splits to the payee the event names, fees to the fee recipient, refunds and
    /// the buyer's part of splits to the deal's buyer, withdrawals to their target, deferred
    /// payouts kept by the escrow, each in the asset of its deal, and nothing in any other
    /// asset. A failing call moved nothing but the value it was sent (kept off-chain).
    /// Checked for native and for a token honest during the call (the ledger of a token that
    /// lies or delivers less is the model comparison's to check).
    #[allow(clippy::too_many_arguments)]
    fn check_flows(
        &mut self,
        caller: AccountId,
        value: Balance,
        call: &Call,
        got: &Result<Out, Error>,
        events: &[Ev],
        before: &Ledgers,
        saved: &BTreeMap<AccountId, mock::Ledger>,
    ) {
        let me = contract_acct();
        let mut want = Deltas::new();
        let mut mv = |asset: Asset, from: AccountId, to: AccountId, amount: Balance| {
            *want.entry((asset, from)).or_default() -= amount as i128;
            *want.entry((asset, to)).or_default() += amount as i128;
        };
        if got.is_err() {
            mv(Asset::Native, caller, me, value);
        }
        let fee = self.prev.config.fee_recipient;
        // The deal as read before the call (its asset and buyer never change).
        let deal = |id: DealId| {
            self.prev_deals
                .get(id.0 as usize)
                .cloned()
                .flatten()
                .expect("event of a deal")
                .deal
        };
        for ev in events {
            match ev {
                Ev::DealFunded(e) => mv(deal(e.deal_id).asset, e.funder, me, e.amount),
                Ev::MilestoneReleased(e) => {
                    let a = deal(e.deal_id).asset;
                    mv(a, me, e.payee, e.amount);
                    mv(a, me, fee, e.fee);
                }
                Ev::MilestoneRefunded(e) => mv(deal(e.deal_id).asset, me, e.buyer, e.amount),
                Ev::DisputeResolved(e) => {
                    let d = deal(e.deal_id);
                    mv(d.asset, me, e.payee, e.to_seller);
                    mv(d.asset, me, fee, e.fee);
                    mv(d.asset, me, d.buyer, e.to_buyer);
                }
                // The payment did not happen: the escrow keeps it, owed to the account.
                Ev::PayoutDeferred(e) => mv(e.asset, e.account, me, e.amount),
                Ev::Withdrawn(e) => mv(e.asset, me, e.to, e.amount),
                _ => {}
            }
        }
        want.retain(|_, d| *d != 0);
        let got_deltas = deltas(before, &self.ledgers);
        let checked = |asset: &Asset| match asset {
            Asset::Native => true,
            Asset::Psp22(t) => saved.get(t).is_some_and(|l| l.mode == mock::Mode::Honest),
        };
        let want: Deltas = want.into_iter().filter(|(k, _)| checked(&k.0)).collect();
        let have: Deltas = got_deltas
            .into_iter()
            .filter(|(k, _)| checked(&k.0))
            .collect();
        if have != want {
            let show = |d: &Deltas| {
                d.iter()
                    .map(|((a, who), x)| format!("{}:{}{:+}", asset_name(*a), caller_name(*who), x))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            self.fail(&format!(
                "{}: money moved otherwise than its events say\n  moved: {}\n  events: {}",
                call.name(),
                show(&have),
                show(&want)
            ));
        }
        if got.is_ok() {
            let touched: std::collections::BTreeSet<bool> =
                want.keys().map(|(a, _)| *a != Asset::Native).collect();
            for token in touched {
                if token {
                    self.stats.flows_checked.1 += 1;
                } else {
                    self.stats.flows_checked.0 += 1;
                }
            }
        }
    }

    /// A funder approves the escrow for `amount` on `token` (the token's own message).
    pub(super) fn approve_tokens(&mut self, token: AccountId, owner: AccountId, amount: Balance) {
        let Some(t) = self.m.tokens.get_mut(&token) else {
            // No token contract there: nothing to approve.
            return self.advance(0);
        };
        t.allowances.insert((owner, contract_acct()), amount);
        mock::approve(token, owner, contract_acct(), amount);
        self.trace.push(format!(
            "t={} {} approves the escrow for {amount} on {}",
            self.m.now,
            caller_name(owner),
            caller_name(token)
        ));
        self.after_step();
    }

    /// The moody token changes its behaviour.
    pub(super) fn token_mode(&mut self, mode: mock::Mode) {
        if let Some(t) = self.m.tokens.get_mut(&token_b()) {
            if t.mode == mode {
                return self.advance(0);
            }
            t.mode = mode;
        }
        mock::set_mode(token_b(), mode);
        self.trace
            .push(format!("t={} tokB now {mode:?}", self.m.now));
        self.after_step();
    }

    /// Tokens sent to the escrow by a plain token transfer: surplus no deal accounts for.
    pub(super) fn force_tokens(&mut self, token: AccountId, amount: Balance) {
        mock::mint(token, contract_acct(), amount);
        if let Some(t) = self.m.tokens.get_mut(&token) {
            *t.balances.entry(contract_acct()).or_default() += amount;
        }
        *self.m.surplus.entry(token).or_default() += amount;
        self.trace.push(format!(
            "t={} forced transfer of {amount} {} into the contract",
            self.m.now,
            caller_name(token)
        ));
        self.after_step();
    }

    /// Moves the clock on by `ms`, in a new block (so trails link blocks both ways: calls
    /// between two clock moves share a block).
    pub(super) fn advance(&mut self, ms: u64) {
        self.m.now += ms;
        test::advance_block::<Env>();
        self.m.block += 1;
        test::set_block_timestamp::<Env>(self.m.now);
        if ms > 0 {
            self.trace.push(format!("t={} clock +{ms}", self.m.now));
        }
        self.after_step();
    }

    pub(super) fn force_transfer(&mut self, amount: Balance) {
        let from = acct(POOL - 1);
        test::set_caller::<Env>(from);
        test::transfer_in::<Env>(amount);
        test::set_value_transferred::<Env>(0);
        self.m.move_balance(from, contract_acct(), amount);
        self.stray += amount;
        self.trace.push(format!(
            "t={} forced transfer of {amount} into the contract",
            self.m.now
        ));
        self.after_step();
    }

    pub(super) fn record_events(&mut self, events: &[Ev]) {
        for ev in events {
            *self.stats.events.entry(ev.name()).or_default() += 1;
            let watch = &mut self.delivered_since_cancel;
            match ev {
                Ev::CancellationProposed(e) => {
                    watch.insert(e.deal_id.0, Default::default());
                }
                Ev::MilestoneSubmitted(MilestoneSubmitted { deal_id, index, .. })
                | Ev::MilestoneAttested(MilestoneAttested { deal_id, index, .. }) => {
                    if let Some(set) = watch.get_mut(&deal_id.0) {
                        set.insert(*index);
                    }
                }
                Ev::CancellationWithdrawn(CancellationWithdrawn {
                    deal_id,
                    voided_by: Some(_),
                    ..
                }) => {
                    *self
                        .stats
                        .events
                        .entry("CancellationWithdrawn(voided)")
                        .or_default() += 1;
                    watch.remove(&deal_id.0);
                }
                Ev::CancellationWithdrawn(CancellationWithdrawn { deal_id, .. })
                | Ev::DealCancelled(DealCancelled { deal_id, .. })
                | Ev::DealClosed(DealClosed { deal_id, .. }) => {
                    watch.remove(&deal_id.0);
                }
                Ev::DealProposed(e) => {
                    *self
                        .stats
                        .events
                        .entry(match e.terms.asset {
                            Asset::Native => "DealProposed(native)",
                            _ => "DealProposed(token)",
                        })
                        .or_default() += 1;
                }
                Ev::MilestoneReleased(MilestoneReleased {
                    deal_id,
                    payee,
                    index,
                    ..
                })
                | Ev::DisputeResolved(DisputeResolved {
                    deal_id,
                    payee,
                    index,
                    ..
                }) => {
                    // The seller's side goes to the milestone's payee at that moment.
                    let was = self
                        .prev
                        .milestones
                        .get(deal_id.0 as usize)
                        .and_then(|v| v.get(usize::from(*index)))
                        .cloned()
                        .flatten()
                        .map(|v| v.payee);
                    self.ensure(was == Some(*payee), || {
                        format!(
                            "deal {} milestone {index}: paid to {}, its payee was {:?}",
                            deal_id.0,
                            caller_name(*payee),
                            was.map(caller_name)
                        )
                    });
                    let seller = self.c.deal(*deal_id).map(|v| v.deal.seller);
                    if seller != Some(*payee) {
                        *self.stats.events.entry("paid to an assignee").or_default() += 1;
                    }
                }
                Ev::PayoutDeferred(e) => {
                    // A deal's payouts only ever move its own asset.
                    let asset = self.c.deal(e.deal_id).map(|v| v.deal.asset);
                    self.ensure(asset == Some(e.asset), || {
                        format!(
                            "deal {}: payout deferred in {:?}, the deal is in {asset:?}",
                            e.deal_id.0, e.asset
                        )
                    });
                }
                Ev::ReceivableAssigned(e) => self.assigned.push(e.clone()),
                Ev::MilestoneRefunded(e) => {
                    *self
                        .stats
                        .events
                        .entry(match e.reason {
                            RefundReason::ShipByMissed => "MilestoneRefunded(ShipByMissed)",
                            RefundReason::FundingClosed => "MilestoneRefunded(FundingClosed)",
                            RefundReason::FundingDeadlinePassed => {
                                "MilestoneRefunded(FundingDeadlinePassed)"
                            }
                            RefundReason::Cancelled => "MilestoneRefunded(Cancelled)",
                        })
                        .or_default() += 1;
                    let delivered = watch
                        .get(&e.deal_id.0)
                        .is_some_and(|s| s.contains(&e.index));
                    self.ensure(!(e.reason == RefundReason::Cancelled && delivered), || {
                        format!(
                            "deal {} milestone {}: a cancellation refunded a milestone delivered after it was proposed",
                            e.deal_id.0, e.index
                        )
                    });
                    // Refunds always go to the buyer.
                    let buyer = self.c.deal(e.deal_id).map(|v| v.deal.buyer);
                    self.ensure(buyer == Some(e.buyer), || {
                        format!(
                            "deal {}: refund to {:?}, not the buyer",
                            e.deal_id.0, e.buyer
                        )
                    });
                }
                _ => {}
            }
            let (id, f) = match ev {
                Ev::DealFunded(e) => {
                    // Only the buyer or the funder the terms name deposits.
                    let d = self.c.deal(e.deal_id).map(|v| v.deal);
                    self.ensure(
                        d.as_ref()
                            .is_some_and(|d| e.funder == d.buyer || Some(e.funder) == d.funder),
                        || {
                            format!(
                                "deal {}: deposit by {}, neither buyer nor funder",
                                e.deal_id.0,
                                caller_name(e.funder)
                            )
                        },
                    );
                    let s = self.sums.entry(e.deal_id.0).or_default();
                    s.funded += e.amount;
                    let funded = s.funded;
                    self.ensure(e.deposited == funded, || {
                        format!(
                            "DealFunded.deposited {} != Σ deposits {funded}",
                            e.deposited
                        )
                    });
                    continue;
                }
                Ev::MilestoneReleased(e) => (e.deal_id.0, (e.index, e.amount, e.fee, 0)),
                Ev::MilestoneRefunded(e) => (e.deal_id.0, (e.index, 0, 0, e.amount)),
                Ev::DisputeResolved(e) => (e.deal_id.0, (e.index, e.to_seller, e.fee, e.to_buyer)),
                _ => continue,
            };
            let s = self.sums.entry(id).or_default();
            s.to_seller += f.1;
            s.fees += f.2;
            s.to_buyer += f.3;
            *s.settles.entry(f.0).or_default() += 1;
        }
    }

    /// Compares the contract with the model and checks the invariants.
    pub(super) fn after_step(&mut self) {
        self.stats.steps += 1;
        let cur = contract_snap(&self.c);
        let want = self.m.snap();
        self.ensure_same_snap(&cur, &want, "contract state differs from the model");
        self.ledgers = ledgers();
        for a in tracked() {
            let got = self.ledgers[&(Asset::Native, a)];
            let want = self.m.bal(a);
            self.ensure(got == want, || {
                format!("balance of {}: chain {got}, model {want}", caller_name(a))
            });
        }
        // Every token's whole ledger (balances, allowances, mode) equals the model's.
        let tokens = mock::save();
        for t in installed() {
            let got = tokens
                .get(&t)
                .map(|l| normal(l.mode, &l.balances, &l.allowances));
            let want = self
                .m
                .tokens
                .get(&t)
                .map(|m| normal(m.mode, &m.balances, &m.allowances));
            self.ensure_eq(
                &got,
                &want,
                &format!("{}'s ledger differs from the model", caller_name(t)),
            );
        }
        self.ensure(
            mock::balance_of(token_none(), contract_acct()).is_none(),
            || "the no-contract token has a ledger".into(),
        );
        self.check_invariants(&cur);
        self.assigned.clear();
        self.prev_deals = std::mem::replace(&mut self.prev, cur).deals;
    }

    /// The invariants, checked on the contract's own reads (not the model).
    pub(super) fn check_invariants(&self, cur: &Snap) {
        // Per asset: Σ locked of the deals in it.
        let mut owed: BTreeMap<Asset, Balance> = BTreeMap::new();
        for (n, view) in cur.deals.iter().enumerate() {
            let Some(view) = view else {
                self.ensure(n as u64 == cur.deal_count, || format!("deal {n} missing"));
                continue;
            };
            let d = &view.deal;
            let paid = d
                .released
                .checked_add(d.fees)
                .and_then(|x| x.checked_add(d.refunded));
            self.ensure(paid.is_some_and(|p| p <= d.deposited), || {
                format!("deal {n}: released + fees + refunded exceeds deposited: {d:?}")
            });
            self.ensure(view.locked + paid.unwrap_or(0) == d.deposited, || {
                format!("deal {n}: deposited != released + fees + refunded + locked: {view:?}")
            });
            self.ensure(d.deposited <= d.total, || {
                format!("deal {n}: deposited > total")
            });
            self.ensure(
                d.settled_count <= d.milestone_count && d.milestone_count <= MAX_MILESTONES,
                || format!("deal {n}: counts {d:?}"),
            );
            let k = usize::from(d.oracle_threshold);
            self.ensure(
                (d.oracles.is_empty() && k == 0)
                    || (0 < k
                        && k <= d.oracles.len()
                        && d.oracles.len() <= usize::from(MAX_ORACLES)),
                || format!("deal {n}: oracle threshold {d:?}"),
            );
            if matches!(d.status, DealStatus::Proposed | DealStatus::Withdrawn) {
                self.ensure(d.deposited == 0, || {
                    format!("deal {n}: deposit before acceptance")
                });
            }
            *owed.entry(d.asset).or_default() += view.locked;

            let views = &cur.milestones[n];
            self.ensure(
                views.len() == usize::from(d.milestone_count) + 1 && views.last() == Some(&None),
                || format!("deal {n}: milestone records do not match milestone_count"),
            );
            let ms: Vec<&MilestoneView> = views.iter().flatten().collect();
            self.ensure(ms.len() == usize::from(d.milestone_count), || {
                format!("deal {n}: missing milestone")
            });
            let mut terminal = 0u8;
            let mut unsettled_cover: Balance = 0;
            let mut sum: Balance = 0;
            let sums = self.sums.get(&(n as u64)).cloned().unwrap_or_default();
            for (k, mv) in ms.iter().enumerate() {
                let m = &mv.milestone;
                self.ensure(m.funded_from == sum, || {
                    format!("deal {n} milestone {k}: funded_from")
                });
                sum += m.amount;
                let settles = sums.settles.get(&(k as u8)).copied().unwrap_or(0);
                if settled(m.status) {
                    terminal += 1;
                    let o = m.outcome.unwrap_or_else(|| {
                        self.fail(&format!("deal {n} milestone {k}: no outcome"))
                    });
                    let total = o.to_seller + o.fee + o.to_buyer;
                    self.ensure(total <= m.amount, || {
                        format!("deal {n} milestone {k}: outcome exceeds amount")
                    });
                    if m.status != MilestoneStatus::Refunded {
                        self.ensure(total == m.amount, || {
                            format!("deal {n} milestone {k}: outcome != amount")
                        });
                    }
                    self.ensure(settles == 1, || {
                        format!("deal {n} milestone {k}: settled {settles} times")
                    });
                } else {
                    unsettled_cover += mv.covered;
                    self.ensure(m.outcome.is_none() && settles == 0, || {
                        format!("deal {n} milestone {k}: paid but not terminal")
                    });
                }
                // Forward-only, and a terminal milestone never changes again (its payee
                // included: assignment never touches a settled milestone).
                match self.prev.milestones.get(n).map(|v| v.get(k)) {
                    Some(Some(Some(before))) => {
                        let (a, b) = (before.milestone.status, m.status);
                        self.ensure(ms_step_ok(a, b), || {
                            format!("deal {n} milestone {k}: {a:?} -> {b:?}")
                        });
                        if settled(a) {
                            self.ensure(before.milestone == *m && before.payee == mv.payee, || {
                                format!("deal {n} milestone {k}: terminal record changed")
                            });
                        }
                        // A payee changes only by an assignment of a range holding it.
                        if before.payee != mv.payee {
                            self.ensure(
                                !settled(a)
                                    && self.assigned.iter().any(|e| {
                                        e.deal_id.0 == n as u64
                                            && usize::from(e.from_index) <= k
                                            && e.to == mv.payee
                                    }),
                                || format!("deal {n} milestone {k}: payee changed without an assignment"),
                            );
                        }
                    }
                    _ => {
                        // A new milestone is paid to the seller.
                        self.ensure(mv.payee == d.seller, || {
                            format!("deal {n} milestone {k}: first payee is not the seller")
                        });
                    }
                }
            }
            self.ensure(sum == d.total, || format!("deal {n}: Σ amounts != total"));
            self.ensure(terminal == d.settled_count, || {
                format!("deal {n}: settled_count != terminal milestones")
            });
            self.ensure(
                (terminal == d.milestone_count) == (d.status == DealStatus::Closed),
                || format!("deal {n}: closed iff all settled ({d:?})"),
            );
            self.ensure(view.locked == unsettled_cover, || {
                format!(
                    "deal {n}: locked {} != Σ covered of unsettled milestones {unsettled_cover}",
                    view.locked
                )
            });
            if let Some(Some(before)) = self.prev.deals.get(n) {
                let (a, b) = (before.deal.status, d.status);
                self.ensure(deal_step_ok(a, b), || format!("deal {n}: {a:?} -> {b:?}"));
            }
            // The events' money adds up to the deal's totals.
            self.ensure(sums.funded == d.deposited, || {
                format!("deal {n}: Σ DealFunded != deposited")
            });
            self.ensure(sums.to_seller == d.released && sums.fees == d.fees, || {
                format!("deal {n}: Σ released events {sums:?} != released/fees {d:?}")
            });
            self.ensure(sums.to_buyer == d.refunded, || {
                format!("deal {n}: Σ refund events != refunded")
            });
        }
        // An assignment moved every unsettled milestone of its range to its assignee.
        for e in &self.assigned {
            let ms = &cur.milestones[e.deal_id.0 as usize];
            let open: Vec<&MilestoneView> = ms
                .iter()
                .flatten()
                .filter(|v| v.index >= e.from_index && !settled(v.milestone.status))
                .collect();
            self.ensure(
                open.len() == usize::from(e.count) && open.iter().all(|v| v.payee == e.to),
                || format!("{e:?}: the range's unsettled milestones are not all assigned"),
            );
        }
        // Native: the contract holds exactly what it owes, plus the stray value no deal
        // accounts for.
        let native_owed =
            owed.get(&Asset::Native).copied().unwrap_or(0) + cur.claimable.iter().sum::<Balance>();
        let balance = chain_balance(contract_acct());
        self.ensure(balance >= native_owed, || {
            format!("contract balance {balance} < Σ locked + Σ claimable {native_owed}")
        });
        self.ensure(balance == native_owed + self.stray, || {
            format!(
                "contract balance {balance} != Σ locked + Σ claimable {native_owed} + stray {}",
                self.stray
            )
        });
        // A deal in an address without a token contract never holds anything (its deposits
        // fail), and no deal is in any other asset.
        for (asset, locked) in &owed {
            let known = match asset {
                Asset::Native => true,
                Asset::Psp22(t) => installed().contains(t),
            };
            self.ensure(known || *locked == 0, || {
                format!("{locked} locked in {}", asset_name(*asset))
            });
        }
        // Per token: the contract's token balance covers Σ locked of the token's deals +
        // Σ claimable in the token; equal but for the surplus the model counts (what a lying
        // token reported paid and kept, a withdrawal to the escrow itself, tokens sent
        // straight to it).
        let tokens = installed();
        for (j, t) in tokens.iter().enumerate() {
            let asset = Asset::Psp22(*t);
            let claim: Balance = cur
                .token_claimable
                .iter()
                .skip(j)
                .step_by(tokens.len())
                .sum();
            let owed = owed.get(&asset).copied().unwrap_or(0) + claim;
            let balance = mock::balance_of(*t, contract_acct()).unwrap_or(0);
            let surplus = self.m.surplus.get(t).copied().unwrap_or(0);
            self.ensure(balance >= owed, || {
                format!(
                    "{}: contract balance {balance} < Σ locked + Σ claimable {owed}",
                    caller_name(*t)
                )
            });
            self.ensure(balance == owed + surplus, || {
                format!(
                    "{}: contract balance {balance} != Σ locked + Σ claimable {owed} + surplus {surplus}",
                    caller_name(*t)
                )
            });
        }
    }
}
