//! One module per verb. Each exports its clap `Args` and a `run(args, ctx, out)`.

pub mod accept;
pub mod account;
pub mod actions;
pub mod audit;
pub mod deploy;
pub mod events;
pub mod list;
pub mod propose;
pub mod show;
pub mod status;

use std::io::Write;

use clap::Subcommand;
use serde_json::json;

use crate::{
    contract::EscrowEvent,
    error::{CliError, Result},
    render::RenderCtx,
    Ctx, Exec,
};

/// `escrow deal …`: one subcommand per contract message, plus reads.
// Parsed once per process: the size of the largest variant (propose's) does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum DealCommand {
    /// Propose a deal (you must be its buyer or seller).
    Propose(propose::ProposeArgs),
    /// Accept a proposed deal (checks the terms hash; --fund to deposit at once).
    Accept(accept::AcceptArgs),
    /// Deposit funds for an active deal (anyone may, on the buyer's behalf).
    Fund(actions::FundArgs),
    /// Seller: mark a funded milestone delivered, with evidence.
    Submit(actions::SubmitArgs),
    /// Buyer: release one milestone.
    Approve(actions::IndexArgs),
    /// Buyer: release every unsettled milestone up to LAST.
    ApproveThrough(actions::IndexArgs),
    /// Oracle: attest a funded milestone.
    Attest(actions::IndexArgs),
    /// Buyer or seller: dispute a submitted milestone.
    Dispute(actions::DisputeArgs),
    /// Buyer or seller: offer to settle a dispute (the seller's gross share).
    Offer(actions::AmountArgs),
    /// Accept the other party's settlement offer (default: the offer on record).
    AcceptOffer(actions::OptAmountArgs),
    /// Arbiter: split a disputed milestone (the seller's gross share).
    Resolve(actions::AmountArgs),
    /// Anyone: settle one milestone whose clock ran out (release, refund or fallback).
    #[command(alias = "refund")]
    Settle(actions::IndexArgs),
    /// Anyone: settle every milestone whose clock ran out.
    SettleDue(actions::DealArgs),
    /// Anyone: record the closure of a deal whose milestones are all settled (DealClosed).
    Close(actions::DealArgs),
    /// Buyer or seller: propose to cancel the deal.
    Cancel(actions::DealArgs),
    /// Accept the other party's cancellation.
    AcceptCancel(actions::DealArgs),
    /// Buyer or seller: propose a later ship-by for a milestone.
    Amend(actions::AmendArgs),
    /// Accept the other party's ship-by amendment (default: the one on record).
    AcceptAmendment(actions::OptAmendArgs),
    /// Proposer: withdraw a proposal before acceptance.
    WithdrawProposal(actions::DealArgs),
    /// Show a deal: terms, parties, milestones and their clocks, totals.
    Show(show::ShowArgs),
    /// List deals (all, or --mine).
    List(list::ListArgs),
}

/// Dispatches `escrow deal …`.
pub async fn run_deal(cmd: DealCommand, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    use DealCommand::*;
    match cmd {
        Propose(a) => propose::run(a, ctx, out).await,
        Accept(a) => accept::run(a, ctx, out).await,
        Show(a) => show::run(a, ctx, out).await,
        List(a) => list::run(a, ctx, out).await,
        other => actions::run(other, ctx, out).await,
    }
}

/// Writes a line, mapping I/O errors.
pub fn w(out: &mut impl Write, s: impl AsRef<str>) -> Result<()> {
    writeln!(out, "{}", s.as_ref())
        .map_err(|e| CliError::Rejected(format!("cannot write output: {e}")))
}

/// An event as a JSON object `{event, ...fields}`.
pub fn event_json(e: &EscrowEvent, r: &RenderCtx) -> serde_json::Value {
    let mut v = e.fields_json(r);
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("event".into(), json!(e.name()));
    }
    v
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
    if ctx.g.json {
        let inc = exec.included.as_ref();
        let v = json!({
            "ok": true,
            "message": message,
            "dry_run": inc.is_none(),
            "return": crate::render::to_json(&exec.ret, &r),
            "gas_required": exec.dry.gas_required,
            "storage_deposit": match exec.dry.storage_deposit {
                crate::contract::StorageDeposit::Charge(c) => json!({"charge": c.to_string()}),
                crate::contract::StorageDeposit::Refund(c) => json!({"refund": c.to_string()}),
            },
            "tx_hash": inc.map(|i| format!("{:?}", i.tx_hash)),
            "block": inc.map(|i| i.block_number),
            "block_hash": inc.map(|i| format!("{:?}", i.block_hash)),
            "fee": inc.and_then(|i| i.fee).map(|f| f.to_string()),
            "events": inc.map(|i| i.events.iter().map(|e| event_json(e, &r)).collect::<Vec<_>>()).unwrap_or_default(),
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
                w(out, format!("  {} {}", e.name(), e.fields_human(&r)))?;
            }
            if let Some(fee) = inc.fee {
                w(out, format!("  fee paid: {}", r.token.format(fee)))?;
            }
            Ok(())
        }
    }
}
