//! Model-based property test of the milestone escrow.
//!
//! A small pure-Rust reference model of the rules (written from the crate docs and the
//! messages' `# Errors` sections, not from the contract's helpers) runs side by side with the
//! contract in the off-chain environment. Random sequences of operations, callers and clock
//! moves are applied to both; after every step the test asserts that:
//!
//! - the contract returned exactly what the model returned (same `Ok` value, or the same
//!   `Error` variant including its fields, so the order of the checks is the documented
//!   one), and emitted exactly the model's events, in the model's order;
//! - every deal view, milestone view, claimable balance, account index and account balance
//!   equals the model's;
//! - a failing message changed nothing observable (the off-chain engine does not revert
//!   storage on `Err`, so this checks the contract's checks-before-effects promise);
//! - the invariants hold, on the contract's own reads: the contract balance equals
//!   Σ locked + Σ claimable + the stray value no deal accounts for (forced transfers, value
//!   sent with a failing call); per deal `deposited == released + fees + refunded + locked`,
//!   `deposited <= total`, `locked == Σ covered of unsettled milestones`,
//!   `settled_count == #terminal milestones`, closed iff every milestone is settled; each
//!   milestone settles at most once (events and records); deal and milestone states only
//!   move forward; a terminal milestone never changes again; the events' money adds up to
//!   each deal's totals;
//! - only the buyer or the funder the terms name deposits (every `DealFunded`), and every
//!   refund goes to the buyer;
//! - a cancellation never refunds a milestone submitted or attested after it was proposed
//!   (checked on the events: such a submission or attestation voids the proposal).
//!
//! **Assets and receivables (issue 15).** Proposals pick their asset: native (about 40%),
//! the honest token `tokA` or the moody token `tokB` (about 30% each), rarely a token address
//! with no contract behind it (the deposit fails, `TransferFailed`), the zero account or the
//! escrow itself (`InvalidAsset`). The tokens are `crate::token::mock` ledgers, installed at
//! the start of every sequence with every pool account holding some of each (one account
//! only a little, so its deposits can run short). `tokA` stays honest; `tokB`'s behaviour
//! flips between honest, reverting, lying (reports success, moves nothing) and delivering
//! less (`DeliverLess` of 1, 100 or 10,000 bps; 1 bps rounds to nothing below 10,000
//! units). The model holds its own PSP22 ledgers, written from those modes' documented
//! behaviour (`tokens.rs`), and compares them with the mock's after every step: every
//! balance, every allowance, the mode. Generated operations add: approvals of the escrow
//! (exactly what completes the next milestone, one less, more, all that is left, zero);
//! deposits in the deal's asset (`fund` with value, or an approval then `fund_tokens`) by the
//! buyer, the funder, the seller or anyone, with amounts around what is left, and sometimes
//! the other asset's message (`WrongAsset`) or value with `accept` on a token deal
//! (`UnexpectedValue`); `withdraw_tokens` by holders of a token claimable (or anyone) to
//! themselves, another account, the zero account or the escrow; `assign` by the seller, the
//! current payee (an assignee) or anyone, from any milestone, to the factor account, a pool
//! account, the seller, the zero account or the escrow; mode flips; tokens sent straight to
//! the escrow. Besides the model's results, events (`MilestoneReleased.payee`,
//! `DisputeResolved.payee`, `PayoutDeferred.asset`, `Withdrawn.asset`,
//! `ReceivableAssigned`), claimables per account and asset, and `MilestoneView.payee`, the
//! test asserts, on the contract's own reads:
//!
//! - per asset: the native balance as above; for each token, the escrow's token balance
//!   ≥ Σ locked of the deals in it + Σ claimable in it, equal but for the surplus the model
//!   counts (what a lying token reported paid and kept, a withdrawal to the escrow itself,
//!   tokens sent straight to it): equality for an honest token nobody sent tokens to;
//! - conservation per deal in its asset (the identities above hold for token deals), and
//!   every call's money moved exactly as its events say, in every asset: deposits from the
//!   depositor, releases and the seller's part of splits to the payee the event names, fees
//!   to the fee recipient, refunds and the buyer's part of splits to the deal's buyer,
//!   withdrawals to their target, deferred payouts kept by the escrow, all in the deal's
//!   asset and nothing in any other (checked for native and for a token honest during the
//!   call); a deferred payout is in its deal's asset;
//! - a release or a split pays the seller's side to the milestone's payee at that moment
//!   (its `payee` read before the call); a payee starts as the seller and changes only by an
//!   assignment of a range holding it, which moves every unsettled milestone of the range;
//!   settled milestones never change, their payee included;
//! - a failing call changes no token ledger either. A chain reverts the token's state with a
//!   call that returns `Err` (a deposit the token delivered short, say); the off-chain engine
//!   does not, so the harness saves the mock's ledgers (`mock::save`) before every call and
//!   puts them back (`mock::restore`) when the contract returns `Err`, emulating the revert of
//!   the whole call tree. For the same reason, when the token refuses a `withdraw_tokens`,
//!   whose credit is taken and `Withdrawn` emitted before the token's transfer (the chain
//!   reverts both), the harness checks those are the only traces and restores the credit.
//!
//! The rules of issue 14 are all in the model and its generated operations:
//! - the stale-cancellation rule: `submit` and `attest` void a pending cancellation
//!   (`CancellationWithdrawn` with `voided_by`), its proposer may `withdraw_cancel`;
//! - the refund clock on every milestone: terms carry a ship-by for each (`ShipByInPast`
//!   otherwise), a pending milestone past it refunds the buyer, and amendments move it by
//!   two-party consent, never once it has passed (`ShipByPassed`);
//! - the funding clock: terms carry a `fund_by` (`FundByInPast`); after it the proposal
//!   can no longer be accepted and no deposit is taken (`FundingDeadlinePassed`), and
//!   milestones not fully funded lapse to the buyer (`RefundReason::FundingDeadlinePassed`)
//!   while funded ones carry on;
//! - who may fund: the buyer or the named funder (`CallerIsNotFunder`); deposits are
//!   generated from the buyer, the funder, the seller and strangers;
//! - amendment proposals can be withdrawn (`withdraw_amendment`);
//! - the arbitration window: offers, acceptances and rulings are refused once it ended
//!   (`ArbitrationWindowClosed`, its end inclusive), when only the fallback is left;
//! - `settle_due` settles everything due in one call, including milestones that became due
//!   because a lapse earlier in the same call closed funding; `withdraw_to`.
//!
//! Terms are generated with and without a funder, with fund-by before, between and after
//! the ship-bys, and clock moves land on and just past fund-bys, ship-bys, review and
//! arbitration ends.
//!
//! **Liveness.** At the end of every sequence the clock jumps past every deadline of every
//! deal (each fund-by, each current ship-by, amendments included, plus the review and
//! arbitration windows a submission by then could open), and from then on only a stranger
//! (an account that is no party, oracle, arbiter or funder of any deal) calls. The property:
//! *after every deadline of a deal has passed, one `settle_due` call by a stranger settles
//! every open milestone of it, leaving zero locked funds, without any party, oracle or
//! arbiter.* The test asserts that one call per open deal returns the number of open
//! milestones and closes the deal, that every deal's locked amount is then zero, and that
//! the contract's balance is then Σ claimable (plus the stray value). Token deals included:
//! the moody token behaves during the drive as the sequence draws (mostly refusing), a payout
//! it refuses becomes claimable (`PayoutDeferred`) without holding up the rest, and each
//! token's balance in the escrow is then Σ claimable in it plus its surplus. Then every
//! holder withdraws its token claimable: while the token still reverts the withdrawal fails
//! (`TransferFailed`) and the credit stays; once the token pays again it comes out. Nothing
//! was lost, and the escrow keeps exactly the surplus.
//!
//! Not covered here: native transfers the chain refuses. The off-chain engine never refuses
//! one (no existential deposit), so native deferred payouts, `withdraw_to` of a real credit,
//! `ContractBalanceTooLow` and native `TransferFailed` are the unit and on-chain tests' to
//! cover; token refusals are covered here through the mock. Nor are the mock's own rules
//! (its modes are the environment the model reproduces), a token that re-enters (the mock
//! cannot call the escrow; on chain a refused re-entry is a failed transfer, which
//! `Revert` stands for), gas limits on token calls, or balances near `u128::MAX` in tokens.
//!
//! CI runs `MODEL_CASES` sequences (default 256) of 50 steps, split over one thread per core.
//! The big run (10,000 × 50):
//!
//! ```text
//! MODEL_CASES=10000 cargo test -p milestone_escrow --lib model:: -- --nocapture
//! ```
//!
//! (`--release` makes it faster to run, but its first build compiles ink_e2e's tree, a
//! dev-dependency, in release. The release profile keeps overflow checks on.) A summary line
//! with totals and per-operation counts is printed at the end.
//!
//! The files: `calls` (the calls and events both sides see), `books` (the model's state and
//! shared steps), `rules` (each message's checks in the model), `tokens` (the model's token
//! ledgers), `strategies` (generated operations), `harness` (one call on both sides,
//! compared), `ops` (an operation made concrete), `guided` (steps that move deals along, and
//! the liveness drive).
mod books;
mod calls;
mod guided;
mod harness;
mod ops;
mod rules;
mod strategies;
mod tokens;

use self::{books::*, calls::*, harness::*, strategies::*, tokens::*};
use crate::milestone_escrow::MilestoneEscrow;
use crate::token::mock;
use escrow_types::*;
use ink::env::{test, DefaultEnvironment as Env};
use ink::primitives::AccountId;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

// ---------------------------------------------------------------------------- accounts

/// Accounts that play every role: alice..frank (0x01..0x06) and four more (0x07..0x0a).
const POOL: usize = 10;
const START_BALANCE: Balance = 1_000_000_000_000;
const STEPS: usize = 50;
const START_TIME: Timestamp = 1_000;

fn acct(i: usize) -> AccountId {
    let accounts = test::default_accounts::<Env>();
    match i % POOL {
        0 => accounts.alice,
        1 => accounts.bob,
        2 => accounts.charlie,
        3 => accounts.django,
        4 => accounts.eve,
        5 => accounts.frank,
        n => AccountId::from([(n + 1) as u8; 32]),
    }
}
fn zero_acct() -> AccountId {
    AccountId::from([0u8; 32])
}
fn contract_acct() -> AccountId {
    AccountId::from([0xCC; 32])
}
fn fee_acct() -> AccountId {
    AccountId::from([0xFE; 32])
}
/// An account that takes no part in any deal: the liveness drive's only caller.
fn stranger_acct() -> AccountId {
    AccountId::from([0x5A; 32])
}
/// The factor receivables are assigned to (it holds nothing at first and has no role).
fn factor_acct() -> AccountId {
    AccountId::from([0xFA; 32])
}
/// Every account whose balance, claimable and deal index the test compares.
fn tracked() -> Vec<AccountId> {
    let mut v: Vec<AccountId> = (0..POOL).map(acct).collect();
    v.push(zero_acct());
    v.push(fee_acct());
    v.push(contract_acct());
    v.push(stranger_acct());
    v.push(factor_acct());
    v
}

// ---------------------------------------------------------------------------- the test

fn run_case(fee: (u16, u8), ops: &[Op], far: bool, liveness_mode: mock::Mode) {
    test::run_test::<Env, _>(|_| {
        // A fresh engine: the contract lives at its own account with an empty balance, and
        // every pool account can pay.
        test::set_callee::<Env>(contract_acct());
        test::set_account_balance::<Env>(contract_acct(), 0);
        for i in 0..POOL {
            test::set_account_balance::<Env>(acct(i), START_BALANCE);
        }
        test::set_block_timestamp::<Env>(START_TIME);
        test::set_caller::<Env>(acct(0));
        test::set_value_transferred::<Env>(0);
        // The tokens (a per-thread ledger: reset for every sequence), every pool account
        // holding some of each.
        mock::restore(Default::default());
        for t in installed() {
            mock::install(t, mock::Mode::Honest);
            for i in 0..POOL {
                mock::mint(t, acct(i), start_tokens(i));
            }
        }

        let recipient = match fee.1 {
            10 => fee_acct(),
            11 => zero_acct(),
            12 => contract_acct(),
            n => acct(usize::from(n)),
        };
        let c = match (
            MilestoneEscrow::new(recipient, fee.0),
            Model::new(recipient, fee.0),
        ) {
            (Ok(c), Ok(_)) => c,
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "constructor error differs from the model");
                MilestoneEscrow::new(fee_acct(), fee.0.min(MAX_FEE_BPS)).expect("valid constructor")
            }
            (a, b) => panic!(
                "constructor: contract {:?}, model {:?}",
                a.map(|_| ()),
                b.map(|_| ())
            ),
        };
        let cfg = c.config();
        let model = Model::new(cfg.fee_recipient, cfg.fee_bps).expect("model");
        let prev = contract_snap(&c);
        let mut h = Harness {
            c,
            m: model,
            prev,
            events_seen: test::recorded_events().count(),
            sums: BTreeMap::new(),
            trace: vec![format!(
                "fee_bps={} fee_recipient={}",
                cfg.fee_bps,
                caller_name(cfg.fee_recipient)
            )],
            stats: Stats::default(),
            in_liveness: false,
            stray: 0,
            delivered_since_cancel: BTreeMap::new(),
            assigned: Vec::new(),
            ledgers: Ledgers::new(),
            prev_deals: Vec::new(),
        };
        h.after_step();
        h.stats.steps = 0;
        for op in ops {
            h.run_op(op);
        }
        let random_steps = h.stats.steps;
        let (random_ok, random_err) = (h.stats.ok, h.stats.err);
        h.liveness(far, liveness_mode);
        let mut guard = STATS.lock().unwrap_or_else(|e| e.into_inner());
        let totals = guard.get_or_insert_with(Stats::default);
        totals.sequences += 1;
        totals.steps += random_steps;
        totals.ok += random_ok;
        totals.err += random_err;
        // The token withdrawals after the drive are no liveness calls.
        totals.liveness_ok += h.stats.ok - random_ok - h.stats.recovered;
        totals.liveness_calls += h.stats.liveness_calls;
        totals.deals_driven += h.stats.deals_driven;
        totals.deals_ended += h.stats.deals_ended;
        totals.liveness_settled += h.stats.liveness_settled;
        totals.refund_taken += h.stats.refund_taken;
        totals.second_walks += h.stats.second_walks;
        totals.reverted_withdrawals += h.stats.reverted_withdrawals;
        totals.recovered += h.stats.recovered;
        totals.flows_checked.0 += h.stats.flows_checked.0;
        totals.flows_checked.1 += h.stats.flows_checked.1;
        for (k, v) in h.stats.per_op {
            let e = totals.per_op.entry(k).or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
        for (k, v) in h.stats.errors {
            *totals.errors.entry(k).or_default() += v;
        }
        for (k, v) in h.stats.events {
            *totals.events.entry(k).or_default() += v;
        }
        Ok(())
    })
    .expect("off-chain test environment");
}

#[test]
fn model_based_sequences() {
    let cases: u32 = std::env::var("MODEL_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    // The sequences are independent and the off-chain environment is per thread: shard them
    // over the machine's cores (each shard its own runner, so a failure still shrinks).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(cases.max(1) as usize) as u32;
    let config = ProptestConfig {
        failure_persistence: None,
        // Each shrinking attempt replays a whole sequence: bound the effort.
        max_shrink_iters: 2_000,
        max_shrink_time: 180_000,
        ..ProptestConfig::default()
    };
    *STATS.lock().unwrap_or_else(|e| e.into_inner()) = Some(Stats::default());
    // Proptest catches each failing run's panic and reports the minimal one; keep the
    // default hook from printing every shrinking attempt (only on the shards' threads).
    let default_hook = std::sync::Arc::new(std::panic::take_hook());
    let hook = default_hook.clone();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.with(|q| q.get()) {
            hook(info)
        }
    }));
    let start = Instant::now();
    let results: Vec<_> = std::thread::scope(|scope| {
        let shards: Vec<_> = (0..threads)
            .map(|i| {
                let config = ProptestConfig {
                    cases: cases / threads + u32::from(i < cases % threads),
                    ..config.clone()
                };
                scope.spawn(move || {
                    QUIET.with(|q| q.set(true));
                    let strategy = (fee_s(), ops_s(), any::<bool>(), liveness_mode_s());
                    TestRunner::new(config).run(&strategy, |(fee, ops, far, mode)| {
                        run_case(fee, &ops, far, mode);
                        Ok(())
                    })
                })
            })
            .collect();
        shards
            .into_iter()
            .map(|shard| shard.join().expect("a model shard's runner panicked"))
            .collect()
    });
    let elapsed = start.elapsed();
    let totals = STATS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    let per_op: Vec<String> = totals
        .per_op
        .iter()
        .map(|(k, (ok, err))| format!("{k}={ok}/{err}"))
        .collect();
    let errors: Vec<String> = totals
        .errors
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    let events: Vec<String> = totals
        .events
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    println!(
        "model summary: sequences={} (in {} threads) steps={} (ok={} err={}) stranger_liveness_calls={} (ok={}) \
         deals_ended_by_one_stranger_call={} of_which_held_funds={} milestones_settled={} advance_took_buyer_refund={} \
         settle_due_second_walks={} withdraw_tokens_refused_and_reverted={} token_claimables_recovered_after_liveness={} \
         calls_whose_money_matched_their_events(native/token)={}/{} wall={:.1}s\n  per op incl. liveness (ok/err): {}\n  errors: {}\n  events: {}",
        totals.sequences,
        threads,
        totals.steps,
        totals.ok,
        totals.err,
        totals.liveness_calls,
        totals.liveness_ok,
        totals.deals_ended,
        totals.deals_driven,
        totals.liveness_settled,
        totals.refund_taken,
        totals.second_walks,
        totals.reverted_withdrawals,
        totals.recovered,
        totals.flows_checked.0,
        totals.flows_checked.1,
        elapsed.as_secs_f64(),
        per_op.join(" "),
        errors.join(" "),
        events.join(" ")
    );
    for result in results {
        if let Err(e) = result {
            panic!("{e}");
        }
    }
    assert_eq!(
        totals.sequences,
        u64::from(cases),
        "every shard ran its sequences"
    );
}

/// Regression (found by this model, fixed in `deposit_and_advance`): after an advance
/// milestone's ship-by passes with the milestone only partly funded, the buyer is owed a
/// refund of the funded part. A top-up then must not release the whole milestone to the
/// seller via `Advance`, taking the buyer's refund. `attest` refuses the same race
/// (`ShipByPassed`); `deposit_and_advance` pays no advance past ship-by. Since issue 14 the
/// seller may not fund at all (`CallerIsNotFunder`), so the top-up comes from the funder
/// the terms name; the refund of the whole milestone then goes to the buyer.
#[test]
fn regress_advance_after_ship_by_takes_buyers_refund() {
    test::run_test::<Env, _>(|acc| {
        test::set_callee::<Env>(contract_acct());
        test::set_account_balance::<Env>(contract_acct(), 0);
        for who in [acc.alice, acc.bob, acc.charlie] {
            test::set_account_balance::<Env>(who, START_BALANCE);
        }
        test::set_block_timestamp::<Env>(START_TIME);
        let mut c = MilestoneEscrow::new(fee_acct(), 0).expect("instance");
        let terms = DealTerms {
            buyer: acc.alice,
            seller: acc.bob,
            oracles: vec![],
            oracle_threshold: 0,
            arbiter: None,
            release_rule: ReleaseRule::Buyer,
            review_window: 10,
            arbitration_window: 10,
            fallback_seller_bps: 5_000,
            advance: true,
            agreement_hash: [1; 32],
            funder: Some(acc.charlie),
            fund_by: START_TIME + 100,
            asset: Asset::Native,
            milestones: vec![
                MilestoneTerms {
                    amount: 100,
                    terms_hash: [2; 32],
                    ship_by: START_TIME + 10,
                },
                MilestoneTerms {
                    amount: 100,
                    terms_hash: [3; 32],
                    ship_by: START_TIME + 1_000,
                },
            ],
        };
        test::set_caller::<Env>(acc.bob);
        let id = c.propose(terms.clone()).expect("propose");
        // The buyer accepts with half of milestone 0.
        test::set_caller::<Env>(acc.alice);
        test::transfer_in::<Env>(50);
        assert_eq!(c.accept(id, c.terms_hash(terms)), Ok(()));
        test::set_value_transferred::<Env>(0);
        // Milestone 0's ship-by passes: its 50 are now due back to the buyer.
        test::set_block_timestamp::<Env>(START_TIME + 11);
        assert_eq!(c.milestone(id, 0).expect("m0").covered, 50);
        // The seller may not top milestone 0 up (nor anything else).
        test::set_caller::<Env>(acc.bob);
        test::set_value_transferred::<Env>(50);
        assert_eq!(c.fund(id), Err(Error::CallerIsNotFunder));
        // The funder tops it up before anyone settles the refund: no advance is paid.
        let seller_before = chain_balance(acc.bob);
        test::set_caller::<Env>(acc.charlie);
        test::transfer_in::<Env>(50);
        assert_eq!(c.fund(id), Ok(()));
        test::set_value_transferred::<Env>(0);
        let m0 = c.milestone(id, 0).expect("m0");
        assert_eq!(
            (m0.milestone.status, m0.covered),
            (MilestoneStatus::Pending, 100)
        );
        assert_eq!(chain_balance(acc.bob), seller_before);
        // Anyone settles: the whole milestone goes back to the buyer.
        let buyer_before = chain_balance(acc.alice);
        test::set_caller::<Env>(acc.django);
        assert_eq!(c.settle_milestone(id, 0), Ok(()));
        assert_eq!(chain_balance(acc.alice), buyer_before + 100);
        assert_eq!(chain_balance(acc.bob), seller_before);
        assert_eq!(
            c.milestone(id, 0).expect("m0").milestone.status,
            MilestoneStatus::Refunded
        );
        Ok(())
    })
    .expect("off-chain test environment");
}

/// Regression (found by this model on issue 15's messages): once every milestone of a deal
/// is settled the deal is `Closed` (its reads say so before `close_deal` records it), and a
/// message that checks the deal's state reports `WrongDealState { found: Closed }` before the
/// checks its `# Errors` list after it: `fund` before `WrongAsset`, `fund_tokens` before
/// `WrongAsset` and `ZeroDeposit`, `assign` before `ZeroAccount` and `AssigneeIsContract`
/// (as `fund` already does before `ZeroDeposit`, and `assign` before `NothingToAssign`).
#[test]
fn regress_closed_deal_is_reported_before_asset_amount_and_assignee_checks() {
    test::run_test::<Env, _>(|acc| {
        test::set_callee::<Env>(contract_acct());
        test::set_account_balance::<Env>(contract_acct(), 0);
        test::set_account_balance::<Env>(acc.alice, START_BALANCE);
        test::set_block_timestamp::<Env>(START_TIME);
        mock::restore(Default::default());
        mock::install(token_a(), mock::Mode::Honest);
        mock::mint(token_a(), acc.alice, 1_000);
        let mut c = MilestoneEscrow::new(fee_acct(), 0).expect("instance");
        let terms = |asset| DealTerms {
            buyer: acc.alice,
            seller: acc.bob,
            oracles: vec![],
            oracle_threshold: 0,
            arbiter: None,
            release_rule: ReleaseRule::Buyer,
            review_window: 10,
            arbitration_window: 10,
            fallback_seller_bps: 5_000,
            advance: false,
            agreement_hash: [1; 32],
            funder: None,
            fund_by: START_TIME + 100,
            asset,
            milestones: vec![MilestoneTerms {
                amount: 100,
                terms_hash: [2; 32],
                ship_by: START_TIME + 1_000,
            }],
        };
        // A token deal and a native deal, each funded and released in full: both closed.
        let mut closed_deal = |asset: Asset| {
            let t = terms(asset);
            test::set_caller::<Env>(acc.bob);
            let id = c.propose(t.clone()).expect("propose");
            test::set_caller::<Env>(acc.alice);
            let value = if asset == Asset::Native { 100 } else { 0 };
            test::transfer_in::<Env>(value);
            assert_eq!(c.accept(id, c.terms_hash(t)), Ok(()));
            test::set_value_transferred::<Env>(0);
            if asset != Asset::Native {
                mock::approve(token_a(), acc.alice, contract_acct(), 100);
                assert_eq!(c.fund_tokens(id, 100), Ok(()));
            }
            assert_eq!(c.approve(id, 0), Ok(()));
            assert_eq!(c.deal(id).expect("deal").deal.status, DealStatus::Closed);
            id
        };
        let token_deal = closed_deal(Asset::Psp22(token_a()));
        let native_deal = closed_deal(Asset::Native);
        let closed = Err(Error::WrongDealState {
            found: DealStatus::Closed,
        });

        test::set_caller::<Env>(acc.alice);
        test::transfer_in::<Env>(1);
        let fund_token_deal = c.fund(token_deal);
        test::set_value_transferred::<Env>(0);
        let fund_tokens_native_deal = c.fund_tokens(native_deal, 1);
        let fund_tokens_zero = c.fund_tokens(token_deal, 0);
        test::set_caller::<Env>(acc.bob);
        let assign_zero = c.assign(token_deal, 0, zero_acct()).map(|_| ());
        let assign_escrow = c.assign(token_deal, 0, contract_acct()).map(|_| ());
        let assign_factor = c.assign(token_deal, 0, factor_acct()).map(|_| ());
        assert_eq!(
            [
                ("fund on a closed token deal", fund_token_deal),
                (
                    "fund_tokens on a closed native deal",
                    fund_tokens_native_deal
                ),
                ("fund_tokens(0) on a closed token deal", fund_tokens_zero),
                ("assign to the zero account on a closed deal", assign_zero),
                ("assign to the escrow on a closed deal", assign_escrow),
                ("assign to the factor on a closed deal", assign_factor),
            ],
            [
                ("fund on a closed token deal", closed),
                ("fund_tokens on a closed native deal", closed),
                ("fund_tokens(0) on a closed token deal", closed),
                ("assign to the zero account on a closed deal", closed),
                ("assign to the escrow on a closed deal", closed),
                ("assign to the factor on a closed deal", closed),
            ]
        );
        Ok(())
    })
    .expect("off-chain test environment");
}
