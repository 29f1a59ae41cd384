//! One module per verb, or per small family of verbs. Each exports its clap `Args` and a
//! `run`-style function `(args, ctx, out)` per verb; the work is one typed call into
//! [`escrow_client`] (a read, or a message from [`escrow_client::messages`]).

pub mod accept;
pub mod account;
pub mod audit;
pub mod change;
pub mod deploy;
pub mod dispute;
pub mod events;
pub mod funds;
pub mod list;
pub mod milestone;
pub mod propose;
pub mod show;
pub mod status;

use std::io::Write;

use clap::{Args, Subcommand};
use escrow_client::{contract::StorageDeposit, messages::Message, ClientError, Result};
use serde_json::json;

use crate::{exec, render, Ctx, Exec};

/// `escrow deal …`: one subcommand per contract message, plus reads.
// Parsed once per process: the size of the largest variant (propose's) does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum DealCommand {
    /// Propose a deal (you must be its buyer or seller); shows every term first.
    #[command(after_help = propose::DEADLINES_HELP)]
    Propose(propose::ProposeArgs),
    /// Accept a proposed deal: shows every term, then accepts exactly those (their terms
    /// hash); --fund to deposit at once.
    #[command(after_help = accept::ACCEPT_HELP)]
    Accept(accept::AcceptArgs),
    /// Deposit funds for an active deal (the buyer, or the funder its terms name), until
    /// its funding deadline.
    Fund(funds::FundArgs),
    /// Seller: mark a funded milestone delivered, with evidence.
    Submit(milestone::SubmitArgs),
    /// Buyer: release one milestone.
    Approve(IndexArgs),
    /// Buyer: release every unsettled milestone up to LAST.
    ApproveThrough(IndexArgs),
    /// Oracle: attest a funded milestone.
    Attest(IndexArgs),
    /// Buyer or seller: dispute a submitted milestone.
    Dispute(dispute::DisputeArgs),
    /// Buyer or seller: offer to settle a dispute (the seller's gross share).
    Offer(dispute::AmountArgs),
    /// Accept the other party's settlement offer: name the seller's share you accept; the
    /// contract refuses if the offer on record is any other (OfferMismatch).
    AcceptOffer(dispute::AcceptOfferArgs),
    /// Arbiter: split a disputed milestone (the seller's gross share).
    Resolve(dispute::AmountArgs),
    /// Anyone: settle one milestone whose clock ran out (release, refund or fallback).
    #[command(alias = "refund")]
    Settle(IndexArgs),
    /// Anyone: settle every milestone whose clock ran out.
    SettleDue(DealArgs),
    /// Anyone: record the closure of a deal whose milestones are all settled (DealClosed).
    Close(DealArgs),
    /// Buyer or seller: propose to cancel the deal.
    Cancel(DealArgs),
    /// Accept the other party's cancellation.
    AcceptCancel(DealArgs),
    /// Proposer: withdraw your pending cancellation proposal.
    WithdrawCancel(DealArgs),
    /// Buyer or seller: propose a later ship-by for a milestone (before its current one).
    Amend(change::AmendArgs),
    /// Accept the other party's ship-by amendment: name the date you accept; the contract
    /// refuses if the amendment on record is any other (AmendmentMismatch).
    AcceptAmendment(change::AcceptAmendArgs),
    /// Proposer: withdraw your pending ship-by amendment of a milestone.
    WithdrawAmendment(IndexArgs),
    /// Proposer: withdraw a proposal before acceptance.
    WithdrawProposal(DealArgs),
    /// Show a deal: terms, parties, milestones and their clocks, totals.
    Show(show::ShowArgs),
    /// List deals (all, or --mine).
    List(list::ListArgs),
}

/// A deal id.
#[derive(Debug, Args)]
pub struct DealArgs {
    /// Deal id.
    pub deal: u64,
}

/// A deal id and a milestone index.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Deal id.
    pub deal: u64,
    /// Milestone index (from 0); for approve-through, the last one to release.
    pub index: u8,
}

/// Dispatches `escrow deal …`.
pub async fn run_deal(cmd: DealCommand, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    use DealCommand::*;
    match cmd {
        Propose(a) => propose::run(a, ctx, out).await,
        Accept(a) => accept::run(a, ctx, out).await,
        Fund(a) => funds::fund(a, ctx, out).await,
        Submit(a) => milestone::submit(a, ctx, out).await,
        Approve(a) => milestone::approve(a, ctx, out).await,
        ApproveThrough(a) => milestone::approve_through(a, ctx, out).await,
        Attest(a) => milestone::attest(a, ctx, out).await,
        Dispute(a) => dispute::dispute(a, ctx, out).await,
        Offer(a) => dispute::offer(a, ctx, out).await,
        AcceptOffer(a) => dispute::accept_offer(a, ctx, out).await,
        Resolve(a) => dispute::resolve(a, ctx, out).await,
        Settle(a) => milestone::settle(a, ctx, out).await,
        SettleDue(a) => milestone::settle_due(a, ctx, out).await,
        Close(a) => milestone::close(a, ctx, out).await,
        Cancel(a) => change::cancel(a, ctx, out).await,
        AcceptCancel(a) => change::accept_cancel(a, ctx, out).await,
        WithdrawCancel(a) => change::withdraw_cancel(a, ctx, out).await,
        Amend(a) => change::amend(a, ctx, out).await,
        AcceptAmendment(a) => change::accept_amendment(a, ctx, out).await,
        WithdrawAmendment(a) => change::withdraw_amendment(a, ctx, out).await,
        WithdrawProposal(a) => change::withdraw_proposal(a, ctx, out).await,
        Show(a) => show::run(a, ctx, out).await,
        List(a) => list::run(a, ctx, out).await,
    }
}

/// Writes a line, mapping I/O errors.
pub fn w(out: &mut impl Write, s: impl AsRef<str>) -> Result<()> {
    writeln!(out, "{}", s.as_ref())
        .map_err(|e| ClientError::Rejected(format!("cannot write output: {e}")))
}

/// Runs `msg` ([`exec`]) and reports it with `summary`.
pub async fn call<R>(
    ctx: &mut Ctx,
    out: &mut impl Write,
    msg: Message<R>,
    summary: &str,
) -> Result<()>
where
    R: scale::Decode + scale::Encode + scale_info::TypeInfo + 'static,
{
    let name = msg.name;
    let e = exec(ctx, msg).await?;
    report(ctx, out, name, &e, summary)
}

/// Reports a message's outcome: JSON object, or human lines.
pub fn report<R: scale_info::TypeInfo + scale::Encode + 'static>(
    ctx: &Ctx,
    out: &mut impl Write,
    message: &str,
    exec: &Exec<R>,
    summary: &str,
) -> Result<()> {
    let r = ctx.render();
    if ctx.global.json {
        let inc = exec.included.as_ref();
        let v = json!({
            "ok": true,
            "message": message,
            "dry_run": inc.is_none(),
            "return": render::to_json(&exec.ret),
            "gas_required": exec.dry.gas_required,
            "storage_deposit": match exec.dry.storage_deposit {
                StorageDeposit::Charge(c) => json!({"charge": c.to_string()}),
                StorageDeposit::Refund(c) => json!({"refund": c.to_string()}),
            },
            "tx_hash": inc.map(|i| format!("{:?}", i.tx_hash)),
            "block": inc.map(|i| i.block_number),
            "block_hash": inc.map(|i| format!("{:?}", i.block_hash)),
            "fee": inc.and_then(|i| i.fee).map(|f| f.to_string()),
            "events": inc.map(|i| i.events.iter().map(render::event_json).collect::<Vec<_>>()).unwrap_or_default(),
        });
        return w(out, v.to_string());
    }
    match &exec.included {
        None => w(out, format!("dry-run ok: {summary} (nothing submitted)")),
        Some(inc) => {
            w(
                out,
                format!(
                    "ok: {summary} in block #{} (tx {:?})",
                    inc.block_number, inc.tx_hash
                ),
            )?;
            for e in &inc.events {
                w(
                    out,
                    format!("  {} {}", e.name(), render::event_fields_human(e, &r)),
                )?;
            }
            if let Some(fee) = inc.fee {
                w(out, format!("  fee paid: {}", r.token.format(fee)))?;
            }
            Ok(())
        }
    }
}
