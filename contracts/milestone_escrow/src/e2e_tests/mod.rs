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

// The tests, by concern; they share the ledger and helpers above (a child module sees its
// parent's private items, and `macro_rules!` above are in scope below).
mod costs;
mod deals;
