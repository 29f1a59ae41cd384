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
//! the contract's balance is then Σ claimable (plus the stray value).
//!
//! Not covered here: transfers the chain refuses. The off-chain engine never refuses one (no
//! existential deposit), so deferred payouts, `withdraw_to` of a real credit,
//! `ContractBalanceTooLow` and `TransferFailed` are the unit and on-chain tests' to cover.
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
//! shared steps), `rules` (each message's checks in the model), `strategies` (generated
//! operations), `harness` (one call on both sides, compared), `ops` (an operation made
//! concrete), `guided` (steps that move deals along, and the liveness drive).
mod books;
mod calls;
mod guided;
mod harness;
mod ops;
mod rules;
mod strategies;

use self::{books::*, calls::*, harness::*, strategies::*};
use crate::milestone_escrow::MilestoneEscrow;
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
/// Every account whose balance, claimable and deal index the test compares.
fn tracked() -> Vec<AccountId> {
    let mut v: Vec<AccountId> = (0..POOL).map(acct).collect();
    v.push(zero_acct());
    v.push(fee_acct());
    v.push(contract_acct());
    v.push(stranger_acct());
    v
}

// ---------------------------------------------------------------------------- the test

fn run_case(fee: (u16, u8), ops: &[Op], far: bool) {
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
        };
        h.after_step();
        h.stats.steps = 0;
        for op in ops {
            h.run_op(op);
        }
        let random_steps = h.stats.steps;
        let (random_ok, random_err) = (h.stats.ok, h.stats.err);
        h.liveness(far);
        let mut guard = STATS.lock().unwrap_or_else(|e| e.into_inner());
        let totals = guard.get_or_insert_with(Stats::default);
        totals.sequences += 1;
        totals.steps += random_steps;
        totals.ok += random_ok;
        totals.err += random_err;
        totals.liveness_ok += h.stats.ok - random_ok;
        totals.liveness_calls += h.stats.liveness_calls;
        totals.deals_driven += h.stats.deals_driven;
        totals.deals_ended += h.stats.deals_ended;
        totals.liveness_settled += h.stats.liveness_settled;
        totals.refund_taken += h.stats.refund_taken;
        totals.second_walks += h.stats.second_walks;
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
                    let strategy = (fee_s(), ops_s(), any::<bool>());
                    TestRunner::new(config).run(&strategy, |(fee, ops, far)| {
                        run_case(fee, &ops, far);
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
         settle_due_second_walks={} wall={:.1}s\n  per op incl. liveness (ok/err): {}\n  errors: {}\n  events: {}",
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
