//! The bench's deals: every milestone carries its own condition document (so its terms
//! hash is that document's hash), the oracle is //Ferdie alone (rule Oracles, threshold 1),
//! and every milestone is funded, so each one waits for the service's attestation.

use std::path::Path;

use escrow_client::oracle::condition::{Document, FORMAT_V1};
use escrow_types::{Asset, DealId, DealTerms, MilestoneTerms, ReleaseRule};
use ink::primitives::AccountId;
use scale::Decode;
use serde_json::json;
use subxt::dynamic::Value;
use subxt_signer::sr25519::{dev, Keypair};

use crate::{contract::call_data, session::Bench, submit, Res, Weight, UNIT};

/// One equipment event code per milestone of a load deal (DCSA 2.2 equipment codes), so
/// that the ten milestones of a deal are ten different documents.
pub const CODES: [&str; 10] = [
    "LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP", "PICK", "DROP", "INSP", "RSEA",
];

/// Where every bench event happens (Mundra).
pub const LOCATION: &str = "INMUN";

const DAY_MS: u64 = 86_400_000;

/// Each milestone's amount.
const AMOUNT: u128 = UNIT;

pub fn ink_id(k: &Keypair) -> AccountId {
    AccountId::from(k.public_key().0)
}

/// A condition document the bench wrote: "ACT `code` at INMUN of `reference`".
pub struct Doc {
    pub reference: String,
    pub hash: [u8; 32],
}

/// Writes the document requiring an ACT equipment event `code` at [`LOCATION`] for
/// transport document `reference` into `dir`, and returns it with its hash (computed by
/// the service's own parser).
pub fn write_doc(dir: &Path, reference: &str, code: &'static str) -> Res<Doc> {
    let doc = json!({
        "format": FORMAT_V1,
        "description": format!("bench: {code} of {reference}"),
        "transportDocumentReference": reference,
        "events": [{
            "eventType": "EQUIPMENT",
            "equipmentEventTypeCode": code,
            "location": LOCATION,
        }],
    });
    let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
    let parsed = Document::parse(&bytes).map_err(|e| format!("the bench's document: {e}"))?;
    let path = dir.join(format!("{reference}-{code}.json"));
    std::fs::write(&path, &bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(Doc {
        reference: reference.to_string(),
        hash: parsed.hash,
    })
}

/// A deal of the bench: seller //Charlie, buyer //Bob, oracle //Ferdie alone; one
/// milestone per document, each committing to it.
fn terms(now: u64, docs: &[Doc]) -> DealTerms {
    let fund_by = now + 7 * DAY_MS;
    DealTerms {
        buyer: ink_id(&dev::bob()),
        seller: ink_id(&dev::charlie()),
        oracles: vec![ink_id(&dev::ferdie())],
        oracle_threshold: 1,
        arbiter: None,
        release_rule: ReleaseRule::Oracles,
        review_window: 7 * DAY_MS,
        arbitration_window: 14 * DAY_MS,
        fallback_seller_bps: 5_000,
        advance: false,
        agreement_hash: [0x16; 32],
        funder: None,
        fund_by,
        asset: Asset::Native,
        milestones: docs
            .iter()
            .zip(1u64..)
            .map(|(d, n)| MilestoneTerms {
                amount: AMOUNT,
                terms_hash: d.hash,
                ship_by: fund_by + n * 30 * DAY_MS,
            })
            .collect(),
    }
}

/// Proposes one deal per entry of `deals` (as //Charlie) and accepts and funds each in
/// full (as //Bob), each side in `Utility.batch_all`s. Returns the deals' ids, in order.
pub async fn open(b: &Bench, deals: &[Vec<Doc>]) -> Res<Vec<DealId>> {
    let now = b.now_ms().await?;
    let all: Vec<DealTerms> = deals.iter().map(|docs| terms(now, docs)).collect();
    let first = b.deal_count().await?;
    let proposals = all
        .iter()
        .map(|t| (0, call_data("propose", &(t,))))
        .collect();
    batched::<DealId>(b, &dev::charlie(), proposals, "proposing").await?;
    let count = b.deal_count().await?;
    let n = all.len() as u64;
    if count != first + n {
        return Err(format!(
            "proposing: deal_count went from {first} to {count}, expected +{n}"
        ));
    }
    let ids: Vec<DealId> = (first..count).map(DealId).collect();
    let mut acceptances = Vec::with_capacity(all.len());
    for (id, t) in ids.iter().zip(&all) {
        let total = AMOUNT * t.milestones.len() as u128;
        let hash = b.terms_hash(t).await?;
        acceptances.push((total, call_data("accept", &(*id, hash))));
    }
    batched::<()>(b, &dev::bob(), acceptances, "accepting").await?;
    Ok(ids)
}

/// Submits `calls` (value, call data) to the escrow as `who` in `Utility.batch_all`s of as
/// many as fit in half a block's normal-class weight. Every call gets the limits of the
/// first one's dry-run, doubled (the calls are alike; later ones write to longer lists).
async fn batched<R: Decode>(
    b: &Bench,
    who: &Keypair,
    calls: Vec<(u128, Vec<u8>)>,
    what: &str,
) -> Res<()> {
    let Some((value, data)) = calls.first() else {
        return Ok(());
    };
    let (_, dry) = b
        .dry::<R>(who, &b.escrow, *value, data)
        .await
        .map_err(|e| format!("{what}: {e}"))?;
    let gas = Weight {
        ref_time: dry.gas_required.ref_time * 2,
        proof_size: dry.gas_required.proof_size * 2,
    };
    let deposit = dry.storage_deposit.limit() * 2 + UNIT;
    let normal = b.block_limits()?.normal;
    let fit = (normal.ref_time / 2 / gas.ref_time.max(1))
        .min(normal.proof_size / 2 / gas.proof_size.max(1))
        .clamp(1, 100) as usize;
    let as_calls: Vec<Value> = calls
        .into_iter()
        .map(|(value, data)| {
            let fields = submit::call_fields(&b.escrow, value, gas, deposit, data);
            Value::unnamed_variant("Contracts", [Value::named_variant("call", fields)])
        })
        .collect();
    for chunk in as_calls.chunks(fit) {
        let batch = Value::unnamed_composite(chunk.iter().cloned());
        let tx = subxt::dynamic::tx("Utility", "batch_all", vec![("calls", batch)]);
        submit::sign_submit_wait(&b.chain, &tx, who, None, b.opts.clone())
            .await
            .map_err(|e| format!("{what} ({} calls in a batch): {e}", chunk.len()))?;
    }
    Ok(())
}
