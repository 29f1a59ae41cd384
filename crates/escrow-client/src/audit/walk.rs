//! Finding a deal's events without reading the chain: the walk along its trails.
//!
//! Each record (the deal, each milestone, each claimable balance) keeps the block of its
//! latest event, and each event carries the block of the previous event on the same trail
//! (`escrow_types::Trail`). The walk starts at the records' blocks, reads each block once, and
//! follows every `prev_block` of the events it is auditing, so it reads exactly the blocks that
//! hold them, however long the chain. Each block read is its hash, its events and its
//! timestamp.

use std::collections::{BTreeMap, BTreeSet};

use escrow_types::{Asset, Trail};
use futures::{stream, StreamExt, TryStreamExt};
use scale::Decode;
use subxt::utils::{AccountId32, H256};

use crate::{
    chain::{contract_event, Chain},
    contract::EscrowEvent,
    error::{ClientError, Result},
};

/// Blocks fetched at once.
const CONCURRENCY: usize = 16;

/// The PSP22 event the audit reads.
pub mod psp22 {
    use ink::primitives::AccountId;

    /// A token transfer, as the `psp22` crate's tokens emit it (`from` and `to` are topics
    /// too, but the data carries every field).
    #[derive(scale::Decode)]
    pub struct Transfer {
        /// Sender (`None`: minted).
        pub from: Option<AccountId>,
        /// Recipient (`None`: burnt).
        pub to: Option<AccountId>,
        /// Amount.
        pub value: u128,
    }
}

/// The signature topic of a PSP22 `Transfer` event.
pub fn psp22_transfer_topic() -> [u8; 32] {
    // ink! names an event's signature by its struct name and field types.
    let mut out = [0u8; 32];
    ink::env::hash_bytes::<ink::env::hash::Blake2x256>(
        b"Transfer(Option<AccountId>,Option<AccountId>,u128)",
        &mut out,
    );
    out
}

/// A transfer of an asset into or out of the escrow, as the chain (not the escrow) reports
/// it: `Balances::Transfer`, or the token's own `Transfer` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The extrinsic it happened in.
    pub extrinsic: Option<u32>,
    /// What moved.
    pub asset: Asset,
    /// From.
    pub from: [u8; 32],
    /// To.
    pub to: [u8; 32],
    /// How much.
    pub amount: u128,
}

/// What the audit needs from one block.
#[derive(Debug, Clone)]
pub struct Block {
    /// Its number.
    pub number: u32,
    /// Its hash.
    pub hash: H256,
    /// Its timestamp (ms): the `now` of every message in it.
    pub time: u64,
    /// The escrow's events, in order, each with its extrinsic.
    pub events: Vec<(Option<u32>, EscrowEvent)>,
    /// Per extrinsic, who called into the escrow (`Contracts::Called` with a signed origin).
    pub callers: BTreeMap<u32, Vec<[u8; 32]>>,
    /// Transfers into or out of the escrow.
    pub transfers: Vec<Transfer>,
}

impl Block {
    /// Whether `who` called the escrow in extrinsic `ext`.
    pub fn called_by(&self, ext: Option<u32>, who: &[u8; 32]) -> bool {
        ext.and_then(|x| self.callers.get(&x))
            .is_some_and(|c| c.contains(who))
    }
}

/// Reads block `n`: its escrow events, callers, transfers and timestamp.
pub async fn fetch(
    chain: &Chain,
    n: u32,
    escrow: &AccountId32,
    tokens: &BTreeSet<[u8; 32]>,
) -> Result<Block> {
    let hash = chain.block_hash(n).await?;
    let (events, time) = tokio::try_join!(chain.events_at(hash), chain.timestamp(hash))?;
    let transfer_topic = psp22_transfer_topic();
    let mut block = Block {
        number: n,
        hash,
        time,
        events: Vec::new(),
        callers: BTreeMap::new(),
        transfers: Vec::new(),
    };
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        ClientError::Rejected(format!("block #{n}: undecodable {what}: {e}"))
    };
    for ev in events.iter() {
        let ev = ev.map_err(|e| bad("events", &e))?;
        let ext = match ev.phase() {
            subxt::events::Phase::ApplyExtrinsic(i) => Some(i),
            _ => None,
        };
        if let Some(found) = contract_event(&ev, escrow)? {
            block.events.push((ext, found));
            continue;
        }
        match (ev.pallet_name(), ev.variant_name()) {
            ("Contracts", "Called") => {
                // Called { caller: Origin (Root = 0, Signed(AccountId) = 1), contract }
                let (origin, contract) = <(Origin, [u8; 32])>::decode(&mut ev.field_bytes())
                    .map_err(|e| bad("Called", &e))?;
                if let (Origin::Signed(who), Some(x)) = (origin, ext) {
                    if contract == escrow.0 {
                        block.callers.entry(x).or_default().push(who);
                    }
                }
            }
            ("Balances", "Transfer") => {
                let (from, to, amount) =
                    <([u8; 32], [u8; 32], u128)>::decode(&mut ev.field_bytes())
                        .map_err(|e| bad("Balances::Transfer", &e))?;
                if from == escrow.0 || to == escrow.0 {
                    block.transfers.push(Transfer {
                        extrinsic: ext,
                        asset: Asset::Native,
                        from,
                        to,
                        amount,
                    });
                }
            }
            ("Contracts", "ContractEmitted") => {
                let (emitter, data) = <([u8; 32], Vec<u8>)>::decode(&mut ev.field_bytes())
                    .map_err(|e| bad("ContractEmitted", &e))?;
                let topic = ev.topics().first().map(|t| t.0);
                if !tokens.contains(&emitter) || topic != Some(transfer_topic) {
                    continue;
                }
                let t = <psp22::Transfer as Decode>::decode(&mut &data[..])
                    .map_err(|e| bad("token Transfer", &e))?;
                let (from, to) = (
                    t.from.map(|a| *a.as_ref()).unwrap_or_default(),
                    t.to.map(|a| *a.as_ref()).unwrap_or_default(),
                );
                if from == escrow.0 || to == escrow.0 {
                    block.transfers.push(Transfer {
                        extrinsic: ext,
                        asset: Asset::Psp22(emitter.into()),
                        from,
                        to,
                        amount: t.value,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(block)
}

/// pallet-contracts' `Origin`.
#[derive(Decode)]
enum Origin {
    #[allow(dead_code)]
    Root,
    Signed([u8; 32]),
}

/// The blocks a walk read, by number.
#[derive(Debug, Default)]
pub struct Walk {
    /// Every block read.
    pub blocks: BTreeMap<u32, Block>,
    /// Pointers that led nowhere sensible: `(trail, block of the event, prev_block)` where
    /// `prev_block` is after the event's own block.
    pub forward: Vec<(Trail, u32, u32)>,
}

impl Walk {
    /// Reads `starts` and every block a followed trail leads back to from them (a trail is
    /// followed when `follow` says so), skipping blocks already read and any after `upto`.
    pub async fn extend(
        &mut self,
        chain: &Chain,
        escrow: &AccountId32,
        tokens: &BTreeSet<[u8; 32]>,
        starts: impl IntoIterator<Item = u32>,
        upto: u32,
        follow: impl Fn(&Trail) -> bool,
    ) -> Result<()> {
        let mut pending: BTreeSet<u32> = starts
            .into_iter()
            .filter(|b| *b > 0 && *b <= upto && !self.blocks.contains_key(b))
            .collect();
        // Blocks already read may point at blocks not read yet (a new trail to follow).
        for b in self.blocks.values() {
            for (_, e) in &b.events {
                let (trail, prev) = e.trail();
                if follow(&trail) && prev > 0 && prev < b.number && !self.blocks.contains_key(&prev)
                {
                    pending.insert(prev);
                }
            }
        }
        while !pending.is_empty() {
            let batch: Vec<u32> = pending
                .iter()
                .rev()
                .take(CONCURRENCY * 4)
                .copied()
                .collect();
            for b in &batch {
                pending.remove(b);
            }
            let read: Vec<Block> = stream::iter(batch)
                .map(|n| fetch(chain, n, escrow, tokens))
                .buffer_unordered(CONCURRENCY)
                .try_collect()
                .await?;
            for block in read {
                for (_, e) in &block.events {
                    let (trail, prev) = e.trail();
                    if !follow(&trail) || prev == 0 || prev == block.number {
                        continue;
                    }
                    if prev > block.number {
                        self.forward.push((trail, block.number, prev));
                    } else if !self.blocks.contains_key(&prev) {
                        pending.insert(prev);
                    }
                }
                self.blocks.insert(block.number, block);
            }
            pending.retain(|b| !self.blocks.contains_key(b));
        }
        Ok(())
    }

    /// Every escrow event read, in chain order, with its block and extrinsic.
    pub fn events(&self) -> impl Iterator<Item = (&Block, Option<u32>, &EscrowEvent)> {
        self.blocks
            .values()
            .flat_map(|b| b.events.iter().map(move |(x, e)| (b, *x, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units;

    #[test]
    fn the_psp22_transfer_topic_is_the_hash_of_its_signature() {
        // ink! 5 names an event by BLAKE2b-256 of "Name(field types)": this is the
        // `signature_topic` of `Transfer` in the stablecoin's metadata (contracts/stablecoin,
        // built on the psp22 crate).
        assert_eq!(
            units::hex0x(&psp22_transfer_topic()),
            "0x990df076cb1e9527aa102cd100c1481efe393eeabb5825f9af1f5e58221864de"
        );
    }
}
