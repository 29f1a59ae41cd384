//! On-chain tests: the contracts' release bundles, deployed on our `escrow-node`.
//!
//! Each test deploys its own contract instance, so tests never see each other's deals; the
//! chain may be shared (scripts/test.sh runs them all on one node). Balances are asserted
//! exactly, as changes: for an account that signs, its expected change is what the contract
//! paid it, less the value it sent, the transaction fees and the storage deposits it was
//! charged, all read from the chain's own events (`TransactionPayment::TransactionFeePaid`,
//! `Contracts::StorageDeposit*`).
//!
//! The harness, [`run`], replaces `#[ink_e2e::test]`, which built every contract in debug
//! mode inside each test and fixed the node's URL when it expanded. Here:
//!
//! - the contracts are the release bundles that
//!   `scripts/build-contract.sh contracts/<crate> --release` leaves in
//!   `$CARGO_TARGET_DIR/ink/<crate>/by-mode/release/`: built once, shared by every test,
//!   and the very code `escrow deploy` puts on chain, so what is deployed is what is
//!   tested. Nothing is built here; a missing bundle fails the test, naming it.
//! - the node is `CONTRACTS_NODE_URL`, read when the test runs (changing it rebuilds
//!   nothing); unset, each test spawns its own `CONTRACTS_NODE` (`--dev --tmp`), as the
//!   macro did.
//!
//! Run (build the bundles first):
//! `CONTRACTS_NODE_URL=ws://127.0.0.1:<port> cargo test -p milestone_escrow --features e2e-tests -- e2e_tests --test-threads=1`
use crate::milestone_escrow::{MilestoneEscrow, MilestoneEscrowRef};
use escrow_types::*;
use ink::primitives::AccountId;
use ink_e2e::{
    subxt::{blocks::ExtrinsicEvents, PolkadotConfig},
    AccountKeyring, ChainBackend, ContractsBackend, Keypair,
};
use scale::Decode;
use std::{collections::HashMap, path::PathBuf};

type E2EResult<T> = Result<T, Box<dyn std::error::Error>>;
type Events = ExtrinsicEvents<PolkadotConfig>;
type Client = ink_e2e::Client<PolkadotConfig, ink::env::DefaultEnvironment>;

/// The contracts a test can instantiate, by crate name (ink_e2e names a contract by the
/// file stem of its `.wasm`).
const CONTRACTS: [&str; 4] = [
    "milestone_escrow",
    "bare_pay",
    "stablecoin",
    "hostile_token",
];

/// Runs one test's body on a client connected to the node (see the module docs).
fn run(test: impl AsyncFnOnce(Client) -> E2EResult<()>) -> E2EResult<()> {
    // ink_e2e's log (RUST_LOG), each line prefixed with the test's name (its thread's).
    ink_e2e::INIT.call_once(ink_e2e::tracing_subscriber::fmt::init);
    let name = std::thread::current().name().unwrap_or("?").to_owned();
    ink_e2e::LOG_PREFIX.with(|prefix| *prefix.borrow_mut() = format!("test: {name}"));
    let contracts = CONTRACTS.map(release_wasm);
    ink_e2e::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let url = std::env::var("CONTRACTS_NODE_URL").unwrap_or_default();
            // A spawned node lives as long as this binding: dropping it stops the node.
            let (rpc, _node) = if url.is_empty() {
                let node = ink_e2e::TestNodeProcess::<PolkadotConfig>::build_with_env_or_default()
                    .spawn()
                    .await
                    .unwrap_or_else(|e| panic!("cannot spawn $CONTRACTS_NODE: {e}"));
                (node.rpc(), Some(node))
            } else {
                let rpc = ink_e2e::RpcClient::from_url(&url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
                (rpc, None)
            };
            test(Client::new(rpc, contracts).await?).await
        })
}

/// The target directory: `$CARGO_TARGET_DIR` when that is an absolute path (a relative one
/// is relative to wherever cargo ran), else the one this test binary was built in
/// (`<target>/debug/deps/<exe>`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .unwrap_or_else(|| {
            let exe = std::env::current_exe().expect("the test binary's path");
            exe.ancestors()
                .nth(3)
                .expect("<target>/debug/deps/<exe>")
                .to_path_buf()
        })
}

/// The `.wasm` of `crate_name`'s release bundle; panics, naming the command that builds
/// it, when it is missing.
fn release_wasm(crate_name: &str) -> PathBuf {
    let wasm = target_dir()
        .join("ink")
        .join(crate_name)
        .join("by-mode/release")
        .join(format!("{crate_name}.wasm"));
    assert!(
        wasm.is_file(),
        "no release bundle at {}: build it with `scripts/build-contract.sh contracts/{crate_name} --release`",
        wasm.display()
    );
    wasm
}

/// A day, in ms: the seed's funding clock; its ship-bys are 30 days out.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

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
async fn tick(client: &mut Client) -> E2EResult<()> {
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

/// A fresh dev-chain account, new on every call: an earlier run on the same chain funded
/// its own, and two calls in the same millisecond differ by a per-process counter.
fn fresh_account(name: &str) -> E2EResult<(Keypair, AccountId)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let uri = format!("//{name}//{}//{n}", now_ms());
    let pair = Keypair::from_uri(&uri.parse()?)?;
    let id = AccountId::from(pair.public_key().0);
    Ok((pair, id))
}

/// Alice sends `amount` to `to`.
async fn endow(client: &mut Client, to: AccountId, amount: Balance) -> E2EResult<()> {
    use ink_e2e::subxt::dynamic::Value;
    client
        .runtime_call(
            &ink_e2e::alice(),
            "Balances",
            "transfer_allow_death",
            vec![
                Value::unnamed_variant("Id", [Value::from_bytes(to)]),
                Value::u128(amount),
            ],
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
        funder: None,
        fund_by: now_ms() + DAY_MS,
        asset: Asset::Native,
        milestones: vec![
            MilestoneTerms {
                amount: 300 * UNIT,
                terms_hash: [1; 32],
                ship_by: now_ms() + 30 * DAY_MS,
            },
            MilestoneTerms {
                amount: 400 * UNIT,
                terms_hash: [2; 32],
                ship_by: now_ms() + 30 * DAY_MS,
            },
            MilestoneTerms {
                amount: 300 * UNIT,
                terms_hash: [3; 32],
                ship_by: now_ms() + 30 * DAY_MS,
            },
        ],
    }
}

/// What `$msg` returns when `$signer` dry-runs it (nothing is submitted).
macro_rules! dry {
    ($client:expr, $signer:expr, $msg:expr) => {
        $client
            .call(&$signer, &$msg)
            .dry_run()
            .await?
            .return_value()
    };
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
mod baseline;
mod costs;
mod deals;
mod tokens;
