//! The markdown report, and the verdicts that decide the bench's exit code.

use crate::{
    baseline::{self, change, exceeds, weight_exceeds},
    scenarios::{sum, Step, TokenStep, REFERENCE_STEPS},
    session::{BlockLimits, Row},
    Res, Weight, FEE_BPS, FILL_BATCH, FLAT_TOLERANCE_PER_MILLE, UNIT,
};

/// Everything one run measured.
pub struct Measured {
    /// `bare_pay::pay`: one storage write and one transfer.
    pub base: Weight,
    pub limits: BlockLimits,
    /// The reference deal on a fresh instance, then again after the fill.
    pub reference: Vec<Step>,
    pub reference_large: Vec<Step>,
    /// The lifecycle on a fresh instance, then again after the fill.
    pub small: Vec<Row>,
    pub large: Vec<Row>,
    /// The deal count after the fill.
    pub count: u64,
    /// (fund, approve) on a 1- and on a 16-milestone deal.
    pub one: (Weight, Weight),
    pub sixteen: (Weight, Weight),
    pub escrow_size: usize,
    pub bare_size: usize,
    /// The reference deal paid in the stablecoin, and the stablecoin's code size.
    pub stablecoin: Vec<TokenStep>,
    pub stablecoin_size: usize,
    pub deposit: u128,
    pub deals: u32,
    pub fill_secs: f64,
}

/// What the figures say against the bench's two rules.
pub struct Verdict {
    /// No cost grew with the number of deals or of untouched milestones.
    pub flat: bool,
    /// No message, and not the whole deal, is worse than at 861cbb3 by more than 2%.
    pub within_baseline: bool,
}

fn ratio(a: u64, b: u64) -> String {
    format!("{:.2}", a as f64 / b.max(1) as f64)
}

/// Growth of `after` over `before` in either dimension, for the flatness columns.
fn growth(before: Weight, after: Weight) -> (String, bool) {
    let worst = [
        (before.ref_time, after.ref_time),
        (before.proof_size, after.proof_size),
    ]
    .into_iter()
    .max_by(|(b1, a1), (b2, a2)| {
        (*a1 as f64 / (*b1).max(1) as f64).total_cmp(&(*a2 as f64 / (*b2).max(1) as f64))
    })
    .unwrap_or_default();
    let grew = weight_exceeds(before, after, FLAT_TOLERANCE_PER_MILLE);
    (change(worst.0, worst.1), grew)
}

/// How many times `used` fits in `limit`, and the dimension that binds.
fn fits(limit: Weight, used: Weight) -> (u64, &'static str) {
    let by_time = limit.ref_time / used.ref_time.max(1);
    let by_proof = limit.proof_size / used.proof_size.max(1);
    if by_time <= by_proof {
        (by_time, "ref_time")
    } else {
        (by_proof, "proof_size")
    }
}

pub fn render(m: &Measured) -> Res<(String, Verdict)> {
    let mut v = Verdict {
        flat: true,
        within_baseline: true,
    };
    let mut md = String::new();
    reference_section(m, &mut md, &mut v)?;
    stablecoin_section(m, &mut md);
    messages_section(m, &mut md, &mut v)?;
    milestones_section(m, &mut md, &mut v);
    md.push_str("\n## Code size and deposits\n\n");
    md.push_str(&format!(
        "- milestone_escrow optimized .wasm: {} bytes ({} messages measured here)\n\
         - bare_pay optimized .wasm: {} bytes\n\
         - stablecoin optimized .wasm: {} bytes\n\
         - storage deposit charged for proposing a 5-milestone deal: {} plancks ({:.4} UNIT)\n\
         - filling the contract with {} deals took {:.0} s ({FILL_BATCH} proposals per `Utility.batch_all`)\n",
        m.escrow_size,
        m.small.len(),
        m.bare_size,
        m.stablecoin_size,
        m.deposit,
        m.deposit as f64 / UNIT as f64,
        m.deals,
        m.fill_secs
    ));
    Ok((md, v))
}

/// The reference deal in the stablecoin against the same deal in the native token.
fn stablecoin_section(m: &Measured, md: &mut String) {
    let native = sum(m.reference.iter().map(|s| s.gas));
    let token = sum(m.stablecoin.iter().map(|s| s.gas));
    md.push_str(
        "## The reference deal in the stablecoin\n\n\
         The same deal paid in the repo's PSP22 stablecoin (`contracts/stablecoin`, 6 \
         decimals): the buyer accepts without value, approves the escrow on the token for the \
         deal's total, and deposits with `fund_tokens`, which pulls the tokens with \
         `transfer_from` and checks the escrow's token balance before and after; every payout \
         is the token's `transfer`. Measured on a fresh instance, after the native reference \
         deal.\n\n\
         | step | ref_time | proof_size | transfers |\n|---|---:|---:|---:|\n",
    );
    for s in &m.stablecoin {
        md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            s.name, s.gas.ref_time, s.gas.proof_size, s.payments
        ));
    }
    let payments: u32 = m.stablecoin.iter().map(|s| s.payments).sum();
    md.push_str(&format!(
        "| **whole deal** | **{}** | **{}** | **{payments}** |\n\n\
         - **Against the same deal in the native token** (ref_time {}, proof_size {}): \
         {}× in ref_time, {}× in proof_size, the token's `approve` included.\n\n",
        token.ref_time,
        token.proof_size,
        native.ref_time,
        native.proof_size,
        ratio(token.ref_time, native.ref_time),
        ratio(token.proof_size, native.proof_size),
    ));
}

fn reference_section(m: &Measured, md: &mut String, v: &mut Verdict) -> Res<()> {
    let gas = sum(m.reference.iter().map(|s| s.gas));
    let block = sum(m.reference.iter().map(|s| s.block));
    let payments: u32 = m.reference.iter().map(|s| s.payments).sum();
    let floor = Weight {
        ref_time: m.base.ref_time * u64::from(payments),
        proof_size: m.base.proof_size * u64::from(payments),
    };
    let count = m.count;
    md.push_str(&format!(
        "## The reference deal\n\n\
         3 milestones of 300/400/300 UNIT (30/40/30), milestone 0 an advance, one oracle \
         (threshold 1), an arbiter, the instance fee {}%. The seller proposes; the buyer \
         accepts and funds the whole deal in one call, which pays the advance; the seller \
         submits milestone 1 and the oracle attests it; the seller submits milestone 2 and \
         the buyer approves it; anyone closes the deal. Milestones are numbered from 0 as the \
         contract numbers them: milestone 0 is the advance, so once milestones 1 and 2 are \
         released every milestone is settled, which is what `close_deal` requires.\n\n\
         Measured first, on a fresh instance; each step's figure is the dry-run \
         `gas_consumed` in the exact state the step is then submitted in. The last columns \
         repeat the deal after {count} deals were proposed.\n\n\
         | step | ref_time | proof_size | transfers | ref_time with {count} deals | proof_size with {count} deals | growth |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        f64::from(FEE_BPS) / 100.0
    ));
    for (s, l) in m.reference.iter().zip(&m.reference_large) {
        let (g, grew) = growth(s.gas, l.gas);
        v.flat &= !grew;
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {g} |\n",
            s.spec.name,
            s.gas.ref_time,
            s.gas.proof_size,
            s.payments,
            l.gas.ref_time,
            l.gas.proof_size
        ));
    }
    let large = sum(m.reference_large.iter().map(|s| s.gas));
    let (g, grew) = growth(gas, large);
    v.flat &= !grew;
    md.push_str(&format!(
        "| **whole deal** | **{}** | **{}** | **{payments}** | {} | {} | {g} |\n\n",
        gas.ref_time, gas.proof_size, large.ref_time, large.proof_size
    ));

    md.push_str(&format!(
        "- **Total: ref_time {}, proof_size {}.**\n\
         - **Against the floor: {}× in ref_time, {}× in proof_size.** The floor is \
         `bare_pay::pay` (ref_time {}, proof_size {}) × {payments} payments = ref_time {}, \
         proof_size {}. Payments are the transfers out of the contract that the deal's events \
         record: each release pays the seller and the fee recipient (the fee is \
         {}%, never 0 on these amounts), and the deal releases three milestones (the \
         advance on acceptance, milestone 1 on attestation, milestone 2 on approval): 3 × 2 \
         = 6. Refunds and splits would count one transfer per non-zero share; a payout the \
         chain refused (`PayoutDeferred`) would not count.\n",
        gas.ref_time,
        gas.proof_size,
        ratio(gas.ref_time, floor.ref_time),
        ratio(gas.proof_size, floor.proof_size),
        m.base.ref_time,
        m.base.proof_size,
        floor.ref_time,
        floor.proof_size,
        f64::from(FEE_BPS) / 100.0,
    ));
    let (normal, binds) = fits(m.limits.normal, block);
    let (whole, _) = fits(m.limits.max_block, block);
    md.push_str(&format!(
        "- **Deals per block: {normal}** at the normal-class limit, {whole} at the whole \
         `max_block`. Both limits are read from the chain (the runtime constant \
         `System::BlockWeights`): `max_block` is ref_time {}, proof_size {}; \
         `per_class.normal.max_total` is ref_time {}, proof_size {}. The normal-class figure \
         is the one that holds: every contract call is a Normal dispatch, and the runtime \
         reserves the rest of `max_block` for operational and mandatory ones \
         (node/runtime/src/lib.rs, `NORMAL_DISPATCH_RATIO`). A deal is counted at what its \
         {} transactions took from their blocks' normal-class budget, read from \
         `System::BlockWeight` of each transaction's block: ref_time {}, proof_size {} (the \
         dry-run totals plus each transaction's base extrinsic weight and `Contracts.call`'s \
         own dispatch weight). {binds} binds.\n\n",
        m.limits.max_block.ref_time,
        m.limits.max_block.proof_size,
        m.limits.normal.ref_time,
        m.limits.normal.proof_size,
        m.reference.len(),
        block.ref_time,
        block.proof_size,
    ));
    whole_deal_against_baseline(m, gas, md, v)
}

/// The 2% rule for the whole deal. The reference deal was never measured at 861cbb3, so
/// its old total is priced from that run's lifecycle rows, and the rule compares it with this
/// run's lifecycle rows priced the same way: like for like.
fn whole_deal_against_baseline(
    m: &Measured,
    measured: Weight,
    md: &mut String,
    v: &mut Verdict,
) -> Res<()> {
    let steps = || REFERENCE_STEPS.iter().map(|s| s.like);
    let old = baseline::priced(steps(), baseline::plain)
        .ok_or("a reference step names no row of the 861cbb3 table")?;
    let now = |row: &str| m.small.iter().find(|r| r.name == row).map(|r| r.gas);
    let new = baseline::priced(steps(), now)
        .ok_or("a reference step names no row of this run's lifecycle")?;
    let worse = weight_exceeds(old, new, baseline::TOLERANCE_PER_MILLE);
    v.within_baseline &= !worse;
    let commit = baseline::COMMIT;
    md.push_str(&format!(
        "### The whole deal against {commit} (`escrow deploy --plain`)\n\n\
         | whole deal | ref_time | proof_size |\n|---|---:|---:|\n\
         | {commit} `--plain`, priced from its lifecycle rows | {} | {} |\n\
         | now, priced from this run's lifecycle rows | {} | {} |\n\
         | **change** (rule: at most +2.0%) | **{}** | **{}** |\n\
         | now, the reference deal as measured above | {} | {} |\n\n\
         The reference deal was not measured at {commit}, so its old total is priced from that \
         run's per-message figures (bench/src/baseline.rs): each step counts the lifecycle row \
         that measures the same message: {}. Those rows come from the lifecycle's deal (5 \
         milestones, no advance), so the priced total is not the deal measured above: its \
         `propose` writes two more milestone records, its `accept + fund` pays no advance, its \
         `close_deal` reads five milestones. The 2% rule is therefore checked like for like, \
         on this run's lifecycle rows priced the same way{}.\n\n",
        old.ref_time,
        old.proof_size,
        new.ref_time,
        new.proof_size,
        change(old.ref_time, new.ref_time),
        change(old.proof_size, new.proof_size),
        measured.ref_time,
        measured.proof_size,
        REFERENCE_STEPS
            .iter()
            .map(|s| format!("{} ← \"{}\"", s.name, s.like))
            .collect::<Vec<_>>()
            .join("; "),
        if worse {
            ": **it is broken** (the bench exits 1)"
        } else {
            ""
        },
    ));
    Ok(())
}

fn messages_section(m: &Measured, md: &mut String, v: &mut Verdict) -> Res<()> {
    let (count, commit) = (m.count, baseline::COMMIT);
    let (old_rt, old_ps) = baseline::BARE_PAY;
    md.push_str(&format!(
        "## Per-message cost (dry-run gas_consumed, release builds, same node, same run)\n\n\
         The instance is deployed as `escrow deploy` does: the bundle's code through its \
         constructor `new`. Every mutating message along deals' lives, each measured in the \
         state it is then submitted in, on a fresh instance and again after {count} deals.\n\n\
         Baseline `bare_pay::pay` (one storage write, one transfer): ref_time {}, proof_size {} \
         (at {commit}: {old_rt}, {old_ps}).\n\n\
         \"vs {commit} --plain\": this run's figure against the same row at {commit}, the ink! \
         contract deployed alone (bench/src/baseline.rs, from `git show \
         {commit}:docs/bench.md`), ref_time / proof_size; the bench exits 1 if either is \
         worse by more than 2%.\n\n\
         | message | ref_time | proof_size | × bare ref_time | × bare proof_size | vs {commit} --plain | ref_time with {count} deals | proof_size with {count} deals | growth |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        m.base.ref_time, m.base.proof_size
    ));
    for (s, l) in m.small.iter().zip(&m.large) {
        let (g, grew) = growth(s.gas, l.gas);
        v.flat &= !grew;
        let old = baseline::plain(s.name)
            .ok_or_else(|| format!("the {commit} table has no row \"{}\"", s.name))?;
        let tol = baseline::TOLERANCE_PER_MILLE;
        let mut mark = |o: u64, n: u64| {
            let c = change(o, n);
            if exceeds(o, n, tol) {
                v.within_baseline = false;
                format!("**{c}**")
            } else {
                c
            }
        };
        let vs = format!(
            "{} / {}",
            mark(old.ref_time, s.gas.ref_time),
            mark(old.proof_size, s.gas.proof_size)
        );
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {vs} | {} | {} | {g} |\n",
            s.name,
            s.gas.ref_time,
            s.gas.proof_size,
            ratio(s.gas.ref_time, m.base.ref_time),
            ratio(s.gas.proof_size, m.base.proof_size),
            l.gas.ref_time,
            l.gas.proof_size,
        ));
    }
    Ok(())
}

fn milestones_section(m: &Measured, md: &mut String, v: &mut Verdict) {
    md.push_str("\n## Cost against milestones a message doesn't touch\n\n");
    md.push_str("| message | 1-milestone deal (ref_time / proof_size) | 16-milestone deal | growth |\n|---|---:|---:|---:|\n");
    for (name, one, sixteen) in [
        ("fund (milestone 0)", m.one.0, m.sixteen.0),
        ("approve (milestone 0)", m.one.1, m.sixteen.1),
    ] {
        let (g, grew) = growth(one, sixteen);
        v.flat &= !grew;
        md.push_str(&format!(
            "| {name} | {} / {} | {} / {} | {g} |\n",
            one.ref_time, one.proof_size, sixteen.ref_time, sixteen.proof_size
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(ref_time: u64, proof_size: u64) -> Weight {
        Weight {
            ref_time,
            proof_size,
        }
    }

    #[test]
    fn deals_per_block_is_bound_by_the_scarcer_dimension() {
        assert_eq!(fits(w(1_500, u64::MAX), w(100, 10)), (15, "ref_time"));
        assert_eq!(fits(w(1_500, 50), w(100, 10)), (5, "proof_size"));
    }

    #[test]
    fn growth_reports_the_worse_dimension_and_the_tolerance() {
        assert_eq!(
            growth(w(1000, 1000), w(1000, 1000)),
            ("+0.0%".into(), false)
        );
        assert_eq!(growth(w(1000, 1000), w(1005, 1020)), ("+2.0%".into(), true));
        assert_eq!(growth(w(1000, 1000), w(1010, 990)), ("+1.0%".into(), false));
    }
}
