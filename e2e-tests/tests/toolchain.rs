//! The contract toolchain end to end: `scripts/build-contract.sh` builds `bare_pay` in
//! release and in debug mode (cargo-contract through the cargo wrapper, plus the wasm
//! feature check), and each build is uploaded, instantiated and called on a fresh chain.
//! Every submission is sized by a `ContractsApi` dry-run first, like cargo-contract and
//! ink_e2e do.

use std::sync::Mutex;

use escrow_test_support::{
    accounts::{dev_keypair, fresh_account, Keypair},
    artifacts::{build_contract, target_dir},
    chain::{
        bytes_at, hex_bytes, none, runtime_call, some, submit, u128_at, variant_at, weight,
        Instantiated,
    },
    Chain, Result, TestNode, UNIT,
};
use subxt::{
    dynamic::{DecodedValue, Value},
    utils::{AccountId32, H256},
};

/// cargo-contract writes every build of a crate to the same place: one build at a time.
static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// A built contract: its code and the selectors from its metadata.
struct Artifacts {
    wasm: Vec<u8>,
    metadata: serde_json::Value,
}

impl Artifacts {
    /// The selector of the constructor or message `label`.
    fn selector(&self, kind: &str, label: &str) -> Vec<u8> {
        let entries = self.metadata["spec"][kind]
            .as_array()
            .expect("spec lists entries");
        let entry = entries
            .iter()
            .find(|e| e["label"] == label)
            .unwrap_or_else(|| panic!("no {kind} {label} in the metadata"));
        let hex = entry["selector"].as_str().expect("selector is a string");
        hex_bytes(hex).expect("hex selector")
    }
}

/// Runs `scripts/build-contract.sh contracts/bare_pay --<mode>` and loads what it built.
fn build_bare_pay(mode: &str) -> Artifacts {
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let started = std::time::Instant::now();
    if let Err(e) = build_contract("bare_pay", mode) {
        panic!("build-contract.sh --{mode} failed: {e}");
    }
    eprintln!(
        "bare_pay --{mode} built and checked in {:?}",
        started.elapsed()
    );

    let dir = target_dir().join("ink/bare_pay/by-mode").join(mode);
    let wasm = std::fs::read(dir.join("bare_pay.wasm")).expect("read bare_pay.wasm");
    let metadata = std::fs::read(dir.join("bare_pay.json")).expect("read bare_pay.json");
    Artifacts {
        wasm,
        metadata: serde_json::from_slice(&metadata).expect("metadata is JSON"),
    }
}

/// A dry-run's result, with the figures a submission needs.
struct DryRun {
    value: DecodedValue,
    ref_time: u64,
    proof_size: u64,
    /// The storage deposit to allow: the charge, or 0 for a refund.
    deposit_limit: u128,
}

impl DryRun {
    /// Checks that the dry-run succeeded and did not revert; `result_path` leads from
    /// `result.Ok` to the `ExecReturnValue`.
    fn from_value(value: DecodedValue, result_path: &[&str]) -> Result<Self> {
        if variant_at(&value, &["result"])? != "Ok" {
            let debug =
                String::from_utf8_lossy(&bytes_at(&value, &["debug_message"])?).into_owned();
            return Err(format!("dry-run failed: {value}\ndebug buffer: {debug}").into());
        }
        let mut flags_path = vec!["result", "0"];
        flags_path.extend_from_slice(result_path);
        flags_path.extend(["flags", "bits"]);
        let flags = u128_at(&value, &flags_path)?;
        assert_eq!(flags, 0, "dry-run reverted: {value}");
        let deposit_limit = match variant_at(&value, &["storage_deposit"])? {
            "Charge" => u128_at(&value, &["storage_deposit", "0"])?,
            _ => 0,
        };
        Ok(Self {
            ref_time: u64::try_from(u128_at(&value, &["gas_required", "ref_time"])?)?,
            proof_size: u64::try_from(u128_at(&value, &["gas_required", "proof_size"])?)?,
            deposit_limit,
            value,
        })
    }

    /// The bytes the contract returned (`ExecReturnValue.data`).
    fn data(&self, result_path: &[&str]) -> Result<Vec<u8>> {
        let mut path = vec!["result", "0"];
        path.extend_from_slice(result_path);
        path.push("data");
        bytes_at(&self.value, &path)
    }
}

async fn dry_run_call(
    chain: &Chain,
    at: H256,
    caller: &Keypair,
    contract: &AccountId32,
    data: Vec<u8>,
) -> Result<DryRun> {
    let origin: AccountId32 = caller.public_key().into();
    let args = vec![
        Value::from_bytes(origin.0),
        Value::from_bytes(contract.0),
        Value::u128(0),
        none(),
        none(),
        Value::from_bytes(data),
    ];
    DryRun::from_value(
        runtime_call(chain, "ContractsApi", "call", args, at).await?,
        &[],
    )
}

/// Upload, instantiate and call `pay` with one build; asserts exact balances.
async fn deploy_and_pay(mode: &str, artifacts: &Artifacts) -> Result<()> {
    let node = TestNode::start();
    let chain = Chain::connect(&node.url()).await?;
    let alice = dev_keypair("//Alice");
    let bob = dev_keypair("//Bob");
    let alice_id: AccountId32 = alice.public_key().into();
    let endowment = 10 * UNIT;
    let amount = 3 * UNIT;
    let salt = mode.as_bytes().to_vec();
    let constructor = artifacts.selector("constructors", "new");

    // given: a deployed contract, sized by a dry-run
    let (best, _) = chain.best().await?;
    let args = vec![
        Value::from_bytes(alice_id.0),
        Value::u128(endowment),
        none(),
        none(),
        Value::unnamed_variant("Upload", [Value::from_bytes(&artifacts.wasm)]),
        Value::from_bytes(&constructor),
        Value::from_bytes(&salt),
    ];
    let dry = DryRun::from_value(
        runtime_call(&chain, "ContractsApi", "instantiate", args, best).await?,
        &["result"],
    )?;
    eprintln!(
        "{mode}: {} bytes of wasm; instantiate needs ref_time {}, proof_size {}, deposit {}",
        artifacts.wasm.len(),
        dry.ref_time,
        dry.proof_size,
        dry.deposit_limit
    );
    let instantiate = subxt::dynamic::tx(
        "Contracts",
        "instantiate_with_code",
        vec![
            Value::u128(endowment),
            weight(dry.ref_time, dry.proof_size),
            some(Value::u128(dry.deposit_limit)),
            Value::from_bytes(&artifacts.wasm),
            Value::from_bytes(&constructor),
            Value::from_bytes(&salt),
        ],
    );
    let (_, events) = submit(&chain, &instantiate, &alice).await?;
    let instantiated = events
        .find_first::<Instantiated>()?
        .ok_or("no Contracts::Instantiated event")?;
    assert_eq!(instantiated.deployer, alice_id);
    let contract = instantiated.contract;
    let predicted = bytes_at(&dry.value, &["result", "0", "account_id"])?;
    assert_eq!(
        predicted,
        contract.0.to_vec(),
        "dry-run predicted another address"
    );

    // when: Bob makes the contract pay a fresh account
    let payee = fresh_account();
    let mut pay_data = artifacts.selector("messages", "pay");
    pay_data.extend_from_slice(&payee.0);
    pay_data.extend_from_slice(&amount.to_le_bytes());
    let (best, _) = chain.best().await?;
    let contract_before = chain.free_balance(&contract, best).await?;
    let dry = dry_run_call(&chain, best, &bob, &contract, pay_data.clone()).await?;
    // Ok(Ok(())): no LangError, no contract Error.
    assert_eq!(dry.data(&[])?, vec![0, 0], "pay dry-run returned an error");
    eprintln!(
        "{mode}: pay needs ref_time {}, proof_size {}, deposit {}",
        dry.ref_time, dry.proof_size, dry.deposit_limit
    );
    let call = subxt::dynamic::tx(
        "Contracts",
        "call",
        vec![
            Value::unnamed_variant("Id", [Value::from_bytes(contract.0)]),
            Value::u128(0),
            weight(dry.ref_time, dry.proof_size),
            some(Value::u128(dry.deposit_limit)),
            Value::from_bytes(&pay_data),
        ],
    );
    let (block, _) = submit(&chain, &call, &bob).await?;

    // then: exact balances, and the counter moved once
    assert_eq!(chain.free_balance(&payee, block).await?, amount);
    assert_eq!(
        chain.free_balance(&contract, block).await?,
        contract_before - amount
    );
    let count = dry_run_call(
        &chain,
        block,
        &bob,
        &contract,
        artifacts.selector("messages", "count"),
    )
    .await?;
    // Ok(1u64)
    assert_eq!(
        count.data(&[])?,
        [vec![0], 1u64.to_le_bytes().to_vec()].concat()
    );
    Ok(())
}

#[tokio::test]
async fn bare_pay_release_build_deploys_and_pays() -> Result<()> {
    let artifacts = build_bare_pay("release");
    deploy_and_pay("release", &artifacts).await
}

#[tokio::test]
async fn bare_pay_debug_build_deploys_and_pays() -> Result<()> {
    let artifacts = build_bare_pay("debug");
    deploy_and_pay("debug", &artifacts).await
}
