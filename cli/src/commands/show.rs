//! `escrow deal show ID`: terms, parties, each milestone's state and clocks, totals.
//!
//! A milestone whose terms hash is the hash of a condition document the CLI knows (in
//! `$ESCROW_HOME/conditions`, or in `--conditions DIR`) is marked with that condition: the
//! chain holds only the hash, so the document itself must come from disk.

use std::{
    collections::HashMap,
    io::Write,
    path::{Path, PathBuf},
};

use clap::Args;
use escrow_client::{
    accounts::ss58,
    oracle::{condition::Document, store},
    units::{self, format_duration, relative},
    ClientError, Result,
};
use escrow_types::{Deal, DealId, MilestoneStatus, MilestoneView};
use serde_json::{json, Value as Json};

use super::w;
use crate::{
    render::{asset_json, to_json, ConditionSummaries},
    Ctx,
};

/// `escrow deal show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Deal id.
    pub deal: u64,
    /// Also look for the milestones' condition documents in this directory (its *.json
    /// files), besides the ones saved in $ESCROW_HOME/conditions.
    #[arg(long, value_name = "DIR")]
    pub conditions: Option<PathBuf>,
}

/// Condition documents by hash, with the file each was read from.
pub type Known = HashMap<[u8; 32], (PathBuf, Document)>;

/// The condition documents the CLI knows: the store (`$ESCROW_HOME/conditions`: those
/// `deal propose` and `escrow condition add` saved), and those in `extra` (which must be
/// a directory; its documents win over the store's). Files that are not condition
/// documents are warned about on stderr (unless --quiet) and skipped; so is a store that
/// cannot be read. An `extra` that cannot be read is bad input.
pub fn known_conditions(ctx: &Ctx, extra: Option<&Path>) -> Result<Known> {
    let warn = |s: String| {
        if !ctx.global.quiet {
            eprintln!("warning: {s}");
        }
    };
    let mut known = Known::new();
    let mut add = |loaded: store::Loaded| {
        for (path, why) in loaded.refused {
            warn(format!(
                "{} is not a condition document, skipped: {why}",
                path.display()
            ));
        }
        known.extend(loaded.by_hash);
    };
    match store::load_dir(&store::default_dir(&ctx.home)) {
        Ok(loaded) => add(loaded),
        Err(e) => warn(format!("the saved condition documents are not read: {e}")),
    }
    if let Some(dir) = extra {
        if !dir.is_dir() {
            return Err(ClientError::input(format!(
                "--conditions {}: not a directory",
                dir.display()
            )));
        }
        let loaded =
            store::load_dir(dir).map_err(|e| ClientError::input(format!("--conditions: {e}")))?;
        add(loaded);
    }
    Ok(known)
}

/// The summaries of `known`, by hash, for [`crate::render::terms_lines`].
pub fn summaries(known: &Known) -> ConditionSummaries {
    known
        .iter()
        .map(|(h, (_, d))| (*h, d.condition.summary()))
        .collect()
}

/// A milestone's `"condition"` in `deal show --json`: `{hash, summary, file}` when its
/// terms hash is a known condition document, else `null`.
pub fn condition_json(terms_hash: &[u8; 32], known: &Known) -> Json {
    match known.get(terms_hash) {
        Some((file, doc)) => json!({
            "hash": units::hex0x(terms_hash),
            "summary": doc.condition.summary(),
            "file": file.display().to_string(),
        }),
        None => Json::Null,
    }
}

fn clocks(m: &MilestoneView, now: u64) -> Vec<String> {
    let mut c = Vec::new();
    let st = m.milestone.status;
    if st == MilestoneStatus::Pending {
        let t = m.milestone.ship_by;
        let when = relative(t, now);
        c.push(if t >= now {
            format!("ship by {} ({when})", units::format_time(t))
        } else {
            format!("ship-by {} passed {when}", units::format_time(t))
        });
    }
    if st == MilestoneStatus::Submitted {
        if let Some(t) = m.review_ends {
            c.push(if t >= now {
                format!("review ends {}", relative(t, now))
            } else {
                format!("review ended {}", relative(t, now))
            });
        }
    }
    if st == MilestoneStatus::Disputed {
        if let Some(t) = m.arbitration_ends {
            c.push(if t >= now {
                format!("arbitration ends {}", relative(t, now))
            } else {
                format!("arbitration ended {}: fallback due", relative(t, now))
            });
        }
    }
    c
}

/// "pays 5F… (assigned)" when a milestone's payments to the seller's side go to another
/// account than the seller (its receivable was assigned); `None` otherwise.
pub fn payee_note(m: &MilestoneView, deal: &Deal) -> Option<String> {
    (m.payee != deal.seller).then(|| format!("pays {} (receivable assigned)", ss58(&m.payee)))
}

/// Runs `deal show`.
pub async fn run(a: ShowArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let known = known_conditions(ctx, a.conditions.as_deref())?;
    let escrow = ctx.escrow().await?;
    let reads = escrow.reads_at_best().await?;
    let (view, ms) = reads.deal_with_milestones(DealId(a.deal)).await?;
    let now = reads.now().await?;
    ctx.learn_deal_asset(view.id, view.deal.asset).await;
    let r = ctx.render();
    if ctx.global.json {
        let v = json!({
            "deal": to_json(&view),
            "milestones": ms
                .iter()
                .map(|m| {
                    let mut j = to_json(m);
                    j["condition"] = condition_json(&m.milestone.terms_hash, &known);
                    j
                })
                .collect::<Vec<_>>(),
            "asset": asset_json(&view.deal.asset, &r),
            "now": now,
        });
        return w(out, v.to_string());
    }
    let d = &view.deal;
    let t = &r.units(&d.asset);
    // A closed deal whose closure nobody recorded yet: say how (DealClosed, for auditors).
    let unrecorded = if d.status == escrow_types::DealStatus::Closed && !d.closure_recorded {
        format!(
            " — closure not recorded yet: `escrow deal close {}`",
            a.deal
        )
    } else {
        String::new()
    };
    w(
        out,
        format!(
            "Deal {} — {:?} (proposed by {:?}){unrecorded}",
            a.deal, d.status, d.proposer
        ),
    )?;
    w(out, format!("  asset        {}", r.asset_label(&d.asset)))?;
    if let Some(why) = ctx.unreadable_token(&d.asset) {
        w(
            out,
            format!(
                "  warning      the token cannot be read: {}",
                why.lines().next().unwrap_or_default()
            ),
        )?;
    }
    w(out, format!("  buyer        {}", ss58(&d.buyer)))?;
    w(out, format!("  seller       {}", ss58(&d.seller)))?;
    w(
        out,
        format!(
            "  arbiter      {}",
            d.arbiter
                .as_ref()
                .map(ss58)
                .unwrap_or_else(|| "none".into())
        ),
    )?;
    w(
        out,
        format!(
            "  funder       {}",
            d.funder
                .as_ref()
                .map(|f| format!("{} (may deposit besides the buyer)", ss58(f)))
                .unwrap_or_else(|| "none (only the buyer deposits)".into())
        ),
    )?;
    let fund_clock = if d.fund_by >= now {
        format!("({})", relative(d.fund_by, now))
    } else {
        format!("(passed {}: no more deposits)", relative(d.fund_by, now))
    };
    w(
        out,
        format!(
            "  fund by      {} {fund_clock}",
            units::format_time(d.fund_by)
        ),
    )?;
    if d.oracles.is_empty() {
        w(out, "  oracles      none")?;
    } else {
        w(
            out,
            format!(
                "  oracles      {} (threshold {})",
                d.oracles.iter().map(ss58).collect::<Vec<_>>().join(", "),
                d.oracle_threshold
            ),
        )?;
    }
    w(
        out,
        format!(
            "  rules        release by {:?}; review {}; arbitration {}; fallback {} to seller{}",
            d.release_rule,
            format_duration(d.review_window),
            format_duration(d.arbitration_window),
            units::format_amount(u128::from(d.fallback_seller_bps), 2, "%").replace(" %", "%"),
            if d.advance {
                "; milestone 0 is an advance"
            } else {
                ""
            }
        ),
    )?;
    w(
        out,
        format!("  agreement    {}", units::hex0x(&d.agreement_hash)),
    )?;
    w(
        out,
        format!("  terms hash   {}", units::hex0x(&d.terms_hash)),
    )?;
    if let Some(by) = d.cancel_proposed_by {
        w(out, format!("  cancellation proposed by {by:?}"))?;
    }
    w(
        out,
        format!(
            "  total {}   deposited {}   released {}   fees {}   refunded {}   locked {}",
            t.format(d.total),
            t.format(d.deposited),
            t.format(d.released),
            t.format(d.fees),
            t.format(d.refunded),
            t.format(view.locked)
        ),
    )?;
    w(
        out,
        format!(
            "  milestones ({} of {} settled):",
            d.settled_count, d.milestone_count
        ),
    )?;
    for m in &ms {
        let mut line = format!(
            "    #{} {} {:?}, covered {}",
            m.index,
            t.format(m.milestone.amount),
            m.milestone.status,
            t.format(m.covered)
        );
        if m.milestone.terms_hash != [0u8; 32] {
            line.push_str(&format!(
                "; terms {}",
                units::hex0x(&m.milestone.terms_hash)
            ));
        }
        if let Some((_, doc)) = known.get(&m.milestone.terms_hash) {
            line.push_str(&format!("; condition: {}", doc.condition.summary()));
        }
        if let Some(p) = payee_note(m, d) {
            line.push_str("; ");
            line.push_str(&p);
        }
        for c in clocks(m, now) {
            line.push_str("; ");
            line.push_str(&c);
        }
        if m.milestone.attestations > 0 {
            line.push_str(&format!(
                "; {} attestation(s)",
                m.milestone.attestation_count()
            ));
        }
        if let Some(o) = m.milestone.dispute.and_then(|d| d.offer) {
            line.push_str(&format!(
                "; offer by {:?}: {} to seller",
                o.by,
                t.format(o.seller_amount)
            ));
        }
        if let Some(am) = m.milestone.amendment {
            line.push_str(&format!(
                "; amendment by {:?}: ship by {}",
                am.by,
                units::format_time(am.new_ship_by)
            ));
        }
        if let Some(o) = m.milestone.outcome {
            line.push_str(&format!(
                "; paid seller's side {}, fee {}, buyer {}",
                t.format(o.to_seller),
                t.format(o.fee),
                t.format(o.to_buyer)
            ));
        }
        w(out, line)?;
    }
    Ok(())
}
