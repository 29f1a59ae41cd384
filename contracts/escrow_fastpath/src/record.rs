//! A milestone record as stored bytes: where its fields sit, the part of it the release
//! rules read, and the bytes after a release or an attestation.
//!
//! Why not decode the whole `MilestoneRecord` with its derived codec: pallet-contracts'
//! wasmi charges every call ~7 fuel per byte of each function it reaches, and the derived
//! decoder and encoder of the record are ~4.4 KB of wasm, ~37 M ref_time per release,
//! a fifth of the 2× budget (docs/cost-model.md §6). A release changes three things (status,
//! outcome, attestations) in place; the rest of the record is copied as it is.
//!
//! The layout is SCALE's, of `escrow_types::MilestoneRecord` as derived: the tests below
//! check [`Parsed`], [`Parsed::partial`] and [`Parsed::patch`] against the derived codec for
//! every shape a record can take (each `Option` present or not, 0–5 oracles, every status).

use escrow_types::{MilestoneRecord, MilestoneStatus, Outcome, ReleaseContext, ReleaseRule};
use ink::prelude::vec::Vec;
use ink::primitives::AccountId;
use scale::{Decode, Encode};

/// Longest record: a context with five oracles (270 bytes), `next_amount` (16) and a
/// milestone with every `Option` present (236).
pub const MAX_RECORD: usize = 522;

/// Where the fields of one stored record start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    len: usize,
    amount: usize,
    ship_by: usize,
    status: usize,
    submitted_at: usize,
    attestations: usize,
    /// A pending amendment: a release would have to drop it, which the fast path leaves to
    /// the ink! contract.
    pub amendment_pending: bool,
    outcome: usize,
    context: usize,
    oracles: usize,
    oracle_count: usize,
    threshold: usize,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn skip(&mut self, n: usize) -> Option<usize> {
        let start = self.at;
        self.at = start.checked_add(n)?;
        (self.at <= self.bytes.len()).then_some(start)
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at = self.at.checked_add(1)?;
        Some(b)
    }

    /// An `Option` of an `n`-byte value; returns where it starts and whether it is `Some`.
    fn option(&mut self, n: usize) -> Option<(usize, bool)> {
        let start = self.at;
        match self.byte()? {
            0 => Some((start, false)),
            1 => self.skip(n).map(|_| (start, true)),
            _ => None,
        }
    }
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    array(bytes, at).map(u64::from_le_bytes)
}

fn account_at(bytes: &[u8], at: usize) -> Option<AccountId> {
    array::<32>(bytes, at).map(AccountId::from)
}

/// An `Option<u64>` at `at`.
fn option_u64(bytes: &[u8], at: usize) -> Option<Option<u64>> {
    match *bytes.get(at)? {
        0 => Some(None),
        _ => u64_at(bytes, at.checked_add(1)?).map(Some),
    }
}

/// A fieldless enum's byte at `at`, decoded by its derived codec.
fn enum_at<T: Decode>(bytes: &[u8], at: usize) -> Option<T> {
    T::decode(&mut bytes.get(at..)?).ok()
}

impl Parsed {
    /// Finds the fields of a stored record; `None` if `bytes` is not one.
    pub fn new(bytes: &[u8]) -> Option<Parsed> {
        let mut c = Cursor { bytes, at: 0 };
        // ReleaseContext: buyer, seller, fee_recipient, fee_bps, release_rule.
        let context = c.skip(32 * 3 + 2 + 1)?;
        // oracles: a compact length in its one-byte form (≤ 63), then the accounts.
        let len = c.byte()?;
        if len & 0b11 != 0 {
            return None;
        }
        let oracle_count = usize::from(len >> 2);
        let oracles = c.skip(oracle_count.checked_mul(32)?)?;
        // oracle_threshold, review_window, funded; then next_amount.
        let threshold = c.skip(1 + 8 + 1 + 16)?;
        // Milestone: amount, terms_hash.
        let amount = c.skip(16 + 32)?;
        let (ship_by, _) = c.option(8)?;
        // funded_from
        c.skip(16)?;
        let status = c.skip(1)?;
        // evidence_hash
        c.option(32)?;
        let (submitted_at, _) = c.option(8)?;
        let attestations = c.skip(1)?;
        // dispute: Option<Dispute { by, opened_at, reason_hash, offer: Option<Offer> }>
        match c.byte()? {
            0 => {}
            1 => {
                c.skip(1 + 8 + 32)?;
                c.option(1 + 16)?;
            }
            _ => return None,
        }
        let (_, amendment_pending) = c.option(1 + 8)?;
        let (outcome, _) = c.option(16 * 3)?;
        (c.at == bytes.len()).then_some(Parsed {
            len: c.at,
            amount,
            ship_by,
            status,
            submitted_at,
            attestations,
            amendment_pending,
            outcome,
            context,
            oracles,
            oracle_count,
            threshold,
        })
    }

    /// The record as far as the release rules read it: the milestone's amount, ship-by,
    /// status, submission time and attestations, and its whole context (oracles only if
    /// `with_oracles`). Everything else is left empty; see [`Parsed::patch`].
    pub fn partial(&self, bytes: &[u8], with_oracles: bool) -> Option<MilestoneRecord> {
        let c = self.context;
        let mut oracles = Vec::new();
        if with_oracles {
            for i in 0..self.oracle_count {
                oracles.push(account_at(
                    bytes,
                    self.oracles.checked_add(i.checked_mul(32)?)?,
                )?);
            }
        }
        let t = self.threshold;
        let mut record = MilestoneRecord {
            milestone: escrow_types::Milestone {
                amount: u128::from_le_bytes(array(bytes, self.amount)?),
                terms_hash: [0; 32],
                ship_by: option_u64(bytes, self.ship_by)?,
                funded_from: 0,
                status: enum_at::<MilestoneStatus>(bytes, self.status)?,
                evidence_hash: None,
                submitted_at: option_u64(bytes, self.submitted_at)?,
                attestations: *bytes.get(self.attestations)?,
                dispute: None,
                amendment: None,
                outcome: None,
            },
            context: ReleaseContext {
                buyer: account_at(bytes, c)?,
                seller: account_at(bytes, c.checked_add(32)?)?,
                fee_recipient: account_at(bytes, c.checked_add(64)?)?,
                fee_bps: u16::from_le_bytes(array(bytes, c.checked_add(96)?)?),
                release_rule: enum_at::<ReleaseRule>(bytes, c.checked_add(98)?)?,
                oracles,
                oracle_threshold: *bytes.get(t)?,
                review_window: u64_at(bytes, t.checked_add(1)?)?,
                funded: *bytes.get(t.checked_add(9)?)? != 0,
            },
            next_amount: 0,
        };
        // The outcome is `None` on every unsettled milestone; a settled one is never
        // released again, and its status says so.
        if *bytes.get(self.outcome)? != 0 {
            record.milestone.outcome = Some(Outcome::default());
        }
        Some(record)
    }

    /// Writes `record` (a [`Parsed::partial`] of `bytes`, after the rules changed it) back
    /// into `bytes`, in place: its status, attestations and outcome; every other byte stays.
    /// Returns the new length, or `None` (with `bytes` untouched) if the record changed in a
    /// way this cannot write: a pending amendment to drop, or an outcome already there.
    pub fn patch(&self, bytes: &mut [u8; MAX_RECORD], record: &MilestoneRecord) -> Option<usize> {
        // The outcome is the record's last field; `None` is one 0 byte.
        if self.amendment_pending
            || self.outcome.checked_add(1)? != self.len
            || bytes[self.outcome] != 0
        {
            return None;
        }
        let m = &record.milestone;
        let status = m.status.encode().first().copied()?;
        let Some(o) = m.outcome else {
            bytes[self.status] = status;
            bytes[self.attestations] = m.attestations;
            return Some(self.len);
        };
        let mut at = self.outcome.checked_add(1)?;
        let end = at.checked_add(48)?;
        if end > MAX_RECORD {
            return None;
        }
        bytes[self.status] = status;
        bytes[self.attestations] = m.attestations;
        bytes[self.outcome] = 1;
        for v in [o.to_seller, o.fee, o.to_buyer] {
            let next = at.checked_add(16)?;
            bytes.get_mut(at..next)?.copy_from_slice(&v.to_le_bytes());
            at = next;
        }
        Some(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_types::{Amendment, Dispute, Milestone, Offer, Role};

    fn acct(n: u8) -> AccountId {
        AccountId::from([n; 32])
    }

    /// Every shape of record: each Option present or not, 0–5 oracles, every status.
    fn shapes() -> Vec<MilestoneRecord> {
        let statuses = [
            MilestoneStatus::Pending,
            MilestoneStatus::Submitted,
            MilestoneStatus::Disputed,
            MilestoneStatus::Released,
            MilestoneStatus::Refunded,
            MilestoneStatus::Resolved,
        ];
        let mut all = Vec::new();
        for bits in 0u32..256 {
            for (si, status) in statuses.iter().enumerate() {
                let on = |b: u32| bits & (1 << b) != 0;
                let n_oracles = (bits as usize + si) % 6;
                let dispute = on(3).then(|| Dispute {
                    by: Role::Seller,
                    opened_at: 77,
                    reason_hash: [9; 32],
                    offer: on(4).then_some(Offer {
                        by: Role::Buyer,
                        seller_amount: 5,
                    }),
                });
                all.push(MilestoneRecord {
                    milestone: Milestone {
                        amount: 1_000_000_000_000 + u128::from(bits),
                        terms_hash: [3; 32],
                        ship_by: on(0).then_some(1_700_000_000_000),
                        funded_from: 42,
                        status: *status,
                        evidence_hash: on(1).then_some([4; 32]),
                        submitted_at: on(2).then_some(1_700_000_000_500),
                        attestations: (bits % 32) as u8,
                        dispute,
                        amendment: on(5).then_some(Amendment {
                            by: Role::Buyer,
                            new_ship_by: 1_800_000_000_000,
                        }),
                        outcome: on(6).then_some(Outcome {
                            to_seller: 1,
                            fee: 2,
                            to_buyer: 3,
                        }),
                    },
                    context: ReleaseContext {
                        buyer: acct(1),
                        seller: acct(2),
                        fee_recipient: acct(3),
                        fee_bps: 250,
                        release_rule: if on(7) {
                            ReleaseRule::BuyerOrOracles
                        } else {
                            ReleaseRule::Buyer
                        },
                        oracles: (0..n_oracles).map(|i| acct(10 + i as u8)).collect(),
                        oracle_threshold: n_oracles.min(2) as u8,
                        review_window: 86_400_000,
                        funded: si % 2 == 0,
                    },
                    next_amount: 7,
                });
            }
        }
        all
    }

    #[test]
    fn parse_finds_every_shape() {
        for r in shapes() {
            let bytes = r.encode();
            assert!(bytes.len() <= MAX_RECORD, "{}", bytes.len());
            let p = Parsed::new(&bytes).expect("parses");
            assert_eq!(p.amendment_pending, r.milestone.amendment.is_some());
            // Not a record: one byte short or long.
            assert_eq!(Parsed::new(&bytes[..bytes.len() - 1]), None);
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(Parsed::new(&longer), None);
        }
    }

    #[test]
    fn partial_agrees_with_the_derived_codec_on_what_the_rules_read() {
        for r in shapes() {
            let bytes = r.encode();
            let p = Parsed::new(&bytes).unwrap();
            let part = p.partial(&bytes, true).unwrap();
            let m = &r.milestone;
            let pm = &part.milestone;
            assert_eq!(
                (
                    pm.amount,
                    pm.ship_by,
                    pm.status,
                    pm.submitted_at,
                    pm.attestations
                ),
                (
                    m.amount,
                    m.ship_by,
                    m.status,
                    m.submitted_at,
                    m.attestations
                )
            );
            assert_eq!(pm.outcome.is_some(), m.outcome.is_some());
            assert_eq!(part.context, r.context);
            assert!(p.partial(&bytes, false).unwrap().context.oracles.is_empty());
            // The rules give the same answers on both.
            let now = 1_700_000_000_100;
            for who in [acct(1), acct(2), acct(10), acct(12)] {
                assert_eq!(part.check_buyer_release(&who), r.check_buyer_release(&who));
                assert_eq!(part.check_oracle(&who), r.check_oracle(&who));
            }
            assert_eq!(part.check_releasable(), r.check_releasable());
            for bit in [1u8, 4, 16] {
                assert_eq!(
                    part.check_attestable(bit, now),
                    r.check_attestable(bit, now)
                );
            }
            for t in [now, 1_700_086_400_500, 1_700_086_400_501] {
                assert_eq!(part.timeout_release_due(t), r.timeout_release_due(t));
            }
        }
    }

    #[test]
    fn patch_writes_what_the_derived_codec_would() {
        let mut patched = 0;
        for r in shapes() {
            let bytes = r.encode();
            let mut out = [0u8; MAX_RECORD];
            out[..bytes.len()].copy_from_slice(&bytes);
            let p = Parsed::new(&bytes).unwrap();
            // What the fast path does: attest, release.
            let mut full = r.clone();
            let mut part = p.partial(&bytes, false).unwrap();
            full.milestone.attestations |= 2;
            part.milestone.attestations |= 2;
            let (a, b) = (full.release(), part.release());
            assert_eq!(a, b);
            match p.patch(&mut out, &part) {
                None => {
                    assert!(r.milestone.amendment.is_some() || r.milestone.outcome.is_some());
                    assert_eq!(&out[..bytes.len()], &bytes[..], "untouched");
                }
                Some(len) => {
                    assert_eq!(&out[..len], &full.encode()[..]);
                    patched += 1;
                }
            }
        }
        // A quarter of the shapes: no pending amendment, no outcome yet.
        assert_eq!(patched, 384);
    }
}
