//! `escrow audit DEAL | --all`: every deal rebuilt from the contract's events alone and
//! checked against storage, its rules and clocks, and the chain's own transfers; with `--all`
//! also every claimable balance and the contract's solvency per asset. Reads at the finalized
//! block unless `--best` or `--at BLOCK`, after checking the contract's code hash there.
//! The events are found by walking back along the deal's trails, so an audit reads the blocks
//! that hold them and no others (`escrow_client::audit`).
//!
//! Exits 1 if anything is wrong; each finding names its kind, deal, milestone, block and
//! event. Amounts are in the deal's asset: its units in the table, its smallest unit in JSON
//! and CSV.

use std::io::Write;

use clap::{Args, ValueEnum};
use escrow_client::{
    accounts::ss58,
    audit::{
        self,
        compare::{compare, Check},
        At, Audit, DealAudit, Finding, Scope,
    },
    units::{self, Token},
    ClientError, Result,
};
use escrow_types::{Asset, DealId};
use serde_json::{json, Value as Json};

use super::w;
use crate::{
    render::{asset_json, RenderCtx},
    Ctx,
};

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Aligned text.
    Table,
    /// One JSON object.
    Json,
    /// CSV: deal,check,events,storage,ok (every check, then one row per other finding).
    Csv,
}

/// `escrow audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Deal id.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub deal: Option<u64>,
    /// Every deal, every claimable balance, and the contract's solvency per asset.
    #[arg(long)]
    pub all: bool,
    /// Output format (--json implies json).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Read at the best block instead of the finalized one (a development chain finalizes
    /// nothing).
    #[arg(long, conflicts_with = "at")]
    pub best: bool,
    /// Read at block number BLOCK.
    #[arg(long, value_name = "BLOCK")]
    pub at: Option<u32>,
}

/// One deal's checks against storage, with the other findings about it.
struct Checked<'a> {
    deal: &'a DealAudit,
    checks: Vec<Check>,
}

/// Runs `audit`.
pub async fn run(a: AuditArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let escrow = ctx.escrow().await?;
    let trusted = ctx.trusted_code_hashes()?;
    let at = match (a.best, a.at) {
        (true, _) => At::Best,
        (_, Some(n)) => At::Number(n),
        _ => At::Finalized,
    };
    let scope = match a.deal {
        Some(id) => Scope::Deal(DealId(id)),
        None => Scope::All,
    };
    let report = audit::audit(&escrow, &trusted, at, scope).await?;
    let mut assets: Vec<(DealId, Asset)> = Vec::new();
    for d in &report.deals {
        let asset = d.view.deal.asset;
        if !assets.iter().any(|(_, x)| *x == asset) {
            assets.push((d.view.id, asset));
        }
    }
    for (id, asset) in assets {
        ctx.learn_deal_asset(id, asset).await;
    }
    let rc = ctx.render();
    let label = |x: &Asset| rc.asset_label(x);
    let checked: Vec<Checked> = report
        .deals
        .iter()
        .map(|d| Checked {
            deal: d,
            checks: compare(&d.rebuilt, &d.view, &d.milestones, &label),
        })
        .collect();
    let bad = checked
        .iter()
        .map(|c| c.checks.iter().filter(|x| !x.ok).count())
        .sum::<usize>()
        + report.findings.len();
    let format = if ctx.global.json {
        Format::Json
    } else {
        a.format
    };
    match (format, scope) {
        (Format::Json, _) => w(out, to_json(&report, &checked, &rc, bad).to_string())?,
        (Format::Csv, _) => write_csv(out, &report, &checked)?,
        (Format::Table, Scope::Deal(_)) => write_deal_table(out, &report, &checked[0], &rc, bad)?,
        (Format::Table, Scope::All) => write_all_table(out, &report, &checked, &rc, bad)?,
    }
    if bad > 0 {
        return Err(ClientError::AuditMismatch(bad));
    }
    Ok(())
}

/// An amount check's side in `units` (the table), as stored otherwise.
fn shown(v: &str, amount: bool, units: &Token) -> String {
    match (amount, v.parse::<u128>()) {
        (true, Ok(n)) => units.format(n),
        _ => v.to_string(),
    }
}

/// "block #N (0x…), code 0x…".
fn where_read(r: &Audit) -> String {
    format!(
        "block #{} ({}), code hash {}",
        r.block,
        units::hex0x(r.hash.as_ref()),
        units::hex0x(&r.code_hash)
    )
}

fn finding_line(f: &Finding) -> String {
    let mut at = Vec::new();
    if let Some(d) = f.deal {
        at.push(format!("deal {}", d.0));
    }
    if let Some(m) = f.milestone {
        at.push(format!("milestone {m}"));
    }
    if let Some(b) = f.block {
        at.push(format!("block #{b}"));
    }
    if let Some(e) = f.event {
        at.push(e.to_string());
    }
    format!("  [{}] {}: {}", f.kind.name(), at.join(" "), f.detail)
}

fn finding_json(f: &Finding) -> Json {
    json!({
        "kind": f.kind.name(),
        "deal": f.deal.map(|d| d.0),
        "milestone": f.milestone,
        "block": f.block,
        "event": f.event,
        "detail": f.detail,
    })
}

fn check_json(c: &Check) -> Json {
    json!({"check": c.name, "events": c.events, "storage": c.storage, "ok": c.ok})
}

fn to_json(r: &Audit, checked: &[Checked], rc: &RenderCtx, bad: usize) -> Json {
    let deals: Vec<Json> = checked
        .iter()
        .map(|c| {
            let v = &c.deal.view;
            json!({
                "deal": v.id.0,
                "asset": asset_json(&v.deal.asset, rc),
                "status": format!("{:?}", v.deal.status),
                "deposited": v.deal.deposited.to_string(),
                "released": v.deal.released.to_string(),
                "fees": v.deal.fees.to_string(),
                "refunded": v.deal.refunded.to_string(),
                "locked": v.locked.to_string(),
                "events": c.deal.events.len(),
                "ok": c.checks.iter().all(|x| x.ok)
                    && !r.findings.iter().any(|f| f.deal == Some(v.id)),
                "checks": c.checks.iter().map(check_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut v = json!({
        "block": r.block,
        "hash": units::hex0x(r.hash.as_ref()),
        "code_hash": units::hex0x(&r.code_hash),
        "blocks_read": r.blocks_read,
        "ok": bad == 0,
        "mismatches": bad,
        "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "claims": r.claims.iter().map(|c| json!({
            "account": ss58(&c.account),
            "asset": asset_json(&c.asset, rc),
            "deferred": c.deferred.to_string(),
            "withdrawn": c.withdrawn.to_string(),
            "claimable": c.claimable.to_string(),
        })).collect::<Vec<_>>(),
        "solvency": r.solvency.iter().map(|s| json!({
            "asset": asset_json(&s.asset, rc),
            "held": s.held.to_string(),
            "locked": s.locked.to_string(),
            "claimable": s.claimable.to_string(),
            "ok": s.ok(),
        })).collect::<Vec<_>>(),
    });
    // One deal: its fields at the top level too, as before `--all` existed.
    if let [d] = deals.as_slice() {
        for key in ["deal", "asset", "events", "checks"] {
            v[key] = d[key].clone();
        }
    }
    v["deals"] = Json::Array(deals);
    v
}

fn write_csv(out: &mut impl Write, r: &Audit, checked: &[Checked]) -> Result<()> {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    w(out, "deal,check,events,storage,ok")?;
    for c in checked {
        for x in &c.checks {
            w(
                out,
                format!(
                    "{},{},{},{},{}",
                    c.deal.view.id.0,
                    q(&x.name),
                    q(&x.events),
                    q(&x.storage),
                    x.ok
                ),
            )?;
        }
    }
    for f in &r.findings {
        let deal = f.deal.map(|d| d.0.to_string()).unwrap_or_default();
        w(
            out,
            format!(
                "{deal},{},{},,false",
                q(f.kind.name()),
                q(finding_line(f).trim())
            ),
        )?;
    }
    Ok(())
}

/// One deal's checks and findings; `bad` counts them.
fn write_deal_table(
    out: &mut impl Write,
    r: &Audit,
    c: &Checked,
    rc: &RenderCtx,
    bad: usize,
) -> Result<()> {
    let asset = c.deal.view.deal.asset;
    let units = rc.units(&asset);
    w(
        out,
        format!(
            "audit of deal {} at {}: {} event(s) in {} block(s) read; paid in {}:",
            c.deal.view.id.0,
            where_read(r),
            c.deal.events.len(),
            r.blocks_read,
            rc.asset_label(&asset)
        ),
    )?;
    for x in &c.checks {
        w(
            out,
            format!(
                "  [{}] {:<56} events {:<24} storage {}",
                if x.ok { "ok" } else { "MISMATCH" },
                x.name,
                shown(&x.events, x.amount, &units),
                shown(&x.storage, x.amount, &units)
            ),
        )?;
    }
    for f in &r.findings {
        w(out, finding_line(f))?;
    }
    summary(out, bad)
}

fn write_all_table(
    out: &mut impl Write,
    r: &Audit,
    checked: &[Checked],
    rc: &RenderCtx,
    bad: usize,
) -> Result<()> {
    let events: usize = checked.iter().map(|c| c.deal.events.len()).sum();
    w(
        out,
        format!(
            "audit of {} deal(s) at {}: {events} event(s) in {} block(s) read",
            checked.len(),
            where_read(r),
            r.blocks_read
        ),
    )?;
    w(
        out,
        format!(
            "{:>6}  {:<10} {:>16} {:>16} {:>12} {:>16} {:>16}  result",
            "deal", "status", "deposited", "released", "fees", "refunded", "locked"
        ),
    )?;
    for c in checked {
        let v = &c.deal.view;
        let u = rc.units(&v.deal.asset);
        let bad = c.checks.iter().filter(|x| !x.ok).count()
            + r.findings.iter().filter(|f| f.deal == Some(v.id)).count();
        w(
            out,
            format!(
                "{:>6}  {:<10} {:>16} {:>16} {:>12} {:>16} {:>16}  {}",
                v.id.0,
                format!("{:?}", v.deal.status),
                u.format(v.deal.deposited),
                u.format(v.deal.released),
                u.format(v.deal.fees),
                u.format(v.deal.refunded),
                u.format(v.locked),
                if bad == 0 {
                    "ok".into()
                } else {
                    format!("{bad} finding(s)")
                }
            ),
        )?;
    }
    w(out, "solvency (held ≥ locked + claimable):")?;
    for s in &r.solvency {
        let u = rc.units(&s.asset);
        w(
            out,
            format!(
                "  [{}] {}: holds {}, owes {} locked + {} claimable",
                if s.ok() { "ok" } else { "INSOLVENT" },
                rc.asset_label(&s.asset),
                u.format(s.held),
                u.format(s.locked),
                u.format(s.claimable)
            ),
        )?;
    }
    for c in &r.claims {
        let u = rc.units(&c.asset);
        w(
            out,
            format!(
                "  claim of {}: deferred {} − withdrawn {} = claimable {}",
                ss58(&c.account),
                u.format(c.deferred),
                u.format(c.withdrawn),
                u.format(c.claimable)
            ),
        )?;
    }
    for c in checked {
        for x in c.checks.iter().filter(|x| !x.ok) {
            w(
                out,
                format!(
                    "  [conservation] deal {}: {}: events {}, storage {}",
                    c.deal.view.id.0, x.name, x.events, x.storage
                ),
            )?;
        }
    }
    for f in &r.findings {
        w(out, finding_line(f))?;
    }
    summary(out, bad)
}

fn summary(out: &mut impl Write, bad: usize) -> Result<()> {
    w(
        out,
        if bad == 0 {
            "audit ok".to_string()
        } else {
            format!("audit FAILED: {bad} mismatch(es) or violation(s)")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_client::audit::{compare::check_amount, Kind};

    #[test]
    fn amounts_show_in_the_asset_and_findings_name_where_they_are() {
        let usdt = Token {
            symbol: "USDT".into(),
            decimals: 6,
        };
        let c = check_amount("deposited", 100_000_000u128, 100_000_000u128);
        assert_eq!(shown(&c.events, c.amount, &usdt), "100 USDT");
        let f = Finding {
            kind: Kind::Rule,
            deal: Some(DealId(3)),
            milestone: Some(1),
            block: Some(55),
            event: Some("MilestoneReleased"),
            detail: "released on timeout at 10, but the review window ends at 20".into(),
        };
        assert_eq!(
            finding_line(&f),
            "  [rule] deal 3 milestone 1 block #55 MilestoneReleased: released on timeout \
             at 10, but the review window ends at 20"
        );
        assert_eq!(finding_json(&f)["kind"], "rule");
        assert_eq!(finding_json(&f)["block"], 55);
    }
}
