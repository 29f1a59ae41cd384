//! Before the load: who signs and through which node, the escrow instance every node
//! serves, and the accounts' funds.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use escrow_client::{Chain, Escrow};
use subxt::{dynamic::Value, utils::AccountId32};
use subxt_signer::sr25519::{dev, Keypair};

use crate::{
    scenarios::ink_id,
    session::{chain_id, deploy},
    submit::{self, SubmitOpts, WaitFor},
    Res, UNIT,
};

/// The instance fee (1%), as in the other benches: every release pays a fee.
pub const FEE_BPS: u16 = 100;
/// A reference deal's total: 300 + 400 + 300 UNIT.
pub const DEAL_TOTAL: u128 = 1_000 * UNIT;
/// What each account gets besides the deals' totals: fees (a contract call costs about
/// 0.001 UNIT here: `IdentityFee` on ~10^9 ref_time) and a proposal's storage deposit
/// (about 1 UNIT, docs/bench.md), with a wide margin.
const PER_DEAL_MARGIN: u128 = 5 * UNIT;
const BASE_MARGIN: u128 = 100 * UNIT;
/// How long a node may take to show a block another node made.
const PROPAGATION: Duration = Duration::from_secs(60);

/// An account that signs in the load, and the node it signs through.
pub struct Party {
    pub suri: String,
    pub key: Keypair,
    pub id: AccountId32,
    pub node: usize,
}

impl Party {
    fn new(suri: String, node: usize) -> Res<Party> {
        let key = escrow_client::keystore::keypair_from_suri(&suri)
            .map_err(|e| format!("{suri}: {e}"))?;
        Ok(Party {
            id: chain_id(&key),
            suri,
            key,
            node,
        })
    }
}

/// Every signer of the load.
pub struct Cast {
    /// (seller, buyer), pair p on node p mod N.
    pub pairs: Vec<(Party, Party)>,
    /// Pair p's oracle, on the same node: the deals of pair p name it.
    pub oracles: Vec<Party>,
}

impl Cast {
    pub fn new(pairs: usize, nodes: usize) -> Res<Cast> {
        let party = |suri: String, p: usize| Party::new(suri, p % nodes);
        let oracles = (0..pairs)
            .map(|p| party(format!("//load-oracle-{p}"), p))
            .collect::<Res<Vec<_>>>()?;
        let pairs = (0..pairs)
            .map(|p| {
                Ok((
                    party(format!("//load-{}", 2 * p), p)?,
                    party(format!("//load-{}", 2 * p + 1), p)?,
                ))
            })
            .collect::<Res<Vec<_>>>()?;
        Ok(Cast { pairs, oracles })
    }

    /// Every signer: sellers and buyers, then oracles.
    pub fn all(&self) -> impl Iterator<Item = &Party> {
        self.pairs
            .iter()
            .flat_map(|(s, b)| [s, b])
            .chain(self.oracles.iter())
    }

    /// What each signer needs for `deals` deals spread over the pairs (pair p gets deals
    /// k with k mod pairs = p): a buyer pays every deal's total.
    pub fn endowments(&self, deals: usize) -> Res<Vec<(AccountId32, u128)>> {
        let pairs = self.pairs.len();
        let per_pair = deals.div_ceil(pairs) as u128;
        let margin = |n: u128| {
            n.checked_mul(PER_DEAL_MARGIN)
                .and_then(|m| m.checked_add(BASE_MARGIN))
                .ok_or("--deals: the funds overflow")
        };
        let mut out = Vec::new();
        for ((seller, buyer), oracle) in self.pairs.iter().zip(&self.oracles) {
            out.push((seller.id.clone(), margin(per_pair)?));
            let pays = per_pair
                .checked_mul(DEAL_TOTAL)
                .and_then(|t| t.checked_add(margin(per_pair).ok()?))
                .ok_or("--deals: the funds overflow")?;
            out.push((buyer.id.clone(), pays));
            out.push((oracle.id.clone(), margin(per_pair)?));
        }
        Ok(out)
    }
}

/// The deployed instance: its address and the code's size.
pub struct Deployed {
    pub address: AccountId32,
    pub code_size: usize,
    /// The block the instantiation landed in.
    pub block: u32,
}

/// Deploys the bundle through node 0 as //Alice (fee 1% to //Ferdie), as `escrow deploy`
/// does, then waits until every node serves the instance and opens it there.
pub async fn deploy_everywhere(
    chains: &[Arc<Chain>],
    bundle: &std::path::Path,
    opts: &SubmitOpts,
) -> Res<(Deployed, Vec<Escrow>)> {
    let (address, code_size) = deploy(
        &chains[0],
        opts.clone(),
        bundle,
        (ink_id(&dev::ferdie()), FEE_BPS),
        0,
    )
    .await?;
    let code_hash = chains[0]
        .code_hash_of(&address)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no contract at {address} after its deployment"))?;
    let (_, block) = chains[0].best().await.map_err(|e| e.to_string())?;
    let mut escrows = Vec::new();
    for (i, chain) in chains.iter().enumerate() {
        let deadline = Instant::now() + PROPAGATION;
        loop {
            if chain
                .code_hash_of(&address)
                .await
                .map_err(|e| e.to_string())?
                .is_some()
            {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "node {i} does not serve the escrow at {address} {PROPAGATION:?} after \
                     its deployment (block #{block} on node 0)"
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let escrow = Escrow::open(chain.clone(), address.clone(), &[code_hash])
            .await
            .map_err(|e| format!("opening the escrow on node {i}: {e}"))?;
        escrows.push(escrow);
    }
    Ok((
        Deployed {
            address,
            code_size,
            block,
        },
        escrows,
    ))
}

/// Funds every account from //Alice in one `Utility.batch_all` of
/// `Balances.transfer_keep_alive`, waits until it is finalized and every node has that
/// block. Returns the block's number.
pub async fn fund(
    chains: &[Arc<Chain>],
    endowments: &[(AccountId32, u128)],
    opts: &SubmitOpts,
) -> Res<u32> {
    let alice = dev::alice();
    let (best, _) = chains[0].best().await.map_err(|e| e.to_string())?;
    let has = chains[0]
        .free_balance(&chain_id(&alice), best)
        .await
        .map_err(|e| e.to_string())?;
    let needs = endowments
        .iter()
        .try_fold(0u128, |t, (_, v)| t.checked_add(*v))
        .ok_or("the endowments overflow")?;
    if needs >= has {
        return Err(format!(
            "the accounts need {} UNIT and //Alice has {} UNIT: run fewer --deals",
            needs / UNIT,
            has / UNIT
        ));
    }
    let transfers = endowments.iter().map(|(to, value)| {
        Value::unnamed_variant(
            "Balances",
            [Value::named_variant(
                "transfer_keep_alive",
                [
                    (
                        "dest",
                        Value::unnamed_variant("Id", [Value::from_bytes(to.0)]),
                    ),
                    ("value", Value::u128(*value)),
                ],
            )],
        )
    });
    let tx = subxt::dynamic::tx(
        "Utility",
        "batch_all",
        vec![("calls", Value::unnamed_composite(transfers))],
    );
    let finalized = SubmitOpts {
        wait: WaitFor::Finalized,
        ..opts.clone()
    };
    let inc = submit::sign_submit_wait(&chains[0], &tx, &alice, None, finalized)
        .await
        .map_err(|e| format!("funding the load's accounts: {e}"))?;
    for (i, chain) in chains.iter().enumerate() {
        let deadline = Instant::now() + PROPAGATION;
        while chain.best().await.map_err(|e| e.to_string())?.1 < inc.block_number {
            if Instant::now() > deadline {
                return Err(format!(
                    "node {i} has not imported block #{} (the funding) after {PROPAGATION:?}",
                    inc.block_number
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(inc.block_number)
}
