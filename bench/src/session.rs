//! The bench's side of the node: deploying bundles, dry-running then submitting messages,
//! reading the chain's block limits and what a block actually used.

use std::path::Path;

use escrow_types::{DealId, DealTerms, Digest};
use scale::{Decode, Encode};
use subxt::{
    dynamic::Value,
    utils::{AccountId32, H256},
};
use subxt_signer::sr25519::{dev, Keypair};

use crate::{contract, read_bundle, submit, Chain, DryRun, EscrowEvent, Res, SubmitOpts, Weight};

pub fn chain_id(k: &Keypair) -> AccountId32 {
    k.public_key().into()
}

/// A submitted message: what it returned, its dry-run, and where it landed.
pub struct Done<R> {
    pub ret: R,
    pub dry: DryRun,
    pub block: H256,
    pub events: Vec<EscrowEvent>,
}

/// One measured message.
pub struct Row {
    pub name: &'static str,
    pub gas: Weight,
}

pub struct Bench {
    pub chain: Chain,
    pub escrow: AccountId32,
    pub opts: SubmitOpts,
}

/// The runtime's `System::BlockWeights` limits, as far as the bench uses them.
pub struct BlockLimits {
    /// `max_block`: everything a block may weigh, all dispatch classes together.
    pub max_block: Weight,
    /// `per_class.normal.max_total`: what signed transactions (every contract call) may
    /// fill; the rest is reserved for operational and mandatory dispatches.
    pub normal: Weight,
}

impl Bench {
    /// Dry-runs a message; fails unless it returns `Ok(Ok(_))`.
    pub async fn dry<R: Decode>(
        &self,
        who: &Keypair,
        dest: &AccountId32,
        value: u128,
        data: &[u8],
    ) -> Res<(R, DryRun)> {
        let best = self.chain.best().await.map_err(|e| e.to_string())?;
        let dry = self
            .chain
            .dry_run_call(best.0, &chain_id(who), dest, value, data.to_vec())
            .await
            .map_err(|e| e.to_string())?;
        let ret = match &dry.result {
            Err(_) => return Err("dispatch error".into()),
            Ok((_, ret)) => match contract::decode_message_return::<R>(ret)? {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => return Err(format!("contract error {e:?}")),
                Err(l) => return Err(format!("language error {l:?}")),
            },
        };
        Ok((ret, dry))
    }

    /// Dry-runs then submits a message, waiting for its block.
    pub async fn exec<R: Decode>(
        &self,
        who: &Keypair,
        dest: &AccountId32,
        value: u128,
        name: &str,
        data: Vec<u8>,
    ) -> Res<Done<R>> {
        let (ret, dry) = self
            .dry::<R>(who, dest, value, &data)
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        let tx = submit::call_tx(dest, value, &dry, data);
        let inc = submit::sign_submit_wait(&self.chain, &tx, who, Some(dest), self.opts.clone())
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        Ok(Done {
            ret,
            dry,
            block: inc.block_hash,
            events: inc.events,
        })
    }

    /// Submits a message to the escrow contract, unmeasured (a step between measured ones).
    pub async fn call<R: Decode>(
        &self,
        who: &Keypair,
        value: u128,
        name: &str,
        data: Vec<u8>,
    ) -> Res<R> {
        let escrow = self.escrow.clone();
        Ok(self.exec(who, &escrow, value, name, data).await?.ret)
    }

    /// A read-only message.
    pub async fn read<R: Decode>(&self, name: &str, args: impl Encode) -> Res<R> {
        let best = self.chain.best().await.map_err(|e| e.to_string())?;
        let dry = self
            .chain
            .dry_run_call(
                best.0,
                &chain_id(&dev::alice()),
                &self.escrow,
                0,
                contract::call_data(name, &args),
            )
            .await
            .map_err(|e| e.to_string())?;
        match &dry.result {
            Ok((_, ret)) => contract::decode_read_return::<R>(ret)?
                .map_err(|l| format!("{name}: language error {l:?}")),
            Err(_) => Err(format!("{name}: dispatch error")),
        }
    }

    /// Calls a message on the escrow contract and records its cost under `name`.
    pub async fn measure<R: Decode>(
        &self,
        rows: &mut Vec<Row>,
        name: &'static str,
        who: &Keypair,
        value: u128,
        data: Vec<u8>,
    ) -> Res<Done<R>> {
        let escrow = self.escrow.clone();
        let done = self.exec::<R>(who, &escrow, value, name, data).await?;
        rows.push(Row {
            name,
            gas: done.dry.gas_consumed,
        });
        Ok(done)
    }

    pub async fn now_ms(&self) -> Res<u64> {
        let best = self.chain.best().await.map_err(|e| e.to_string())?;
        self.chain
            .timestamp(best.0)
            .await
            .map_err(|e| e.to_string())
    }

    /// Seals a block (a remark) so the chain's clock reads the current time.
    pub async fn tick(&self) -> Res<()> {
        let tx = subxt::dynamic::tx(
            "System",
            "remark",
            vec![("remark", Value::from_bytes(b"tick"))],
        );
        submit::sign_submit_wait(&self.chain, &tx, &dev::ferdie(), None, self.opts.clone())
            .await
            .map(|_| ())
            .map_err(|e| format!("tick: {e}"))
    }

    pub async fn terms_hash(&self, terms: &DealTerms) -> Res<Digest> {
        self.read("terms_hash", (terms,)).await
    }

    pub async fn deal_count(&self) -> Res<u64> {
        self.read("deal_count", ()).await
    }

    /// Proposes `terms` as the seller (unmeasured).
    pub async fn propose(&self, seller: &Keypair, terms: &DealTerms) -> Res<DealId> {
        self.call(
            seller,
            0,
            "propose",
            contract::call_data("propose", &(terms,)),
        )
        .await
    }

    /// The normal-class weight block `at` used, which must hold exactly one signed
    /// transaction (the bench's node seals one block per transaction): what that
    /// transaction took from the block's budget, its base extrinsic weight and
    /// `Contracts.call`'s own dispatch weight included.
    pub async fn block_used(&self, at: H256) -> Res<Weight> {
        let err = |e: subxt::Error| format!("reading block {at:?}: {e}");
        let block = self.chain.api.blocks().at(at).await.map_err(err)?;
        let signed = block
            .extrinsics()
            .await
            .map_err(err)?
            .iter()
            .filter(|x| x.is_signed())
            .count();
        if signed != 1 {
            return Err(format!(
                "block {at:?} holds {signed} signed transactions, not one: the node must seal \
                 one block per transaction (escrow-node --dev) for per-deal block figures"
            ));
        }
        let key = subxt::dynamic::storage("System", "BlockWeight", ());
        let raw = self
            .chain
            .api
            .storage()
            .at(at)
            .fetch(&key)
            .await
            .map_err(err)?
            .ok_or_else(|| format!("block {at:?} has no System::BlockWeight"))?;
        // `PerDispatchClass<Weight>`: normal first, then operational and mandatory.
        Weight::decode(&mut raw.encoded())
            .map_err(|e| format!("undecodable System::BlockWeight: {e}"))
    }

    /// The runtime constant `System::BlockWeights`, from the chain's metadata.
    pub fn block_limits(&self) -> Res<BlockLimits> {
        let metadata = self.chain.api.metadata();
        let raw = metadata
            .pallet_by_name("System")
            .and_then(|p| p.constant_by_name("BlockWeights"))
            .ok_or("the chain's metadata has no System::BlockWeights")?
            .value()
            .to_vec();
        // `frame_system::limits::BlockWeights { base_block, max_block, per_class }`, and
        // `per_class.normal` = `WeightsPerClass { base_extrinsic, max_extrinsic, max_total, .. }`.
        type Head = (Weight, Weight, Weight, Option<Weight>, Option<Weight>);
        let (_base_block, max_block, _base_extrinsic, _max_extrinsic, normal_total) =
            Head::decode(&mut &raw[..])
                .map_err(|e| format!("undecodable System::BlockWeights: {e}"))?;
        Ok(BlockLimits {
            max_block,
            // A class without a limit may fill the whole block.
            normal: normal_total.unwrap_or(max_block),
        })
    }
}

/// Uploads and instantiates a bundle's `new` constructor with `args`, as `escrow deploy`
/// (and `cargo contract instantiate`) do. Returns the address and the code's size.
pub async fn deploy(
    chain: &Chain,
    opts: SubmitOpts,
    bundle: &Path,
    args: impl Encode,
    value: u128,
) -> Res<(AccountId32, usize)> {
    let (code, sel) = read_bundle(bundle).map_err(|e| e.to_string())?;
    let size = code.len();
    let mut data = sel.to_vec();
    args.encode_to(&mut data);
    let alice = dev::alice();
    let best = chain.best().await.map_err(|e| e.to_string())?;
    let salt = best.0 .0[..8].to_vec();
    let dry = chain
        .dry_run_instantiate(
            best.0,
            &chain_id(&alice),
            value,
            &code,
            data.clone(),
            salt.clone(),
        )
        .await
        .map_err(|e| e.to_string())?;
    if let Err(_) | Ok((contract::REVERT, _)) = &dry.result {
        return Err(format!(
            "instantiating {}: the dry-run failed",
            bundle.display()
        ));
    }
    let tx = submit::instantiate_tx(value, &dry, code, data, salt);
    let inc = submit::sign_submit_wait(chain, &tx, &alice, None, opts)
        .await
        .map_err(|e| e.to_string())?;
    let addr = inc
        .instantiated
        .or(dry.account_id.map(AccountId32))
        .ok_or("no Instantiated event")?;
    Ok((addr, size))
}
