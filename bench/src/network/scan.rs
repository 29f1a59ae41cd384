//! After the load: every block of the finalized chain the load touched, read back from
//! node 0, and the checks that the load did exactly what its records say.
//!
//! Why read the chain rather than trust the workers' records: a block a client saw its
//! transaction in may have been retracted (Aura forks when a block reaches the next author
//! late) and the transaction included again elsewhere; the finalized chain is what
//! happened. Each block's `System::BlockWeight` is what its transactions took from the
//! block's budget, and each transaction's `ExtrinsicSuccess` carries its own share (its
//! actual weight plus the base extrinsic weight: frame-system's `note_applied_extrinsic`).

use std::collections::HashMap;

use escrow_types::DealStatus;
use scale::Decode;
use subxt::utils::H256;
use subxt_signer::sr25519::dev;

use crate::{
    load::{Failure, Load},
    setup::Cast,
    Chain, Res, Weight,
};

/// One extrinsic of a block.
#[derive(Debug, Clone)]
pub struct Ext {
    pub hash: H256,
    pub signed: bool,
    /// Its encoded length (what counts against `BlockLength`).
    pub len: u64,
    /// Its `ExtrinsicSuccess` weight; `None` if it failed (`ExtrinsicFailed`).
    pub weight: Option<Weight>,
}

/// One block of the finalized chain.
#[derive(Debug, Clone)]
pub struct BlockInfo {
    pub number: u32,
    pub hash: H256,
    /// Aura's slot (`Aura::CurrentSlot`).
    pub slot: u64,
    /// `Timestamp::Now` (ms): set by its author when it began the block.
    pub timestamp: u64,
    /// `System::BlockWeight`, normal class.
    pub normal: Weight,
    pub exts: Vec<Ext>,
}

impl BlockInfo {
    pub fn signed(&self) -> usize {
        self.exts.iter().filter(|e| e.signed).count()
    }
    pub fn signed_len(&self) -> u64 {
        self.exts.iter().filter(|e| e.signed).map(|e| e.len).sum()
    }
}

/// The chain as the scan read it.
pub struct Scanned {
    pub blocks: Vec<BlockInfo>,
    /// Aura's authorities, by dev name where one matches (Alice, Bob, …).
    pub authorities: Vec<String>,
    /// `System::BlockLength`, normal class (bytes).
    pub normal_length: u32,
}

async fn storage_raw(chain: &Chain, at: H256, pallet: &str, entry: &str) -> Res<Vec<u8>> {
    let key = subxt::dynamic::storage(pallet, entry, ());
    chain
        .api
        .storage()
        .at(at)
        .fetch(&key)
        .await
        .map_err(|e| format!("reading {pallet}::{entry} at {at:?}: {e}"))?
        .map(|v| v.encoded().to_vec())
        .ok_or_else(|| format!("block {at:?} has no {pallet}::{entry}"))
}

async fn block(chain: &Chain, number: u32) -> Res<BlockInfo> {
    let err = |e: subxt::Error| format!("reading block #{number}: {e}");
    let hash = chain
        .rpc
        .chain_get_block_hash(Some(number.into()))
        .await
        .map_err(|e| format!("reading block #{number}'s hash: {e}"))?
        .ok_or_else(|| format!("node 0 has no block #{number}"))?;
    let b = chain.api.blocks().at(hash).await.map_err(err)?;
    let events = b.events().await.map_err(err)?;
    let mut weights: HashMap<u32, Option<Weight>> = HashMap::new();
    for ev in events.iter() {
        let ev = ev.map_err(err)?;
        let subxt::events::Phase::ApplyExtrinsic(i) = ev.phase() else {
            continue;
        };
        match (ev.pallet_name(), ev.variant_name()) {
            // `ExtrinsicSuccess { dispatch_info: DispatchInfo { weight, class, pays_fee } }`.
            ("System", "ExtrinsicSuccess") => {
                let w = Weight::decode(&mut ev.field_bytes())
                    .map_err(|e| format!("block #{number}: undecodable ExtrinsicSuccess: {e}"))?;
                weights.insert(i, Some(w));
            }
            ("System", "ExtrinsicFailed") => {
                weights.insert(i, None);
            }
            _ => {}
        }
    }
    let exts = b
        .extrinsics()
        .await
        .map_err(err)?
        .iter()
        .map(|x| Ext {
            hash: x.hash(),
            signed: x.is_signed(),
            len: x.bytes().len() as u64,
            weight: weights.get(&x.index()).copied().flatten(),
        })
        .collect();
    // `PerDispatchClass<Weight>`: normal first.
    let normal = Weight::decode(&mut &storage_raw(chain, hash, "System", "BlockWeight").await?[..])
        .map_err(|e| format!("block #{number}: undecodable System::BlockWeight: {e}"))?;
    let slot = u64::decode(&mut &storage_raw(chain, hash, "Aura", "CurrentSlot").await?[..])
        .map_err(|e| format!("block #{number}: undecodable Aura::CurrentSlot: {e}"))?;
    let timestamp = chain.timestamp(hash).await.map_err(|e| e.to_string())?;
    Ok(BlockInfo {
        number,
        hash,
        slot,
        timestamp,
        normal,
        exts,
    })
}

/// Reads blocks `from..=to` of node 0's chain, Aura's authorities and the normal class's
/// length limit.
pub async fn scan(chain: &Chain, from: u32, to: u32) -> Res<Scanned> {
    let mut blocks = Vec::new();
    for n in from..=to {
        blocks.push(block(chain, n).await?);
    }
    let at = blocks.last().map(|b| b.hash).ok_or("no block to scan")?;
    let keys =
        <Vec<[u8; 32]>>::decode(&mut &storage_raw(chain, at, "Aura", "Authorities").await?[..])
            .map_err(|e| format!("undecodable Aura::Authorities: {e}"))?;
    let names = [
        ("Alice", dev::alice()),
        ("Bob", dev::bob()),
        ("Charlie", dev::charlie()),
        ("Dave", dev::dave()),
        ("Eve", dev::eve()),
        ("Ferdie", dev::ferdie()),
    ];
    let authorities = keys
        .iter()
        .map(|k| {
            names
                .iter()
                .find(|(_, pair)| pair.public_key().0 == *k)
                .map_or_else(|| format!("0x{}", hex_prefix(k)), |(n, _)| n.to_string())
        })
        .collect();
    Ok(Scanned {
        blocks,
        authorities,
        normal_length: normal_length(chain)?,
    })
}

fn hex_prefix(k: &[u8; 32]) -> String {
    k[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// `System::BlockLength { max: PerDispatchClass<u32> }`, normal first.
fn normal_length(chain: &Chain) -> Res<u32> {
    let metadata = chain.api.metadata();
    let raw = metadata
        .pallet_by_name("System")
        .and_then(|p| p.constant_by_name("BlockLength"))
        .ok_or("the chain's metadata has no System::BlockLength")?
        .value()
        .to_vec();
    u32::decode(&mut &raw[..]).map_err(|e| format!("undecodable System::BlockLength: {e}"))
}

/// Where each of the load's transactions ended up in the finalized chain.
#[derive(Debug, Clone, Copy)]
pub struct Landed {
    pub block: u32,
    pub weight: Weight,
    pub len: u64,
}

/// What the checks found.
#[derive(Debug, Default)]
pub struct Checks {
    /// Per transaction (in `Load::txs` order): its block and weight in the finalized chain.
    pub landed: Vec<Option<Landed>>,
    /// Transactions whose finalized block is not the one the client reported (retracted
    /// and included again).
    pub moved: usize,
    /// Signed extrinsics in the scanned blocks that are not the load's.
    pub foreign: usize,
    /// Deals read back as `Closed` at the finalized head.
    pub closed: usize,
    /// The finalized head the reads were made at.
    pub finalized: u32,
    /// The signers checked, and those whose nonce rose by exactly their transactions.
    pub signers: usize,
    pub nonces_ok: usize,
    pub failures: Vec<Failure>,
}

fn check_failure(error: String) -> Failure {
    Failure {
        deal: None,
        step: "check",
        signer: String::new(),
        node: 0,
        error,
    }
}

/// Checks the load against the finalized chain: each transaction exactly once and
/// succeeded; each completed deal `Closed`; each signer's nonce risen by exactly the
/// transactions it signed (nothing was submitted twice, nothing dropped unseen).
pub async fn check(
    chain: &Chain,
    escrow: &escrow_client::Escrow,
    cast: &Cast,
    load: &Load,
    scanned: &Scanned,
    nonces_before: &HashMap<[u8; 32], u32>,
    finalized: (H256, u32),
) -> Res<Checks> {
    let mut c = Checks {
        finalized: finalized.1,
        ..Checks::default()
    };
    let mut found: HashMap<H256, Vec<Landed>> = HashMap::new();
    let mut failed: Vec<H256> = Vec::new();
    for b in &scanned.blocks {
        for x in b.exts.iter().filter(|x| x.signed) {
            match x.weight {
                Some(weight) => found.entry(x.hash).or_default().push(Landed {
                    block: b.number,
                    weight,
                    len: x.len,
                }),
                None => failed.push(x.hash),
            }
        }
    }
    for h in failed {
        c.failures.push(check_failure(format!(
            "extrinsic {h:?} failed in the finalized chain (ExtrinsicFailed)"
        )));
    }
    for t in &load.txs {
        match found.get(&t.tx_hash).map(Vec::as_slice) {
            Some([one]) => {
                if one.block != t.block {
                    c.moved += 1;
                }
                c.landed.push(Some(*one));
            }
            other => {
                c.failures.push(check_failure(format!(
                    "transaction {:?} (deal {}, step {}) is in the finalized chain {} times",
                    t.tx_hash,
                    t.deal,
                    t.step,
                    other.map_or(0, <[Landed]>::len)
                )));
                c.landed.push(None);
            }
        }
    }
    // Other signed extrinsics among the load's blocks (the funding batch and the deployment
    // come before them).
    let ours: std::collections::HashSet<H256> = load.txs.iter().map(|t| t.tx_hash).collect();
    let span = c.landed.iter().flatten().map(|l| l.block);
    if let (Some(lo), Some(hi)) = (span.clone().min(), span.max()) {
        c.foreign = scanned
            .blocks
            .iter()
            .filter(|b| (lo..=hi).contains(&b.number))
            .flat_map(|b| b.exts.iter().filter(|x| x.signed))
            .filter(|x| !ours.contains(&x.hash))
            .count();
    }
    let reads = escrow.reads_at(finalized.0);
    for d in &load.deals {
        let view = reads
            .deal(d.id)
            .await
            .map_err(|e| format!("reading deal {:?}: {e}", d.id))?;
        if view.deal.status == DealStatus::Closed {
            c.closed += 1;
        } else {
            c.failures.push(check_failure(format!(
                "deal {:?} is {:?} at the finalized block #{}, not Closed",
                d.id, view.deal.status, finalized.1
            )));
        }
    }
    for p in cast.all() {
        c.signers += 1;
        let after = chain
            .account_nonce(&p.id, finalized.0)
            .await
            .map_err(|e| e.to_string())?;
        let before = nonces_before.get(&p.id.0).copied().unwrap_or(0);
        let signed = load.txs.iter().filter(|t| t.signer == p.id).count();
        if u64::from(after) == u64::from(before) + signed as u64 {
            c.nonces_ok += 1;
        } else {
            c.failures.push(check_failure(format!(
                "{}'s nonce went from {before} to {after}, but it signed {signed} recorded \
                 transactions",
                p.suri
            )));
        }
    }
    Ok(c)
}
