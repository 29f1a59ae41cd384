//! One escrow instance: typed reads at a block, and calls (dry-run, then sign and submit
//! once).
//!
//! An [`Escrow`] exists only for an address whose code hash was checked against the hashes
//! the user trusts ([`crate::trust`]): calls *and* reads go through it, so a foreign contract
//! is named as such before anything is signed or shown, instead of failing later with an
//! undecodable answer or, worse, answering with made-up deals.

use std::sync::Arc;

use escrow_types::{
    Balance, Config, DealId, DealTerms, DealView, Digest, Error, MilestoneView, MAX_PAGE,
};
use scale::Decode;
use subxt::utils::{AccountId32, H256};
use subxt_signer::sr25519::Keypair;

use crate::{
    accounts::ink_account,
    chain::Chain,
    contract::{call_data, DryRun},
    error::{ClientError, Result},
    messages::Message,
    submit::{self, Included, SubmitOpts},
    trust::check_code_hash,
};

/// A checked escrow instance on one chain.
#[derive(Clone)]
pub struct Escrow {
    chain: Arc<Chain>,
    address: AccountId32,
}

/// A message's dry-run: what it would return, and the figures to sign with.
#[derive(Debug, Clone)]
pub struct Dried<R> {
    /// The message's `Ok` value.
    pub ret: R,
    /// Gas, storage deposit and raw result.
    pub dry: DryRun,
}

impl Escrow {
    /// The instance at `address`, after checking (at the best block) that its code hash is
    /// one of `trusted`.
    pub async fn open(
        chain: Arc<Chain>,
        address: AccountId32,
        trusted: &[[u8; 32]],
    ) -> Result<Escrow> {
        let found = chain.code_hash_of(&address).await?;
        check_code_hash(&address, found, trusted, &chain.url)?;
        Ok(Escrow { chain, address })
    }

    /// The contract's address.
    pub fn address(&self) -> &AccountId32 {
        &self.address
    }

    /// The connection.
    pub fn chain(&self) -> &Arc<Chain> {
        &self.chain
    }

    /// Reads in the state of block `block`.
    pub fn reads_at(&self, block: H256) -> Reads<'_> {
        Reads {
            escrow: self,
            block,
        }
    }

    /// Reads in the state of the best block (one block for every read made through it, so
    /// a deal and its milestones are seen together).
    pub async fn reads_at_best(&self) -> Result<Reads<'_>> {
        let (block, _) = self.chain.best().await?;
        Ok(self.reads_at(block))
    }

    /// Dry-runs `msg` as `origin` at the best block; the contract's refusal is an error
    /// (`Contract`, with its variant), so nothing failing is ever signed.
    pub async fn dry_run<R: Decode>(
        &self,
        origin: &AccountId32,
        msg: &Message<R>,
    ) -> Result<Dried<R>> {
        let (best, _) = self.chain.best().await?;
        let dry = self
            .chain
            .dry_run_call(best, origin, &self.address, msg.value, msg.data.clone())
            .await?;
        let ret = self.chain.message_outcome::<R>(&dry)?;
        Ok(Dried { ret, dry })
    }

    /// Signs `msg` with the dry-run's deposit figure and its gas plus the client's margin
    /// ([`crate::submit::gas_limit`]), submits it once and
    /// waits (see [`crate::submit`] for why it is never re-submitted).
    pub async fn submit<R>(
        &self,
        signer: &Keypair,
        msg: Message<R>,
        dry: &DryRun,
        opts: SubmitOpts,
    ) -> Result<Included> {
        let tx = submit::call_tx(&self.address, msg.value, dry, msg.data);
        submit::sign_submit_wait(&self.chain, &tx, signer, Some(&self.address), opts).await
    }
}

/// The contract's read-only messages, at one block.
pub struct Reads<'a> {
    escrow: &'a Escrow,
    /// The block whose state is read.
    pub block: H256,
}

impl Reads<'_> {
    async fn read<T: Decode>(&self, data: Vec<u8>) -> Result<T> {
        self.escrow
            .chain
            .read(self.block, &self.escrow.address, data)
            .await
    }

    /// The block's timestamp (ms).
    pub async fn now(&self) -> Result<u64> {
        self.escrow.chain.timestamp(self.block).await
    }

    /// A deal (`DealNotFound` if there is none).
    pub async fn deal(&self, deal: DealId) -> Result<DealView> {
        self.read::<Option<DealView>>(call_data("deal", &(deal,)))
            .await?
            .ok_or(ClientError::Contract(Error::DealNotFound))
    }

    /// A deal's milestone (`MilestoneNotFound` if there is none).
    pub async fn milestone(&self, deal: DealId, index: u8) -> Result<MilestoneView> {
        self.read::<Option<MilestoneView>>(call_data("milestone", &(deal, index)))
            .await?
            .ok_or(ClientError::Contract(Error::MilestoneNotFound))
    }

    /// A deal and all its milestones, in order.
    pub async fn deal_with_milestones(
        &self,
        deal: DealId,
    ) -> Result<(DealView, Vec<MilestoneView>)> {
        let view = self.deal(deal).await?;
        let mut milestones = Vec::with_capacity(usize::from(view.deal.milestone_count));
        for index in 0..view.deal.milestone_count {
            milestones.push(self.milestone(deal, index).await?);
        }
        Ok((view, milestones))
    }

    /// How many deals were ever proposed (ids run from 0).
    pub async fn deal_count(&self) -> Result<u64> {
        self.read(call_data("deal_count", &())).await
    }

    /// How many deals `account` takes part in (any role): the length of its index.
    pub async fn deal_count_of(&self, account: &AccountId32) -> Result<u32> {
        self.read(call_data("deal_count_of", &(ink_account(account),)))
            .await
    }

    /// The ids of the deals `account` takes part in (any role), at most `limit`, fetched a
    /// page ([`MAX_PAGE`]) at a time.
    pub async fn deal_ids_of(&self, account: &AccountId32, limit: u32) -> Result<Vec<DealId>> {
        let count = self.deal_count_of(account).await?;
        self.deal_ids_between(account, 0, count.min(limit)).await
    }

    /// The ids at positions `start..end` of `account`'s deal index, a page ([`MAX_PAGE`])
    /// at a time.
    pub async fn deal_ids_between(
        &self,
        account: &AccountId32,
        start: u32,
        end: u32,
    ) -> Result<Vec<DealId>> {
        let acc = ink_account(account);
        let mut ids = Vec::new();
        let mut at = start;
        while at < end {
            let page: Vec<DealId> = self
                .read(call_data("deals_of", &(acc, at, MAX_PAGE.min(end - at))))
                .await?;
            if page.is_empty() {
                break;
            }
            at = at.saturating_add(u32::try_from(page.len()).unwrap_or(u32::MAX));
            ids.extend(page);
        }
        Ok(ids)
    }

    /// The instance's configuration (fee recipient, fee).
    pub async fn config(&self) -> Result<Config> {
        self.read(call_data("config", &())).await
    }

    /// What `account` may pull with `withdraw`.
    pub async fn claimable(&self, account: &AccountId32) -> Result<Balance> {
        self.read(call_data("claimable_of", &(ink_account(account),)))
            .await
    }

    /// What `account` may pull with `withdraw_tokens` in `token`.
    pub async fn claimable_tokens(
        &self,
        account: &AccountId32,
        token: &AccountId32,
    ) -> Result<Balance> {
        self.read(call_data(
            "claimable_tokens_of",
            &(ink_account(account), ink_account(token)),
        ))
        .await
    }

    /// The terms hash as the contract computes it.
    pub async fn terms_hash(&self, terms: &DealTerms) -> Result<Digest> {
        self.read(call_data("terms_hash", &(terms,))).await
    }
}
