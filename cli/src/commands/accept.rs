//! `escrow deal accept`: shows every term of the proposal, then accepts exactly those
//! terms, naming their hash, so the acceptance binds to what was shown.
//!
//! The contract accepts only the terms hash it holds (`TermsHashMismatch` otherwise). So
//! the hash the CLI passes must come from the acceptor, never be read back from the chain
//! and passed on unseen — that would accept whatever the chain holds. Two ways to name it:
//!
//! - `--terms-hash H`: the hash the acceptor reviewed (from `deal show`, from the proposer,
//!   from an earlier `deal accept --dry-run`). The terms are still read and printed; the
//!   contract refuses unless they hash to `H`.
//! - on a terminal, without `--terms-hash`: the terms are read, hashed here (and checked
//!   against the contract's own hashing and the hash on record), printed, and the
//!   acceptor confirms them at the prompt; the hash of the terms printed is accepted.
//!
//! Without a terminal to confirm at (a script, a pipe; or `--yes`, which skips the
//! question) and without `--terms-hash`, nobody reviewed anything: the command refuses
//! with exit 2 before reading or signing anything. `--dry-run` needs no hash (nothing is
//! signed) and prints the one to pass.

use std::io::{IsTerminal, Write};

use clap::Args;
use escrow_client::{
    accounts::chain_account,
    contract::{terms_hash, terms_of},
    messages,
    units::{self, Token},
    ClientError, Result,
};
use escrow_types::{Balance, Deal, DealId, DealTerms, Digest};

use super::{call, deposit};
use crate::{render, Ctx};

/// `deal accept --help`: how the acceptance is bound to the terms.
pub const ACCEPT_HELP: &str = "\
Every term is printed before anything is signed: parties, funder, oracles and threshold,
release rule, arbiter, fallback split, advance, windows, the funding deadline, every
milestone's amount and ship-by, the agreement hash and this instance's fee, and the asset the
deal is paid in (amounts in its units).

The acceptance names the terms hash, and the contract refuses any other terms
(TermsHashMismatch). Name the hash you reviewed with --terms-hash (see `escrow deal show
ID`). Without it the command must run on a terminal, where you confirm the printed terms
at the prompt; in a script (stdin not a terminal), or with --yes, it refuses (exit 2) and
signs nothing. --dry-run needs no hash: it prints the terms and their hash.

--fund on a token deal: the token balance and the escrow's allowance are checked before
anything is signed. A short allowance is approved for exactly the amount deposited (the
token's approve, one more transaction), then the deal is accepted and the deposit pulled
(fund_tokens). With --no-approve a short allowance is refused instead, naming the token, the
spender (the escrow), the amount needed and the current allowance; nothing is signed.";

/// `escrow deal accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// Deal id.
    pub deal: u64,
    /// Buyer: deposit this much with the acceptance ("all" for the deal's total), in the
    /// deal's asset. For a token deal: the token balance and the escrow's allowance are
    /// checked first; a short allowance is approved for exactly this amount (one more
    /// transaction before the acceptance), then the deposit is `fund_tokens`.
    #[arg(long)]
    pub fund: Option<String>,
    /// With --fund on a token deal: never approve; if the escrow's allowance is short, say
    /// which approval is missing and sign nothing.
    #[arg(long = "no-approve")]
    pub no_approve: bool,
    /// Accept exactly the terms with this hash, as you reviewed them (`escrow deal show
    /// ID`). The contract refuses any other terms (TermsHashMismatch). Required unless you
    /// confirm the printed terms at a terminal prompt.
    #[arg(long = "terms-hash", value_parser = units::parse_hash)]
    pub terms_hash: Option<Digest>,
}

/// How the hash to accept is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// The acceptor named it (`--terms-hash`).
    Named(Digest),
    /// The acceptor confirms the printed terms at the prompt; their hash is accepted.
    Prompt,
    /// A dry-run: nothing is signed, so nothing needs binding.
    DryRun,
}

/// Decides how the acceptance is bound, before anything is read: a named hash, a dry-run,
/// or a terminal prompt; else bad input (exit 2), saying what to pass.
pub fn binding(
    named: Option<Digest>,
    dry_run: bool,
    yes: bool,
    stdin_is_terminal: bool,
    deal: u64,
) -> Result<Binding> {
    if let Some(h) = named {
        return Ok(Binding::Named(h));
    }
    if dry_run {
        return Ok(Binding::DryRun);
    }
    let why = match (stdin_is_terminal, yes) {
        (true, false) => return Ok(Binding::Prompt),
        (false, _) => "stdin is not a terminal, so nobody confirms the terms",
        (true, true) => "--yes skips the confirmation of the terms",
    };
    Err(ClientError::input(format!(
        "deal accept without --terms-hash: {why}. Accepting must name the terms hash you \
         reviewed: read the terms with `escrow deal show {deal}` (or `escrow deal accept \
         {deal} --dry-run`) and pass --terms-hash 0x…; nothing was read or submitted"
    )))
}

/// `--fund`: an amount in the deal's asset (`units`), or "all" (the deal's total).
fn fund_value(units: &Token, fund: Option<&str>, total: Balance) -> Result<Balance> {
    match fund {
        None => Ok(0),
        Some("all") => Ok(total),
        Some(s) => units
            .parse(s)
            .map_err(|e| ClientError::input(format!("--fund: {e}"))),
    }
}

/// The proposal's terms as stored, rebuilt and hashed here; refused unless they hash the
/// same here, through the contract's `terms_hash` read and as recorded. Prints every term
/// (with the instance's fee) on stderr. Returns the terms, their hash and the deal.
async fn read_and_show(ctx: &mut Ctx, id: DealId) -> Result<(DealTerms, Digest, Deal)> {
    let escrow = ctx.escrow().await?;
    let reads = escrow.reads_at_best().await?;
    let (view, ms) = reads.deal_with_milestones(id).await?;
    let fee = reads.config().await?;
    // For "in 6d 23h": this machine's clock, unless the chain's is ahead.
    let now = units::from_now_base(reads.now().await?);
    // The asset's token is loaded (and refused, naming it, if unusable) before the terms
    // are shown in its units.
    ctx.asset_units(&view.deal.asset).await?;
    ctx.learn_deal_asset(id, view.deal.asset).await;
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
    // On stderr, whatever --quiet says: this is what the acceptor signs up to.
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "deal {} ({:?}, proposed by the {:?}), terms hash {}:",
        id.0,
        view.deal.status,
        view.deal.proposer,
        units::hex0x(&local)
    );
    let conditions = super::show::summaries(&super::show::known_conditions(ctx, None)?);
    for line in render::terms_lines(&terms, Some(&fee), now, &ctx.render(), &[], &conditions) {
        let _ = writeln!(err, "{line}");
    }
    Ok((terms, local, view.deal))
}

/// Runs `deal accept`.
pub async fn run(a: AcceptArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let id = DealId(a.deal);
    let bind = binding(
        a.terms_hash,
        ctx.global.dry_run,
        ctx.global.yes,
        std::io::stdin().is_terminal(),
        a.deal,
    )?;
    let (_, shown, deal) = read_and_show(ctx, id).await?;
    let hash = match bind {
        Binding::Named(h) => {
            if h != shown {
                // The contract's dry-run refuses it (TermsHashMismatch); say why first.
                eprintln!(
                    "the terms above hash to {}, not to the --terms-hash {} you named",
                    units::hex0x(&shown),
                    units::hex0x(&h)
                );
            }
            h
        }
        Binding::Prompt | Binding::DryRun => shown,
    };
    if bind == Binding::DryRun && a.terms_hash.is_none() {
        eprintln!(
            "to accept these terms in a script: escrow deal accept {} --terms-hash {}",
            a.deal,
            units::hex0x(&shown)
        );
    }
    let asset_units = ctx.asset_units(&deal.asset).await?;
    let value = fund_value(&asset_units, a.fund.as_deref(), deal.total)?;
    let mut summary = format!(
        "deal {} accepted (terms hash {})",
        a.deal,
        units::hex0x(&hash)
    );
    if let Some(t) = deal.asset.token() {
        // A token deal is accepted without value; the deposit is `fund_tokens`.
        if value == 0 {
            return call(ctx, out, messages::accept(id, hash, 0), &summary).await;
        }
        let (_, info) = ctx.token(&chain_account(&t)).await?;
        return deposit::deposit_tokens(
            ctx,
            out,
            id,
            &deal,
            &info,
            value,
            a.no_approve,
            Some((hash, summary)),
        )
        .await;
    }
    if value > 0 {
        summary.push_str(&format!(", funded with {}", asset_units.format(value)));
    }
    call(ctx, out, messages::accept(id, hash, value), &summary).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Digest = [7; 32];

    #[test]
    fn a_named_hash_binds_in_scripts_and_on_terminals() {
        for (dry, yes, tty) in [
            (false, false, false),
            (false, true, true),
            (true, false, false),
        ] {
            assert_eq!(
                binding(Some(H), dry, yes, tty, 3).unwrap(),
                Binding::Named(H)
            );
        }
    }

    #[test]
    fn without_a_hash_only_a_terminal_prompt_or_a_dry_run_may_go_on() {
        assert_eq!(
            binding(None, false, false, true, 3).unwrap(),
            Binding::Prompt
        );
        assert_eq!(
            binding(None, true, false, false, 3).unwrap(),
            Binding::DryRun
        );
        let script = binding(None, false, false, false, 3).unwrap_err();
        assert_eq!(script.exit_code(), 2);
        let msg = script.to_string();
        assert!(msg.contains("stdin is not a terminal"), "{msg}");
        assert!(msg.contains("--terms-hash"), "{msg}");
        assert!(msg.contains("escrow deal show 3"), "{msg}");
        let yes = binding(None, false, true, true, 3).unwrap_err();
        assert_eq!(yes.exit_code(), 2);
        assert!(yes.to_string().contains("--yes skips"), "{yes}");
    }
}
