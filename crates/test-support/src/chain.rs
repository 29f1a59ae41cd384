//! The raw chain operations the tests share, over the client library's [`Chain`]: submit
//! any call and get its events, seal a block to move the chain's clock, call a runtime API,
//! instantiate a contract that is not the escrow; the chain events the ledger reads; and
//! helpers to build and read dynamic values.
//!
//! Every submission goes through the client library's `sign_submit_wait`, so the tests
//! sign exactly as the CLI does: the nonce and the mortality from the best block (this
//! chain finalizes nothing), and never a second submission.

use std::{path::Path, time::Duration};

use escrow_client::submit::{sign_submit_wait, SubmitOpts, WaitFor};
use serde_json::Value as Json;
use subxt::{
    blocks::ExtrinsicEvents,
    dynamic::{At, DecodedValue, Value},
    ext::scale_decode,
    tx::Payload,
    utils::{AccountId32, H256},
};
use subxt_signer::sr25519::Keypair;

use crate::{Chain, Result};

/// subxt's configuration of the local chain.
pub use escrow_client::chain::Config;

/// How long a transaction may take to land in a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// Signs `call` as `signer`, submits it once and waits until it is in a best block; fails
/// if the transaction or its dispatch failed. Returns the block hash and the transaction's
/// events.
pub async fn submit<Call: Payload>(
    chain: &Chain,
    call: &Call,
    signer: &Keypair,
) -> Result<(H256, ExtrinsicEvents<Config>)> {
    let opts = SubmitOpts {
        wait: WaitFor::InBlock,
        timeout: INCLUSION_TIMEOUT,
        quiet: true,
        lock_dir: None,
    };
    let included = sign_submit_wait(chain, call, signer, None, opts).await?;
    let block = chain.api.blocks().at(included.block_hash).await?;
    let extrinsic = block
        .extrinsics()
        .await?
        .iter()
        .find(|e| e.hash() == included.tx_hash)
        .ok_or_else(|| {
            format!(
                "transaction {:?} is not in block {:?}",
                included.tx_hash, included.block_hash
            )
        })?;
    Ok((included.block_hash, extrinsic.events().await?))
}

/// Calls `data` on the contract at `contract` as `signer`, sending `value`, with the gas
/// and deposit its dry-run says (plus the client's margin); returns the block number it
/// landed in.
pub async fn call_contract(
    chain: &Chain,
    contract: &AccountId32,
    signer: &Keypair,
    value: u128,
    data: Vec<u8>,
) -> Result<u32> {
    let who: AccountId32 = signer.public_key().into();
    let (best, _) = chain.best().await?;
    let dry = chain
        .dry_run_call(best, &who, contract, value, data.clone())
        .await?;
    let tx = escrow_client::submit::call_tx(contract, value, &dry, data);
    let (block, _) = submit(chain, &tx, signer).await?;
    Ok(chain.api.blocks().at(block).await?.number())
}

/// The hash of block `number` on the best chain.
pub async fn block_hash(chain: &Chain, number: u32) -> Result<H256> {
    Ok(chain.block_hash(number).await?)
}

/// Seals a new block by submitting `System::remark` as `signer`; returns its hash and
/// timestamp. The local chain seals blocks only for transactions, and contract messages
/// see the time of the block they run in, so a test that waits for a clock to run out
/// calls this to move the chain's time forward.
pub async fn tick(chain: &Chain, signer: &Keypair) -> Result<(H256, u64)> {
    let remark = subxt::dynamic::tx("System", "remark", vec![Value::from_bytes(b"tick")]);
    let (block, _) = submit(chain, &remark, signer).await?;
    Ok((block, chain.timestamp(block).await?))
}

/// Milliseconds since the epoch, by the wall clock.
pub fn wall_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
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
/// [`tick`] so the chain's time is past it too. Returns the new block's time.
pub async fn wait_past(chain: &Chain, ticker: &Keypair, ms: u64) -> Result<u64> {
    let target = ms + 200;
    let now = wall_ms();
    if now < target {
        tokio::time::sleep(Duration::from_millis(target - now)).await;
    }
    let (_, at) = tick(chain, ticker).await?;
    assert!(at > ms, "block time {at} is not past {ms}");
    Ok(at)
}

/// Calls the runtime API function `method` of `api` (e.g. "ContractsApi", "call") with
/// dynamic arguments at block `at`.
pub async fn runtime_call(
    chain: &Chain,
    api: &str,
    method: &str,
    args: Vec<Value>,
    at: H256,
) -> Result<DecodedValue> {
    let payload = subxt::dynamic::runtime_api_call(api, method, args);
    Ok(chain
        .api
        .runtime_api()
        .at(at)
        .call(payload)
        .await?
        .to_value()?)
}

/// Uploads and instantiates a contract bundle (`.contract`) that is *not* the escrow, by
/// its constructor `new` with `args` (its SCALE-encoded arguments; empty for `new()`),
/// straight through `Contracts` (not the CLI: the CLI refuses bundles that are not the
/// escrow, and tokens whose metadata it could not show). Returns the contract's address.
pub async fn instantiate_foreign(
    chain: &Chain,
    signer: &Keypair,
    bundle: &Path,
    args: &[u8],
) -> Result<AccountId32> {
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
    let mut data = hex_bytes(constructor["selector"].as_str().ok_or("no selector")?)?;
    data.extend_from_slice(args);
    let instantiate = subxt::dynamic::tx(
        "Contracts",
        "instantiate_with_code",
        vec![
            Value::u128(0),
            weight(50_000_000_000, 1_000_000),
            none(),
            Value::from_bytes(&wasm),
            Value::from_bytes(&data),
            Value::from_bytes(b"foreign"),
        ],
    );
    let (_, events) = submit(chain, &instantiate, signer).await?;
    let instantiated = events
        .find_first::<Instantiated>()?
        .ok_or("no Contracts::Instantiated event")?;
    Ok(instantiated.contract)
}

/// Bytes from `0x`-prefixed (or bare) hex, as bundles and metadata write them.
pub fn hex_bytes(hex: &str) -> Result<Vec<u8>> {
    Ok(hex::decode(hex.trim_start_matches("0x"))?)
}

/// `Balances::Transfer`.
#[derive(Debug, scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub struct Transfer {
    pub from: AccountId32,
    pub to: AccountId32,
    pub amount: u128,
}

impl subxt::events::StaticEvent for Transfer {
    const PALLET: &'static str = "Balances";
    const EVENT: &'static str = "Transfer";
}

/// `Contracts::Instantiated`.
#[derive(Debug, scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub struct Instantiated {
    pub deployer: AccountId32,
    pub contract: AccountId32,
}

impl subxt::events::StaticEvent for Instantiated {
    const PALLET: &'static str = "Contracts";
    const EVENT: &'static str = "Instantiated";
}

/// `TransactionPayment::TransactionFeePaid`: what a signer paid for its transaction.
#[derive(Debug, scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub struct TransactionFeePaid {
    pub who: AccountId32,
    pub actual_fee: u128,
    pub tip: u128,
}

impl subxt::events::StaticEvent for TransactionFeePaid {
    const PALLET: &'static str = "TransactionPayment";
    const EVENT: &'static str = "TransactionFeePaid";
}

/// `Contracts::StorageDepositTransferredAndHeld`: a storage deposit moved from the
/// transaction's origin (`from`) to the contract (`to`), where it is held.
#[derive(Debug, scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub struct StorageDepositTransferredAndHeld {
    pub from: AccountId32,
    pub to: AccountId32,
    pub amount: u128,
}

impl subxt::events::StaticEvent for StorageDepositTransferredAndHeld {
    const PALLET: &'static str = "Contracts";
    const EVENT: &'static str = "StorageDepositTransferredAndHeld";
}

/// `Contracts::StorageDepositTransferredAndReleased`: a held storage deposit went back
/// from the contract (`from`) to the transaction's origin (`to`).
#[derive(Debug, scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub struct StorageDepositTransferredAndReleased {
    pub from: AccountId32,
    pub to: AccountId32,
    pub amount: u128,
}

impl subxt::events::StaticEvent for StorageDepositTransferredAndReleased {
    const PALLET: &'static str = "Contracts";
    const EVENT: &'static str = "StorageDepositTransferredAndReleased";
}

/// `Weight { ref_time, proof_size }` as a dynamic value.
pub fn weight(ref_time: u64, proof_size: u64) -> Value {
    Value::named_composite([
        ("ref_time", Value::u128(ref_time.into())),
        ("proof_size", Value::u128(proof_size.into())),
    ])
}

/// `Some(value)` as a dynamic value.
pub fn some(value: Value) -> Value {
    Value::unnamed_variant("Some", [value])
}

/// `None` as a dynamic value.
pub fn none() -> Value {
    Value::unnamed_variant("None", [])
}

/// Follows `path` (field names, or indices for unnamed fields and variants) into `value`.
pub fn at<'a>(value: &'a DecodedValue, path: &[&str]) -> Result<&'a DecodedValue> {
    let mut current = value;
    for key in path {
        let next = match key.parse::<usize>() {
            Ok(index) => current.at(index),
            Err(_) => current.at(*key),
        };
        current = next.ok_or_else(|| format!("no field {key} (path {path:?}) in {value}"))?;
    }
    Ok(current)
}

/// The unsigned integer at `path`.
pub fn u128_at(value: &DecodedValue, path: &[&str]) -> Result<u128> {
    let leaf = at(value, path)?;
    leaf.as_u128()
        .ok_or_else(|| format!("{path:?} is not an integer: {leaf}").into())
}

/// The variant name at `path` (e.g. "Ok" / "Err", "Charge" / "Refund").
pub fn variant_at<'a>(value: &'a DecodedValue, path: &[&str]) -> Result<&'a str> {
    use subxt::ext::scale_value::ValueDef;
    match &at(value, path)?.value {
        ValueDef::Variant(v) => Ok(v.name.as_str()),
        other => Err(format!("{path:?} is not a variant: {other:?}").into()),
    }
}

/// The byte sequence at `path`: a `Vec<u8>`, a `[u8; N]`, or a newtype around one (such
/// as `AccountId32`).
pub fn bytes_at(value: &DecodedValue, path: &[&str]) -> Result<Vec<u8>> {
    let leaf = at(value, path)?;
    bytes_of(leaf).ok_or_else(|| format!("{path:?} is not a byte sequence: {leaf}").into())
}

fn bytes_of(value: &DecodedValue) -> Option<Vec<u8>> {
    use subxt::ext::scale_value::ValueDef;
    let ValueDef::Composite(composite) = &value.value else {
        return None;
    };
    let values: Vec<&DecodedValue> = composite.values().collect();
    if let [inner @ DecodedValue {
        value: ValueDef::Composite(_),
        ..
    }] = values.as_slice()
    {
        return bytes_of(inner);
    }
    values
        .iter()
        .map(|b| b.as_u128().and_then(|b| u8::try_from(b).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_has_milliseconds_in_utc() {
        assert_eq!(rfc3339(1_795_812_049_860), "2026-11-27T20:40:49.860Z");
    }
}
