//! The messages' pure checks (`ensure_*`) and the rules they decide on: plain functions of
//! the records and the clock, with no storage access, so that each message reads as a list
//! of named checks followed by its effects.
use escrow_types::*;
use ink::{prelude::vec::Vec, primitives::AccountId};

/// What a clock has made due for a milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DueAction {
    /// Review window over: pay the seller.
    Release,
    /// Ship-by missed, or funding closed: refund the funded part.
    Refund(RefundReason),
    /// Arbitration window over: apply the fallback split.
    Fallback,
}

/// The role `caller` proposes `terms` in: the buyer or the seller.
pub(crate) fn proposer_role(terms: &DealTerms, caller: AccountId) -> Result<Role, Error> {
    if caller == terms.buyer {
        Ok(Role::Buyer)
    } else if caller == terms.seller {
        Ok(Role::Seller)
    } else {
        Err(Error::CallerIsNotParty)
    }
}

/// Everyone the terms name, in the order the account index records them: buyer, seller,
/// arbiter, oracles, funder.
pub(crate) fn participants(terms: &DealTerms) -> Vec<AccountId> {
    let mut all: Vec<AccountId> = Vec::with_capacity(9);
    all.push(terms.buyer);
    all.push(terms.seller);
    all.extend(terms.arbiter);
    all.extend(terms.oracles.iter().copied());
    all.extend(terms.funder);
    all
}

/// Checks proposed terms; returns their total.
pub(crate) fn validate_terms(terms: &DealTerms, now: Timestamp) -> Result<Balance, Error> {
    if terms.milestones.is_empty() {
        return Err(Error::NoMilestones);
    }
    if terms.milestones.len() > usize::from(MAX_MILESTONES) {
        return Err(Error::TooManyMilestones);
    }
    if terms.oracles.len() > usize::from(MAX_ORACLES) {
        return Err(Error::TooManyOracles);
    }
    ensure_distinct_roles(terms)?;
    ensure_oracle_threshold(terms)?;
    if terms.fallback_seller_bps > BPS_DENOMINATOR {
        return Err(Error::InvalidBps);
    }
    for window in [terms.review_window, terms.arbitration_window] {
        if window == 0 || window > MAX_WINDOW_MS {
            return Err(Error::InvalidWindow);
        }
    }
    if terms.fund_by <= now {
        return Err(Error::FundByInPast);
    }
    milestones_total(terms, now)
}

/// No role is the all-zero account, and no account holds two roles.
fn ensure_distinct_roles(terms: &DealTerms) -> Result<(), Error> {
    let zero = AccountId::from([0u8; 32]);
    let roles = participants(terms);
    for (i, who) in roles.iter().enumerate() {
        if *who == zero {
            return Err(Error::ZeroAccount);
        }
        if roles
            .iter()
            .skip(i.saturating_add(1))
            .any(|other| other == who)
        {
            return Err(Error::DuplicateRole);
        }
    }
    Ok(())
}

/// `0 < threshold <= oracles`, or no oracles, no threshold and a rule that does not need them.
fn ensure_oracle_threshold(terms: &DealTerms) -> Result<(), Error> {
    let oracle_count = terms.oracles.len();
    let threshold = usize::from(terms.oracle_threshold);
    let threshold_ok = if oracle_count == 0 {
        threshold == 0 && !terms.release_rule.oracles_may_release()
    } else {
        threshold >= 1 && threshold <= oracle_count
    };
    if threshold_ok {
        Ok(())
    } else {
        Err(Error::InvalidThreshold)
    }
}

/// The milestones' total, once each has an amount and a ship-by still ahead.
fn milestones_total(terms: &DealTerms, now: Timestamp) -> Result<Balance, Error> {
    let mut total: Balance = 0;
    for m in &terms.milestones {
        if m.amount == 0 {
            return Err(Error::ZeroAmount);
        }
        if m.ship_by <= now {
            return Err(Error::ShipByInPast);
        }
        total = total.checked_add(m.amount).ok_or(Error::AmountOverflow)?;
    }
    Ok(total)
}

/// The record of a deal as proposed: nothing deposited, nothing accepted yet.
pub(crate) fn proposed_deal(
    terms: &DealTerms,
    proposer: Role,
    terms_hash: Digest,
    milestone_count: u8,
    total: Balance,
    now: Timestamp,
) -> DealRecord {
    DealRecord {
        buyer: terms.buyer,
        seller: terms.seller,
        oracles: terms.oracles.clone(),
        oracle_threshold: terms.oracle_threshold,
        arbiter: terms.arbiter,
        release_rule: terms.release_rule,
        review_window: terms.review_window,
        arbitration_window: terms.arbitration_window,
        fallback_seller_bps: terms.fallback_seller_bps,
        advance: terms.advance,
        agreement_hash: terms.agreement_hash,
        funder: terms.funder,
        fund_by: terms.fund_by,
        asset: terms.asset,
        terms_hash,
        milestone_count,
        total,
        proposer,
        status: DealStatus::Proposed,
        proposed_at: now,
        accepted_at: None,
        deposited: 0,
        funded_count: 0,
        funding_mark: terms.milestones.first().map_or(0, |m| m.amount),
        funding_closed: false,
        cancel_proposed_by: None,
        last_event_block: 0,
    }
}

/// A fresh milestone record: `funded_from` is the sum of the amounts before it (deposits
/// cover milestones in order).
pub(crate) fn proposed_milestone(
    m: &MilestoneTerms,
    funded_from: Balance,
    context: ReleaseContext,
    next_amount: Balance,
) -> MilestoneRecord {
    MilestoneRecord {
        milestone: Milestone {
            amount: m.amount,
            terms_hash: m.terms_hash,
            ship_by: m.ship_by,
            funded_from,
            status: MilestoneStatus::Pending,
            evidence_hash: None,
            submitted_at: None,
            attestations: 0,
            dispute: None,
            amendment: None,
            outcome: None,
            last_event_block: 0,
        },
        context,
        next_amount,
    }
}

/// `role` answers a proposal (of a deal, settlement, cancellation or amendment) that
/// `proposer` made: nobody accepts their own.
pub(crate) fn ensure_not_own(proposer: Role, role: Role) -> Result<(), Error> {
    if proposer == role {
        Err(Error::CannotAcceptOwnProposal)
    } else {
        Ok(())
    }
}

/// `accept`'s checks on the terms, the funding clock and the value sent with it. A deal
/// whose funding deadline has passed can no longer be accepted: the proposal has expired.
pub(crate) fn ensure_acceptable(
    deal: &DealRecord,
    role: Role,
    terms_hash: Digest,
    value: Balance,
    now: Timestamp,
) -> Result<(), Error> {
    if terms_hash != deal.terms_hash {
        return Err(Error::TermsHashMismatch);
    }
    if now > deal.fund_by {
        return Err(Error::FundingDeadlinePassed);
    }
    // Only the buyer sends value, and only for a native deal (a token deal is funded
    // with `fund_tokens`).
    if value > 0 && (role != Role::Buyer || deal.asset != Asset::Native) {
        return Err(Error::UnexpectedValue);
    }
    ensure_deposit_fits(deal, value, now)
}

/// `fund`'s caller check: the buyer, or the funder the terms name.
pub(crate) fn ensure_funder(deal: &DealRecord, caller: &AccountId) -> Result<(), Error> {
    deal.funding().ensure_funder(caller)
}

/// A proposal's asset is usable: a token must be a real account other than the escrow
/// `this` (whether it is a PSP22 contract shows at the first deposit, which fails if not).
pub(crate) fn ensure_asset(asset: &Asset, this: &AccountId) -> Result<(), Error> {
    match asset {
        Asset::Psp22(token) if *token == AccountId::from([0u8; 32]) || token == this => {
            Err(Error::InvalidAsset)
        }
        _ => Ok(()),
    }
}

/// `fund_tokens`' asset check: the deal is paid in a token; returns it.
pub(crate) fn ensure_token_deal(deal: &DealRecord) -> Result<AccountId, Error> {
    deal.asset.token().ok_or(Error::WrongAsset)
}

/// Who may become a milestone's payee: a real account other than the escrow `this`.
pub(crate) fn ensure_assignee(to: &AccountId, this: &AccountId) -> Result<(), Error> {
    if *to == AccountId::from([0u8; 32]) {
        return Err(Error::ZeroAccount);
    }
    if to == this {
        return Err(Error::AssigneeIsContract);
    }
    Ok(())
}

/// A deposit of `value` is allowed at `now`: funding open, its deadline not passed, and
/// the total not exceeded (`escrow_types::Funding`, the rules clients decide with too).
pub(crate) fn ensure_deposit_fits(
    deal: &DealRecord,
    value: Balance,
    now: Timestamp,
) -> Result<(), Error> {
    deal.funding().ensure_fits(value, now)
}

pub(crate) fn ensure_status(found: DealStatus, allowed: &[DealStatus]) -> Result<(), Error> {
    if allowed.contains(&found) {
        Ok(())
    } else {
        Err(Error::WrongDealState { found })
    }
}

pub(crate) fn ensure_milestone_status(
    m: &Milestone,
    allowed: &[MilestoneStatus],
) -> Result<(), Error> {
    if allowed.contains(&m.status) {
        Ok(())
    } else {
        Err(Error::WrongMilestoneState { found: m.status })
    }
}

/// `submit`'s milestone checks: pending, funded, and its ship-by not passed at `now`.
pub(crate) fn ensure_submittable(m: &MilestoneRecord, now: Timestamp) -> Result<(), Error> {
    ensure_milestone_status(m, &[MilestoneStatus::Pending])?;
    if !m.context.funded {
        return Err(Error::MilestoneNotFunded);
    }
    ensure_ship_by_ahead(m, now)
}

/// `dispute`'s milestone checks: submitted, and its review window still open at `now`.
pub(crate) fn ensure_disputable(m: &MilestoneRecord, now: Timestamp) -> Result<(), Error> {
    ensure_milestone_status(m, &[MilestoneStatus::Submitted])?;
    if now > m.review_end() {
        return Err(Error::ReviewWindowClosed);
    }
    Ok(())
}

/// The arbitration window of a disputed milestone still runs at `now` (its end inclusive):
/// settlements and rulings are allowed only then. Once it has ended, only the fallback split
/// (`settle_milestone`, `settle_due`) ends the dispute, so a party the fallback favours
/// cannot be outrun by a late ruling or a stale offer.
pub(crate) fn ensure_arbitration_open(
    deal: &DealRecord,
    m: &Milestone,
    now: Timestamp,
) -> Result<(), Error> {
    if now > arbitration_end(deal, m) {
        return Err(Error::ArbitrationWindowClosed);
    }
    Ok(())
}

/// When a disputed milestone's arbitration window ends (inclusive).
pub(crate) fn arbitration_end(deal: &DealRecord, m: &Milestone) -> Timestamp {
    m.dispute
        .map(|d| d.opened_at)
        .unwrap_or(0)
        .saturating_add(deal.arbitration_window)
}

/// A disputed milestone, and a seller's part that fits in its amount.
pub(crate) fn ensure_split_fits(m: &Milestone, seller_amount: Balance) -> Result<(), Error> {
    ensure_milestone_status(m, &[MilestoneStatus::Disputed])?;
    if seller_amount > m.amount {
        return Err(Error::SplitExceedsAmount);
    }
    Ok(())
}

/// `propose_amendment`'s milestone checks: pending, its current ship-by not passed (the
/// buyer's refund right is earned then), and `new_ship_by` later than it.
pub(crate) fn ensure_extension(
    m: &Milestone,
    new_ship_by: Timestamp,
    now: Timestamp,
) -> Result<(), Error> {
    ensure_milestone_status(m, &[MilestoneStatus::Pending])?;
    ensure_ship_by_ahead(m, now)?;
    if new_ship_by <= m.ship_by {
        return Err(Error::NotAnExtension);
    }
    Ok(())
}

/// The milestone's ship-by has not passed at `now` (inclusive).
pub(crate) fn ensure_ship_by_ahead(m: &Milestone, now: Timestamp) -> Result<(), Error> {
    if now > m.ship_by {
        return Err(Error::ShipByPassed);
    }
    Ok(())
}

/// `role` may withdraw a proposal `proposer` made (a cancellation or an amendment).
pub(crate) fn ensure_own(proposer: Role, role: Role) -> Result<(), Error> {
    if proposer == role {
        Ok(())
    } else {
        Err(Error::CallerIsNotProposer)
    }
}

/// Whether a deposit that completes milestone 0 pays it out as the advance. Past its ship-by
/// the advance belongs to the buyer's refund right: a late top-up must not turn that refund
/// into a payment to the seller.
pub(crate) fn advance_due(deal: &DealRecord, m: &Milestone, index: u8, now: Timestamp) -> bool {
    index == 0
        && deal.advance
        && deal.status == DealStatus::Active
        && m.status == MilestoneStatus::Pending
        && now <= m.ship_by
}

/// What the clocks make due for `m` at `now`, or the error saying why nothing is.
pub(crate) fn due_action(
    deal: &DealRecord,
    m: &MilestoneRecord,
    now: Timestamp,
) -> Result<DueAction, Error> {
    match m.status {
        MilestoneStatus::Submitted => {
            if m.timeout_release_due(now) {
                Ok(DueAction::Release)
            } else {
                Err(Error::ReviewWindowOpen)
            }
        }
        MilestoneStatus::Pending => {
            if now > m.ship_by {
                Ok(DueAction::Refund(RefundReason::ShipByMissed))
            } else if m.context.funded {
                Err(Error::ShipByNotPassed)
            } else if now > deal.fund_by {
                Ok(DueAction::Refund(RefundReason::FundingDeadlinePassed))
            } else if deal.funding_closed {
                Ok(DueAction::Refund(RefundReason::FundingClosed))
            } else {
                Err(Error::ShipByNotPassed)
            }
        }
        MilestoneStatus::Disputed => {
            if now > arbitration_end(deal, m) {
                Ok(DueAction::Fallback)
            } else {
                Err(Error::ArbitrationWindowOpen)
            }
        }
        found => Err(Error::WrongMilestoneState { found }),
    }
}
