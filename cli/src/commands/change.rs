//! Changing or ending a deal by agreement: withdraw a proposal (proposer), cancel, accept
//! or withdraw the cancellation, amend a ship-by, accept or withdraw the amendment (buyer
//! and seller).
//!
//! Accepting an amendment names the date accepted, as the user typed it, never as read
//! from the chain: the contract compares it with the amendment on record
//! (`AmendmentMismatch`), so an amendment swapped in between is refused, not accepted.

use std::io::Write;

use clap::Args;
use escrow_client::{messages, units, ClientError, Result};
use escrow_types::{DealId, Timestamp};

use super::{call, DealArgs, IndexArgs};
use crate::Ctx;

/// `deal amend`.
#[derive(Debug, Args)]
pub struct AmendArgs {
    /// Deal id.
    pub deal: u64,
    /// Milestone index.
    pub index: u8,
    /// New ship-by: RFC 3339 or +duration from now (e.g. +14d).
    pub new_ship_by: String,
}

/// `deal accept-amendment`.
#[derive(Debug, Args)]
pub struct AcceptAmendArgs {
    /// Deal id.
    pub deal: u64,
    /// Milestone index.
    pub index: u8,
    /// The new ship-by you accept, exactly as `escrow deal show` prints it (RFC 3339) or
    /// in ms since the epoch (`--json`). Refused unless it is the amendment on record.
    #[arg(value_parser = units::parse_exact_time)]
    pub new_ship_by: Timestamp,
}

/// A ship-by as typed: RFC 3339, or "+duration" from the chain's now (not this machine's).
async fn ship_by(ctx: &mut Ctx, s: &str) -> Result<Timestamp> {
    let chain = ctx.chain().await?;
    let (best, _) = chain.best().await?;
    let now = units::from_now_base(chain.timestamp(best).await?);
    units::parse_time(s, now).map_err(|e| ClientError::input(format!("new ship-by: {e}")))
}

/// `deal withdraw-proposal`.
pub async fn withdraw_proposal(a: DealArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("proposal {} withdrawn", a.deal);
    call(ctx, out, messages::withdraw_proposal(DealId(a.deal)), &s).await
}

/// `deal cancel`.
pub async fn cancel(a: DealArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("cancellation of deal {} proposed", a.deal);
    call(ctx, out, messages::propose_cancel(DealId(a.deal)), &s).await
}

/// `deal accept-cancel`.
pub async fn accept_cancel(a: DealArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("deal {} cancelled", a.deal);
    call(ctx, out, messages::accept_cancel(DealId(a.deal)), &s).await
}

/// `deal withdraw-cancel`.
pub async fn withdraw_cancel(a: DealArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("cancellation proposal of deal {} withdrawn", a.deal);
    call(ctx, out, messages::withdraw_cancel(DealId(a.deal)), &s).await
}

/// `deal amend`.
pub async fn amend(a: AmendArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let t = ship_by(ctx, &a.new_ship_by).await?;
    let s = format!(
        "proposed ship-by {} for deal {} milestone {}",
        units::format_time(t),
        a.deal,
        a.index
    );
    call(
        ctx,
        out,
        messages::propose_amendment(DealId(a.deal), a.index, t),
        &s,
    )
    .await
}

/// `deal accept-amendment`: accepts the date the user named, and only it.
pub async fn accept_amendment(
    a: AcceptAmendArgs,
    ctx: &mut Ctx,
    out: &mut impl Write,
) -> Result<()> {
    let (deal, index, t) = (DealId(a.deal), a.index, a.new_ship_by);
    let s = format!(
        "accepted ship-by {} for deal {} milestone {index}",
        units::format_time(t),
        a.deal
    );
    call(ctx, out, messages::accept_amendment(deal, index, t), &s).await
}

/// `deal withdraw-amendment`.
pub async fn withdraw_amendment(a: IndexArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!(
        "amendment of deal {} milestone {} withdrawn",
        a.deal, a.index
    );
    call(
        ctx,
        out,
        messages::withdraw_amendment(DealId(a.deal), a.index),
        &s,
    )
    .await
}
