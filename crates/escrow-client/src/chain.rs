//! One connection per invocation: the node's metadata, genesis and runtime version are
//! read once when connecting (subxt does that), the token's symbol and decimals once from
//! `system_properties`.
//!
//! The development chain seals a block per transaction but finalizes nothing unless asked to,
//! so every read and dry-run is made at the *best* block (subxt's `at_latest()` means the
//! latest *finalized* block, which would be genesis there). On a network (Aura and GRANDPA)
//! the best block is a few blocks ahead of the finalized one; what needs finality asks for
//! it ([`Chain::finalized`], `--wait finalized`).

use std::time::Duration;

use scale::{Decode, Encode};
use subxt::{
    backend::{legacy::LegacyRpcMethods, rpc::RpcClient},
    config::{Header as _, PolkadotConfig},
    utils::{AccountId32, H256},
    OnlineClient,
};

use futures::{stream, StreamExt, TryStreamExt};

use crate::{
    contract::{self, DryRun, EscrowEvent, REVERT},
    error::{ClientError, Result},
    units::Token,
};

/// subxt's Polkadot config matches the chain (AccountId32, MultiAddress, u32 blocks).
pub type Config = PolkadotConfig;

/// How long connecting may take before we call the node unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to the node.
pub struct Chain {
    /// The subxt client.
    pub api: OnlineClient<Config>,
    /// Raw RPC methods (best block, nonce, properties).
    pub rpc: LegacyRpcMethods<Config>,
    /// The chain's token.
    pub token: Token,
    /// The URL we are connected to.
    pub url: String,
    /// The raw RPC client, for methods subxt has no wrapper for (child storage).
    pub raw: RpcClient,
}

/// A contract event found in a block.
#[derive(Debug, Clone)]
pub struct FoundEvent {
    /// Block number.
    pub block: u32,
    /// Block hash.
    pub block_hash: H256,
    /// Extrinsic index within the block, if any.
    pub extrinsic: Option<u32>,
    /// The decoded event.
    pub event: EscrowEvent,
}

/// The error for an RPC failure before anything was submitted: the node at `url` did not
/// answer (exit code 3), so the caller may safely try again.
pub fn node_unreachable(url: &str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Unreachable {
        url: url.to_string(),
        detail: e.to_string(),
    }
}

impl Chain {
    /// Connects to `url`, reads metadata and the token's properties.
    pub async fn connect(url: &str) -> Result<Chain> {
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(ClientError::input(format!(
                "--url {url}: expected ws://host:port or wss://…"
            )));
        }
        let connect = async {
            let rpc_client = RpcClient::from_url(url)
                .await
                .map_err(|e| node_unreachable(url, e))?;
            let rpc = LegacyRpcMethods::<Config>::new(rpc_client.clone());
            let (api, props) = tokio::join!(
                OnlineClient::<Config>::from_rpc_client(rpc_client.clone()),
                rpc.system_properties()
            );
            let api = api.map_err(|e| node_unreachable(url, e))?;
            let props = props.map_err(|e| node_unreachable(url, e))?;
            let first = |v: Option<&serde_json::Value>| -> Option<serde_json::Value> {
                match v? {
                    serde_json::Value::Array(a) => a.first().cloned(),
                    other => Some(other.clone()),
                }
            };
            let token = Token {
                symbol: first(props.get("tokenSymbol"))
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_else(|| "UNIT".into()),
                decimals: first(props.get("tokenDecimals"))
                    .and_then(|v| v.as_u64())
                    .and_then(|d| u8::try_from(d).ok())
                    .unwrap_or(12),
            };
            Ok(Chain {
                api,
                rpc,
                token,
                url: url.to_string(),
                raw: rpc_client,
            })
        };
        tokio::time::timeout(CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| node_unreachable(url, format!("no answer within {CONNECT_TIMEOUT:?}")))?
    }

    /// The best block's hash and number.
    pub async fn best(&self) -> Result<(H256, u32)> {
        let header = self
            .rpc
            .chain_get_header(None)
            .await
            .map_err(|e| node_unreachable(&self.url, e))?
            .ok_or_else(|| node_unreachable(&self.url, "no best block"))?;
        Ok((header.hash_with(self.api.hasher()), header.number))
    }

    /// The latest finalized block's hash and number (genesis on a chain that never
    /// finalizes).
    pub async fn finalized(&self) -> Result<(H256, u32)> {
        let hash = self
            .rpc
            .chain_get_finalized_head()
            .await
            .map_err(|e| node_unreachable(&self.url, e))?;
        let header = self
            .rpc
            .chain_get_header(Some(hash))
            .await
            .map_err(|e| node_unreachable(&self.url, e))?
            .ok_or_else(|| node_unreachable(&self.url, "no header for the finalized head"))?;
        Ok((hash, header.number))
    }

    /// The timestamp of block `at` (ms), from `Timestamp::Now`.
    pub async fn timestamp(&self, at: H256) -> Result<u64> {
        let v = self.runtime_storage(at, "Timestamp", "Now", vec![]).await?;
        Ok(v.and_then(|v| u64::decode(&mut &v[..]).ok()).unwrap_or(0))
    }

    /// The raw value of runtime storage `pallet::entry` under `keys` at block `at`.
    async fn runtime_storage(
        &self,
        at: H256,
        pallet: &str,
        entry: &str,
        keys: Vec<subxt::dynamic::Value>,
    ) -> Result<Option<Vec<u8>>> {
        let key = subxt::dynamic::storage(pallet, entry, keys);
        let v = self
            .api
            .storage()
            .at(at)
            .fetch(&key)
            .await
            .map_err(|e| node_unreachable(&self.url, e))?;
        Ok(v.map(|v| v.encoded().to_vec()))
    }

    /// Free balance of `account` at `at`.
    pub async fn free_balance(&self, account: &AccountId32, at: H256) -> Result<u128> {
        Ok(self.account_info(account, at).await?.map_or(0, |t| t.4))
    }

    /// The nonce of `account` in the state of block `at` (transactions in blocks only).
    pub async fn account_nonce(&self, account: &AccountId32, at: H256) -> Result<u32> {
        Ok(self.account_info(account, at).await?.map_or(0, |t| t.0))
    }

    /// The events of block `hash`.
    pub async fn events_at(&self, hash: H256) -> Result<subxt::events::Events<Config>> {
        self.api
            .events()
            .at(hash)
            .await
            .map_err(|e| node_unreachable(&self.url, e))
    }

    /// `System::Account` of `account` at `at`: AccountInfo { nonce: u32, consumers: u32,
    /// providers: u32, sufficients: u32, data: { free, .. } }, as far as we read it.
    async fn account_info(
        &self,
        account: &AccountId32,
        at: H256,
    ) -> Result<Option<(u32, u32, u32, u32, u128)>> {
        let key = vec![subxt::dynamic::Value::from_bytes(account.0)];
        let v = self.runtime_storage(at, "System", "Account", key).await?;
        Ok(v.and_then(|v| <(u32, u32, u32, u32, u128)>::decode(&mut &v[..]).ok()))
    }

    /// The code hash of the contract at `address` at the best block (`None`: no contract).
    /// Reads `Contracts::ContractInfoOf`, whose value starts with `trie_id` (a bounded
    /// byte vector) and then `code_hash`.
    pub async fn code_hash_of(&self, address: &AccountId32) -> Result<Option<[u8; 32]>> {
        Ok(self.contract_info(address, None).await?.map(|(_, h)| h))
    }

    /// The hash of block number `n` on the best chain.
    pub async fn block_hash(&self, n: u32) -> Result<H256> {
        self.rpc
            .chain_get_block_hash(Some(n.into()))
            .await
            .map_err(|e| node_unreachable(&self.url, e))?
            .ok_or_else(|| ClientError::Rejected(format!("no block #{n}")))
    }

    /// The chain's existential deposit (`Balances::ExistentialDeposit`).
    pub fn existential_deposit(&self) -> Result<u128> {
        let c = subxt::dynamic::constant("Balances", "ExistentialDeposit");
        let v =
            self.api.constants().at(&c).map_err(|e| {
                ClientError::Rejected(format!("no Balances::ExistentialDeposit: {e}"))
            })?;
        u128::decode(&mut v.encoded())
            .map_err(|e| ClientError::Rejected(format!("undecodable existential deposit: {e}")))
    }

    /// Raw values of `keys` (already hashed) in the child trie `child_key`, at `at`:
    /// one request for all of them (`childstate_getStorageEntries`).
    pub async fn child_entries(
        &self,
        child_key: &[u8],
        keys: &[Vec<u8>],
        at: H256,
    ) -> Result<Vec<Option<Vec<u8>>>> {
        let hex_keys: Vec<String> = keys.iter().map(|k| crate::units::hex0x(k)).collect();
        let params = subxt::ext::subxt_rpcs::client::rpc_params![
            crate::units::hex0x(child_key),
            hex_keys,
            at
        ];
        let raw: Vec<Option<String>> = self
            .raw
            .request("childstate_getStorageEntries", params)
            .await
            .map_err(|e| node_unreachable(&self.url, e))?;
        raw.iter()
            .map(|v| v.as_deref().map(|h| from_hex(h, "value")).transpose())
            .collect()
    }

    /// Up to `count` keys (hashed) of the child trie `child_key` at `at`, after `start`
    /// (`childstate_getKeysPaged`).
    pub async fn child_keys(
        &self,
        child_key: &[u8],
        count: u32,
        start: Option<&[u8]>,
        at: H256,
    ) -> Result<Vec<Vec<u8>>> {
        let hex = crate::units::hex0x;
        let params = subxt::ext::subxt_rpcs::client::rpc_params![
            hex(child_key),
            "0x",
            count,
            start.map(hex),
            at
        ];
        let raw: Vec<String> = self
            .raw
            .request("childstate_getKeysPaged", params)
            .await
            .map_err(|e| node_unreachable(&self.url, e))?;
        raw.iter().map(|h| from_hex(h, "key")).collect()
    }

    /// `Contracts::ContractInfoOf` of `address` at `at` (the best block if `None`): its
    /// child trie id and code hash, or `None` if no contract lives there.
    pub async fn contract_info(
        &self,
        address: &AccountId32,
        at: Option<H256>,
    ) -> Result<Option<(Vec<u8>, [u8; 32])>> {
        let key = subxt::dynamic::storage(
            "Contracts",
            "ContractInfoOf",
            vec![subxt::dynamic::Value::from_bytes(address.0)],
        );
        let key = self.api.storage().address_bytes(&key).map_err(|e| {
            ClientError::Rejected(format!("the chain has no Contracts pallet: {e}"))
        })?;
        let raw = self
            .rpc
            .state_get_storage(&key, at)
            .await
            .map_err(|e| node_unreachable(&self.url, e))?;
        match raw {
            None => Ok(None),
            Some(bytes) => <(Vec<u8>, [u8; 32])>::decode(&mut &bytes[..])
                .map(Some)
                .map_err(|e| ClientError::Rejected(format!("undecodable ContractInfoOf: {e}"))),
        }
    }

    async fn runtime_call(&self, at: H256, function: &str, args: &[u8]) -> Result<Vec<u8>> {
        self.api
            .runtime_api()
            .at(at)
            .call_raw(function, Some(args))
            .await
            .map_err(|e| node_unreachable(&self.url, e))
    }

    /// `ContractsApi_call` dry-run.
    pub async fn dry_run_call(
        &self,
        at: H256,
        origin: &AccountId32,
        dest: &AccountId32,
        value: u128,
        data: Vec<u8>,
    ) -> Result<DryRun> {
        let args = (
            origin.0,
            dest.0,
            value,
            None::<contract::Weight>,
            None::<u128>,
            data,
        )
            .encode();
        let bytes = self.runtime_call(at, "ContractsApi_call", &args).await?;
        contract::decode_dry_run(&bytes, false).map_err(ClientError::Rejected)
    }

    /// `ContractsApi_instantiate` dry-run with code upload.
    pub async fn dry_run_instantiate(
        &self,
        at: H256,
        origin: &AccountId32,
        value: u128,
        code: &[u8],
        data: Vec<u8>,
        salt: Vec<u8>,
    ) -> Result<DryRun> {
        // Code::Upload(Vec<u8>) is variant 0.
        let mut args = (origin.0, value, None::<contract::Weight>, None::<u128>).encode();
        0u8.encode_to(&mut args);
        code.encode_to(&mut args);
        (data, salt).encode_to(&mut args);
        let bytes = self
            .runtime_call(at, "ContractsApi_instantiate", &args)
            .await?;
        contract::decode_dry_run(&bytes, true).map_err(ClientError::Rejected)
    }

    /// `ContractsApi_upload_code` dry-run (determinism `Enforced`): the code hash and the
    /// deposit the upload would take (0 when the code is already on chain), or the raw
    /// SCALE `DispatchError`.
    pub async fn dry_run_upload(
        &self,
        at: H256,
        origin: &AccountId32,
        code: &[u8],
    ) -> Result<std::result::Result<([u8; 32], u128), Vec<u8>>> {
        let args = (origin.0, code.to_vec(), None::<u128>, 0u8).encode();
        let bytes = self
            .runtime_call(at, "ContractsApi_upload_code", &args)
            .await?;
        let undecodable =
            |e: String| ClientError::Rejected(format!("undecodable upload dry-run: {e}"));
        match bytes.split_first() {
            Some((0, rest)) => <([u8; 32], u128)>::decode(&mut &rest[..])
                .map(Ok)
                .map_err(|e| undecodable(e.to_string())),
            Some((1, rest)) => Ok(Err(contract::dispatch_error_prefix(rest).to_vec())),
            _ => Err(undecodable("empty or unknown tag".into())),
        }
    }

    /// `ContractsApi_get_storage`: the raw value under `key` in the storage of the contract
    /// at `address` (`None`: no value, or no contract).
    pub async fn contract_storage(
        &self,
        at: H256,
        address: &AccountId32,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>> {
        let args = (address.0, key.to_vec()).encode();
        let bytes = self
            .runtime_call(at, "ContractsApi_get_storage", &args)
            .await?;
        // Result<Option<Vec<u8>>, ContractAccessError (a fieldless enum)>
        match <std::result::Result<Option<Vec<u8>>, u8>>::decode(&mut &bytes[..]) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Ok(None),
            Err(e) => Err(ClientError::Rejected(format!(
                "undecodable contract storage read: {e}"
            ))),
        }
    }

    /// Turns a raw dispatch error (from a dry-run) into a named error.
    pub fn dispatch_error(&self, raw: &[u8]) -> ClientError {
        match subxt::error::DispatchError::decode_from(raw, self.api.metadata()) {
            Ok(e) => named_dispatch_error(e),
            Err(e) => ClientError::Rejected(format!("undecodable dispatch error: {e}")),
        }
    }

    /// What a message's dry-run says it would return: its `Ok` value, or the contract's
    /// error (`Contract`), a call the contract could not decode (`Lang`), or the chain's
    /// refusal (`Dispatch`). Used for calls and for the constructor.
    pub fn message_outcome<R: Decode>(&self, dry: &DryRun) -> Result<R> {
        match &dry.result {
            Err(raw) => Err(self.dispatch_error(raw)),
            Ok((_flags, ret)) => {
                match contract::decode_message_return::<R>(ret).map_err(ClientError::Rejected)? {
                    Err(lang) => Err(ClientError::Lang(format!("{lang:?}"))),
                    Ok(Err(e)) => Err(ClientError::Contract(e)),
                    Ok(Ok(r)) => Ok(r),
                }
            }
        }
    }

    /// Calls a read-only message and decodes its `Result<T, LangError>`.
    pub async fn read<T: Decode>(
        &self,
        at: H256,
        contract: &AccountId32,
        data: Vec<u8>,
    ) -> Result<T> {
        let dry = self.dry_run_call(at, contract, contract, 0, data).await?;
        match dry.result {
            Err(raw) => Err(self.dispatch_error(&raw)),
            Ok((flags, data)) => {
                if flags & REVERT != 0 {
                    return Err(ClientError::Rejected("the read reverted".into()));
                }
                match contract::decode_read_return::<T>(&data).map_err(ClientError::Rejected)? {
                    Ok(v) => Ok(v),
                    Err(lang) => Err(ClientError::Lang(format!("{lang:?}"))),
                }
            }
        }
    }

    /// Our contract's events in block `hash`.
    pub async fn contract_events(
        &self,
        hash: H256,
        number: u32,
        contract: &AccountId32,
    ) -> Result<Vec<FoundEvent>> {
        let events = self.events_at(hash).await?;
        let mut out = Vec::new();
        for ev in events.iter() {
            let ev =
                ev.map_err(|e| ClientError::Rejected(format!("undecodable block events: {e}")))?;
            if let Some(found) = contract_event(&ev, contract)? {
                let extrinsic = match ev.phase() {
                    subxt::events::Phase::ApplyExtrinsic(i) => Some(i),
                    _ => None,
                };
                out.push(FoundEvent {
                    block: number,
                    block_hash: hash,
                    extrinsic,
                    event: found,
                });
            }
        }
        Ok(out)
    }

    /// The events of the contract at `contract` in blocks `from..=to`, in chain order. The
    /// blocks are fetched 16 at a time: a long range is dominated by round trips.
    pub async fn scan_events(
        &self,
        contract: &AccountId32,
        from: u32,
        to: u32,
    ) -> Result<Vec<FoundEvent>> {
        if from > to {
            return Ok(Vec::new());
        }
        let per_block: Vec<Vec<FoundEvent>> = stream::iter(from..=to)
            .map(|n| async move {
                let hash = self.block_hash(n).await?;
                self.contract_events(hash, n, contract).await
            })
            .buffered(16)
            .try_collect()
            .await?;
        Ok(per_block.into_iter().flatten().collect())
    }
}

/// The bytes of a child storage `what` (key or value) as the node sends it, `0x…`.
fn from_hex(h: &str, what: &str) -> Result<Vec<u8>> {
    hex::decode(h.trim_start_matches("0x"))
        .map_err(|e| ClientError::Rejected(format!("undecodable child storage {what}: {e}")))
}

/// Decodes `Contracts::ContractEmitted { contract, data }` if it is our contract's event.
pub fn contract_event(
    ev: &subxt::events::EventDetails<Config>,
    contract: &AccountId32,
) -> Result<Option<EscrowEvent>> {
    if ev.pallet_name() != "Contracts" || ev.variant_name() != "ContractEmitted" {
        return Ok(None);
    }
    let mut bytes = ev.field_bytes();
    let (emitter, data) = <([u8; 32], Vec<u8>)>::decode(&mut bytes)
        .map_err(|e| ClientError::Rejected(format!("undecodable ContractEmitted: {e}")))?;
    if emitter != contract.0 {
        return Ok(None);
    }
    let topics: Vec<[u8; 32]> = ev.topics().iter().map(|t| t.0).collect();
    match EscrowEvent::decode(&topics, &data) {
        None => Ok(None),
        Some(Ok(e)) => Ok(Some(e)),
        Some(Err(e)) => Err(ClientError::Rejected(e)),
    }
}

/// A dispatch error named from the metadata (`Pallet::Variant` and its docs).
pub fn named_dispatch_error(e: subxt::error::DispatchError) -> ClientError {
    use subxt::error::DispatchError as D;
    match &e {
        D::Module(m) => match m.details() {
            Ok(d) => ClientError::Dispatch {
                name: format!("{}::{}", d.pallet.name(), d.variant.name),
                docs: d.variant.docs.join(" ").trim().to_string(),
            },
            Err(_) => ClientError::Dispatch {
                name: format!("{e}"),
                docs: String::new(),
            },
        },
        D::Token(t) => ClientError::Dispatch {
            name: format!("Token::{t:?}"),
            docs: t.to_string(),
        },
        other => ClientError::Dispatch {
            name: format!("{other:?}"),
            docs: other.to_string(),
        },
    }
}
