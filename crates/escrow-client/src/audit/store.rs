//! The contract's records, read straight from its storage at one block, many per request.
//!
//! The contract keeps each deal, milestone and claimable balance under a fixed key
//! (`escrow_types::keys`: `SCALE((N, key))`). pallet-contracts stores a contract's entries in
//! its own child trie, under `Blake2_128Concat` of that key, so an auditor computes every key
//! itself and fetches a batch of them with one `childstate_getStorageEntries`: `--all` over
//! 10,000 deals is a few dozen requests, not 40,000 dry-runs.

use escrow_types::{keys, Asset, Claim, DealId, DealRecord, MilestoneRecord};
use ink::primitives::AccountId;
use scale::{Decode, Encode};
use subxt::utils::H256;

use crate::{
    chain::Chain,
    error::{ClientError, Result},
};

/// Keys per request.
const BATCH: usize = 1_000;

/// The storage of one contract at one block.
pub struct Store<'a> {
    chain: &'a Chain,
    child_key: Vec<u8>,
    at: H256,
}

/// `Blake2_128Concat` of a key: how pallet-contracts addresses a variable-length key in a
/// contract's child trie.
pub fn trie_key(key: &[u8]) -> Vec<u8> {
    use blake2::{digest::consts::U16, Blake2b, Digest};
    let mut out = Blake2b::<U16>::digest(key).to_vec();
    out.extend_from_slice(key);
    out
}

/// The key of a deal's record.
pub fn deal_key(id: DealId) -> Vec<u8> {
    (keys::DEALS, id).encode()
}

/// The key of a milestone's record.
pub fn milestone_key(id: DealId, index: u8) -> Vec<u8> {
    (keys::MILESTONES, (id, index)).encode()
}

/// The key of a claimable balance.
pub fn claim_key(account: AccountId, asset: Asset) -> Vec<u8> {
    (keys::CLAIMABLE, (account, asset)).encode()
}

impl<'a> Store<'a> {
    /// The storage of the contract whose child trie is `trie_id`, at block `at`.
    pub fn new(chain: &'a Chain, trie_id: &[u8], at: H256) -> Store<'a> {
        let mut child_key = b":child_storage:default:".to_vec();
        child_key.extend_from_slice(trie_id);
        Store {
            chain,
            child_key,
            at,
        }
    }

    /// The values under `keys` (unhashed contract keys), decoded as `T`.
    pub async fn get_many<T: Decode>(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<T>>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH) {
            let hashed: Vec<Vec<u8>> = chunk.iter().map(|k| trie_key(k)).collect();
            for raw in self
                .chain
                .child_entries(&self.child_key, &hashed, self.at)
                .await?
            {
                out.push(
                    raw.map(|v| {
                        T::decode(&mut &v[..]).map_err(|e| {
                            ClientError::Rejected(format!(
                                "undecodable {} in the contract's storage: {e}",
                                std::any::type_name::<T>()
                            ))
                        })
                    })
                    .transpose()?,
                );
            }
        }
        Ok(out)
    }

    /// The records of deals `ids` and of all their milestones (`None`: no such deal).
    pub async fn deals(
        &self,
        ids: &[DealId],
    ) -> Result<Vec<Option<(DealRecord, Vec<MilestoneRecord>)>>> {
        let keys: Vec<Vec<u8>> = ids.iter().map(|&id| deal_key(id)).collect();
        let records: Vec<Option<DealRecord>> = self.get_many(&keys).await?;
        let mut mkeys = Vec::new();
        for (id, r) in ids.iter().zip(&records) {
            for i in 0..r.as_ref().map_or(0, |r| r.milestone_count) {
                mkeys.push(milestone_key(*id, i));
            }
        }
        let mut ms = self.get_many::<MilestoneRecord>(&mkeys).await?.into_iter();
        let mut out = Vec::with_capacity(ids.len());
        for (id, r) in ids.iter().zip(records) {
            let Some(r) = r else {
                out.push(None);
                continue;
            };
            let mut list = Vec::with_capacity(usize::from(r.milestone_count));
            for i in 0..r.milestone_count {
                list.push(ms.next().flatten().ok_or_else(|| {
                    ClientError::Rejected(format!(
                        "deal {} has no record of its milestone {i}",
                        id.0
                    ))
                })?);
            }
            out.push(Some((r, list)));
        }
        Ok(out)
    }

    /// Every claimable balance the contract holds an entry for: its keys are listed from the
    /// child trie (a `Blake2_128Concat` key ends with the key itself), so none can hide from
    /// the books, whatever its events say.
    pub async fn all_claims(&self) -> Result<Vec<(AccountId, Asset)>> {
        let prefix = keys::CLAIMABLE.encode();
        let mut out = Vec::new();
        let mut start: Option<Vec<u8>> = None;
        loop {
            let page = self
                .chain
                .child_keys(&self.child_key, BATCH as u32, start.as_deref(), self.at)
                .await?;
            for k in &page {
                let raw = k.get(16..).unwrap_or_default();
                if let Some(mut rest) = raw.strip_prefix(prefix.as_slice()) {
                    if let Ok(claim) = <(AccountId, Asset)>::decode(&mut rest) {
                        out.push(claim);
                    }
                }
            }
            if page.len() < BATCH {
                return Ok(out);
            }
            start = page.last().cloned();
        }
    }

    /// The claimable balances `(account, asset)` (`None`: never credited).
    pub async fn claims(&self, of: &[(AccountId, Asset)]) -> Result<Vec<Option<Claim>>> {
        let keys: Vec<Vec<u8>> = of.iter().map(|&(a, s)| claim_key(a, s)).collect();
        self.get_many(&keys).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trie_keys_are_blake2_128_concat_of_the_scale_key() {
        // SCALE((0x6465616c, DealId(7))): the u32 then the u64, little-endian.
        let k = deal_key(DealId(7));
        assert_eq!(k, [0x6c, 0x61, 0x65, 0x64, 7, 0, 0, 0, 0, 0, 0, 0]);
        let t = trie_key(&k);
        assert_eq!(t.len(), 16 + k.len());
        assert_eq!(&t[16..], &k[..]);
        // Whether the node agrees is what every on-chain audit test checks: a wrong hash
        // finds no record at all.
    }
}
