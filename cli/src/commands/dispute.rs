//! Disputes: open one (buyer or seller), offer and accept a settlement (the parties), or
//! resolve it (the arbiter). Shares are the seller's gross share of the milestone.
//!
//! Accepting an offer names the share accepted, as the user typed it, never as read from
//! the chain: the contract compares it with the offer on record (`OfferMismatch`), so an
//! offer swapped in between reading and signing is refused instead of accepted.

use std::{io::Write, path::PathBuf};

use clap::Args;
use escrow_client::{
    messages,
    units::{self, Token},
    ClientError, Result,
};
use escrow_types::{Balance, DealId, Digest, MilestoneView};

use super::{call, milestone::digest};
use crate::Ctx;

/// A hash given as a file (hashed with BLAKE2b-256) or directly.
#[derive(Debug, Args)]
pub struct HashArgs {
    /// Hash this file's contents (BLAKE2b-256).
    #[arg(long, conflicts_with = "hash")]
    pub file: Option<PathBuf>,
    /// Or give the 32-byte hash as 0x-hex.
    #[arg(long, value_parser = units::parse_hash)]
    pub hash: Option<Digest>,
}

/// `deal dispute`.
#[derive(Debug, Args)]
pub struct DisputeArgs {
    /// Deal id.
    pub deal: u64,
    /// Milestone index.
    pub index: u8,
    /// The complaint (photos, inspection report), hashed with BLAKE2b-256.
    #[command(flatten)]
    pub reason: HashArgs,
}

/// A deal, a milestone and the seller's gross share.
#[derive(Debug, Args)]
pub struct AmountArgs {
    /// Deal id.
    pub deal: u64,
    /// Milestone index.
    pub index: u8,
    /// The seller's gross share (an amount, or a percentage of the milestone like "60%").
    pub seller_amount: String,
}

/// `deal accept-offer`.
#[derive(Debug, Args)]
pub struct AcceptOfferArgs {
    /// Deal id.
    pub deal: u64,
    /// Milestone index.
    pub index: u8,
    /// The offer you accept: the seller's gross share, an amount or a percentage of the
    /// milestone ("60%"), as `escrow deal show` shows it. Refused unless it is exactly the
    /// offer on record.
    pub seller_amount: String,
}

/// The milestone as stored now (through the checked instance).
pub async fn milestone_now(ctx: &mut Ctx, deal: DealId, index: u8) -> Result<MilestoneView> {
    let escrow = ctx.escrow().await?;
    escrow.reads_at_best().await?.milestone(deal, index).await
}

/// Parses the seller's share: an amount in the deal's asset, or a percentage of the
/// milestone ("60%"). Returns it with the asset's units (for the summary).
async fn seller_share(ctx: &mut Ctx, deal: DealId, index: u8, s: &str) -> Result<(Balance, Token)> {
    let escrow = ctx.escrow().await?;
    let asset = escrow.reads_at_best().await?.deal(deal).await?.deal.asset;
    ctx.learn_deal_asset(deal, asset).await;
    if s.trim().ends_with('%') {
        // A share of the milestone: the asset's units only show it.
        let bps = units::parse_percent(s)
            .map_err(|e| ClientError::input(format!("seller share: {e}")))?;
        let m = milestone_now(ctx, deal, index).await?;
        let v = escrow_types::bps_of(m.milestone.amount, bps)
            .ok_or_else(|| ClientError::input("bad percentage"))?;
        return Ok((v, ctx.render().units(&asset)));
    }
    // An amount is typed in the asset's decimals: they must be known.
    let units = ctx.asset_units(&asset).await?;
    let v = units
        .parse(s)
        .map_err(|e| ClientError::input(format!("seller share: {e}")))?;
    Ok((v, units))
}

/// `deal dispute`.
pub async fn dispute(a: DisputeArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let h = digest(a.reason.file.as_ref(), a.reason.hash, "complaint")?;
    let s = format!("deal {} milestone {} disputed", a.deal, a.index);
    call(ctx, out, messages::dispute(DealId(a.deal), a.index, h), &s).await
}

/// `deal offer`.
pub async fn offer(a: AmountArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let (deal, index) = (DealId(a.deal), a.index);
    let (v, units) = seller_share(ctx, deal, index, &a.seller_amount).await?;
    let s = format!(
        "offered {} to the seller for deal {} milestone {index}",
        units.format(v),
        a.deal
    );
    call(ctx, out, messages::offer_settlement(deal, index, v), &s).await
}

/// `deal accept-offer`: accepts the share the user named, and only it.
pub async fn accept_offer(a: AcceptOfferArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let (deal, index) = (DealId(a.deal), a.index);
    let (v, units) = seller_share(ctx, deal, index, &a.seller_amount).await?;
    let s = format!(
        "accepted the offer of {} to the seller for deal {} milestone {index}",
        units.format(v),
        a.deal
    );
    call(ctx, out, messages::accept_settlement(deal, index, v), &s).await
}

/// `deal resolve`.
pub async fn resolve(a: AmountArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let (deal, index) = (DealId(a.deal), a.index);
    let (v, units) = seller_share(ctx, deal, index, &a.seller_amount).await?;
    let s = format!(
        "resolved deal {} milestone {index}: {} to the seller",
        a.deal,
        units.format(v)
    );
    call(ctx, out, messages::resolve_dispute(deal, index, v), &s).await
}
