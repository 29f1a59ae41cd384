//! `escrow deal propose`: builds `DealTerms` from humane inputs and proposes them.

use std::{io::Write, path::PathBuf};

use clap::{Args, ValueEnum};
use escrow_client::{
    accounts::ink_account,
    contract::{terms_hash, EscrowEvent},
    messages,
    units::{self, Token},
    ClientError, Result,
};
use escrow_types::{Balance, DealTerms, Digest, MilestoneTerms, ReleaseRule};
use subxt::utils::AccountId32;

use super::{report, w};
use crate::{exec, Ctx};

/// Who may release milestones.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Rule {
    /// Only the buyer's approval.
    Buyer,
    /// Only an oracle quorum.
    Oracles,
    /// Either.
    Either,
}

/// `escrow deal propose`.
#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// The importer (default: the signer, if --seller is given).
    #[arg(long)]
    pub buyer: Option<String>,
    /// The exporter (default: the signer, if --buyer is given).
    #[arg(long)]
    pub seller: Option<String>,
    /// An attesting oracle (repeat for up to 5).
    #[arg(long = "oracle")]
    pub oracles: Vec<String>,
    /// Oracle attestations needed (default: 1 with oracles).
    #[arg(long)]
    pub threshold: Option<u8>,
    /// The dispute arbiter.
    #[arg(long)]
    pub arbiter: Option<String>,
    /// Who may release (default: buyer, or either with oracles).
    #[arg(long, value_enum)]
    pub rule: Option<Rule>,
    /// Buyer's review window after each submission.
    #[arg(long, default_value = "7d", value_parser = units::parse_duration)]
    pub review: u64,
    /// Arbitration window after a dispute, before the fallback split applies.
    #[arg(long, default_value = "14d", value_parser = units::parse_duration)]
    pub arbitration: u64,
    /// Seller's share of a disputed milestone if nobody rules in time (percent).
    #[arg(long, default_value = "50%", value_parser = units::parse_percent)]
    pub fallback: u16,
    /// Milestone 0 is an advance: paid as soon as the deal is accepted and it is funded.
    #[arg(long)]
    pub advance: bool,
    /// The agreement document (purchase order), hashed with BLAKE2b-256.
    #[arg(long = "terms-file", conflicts_with = "agreement_hash")]
    pub terms_file: Option<PathBuf>,
    /// Or the agreement hash, 0x-hex.
    #[arg(long = "agreement-hash", value_parser = units::parse_hash)]
    pub agreement_hash: Option<Digest>,
    /// A milestone: "AMOUNT" or "AMOUNT@SHIP_BY" (RFC 3339 or +duration). Repeat, in order.
    #[arg(long = "milestone", conflicts_with_all = ["total", "split"])]
    pub milestones: Vec<String>,
    /// Deal total, split with --split.
    #[arg(long, requires = "split")]
    pub total: Option<String>,
    /// Percentages of --total per milestone, adding up to 100 (e.g. 30,40,30).
    #[arg(long, requires = "total")]
    pub split: Option<String>,
    /// Ship-by per milestone with --split, comma-separated ("-" for none).
    #[arg(long = "ship-by")]
    pub ship_by: Option<String>,
    /// A milestone's own terms document (spec, delivery note template…), hashed with
    /// BLAKE2b-256 into that milestone's terms hash. Repeat once per milestone, in order.
    #[arg(long = "milestone-terms-file", conflicts_with = "milestone_terms")]
    pub milestone_terms_files: Vec<PathBuf>,
    /// Or the milestones' terms hashes, comma-separated 0x-hex, one per milestone in order
    /// ("-" for none).
    #[arg(long = "milestone-terms")]
    pub milestone_terms: Option<String>,
}

/// The per-milestone terms hashes (all zero when none are given), checked against the
/// number of milestones `n`.
pub fn milestone_terms_hashes(a: &ProposeArgs, n: usize) -> Result<Vec<Digest>> {
    let hashes: Vec<Digest> = if !a.milestone_terms_files.is_empty() {
        a.milestone_terms_files
            .iter()
            .map(|f| {
                units::hash_file(f)
                    .map_err(|e| ClientError::input(format!("--milestone-terms-file: {e}")))
            })
            .collect::<Result<_>>()?
    } else if let Some(list) = &a.milestone_terms {
        list.split(',')
            .map(|h| match h.trim() {
                "-" => Ok([0u8; 32]),
                h => units::parse_hash(h)
                    .map_err(|e| ClientError::input(format!("--milestone-terms: {e}"))),
            })
            .collect::<Result<_>>()?
    } else {
        return Ok(vec![[0u8; 32]; n]);
    };
    if hashes.len() != n {
        return Err(ClientError::input(format!(
            "{} milestone terms hash(es) for {n} milestone(s): give one per milestone, in order",
            hashes.len()
        )));
    }
    Ok(hashes)
}

/// How many milestones the arguments describe (before amounts are parsed).
fn milestone_count(a: &ProposeArgs) -> usize {
    match &a.split {
        Some(split) => split.split(',').count(),
        None => a.milestones.len(),
    }
}

/// The deal's parties as accounts: buyer, seller (one of them defaults to the signer),
/// oracles and arbiter.
struct Parties {
    buyer: AccountId32,
    seller: AccountId32,
    oracles: Vec<AccountId32>,
    arbiter: Option<AccountId32>,
}

fn parties(a: &ProposeArgs, ctx: &Ctx) -> Result<Parties> {
    let me = ctx.signer_address()?;
    let (buyer, seller) = match (&a.buyer, &a.seller) {
        (Some(b), Some(s)) => (ctx.resolve_account(b)?, ctx.resolve_account(s)?),
        (Some(b), None) => (ctx.resolve_account(b)?, me),
        (None, Some(s)) => (me, ctx.resolve_account(s)?),
        (None, None) => {
            return Err(ClientError::input(
                "give --buyer or --seller (the other defaults to you)",
            ))
        }
    };
    let oracles = a
        .oracles
        .iter()
        .map(|o| ctx.resolve_account(o))
        .collect::<Result<Vec<_>>>()?;
    let arbiter = a
        .arbiter
        .as_deref()
        .map(|s| ctx.resolve_account(s))
        .transpose()?;
    Ok(Parties {
        buyer,
        seller,
        oracles,
        arbiter,
    })
}

/// `--rule`, defaulting to the buyer alone, or either with oracles.
fn release_rule(rule: Option<Rule>, has_oracles: bool) -> ReleaseRule {
    match rule {
        Some(Rule::Buyer) => ReleaseRule::Buyer,
        Some(Rule::Oracles) => ReleaseRule::Oracles,
        Some(Rule::Either) => ReleaseRule::BuyerOrOracles,
        None if has_oracles => ReleaseRule::BuyerOrOracles,
        None => ReleaseRule::Buyer,
    }
}

/// `--total X --split 30,40,30 [--ship-by a,-,c]`.
fn milestones_from_split(
    total: &str,
    split: &str,
    ship_by: Option<&str>,
    token: &Token,
    now: u64,
) -> Result<Vec<MilestoneTerms>> {
    let total = token
        .parse(total)
        .map_err(|e| ClientError::input(format!("--total: {e}")))?;
    let amounts = units::split_total(total, split).map_err(ClientError::input)?;
    let ship: Vec<Option<u64>> = match ship_by {
        None => vec![None; amounts.len()],
        Some(list) => {
            let items: Vec<&str> = list.split(',').collect();
            if items.len() != amounts.len() {
                return Err(ClientError::input(format!(
                    "--ship-by has {} entries for {} milestones",
                    items.len(),
                    amounts.len()
                )));
            }
            items
                .iter()
                .map(|s| match s.trim() {
                    "-" | "" => Ok(None),
                    t => units::parse_time(t, now)
                        .map(Some)
                        .map_err(|e| ClientError::input(format!("--ship-by: {e}"))),
                })
                .collect::<Result<_>>()?
        }
    };
    Ok(amounts
        .into_iter()
        .zip(ship)
        .map(|(amount, ship_by)| MilestoneTerms {
            amount,
            terms_hash: [0; 32],
            ship_by,
        })
        .collect())
}

/// `--milestone AMOUNT[@SHIP_BY]`, repeated.
fn milestones_from_list(list: &[String], token: &Token, now: u64) -> Result<Vec<MilestoneTerms>> {
    let mut milestones = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let (amount, ship) = match m.split_once('@') {
            Some((x, t)) => (x, Some(t)),
            None => (m.as_str(), None),
        };
        let amount = token
            .parse(amount)
            .map_err(|e| ClientError::input(format!("--milestone {i}: {e}")))?;
        if amount == 0 {
            return Err(ClientError::input(format!(
                "--milestone {i}: amount must be more than zero"
            )));
        }
        let ship_by = ship
            .map(|t| units::parse_time(t, now))
            .transpose()
            .map_err(|e| ClientError::input(format!("--milestone {i}: {e}")))?;
        milestones.push(MilestoneTerms {
            amount,
            terms_hash: [0; 32],
            ship_by,
        });
    }
    Ok(milestones)
}

/// The milestones, from `--total/--split` or `--milestone`, with their terms hashes.
fn milestones(
    a: &ProposeArgs,
    terms_hashes: Vec<Digest>,
    token: &Token,
    now: u64,
) -> Result<Vec<MilestoneTerms>> {
    let mut milestones = match (&a.total, &a.split) {
        (Some(total), Some(split)) => {
            milestones_from_split(total, split, a.ship_by.as_deref(), token, now)?
        }
        _ if a.ship_by.is_some() => {
            return Err(ClientError::input(
                "--ship-by goes with --split; with --milestone write AMOUNT@SHIP_BY",
            ))
        }
        _ => milestones_from_list(&a.milestones, token, now)?,
    };
    if milestones.is_empty() {
        return Err(ClientError::input(
            "give milestones: --milestone AMOUNT[@SHIP_BY] (repeat) or --total X --split 30,40,30",
        ));
    }
    for (m, h) in milestones.iter_mut().zip(terms_hashes) {
        m.terms_hash = h;
    }
    Ok(milestones)
}

/// The sum of the milestones, refused if it does not fit a balance.
fn deal_total(terms: &DealTerms) -> Result<Balance> {
    terms
        .milestones
        .iter()
        .try_fold(0u128, |sum, m| sum.checked_add(m.amount))
        .ok_or_else(|| {
            ClientError::input(
                "the milestone amounts add up to more than 2^128-1 planck: too large for a deal",
            )
        })
}

/// Runs `deal propose`: parties and rules, then (once connected, for the token's decimals
/// and the chain's clock) the milestones; proposes the terms.
pub async fn run(a: ProposeArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let p = parties(&a, ctx)?;
    let agreement_hash = match (&a.terms_file, a.agreement_hash) {
        (Some(f), _) => units::hash_file(f).map_err(ClientError::input)?,
        (None, Some(h)) => h,
        (None, None) => [0u8; 32],
    };
    let rule = release_rule(a.rule, !p.oracles.is_empty());
    let threshold = a
        .threshold
        .unwrap_or(if p.oracles.is_empty() { 0 } else { 1 });
    // Check the split's percentages before connecting (amounts need the chain's decimals).
    if let Some(split) = &a.split {
        units::split_total(1_000_000_000, split).map_err(ClientError::input)?;
    }
    let milestone_terms = milestone_terms_hashes(&a, milestone_count(&a))?;

    let chain = ctx.chain().await?;
    let token = chain.token.clone();
    let (best, _) = chain.best().await?;
    let now = units::from_now_base(chain.timestamp(best).await?);
    let terms = DealTerms {
        buyer: ink_account(&p.buyer),
        seller: ink_account(&p.seller),
        oracles: p.oracles.iter().map(ink_account).collect(),
        oracle_threshold: threshold,
        arbiter: p.arbiter.as_ref().map(ink_account),
        release_rule: rule,
        review_window: a.review,
        arbitration_window: a.arbitration,
        fallback_seller_bps: a.fallback,
        advance: a.advance,
        agreement_hash,
        milestones: milestones(&a, milestone_terms, &token, now)?,
    };
    let summary = format!(
        "deal proposed: {} milestone(s), total {}, terms hash {}",
        terms.milestones.len(),
        token.format(deal_total(&terms)?),
        units::hex0x(&terms_hash(&terms))
    );
    let mut e = exec(ctx, messages::propose(terms)).await?;
    // The dry-run predicted the next id; another proposal may have landed first (another
    // process, another user). The DealProposed event says which id this deal got.
    if let Some(id) = e.included.as_ref().and_then(|inc| {
        inc.events.iter().find_map(|ev| match ev {
            EscrowEvent::DealProposed(p) => Some(p.deal_id),
            _ => None,
        })
    }) {
        e.ret = id;
    }
    if !ctx.global.json {
        w(out, format!("deal id: {}", e.ret.0))?;
    }
    report(ctx, out, "propose", &e, &summary)
}
