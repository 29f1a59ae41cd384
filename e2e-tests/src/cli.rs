//! The real `escrow` binary as a user runs it ([`Escrow`]), and a [`Ledger`] that checks
//! the free balance of every account a scenario involves, to the smallest unit.
//!
//! # Which binary
//!
//! `$ESCROW_BIN` if set; otherwise the newer of `$CARGO_TARGET_DIR/debug/escrow` and
//! `$CARGO_TARGET_DIR/release/escrow`. The tests do not build it: a `cargo build` nested in
//! `cargo test` would contend for the same target-directory lock. `scripts/test.sh` builds
//! it (`cargo build -p escrow-cli --bin escrow`) right before this crate's tests; by hand,
//! run that command first. A binary older than the CLI's sources gets a warning, not a
//! failure, since a developer may be testing an older build on purpose.
//!
//! # Why a ledger
//!
//! Every signer pays a transaction fee, and a message that grows the contract's storage
//! also charges its origin a storage deposit (released again when the storage shrinks).
//! Those costs are the chain's, not the escrow's, but they move balances. The ledger reads
//! them from the chain's own events for every block since its snapshot
//! (`TransactionPayment::TransactionFeePaid`, `Contracts::StorageDepositTransferredAndHeld`
//! and `…AndReleased`); the test itself states every escrow money movement (deposit,
//! payout, fee, refund), computed from the deal's terms. [`Ledger::assert_balances`] then
//! compares expected and actual free balances of every tracked account, the contract
//! included. A wrong payout by even one unit fails the test.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    str::FromStr,
    time::{Duration, SystemTime},
};

use serde_json::Value as Json;
use subxt::utils::{AccountId32, H256};
use subxt_signer::{sr25519::Keypair, SecretUri};

use crate::{
    chain::{
        Chain, Result, StorageDepositTransferredAndHeld, StorageDepositTransferredAndReleased,
        TransactionFeePaid,
    },
    node_binary, repo_root, target_dir,
};

/// The documented exit codes of `escrow` (cli/README.md).
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Rejected by the contract or the chain, or an audit mismatch.
    pub const REJECTED: i32 = 1;
    /// Bad input: argument, file, keystore, config.
    pub const BAD_INPUT: i32 = 2;
    /// Node unreachable; nothing was submitted.
    pub const UNREACHABLE: i32 = 3;
}

/// The `escrow` binary to test (see the module docs).
pub fn escrow_binary() -> std::result::Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("ESCROW_BIN") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("ESCROW_BIN={} is not a file", path.display()))
        };
    }
    let target = target_dir();
    let newest = ["debug/escrow", "release/escrow"]
        .iter()
        .map(|p| target.join(p))
        .filter_map(|p| Some((mtime(&p)?, p)))
        .max();
    let Some((built, path)) = newest else {
        return Err(format!(
            "no escrow binary in {0}/debug or {0}/release: build it with \
             `cargo build -p escrow-cli --bin escrow` (scripts/test.sh does), or set ESCROW_BIN",
            target.display()
        ));
    };
    let sources = ["cli/src", "cli/src/commands", "contracts/escrow-types/src"];
    let newest_source = sources
        .iter()
        .flat_map(|d| std::fs::read_dir(repo_root().join(d)).into_iter().flatten())
        .filter_map(|e| mtime(&e.ok()?.path()))
        .max();
    if newest_source.is_some_and(|s| s > built) {
        eprintln!(
            "warning: {} is older than the CLI's sources; rebuild it with \
             `cargo build -p escrow-cli --bin escrow`",
            path.display()
        );
    }
    Ok(path)
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

/// The release bundle of the escrow contract (`$ESCROW_BUNDLE` overrides).
pub fn escrow_bundle() -> PathBuf {
    std::env::var_os("ESCROW_BUNDLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            target_dir().join("ink/milestone_escrow/by-mode/release/milestone_escrow.contract")
        })
}

/// Whether the scenario tests can run: the node, the contract bundle and the `escrow`
/// binary must exist. If one is missing, the test is skipped with a message, unless
/// `ESCROW_REQUIRE_CHAIN=1` (scripts/test.sh sets it), which makes it fail instead.
pub fn scenario_prerequisites() -> bool {
    let mut missing = Vec::new();
    let node = node_binary();
    if !node.is_file() {
        missing.push(format!(
            "{} (scripts/build-node.sh, or set ESCROW_NODE)",
            node.display()
        ));
    }
    let bundle = escrow_bundle();
    if !bundle.is_file() {
        missing.push(format!(
            "{} (scripts/build-contract.sh contracts/milestone_escrow --release)",
            bundle.display()
        ));
    }
    if let Err(e) = escrow_binary() {
        missing.push(e);
    }
    if missing.is_empty() {
        return true;
    }
    let why = missing.join("; ");
    if std::env::var("ESCROW_REQUIRE_CHAIN").as_deref() == Ok("1") {
        panic!("ESCROW_REQUIRE_CHAIN=1 but the scenario tests cannot run, missing: {why}");
    }
    eprintln!("SKIPPED (set ESCROW_REQUIRE_CHAIN=1 to fail instead): missing {why}");
    false
}

/// A development account from a secret URI such as `//Bob` or `//Fees` (the same
/// derivation `escrow --suri` uses).
pub fn dev_keypair(suri: &str) -> Keypair {
    let uri = SecretUri::from_str(suri).unwrap_or_else(|e| panic!("bad SURI {suri}: {e}"));
    Keypair::from_uri(&uri).unwrap_or_else(|e| panic!("no keypair for {suri}: {e}"))
}

/// The address of a development account.
pub fn dev_account(suri: &str) -> AccountId32 {
    dev_keypair(suri).public_key().into()
}

/// One token, and a helper to write amounts in whole tokens.
pub use crate::chain::UNIT;

/// `n` whole tokens in the smallest unit.
pub const fn units(n: u128) -> u128 {
    n * UNIT
}

/// The fee the contract takes from a payment to the seller: `gross × bps / 10 000`,
/// rounded down; returns `(to_seller, fee)`.
pub fn fee_split(gross: u128, bps: u128) -> (u128, u128) {
    let fee = gross * bps / 10_000;
    (gross - fee, fee)
}

/// Milliseconds since the epoch, by the wall clock.
pub fn wall_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock after 1970");
    u64::try_from(since.as_millis()).expect("ms fit in u64")
}

/// `ms` since the epoch as RFC 3339 UTC with milliseconds, as `escrow` accepts times.
pub fn rfc3339(ms: u64) -> String {
    let ms = i64::try_from(ms).expect("ms fit in i64");
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .expect("representable time")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Sleeps until the wall clock is past `ms` (plus a margin), then seals a block with
/// [`Chain::tick`] so the chain's time is past it too. Returns the new block's time.
pub async fn wait_past(chain: &Chain, ticker: &Keypair, ms: u64) -> Result<u64> {
    let target = ms + 200;
    let now = wall_ms();
    if now < target {
        tokio::time::sleep(Duration::from_millis(target - now)).await;
    }
    let (_, at) = chain.tick(ticker).await?;
    assert!(at > ms, "block time {at} is not past {ms}");
    Ok(at)
}

/// One run of `escrow`.
#[derive(Debug, Clone)]
pub struct Run {
    /// The command line, for messages.
    pub args: Vec<String>,
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// stdout.
    pub out: String,
    /// stderr.
    pub err: String,
}

impl Run {
    /// Asserts success; returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, exit::OK, "expected success: {self:#?}");
        &self.out
    }

    /// Asserts exit `code` and that stderr mentions every one of `needles`.
    pub fn fails(&self, code: i32, needles: &[&str]) {
        assert_eq!(
            self.code, code,
            "expected exit {code} mentioning {needles:?}: {self:#?}"
        );
        for needle in needles {
            assert!(
                self.err.contains(needle),
                "stderr lacks {needle:?}: {self:#?}"
            );
        }
    }

    /// stdout as one JSON object (asserts success).
    pub fn json(&self) -> Json {
        serde_json::from_str(self.ok().trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {self:#?}"))
    }
}

/// The outcome of a transaction run with `--json`.
#[derive(Debug, Clone)]
pub struct Tx {
    /// The run.
    pub run: Run,
    /// Its JSON report.
    pub json: Json,
}

impl Tx {
    /// The names of the contract events the transaction emitted, in order.
    pub fn events(&self) -> Vec<String> {
        self.json["events"]
            .as_array()
            .unwrap_or_else(|| panic!("no events array: {:#?}", self.run))
            .iter()
            .map(|e| e["event"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The events called `name`.
    pub fn events_named(&self, name: &str) -> Vec<Json> {
        self.json["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["event"] == name)
            .cloned()
            .collect()
    }

    /// The block the transaction landed in.
    pub fn block_hash(&self) -> H256 {
        let hex = self.json["block_hash"]
            .as_str()
            .unwrap_or_else(|| panic!("no block_hash: {:#?}", self.run));
        H256::from_str(hex).unwrap_or_else(|e| panic!("block_hash {hex}: {e}"))
    }

    /// What the message returned (e.g. a deal id).
    pub fn ret(&self) -> &Json {
        &self.json["return"]
    }
}

/// A u128 amount from the CLI's JSON (a decimal string).
pub fn amount(v: &Json) -> u128 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an amount string: {v}"))
}

/// Runs the `escrow` binary with its own state directory (`ESCROW_HOME`), against one
/// node (`ESCROW_URL`) and, once known, one contract (`ESCROW_CONTRACT`). Stdin is null,
/// so the CLI never prompts.
pub struct Escrow {
    bin: PathBuf,
    /// `ESCROW_HOME`.
    pub home: tempfile::TempDir,
    /// `ESCROW_URL`.
    pub url: String,
    /// `ESCROW_CONTRACT`, set by [`Escrow::deploy`].
    pub contract: Option<String>,
}

impl Escrow {
    /// A runner with a fresh state directory against `url`.
    pub fn new(url: String) -> Self {
        let bin = escrow_binary().unwrap_or_else(|e| panic!("{e}"));
        Self {
            bin,
            home: tempfile::tempdir().expect("temp dir"),
            url,
            contract: None,
        }
    }

    /// Runs `escrow args…`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs `escrow args…` with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .env("ESCROW_HOME", self.home.path())
            .env("ESCROW_URL", &self.url)
            .env_remove("ESCROW_CONTRACT")
            .env_remove("ESCROW_SURI")
            .env_remove("ESCROW_ACCOUNT")
            .env_remove("ESCROW_PASSWORD")
            .stdin(Stdio::null());
        if let Some(c) = &self.contract {
            cmd.env("ESCROW_CONTRACT", c);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.display()));
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: output.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&output.stdout).into_owned(),
            err: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `escrow --suri SIGNER --json args…` as a transaction that must succeed.
    pub fn tx(&self, signer: &str, args: &[&str]) -> Tx {
        let mut full = vec!["--suri", signer, "--json"];
        full.extend_from_slice(args);
        let run = self.run(&full);
        let json = run.json();
        assert_eq!(json["ok"], true, "{run:#?}");
        assert_eq!(json["dry_run"], false, "{run:#?}");
        Tx { run, json }
    }

    /// Deploys the escrow contract as `signer` with a fee of `fee_bps` to `fee_recipient`;
    /// remembers and returns its address.
    pub fn deploy(&mut self, signer: &str, fee_bps: u16, fee_recipient: &str) -> String {
        let bundle = escrow_bundle();
        let fee = format!("{fee_bps}bps");
        let run = self.run(&[
            "--suri",
            signer,
            "--json",
            "deploy",
            "--bundle",
            bundle.to_str().expect("UTF-8 path"),
            "--fee",
            &fee,
            "--fee-recipient",
            fee_recipient,
        ]);
        let json = run.json();
        let contract = json["contract"]
            .as_str()
            .unwrap_or_else(|| panic!("no contract address: {run:#?}"))
            .to_string();
        self.contract = Some(contract.clone());
        contract
    }

    /// `deal propose …` as `signer`; returns the new deal's id.
    pub fn propose(&self, signer: &str, args: &[&str]) -> u64 {
        let mut full = vec!["deal", "propose"];
        full.extend_from_slice(args);
        let tx = self.tx(signer, &full);
        assert_eq!(tx.events(), ["DealProposed"], "{:#?}", tx.run);
        tx.ret()
            .as_u64()
            .unwrap_or_else(|| panic!("no deal id: {:#?}", tx.run))
    }

    /// `deal show ID --json`.
    pub fn deal(&self, id: u64) -> Json {
        self.run(&["--json", "deal", "show", &id.to_string()])
            .json()
    }

    /// The status of deal `id` ("Active", "Closed", …).
    pub fn deal_status(&self, id: u64) -> String {
        self.deal(id)["deal"]["deal"]["status"]
            .as_str()
            .expect("deal status")
            .to_string()
    }

    /// The status of milestone `index` of deal `id` ("Pending", "Released", …).
    pub fn milestone_status(&self, id: u64, index: usize) -> String {
        self.deal(id)["milestones"][index]["milestone"]["status"]
            .as_str()
            .expect("milestone status")
            .to_string()
    }

    /// Asserts that `escrow audit ID` rebuilds the deal from events and finds it equal to
    /// storage.
    pub fn assert_audit_ok(&self, id: u64) {
        let run = self.run(&["--json", "audit", &id.to_string()]);
        assert_eq!(run.json()["ok"], true, "audit of deal {id}: {run:#?}");
    }

    /// The contract address (after [`Escrow::deploy`]).
    pub fn contract_account(&self) -> AccountId32 {
        let c = self.contract.as_deref().expect("deployed");
        AccountId32::from_str(c).unwrap_or_else(|e| panic!("contract address {c}: {e}"))
    }
}

/// One account the ledger follows.
#[derive(Debug)]
struct Tracked {
    label: String,
    account: AccountId32,
    /// Free balance at the snapshot.
    start: u128,
    /// Escrow money movements the test declared (deposits, payouts, refunds).
    declared: i128,
    /// Transaction fees paid, from `TransactionFeePaid`.
    fees: u128,
    /// Storage deposits paid minus those released back, from the `Contracts` events.
    deposits: i128,
}

/// Expected free balances: the snapshot, plus what the test declares, minus the chain's
/// costs read from events (see the module docs).
#[derive(Debug)]
pub struct Ledger {
    accounts: Vec<Tracked>,
    /// The last block whose costs are applied.
    synced_to: u32,
}

impl Ledger {
    /// Snapshots the free balances of `accounts` (label, account) at the best block.
    pub async fn snapshot(chain: &Chain, accounts: &[(&str, AccountId32)]) -> Result<Self> {
        let (best, number) = chain.best_block().await?;
        let mut tracked = Vec::new();
        for (label, account) in accounts {
            tracked.push(Tracked {
                label: label.to_string(),
                account: account.clone(),
                start: chain.free_balance(account, best).await?,
                declared: 0,
                fees: 0,
                deposits: 0,
            });
        }
        Ok(Self {
            accounts: tracked,
            synced_to: number,
        })
    }

    fn get(&mut self, label: &str) -> &mut Tracked {
        self.accounts
            .iter_mut()
            .find(|t| t.label == label)
            .unwrap_or_else(|| panic!("the ledger does not track {label}"))
    }

    /// Declares that `amount` moved from `from` to `to` (labels of tracked accounts).
    pub fn pay(&mut self, from: &str, to: &str, amount: u128) {
        let amount = i128::try_from(amount).expect("amount fits i128");
        self.get(from).declared -= amount;
        self.get(to).declared += amount;
    }

    /// Transaction fees `label` paid since the snapshot (as applied so far).
    pub fn fees_of(&mut self, label: &str) -> u128 {
        self.get(label).fees
    }

    /// Applies the chain's costs (fees, storage deposits) of every block after the last
    /// one applied, up to the best block.
    pub async fn sync(&mut self, chain: &Chain) -> Result<()> {
        let (_, best) = chain.best_block().await?;
        for number in self.synced_to + 1..=best {
            let hash = chain.block_hash(number).await?;
            let events = chain.api.events().at(hash).await?;
            for fee in events.find::<TransactionFeePaid>() {
                let fee = fee?;
                for t in self.accounts.iter_mut().filter(|t| t.account == fee.who) {
                    t.fees += fee.actual_fee + fee.tip;
                }
            }
            for held in events.find::<StorageDepositTransferredAndHeld>() {
                let held = held?;
                let amount = i128::try_from(held.amount)?;
                // The deposit leaves the origin's free balance; at the contract it is
                // held, so the contract's free balance does not change.
                for t in self.accounts.iter_mut().filter(|t| t.account == held.from) {
                    t.deposits += amount;
                }
            }
            for released in events.find::<StorageDepositTransferredAndReleased>() {
                let released = released?;
                let amount = i128::try_from(released.amount)?;
                for t in self
                    .accounts
                    .iter_mut()
                    .filter(|t| t.account == released.to)
                {
                    t.deposits -= amount;
                }
            }
        }
        self.synced_to = best;
        Ok(())
    }

    /// Syncs, then asserts that every tracked account's free balance is exactly
    /// `start + declared − fees − deposits`; on a mismatch, fails with a table of all.
    pub async fn assert_balances(&mut self, chain: &Chain, when: &str) -> Result<()> {
        self.sync(chain).await?;
        let (best, number) = chain.best_block().await?;
        let mut table = String::new();
        let mut wrong = 0;
        let mut seen = BTreeMap::new();
        for t in &self.accounts {
            let actual = chain.free_balance(&t.account, best).await?;
            let expected =
                i128::try_from(t.start)? + t.declared - i128::try_from(t.fees)? - t.deposits;
            let ok = i128::try_from(actual)? == expected;
            if !ok {
                wrong += 1;
            }
            table.push_str(&format!(
                "  {:<10} start {:>26} declared {:>+24} fees {:>14} deposits {:>+16} \
                 expected {:>26} actual {:>26} {}\n",
                t.label,
                t.start,
                t.declared,
                t.fees,
                t.deposits,
                expected,
                actual,
                if ok { "ok" } else { "MISMATCH" }
            ));
            seen.insert(t.label.clone(), actual);
        }
        assert_eq!(
            wrong, 0,
            "balances {when} (block #{number}) differ from the ledger:\n{table}"
        );
        eprintln!("balances {when} (block #{number}) exact:\n{table}");
        Ok(())
    }

    /// The free balances of all tracked accounts at the best block, by label.
    pub async fn balances(&self, chain: &Chain) -> Result<BTreeMap<String, u128>> {
        let (best, _) = chain.best_block().await?;
        let mut out = BTreeMap::new();
        for t in &self.accounts {
            out.insert(t.label.clone(), chain.free_balance(&t.account, best).await?);
        }
        Ok(out)
    }
}

/// Uploads and instantiates a contract bundle (`.contract`) that is *not* the escrow, by
/// its constructor `new()` without arguments, straight through `Contracts` (not the CLI:
/// the CLI may refuse bundles that are not the escrow). Returns the contract's address.
pub async fn instantiate_foreign(
    chain: &Chain,
    signer: &Keypair,
    bundle: &Path,
) -> Result<AccountId32> {
    use crate::chain::{none, weight, Instantiated};
    use subxt::dynamic::Value;

    let json: Json = serde_json::from_slice(&std::fs::read(bundle)?)?;
    let wasm = hex_bytes(
        json["source"]["wasm"]
            .as_str()
            .ok_or("bundle has no source.wasm")?,
    )?;
    let constructor = json["spec"]["constructors"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["label"] == "new"))
        .ok_or("bundle has no constructor `new`")?;
    let selector = hex_bytes(constructor["selector"].as_str().ok_or("no selector")?)?;
    let instantiate = subxt::dynamic::tx(
        "Contracts",
        "instantiate_with_code",
        vec![
            Value::u128(0),
            weight(50_000_000_000, 1_000_000),
            none(),
            Value::from_bytes(&wasm),
            Value::from_bytes(&selector),
            Value::from_bytes(b"foreign"),
        ],
    );
    let (_, events) = chain.submit(&instantiate, signer).await?;
    let instantiated = events
        .find_first::<Instantiated>()?
        .ok_or("no Contracts::Instantiated event")?;
    Ok(instantiated.contract)
}

fn hex_bytes(hex: &str) -> Result<Vec<u8>> {
    let hex = hex.trim_start_matches("0x");
    if !hex.len().is_multiple_of(2) {
        return Err(format!("odd-length hex ({} digits)", hex.len()).into());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| Ok(u8::from_str_radix(&hex[i..i + 2], 16)?))
        .collect()
}

/// The bundle of `contracts/bare_pay` (release), built with `scripts/build-contract.sh`
/// if it is missing: a small contract that is not the escrow.
pub fn bare_pay_bundle() -> Result<PathBuf> {
    let bundle = target_dir().join("ink/bare_pay/by-mode/release/bare_pay.contract");
    if bundle.is_file() {
        return Ok(bundle);
    }
    let root = repo_root();
    let output = Command::new(root.join("scripts/build-contract.sh"))
        .arg(root.join("contracts/bare_pay"))
        .arg("--release")
        .env("CARGO_TARGET_DIR", target_dir())
        .output()?;
    if !output.status.success() || !bundle.is_file() {
        return Err(format!(
            "scripts/build-contract.sh contracts/bare_pay --release failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_split_rounds_the_fee_down() {
        assert_eq!(fee_split(units(6_000), 100), (units(5_940), units(60)));
        assert_eq!(fee_split(199, 100), (198, 1));
        assert_eq!(fee_split(99, 100), (99, 0));
    }

    #[test]
    fn rfc3339_has_milliseconds_in_utc() {
        assert_eq!(rfc3339(1_795_812_049_860), "2026-11-27T20:40:49.860Z");
    }

    #[test]
    fn dev_accounts_match_the_well_known_addresses() {
        assert_eq!(
            dev_account("//Bob").to_string(),
            "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
        );
    }
}
