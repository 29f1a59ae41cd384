//! The contract's storage layout: what is stored under which key, and the rules that read
//! only one milestone record.
//!
//! The ink! contract (`milestone_escrow`) is the only code that writes this storage; clients
//! (the CLI's audit, the bench) decode it with the same types.
//!
//! Why the layout looks like this (docs/cost-model.md §5): on pallet-contracts every storage
//! access costs ~10.3 KB of proof, whatever its size. A release therefore reads and writes
//! exactly one record, its milestone's: a [`MilestoneRecord`] carries a copy of everything a
//! release needs from its deal ([`ReleaseContext`]), and the deal's totals and settled count
//! are not stored but summed over its ≤ 16 milestones when read. Closure is derived the same
//! way; `close_deal` records it with the `DealClosed` event.

use alloc::vec::Vec;
use ink::primitives::AccountId;

use crate::{
    seller_payment, Asset, Balance, BlockNumber, Deal, DealStatus, Digest, Error, Milestone,
    MilestoneStatus, Outcome, ReleaseRule, Role, Timestamp,
};

/// Storage keys. The mappings use `ManualKey`s: ink!'s `Mapping<K, V, ManualKey<N>>` stores
/// `key` under `SCALE((N, key))`, so the keys do not move when a field is added to the
/// contract's storage struct, and a client or auditor can read an entry by computing its key.
pub mod keys {
    /// ink!'s root key: the [`Instance`](super::Instance) lives here.
    pub const ROOT: u32 = 0;
    /// `DealId` → [`DealRecord`](super::DealRecord).
    pub const DEALS: u32 = 0x6465_616c;
    /// `(DealId, u8)` → [`MilestoneRecord`](super::MilestoneRecord).
    pub const MILESTONES: u32 = 0x6d69_6c65;
    /// `(AccountId, u32)` → `DealId`: an account's n-th deal.
    pub const ACCOUNT_DEALS: u32 = 0x6163_646c;
    /// `AccountId` → `u32`: how many deals an account takes part in.
    pub const ACCOUNT_DEAL_COUNT: u32 = 0x6163_6e74;
    /// `(AccountId, Asset)` → [`Claim`](super::Claim): payouts the chain (native) or the
    /// token refused, waiting for `withdraw` / `withdraw_tokens`.
    pub const CLAIMABLE: u32 = 0x636c_616d;
}

/// The instance's fixed configuration and deal counter: ink!'s root storage cell.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Receives the fee on every payment to a seller.
    pub fee_recipient: AccountId,
    /// The fee, in basis points (≤ [`MAX_FEE_BPS`](crate::MAX_FEE_BPS)).
    pub fee_bps: u16,
    /// The id the next proposed deal gets.
    pub next_deal_id: u64,
}

impl Instance {
    /// A fresh instance of the contract at `this`, if the fee configuration is allowed.
    ///
    /// # Errors
    /// - [`Error::FeeTooHigh`] if `fee_bps > MAX_FEE_BPS`.
    /// - [`Error::ZeroAccount`] if `fee_recipient` is the all-zero account while a fee is set.
    /// - [`Error::FeeRecipientIsContract`] if `fee_recipient` is `this`: fees paid to the
    ///   contract would sit in its balance owed to nobody.
    pub fn new(this: AccountId, fee_recipient: AccountId, fee_bps: u16) -> Result<Self, Error> {
        if fee_bps > crate::MAX_FEE_BPS {
            return Err(Error::FeeTooHigh);
        }
        if fee_bps > 0 && fee_recipient == AccountId::from([0u8; 32]) {
            return Err(Error::ZeroAccount);
        }
        if fee_recipient == this {
            return Err(Error::FeeRecipientIsContract);
        }
        Ok(Self {
            fee_recipient,
            fee_bps,
            next_deal_id: 0,
        })
    }
}

/// A deal's stored record. Unlike the [`Deal`] reads return, it holds no totals and no
/// settled count: releases never write it (see the module docs).
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealRecord {
    /// The importer.
    pub buyer: AccountId,
    /// The exporter.
    pub seller: AccountId,
    /// Attesting services.
    pub oracles: Vec<AccountId>,
    /// Attestations needed.
    pub oracle_threshold: u8,
    /// Dispute arbiter.
    pub arbiter: Option<AccountId>,
    /// Who may release.
    pub release_rule: ReleaseRule,
    /// Review window, ms.
    pub review_window: u64,
    /// Arbitration window, ms.
    pub arbitration_window: u64,
    /// Fallback seller share, bps.
    pub fallback_seller_bps: u16,
    /// Milestone 0 is an advance.
    pub advance: bool,
    /// Hash of the agreement document.
    pub agreement_hash: Digest,
    /// Who besides the buyer may deposit.
    pub funder: Option<AccountId>,
    /// No deposit after this time; unfunded milestones lapse.
    pub fund_by: Timestamp,
    /// What the deal is paid in.
    pub asset: Asset,
    /// BLAKE2b-256 of the SCALE-encoded terms as proposed: what acceptance names.
    pub terms_hash: Digest,
    /// Number of milestones.
    pub milestone_count: u8,
    /// Sum of all milestone amounts.
    pub total: Balance,
    /// Who proposed the deal.
    pub proposer: Role,
    /// Stored state: `Proposed`, `Active`, `Withdrawn`, `Cancelled`, or `Closed` once
    /// `close_deal` recorded the closure. Reads and checks use [`DealRecord::status_with`].
    pub status: DealStatus,
    /// When it was proposed.
    pub proposed_at: Timestamp,
    /// When it was accepted.
    pub accepted_at: Option<Timestamp>,
    /// Everything ever paid in.
    pub deposited: Balance,
    /// Milestones `0..funded_count` are fully funded (and flagged so in their records).
    pub funded_count: u8,
    /// What `deposited` must reach to fund milestone `funded_count` in full, so a deposit
    /// reads only the milestones it completes.
    pub funding_mark: Balance,
    /// No more deposits: set by cancellation, or when a milestone lapsed before it was
    /// fully funded (deposits cover milestones in order, so none may skip it).
    pub funding_closed: bool,
    /// A pending mutual-cancellation proposal.
    pub cancel_proposed_by: Option<Role>,
    /// The block of the deal's latest own event (see [`Trail`](crate::Trail)).
    pub last_event_block: BlockNumber,
}

/// A claimable balance: payouts the chain or the token refused, waiting for a withdrawal.
/// Its entry stays (at 0) after a withdrawal, to keep its trail.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Claim {
    /// What may be withdrawn.
    pub amount: Balance,
    /// The block of its latest `PayoutDeferred` or `Withdrawn` (see [`Trail`](crate::Trail)).
    pub last_event_block: BlockNumber,
}

/// What a deal's milestones add up to, one [`Totals::add`] per milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Paid to the seller, net of fees.
    pub released: Balance,
    /// Paid as fees.
    pub fees: Balance,
    /// Returned to the buyer.
    pub refunded: Balance,
    /// Milestones in a terminal state.
    pub settled: u8,
}

impl Totals {
    /// Adds one milestone's outcome; `None` on overflow, which the deal's own invariant
    /// (`released + fees + refunded <= deposited`) rules out.
    pub fn add(&mut self, m: &Milestone) -> Option<()> {
        if let Some(o) = m.outcome {
            self.released = self.released.checked_add(o.to_seller)?;
            self.fees = self.fees.checked_add(o.fee)?;
            self.refunded = self.refunded.checked_add(o.to_buyer)?;
        }
        if m.status.is_terminal() {
            self.settled = self.settled.checked_add(1)?;
        }
        Some(())
    }
}

impl DealRecord {
    /// The deal's deposit rules (see [`Funding`](crate::Funding)).
    pub fn funding(&self) -> crate::Funding<'_> {
        crate::Funding {
            buyer: &self.buyer,
            funder: self.funder.as_ref(),
            closed: self.funding_closed,
            fund_by: self.fund_by,
            total: self.total,
            deposited: self.deposited,
        }
    }

    /// The deal's state once `settled` of its milestones are terminal: an accepted deal
    /// whose milestones are all settled is `Closed`, whether or not `close_deal` ran.
    pub fn status_with(&self, settled: u8) -> DealStatus {
        match self.status {
            DealStatus::Active | DealStatus::Cancelled if settled >= self.milestone_count => {
                DealStatus::Closed
            }
            s => s,
        }
    }

    /// The deal as reads return it.
    pub fn into_view(self, totals: Totals) -> Deal {
        let status = self.status_with(totals.settled);
        let r = self;
        Deal {
            status,
            closure_recorded: r.status == DealStatus::Closed,
            buyer: r.buyer,
            seller: r.seller,
            oracles: r.oracles,
            oracle_threshold: r.oracle_threshold,
            arbiter: r.arbiter,
            release_rule: r.release_rule,
            review_window: r.review_window,
            arbitration_window: r.arbitration_window,
            fallback_seller_bps: r.fallback_seller_bps,
            advance: r.advance,
            agreement_hash: r.agreement_hash,
            funder: r.funder,
            fund_by: r.fund_by,
            asset: r.asset,
            terms_hash: r.terms_hash,
            milestone_count: r.milestone_count,
            total: r.total,
            proposer: r.proposer,
            proposed_at: r.proposed_at,
            accepted_at: r.accepted_at,
            deposited: r.deposited,
            released: totals.released,
            fees: totals.fees,
            refunded: totals.refunded,
            settled_count: totals.settled,
            funding_closed: r.funding_closed,
            cancel_proposed_by: r.cancel_proposed_by,
            last_event_block: r.last_event_block,
        }
    }

    /// The party role of `who`, if any.
    pub fn role_of(&self, who: &AccountId) -> Option<Role> {
        if *who == self.buyer {
            Some(Role::Buyer)
        } else if *who == self.seller {
            Some(Role::Seller)
        } else {
            None
        }
    }
}

/// What a release needs from its deal and instance, copied into every milestone record when
/// the deal is proposed (and `funded` when deposits cover the milestone), so that a release
/// reads no other record.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseContext {
    /// The deal's buyer.
    pub buyer: AccountId,
    /// Who payments to the seller's side go to: the deal's seller, until the seller (or an
    /// assignee) assigns this milestone's receivable to another account (`assign`). The
    /// seller stays the party: only where the money goes changes.
    pub payee: AccountId,
    /// What the deal is paid in.
    pub asset: Asset,
    /// The instance's fee recipient.
    pub fee_recipient: AccountId,
    /// The instance's fee, bps.
    pub fee_bps: u16,
    /// The deal's release rule.
    pub release_rule: ReleaseRule,
    /// The deal's oracles. (A fixed `[AccountId; 5]` was tried: it drops the allocator from
    /// the release path but makes every record 160 bytes longer, and a release cost 6 M
    /// ref_time more for it, docs/cost-model.md §6.)
    pub oracles: Vec<AccountId>,
    /// Attestations needed.
    pub oracle_threshold: u8,
    /// The deal's review window, ms.
    pub review_window: u64,
    /// Deposits cover this milestone in full. Only ever set on an accepted deal.
    pub funded: bool,
}

/// A milestone's stored record: the milestone and its [`ReleaseContext`].
///
/// The checks below read nothing else, and each returns the exact error the contract
/// reports. Where a message also checks the deal's state, it does so *between* the caller
/// checks and the milestone checks (the documented order of errors). A record that passes
/// every check here implies the deal is `Active`: `funded` is set only on an accepted deal,
/// cancellation settles every `Pending` and `Submitted` milestone, and closure needs all
/// settled. That is what lets a release skip reading the deal record.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneRecord {
    /// Copied from the deal and the instance.
    pub context: ReleaseContext,
    /// The next milestone's amount (0 for the last): moves the deal's `funding_mark` on
    /// when this one is funded.
    pub next_amount: Balance,
    /// The milestone as reads return it.
    pub milestone: Milestone,
}

/// The caller checks of a buyer's release (`approve`, `approve_through`): `caller` must be
/// `buyer`, and `rule` must let the buyer release.
///
/// # Errors
/// `CallerIsNotBuyer`, `RuleForbidsBuyerRelease`.
#[inline]
pub fn check_buyer_release(
    buyer: &AccountId,
    rule: ReleaseRule,
    caller: &AccountId,
) -> Result<(), Error> {
    if caller != buyer {
        return Err(Error::CallerIsNotBuyer);
    }
    if !rule.buyer_may_release() {
        return Err(Error::RuleForbidsBuyerRelease);
    }
    Ok(())
}

/// The caller checks of `attest`: `caller` must be one of `oracles`, and `rule` must let
/// oracles release. Returns the caller's bit in a milestone's `attestations`. The contract
/// checks a record's copy of the deal's oracles; the oracle service checks the deal's, to
/// attest only what the contract will accept.
///
/// # Errors
/// `CallerIsNotOracle`, `RuleForbidsOracles`.
#[inline]
pub fn check_oracle(
    oracles: &[AccountId],
    rule: ReleaseRule,
    caller: &AccountId,
) -> Result<u8, Error> {
    let position = oracles
        .iter()
        .position(|o| o == caller)
        .ok_or(Error::CallerIsNotOracle)?;
    if !rule.oracles_may_release() {
        return Err(Error::RuleForbidsOracles);
    }
    // At most MAX_ORACLES (5) oracles, so the shift stays inside a u8.
    1u8.checked_shl(u32::try_from(position).map_err(|_| Error::TooManyOracles)?)
        .ok_or(Error::TooManyOracles)
}

impl Milestone {
    /// A milestone may be released by approval or attestation when it is pending and
    /// `funded`, or submitted.
    ///
    /// # Errors
    /// `WrongMilestoneState`, `MilestoneNotFunded`.
    #[inline]
    pub fn check_releasable(&self, funded: bool) -> Result<(), Error> {
        match self.status {
            MilestoneStatus::Pending | MilestoneStatus::Submitted => {}
            found => return Err(Error::WrongMilestoneState { found }),
        }
        if !funded {
            return Err(Error::MilestoneNotFunded);
        }
        Ok(())
    }

    /// The milestone checks of `attest` by the oracle with bit `bit`, at `now`.
    ///
    /// # Errors
    /// As [`check_releasable`](Self::check_releasable), then `ShipByPassed`, `AlreadyAttested`.
    #[inline]
    pub fn check_attestable(&self, funded: bool, bit: u8, now: Timestamp) -> Result<(), Error> {
        self.check_releasable(funded)?;
        // The buyer's refund right begins strictly after ship-by; an attestation of an
        // unsubmitted milestone after it would race that right.
        if self.status == MilestoneStatus::Pending && now > self.ship_by {
            return Err(Error::ShipByPassed);
        }
        if self.attestations & bit != 0 {
            return Err(Error::AlreadyAttested);
        }
        Ok(())
    }
}

impl MilestoneRecord {
    /// The caller checks of `approve`, on the record's copy of the deal's buyer and rule.
    ///
    /// # Errors
    /// `CallerIsNotBuyer`, `RuleForbidsBuyerRelease`.
    pub fn check_buyer_release(&self, caller: &AccountId) -> Result<(), Error> {
        check_buyer_release(&self.context.buyer, self.context.release_rule, caller)
    }

    /// The caller checks of `attest`, on the record's copy of the deal's oracles and rule;
    /// returns the caller's bit in `attestations`.
    ///
    /// # Errors
    /// As [`check_oracle`].
    pub fn check_oracle(&self, caller: &AccountId) -> Result<u8, Error> {
        check_oracle(&self.context.oracles, self.context.release_rule, caller)
    }

    /// As [`Milestone::check_releasable`], funded as the record says.
    ///
    /// # Errors
    /// `WrongMilestoneState`, `MilestoneNotFunded`.
    pub fn check_releasable(&self) -> Result<(), Error> {
        self.milestone.check_releasable(self.context.funded)
    }

    /// As [`Milestone::check_attestable`], funded as the record says.
    ///
    /// # Errors
    /// As [`check_releasable`](Self::check_releasable), then `ShipByPassed`, `AlreadyAttested`.
    pub fn check_attestable(&self, bit: u8, now: Timestamp) -> Result<(), Error> {
        self.milestone
            .check_attestable(self.context.funded, bit, now)
    }

    /// End of the review window of a submitted milestone (inclusive). Saturating: a window
    /// ending past u64::MAX ms simply never ends.
    pub fn review_end(&self) -> Timestamp {
        self.milestone
            .submitted_at
            .unwrap_or(0)
            .saturating_add(self.context.review_window)
    }

    /// Whether the review window of a submitted milestone has passed at `now`: anyone may
    /// then release it to the seller.
    pub fn timeout_release_due(&self, now: Timestamp) -> bool {
        self.milestone.status == MilestoneStatus::Submitted && now > self.review_end()
    }

    /// Marks the milestone released and returns its outcome (net to the seller, fee).
    ///
    /// # Errors
    /// `AmountOverflow` (cannot happen for a fee ≤ 100%).
    pub fn release(&mut self) -> Result<Outcome, Error> {
        let (to_seller, fee) = seller_payment(self.milestone.amount, self.context.fee_bps)
            .ok_or(Error::AmountOverflow)?;
        let outcome = Outcome {
            to_seller,
            fee,
            to_buyer: 0,
        };
        self.milestone.status = MilestoneStatus::Released;
        self.milestone.amendment = None;
        self.milestone.outcome = Some(outcome);
        Ok(outcome)
    }
}

/// Payouts: every transfer out of the contract goes through here, so a refused transfer is
/// handled one way.
///
/// The functions are generic over the environment (always `DefaultEnvironment`) only so that
/// they are compiled in the crate that calls them: there they share ink!'s event and transfer
/// code with the caller's own, where compiled here they were a second copy (~0.9 KB of wasm).
pub mod payout {
    use ink::env::Environment;

    use super::{keys, Claim};
    use crate::{trail_step, Asset, Balance, DealId, Error, PayoutDeferred};
    use ink::primitives::AccountId;

    /// Pays `amount` of the native token to `to`. A transfer the chain refuses (e.g. below the existential
    /// deposit) is credited to `to`'s claimable balance instead, with a `PayoutDeferred`
    /// event, so one payee can never block another's payment and nothing is lost. Call it
    /// only after every effect of the message is written.
    ///
    /// # Errors
    /// - `ContractBalanceTooLow` if the transfer failed because the contract itself holds
    ///   less than `amount`: that is an accounting fault, so the whole message fails
    ///   rather than book a credit the contract cannot honour.
    /// - `AmountOverflow` if the claimable balance would overflow.
    #[inline(never)]
    pub fn pay<E>(deal_id: DealId, to: AccountId, amount: Balance) -> Result<(), Error>
    where
        E: Environment<AccountId = AccountId, Balance = Balance, BlockNumber = crate::BlockNumber>,
    {
        if amount == 0 || ink::env::transfer::<E>(to, amount).is_ok() {
            return Ok(());
        }
        defer::<E>(deal_id, to, amount)
    }

    /// The refused-transfer arm of [`pay`], apart so that a paying call does not compile it
    /// (pallet-contracts' wasmi charges each call for compiling the code it reaches).
    #[inline(never)]
    fn defer<E>(deal_id: DealId, to: AccountId, amount: Balance) -> Result<(), Error>
    where
        E: Environment<AccountId = AccountId, Balance = Balance, BlockNumber = crate::BlockNumber>,
    {
        ensure_covers::<E>(amount)?;
        credit::<E>(deal_id, to, Asset::Native, amount)
    }

    /// Credits a payout of `amount` in `asset` that could not be made to `to`'s claimable
    /// balance in that asset (the contract's `claimable` mapping, key `(to, asset)`), with a
    /// `PayoutDeferred` event.
    ///
    /// # Errors
    /// `AmountOverflow` if the claimable balance would overflow.
    #[inline(never)]
    pub fn credit<E>(
        deal_id: DealId,
        to: AccountId,
        asset: Asset,
        amount: Balance,
    ) -> Result<(), Error>
    where
        E: Environment<AccountId = AccountId, Balance = Balance, BlockNumber = crate::BlockNumber>,
    {
        let key = (keys::CLAIMABLE, (to, asset));
        let mut claim = ink::env::get_contract_storage::<_, Claim>(&key)
            .ok()
            .flatten()
            .unwrap_or_default();
        claim.amount = claim
            .amount
            .checked_add(amount)
            .ok_or(Error::AmountOverflow)?;
        let prev_block = trail_step(&mut claim.last_event_block, ink::env::block_number::<E>());
        ink::env::set_contract_storage(&key, &claim);
        ink::env::emit_event::<E, _>(PayoutDeferred {
            deal_id,
            account: to,
            asset,
            amount,
            prev_block,
        });
        Ok(())
    }

    /// After a refused transfer: `ContractBalanceTooLow` if the contract's own spendable
    /// balance (`ink::env::balance`, what it may send while keeping its existential
    /// deposit) is below `amount`, so the refusal was the contract's fault, not the payee's.
    ///
    /// # Errors
    /// `ContractBalanceTooLow`.
    #[inline(never)]
    pub fn ensure_covers<E>(amount: Balance) -> Result<(), Error>
    where
        E: Environment<AccountId = AccountId, Balance = Balance>,
    {
        if ink::env::balance::<E>() < amount {
            return Err(Error::ContractBalanceTooLow);
        }
        Ok(())
    }
}

// The contract's messages read a record mostly for its milestone: `m.status` rather than
// `m.milestone.status` keeps them as readable as the rules they implement.
impl core::ops::Deref for MilestoneRecord {
    type Target = Milestone;

    fn deref(&self) -> &Milestone {
        &self.milestone
    }
}

impl core::ops::DerefMut for MilestoneRecord {
    fn deref_mut(&mut self) -> &mut Milestone {
        &mut self.milestone
    }
}
