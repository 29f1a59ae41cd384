//! Dry-run, sign, submit, wait: the only path by which a client (the CLI, the bench, the
//! tests) changes chain state.
//!
//! Why dry-run first: pallet-contracts reports a failing contract call on chain only as
//! `Contracts::ContractReverted`; the contract's own error (`escrow_types::Error`) is only
//! visible in a dry-run's return data. So every call is dry-run at the best block, refused
//! with the error's name and a hint if it fails, and otherwise signed with the dry-run's
//! storage-deposit figure and its gas plus [`GAS_MARGIN_PERCENT`].
//!
//! Why a gas margin: the state a call runs on can change between its dry-run and its block.
//! pallet-contracts charges a storage write by the old value's size too, so a proposal
//! dry-run before another transaction created an entry it updates (the shared arbiter's deal
//! count) needs more gas than its dry-run said; signed with exactly that figure it failed with
//! `Contracts::OutOfGas` under concurrent load (issue 17's network bench). Unused gas is
//! refunded (the fee follows the weight used), so the margin costs nothing but block space
//! reserved until the call runs. ink_e2e's `extra_gas_portion` is the same idea.
//!
//! Why an explicit mortal era: a signed transaction that is not mortal could be replayed
//! into a block hours later; ours is valid for [`MORTALITY_BLOCKS`] blocks from its birth
//! block. The birth is the finalized block when the chain finalizes and is at most
//! [`MAX_FINALITY_LAG`] blocks behind, otherwise the best block ([`era_birth`]): a birth that
//! a fork retracts makes the signature invalid, and a node a block behind the signer's does
//! not know the signer's best block yet, so it refuses the transaction (issue 17's network
//! bench saw `AncientBirthBlock`). On a chain that never finalizes, or whose finality has
//! stalled, the best block keeps the window open. The nonce comes from `system_accountNextIndex` (which counts pooled
//! transactions), because the local chain does not finalize, raised to the nonce of the best
//! block read right after it (the node's answer can be one short; see `sign_submit_wait`).
//!
//! Why we never re-submit: a disconnect while waiting does not mean the transaction
//! failed; the node may already have it (subxt maintainers: "the user knows that their TX
//! may or may not have made it"). We print the extrinsic hash on stderr *before* waiting,
//! and if the connection drops, the status stream ends, or waiting times out, we exit with
//! code 4 ("unknown status") and say how to check, instead of trying again. The one call
//! that is signed twice is one the pool refused as outdated at submission: it never entered
//! the pool, its nonce is spent, so it can never land (`sign_submit_wait`).
//!
//! Why a refusal is read from the error's code: a submission the node refuses has queued
//! nothing (exit 1), while any other failure may have left the transaction with the node
//! (exit 4). [`decide_submit_error`] tells them apart from the JSON-RPC error object's
//! `code` alone (and the runtime's reason in its `data` for "outdated"), never from text:
//! a transport error's message, or a hash in it, can contain "1010" or "1014".
//!
//! Why in-block by default: on an instant-seal dev chain finality may never come; with
//! `--wait finalized` we wait for it (up to `--timeout`).

use std::time::Duration;

use subxt::{
    config::DefaultExtrinsicParamsBuilder,
    dynamic::Value,
    tx::{Payload, TxStatus},
    utils::{AccountId32, H256},
};
use subxt_signer::sr25519::Keypair;

use crate::{
    chain::{contract_event, named_dispatch_error, node_unreachable, Chain},
    contract::{DryRun, EscrowEvent, Weight},
    error::{ClientError, Result},
};

/// Transactions are valid for this many blocks after their birth block ([`era_birth`]).
pub const MORTALITY_BLOCKS: u64 = 64;

/// A finalized block this far behind the best one (or farther) is not a transaction's birth
/// block: the best block is (see [`era_birth`]).
pub const MAX_FINALITY_LAG: u32 = 16;

/// The block a transaction's mortal era starts at, from the best and finalized heads (hash,
/// number): the finalized head when it is past genesis and less than [`MAX_FINALITY_LAG`]
/// blocks behind the best, otherwise the best.
pub fn era_birth(best: (H256, u32), finalized: (H256, u32)) -> (H256, u32) {
    let lag = best.1.saturating_sub(finalized.1);
    if finalized.1 > 0 && lag < MAX_FINALITY_LAG {
        finalized
    } else {
        best
    }
}

/// The gas a call is signed with above its dry-run's `gas_required` (see the module docs).
pub const GAS_MARGIN_PERCENT: u64 = 10;

/// The gas limit signed for a dry-run's `gas_required`: both components raised by
/// [`GAS_MARGIN_PERCENT`], saturating (a limit above the block's is refused by the node at
/// submission, before anything is paid).
pub fn gas_limit(required: Weight) -> Weight {
    let raise = |v: u64| v.saturating_add(v.saturating_mul(GAS_MARGIN_PERCENT) / 100);
    Weight {
        ref_time: raise(required.ref_time),
        proof_size: raise(required.proof_size),
    }
}

/// How long to wait for inclusion (or finality).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum WaitFor {
    /// In a best block (default).
    InBlock,
    /// In a finalized block.
    Finalized,
}

/// Options every submission shares.
#[derive(Debug, Clone)]
pub struct SubmitOpts {
    /// What to wait for.
    pub wait: WaitFor,
    /// Longest wait (also for another process's signing lock).
    pub timeout: Duration,
    /// Quiet progress on stderr.
    pub quiet: bool,
    /// Where the per-account signing locks live ([`crate::lock`]); `None`: no lock.
    pub lock_dir: Option<std::path::PathBuf>,
}

/// What a submitted transaction did.
#[derive(Debug, Clone)]
pub struct Included {
    /// Extrinsic hash.
    pub tx_hash: H256,
    /// Block it landed in.
    pub block_hash: H256,
    /// That block's number.
    pub block_number: u32,
    /// Our contract's events, in order.
    pub events: Vec<EscrowEvent>,
    /// The transaction fee paid.
    pub fee: Option<u128>,
    /// A contract instantiated by the transaction.
    pub instantiated: Option<AccountId32>,
}

/// `Contracts.call`.
pub fn call_tx(dest: &AccountId32, value: u128, dry: &DryRun, data: Vec<u8>) -> impl Payload {
    subxt::dynamic::tx(
        "Contracts",
        "call",
        call_fields(
            dest,
            value,
            gas_limit(dry.gas_required),
            dry.storage_deposit.limit(),
            data,
        ),
    )
}

/// The fields of `Contracts.call` with explicit limits: for [`call_tx`], and for callers that
/// nest calls in a `Utility` batch (the benchmark fills a contract with deals that way).
pub fn call_fields(
    dest: &AccountId32,
    value: u128,
    gas_limit: Weight,
    storage_deposit_limit: u128,
    data: Vec<u8>,
) -> Vec<(&'static str, Value)> {
    vec![
        (
            "dest",
            Value::unnamed_variant("Id", [Value::from_bytes(dest.0)]),
        ),
        ("value", Value::u128(value)),
        ("gas_limit", weight(gas_limit)),
        (
            "storage_deposit_limit",
            Value::unnamed_variant("Some", [Value::u128(storage_deposit_limit)]),
        ),
        ("data", Value::from_bytes(data)),
    ]
}

/// `Contracts.upload_code` with determinism `Enforced` (what pallet-contracts requires of
/// code that instantiations and delegate calls run).
pub fn upload_tx(code: Vec<u8>, storage_deposit_limit: u128) -> impl Payload {
    subxt::dynamic::tx(
        "Contracts",
        "upload_code",
        vec![
            ("code", Value::from_bytes(code)),
            (
                "storage_deposit_limit",
                Value::unnamed_variant("Some", [Value::u128(storage_deposit_limit)]),
            ),
            ("determinism", Value::unnamed_variant("Enforced", [])),
        ],
    )
}

/// `Contracts.instantiate_with_code`.
pub fn instantiate_tx(
    value: u128,
    dry: &DryRun,
    code: Vec<u8>,
    data: Vec<u8>,
    salt: Vec<u8>,
) -> impl Payload {
    subxt::dynamic::tx(
        "Contracts",
        "instantiate_with_code",
        vec![
            ("value", Value::u128(value)),
            ("gas_limit", weight(gas_limit(dry.gas_required))),
            (
                "storage_deposit_limit",
                Value::unnamed_variant("Some", [Value::u128(dry.storage_deposit.limit())]),
            ),
            ("code", Value::from_bytes(code)),
            ("data", Value::from_bytes(data)),
            ("salt", Value::from_bytes(salt)),
        ],
    )
}

fn weight(w: Weight) -> Value {
    Value::named_composite([
        ("ref_time", Value::u128(w.ref_time.into())),
        ("proof_size", Value::u128(w.proof_size.into())),
    ])
}

/// A transaction status, without its block handle (so the decisions can be unit-tested).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// In the pool.
    Validated,
    /// Gossiped.
    Broadcasted,
    /// A reorg took it out of the best chain.
    NoLongerInBestBlock,
    /// In a best block.
    InBestBlock,
    /// In a finalized block.
    InFinalizedBlock,
    /// The pool declared it invalid.
    Invalid(String),
    /// The pool dropped it.
    Dropped(String),
    /// The status subscription reported an error.
    Error(String),
}

/// What to do on a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Keep waiting.
    Wait,
    /// The required level is reached.
    Done,
    /// Definitely not included (exit 1).
    Rejected(String),
    /// Maybe included, maybe not (exit 4).
    Unknown(String),
}

/// Maps every status to a decision. Success only at the required level; a retraction
/// (`NoLongerInBestBlock`) means keep waiting; `Dropped` and stream errors do not prove the
/// transaction failed, so they are "unknown", never "failed".
pub fn decide(step: &Step, wait: WaitFor) -> Decision {
    match (step, wait) {
        (Step::Validated | Step::Broadcasted | Step::NoLongerInBestBlock, _) => Decision::Wait,
        (Step::InBestBlock, WaitFor::InBlock) => Decision::Done,
        (Step::InBestBlock, WaitFor::Finalized) => Decision::Wait,
        (Step::InFinalizedBlock, _) => Decision::Done,
        (Step::Invalid(m), _) => {
            Decision::Rejected(format!("the node declared the transaction invalid: {m}"))
        }
        (Step::Dropped(m), _) => Decision::Unknown(format!(
            "dropped from the pool ({m}); it may still be included"
        )),
        (Step::Error(m), _) => Decision::Unknown(format!("status error: {m}")),
    }
}

/// What the end of the status stream means: unknown.
pub fn decide_end() -> String {
    "the status stream ended (disconnected?)".into()
}

/// The JSON-RPC error codes with which a node refuses `author_submitAndWatchExtrinsic`
/// (sc-rpc-api 0.44, `author/error.rs`: `BASE_ERROR` = `base::AUTHOR` = 1000; the node runs
/// that version). The node answers with one of these only when its transaction pool did not
/// import the transaction (`watch_extrinsic` rejects the subscription when the pool's
/// `submit_and_watch` fails).
pub mod pool_code {
    /// The bytes are not an extrinsic (`BAD_FORMAT`).
    pub const BAD_FORMAT: i32 = 1001;
    /// Validating it failed with an error that is not the pool's (`VERIFICATION_ERROR`).
    pub const VERIFICATION_ERROR: i32 = 1002;
    /// The runtime declared it invalid (`POOL_INVALID_TX`): bad signature, spent nonce
    /// ("Transaction is outdated"), no funds for the fee, ancient birth block, … in `data`.
    pub const INVALID_TX: i32 = 1010;
    /// The runtime could not determine its validity (`POOL_UNKNOWN_VALIDITY`).
    pub const UNKNOWN_VALIDITY: i32 = 1011;
    /// This very transaction (its hash) is banned for a while (`POOL_TEMPORARILY_BANNED`).
    pub const TEMPORARILY_BANNED: i32 = 1012;
    /// This very transaction is already in the pool (`POOL_ALREADY_IMPORTED`).
    pub const ALREADY_IMPORTED: i32 = 1013;
    /// Another pooled transaction holds its nonce (`POOL_TOO_LOW_PRIORITY`).
    pub const TOO_LOW_PRIORITY: i32 = 1014;
    /// Importing it would make a dependency cycle (`POOL_CYCLE_DETECTED`).
    pub const CYCLE_DETECTED: i32 = 1015;
    /// The pool is full (`POOL_IMMEDIATELY_DROPPED`).
    pub const IMMEDIATELY_DROPPED: i32 = 1016;
    // 1017 (`POOL_INVALID_TX + 7`) is not assigned.
    /// Not propagable, and the node does not author blocks (`POOL_UNACTIONABLE`).
    pub const UNACTIONABLE: i32 = 1018;
    /// It provides no tags, so the pool cannot identify it (`POOL_NO_TAGS`).
    pub const NO_TAGS: i32 = 1019;
    /// The block to validate it at is not valid (`POOL_INVALID_BLOCK_ID`).
    pub const INVALID_BLOCK_ID: i32 = 1020;
    /// The pool takes no future transactions (`POOL_FUTURE_TX`).
    pub const FUTURE_TX: i32 = 1021;
}

/// The reason sp-runtime gives for `InvalidTransaction::Stale` (in a 1010 error's `data`).
pub const OUTDATED_REASON: &str = "Transaction is outdated";

/// How a submission failed, reduced to what decides its outcome (see
/// [`decide_submit_error`]), so that the decision is a pure, tested function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitError {
    /// The node answered the submission with a JSON-RPC error object.
    Rpc {
        /// The error object's `code`.
        code: i32,
        /// Its `message` ("Invalid Transaction").
        message: String,
        /// Its `data`, unquoted when it is a JSON string (for 1010 the runtime's reason,
        /// "Transaction has a bad signature", [`OUTDATED_REASON`], …).
        data: Option<String>,
    },
    /// Anything else (the connection, the transport, an answer that could not be read).
    /// Whatever its text says, it is not the node refusing the transaction.
    Other(String),
}

impl SubmitError {
    /// Extracts the node's error object from subxt's error, if that is what it is.
    pub fn from_subxt(e: &subxt::Error) -> Self {
        use subxt::{error::RpcError, ext::subxt_rpcs};
        match e {
            subxt::Error::Rpc(RpcError::ClientError(subxt_rpcs::Error::User(u))) => {
                SubmitError::Rpc {
                    code: u.code,
                    message: u.message.clone(),
                    data: u.data.as_ref().map(|d| {
                        serde_json::from_str::<String>(d.get())
                            .unwrap_or_else(|_| d.get().to_string())
                    }),
                }
            }
            e => SubmitError::Other(e.to_string()),
        }
    }
}

impl std::fmt::Display for SubmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubmitError::Rpc {
                code,
                message,
                data,
            } => {
                write!(f, "{message} (code {code})")?;
                match data {
                    Some(d) if !d.is_empty() => write!(f, ": {d}"),
                    _ => Ok(()),
                }
            }
            SubmitError::Other(m) => f.write_str(m),
        }
    }
}

/// What a failed submission means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitVerdict {
    /// Refused as outdated: its nonce is spent on chain, so it can never be included and
    /// nothing was queued. The one refusal after which the call is signed again, once.
    Outdated,
    /// Refused by the pool: nothing was queued (exit 1).
    Refused,
    /// The node may hold it or may have included it (exit 4); why.
    Unknown(&'static str),
}

/// Decides a failed submission from the node's error object alone: its `code`, and for
/// [`SubmitVerdict::Outdated`] the runtime's reason in `data`; never from digits or words
/// found in a text (a transport error's text, or a hash, may contain "1010").
///
/// - Refused (nothing queued): the pool's refusals of *this* transaction — 1001 bad
///   format, 1002 verification error, 1010 invalid, 1011 unknown validity, 1014 too low
///   priority (its nonce is held by another pooled transaction: ours was not imported),
///   1015 cycle, 1016 pool full, 1018 unactionable, 1019 no tags, 1020 invalid block id,
///   1021 no future transactions. Ours is signed afresh (sr25519 signatures are
///   randomised), so no other copy of it can be in the pool.
/// - Unknown: 1013 *already imported* (this very transaction is in the pool: it may well
///   be included, so it is not a refusal of our submission); 1012 *temporarily banned* (the
///   pool saw this very transaction before and bans it for a while after it leaves the
///   pool, for instance once included: it may already be in a block); any other code (not
///   a pool refusal, perhaps not even from the node's pool); and every error that is not a
///   JSON-RPC error object (transport, connection, decoding).
pub fn decide_submit_error(e: &SubmitError) -> SubmitVerdict {
    use pool_code::*;
    match e {
        SubmitError::Rpc { code, data, .. } => match *code {
            INVALID_TX if data.as_deref() == Some(OUTDATED_REASON) => SubmitVerdict::Outdated,
            BAD_FORMAT | VERIFICATION_ERROR | INVALID_TX | UNKNOWN_VALIDITY | TOO_LOW_PRIORITY
            | CYCLE_DETECTED | IMMEDIATELY_DROPPED | UNACTIONABLE | NO_TAGS | INVALID_BLOCK_ID
            | FUTURE_TX => SubmitVerdict::Refused,
            ALREADY_IMPORTED => {
                SubmitVerdict::Unknown("the node already holds this very transaction in its pool")
            }
            TEMPORARILY_BANNED => SubmitVerdict::Unknown(
                "the node saw this very transaction before and bans it for a while after it \
                 leaves the pool, so it may already be in a block",
            ),
            _ => SubmitVerdict::Unknown("the node's answer is not a transaction-pool refusal"),
        },
        SubmitError::Other(_) => SubmitVerdict::Unknown(
            "no refusal came back from the node, which may have received the transaction",
        ),
    }
}

/// A signed transaction and the nonce it was signed with.
struct Signed {
    tx: subxt::tx::SubmittableTransaction<
        crate::chain::Config,
        subxt::OnlineClient<crate::chain::Config>,
    >,
    nonce: u64,
}

/// Signs `call` with the account's next nonce, mortal from [`era_birth`].
///
/// `system_accountNextIndex` reads the chain's nonce at the best block, then counts the
/// account's transactions in the pool. When a block lands between the two, the transaction
/// it included has left the pool but is not in the nonce the node read, and the answer is one
/// too low. The nonce in the best block read *after* the call covers that block, so the
/// larger of the two is taken.
async fn sign_at_next_nonce<C: Payload>(
    chain: &Chain,
    call: &C,
    signer: &Keypair,
    who: &AccountId32,
    quiet: bool,
) -> Result<Signed> {
    let pooled_next = chain
        .rpc
        .system_account_next_index(who)
        .await
        .map_err(|e| node_unreachable(&chain.url, e))?;
    let best = chain.best().await?;
    let on_chain = chain.account_nonce(who, best.0).await?;
    let nonce = pooled_next.max(u64::from(on_chain));
    let era_from = era_birth(best, chain.finalized().await?);
    let params = DefaultExtrinsicParamsBuilder::<crate::chain::Config>::new()
        .nonce(nonce)
        .mortal_from_unchecked(MORTALITY_BLOCKS, era_from.1.into(), era_from.0)
        .build();
    let mut partial = chain
        .api
        .tx()
        .create_partial_offline(call, params)
        .map_err(|e| ClientError::Rejected(format!("cannot build the transaction: {e}")))?;
    let tx = partial.sign(signer);
    if !quiet {
        eprintln!(
            "submitting tx {:?} (nonce {nonce}, mortal for {MORTALITY_BLOCKS} blocks from #{})",
            tx.hash(),
            era_from.1
        );
    }
    Ok(Signed { tx, nonce })
}

/// Signs, submits and waits. `contract` filters the events returned.
pub async fn sign_submit_wait<C: Payload>(
    chain: &Chain,
    call: &C,
    signer: &Keypair,
    contract: Option<&AccountId32>,
    opts: SubmitOpts,
) -> Result<Included> {
    let who: AccountId32 = signer.public_key().into();
    // Held from reading the nonce until the node has the transaction (see `crate::lock`).
    let lock = match &opts.lock_dir {
        Some(dir) => Some(crate::lock::acquire(dir, &who, opts.timeout, opts.quiet).await?),
        None => None,
    };
    let mut signed = sign_at_next_nonce(chain, call, signer, &who, opts.quiet).await?;
    let mut submitted = signed.tx.submit_and_watch().await;
    // The pool refuses a transaction as outdated when its nonce is already spent on chain:
    // the node's nonce answer lagged behind a block it had just imported (see
    // `sign_at_next_nonce`). Such a transaction never entered the pool and can never be
    // included, so signing the same call again with the next nonce cannot make it land
    // twice. Done once, still under the signing lock, and said on stderr: this is the one
    // case where a call is signed again, and never after the node accepted it.
    if let Err(e) = &submitted {
        let failure = SubmitError::from_subxt(e);
        if decide_submit_error(&failure) == SubmitVerdict::Outdated {
            if !opts.quiet {
                eprintln!(
                    "the node refused tx {:?} as outdated ({failure}): nonce {} is spent, so it \
                     can never be included; signing the same call again with the next nonce",
                    signed.tx.hash(),
                    signed.nonce
                );
            }
            let again = sign_at_next_nonce(chain, call, signer, &who, opts.quiet).await?;
            if again.nonce > signed.nonce {
                signed = again;
                submitted = signed.tx.submit_and_watch().await;
            }
        }
    }
    drop(lock);
    let tx_hash = signed.tx.hash();
    let unknown = |detail: String| ClientError::UnknownStatus {
        hash: format!("{tx_hash:?}"),
        detail,
    };
    let mut progress = match submitted {
        Ok(p) => p,
        Err(e) => {
            let failure = SubmitError::from_subxt(&e);
            return Err(match decide_submit_error(&failure) {
                SubmitVerdict::Outdated | SubmitVerdict::Refused => ClientError::Rejected(format!(
                    "the node refused the transaction: {failure}; nothing was queued"
                )),
                SubmitVerdict::Unknown(why) => {
                    unknown(format!("the submission failed: {failure} ({why})"))
                }
            });
        }
    };
    let wait = async {
        while let Some(status) = progress.next().await {
            let status = status.map_err(|e| unknown(format!("lost the status stream: {e}")))?;
            let (step, block) = match status {
                TxStatus::Validated => (Step::Validated, None),
                TxStatus::Broadcasted => (Step::Broadcasted, None),
                TxStatus::NoLongerInBestBlock => (Step::NoLongerInBestBlock, None),
                TxStatus::InBestBlock(b) => (Step::InBestBlock, Some(b)),
                TxStatus::InFinalizedBlock(b) => (Step::InFinalizedBlock, Some(b)),
                TxStatus::Invalid { message } => (Step::Invalid(message), None),
                TxStatus::Dropped { message } => (Step::Dropped(message), None),
                TxStatus::Error { message } => (Step::Error(message), None),
            };
            match decide(&step, opts.wait) {
                Decision::Wait => {
                    if !opts.quiet {
                        match (&step, &block) {
                            (Step::NoLongerInBestBlock, _) => {
                                eprintln!("retracted from the best chain; still waiting")
                            }
                            (Step::InBestBlock, Some(b)) => eprintln!(
                                "in best block {:?}; waiting for finality",
                                b.block_hash()
                            ),
                            _ => {}
                        }
                    }
                }
                Decision::Done => return block.ok_or_else(|| unknown("no block".into())),
                Decision::Rejected(m) => return Err(ClientError::Rejected(m)),
                Decision::Unknown(m) => return Err(unknown(m)),
            }
        }
        Err(unknown(decide_end()))
    };
    let in_block = tokio::time::timeout(opts.timeout, wait)
        .await
        .map_err(|_| {
            unknown(format!(
                "not {} after {:?}",
                match opts.wait {
                    WaitFor::InBlock => "in a block",
                    WaitFor::Finalized => "finalized",
                },
                opts.timeout
            ))
        })??;
    let block_hash = in_block.block_hash();
    let events = match in_block.wait_for_success().await {
        Ok(ev) => ev,
        Err(subxt::Error::Runtime(e)) => return Err(named_dispatch_error(e)),
        Err(e) => {
            return Err(unknown(format!(
                "in block {block_hash:?}, but its events are unreadable: {e}"
            )))
        }
    };
    let block_number = chain
        .rpc
        .chain_get_header(Some(block_hash))
        .await
        .ok()
        .flatten()
        .map(|h| h.number)
        .unwrap_or_default();
    let mut out = Included {
        tx_hash,
        block_hash,
        block_number,
        events: Vec::new(),
        fee: None,
        instantiated: None,
    };
    for ev in events.iter() {
        let ev = ev.map_err(|e| unknown(format!("undecodable events: {e}")))?;
        match (ev.pallet_name(), ev.variant_name()) {
            ("TransactionPayment", "TransactionFeePaid") => {
                let mut b = ev.field_bytes();
                out.fee = <([u8; 32], u128) as scale::Decode>::decode(&mut b)
                    .ok()
                    .map(|t| t.1);
            }
            ("Contracts", "Instantiated") => {
                let mut b = ev.field_bytes();
                out.instantiated = <([u8; 32], [u8; 32]) as scale::Decode>::decode(&mut b)
                    .ok()
                    .map(|t| AccountId32(t.1));
            }
            _ => {}
        }
        let target = contract.or(out.instantiated.as_ref());
        if let Some(c) = target {
            if let Some(e) = contract_event(&ev, c)? {
                out.events.push(e);
            }
        }
    }
    if !opts.quiet {
        eprintln!("in block #{block_number} ({block_hash:?})");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: &[Step], wait: WaitFor) -> Decision {
        for s in steps {
            match decide(s, wait) {
                Decision::Wait => continue,
                d => return d,
            }
        }
        Decision::Unknown(decide_end())
    }

    #[test]
    fn era_birth_is_the_finalized_head_unless_it_is_genesis_or_lags_too_far() {
        let (b, f) = (H256::repeat_byte(0xb), H256::repeat_byte(0xf));
        // A network finalizing a few blocks behind: the finalized head.
        assert_eq!(era_birth((b, 120), (f, 117)), (f, 117));
        assert_eq!(era_birth((b, 120), (f, 120)), (f, 120));
        assert_eq!(era_birth((b, 120), (f, 105)), (f, 105));
        // Finality stalled MAX_FINALITY_LAG blocks or more behind: the best block.
        assert_eq!(era_birth((b, 120), (f, 104)), (b, 120));
        // A chain that never finalizes (instant seal): the best block, even at #1.
        assert_eq!(era_birth((b, 57), (f, 0)), (b, 57));
        assert_eq!(era_birth((b, 1), (f, 0)), (b, 1));
    }

    #[test]
    fn gas_limit_adds_the_margin_to_both_components_and_saturates() {
        let w = |ref_time, proof_size| Weight {
            ref_time,
            proof_size,
        };
        assert_eq!(
            gas_limit(w(1_000_000_000, 50_000)),
            w(1_100_000_000, 55_000)
        );
        assert_eq!(gas_limit(w(0, 9)), w(0, 9));
        assert_eq!(gas_limit(w(u64::MAX, 1)), w(u64::MAX, 1));
    }

    #[test]
    fn status_sequences_map_to_decisions() {
        use Step::*;
        let reorg = [
            Validated,
            InBestBlock,
            NoLongerInBestBlock,
            InBestBlock,
            InFinalizedBlock,
        ];
        assert_eq!(run(&reorg, WaitFor::InBlock), Decision::Done);
        assert_eq!(run(&reorg, WaitFor::Finalized), Decision::Done);
        // Finality never comes: no success before the required level.
        assert!(matches!(
            run(&[Validated, InBestBlock], WaitFor::Finalized),
            Decision::Unknown(_)
        ));
        assert!(matches!(
            run(&[Validated, NoLongerInBestBlock], WaitFor::InBlock),
            Decision::Unknown(_)
        ));
        assert!(matches!(
            run(&[Validated, Dropped("x".into())], WaitFor::InBlock),
            Decision::Unknown(_)
        ));
        assert!(matches!(
            run(&[Invalid("stale".into())], WaitFor::InBlock),
            Decision::Rejected(_)
        ));
        assert!(matches!(
            run(&[Broadcasted, Error("e".into())], WaitFor::Finalized),
            Decision::Unknown(_)
        ));
        assert!(matches!(run(&[], WaitFor::InBlock), Decision::Unknown(_)));
    }

    fn rpc(code: i32, message: &str, data: Option<&str>) -> subxt::Error {
        use subxt::{error::RpcError, ext::subxt_rpcs};
        let data = data.map(|d| {
            serde_json::value::RawValue::from_string(serde_json::to_string(d).unwrap()).unwrap()
        });
        subxt::Error::Rpc(RpcError::ClientError(subxt_rpcs::Error::User(
            subxt_rpcs::UserError {
                code,
                message: message.into(),
                data,
            },
        )))
    }

    fn verdict(e: &subxt::Error) -> SubmitVerdict {
        decide_submit_error(&SubmitError::from_subxt(e))
    }

    /// Regression (issue 14, item 9): a transport error whose text carries a pool code or
    /// the pool's words is not a refusal; only the node's error object decides.
    #[test]
    fn a_transport_error_mentioning_1010_stays_unknown() {
        use subxt::{error::RpcError, ext::subxt_rpcs};
        let text = "Invalid Transaction (1010): Transaction is outdated; 1014 Priority is too low";
        let transport = subxt::Error::Rpc(RpcError::ClientError(subxt_rpcs::Error::Client(
            Box::new(std::io::Error::other(text)),
        )));
        assert!(transport.to_string().contains("1010"), "{transport}");
        assert_eq!(
            verdict(&transport),
            SubmitVerdict::Unknown(
                "no refusal came back from the node, which may have received the transaction"
            )
        );
        for other in [
            subxt::Error::Other(text.into()),
            subxt::Error::Rpc(RpcError::SubscriptionDropped),
            subxt::Error::Rpc(RpcError::ClientError(
                subxt_rpcs::Error::DisconnectedWillReconnect(text.into()),
            )),
        ] {
            assert!(
                matches!(verdict(&other), SubmitVerdict::Unknown(_)),
                "{other}"
            );
        }
        // An error object with another code stays unknown, whatever its message says.
        assert_eq!(
            verdict(&rpc(
                -32603,
                "Internal error: Invalid Transaction (1010)",
                Some(text)
            )),
            SubmitVerdict::Unknown("the node's answer is not a transaction-pool refusal")
        );
    }

    #[test]
    fn a_too_low_priority_error_object_is_a_refusal() {
        let e = rpc(
            1014,
            "Priority is too low: (7 vs 7)",
            Some("The transaction has too low priority to replace another transaction already in the pool."),
        );
        assert_eq!(verdict(&e), SubmitVerdict::Refused);
        assert_eq!(
            SubmitError::from_subxt(&e).to_string(),
            "Priority is too low: (7 vs 7) (code 1014): The transaction has too low priority \
             to replace another transaction already in the pool."
        );
    }

    /// Every pool code the node answers a submission with, and what it means.
    #[test]
    fn pool_codes_decide_refused_or_unknown() {
        for code in [
            1001, 1002, 1010, 1011, 1014, 1015, 1016, 1018, 1019, 1020, 1021,
        ] {
            assert_eq!(
                verdict(&rpc(code, "m", None)),
                SubmitVerdict::Refused,
                "{code}"
            );
        }
        assert_eq!(
            verdict(&rpc(1013, "Transaction Already Imported", Some("0x1234"))),
            SubmitVerdict::Unknown("the node already holds this very transaction in its pool")
        );
        assert!(matches!(
            verdict(&rpc(1012, "Transaction is temporarily banned", None)),
            SubmitVerdict::Unknown(m) if m.contains("may already be in a block")
        ));
        for code in [1000, 1017, 1040, -32603, -32601, 0] {
            assert_eq!(
                verdict(&rpc(code, "Invalid Transaction", Some(OUTDATED_REASON))),
                SubmitVerdict::Unknown("the node's answer is not a transaction-pool refusal"),
                "{code}"
            );
        }
    }

    /// Only a spent nonce lets a call be signed again: every other refusal (a bad signature,
    /// a too-low priority for a nonce another pooled transaction holds, payment) is final.
    #[test]
    fn only_an_outdated_refusal_is_signed_again() {
        let outdated = rpc(1010, "Invalid Transaction", Some(OUTDATED_REASON));
        assert_eq!(verdict(&outdated), SubmitVerdict::Outdated);
        assert_eq!(
            SubmitError::from_subxt(&outdated),
            SubmitError::Rpc {
                code: 1010,
                message: "Invalid Transaction".into(),
                data: Some(OUTDATED_REASON.into()),
            }
        );
        for reason in [
            "Transaction has a bad signature",
            "Inability to pay some fees (e.g. account balance too low)",
            "Transaction has an ancient birth block",
            "Transaction is outdated, or something",
        ] {
            assert_eq!(
                verdict(&rpc(1010, "Invalid Transaction", Some(reason))),
                SubmitVerdict::Refused,
                "{reason}"
            );
        }
        // The reason counts only with the invalid-transaction code.
        for code in [1011, 1014] {
            assert_eq!(
                verdict(&rpc(code, "m", Some(OUTDATED_REASON))),
                SubmitVerdict::Refused
            );
        }
        assert!(matches!(
            verdict(&subxt::Error::Other(format!(
                "Invalid Transaction (1010): {OUTDATED_REASON}"
            ))),
            SubmitVerdict::Unknown(_)
        ));
    }
}
