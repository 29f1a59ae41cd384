//! Chain operations shared by the tests: connect, submit and wait for inclusion, read
//! balances, and dry-run contracts through the `ContractsApi` runtime API.
//!
//! The local chain seals a block per transaction but finalizes nothing (unless started
//! with `--finalize-delay-sec`). subxt's defaults read the nonce and the mortality
//! checkpoint at the *finalized* block, which stays at genesis here; so every transaction
//! gets its nonce from `system_accountNextIndex` and its era from the best block, and we
//! wait for `InBestBlock`, never for finality.

use std::time::Duration;

use subxt::{
    backend::{legacy::LegacyRpcMethods, rpc::RpcClient},
    config::{DefaultExtrinsicParamsBuilder, PolkadotConfig},
    dynamic::{At, DecodedValue, Value},
    ext::scale_decode,
    tx::{Payload, TxStatus},
    utils::{AccountId32, H256},
    OnlineClient,
};
use subxt_signer::sr25519::Keypair;

/// Errors of the helpers and tests.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result of the helpers and tests.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The local chain's `MultiAddress<AccountId32, ()>` and u32 block numbers match subxt's
/// Polkadot config.
pub type Config = PolkadotConfig;

/// One token: 12 decimals.
pub const UNIT: u128 = 1_000_000_000_000;
/// The chain's existential deposit.
pub const EXISTENTIAL_DEPOSIT: u128 = UNIT / 1_000;
/// How long a transaction may take to land in a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);
/// Transactions are valid for this many blocks after the best block at signing.
const MORTALITY_BLOCKS: u64 = 64;

/// A connection to a node: the typed client plus the legacy RPC methods for what subxt's
/// client does not expose (best block, properties, next nonce).
#[derive(Clone)]
pub struct Chain {
    pub api: OnlineClient<Config>,
    pub rpc: LegacyRpcMethods<Config>,
}

impl Chain {
    /// Connects to `url` (ws://127.0.0.1:<port>).
    pub async fn connect(url: &str) -> Result<Self> {
        let rpc_client = RpcClient::from_url(url).await?;
        let api = OnlineClient::<Config>::from_rpc_client(rpc_client.clone()).await?;
        Ok(Self {
            api,
            rpc: LegacyRpcMethods::new(rpc_client),
        })
    }

    /// The best block: hash and number.
    pub async fn best_block(&self) -> Result<(H256, u32)> {
        let hash = self
            .rpc
            .chain_get_block_hash(None)
            .await?
            .ok_or("node returned no best block hash")?;
        let header = self
            .rpc
            .chain_get_header(Some(hash))
            .await?
            .ok_or("node returned no header for its best block")?;
        Ok((hash, header.number))
    }

    /// Signs `call` as `signer`, submits it and waits until it is in a best block; fails
    /// if the extrinsic failed. Returns the block hash and the extrinsic's events.
    pub async fn submit<Call: Payload>(
        &self,
        call: &Call,
        signer: &Keypair,
    ) -> Result<(H256, subxt::blocks::ExtrinsicEvents<Config>)> {
        let nonce = self
            .rpc
            .system_account_next_index(&signer.public_key().into())
            .await?;
        let (best_hash, best_number) = self.best_block().await?;
        let params = DefaultExtrinsicParamsBuilder::<Config>::new()
            .nonce(nonce)
            .mortal_from_unchecked(MORTALITY_BLOCKS, best_number.into(), best_hash)
            .build();
        let mut progress = self
            .api
            .tx()
            .sign_and_submit_then_watch(call, signer, params)
            .await?;
        let in_block = tokio::time::timeout(INCLUSION_TIMEOUT, async {
            while let Some(status) = progress.next().await {
                match status? {
                    TxStatus::InBestBlock(b) | TxStatus::InFinalizedBlock(b) => return Ok(b),
                    TxStatus::Error { message }
                    | TxStatus::Invalid { message }
                    | TxStatus::Dropped { message } => {
                        return Err(format!("transaction rejected: {message}").into())
                    }
                    _ => continue,
                }
            }
            Err::<_, Error>("transaction status subscription ended before inclusion".into())
        })
        .await
        .map_err(|_| format!("transaction not in a block after {INCLUSION_TIMEOUT:?}"))??;
        let events = in_block.wait_for_success().await?;
        Ok((in_block.block_hash(), events))
    }

    /// The free balance of `account` at block `at` (0 for an account that doesn't exist).
    pub async fn free_balance(&self, account: &AccountId32, at: H256) -> Result<u128> {
        let key = subxt::dynamic::storage("System", "Account", vec![Value::from_bytes(account.0)]);
        match self.api.storage().at(at).fetch(&key).await? {
            None => Ok(0),
            Some(info) => u128_at(&info.to_value()?, &["data", "free"]),
        }
    }

    /// The hash of block `number` on the best chain.
    pub async fn block_hash(&self, number: u32) -> Result<H256> {
        self.rpc
            .chain_get_block_hash(Some(number.into()))
            .await?
            .ok_or_else(|| format!("node has no block #{number}").into())
    }

    /// `Timestamp::Now` at block `at`: the block's time in ms since the epoch.
    pub async fn timestamp(&self, at: H256) -> Result<u64> {
        let key = subxt::dynamic::storage("Timestamp", "Now", vec![]);
        let now = self
            .api
            .storage()
            .at(at)
            .fetch(&key)
            .await?
            .ok_or("no Timestamp::Now")?
            .to_value()?;
        let ms = now
            .as_u128()
            .ok_or_else(|| format!("Timestamp::Now is not an integer: {now}"))?;
        Ok(u64::try_from(ms)?)
    }

    /// Seals a new block by submitting `System::remark` as `signer`, and returns its hash
    /// and timestamp. The local chain seals blocks only for transactions, and contract
    /// messages see the time of the block they run in, so a test that waited for a clock
    /// to run out calls this to move the chain's time forward.
    pub async fn tick(&self, signer: &Keypair) -> Result<(H256, u64)> {
        let remark = subxt::dynamic::tx("System", "remark", vec![Value::from_bytes(b"tick")]);
        let (block, _) = self.submit(&remark, signer).await?;
        Ok((block, self.timestamp(block).await?))
    }

    /// Calls a runtime API function by name with dynamic arguments at block `at`.
    pub async fn runtime_call(
        &self,
        api: &str,
        method: &str,
        args: Vec<Value>,
        at: H256,
    ) -> Result<DecodedValue> {
        let payload = subxt::dynamic::runtime_api_call(api, method, args);
        Ok(self
            .api
            .runtime_api()
            .at(at)
            .call(payload)
            .await?
            .to_value()?)
    }
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

/// An account nobody has used: derived from a random sr25519 key.
pub fn fresh_account() -> AccountId32 {
    let mut seed = [0u8; 32];
    // /dev/urandom keeps the crate free of an RNG dependency.
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
        .expect("read /dev/urandom");
    Keypair::from_secret_key(seed)
        .expect("any 32 bytes are a valid secret")
        .public_key()
        .into()
}

/// `Weight { ref_time, proof_size }` as a dynamic value.
pub fn weight(ref_time: u64, proof_size: u64) -> Value {
    Value::named_composite([
        ("ref_time", Value::u128(ref_time.into())),
        ("proof_size", Value::u128(proof_size.into())),
    ])
}

/// `Some(value)` / `None` as dynamic values.
pub fn some(value: Value) -> Value {
    Value::unnamed_variant("Some", [value])
}
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
