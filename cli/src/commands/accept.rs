//! `escrow deal accept`: re-derives the proposed terms from storage, hashes them locally
//! (BLAKE2b-256 of the SCALE-encoded `DealTerms`) and through the contract's `terms_hash`
//! read, refuses unless both equal the hash on record, and accepts naming that hash — so
//! the terms cannot be switched under the acceptor.

use std::io::Write;

use clap::Args;
use escrow_types::{DealId, DealView, Digest, MilestoneView};

use super::report;
use crate::{
    contract::{call_data, terms_hash, terms_of},
    error::{CliError, Result},
    exec, ss58, units, Ctx,
};

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

/// Reads a deal and all its milestones.
pub async fn load(ctx: &mut Ctx, deal: DealId) -> Result<(DealView, Vec<MilestoneView>)> {
    let contract = ctx.contract()?;
    let chain = ctx.chain().await?;
    let best = chain.best().await?;
    let view = chain
        .read::<Option<DealView>>(best.0, &contract, call_data("deal", &(deal,)))
        .await?
        .ok_or(CliError::Contract(escrow_types::Error::DealNotFound))?;
    let mut ms = Vec::new();
    for i in 0..view.deal.milestone_count {
        let m = chain
            .read::<Option<MilestoneView>>(best.0, &contract, call_data("milestone", &(deal, i)))
            .await?
            .ok_or(CliError::Contract(escrow_types::Error::MilestoneNotFound))?;
        ms.push(m);
    }
    Ok((view, ms))
}

/// Runs `deal accept`.
pub async fn run(a: AcceptArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let id = DealId(a.deal);
    let token = ctx.chain().await?.token.clone();
    let parse_fund = |s: &str, total: Option<u128>| -> Result<u128> {
        match (s, total) {
            ("all", Some(t)) => Ok(t),
            ("all", None) => Err(CliError::input(
                "--fund all needs the deal's total: drop --terms-hash or give an amount",
            )),
            (s, _) => token
                .parse(s)
                .map_err(|e| CliError::input(format!("--fund: {e}"))),
        }
    };
    let (local, value) = if let Some(expected) = a.terms_hash {
        let value = a
            .fund
            .as_deref()
            .map(|s| parse_fund(s, None))
            .transpose()?
            .unwrap_or(0);
        (expected, value)
    } else {
        let (view, ms) = load(ctx, id).await?;
        let terms = terms_of(&view.deal, &ms);
        let local = terms_hash(&terms);
        let contract = ctx.contract()?;
        let chain = ctx.chain().await?;
        let best = chain.best().await?;
        let remote: Digest = chain
            .read(
                best.0,
                &contract,
                call_data("terms_hash", &(terms.clone(),)),
            )
            .await?;
        if local != remote || local != view.deal.terms_hash {
            return Err(CliError::Rejected(format!(
                "terms hash mismatch: local {}, contract {}, on record {}; do not accept",
                units::hex0x(&local),
                units::hex0x(&remote),
                units::hex0x(&view.deal.terms_hash)
            )));
        }
        let value = a
            .fund
            .as_deref()
            .map(|s| parse_fund(s, Some(view.deal.total)))
            .transpose()?
            .unwrap_or(0);
        if !ctx.g.quiet && !ctx.g.json {
            eprintln!(
                "accepting deal {}: buyer {}, seller {}, {} milestone(s), total {}, terms hash {}",
                a.deal,
                ss58(&terms.buyer),
                ss58(&terms.seller),
                terms.milestones.len(),
                token.format(view.deal.total),
                units::hex0x(&local)
            );
        }
        (local, value)
    };
    let e = exec::<()>(ctx, "accept", call_data("accept", &(id, local)), value).await?;
    let mut summary = format!(
        "deal {} accepted (terms hash {})",
        a.deal,
        units::hex0x(&local)
    );
    if value > 0 {
        summary.push_str(&format!(", funded with {}", token.format(value)));
    }
    report(ctx, out, "accept", &e, &summary)
}
