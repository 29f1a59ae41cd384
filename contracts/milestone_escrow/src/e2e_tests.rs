//! On-chain tests (ink_e2e against our `escrow-node`, named by `CONTRACTS_NODE`).
//!
//! Each test deploys its own contract instance, so tests never see each other's deals; the
//! chain may be shared (scripts/test.sh runs them all on one node, see `CONTRACTS_NODE_URL`
//! below). Balances are asserted exactly, as changes: for an account that signs,
//! its expected change is what the contract paid it, less the value it sent, the
//! transaction fees and the storage deposits it was charged, all read from the chain's own
//! events (`TransactionPayment::TransactionFeePaid`, `Contracts::StorageDeposit*`).
//!
//! Run: `CONTRACTS_NODE=<escrow-node> cargo test -p milestone_escrow --features e2e-tests -- --test-threads=1`
use crate::milestone_escrow::{MilestoneEscrow, MilestoneEscrowRef};
use escrow_types::*;
use ink::primitives::AccountId;
use ink_e2e::{
    subxt::{blocks::ExtrinsicEvents, PolkadotConfig},
    AccountKeyring, ChainBackend, ContractsBackend, Keypair,
};
use scale::Decode;
use std::collections::HashMap;

/// ink_e2e's test macro reads `CONTRACTS_NODE_URL` when it expands (a running node to use
/// instead of one spawned per test), and cargo does not track what a proc macro reads.
/// Naming the variable here makes cargo rebuild these tests whenever it changes, so a binary
/// never keeps the URL of a node that is gone.
const _: Option<&str> = option_env!("CONTRACTS_NODE_URL");

type E2EResult<T> = Result<T, Box<dyn std::error::Error>>;
type Events = ExtrinsicEvents<PolkadotConfig>;

/// One token (12 decimals).
const UNIT: Balance = 1_000_000_000_000;
const FEE_BPS: u16 = 100;

fn id(k: AccountKeyring) -> AccountId {
    ink_e2e::account_id(k)
}
fn buyer() -> Keypair {
    ink_e2e::bob()
}
fn seller() -> Keypair {
    ink_e2e::charlie()
}
fn oracle() -> Keypair {
    ink_e2e::dave()
}
fn arbiter() -> Keypair {
    ink_e2e::eve()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after epoch")
        .as_millis() as u64
}

async fn sleep_ms(ms: u64) {
    ink_e2e::tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// Seals a block, so that the chain's clock (the latest block's timestamp, which dry-runs
/// see) catches up with the wall clock after a sleep.
async fn tick(
    client: &mut ink_e2e::Client<PolkadotConfig, ink::env::DefaultEnvironment>,
) -> E2EResult<()> {
    client
        .runtime_call(
            &ink_e2e::ferdie(),
            "System",
            "remark",
            vec![ink_e2e::subxt::dynamic::Value::from_bytes(b"tick")],
        )
        .await?;
    Ok(())
}

/// What each account was charged by the chain (fees, storage deposits), from events.
#[derive(Default)]
struct Charges(HashMap<[u8; 32], i128>);

impl Charges {
    fn record(&mut self, events: &Events) {
        for ev in events.iter().flatten() {
            let mut bytes = ev.field_bytes();
            match (ev.pallet_name(), ev.variant_name()) {
                ("TransactionPayment", "TransactionFeePaid") => {
                    let (who, fee, tip) =
                        <([u8; 32], u128, u128)>::decode(&mut bytes).expect("fee event");
                    *self.0.entry(who).or_default() += (fee + tip) as i128;
                }
                ("Contracts", "StorageDepositTransferredAndHeld") => {
                    let (from, _to, amount) =
                        <([u8; 32], [u8; 32], u128)>::decode(&mut bytes).expect("deposit event");
                    *self.0.entry(from).or_default() += amount as i128;
                }
                ("Contracts", "StorageDepositTransferredAndReleased") => {
                    let (_from, to, amount) =
                        <([u8; 32], [u8; 32], u128)>::decode(&mut bytes).expect("deposit event");
                    *self.0.entry(to).or_default() -= amount as i128;
                }
                _ => {}
            }
        }
    }

    fn of(&self, who: AccountId) -> i128 {
        let key: [u8; 32] = *who.as_ref();
        self.0.get(&key).copied().unwrap_or(0)
    }
}

/// Contract events of `Ev` in a call's events.
fn contract_events<Ev: Decode + ink::env::Event>(events: &Events) -> Vec<Ev> {
    let sig = <Ev as ink::env::Event>::SIGNATURE_TOPIC.expect("not anonymous");
    let mut out = Vec::new();
    for ev in events.iter().flatten() {
        if ev.pallet_name() != "Contracts" || ev.variant_name() != "ContractEmitted" {
            continue;
        }
        // ContractEmitted { contract: AccountId, data: Vec<u8> }; topics live in the record.
        let mut bytes = ev.field_bytes();
        let (_contract, data) = <([u8; 32], Vec<u8>)>::decode(&mut bytes).expect("emitted");
        if ev.topics().first().map(|t| t.0) == Some(sig) {
            out.push(Ev::decode(&mut &data[..]).expect("event decodes"));
        }
    }
    out
}

fn seed_terms(advance: bool) -> DealTerms {
    DealTerms {
        buyer: id(AccountKeyring::Bob),
        seller: id(AccountKeyring::Charlie),
        oracles: vec![id(AccountKeyring::Dave)],
        oracle_threshold: 1,
        arbiter: Some(id(AccountKeyring::Eve)),
        release_rule: ReleaseRule::BuyerOrOracles,
        review_window: 7 * 24 * 3600 * 1000,
        arbitration_window: 14 * 24 * 3600 * 1000,
        fallback_seller_bps: 5_000,
        advance,
        agreement_hash: [0xAA; 32],
        milestones: vec![
            MilestoneTerms {
                amount: 300 * UNIT,
                terms_hash: [1; 32],
                ship_by: None,
            },
            MilestoneTerms {
                amount: 400 * UNIT,
                terms_hash: [2; 32],
                ship_by: None,
            },
            MilestoneTerms {
                amount: 300 * UNIT,
                terms_hash: [3; 32],
                ship_by: None,
            },
        ],
    }
}

macro_rules! call {
    ($client:expr, $charges:expr, $signer:expr, $msg:expr) => {{
        let r = $client
            .call(&$signer, &$msg)
            .submit()
            .await
            .expect("call submitted");
        $charges.record(&r.events);
        r
    }};
    ($client:expr, $charges:expr, $signer:expr, $msg:expr, value = $v:expr) => {{
        let r = $client
            .call(&$signer, &$msg)
            .value($v)
            .submit()
            .await
            .expect("call submitted");
        $charges.record(&r.events);
        r
    }};
}

/// The seed's case: 30/40/30 with an advance, oracle-attested shipment, buyer-approved
/// delivery; exact balance changes for every account.
#[ink_e2e::test]
async fn seed_deal_pays_everyone_exactly<Client: E2EBackend>(mut client: Client) -> E2EResult<()> {
    // given
    let fee_recipient = client
        .create_and_fund_account(&ink_e2e::alice(), 10 * UNIT)
        .await;
    let fee_id = AccountId::from(fee_recipient.public_key().0);
    let mut constructor = MilestoneEscrowRef::new(fee_id, FEE_BPS);
    let contract = client
        .instantiate("milestone_escrow", &ink_e2e::alice(), &mut constructor)
        .submit()
        .await
        .expect("instantiate");
    let mut cb = contract.call_builder::<MilestoneEscrow>();
    let accounts = [
        AccountKeyring::Bob,
        AccountKeyring::Charlie,
        AccountKeyring::Dave,
    ];
    let mut before = HashMap::new();
    for k in accounts {
        before.insert(k, client.free_balance(id(k)).await?);
    }
    let fee_before = client.free_balance(fee_id).await?;
    let mut charges = Charges::default();
    let terms = seed_terms(true);
    let hash = client
        .call(&seller(), &cb.terms_hash(terms.clone()))
        .dry_run()
        .await?
        .return_value();

    // when: the exporter proposes, the importer accepts with the full 1,000 UNIT
    let r = call!(client, charges, seller(), cb.propose(terms));
    let deal_id = r.message_result().expect("no LangError").expect("proposed");
    let r = call!(
        client,
        charges,
        buyer(),
        cb.accept(deal_id, hash),
        value = 1_000 * UNIT
    );
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));
    let released = contract_events::<MilestoneReleased>(&r.events);
    assert_eq!(released.len(), 1);
    assert_eq!(
        (released[0].index, released[0].via),
        (0, ReleaseVia::Advance)
    );
    // shipment attested by the logistics oracle, delivery approved by the buyer
    let r = call!(client, charges, seller(), cb.submit(deal_id, 1, [0xB1; 32]));
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));
    let r = call!(client, charges, oracle(), cb.attest(deal_id, 1));
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));
    let r = call!(client, charges, seller(), cb.submit(deal_id, 2, [0xD1; 32]));
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));
    let r = call!(client, charges, buyer(), cb.approve(deal_id, 2));
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));
    // the last release closes the deal; anyone (here a stranger) records the closure
    assert_eq!(contract_events::<DealClosed>(&r.events), vec![]);
    let r = call!(client, charges, ink_e2e::ferdie(), cb.close_deal(deal_id));
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));
    assert_eq!(
        contract_events::<DealClosed>(&r.events),
        vec![DealClosed { deal_id }]
    );

    // then: 1% fee on each release, nothing left locked
    let view = client
        .call(&buyer(), &cb.deal(deal_id))
        .dry_run()
        .await?
        .return_value()
        .expect("deal");
    assert_eq!(view.locked, 0);
    assert_eq!(view.deal.status, DealStatus::Closed);
    assert_eq!(
        (view.deal.released, view.deal.fees),
        (990 * UNIT, 10 * UNIT)
    );
    let expected: [(AccountKeyring, i128); 3] = [
        (AccountKeyring::Bob, -(1_000 * UNIT as i128)),
        (AccountKeyring::Charlie, 990 * UNIT as i128),
        (AccountKeyring::Dave, 0),
    ];
    for (k, payout) in expected {
        let after = client.free_balance(id(k)).await? as i128;
        assert_eq!(
            after - before[&k] as i128,
            payout - charges.of(id(k)),
            "{k:?}"
        );
    }
    assert_eq!(client.free_balance(fee_id).await? - fee_before, 10 * UNIT);
    Ok(())
}

/// Sets up an instance and an accepted, fully funded deal from `terms`.
async fn funded_deal(
    client: &mut ink_e2e::Client<PolkadotConfig, ink::env::DefaultEnvironment>,
    fee_recipient: AccountId,
    terms: DealTerms,
) -> E2EResult<(
    ink_e2e::InstantiationResult<ink::env::DefaultEnvironment, Events>,
    DealId,
)> {
    let mut constructor = MilestoneEscrowRef::new(fee_recipient, FEE_BPS);
    let contract = client
        .instantiate("milestone_escrow", &ink_e2e::alice(), &mut constructor)
        .submit()
        .await
        .expect("instantiate");
    let mut cb = contract.call_builder::<MilestoneEscrow>();
    let total: Balance = terms.milestones.iter().map(|m| m.amount).sum();
    let hash = client
        .call(&buyer(), &cb.terms_hash(terms.clone()))
        .dry_run()
        .await?
        .return_value();
    let deal_id = client
        .call(&seller(), &cb.propose(terms))
        .submit()
        .await?
        .return_value()
        .expect("proposed");
    client
        .call(&buyer(), &cb.accept(deal_id, hash))
        .value(total)
        .submit()
        .await?;
    Ok((contract, deal_id))
}

/// A dispute on the delivery milestone, split by the arbiter 60/40.
#[ink_e2e::test]
async fn dispute_is_split_by_arbiter<Client: E2EBackend>(mut client: Client) -> E2EResult<()> {
    let ferdie = id(AccountKeyring::Ferdie);
    let (contract, deal_id) = funded_deal(&mut client, ferdie, seed_terms(false)).await?;
    let mut cb = contract.call_builder::<MilestoneEscrow>();
    let mut charges = Charges::default();
    call!(client, charges, seller(), cb.submit(deal_id, 2, [9; 32]));
    let r = call!(client, charges, buyer(), cb.dispute(deal_id, 2, [0xEE; 32]));
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));

    // The arbiter may not give the seller more than the milestone.
    let over = client
        .call(&arbiter(), &cb.resolve_dispute(deal_id, 2, 301 * UNIT))
        .dry_run()
        .await?;
    assert_eq!(
        over.message_result().expect("no LangError"),
        Err(Error::SplitExceedsAmount)
    );
    // Nor may anyone else rule.
    let stranger = client
        .call(&seller(), &cb.resolve_dispute(deal_id, 2, 300 * UNIT))
        .dry_run()
        .await?;
    assert_eq!(
        stranger.message_result().expect("no LangError"),
        Err(Error::CallerIsNotArbiter)
    );

    let b0 = client.free_balance(id(AccountKeyring::Bob)).await? as i128;
    let s0 = client.free_balance(id(AccountKeyring::Charlie)).await? as i128;
    let f0 = client.free_balance(ferdie).await?;
    let r = call!(
        client,
        charges,
        arbiter(),
        cb.resolve_dispute(deal_id, 2, 180 * UNIT)
    );
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));
    assert_eq!(
        contract_events::<DisputeResolved>(&r.events),
        vec![DisputeResolved {
            deal_id,
            resolution: Resolution::Arbiter,
            index: 2,
            to_seller: 178_200_000_000_000,
            fee: 1_800_000_000_000,
            to_buyer: 120 * UNIT,
        }]
    );
    // Neither party signed the ruling: their balances change by exactly the split.
    assert_eq!(
        client.free_balance(id(AccountKeyring::Bob)).await? as i128 - b0,
        120 * UNIT as i128
    );
    assert_eq!(
        client.free_balance(id(AccountKeyring::Charlie)).await? as i128 - s0,
        178_200_000_000_000
    );
    assert_eq!(client.free_balance(ferdie).await? - f0, 1_800_000_000_000);
    let m = client
        .call(&buyer(), &cb.milestone(deal_id, 2))
        .dry_run()
        .await?
        .return_value()
        .expect("m");
    assert_eq!(m.milestone.status, MilestoneStatus::Resolved);
    Ok(())
}

/// A missed ship-by refunds the buyer; a stranger triggers it.
#[ink_e2e::test]
async fn missed_ship_by_refunds_buyer<Client: E2EBackend>(mut client: Client) -> E2EResult<()> {
    let ferdie = id(AccountKeyring::Ferdie);
    let mut terms = seed_terms(false);
    terms.milestones[1].ship_by = Some(now_ms() + 15_000);
    let (contract, deal_id) = funded_deal(&mut client, ferdie, terms).await?;
    let mut cb = contract.call_builder::<MilestoneEscrow>();
    let early = client
        .call(&ink_e2e::alice(), &cb.settle_milestone(deal_id, 1))
        .dry_run()
        .await?;
    assert_eq!(early.return_value(), Err(Error::ShipByNotPassed));
    sleep_ms(16_000).await;
    tick(&mut client).await?;
    let late = client
        .call(&seller(), &cb.submit(deal_id, 1, [0; 32]))
        .dry_run()
        .await?;
    assert_eq!(late.return_value(), Err(Error::ShipByPassed));

    let b0 = client.free_balance(id(AccountKeyring::Bob)).await?;
    let r = client
        .call(&ink_e2e::alice(), &cb.settle_milestone(deal_id, 1))
        .submit()
        .await?;
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));
    assert_eq!(
        contract_events::<MilestoneRefunded>(&r.events),
        vec![MilestoneRefunded {
            deal_id,
            buyer: id(AccountKeyring::Bob),
            index: 1,
            amount: 400 * UNIT,
            reason: RefundReason::ShipByMissed
        }]
    );
    assert_eq!(
        client.free_balance(id(AccountKeyring::Bob)).await? - b0,
        400 * UNIT
    );
    Ok(())
}

/// Buyer silence past the review window pays the seller; anyone may trigger it, and a
/// second trigger is refused with the milestone's state.
#[ink_e2e::test]
async fn review_timeout_releases_to_seller<Client: E2EBackend>(
    mut client: Client,
) -> E2EResult<()> {
    let ferdie = id(AccountKeyring::Ferdie);
    let mut terms = seed_terms(false);
    terms.review_window = 3_000;
    let (contract, deal_id) = funded_deal(&mut client, ferdie, terms).await?;
    let mut cb = contract.call_builder::<MilestoneEscrow>();
    client
        .call(&seller(), &cb.submit(deal_id, 0, [5; 32]))
        .submit()
        .await?;
    let early = client
        .call(&ink_e2e::alice(), &cb.settle_due(deal_id))
        .dry_run()
        .await?;
    assert_eq!(early.return_value(), Err(Error::NothingDue));
    sleep_ms(4_000).await;
    tick(&mut client).await?;
    let s0 = client.free_balance(id(AccountKeyring::Charlie)).await?;
    let r = client
        .call(&ink_e2e::alice(), &cb.settle_due(deal_id))
        .submit()
        .await?;
    assert_eq!(r.message_result().expect("no LangError"), Ok(1));
    let ev = contract_events::<MilestoneReleased>(&r.events);
    assert_eq!(
        (ev[0].amount, ev[0].fee, ev[0].via),
        (297 * UNIT, 3 * UNIT, ReleaseVia::Timeout)
    );
    assert_eq!(
        client.free_balance(id(AccountKeyring::Charlie)).await? - s0,
        297 * UNIT
    );
    let again = client
        .call(&ink_e2e::alice(), &cb.settle_milestone(deal_id, 0))
        .dry_run()
        .await?;
    assert_eq!(
        again.return_value(),
        Err(Error::WrongMilestoneState {
            found: MilestoneStatus::Released
        })
    );
    Ok(())
}

/// A payout the chain refuses (a fee below the existential deposit to an empty account)
/// is credited to the payee, who withdraws it later; a failing message reverts on chain.
#[ink_e2e::test]
async fn refused_payout_is_credited_and_withdrawn<Client: E2EBackend>(
    mut client: Client,
) -> E2EResult<()> {
    // An empty fee recipient: a 1% fee of 5 milli-UNIT (0.05 mUNIT) is below the 1 mUNIT
    // existential deposit, so the chain refuses that transfer.
    let empty = ink_e2e::Keypair::from_uri(&"//EmptyFeeRecipient".parse()?)?;
    let empty_id = AccountId::from(empty.public_key().0);
    let mut terms = seed_terms(false);
    for m in &mut terms.milestones {
        m.amount = 5_000_000_000;
    }
    let (contract, deal_id) = funded_deal(&mut client, empty_id, terms).await?;
    let mut cb = contract.call_builder::<MilestoneEscrow>();
    let r = client
        .call(&buyer(), &cb.approve(deal_id, 0))
        .submit()
        .await?;
    assert_eq!(r.message_result().expect("no LangError"), Ok(()));
    assert_eq!(
        contract_events::<PayoutDeferred>(&r.events),
        vec![PayoutDeferred {
            deal_id,
            account: empty_id,
            amount: 50_000_000
        }]
    );
    let claim = client
        .call(&buyer(), &cb.claimable_of(empty_id))
        .dry_run()
        .await?
        .return_value();
    assert_eq!(claim, 50_000_000);
    assert_eq!(client.free_balance(empty_id).await?, 0);

    // A failing message changes nothing on chain either: the extrinsic is rejected.
    let replay = client
        .call(&buyer(), &cb.approve(deal_id, 0))
        .submit()
        .await;
    assert!(
        matches!(replay, Err(ink_e2e::Error::CallExtrinsic(_))),
        "replay must revert"
    );
    let replay_dry = client
        .call(&buyer(), &cb.approve(deal_id, 0))
        .dry_run()
        .await?;
    assert_eq!(
        replay_dry.return_value(),
        Err(Error::WrongMilestoneState {
            found: MilestoneStatus::Released
        })
    );

    // Give the payee an existence, then it withdraws exactly its credit.
    client
        .runtime_call(
            &ink_e2e::alice(),
            "Balances",
            "transfer_allow_death",
            vec![
                ink_e2e::subxt::dynamic::Value::unnamed_variant(
                    "Id",
                    [ink_e2e::subxt::dynamic::Value::from_bytes(empty_id)],
                ),
                ink_e2e::subxt::dynamic::Value::u128(UNIT),
            ],
        )
        .await?;
    let mut charges = Charges::default();
    let r = call!(client, charges, empty, cb.withdraw());
    assert_eq!(r.message_result().expect("no LangError"), Ok(50_000_000));
    assert_eq!(
        contract_events::<Withdrawn>(&r.events),
        vec![Withdrawn {
            account: empty_id,
            amount: 50_000_000
        }]
    );
    let after = client.free_balance(empty_id).await? as i128;
    assert_eq!(after, (UNIT + 50_000_000) as i128 - charges.of(empty_id));
    let none = client.call(&empty, &cb.withdraw()).dry_run().await?;
    assert_eq!(none.return_value(), Err(Error::NothingToWithdraw));
    Ok(())
}

/// Unauthorized calls are refused on chain with the exact error (dry-run), for a sample
/// of messages and roles.
#[ink_e2e::test]
async fn unauthorized_calls_are_refused<Client: E2EBackend>(mut client: Client) -> E2EResult<()> {
    let (contract, deal_id) =
        funded_deal(&mut client, id(AccountKeyring::Ferdie), seed_terms(false)).await?;
    let mut cb = contract.call_builder::<MilestoneEscrow>();
    let r = client
        .call(&buyer(), &cb.submit(deal_id, 0, [0; 32]))
        .dry_run()
        .await?;
    assert_eq!(
        r.message_result().expect("no LangError"),
        Err(Error::CallerIsNotSeller)
    );
    let r = client
        .call(&seller(), &cb.approve(deal_id, 0))
        .dry_run()
        .await?;
    assert_eq!(
        r.message_result().expect("no LangError"),
        Err(Error::CallerIsNotBuyer)
    );
    let r = client
        .call(&buyer(), &cb.attest(deal_id, 0))
        .dry_run()
        .await?;
    assert_eq!(
        r.message_result().expect("no LangError"),
        Err(Error::CallerIsNotOracle)
    );
    let r = client
        .call(&oracle(), &cb.propose_cancel(deal_id))
        .dry_run()
        .await?;
    assert_eq!(
        r.message_result().expect("no LangError"),
        Err(Error::CallerIsNotParty)
    );
    let r = client
        .call(&buyer(), &cb.fund(deal_id))
        .value(1)
        .dry_run()
        .await?;
    assert_eq!(
        r.message_result().expect("no LangError"),
        Err(Error::OverFunded { remaining: 0 })
    );
    Ok(())
}

/// Gas of one dry-run: (ref_time, proof_size) consumed.
fn gas<V>(d: &ink_e2e::CallDryRunResult<ink::env::DefaultEnvironment, V>) -> (u64, u64) {
    let w = d.exec_result.gas_consumed;
    (w.ref_time(), w.proof_size())
}

/// Measures every message's weight by dry-run on the node, against the bare contract's
/// `pay` (one storage write, one transfer), writes the table to
/// `$CARGO_TARGET_DIR/escrow-costs.md`, and guards a milestone release's cost ratio.
#[ink_e2e::test]
async fn message_costs<Client: E2EBackend>(mut client: Client) -> E2EResult<()> {
    let alice = ink_e2e::alice();
    // The baseline.
    let mut bare_ctor = bare_pay::bare_pay::BarePayRef::new();
    let bare = client
        .instantiate("bare_pay", &alice, &mut bare_ctor)
        .value(10 * UNIT)
        .submit()
        .await
        .expect("instantiate bare_pay");
    let mut bare_cb = bare.call_builder::<bare_pay::bare_pay::BarePay>();
    let pay = bare_cb.pay(id(AccountKeyring::Ferdie), UNIT);
    let base = gas(&client.call(&alice, &pay).dry_run().await?);

    let mut rows: Vec<(&str, (u64, u64))> = Vec::new();
    let mut terms = seed_terms(false);
    terms.review_window = 2_000;
    terms.milestones.push(MilestoneTerms {
        amount: 100 * UNIT,
        terms_hash: [4; 32],
        ship_by: Some(now_ms() + 600_000),
    });
    terms.milestones.push(MilestoneTerms {
        amount: 100 * UNIT,
        terms_hash: [5; 32],
        ship_by: None,
    });
    let total = 1_200 * UNIT;
    let mut ctor = MilestoneEscrowRef::new(id(AccountKeyring::Ferdie), FEE_BPS);
    let contract = client
        .instantiate("milestone_escrow", &alice, &mut ctor)
        .submit()
        .await
        .expect("instantiate");
    let mut cb = contract.call_builder::<MilestoneEscrow>();
    let hash = client
        .call(&buyer(), &cb.terms_hash(terms.clone()))
        .dry_run()
        .await?
        .return_value();

    macro_rules! measure {
        ($name:expr, $signer:expr, $msg:expr $(, value = $v:expr)?) => {{
            let msg = $msg;
            let d = client.call(&$signer, &msg)$(.value($v))?.dry_run().await?;
            assert!(!d.is_err(), "{} dry-run failed: {:?}", $name, d.exec_result.result);
            rows.push(($name, gas(&d)));
            let deposit = d.exec_result.storage_deposit.charge_or_zero();
            client.call(&$signer, &msg)$(.value($v))?.submit().await.expect($name);
            deposit
        }};
    }
    // A second deal to withdraw and the main one through every message.
    let d0 = client
        .call(&seller(), &cb.propose(terms.clone()))
        .submit()
        .await?
        .return_value()
        .expect("p");
    measure!("withdraw_proposal", seller(), cb.withdraw_proposal(d0));
    let deal_deposit = measure!(
        "propose (5 milestones)",
        seller(),
        cb.propose(terms.clone())
    );
    let deal = DealId(1);
    measure!(
        "accept + fund (advance off)",
        buyer(),
        cb.accept(deal, hash),
        value = 1_000 * UNIT
    );
    measure!(
        "fund",
        ink_e2e::alice(),
        cb.fund(deal),
        value = total - 1_000 * UNIT
    );
    measure!("approve (release + fee)", buyer(), cb.approve(deal, 0));
    measure!("submit", seller(), cb.submit(deal, 1, [1; 32]));
    measure!("attest (quorum → release)", oracle(), cb.attest(deal, 1));
    measure!(
        "propose_amendment",
        seller(),
        cb.propose_amendment(deal, 3, now_ms() + 900_000)
    );
    let new_ship_by = client
        .call(&buyer(), &cb.milestone(deal, 3))
        .dry_run()
        .await?
        .return_value()
        .and_then(|m| m.milestone.amendment)
        .map(|a| a.new_ship_by)
        .expect("amendment");
    measure!(
        "accept_amendment",
        buyer(),
        cb.accept_amendment(deal, 3, new_ship_by)
    );
    measure!("submit", seller(), cb.submit(deal, 2, [2; 32]));
    measure!("dispute", buyer(), cb.dispute(deal, 2, [3; 32]));
    measure!(
        "offer_settlement",
        seller(),
        cb.offer_settlement(deal, 2, 150 * UNIT)
    );
    measure!(
        "accept_settlement (split)",
        buyer(),
        cb.accept_settlement(deal, 2, 150 * UNIT)
    );
    measure!("submit", seller(), cb.submit(deal, 3, [4; 32]));
    measure!("dispute", seller(), cb.dispute(deal, 3, [5; 32]));
    measure!(
        "resolve_dispute (split)",
        arbiter(),
        cb.resolve_dispute(deal, 3, 50 * UNIT)
    );
    measure!("submit", seller(), cb.submit(deal, 4, [6; 32]));
    // Let the 2 s review window pass: a new block moves the chain's clock.
    sleep_ms(2_100).await;
    client
        .call(&ink_e2e::alice(), &cb.deal_count())
        .submit()
        .await?;
    measure!(
        "settle_milestone (timeout release)",
        ink_e2e::alice(),
        cb.settle_milestone(deal, 4)
    );

    // Batch approval and cancellation on a third deal.
    let d2 = client
        .call(&seller(), &cb.propose(terms.clone()))
        .submit()
        .await?
        .return_value()
        .expect("p");
    client
        .call(&buyer(), &cb.accept(d2, hash))
        .value(total)
        .submit()
        .await?;
    measure!(
        "approve_through (3 milestones)",
        buyer(),
        cb.approve_through(d2, 2)
    );
    measure!("propose_cancel", buyer(), cb.propose_cancel(d2));
    measure!("accept_cancel (2 refunds)", seller(), cb.accept_cancel(d2));

    let mut table = String::from(
        "| message | ref_time | proof_size | × bare pay ref_time | × bare pay proof_size |\n|---|---:|---:|---:|---:|\n",
    );
    table.push_str(&format!(
        "| bare_pay::pay (baseline) | {} | {} | 1.00 | 1.00 |\n",
        base.0, base.1
    ));
    for (name, (r, p)) in &rows {
        table.push_str(&format!(
            "| {name} | {r} | {p} | {:.2} | {:.2} |\n",
            *r as f64 / base.0 as f64,
            *p as f64 / base.1 as f64
        ));
    }
    table.push_str(&format!(
        "\nStorage deposit charged for proposing a 5-milestone deal: {deal_deposit} (plancks)\n"
    ));
    println!("{table}");
    let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    std::fs::write(format!("{dir}/escrow-costs.md"), &table)?;

    // Regression budget, from this test's own measurements of debug builds (ink_e2e builds
    // contracts in debug mode): a release with fee measured 6.12× / 4.41× the bare pay.
    // The target (≤ 2×) is not met yet; this guard keeps it from getting worse.
    let (_, release) = rows
        .iter()
        .find(|(n, _)| n.starts_with("approve ("))
        .expect("measured");
    assert!(
        release.0 * 100 <= base.0 * 675,
        "release ref_time {} > 6.75 × {}",
        release.0,
        base.0
    );
    assert!(
        release.1 * 100 <= base.1 * 485,
        "release proof_size {} > 4.85 × {}",
        release.1,
        base.1
    );
    Ok(())
}
