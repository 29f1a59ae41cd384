//! The deal messages that take a deal id, a milestone index, and at most one hash, amount
//! or time: fund, submit, approve, approve-through, attest, dispute, offer, accept-offer,
//! resolve, settle, settle-due, cancel, accept-cancel, amend, accept-amendment,
//! withdraw-proposal; and `escrow withdraw`.

use std::{io::Write, path::PathBuf};

use clap::Args;
use escrow_types::{Balance, DealId, Digest, MilestoneView};
use scale::Encode;

use super::{report, DealCommand};
use crate::{
    contract::call_data,
    error::{CliError, Result},
    exec, units, Ctx,
};

/// No arguments.
#[derive(Debug, Args)]
pub struct NoArgs {}

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

/// `deal fund`.
#[derive(Debug, Args)]
pub struct FundArgs {
    /// Deal id.
    pub deal: u64,
    /// Amount, e.g. "1200.5 UNIT" or "1200.5".
    pub amount: String,
}

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

impl HashArgs {
    fn digest(&self, what: &str) -> Result<Digest> {
        match (&self.file, self.hash) {
            (Some(f), _) => units::hash_file(f).map_err(CliError::input),
            (None, Some(h)) => Ok(h),
            (None, None) => Err(CliError::input(format!(
                "give the {what} as --file PATH or --hash 0x…"
            ))),
        }
    }
}

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
pub struct OptAmountArgs {
    /// Deal id.
    pub deal: u64,
    /// Milestone index.
    pub index: u8,
    /// The offer you accept (default: the one on record, shown before submitting).
    pub seller_amount: Option<String>,
}

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
pub struct OptAmendArgs {
    /// Deal id.
    pub deal: u64,
    /// Milestone index.
    pub index: u8,
    /// The ship-by you accept (default: the one on record).
    pub new_ship_by: Option<String>,
}

async fn milestone(ctx: &mut Ctx, deal: DealId, index: u8) -> Result<MilestoneView> {
    let contract = ctx.contract()?;
    let chain = ctx.chain().await?;
    let best = chain.best().await?;
    chain
        .read::<Option<MilestoneView>>(best.0, &contract, call_data("milestone", &(deal, index)))
        .await?
        .ok_or(CliError::Contract(escrow_types::Error::MilestoneNotFound))
}

/// Parses the seller's share: an amount, or a percentage of the milestone ("60%").
async fn seller_share(ctx: &mut Ctx, deal: DealId, index: u8, s: &str) -> Result<Balance> {
    if s.trim().ends_with('%') {
        let bps =
            units::parse_percent(s).map_err(|e| CliError::input(format!("seller share: {e}")))?;
        let m = milestone(ctx, deal, index).await?;
        return escrow_types::bps_of(m.milestone.amount, bps)
            .ok_or_else(|| CliError::input("bad percentage"));
    }
    let token = ctx.chain().await?.token.clone();
    token
        .parse(s)
        .map_err(|e| CliError::input(format!("seller share: {e}")))
}

async fn now_ms(ctx: &mut Ctx) -> Result<u64> {
    let chain = ctx.chain().await?;
    let best = chain.best().await?;
    Ok(units::from_now_base(chain.timestamp(best.0).await?))
}

async fn simple<R>(
    ctx: &mut Ctx,
    out: &mut impl Write,
    msg: &str,
    args: impl Encode,
    value: Balance,
    summary: String,
) -> Result<()>
where
    R: scale::Decode + scale::Encode + scale_info::TypeInfo + 'static,
{
    let e = exec::<R>(ctx, msg, call_data(msg, &args), value).await?;
    report(ctx, out, msg, &e, &summary)
}

/// Runs one of the simple deal messages.
pub async fn run(cmd: DealCommand, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    use DealCommand::*;
    match cmd {
        Fund(a) => {
            let token = ctx.chain().await?.token.clone();
            let amount = token
                .parse(&a.amount)
                .map_err(|e| CliError::input(format!("amount: {e}")))?;
            if amount == 0 {
                return Err(CliError::input("amount: must be more than zero"));
            }
            let s = format!("deal {} funded with {}", a.deal, token.format(amount));
            simple::<()>(ctx, out, "fund", (DealId(a.deal),), amount, s).await
        }
        Submit(a) => {
            let h = HashArgs {
                file: a.evidence_file,
                hash: a.evidence_hash,
            }
            .digest("evidence")?;
            let s = format!(
                "deal {} milestone {} submitted (evidence {})",
                a.deal,
                a.index,
                units::hex0x(&h)
            );
            simple::<()>(ctx, out, "submit", (DealId(a.deal), a.index, h), 0, s).await
        }
        Approve(a) => {
            let s = format!("deal {} milestone {} approved", a.deal, a.index);
            simple::<()>(ctx, out, "approve", (DealId(a.deal), a.index), 0, s).await
        }
        ApproveThrough(a) => {
            let s = format!("deal {} milestones 0..={} approved", a.deal, a.index);
            simple::<u8>(ctx, out, "approve_through", (DealId(a.deal), a.index), 0, s).await
        }
        Attest(a) => {
            let s = format!("deal {} milestone {} attested", a.deal, a.index);
            simple::<()>(ctx, out, "attest", (DealId(a.deal), a.index), 0, s).await
        }
        Dispute(a) => {
            let h = a.reason.digest("complaint")?;
            let s = format!("deal {} milestone {} disputed", a.deal, a.index);
            simple::<()>(ctx, out, "dispute", (DealId(a.deal), a.index, h), 0, s).await
        }
        Offer(a) => {
            let v = seller_share(ctx, DealId(a.deal), a.index, &a.seller_amount).await?;
            let s = format!(
                "offered {} to the seller for deal {} milestone {}",
                ctx.render().token.format(v),
                a.deal,
                a.index
            );
            simple::<()>(
                ctx,
                out,
                "offer_settlement",
                (DealId(a.deal), a.index, v),
                0,
                s,
            )
            .await
        }
        AcceptOffer(a) => {
            let v = match a.seller_amount {
                Some(s) => seller_share(ctx, DealId(a.deal), a.index, &s).await?,
                None => {
                    let m = milestone(ctx, DealId(a.deal), a.index).await?;
                    m.milestone
                        .dispute
                        .and_then(|d| d.offer)
                        .map(|o| o.seller_amount)
                        .ok_or(CliError::Contract(escrow_types::Error::NoOffer))?
                }
            };
            let s = format!(
                "accepted the offer of {} to the seller for deal {} milestone {}",
                ctx.render().token.format(v),
                a.deal,
                a.index
            );
            simple::<()>(
                ctx,
                out,
                "accept_settlement",
                (DealId(a.deal), a.index, v),
                0,
                s,
            )
            .await
        }
        Resolve(a) => {
            let v = seller_share(ctx, DealId(a.deal), a.index, &a.seller_amount).await?;
            let s = format!(
                "resolved deal {} milestone {}: {} to the seller",
                a.deal,
                a.index,
                ctx.render().token.format(v)
            );
            simple::<()>(
                ctx,
                out,
                "resolve_dispute",
                (DealId(a.deal), a.index, v),
                0,
                s,
            )
            .await
        }
        Settle(a) => {
            let s = format!("deal {} milestone {} settled", a.deal, a.index);
            simple::<()>(
                ctx,
                out,
                "settle_milestone",
                (DealId(a.deal), a.index),
                0,
                s,
            )
            .await
        }
        SettleDue(a) => {
            let s = format!("deal {}: due milestones settled", a.deal);
            simple::<u8>(ctx, out, "settle_due", (DealId(a.deal),), 0, s).await
        }
        Close(a) => {
            let s = format!("deal {}: closure recorded (DealClosed)", a.deal);
            simple::<()>(ctx, out, "close_deal", (DealId(a.deal),), 0, s).await
        }
        Cancel(a) => {
            let s = format!("cancellation of deal {} proposed", a.deal);
            simple::<()>(ctx, out, "propose_cancel", (DealId(a.deal),), 0, s).await
        }
        AcceptCancel(a) => {
            let s = format!("deal {} cancelled", a.deal);
            simple::<()>(ctx, out, "accept_cancel", (DealId(a.deal),), 0, s).await
        }
        Amend(a) => {
            let now = now_ms(ctx).await?;
            let t = units::parse_time(&a.new_ship_by, now)
                .map_err(|e| CliError::input(format!("new ship-by: {e}")))?;
            let s = format!(
                "proposed ship-by {} for deal {} milestone {}",
                units::format_time(t),
                a.deal,
                a.index
            );
            simple::<()>(
                ctx,
                out,
                "propose_amendment",
                (DealId(a.deal), a.index, t),
                0,
                s,
            )
            .await
        }
        AcceptAmendment(a) => {
            let t = match a.new_ship_by {
                Some(s) => {
                    let now = now_ms(ctx).await?;
                    units::parse_time(&s, now)
                        .map_err(|e| CliError::input(format!("new ship-by: {e}")))?
                }
                None => {
                    let m = milestone(ctx, DealId(a.deal), a.index).await?;
                    m.milestone
                        .amendment
                        .map(|am| am.new_ship_by)
                        .ok_or(CliError::Contract(escrow_types::Error::NoAmendmentPending))?
                }
            };
            let s = format!(
                "accepted ship-by {} for deal {} milestone {}",
                units::format_time(t),
                a.deal,
                a.index
            );
            simple::<()>(
                ctx,
                out,
                "accept_amendment",
                (DealId(a.deal), a.index, t),
                0,
                s,
            )
            .await
        }
        WithdrawProposal(a) => {
            let s = format!("proposal {} withdrawn", a.deal);
            simple::<()>(ctx, out, "withdraw_proposal", (DealId(a.deal),), 0, s).await
        }
        Propose(_) | Accept(_) | Show(_) | List(_) => unreachable!("dispatched in run_deal"),
    }
}

/// `escrow withdraw`.
pub async fn withdraw(ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let e = exec::<Balance>(ctx, "withdraw", call_data("withdraw", &()), 0).await?;
    let s = format!("withdrew {}", ctx.render().token.format(e.ret));
    report(ctx, out, "withdraw", &e, &s)
}
