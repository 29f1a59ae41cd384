//! `escrow deal accept`: re-derives the proposed terms from storage, hashes them locally
//! (BLAKE2b-256 of the SCALE-encoded `DealTerms`) and through the contract's `terms_hash`
//! read, refuses unless both equal the hash on record, and accepts naming that hash — so
//! the terms cannot be switched under the acceptor.

use std::io::Write;

use clap::Args;
use escrow_client::{
    accounts::ss58,
    contract::{terms_hash, terms_of},
    messages, units, ClientError, Result,
};
use escrow_types::{Balance, DealId, Digest};

use super::call;
use crate::Ctx;

/// `escrow deal accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// Deal id.
    pub deal: u64,
    /// Buyer: deposit this much with the acceptance ("all" for the deal's total).
    #[arg(long)]
    pub fund: Option<String>,
    /// Accept exactly the terms with this hash (as reviewed, e.g. from `deal show` or the
    /// proposer). The contract refuses any other terms (TermsHashMismatch), so the terms
    /// are not re-read; without it, the CLI re-derives and double-checks the hash first.
    #[arg(long = "terms-hash", value_parser = units::parse_hash)]
    pub terms_hash: Option<Digest>,
}

/// `--fund`: an amount, or "all" (the deal's `total`, when the terms were read).
fn fund_value(ctx: &Ctx, fund: Option<&str>, total: Option<Balance>) -> Result<Balance> {
    let token = ctx.render().token;
    match (fund, total) {
        (None, _) => Ok(0),
        (Some("all"), Some(t)) => Ok(t),
        (Some("all"), None) => Err(ClientError::input(
            "--fund all needs the deal's total: drop --terms-hash or give an amount",
        )),
        (Some(s), _) => token
            .parse(s)
            .map_err(|e| ClientError::input(format!("--fund: {e}"))),
    }
}

/// Reads the deal, checks that the terms on record hash the same locally, through the
/// contract and as recorded; returns that hash and the deal's total.
async fn reviewed_terms_hash(ctx: &mut Ctx, id: DealId) -> Result<(Digest, Balance)> {
    let escrow = ctx.escrow().await?;
    let reads = escrow.reads_at_best().await?;
    let (view, ms) = reads.deal_with_milestones(id).await?;
    let terms = terms_of(&view.deal, &ms);
    let local = terms_hash(&terms);
    let remote = reads.terms_hash(&terms).await?;
    if local != remote || local != view.deal.terms_hash {
        return Err(ClientError::Rejected(format!(
            "terms hash mismatch: local {}, contract {}, on record {}; do not accept",
            units::hex0x(&local),
            units::hex0x(&remote),
            units::hex0x(&view.deal.terms_hash)
        )));
    }
    if !ctx.global.quiet && !ctx.global.json {
        eprintln!(
            "accepting deal {}: buyer {}, seller {}, {} milestone(s), total {}, terms hash {}",
            id.0,
            ss58(&terms.buyer),
            ss58(&terms.seller),
            terms.milestones.len(),
            escrow.chain().token.format(view.deal.total),
            units::hex0x(&local)
        );
    }
    Ok((local, view.deal.total))
}

/// Runs `deal accept`.
pub async fn run(a: AcceptArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let id = DealId(a.deal);
    ctx.chain().await?;
    let (hash, value) = match a.terms_hash {
        Some(expected) => (expected, fund_value(ctx, a.fund.as_deref(), None)?),
        None => {
            let (hash, total) = reviewed_terms_hash(ctx, id).await?;
            (hash, fund_value(ctx, a.fund.as_deref(), Some(total))?)
        }
    };
    let mut summary = format!(
        "deal {} accepted (terms hash {})",
        a.deal,
        units::hex0x(&hash)
    );
    if value > 0 {
        summary.push_str(&format!(
            ", funded with {}",
            ctx.render().token.format(value)
        ));
    }
    call(ctx, out, messages::accept(id, hash, value), &summary).await
}
