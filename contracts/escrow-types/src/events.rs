//! Events: one per state change, named in the past tense, so that an auditor can rebuild
//! every deal from the chain's events alone (`escrow audit` does).
//!
//! Topics are the deal id and the accounts involved, never amounts: topics are for
//! filtering, and an amount topic would only leak and bloat the index.
//!
//! Every event is on one [`Trail`] (its deal, one of its milestones, or a claimable balance)
//! and carries `prev_block`, the block of the previous event on that trail. The trail's record
//! in storage keeps the block of its latest event (`last_event_block`), so an auditor finds a
//! deal's events by walking back from its records through exactly the blocks that hold them,
//! whatever the chain's length.

use crate::{
    Asset, Balance, BlockNumber, DealId, DealTerms, Digest, RefundReason, ReleaseVia, Resolution,
    Role, Timestamp,
};
use ink::primitives::AccountId;

/// A deal was proposed. Carries the full terms: the start of every deal's event history.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealProposed {
    /// The new deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// Its buyer.
    #[ink(topic)]
    pub buyer: AccountId,
    /// Its seller.
    #[ink(topic)]
    pub seller: AccountId,
    /// Which party proposed.
    pub proposer: Role,
    /// The proposed terms.
    pub terms: DealTerms,
    /// Their hash, which acceptance must name.
    pub terms_hash: Digest,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// The proposer withdrew a deal before acceptance.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealWithdrawn {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The proposer.
    #[ink(topic)]
    pub by: AccountId,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// The counterparty accepted a deal: its terms are now binding.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealAccepted {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The accepting party.
    #[ink(topic)]
    pub by: AccountId,
    /// When.
    pub at: Timestamp,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// Money was deposited for a deal.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealFunded {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// Who paid (the buyer or anyone on its behalf).
    #[ink(topic)]
    pub funder: AccountId,
    /// This deposit.
    pub amount: Balance,
    /// All deposits so far.
    pub deposited: Balance,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// The seller marked a milestone delivered; the review window started.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneSubmitted {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The seller.
    #[ink(topic)]
    pub seller: AccountId,
    /// The milestone.
    pub index: u8,
    /// Hash of the delivery evidence.
    pub evidence_hash: Digest,
    /// When the review window ends.
    pub review_ends: Timestamp,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// An oracle attested a milestone.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneAttested {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The oracle.
    #[ink(topic)]
    pub oracle: AccountId,
    /// The milestone.
    pub index: u8,
    /// Distinct attestations so far.
    pub attestations: u8,
    /// Attestations needed.
    pub threshold: u8,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A milestone was paid to the seller's side: the seller, or the assignee of its receivable.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneReleased {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// Who was paid: the seller, or the milestone's assignee.
    #[ink(topic)]
    pub payee: AccountId,
    /// The milestone.
    pub index: u8,
    /// Paid to the seller, net of the fee.
    pub amount: Balance,
    /// Paid to the fee recipient.
    pub fee: Balance,
    /// What released it.
    pub via: ReleaseVia,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A milestone's funded part went back to the buyer.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneRefunded {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The buyer.
    #[ink(topic)]
    pub buyer: AccountId,
    /// The milestone.
    pub index: u8,
    /// Returned to the buyer (0 if the milestone was never funded).
    pub amount: Balance,
    /// Why.
    pub reason: RefundReason,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A party disputed a submitted milestone: it is frozen until the dispute ends.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneDisputed {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The disputing party.
    #[ink(topic)]
    pub by: AccountId,
    /// The milestone.
    pub index: u8,
    /// Hash of the complaint.
    pub reason_hash: Digest,
    /// When the fallback split becomes available.
    pub arbitration_ends: Timestamp,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A party offered to settle a dispute.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementOffered {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The offering party.
    #[ink(topic)]
    pub by: AccountId,
    /// The milestone.
    pub index: u8,
    /// The seller's gross share offered.
    pub seller_amount: Balance,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A dispute ended and the milestone was split.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeResolved {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// How it ended.
    #[ink(topic)]
    pub resolution: Resolution,
    /// The milestone.
    pub index: u8,
    /// Paid to the seller's side, net of the fee.
    pub to_seller: Balance,
    /// Who `to_seller` went to: the seller, or the milestone's assignee.
    pub payee: AccountId,
    /// Paid to the fee recipient.
    pub fee: Balance,
    /// Returned to the buyer.
    pub to_buyer: Balance,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A party proposed to cancel the deal.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationProposed {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The proposing party.
    #[ink(topic)]
    pub by: AccountId,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A pending cancellation proposal ended without a cancellation: its proposer withdrew it,
/// or a submission or an attestation voided it (a cancellation never refunds a milestone
/// delivered after it was proposed).
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationWithdrawn {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The proposer who withdrew it, or the seller or oracle whose call voided it.
    #[ink(topic)]
    pub by: AccountId,
    /// The milestone whose submission or attestation voided it; `None` for a withdrawal.
    pub voided_by: Option<u8>,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// Both parties cancelled the deal: undisputed, unreleased funds went back to the buyer.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealCancelled {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The accepting party.
    #[ink(topic)]
    pub by: AccountId,
    /// Total returned to the buyer by the cancellation.
    pub refunded: Balance,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A party proposed a new ship-by for a milestone.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendmentProposed {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The proposing party.
    #[ink(topic)]
    pub by: AccountId,
    /// The milestone.
    pub index: u8,
    /// The proposed ship-by.
    pub new_ship_by: Timestamp,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// The other party accepted a ship-by amendment: it is in force.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendmentAccepted {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The accepting party.
    #[ink(topic)]
    pub by: AccountId,
    /// The milestone.
    pub index: u8,
    /// The new ship-by.
    pub new_ship_by: Timestamp,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// The proposer withdrew a pending ship-by amendment.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendmentWithdrawn {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The proposing party.
    #[ink(topic)]
    pub by: AccountId,
    /// The milestone.
    pub index: u8,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A payout the chain refused (e.g. below the existential deposit) was credited to the
/// payee's claimable balance instead; `withdraw` pulls it.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutDeferred {
    /// The deal that owed it.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The payee.
    #[ink(topic)]
    pub account: AccountId,
    /// What it is owed in.
    pub asset: Asset,
    /// The amount credited.
    pub amount: Balance,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// An account withdrew its claimable balance, to itself or to another account it chose.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    /// The account whose claimable balance it was.
    #[ink(topic)]
    pub account: AccountId,
    /// Where the money went.
    #[ink(topic)]
    pub to: AccountId,
    /// What was paid.
    pub asset: Asset,
    /// The amount paid.
    pub amount: Balance,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// A milestone range's receivable was assigned: from milestone `from_index` on, every
/// unsettled milestone's payments to the seller's side go to `to` (a factor). Refunds still
/// go to the buyer, and the seller stays the party.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivableAssigned {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The assigning payee: the seller, or an earlier assignee.
    #[ink(topic)]
    pub by: AccountId,
    /// The new payee.
    #[ink(topic)]
    pub to: AccountId,
    /// The first milestone of the range (it runs to the deal's last).
    pub from_index: u8,
    /// How many unsettled milestones changed payee.
    pub count: u8,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// Every milestone of the deal is settled; its record stays readable.
#[ink::event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealClosed {
    /// The deal.
    #[ink(topic)]
    pub deal_id: DealId,
    /// The block of the previous event on this event's [`Trail`] (0: none).
    pub prev_block: BlockNumber,
}

/// The trail an event is on: the record whose `last_event_block` it moved on. An event's
/// `prev_block` is the block of the previous event on the same trail (0: it is the first), so
/// each trail links its events' blocks from the latest back to the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trail {
    /// The deal's own events: proposal, withdrawal, acceptance, deposits, cancellation,
    /// assignment and closure (the [`DealRecord`](crate::DealRecord) keeps the latest).
    Deal(DealId),
    /// One milestone's events: submission, attestations, release, refund, dispute,
    /// settlement and amendments (its [`Milestone`](crate::Milestone) keeps the latest).
    Milestone(DealId, u8),
    /// An account's claimable balance in one asset: deferred payouts and withdrawals (its
    /// [`Claim`](crate::Claim) keeps the latest).
    Claim(AccountId, Asset),
}

/// An event's place on its [`Trail`].
pub trait OnTrail {
    /// The trail it is on.
    fn trail(&self) -> Trail;
    /// The block of the previous event on that trail (0: none).
    fn prev_block(&self) -> BlockNumber;
}

macro_rules! on_trail {
    ($kind:ident: $($event:ident),* $(,)?) => {$(
        impl OnTrail for $event {
            fn trail(&self) -> Trail {
                on_trail!(@trail $kind self)
            }
            fn prev_block(&self) -> BlockNumber {
                self.prev_block
            }
        }
    )*};
    (@trail deal $e:ident) => { Trail::Deal($e.deal_id) };
    (@trail milestone $e:ident) => { Trail::Milestone($e.deal_id, $e.index) };
    (@trail claim $e:ident) => { Trail::Claim($e.account, $e.asset) };
}

on_trail!(deal: DealProposed, DealWithdrawn, DealAccepted, DealFunded, CancellationProposed,
    CancellationWithdrawn, DealCancelled, ReceivableAssigned, DealClosed);
on_trail!(milestone: MilestoneSubmitted, MilestoneAttested, MilestoneReleased, MilestoneRefunded,
    MilestoneDisputed, SettlementOffered, DisputeResolved, AmendmentProposed, AmendmentAccepted,
    AmendmentWithdrawn);
on_trail!(claim: PayoutDeferred, Withdrawn);

/// Moves a trail's latest block on to `now` and returns the block it held: the new event's
/// `prev_block`.
pub fn trail_step(last_event_block: &mut BlockNumber, now: BlockNumber) -> BlockNumber {
    core::mem::replace(last_event_block, now)
}
