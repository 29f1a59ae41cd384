//! One module per verb, or per small family of verbs. Each exports its clap `Args` and a
//! `run`-style function `(args, ctx, out)` per verb; the work is one typed call into
//! [`escrow_client`] (a read, or a message from [`escrow_client::messages`]).

pub mod accept;
pub mod account;
pub mod assign;
pub mod audit;
pub mod change;
pub mod condition;
pub mod deploy;
pub mod deposit;
pub mod dispute;
pub mod events;
pub mod funds;
pub mod list;
pub mod milestone;
pub mod oracle;
pub mod propose;
pub mod show;
pub mod status;
pub mod token;

use std::io::Write;

use clap::{Args, Subcommand};
use escrow_client::{
    contract::{DryRun, StorageDeposit},
    messages::Message,
    submit::Included,
    ClientError, Result,
};
use serde_json::{json, Value as Json};

use crate::{exec, render, render::RenderCtx, Ctx, Exec};

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
    /// its funding deadline, in the deal's asset (a token deal: approve the escrow for
    /// exactly the amount if needed, then fund_tokens).
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
    /// Payee (the seller, or an assignee): assign the receivable of milestones --from..
    /// (the unsettled ones) to another account, e.g. a factor; shows what changes first.
    Assign(assign::AssignArgs),
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
        Assign(a) => assign::run(a, ctx, out).await,
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

/// The JSON report of one transaction (documented in `escrow --help`).
fn tx_json(message: &str, ret: Json, dry: &DryRun, inc: Option<&Included>) -> Json {
    json!({
        "ok": true,
        "message": message,
        "dry_run": inc.is_none(),
        "return": ret,
        "gas_required": dry.gas_required,
        "storage_deposit": match dry.storage_deposit {
            StorageDeposit::Charge(c) => json!({"charge": c.to_string()}),
            StorageDeposit::Refund(c) => json!({"refund": c.to_string()}),
        },
        "tx_hash": inc.map(|i| format!("{:?}", i.tx_hash)),
        "block": inc.map(|i| i.block_number),
        "block_hash": inc.map(|i| format!("{:?}", i.block_hash)),
        "fee": inc.and_then(|i| i.fee).map(|f| f.to_string()),
        "events": inc.map(|i| i.events.iter().map(render::event_json).collect::<Vec<_>>()).unwrap_or_default(),
    })
}

/// The human lines of one transaction: what it did, its events (amounts in their deal's
/// asset), the fee.
fn tx_human(
    out: &mut impl Write,
    r: &RenderCtx,
    summary: &str,
    inc: Option<&Included>,
) -> Result<()> {
    match inc {
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
                    format!("  {} {}", e.name(), render::event_fields_human(e, r)),
                )?;
            }
            if let Some(fee) = inc.fee {
                w(out, format!("  fee paid: {}", r.native.format(fee)))?;
            }
            Ok(())
        }
    }
}

/// Reports a message's outcome: JSON object, or human lines.
pub fn report<R: scale_info::TypeInfo + scale::Encode + 'static>(
    ctx: &Ctx,
    out: &mut impl Write,
    message: &str,
    exec: &Exec<R>,
    summary: &str,
) -> Result<()> {
    if ctx.global.json {
        let v = tx_json(
            message,
            render::to_json(&exec.ret),
            &exec.dry,
            exec.included.as_ref(),
        );
        return w(out, v.to_string());
    }
    tx_human(out, &ctx.render(), summary, exec.included.as_ref())
}

/// One transaction of a command that signs several in turn (a token deposit: the token's
/// `approve`, then `accept`, then `fund_tokens`).
#[derive(Debug, Clone)]
pub struct Step {
    /// The message called.
    pub message: &'static str,
    /// The contract called (the escrow, or the token).
    pub contract: String,
    /// What it does, for humans.
    pub summary: String,
    /// What it returned, as JSON.
    pub ret: Json,
    /// Its dry-run.
    pub dry: DryRun,
    /// The transaction, unless `--dry-run`.
    pub included: Option<Included>,
}

/// Reports a step as soon as it is done: human lines (JSON waits for [`report_steps`], so
/// stdout holds one object).
pub fn report_step(ctx: &Ctx, out: &mut impl Write, step: &Step) -> Result<()> {
    if ctx.global.json {
        return Ok(());
    }
    tx_human(out, &ctx.render(), &step.summary, step.included.as_ref())
}

/// The JSON report of a multi-step command: the last step's report, with the escrow events
/// of every step in order (`events`) and every step's own report (`steps`, each naming its
/// `contract`). Nothing in human mode (each step was reported as it was done).
pub fn report_steps(ctx: &Ctx, out: &mut impl Write, steps: &[Step]) -> Result<()> {
    if !ctx.global.json {
        return Ok(());
    }
    let Some(last) = steps.last() else {
        return Ok(());
    };
    let mut v = tx_json(
        last.message,
        last.ret.clone(),
        &last.dry,
        last.included.as_ref(),
    );
    let events: Vec<Json> = steps
        .iter()
        .filter_map(|s| s.included.as_ref())
        .flat_map(|i| i.events.iter().map(render::event_json))
        .collect();
    let each: Vec<Json> = steps
        .iter()
        .map(|s| {
            let mut j = tx_json(s.message, s.ret.clone(), &s.dry, s.included.as_ref());
            j["contract"] = json!(s.contract);
            j["summary"] = json!(s.summary);
            j
        })
        .collect();
    v["events"] = json!(events);
    v["steps"] = json!(each);
    w(out, v.to_string())
}
