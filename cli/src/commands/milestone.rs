//! A milestone's way to payment: submit (seller), approve / approve-through (buyer), attest
//! (oracle), settle / settle-due when a clock ran out (anyone), and close (anyone, once
//! every milestone is settled).

use std::{io::Write, path::PathBuf};

use clap::Args;
use escrow_client::{messages, units, ClientError, Result};
use escrow_types::{DealId, Digest};

use super::{call, DealArgs, IndexArgs};
use crate::Ctx;

/// `deal submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Deal id.
    pub deal: u64,
    /// Milestone index.
    pub index: u8,
    /// Evidence document (bill of lading, invoice…), hashed with BLAKE2b-256.
    #[arg(long = "evidence-file", conflicts_with = "evidence_hash")]
    pub evidence_file: Option<PathBuf>,
    /// Or the evidence hash, 0x-hex.
    #[arg(long = "evidence-hash", value_parser = units::parse_hash)]
    pub evidence_hash: Option<Digest>,
}

/// A document's hash: `file` hashed with BLAKE2b-256, or `hash` as given.
pub fn digest(file: Option<&PathBuf>, hash: Option<Digest>, what: &str) -> Result<Digest> {
    match (file, hash) {
        (Some(f), _) => units::hash_file(f).map_err(ClientError::input),
        (None, Some(h)) => Ok(h),
        (None, None) => Err(ClientError::input(format!(
            "give the {what} as --file PATH or --hash 0x…"
        ))),
    }
}

/// `deal submit`.
pub async fn submit(a: SubmitArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let h = digest(a.evidence_file.as_ref(), a.evidence_hash, "evidence")?;
    let s = format!(
        "deal {} milestone {} submitted (evidence {})",
        a.deal,
        a.index,
        units::hex0x(&h)
    );
    call(ctx, out, messages::submit(DealId(a.deal), a.index, h), &s).await
}

/// `deal approve`.
pub async fn approve(a: IndexArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("deal {} milestone {} approved", a.deal, a.index);
    call(ctx, out, messages::approve(DealId(a.deal), a.index), &s).await
}

/// `deal approve-through`.
pub async fn approve_through(a: IndexArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("deal {} milestones 0..={} approved", a.deal, a.index);
    call(
        ctx,
        out,
        messages::approve_through(DealId(a.deal), a.index),
        &s,
    )
    .await
}

/// `deal attest`.
pub async fn attest(a: IndexArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("deal {} milestone {} attested", a.deal, a.index);
    call(ctx, out, messages::attest(DealId(a.deal), a.index), &s).await
}

/// `deal settle`.
pub async fn settle(a: IndexArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("deal {} milestone {} settled", a.deal, a.index);
    call(
        ctx,
        out,
        messages::settle_milestone(DealId(a.deal), a.index),
        &s,
    )
    .await
}

/// `deal settle-due`.
pub async fn settle_due(a: DealArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("deal {}: due milestones settled", a.deal);
    call(ctx, out, messages::settle_due(DealId(a.deal)), &s).await
}

/// `deal close`.
pub async fn close(a: DealArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let s = format!("deal {}: closure recorded (DealClosed)", a.deal);
    call(ctx, out, messages::close_deal(DealId(a.deal)), &s).await
}
