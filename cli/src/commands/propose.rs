//! `escrow deal propose`: builds `DealTerms` from humane inputs, shows every term (the
//! deadlines it derived included) and proposes them.
//!
//! Every milestone has a ship-by (its refund clock) and every deal a funding deadline: the
//! contract refuses terms without them. A proposer who names none gets the defaults of
//! [`DEADLINES_HELP`], printed before anything is signed.

use std::{io::Write, path::PathBuf};

use clap::{Args, ValueEnum};
use escrow_client::{
    accounts::ink_account,
    contract::{terms_hash, EscrowEvent},
    messages,
    oracle::{condition::Document, store},
    units::{self, Token},
    ClientError, Result,
};
use escrow_types::{Balance, DealTerms, Digest, MilestoneTerms, ReleaseRule, Timestamp};
use subxt::utils::AccountId32;

use super::{report, w};
use crate::{exec, render, Ctx};

/// `deal propose --help`: the deadlines and their defaults.
pub const DEADLINES_HELP: &str = "\
Deadlines (every deal has them; the contract refuses terms without them):
  --fund-by       the funding deadline (default +7d: seven days from now). No deposit and no
                  acceptance after it; milestones not fully funded by then lapse and their
                  deposits go back to the buyer.
  ship-by         each milestone's refund clock: after it an unsubmitted milestone refunds
                  the buyer. Give it per milestone (--milestone AMOUNT@SHIP_BY, or --ship-by
                  with --split). A milestone without one gets fund-by + (n+1) x --ship-every
                  (default 30d), milestone n counted from 0: with the defaults, milestone 0
                  ships by 37 days from now, milestone 1 by 67 days, and so on.
Times are RFC 3339 (2026-12-01T12:00:00Z) or +duration from now (+36h, +14d). Every term,
the derived deadlines marked as defaults, is printed before anything is signed.";

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
    /// A milestone: "AMOUNT" or "AMOUNT@SHIP_BY" (RFC 3339 or +duration; without it, the
    /// default ship-by below). Repeat, in order.
    #[arg(long = "milestone", conflicts_with_all = ["total", "split"])]
    pub milestones: Vec<String>,
    /// Deal total, split with --split.
    #[arg(long, requires = "split")]
    pub total: Option<String>,
    /// Percentages of --total per milestone, adding up to 100 (e.g. 30,40,30).
    #[arg(long, requires = "total")]
    pub split: Option<String>,
    /// Ship-by per milestone with --split, comma-separated ("-" for the default).
    #[arg(long = "ship-by", allow_hyphen_values = true)]
    pub ship_by: Option<String>,
    /// The funding deadline: RFC 3339 or +duration from now. No deposit and no acceptance
    /// after it; milestones not fully funded by then lapse (their deposits go back to the
    /// buyer).
    #[arg(long = "fund-by", default_value = "+7d")]
    pub fund_by: String,
    /// Spacing of the default ship-by dates: milestone n (from 0) without a ship-by of its
    /// own must ship by fund-by + (n+1) x this.
    #[arg(long = "ship-every", default_value = "30d", value_parser = units::parse_duration)]
    pub ship_every: u64,
    /// Who besides the buyer may deposit (a bank paying for the buyer); refunds always go to
    /// the buyer. Default: only the buyer.
    #[arg(long)]
    pub funder: Option<String>,
    /// A milestone's own terms document (spec, delivery note template…), hashed with
    /// BLAKE2b-256 into that milestone's terms hash. Repeat once per milestone, in order
    /// ("-" for none, e.g. for a milestone that gets --milestone-condition).
    #[arg(long = "milestone-terms-file", conflicts_with = "milestone_terms")]
    pub milestone_terms_files: Vec<PathBuf>,
    /// Or the milestones' terms hashes, comma-separated 0x-hex, one per milestone in order
    /// ("-" for none).
    #[arg(long = "milestone-terms", allow_hyphen_values = true)]
    pub milestone_terms: Option<String>,
    /// Milestone INDEX (its position, from 0) is released on shipment data: its terms hash
    /// is the hash of the condition document FILE (`escrow condition show FILE`), which an
    /// oracle service checks against the carrier's tracking events. Repeat for other
    /// milestones. With --milestone-terms or --milestone-terms-file, write "-" there for
    /// that milestone: a milestone has one terms hash. The documents are saved in
    /// $ESCROW_HOME/conditions once the deal is proposed, so `deal show` names them; send
    /// them to the other party (`escrow condition add FILE` on their side).
    #[arg(long = "milestone-condition", value_name = "INDEX=FILE")]
    pub milestone_conditions: Vec<String>,
    /// What the deal is paid in: `native` (the chain's token), a PSP22 token's address, or
    /// the symbol of a token this CLI knows for --url (`escrow token list`). Part of the
    /// terms (and their hash). Milestone amounts are in its decimals.
    #[arg(long, default_value = "native", value_name = "native|ADDRESS|SYMBOL")]
    pub asset: String,
}

/// A milestone's condition document, from `--milestone-condition INDEX=FILE`.
#[derive(Debug)]
pub struct MilestoneCondition {
    /// The milestone's position, from 0.
    pub index: usize,
    /// The file it was read from.
    pub file: PathBuf,
    /// The document; its hash is the milestone's terms hash.
    pub doc: Document,
}

/// The milestones' terms hashes, and the condition documents some of them are the hashes
/// of.
#[derive(Debug)]
pub struct TermsHashes {
    /// One per milestone, in order (zero for none).
    pub hashes: Vec<Digest>,
    /// The milestones with a condition, in the order given.
    pub conditions: Vec<MilestoneCondition>,
}

/// The per-milestone terms hashes (all zero when none are given), checked against the
/// number of milestones `n`: from --milestone-terms-file or --milestone-terms (one entry
/// per milestone, "-" for none), and from --milestone-condition for the milestones it
/// names, which must have "-" (or no entry) in the others.
pub fn milestone_terms_hashes(a: &ProposeArgs, n: usize) -> Result<TermsHashes> {
    let wanted = condition_args(&a.milestone_conditions, n)?;
    let (given, flag): (Vec<Option<Digest>>, &str) = if !a.milestone_terms_files.is_empty() {
        let hashes = a
            .milestone_terms_files
            .iter()
            .map(|f| match f.to_str() {
                Some("-") => Ok(None),
                _ => units::hash_file(f)
                    .map(Some)
                    .map_err(|e| ClientError::input(format!("--milestone-terms-file: {e}"))),
            })
            .collect::<Result<_>>()?;
        (hashes, "--milestone-terms-file")
    } else if let Some(list) = &a.milestone_terms {
        let hashes = list
            .split(',')
            .map(|h| match h.trim() {
                "-" => Ok(None),
                h => units::parse_hash(h)
                    .map(Some)
                    .map_err(|e| ClientError::input(format!("--milestone-terms: {e}"))),
            })
            .collect::<Result<_>>()?;
        (hashes, "--milestone-terms")
    } else {
        (vec![None; n], "")
    };
    if given.len() != n {
        return Err(ClientError::input(format!(
            "{} milestone terms hash(es) for {n} milestone(s): give one per milestone, in order",
            given.len()
        )));
    }
    for (arg, index, _) in &wanted {
        if given[*index].is_some() {
            return Err(ClientError::input(format!(
                "--milestone-condition {arg}: milestone {index} also gets a terms hash from \
                 {flag}; a milestone has one terms hash: write \"-\" there for milestone {index}"
            )));
        }
    }
    let mut hashes: Vec<Digest> = given.into_iter().map(|h| h.unwrap_or([0; 32])).collect();
    let mut conditions = Vec::with_capacity(wanted.len());
    for (arg, index, file) in wanted {
        let bytes = std::fs::read(&file).map_err(|e| {
            ClientError::input(format!(
                "--milestone-condition {arg}: cannot read {}: {e}",
                file.display()
            ))
        })?;
        let doc = Document::parse(&bytes).map_err(|e| {
            ClientError::input(format!(
                "--milestone-condition {arg}: {} is not a valid condition document: {e}",
                file.display()
            ))
        })?;
        hashes[index] = doc.hash;
        conditions.push(MilestoneCondition { index, file, doc });
    }
    Ok(TermsHashes { hashes, conditions })
}

/// `--milestone-condition INDEX=FILE` arguments, checked against the number of milestones
/// `n` (before any file is read): each as given, its index and its file.
fn condition_args(args: &[String], n: usize) -> Result<Vec<(String, usize, PathBuf)>> {
    let mut out: Vec<(String, usize, PathBuf)> = Vec::with_capacity(args.len());
    for arg in args {
        let (index, file) = arg
            .split_once('=')
            .and_then(|(i, f)| Some((i.trim().parse::<usize>().ok()?, f)))
            .filter(|(_, f)| !f.is_empty())
            .ok_or_else(|| {
                ClientError::input(format!(
                    "--milestone-condition {arg}: expected INDEX=FILE, INDEX the milestone's \
                     position from 0 and FILE its condition document"
                ))
            })?;
        if index >= n {
            return Err(ClientError::input(format!(
                "--milestone-condition {arg}: there is no milestone {index}: the deal has {n} \
                 milestone(s), numbered from 0"
            )));
        }
        if let Some((first, _, _)) = out.iter().find(|(_, i, _)| *i == index) {
            return Err(ClientError::input(format!(
                "--milestone-condition: milestone {index} is given twice ({first} and {arg}); \
                 a milestone has one condition"
            )));
        }
        out.push((arg.clone(), index, PathBuf::from(file)));
    }
    Ok(out)
}

/// How many milestones the arguments describe (before amounts are parsed).
fn milestone_count(a: &ProposeArgs) -> usize {
    match &a.split {
        Some(split) => split.split(',').count(),
        None => a.milestones.len(),
    }
}

/// The deal's parties as accounts: buyer, seller (one of them defaults to the signer),
/// oracles, arbiter and funder.
struct Parties {
    buyer: AccountId32,
    seller: AccountId32,
    oracles: Vec<AccountId32>,
    arbiter: Option<AccountId32>,
    funder: Option<AccountId32>,
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
    let funder = a
        .funder
        .as_deref()
        .map(|s| ctx.resolve_account(s))
        .transpose()?;
    Ok(Parties {
        buyer,
        seller,
        oracles,
        arbiter,
        funder,
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

/// A milestone as given: its amount, and its ship-by if one was given.
type Given = (Balance, Option<Timestamp>);

/// `--total X --split 30,40,30 [--ship-by a,-,c]`.
fn milestones_from_split(
    total: &str,
    split: &str,
    ship_by: Option<&str>,
    token: &Token,
    now: u64,
) -> Result<Vec<Given>> {
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
    Ok(amounts.into_iter().zip(ship).collect())
}

/// `--milestone AMOUNT[@SHIP_BY]`, repeated.
fn milestones_from_list(list: &[String], token: &Token, now: u64) -> Result<Vec<Given>> {
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
        milestones.push((amount, ship_by));
    }
    Ok(milestones)
}

/// The default ship-by of milestone `index` (from 0): `fund_by + (index + 1) × every`.
pub fn default_ship_by(fund_by: Timestamp, every: u64, index: usize) -> Result<Timestamp> {
    u64::try_from(index)
        .ok()
        .and_then(|i| i.checked_add(1))
        .and_then(|n| n.checked_mul(every))
        .and_then(|d| fund_by.checked_add(d))
        .ok_or_else(|| {
            ClientError::input(format!(
                "the default ship-by of milestone {index} (fund-by + {} x {}) is beyond the \
                 representable time: give its ship-by, or a shorter --ship-every",
                index.saturating_add(1),
                units::format_duration(every)
            ))
        })
}

/// Gives every milestone without a ship-by its default ([`default_ship_by`]); returns the
/// ship-by dates and, for each derived one, how it was derived (shown before signing).
pub fn ship_by_dates(
    given: &[Option<Timestamp>],
    fund_by: Timestamp,
    every: u64,
) -> Result<(Vec<Timestamp>, Vec<Option<String>>)> {
    let mut dates = Vec::with_capacity(given.len());
    let mut notes = Vec::with_capacity(given.len());
    for (i, g) in given.iter().enumerate() {
        match g {
            Some(t) => {
                dates.push(*t);
                notes.push(None);
            }
            None => {
                dates.push(default_ship_by(fund_by, every, i)?);
                notes.push(Some(format!(
                    "default: fund-by + {} x {}",
                    i.saturating_add(1),
                    units::format_duration(every)
                )));
            }
        }
    }
    Ok((dates, notes))
}

/// The milestones, from `--total/--split` or `--milestone`, with their terms hashes and
/// ship-by dates (defaults derived from `fund_by`); and the notes on the derived dates.
fn milestones(
    a: &ProposeArgs,
    terms_hashes: Vec<Digest>,
    token: &Token,
    now: u64,
    fund_by: Timestamp,
) -> Result<(Vec<MilestoneTerms>, Vec<Option<String>>)> {
    let given = match (&a.total, &a.split) {
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
    if given.is_empty() {
        return Err(ClientError::input(
            "give milestones: --milestone AMOUNT[@SHIP_BY] (repeat) or --total X --split 30,40,30",
        ));
    }
    if terms_hashes.len() != given.len() {
        return Err(ClientError::input(format!(
            "{} milestone terms hash(es) for {} milestone(s): give one per milestone, in order",
            terms_hashes.len(),
            given.len()
        )));
    }
    let ships: Vec<Option<Timestamp>> = given.iter().map(|g| g.1).collect();
    let (dates, notes) = ship_by_dates(&ships, fund_by, a.ship_every)?;
    let milestones = given
        .iter()
        .zip(dates)
        .zip(terms_hashes)
        .map(|(((amount, _), ship_by), terms_hash)| MilestoneTerms {
            amount: *amount,
            terms_hash,
            ship_by,
        })
        .collect();
    Ok((milestones, notes))
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

/// Runs `deal propose`: parties and rules, then (once connected, for the asset's decimals
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
    let TermsHashes {
        hashes: milestone_terms,
        conditions,
    } = milestone_terms_hashes(&a, milestone_count(&a))?;
    // And the funding deadline's form (a relative one needs the chain's clock).
    units::parse_time(&a.fund_by, 0).map_err(|e| ClientError::input(format!("--fund-by: {e}")))?;
    // And the asset's name (its metadata needs the chain).
    ctx.check_asset_name(&a.asset, "--asset")?;

    let escrow = ctx.escrow().await?;
    // The asset first: amounts are parsed in its decimals; a token is refused here, before
    // anything is signed, unless it is a PSP22 token with metadata.
    let (asset, _) = ctx.resolve_asset(&a.asset, "--asset").await?;
    let token = ctx.asset_units(&asset).await?;
    let reads = escrow.reads_at_best().await?;
    let now = units::from_now_base(reads.now().await?);
    let fee = reads.config().await?;
    let fund_by = units::parse_time(&a.fund_by, now)
        .map_err(|e| ClientError::input(format!("--fund-by: {e}")))?;
    let (milestones, ship_notes) = milestones(&a, milestone_terms, &token, now, fund_by)?;
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
        funder: p.funder.as_ref().map(ink_account),
        fund_by,
        asset,
        milestones,
    };
    let hash = terms_hash(&terms);
    if !ctx.global.quiet {
        eprintln!(
            "proposing these terms (terms hash {}):",
            units::hex0x(&hash)
        );
        let known: render::ConditionSummaries = conditions
            .iter()
            .map(|c| (c.doc.hash, c.doc.condition.summary()))
            .collect();
        for line in render::terms_lines(&terms, Some(&fee), now, &ctx.render(), &ship_notes, &known)
        {
            eprintln!("{line}");
        }
    }
    let ship_list = terms
        .milestones
        .iter()
        .map(|m| units::format_time(m.ship_by))
        .collect::<Vec<_>>()
        .join(", ");
    let summary = format!(
        "deal proposed in {}: {} milestone(s), total {}, fund by {}, ship by {ship_list}, terms hash {}",
        ctx.render().asset_label(&asset),
        terms.milestones.len(),
        token.format(deal_total(&terms)?),
        units::format_time(terms.fund_by),
        units::hex0x(&hash)
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
    if e.included.is_some() {
        save_conditions(ctx, &conditions);
    }
    report(ctx, out, "propose", &e, &summary)
}

/// Saves the proposed deal's condition documents into the store, so `deal show` names
/// them. The deal is on chain by now: a document that cannot be saved is a warning saying
/// how to add it, never a failure (a script retrying the proposal would propose twice).
fn save_conditions(ctx: &Ctx, conditions: &[MilestoneCondition]) {
    let dir = store::default_dir(&ctx.home);
    for c in conditions {
        match store::save(&dir, &c.doc) {
            Ok(path) if !ctx.global.quiet => eprintln!(
                "the condition of milestone {} ({}) is saved in {}",
                c.index,
                units::hex0x(&c.doc.hash),
                path.display()
            ),
            Ok(_) => {}
            Err(e) => eprintln!(
                "warning: the condition of milestone {} was not saved ({e}); `deal show` \
                 will not name it until you run `escrow condition add {}`",
                c.index,
                c.file.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;

    #[test]
    fn milestones_without_a_ship_by_get_fund_by_plus_n_times_the_spacing() {
        let fund_by = 1_796_126_400_000;
        let given = [None, Some(fund_by + 5 * DAY), None];
        let (dates, notes) = ship_by_dates(&given, fund_by, 30 * DAY).unwrap();
        assert_eq!(
            dates,
            [fund_by + 30 * DAY, fund_by + 5 * DAY, fund_by + 90 * DAY]
        );
        assert_eq!(
            notes,
            [
                Some("default: fund-by + 1 x 30d".to_string()),
                None,
                Some("default: fund-by + 3 x 30d".to_string())
            ]
        );
    }

    #[test]
    fn a_default_ship_by_beyond_time_is_bad_input_naming_the_milestone() {
        let e = default_ship_by(u64::MAX - DAY, 30 * DAY, 1).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("milestone 1"), "{e}");
        assert_eq!(default_ship_by(0, u64::MAX, 1).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn a_ship_by_list_may_start_with_the_default_marker() {
        use clap::Parser;
        let cli = crate::Cli::try_parse_from([
            "escrow",
            "deal",
            "propose",
            "--total",
            "1",
            "--split",
            "50,50",
            "--ship-by",
            "-,+40d",
        ])
        .unwrap();
        let crate::Command::Deal(crate::commands::DealCommand::Propose(a)) = cli.command else {
            panic!("not deal propose");
        };
        assert_eq!(a.ship_by.as_deref(), Some("-,+40d"));
    }

    /// `deal propose` with three milestones and `extra`, parsed.
    fn propose_args(extra: &[&str]) -> ProposeArgs {
        use clap::Parser;
        let mut args = vec![
            "escrow",
            "deal",
            "propose",
            "--milestone",
            "1",
            "--milestone",
            "2",
            "--milestone",
            "3",
        ];
        args.extend_from_slice(extra);
        let cli = crate::Cli::try_parse_from(args).unwrap();
        let crate::Command::Deal(crate::commands::DealCommand::Propose(a)) = cli.command else {
            panic!("not deal propose");
        };
        a
    }

    const CONDITION: &str = r#"{"format": "milestone-escrow/condition/v1",
        "transportDocumentReference": "MUN-HAM-0042",
        "events": [{"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD",
                    "location": "INMUN"}]}"#;

    /// A directory holding `load.json` (a valid condition document) and `spec.pdf`.
    fn files() -> (tempfile::TempDir, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let load = dir.path().join("load.json");
        std::fs::write(&load, CONDITION).unwrap();
        let spec = dir.path().join("spec.pdf");
        std::fs::write(&spec, "milestone 0: 500 widgets").unwrap();
        let s = |p: std::path::PathBuf| p.to_str().unwrap().to_string();
        (dir, s(load), s(spec))
    }

    /// The message of a bad-input error (exit 2) of `milestone_terms_hashes`.
    fn refused(a: &ProposeArgs) -> String {
        let e = milestone_terms_hashes(a, milestone_count(a)).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        match e {
            ClientError::BadInput(m) => m,
            other => panic!("not bad input: {other}"),
        }
    }

    #[test]
    fn a_milestone_condition_makes_the_documents_hash_that_milestones_terms_hash() {
        let (_dir, load, spec) = files();
        let doc = Document::parse(CONDITION.as_bytes()).unwrap();
        let cond = format!("1={load}");

        let a = propose_args(&["--milestone-condition", &cond]);
        let t = milestone_terms_hashes(&a, milestone_count(&a)).unwrap();
        assert_eq!(t.hashes, [[0; 32], doc.hash, [0; 32]]);
        assert_eq!(t.conditions.len(), 1);
        assert_eq!(t.conditions[0].index, 1);
        assert_eq!(t.conditions[0].file, std::path::PathBuf::from(&load));
        assert_eq!(t.conditions[0].doc, doc);

        // With a hash list: "-" for the milestone with the condition.
        let x = format!("0x{}", "ab".repeat(32));
        let a = propose_args(&[
            "--milestone-terms",
            &format!("{x},-,-"),
            "--milestone-condition",
            &cond,
        ]);
        let t = milestone_terms_hashes(&a, 3).unwrap();
        assert_eq!(t.hashes, [[0xab; 32], doc.hash, [0; 32]]);

        // With terms files: "-" for none.
        let a = propose_args(&[
            "--milestone-terms-file",
            &spec,
            "--milestone-terms-file",
            "-",
            "--milestone-terms-file",
            "-",
            "--milestone-condition",
            &cond,
            "--milestone-condition",
            &format!("2={load}"),
        ]);
        let t = milestone_terms_hashes(&a, 3).unwrap();
        let spec_hash = units::blake2_256(b"milestone 0: 500 widgets");
        assert_eq!(t.hashes, [spec_hash, doc.hash, doc.hash]);
        assert_eq!(
            t.conditions.iter().map(|c| c.index).collect::<Vec<_>>(),
            [1, 2]
        );
    }

    #[test]
    fn a_milestone_condition_for_a_milestone_that_does_not_exist_is_refused() {
        let (_dir, load, _) = files();
        let cond = format!("3={load}");
        assert_eq!(
            refused(&propose_args(&["--milestone-condition", &cond])),
            format!(
                "--milestone-condition 3={load}: there is no milestone 3: the deal has 3 \
                 milestone(s), numbered from 0"
            )
        );
    }

    #[test]
    fn a_milestone_condition_not_of_the_form_index_equals_file_is_refused() {
        for bad in [
            "load.json",
            "one=load.json",
            "1.5=load.json",
            "1=",
            "=load.json",
        ] {
            assert_eq!(
                refused(&propose_args(&["--milestone-condition", bad])),
                format!(
                    "--milestone-condition {bad}: expected INDEX=FILE, INDEX the milestone's \
                     position from 0 and FILE its condition document"
                )
            );
        }
    }

    #[test]
    fn the_same_milestone_condition_index_twice_is_refused() {
        let (_dir, load, spec) = files();
        let (first, second) = (format!("1={load}"), format!("1={spec}"));
        assert_eq!(
            refused(&propose_args(&[
                "--milestone-condition",
                &first,
                "--milestone-condition",
                &second,
            ])),
            format!(
                "--milestone-condition: milestone 1 is given twice ({first} and {second}); a \
                 milestone has one condition"
            )
        );
    }

    #[test]
    fn a_milestone_condition_where_another_terms_hash_is_given_is_refused() {
        let (_dir, load, spec) = files();
        let cond = format!("0={load}");
        let x = format!("0x{}", "ab".repeat(32));
        assert_eq!(
            refused(&propose_args(&[
                "--milestone-terms",
                &format!("{x},-,-"),
                "--milestone-condition",
                &cond,
            ])),
            format!(
                "--milestone-condition {cond}: milestone 0 also gets a terms hash from \
                 --milestone-terms; a milestone has one terms hash: write \"-\" there for \
                 milestone 0"
            )
        );
        assert_eq!(
            refused(&propose_args(&[
                "--milestone-terms-file",
                &spec,
                "--milestone-terms-file",
                "-",
                "--milestone-terms-file",
                "-",
                "--milestone-condition",
                &cond,
            ])),
            format!(
                "--milestone-condition {cond}: milestone 0 also gets a terms hash from \
                 --milestone-terms-file; a milestone has one terms hash: write \"-\" there \
                 for milestone 0"
            )
        );
        // The count of the other list is checked as before.
        assert_eq!(
            refused(&propose_args(&[
                "--milestone-terms",
                "-,-",
                "--milestone-condition",
                &cond,
            ])),
            "2 milestone terms hash(es) for 3 milestone(s): give one per milestone, in order"
        );
    }

    #[test]
    fn an_unreadable_or_invalid_milestone_condition_file_is_refused_naming_it() {
        let (dir, _, spec) = files();
        let missing = dir.path().join("missing.json");
        let missing = missing.to_str().unwrap();
        let cond = format!("2={missing}");
        let msg = refused(&propose_args(&["--milestone-condition", &cond]));
        let prefix = format!("--milestone-condition {cond}: cannot read {missing}: ");
        assert!(msg.starts_with(&prefix), "{msg}");

        let cond = format!("2={spec}");
        let parse_error = Document::parse(b"milestone 0: 500 widgets").unwrap_err();
        assert_eq!(
            refused(&propose_args(&["--milestone-condition", &cond])),
            format!(
                "--milestone-condition {cond}: {spec} is not a valid condition document: \
                 {parse_error}"
            )
        );
    }

    #[test]
    fn milestone_conditions_are_checked_before_any_file_is_read() {
        // A missing file with an index out of range: the index is what is wrong.
        let msg = refused(&propose_args(&["--milestone-condition", "7=/no/such/file"]));
        assert!(msg.contains("there is no milestone 7"), "{msg}");
    }

    /// `escrow deal propose --help` (`-h` unless `long`).
    fn propose_help(long: bool) -> String {
        use clap::CommandFactory;
        let mut cmd = crate::Cli::command();
        let propose = cmd
            .find_subcommand_mut("deal")
            .and_then(|d| d.find_subcommand_mut("propose"))
            .expect("deal propose");
        let help = if long {
            propose.render_long_help()
        } else {
            propose.render_help()
        };
        help.to_string()
    }

    #[test]
    fn propose_help_explains_milestone_conditions() {
        let help = propose_help(true);
        for needle in [
            "--milestone-condition <INDEX=FILE>",
            "escrow condition show FILE",
            "write \"-\" there for",
            "a milestone has one terms hash",
        ] {
            assert!(help.contains(needle), "lacks {needle:?}:\n{help}");
        }
    }

    #[test]
    fn propose_takes_the_asset_native_by_default() {
        use clap::Parser;
        let parse = |extra: &[&str]| {
            let mut args = vec!["escrow", "deal", "propose", "--milestone", "1"];
            args.extend_from_slice(extra);
            let cli = crate::Cli::try_parse_from(args).unwrap();
            let crate::Command::Deal(crate::commands::DealCommand::Propose(a)) = cli.command else {
                panic!("not deal propose");
            };
            a.asset
        };
        assert_eq!(parse(&[]), "native");
        assert_eq!(parse(&["--asset", "USDT"]), "USDT");
    }

    #[test]
    fn propose_help_documents_the_deadline_defaults() {
        let help = propose_help(false);
        for needle in [
            "--fund-by",
            "[default: +7d]",
            "--ship-every",
            "[default: 30d]",
            "--funder",
            "fund-by + (n+1) x --ship-every",
        ] {
            assert!(help.contains(needle), "lacks {needle:?}:\n{help}");
        }
    }
}
