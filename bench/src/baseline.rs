//! The figures this bench must not regress from: the ink! contract deployed alone at commit
//! 861cbb3, the last bench before the release fast path was retired.
//!
//! Why a table in the source: that deployment no longer exists in the tree, so its figures
//! cannot be re-measured by this bench; they are copied from `git show 861cbb3:docs/bench.md`,
//! second table ("The same lifecycle on the ink! contract deployed alone (`escrow deploy
//! --plain`)"), measured on the same kind of node (`escrow-node --dev --tmp`) with the same
//! lifecycle as [`crate::scenarios`] runs, on a fresh instance. The bare transfer measured in
//! that run is kept too: if today's `bare_pay::pay` differs from it, the node's weights changed
//! and the comparison says so.

use crate::Weight;

/// The commit the figures come from, for the report.
pub const COMMIT: &str = "861cbb3";

/// `bare_pay::pay` in the same run at 861cbb3 (ref_time, proof_size).
pub const BARE_PAY: (u64, u64) = (103_726_609, 22_353);

/// Largest regression tolerated against these figures, in per mille (issue 12: 2%).
pub const TOLERANCE_PER_MILLE: u64 = 20;

/// (message row, ref_time, proof_size) at 861cbb3, `escrow deploy --plain`. The row names are
/// the lifecycle's (`crate::scenarios::Bench::lifecycle`), so each new row finds its old one.
pub const PLAIN: [(&str, u64, u64); 18] = [
    ("withdraw_proposal", 351_403_780, 103_358),
    ("propose (5 milestones)", 1_159_516_347, 269_450),
    ("accept + fund", 728_434_217, 174_704),
    ("fund", 600_986_945, 145_344),
    ("approve (release + fee)", 465_422_470, 113_806),
    ("submit", 443_543_377, 113_806),
    ("attest (quorum → release)", 487_811_795, 122_301),
    ("propose_amendment", 438_168_394, 113_822),
    ("accept_amendment", 437_012_346, 113_840),
    ("dispute", 445_175_503, 113_886),
    ("offer_settlement", 438_821_279, 113_970),
    ("accept_settlement (split)", 479_457_158, 114_004),
    ("resolve_dispute (split)", 479_003_429, 113_986),
    ("settle_milestone (timeout release)", 473_985_188, 113_886),
    ("close_deal", 628_145_619, 153_848),
    ("approve_through (3 milestones)", 822_046_535, 172_590),
    ("propose_cancel", 583_864_111, 145_478),
    ("accept_cancel (2 refunds)", 858_212_764, 193_784),
];

/// A lifecycle row's figures at 861cbb3.
pub fn plain(row: &str) -> Option<Weight> {
    PLAIN
        .iter()
        .find(|(name, ..)| *name == row)
        .map(|&(_, ref_time, proof_size)| Weight {
            ref_time,
            proof_size,
        })
}

/// The sum of rows' figures from `figures`, one term per row named (a name may repeat: the
/// reference deal submits twice). `None` if a row is missing.
pub fn priced<'a>(
    rows: impl IntoIterator<Item = &'a str>,
    figures: impl Fn(&str) -> Option<Weight>,
) -> Option<Weight> {
    rows.into_iter().try_fold(Weight::default(), |sum, row| {
        let w = figures(row)?;
        Some(Weight {
            ref_time: sum.ref_time + w.ref_time,
            proof_size: sum.proof_size + w.proof_size,
        })
    })
}

/// Whether `new` is more than `per_mille` ‰ above `old` (exact: no rounding lets 2.09% pass
/// as 2%).
pub fn exceeds(old: u64, new: u64, per_mille: u64) -> bool {
    u128::from(new) * 1000 > u128::from(old) * u128::from(1000 + per_mille)
}

/// Either dimension of `new` more than `per_mille` ‰ above `old`.
pub fn weight_exceeds(old: Weight, new: Weight, per_mille: u64) -> bool {
    exceeds(old.ref_time, new.ref_time, per_mille)
        || exceeds(old.proof_size, new.proof_size, per_mille)
}

/// `new` against `old` as a signed percentage, e.g. `+1.3%`.
pub fn change(old: u64, new: u64) -> String {
    format!(
        "{:+.1}%",
        (new as f64 - old as f64) * 100.0 / old.max(1) as f64
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::REFERENCE_STEPS;

    #[test]
    fn every_reference_step_has_an_old_row_and_the_old_deal_sums_as_documented() {
        let old = priced(REFERENCE_STEPS.iter().map(|s| s.like), plain)
            .expect("every reference step names a row of the 861cbb3 table");
        // docs/bench.md quotes this sum: propose + accept+fund + 2 × submit + attest +
        // approve + close_deal.
        assert_eq!(
            old,
            Weight {
                ref_time: 4_356_417_202,
                proof_size: 1_061_721,
            }
        );
    }

    #[test]
    fn row_names_are_unique() {
        for (i, (a, ..)) in PLAIN.iter().enumerate() {
            assert!(PLAIN[i + 1..].iter().all(|(b, ..)| a != b), "{a} twice");
        }
    }

    #[test]
    fn exceeds_is_exact_at_the_tolerance() {
        assert!(!exceeds(1000, 1020, 20));
        assert!(exceeds(1000, 1021, 20));
        assert!(exceeds(100_000, 102_001, 20));
        assert!(!exceeds(1000, 900, 20));
        assert_eq!(change(1000, 1013), "+1.3%");
        assert_eq!(change(1000, 987), "-1.3%");
    }
}
