//! # Escrow types
//!
//! The single source of truth for everything the milestone-escrow contract shares with the
//! outside world: deal terms, stored records, the `Error` enum and the events. The contract,
//! the `escrow` CLI and auditors' tools all decode chain data with these exact Rust types, so
//! a renamed field or a reordered variant is caught by the compiler, not in production.
//!
//! Pure money rules (fees, fallback splits) live here too, so the contract, the CLI's
//! previews and the reference model in the contract's tests compute them one way.
//!
//! Event type names and field *type names* are part of the on-chain signature topics: never
//! rename or alias them after a release.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

extern crate alloc;

use alloc::vec::Vec;
use ink::primitives::AccountId;

mod events;
pub use events::*;
mod records;
pub use records::*;
pub mod psp22;

/// Native token amount (the chain's `Balance`).
pub type Balance = u128;
/// Milliseconds since the Unix epoch, as the chain's `Timestamp` pallet reports them.
pub type Timestamp = u64;
/// A 32-byte digest (BLAKE2b-256 of a document, or of SCALE-encoded terms).
pub type Digest = [u8; 32];
/// A block number, as the chain counts them.
pub type BlockNumber = u32;

/// Most milestones a deal may have: bounds every per-deal loop and storage entry.
pub const MAX_MILESTONES: u8 = 16;
/// Most oracles a deal may name: attestations are a bitmask in one byte.
pub const MAX_ORACLES: u8 = 5;
/// Highest platform fee an instance may charge: 5%.
pub const MAX_FEE_BPS: u16 = 500;
/// Basis points in a whole.
pub const BPS_DENOMINATOR: u16 = 10_000;
/// Longest review or arbitration window: 366 days, in milliseconds.
pub const MAX_WINDOW_MS: u64 = 366 * 24 * 60 * 60 * 1000;
/// Most deal ids one `deals_of` page returns.
pub const MAX_PAGE: u32 = 32;

/// Identifies a deal within one contract instance. A newtype so that it can be an event
/// topic (ink! flags raw-integer topics) and is never confused with a milestone index.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DealId(pub u64);

/// One of the two parties of a deal.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The importer: funds the deal, approves milestones, receives refunds.
    Buyer,
    /// The exporter: delivers milestones and is paid for them.
    Seller,
}

impl Role {
    /// The other party.
    pub fn counterparty(self) -> Role {
        match self {
            Role::Buyer => Role::Seller,
            Role::Seller => Role::Buyer,
        }
    }
}

/// What a deal is paid in: fixed in its terms (and so in its terms hash).
///
/// Every amount of a deal (milestones, deposits, payouts, fees, refunds) is in its asset, and
/// the contract keeps its books per asset: a token deal never pays out of the native balance
/// or another token's, whatever its token does.
// The derive's `<usize> as u8` variant index: see `Error`.
#[allow(clippy::cast_possible_truncation)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Asset {
    /// The chain's own token: deposits are the value sent with `accept` or `fund`.
    #[default]
    Native,
    /// A PSP22 token contract (the ink! token standard): deposits are pulled with
    /// `transfer_from` by `fund_tokens` after the funder approved the escrow, payouts are
    /// its `transfer`.
    Psp22(AccountId),
}

impl Asset {
    /// The token contract, for a token deal.
    pub fn token(&self) -> Option<AccountId> {
        match self {
            Asset::Native => None,
            Asset::Psp22(token) => Some(*token),
        }
    }
}

/// Who may release a submitted milestone (besides the review-window timeout, which always
/// pays the seller once the buyer stays silent).
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseRule {
    /// Only the buyer's approval.
    Buyer,
    /// Only a quorum of oracle attestations.
    Oracles,
    /// Either of the two.
    BuyerOrOracles,
}

impl ReleaseRule {
    /// Whether the buyer's approval releases a milestone.
    pub fn buyer_may_release(self) -> bool {
        matches!(self, ReleaseRule::Buyer | ReleaseRule::BuyerOrOracles)
    }

    /// Whether an oracle quorum releases a milestone.
    pub fn oracles_may_release(self) -> bool {
        matches!(self, ReleaseRule::Oracles | ReleaseRule::BuyerOrOracles)
    }
}

/// One milestone as the parties agree it.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneTerms {
    /// What the milestone pays, in the chain's smallest unit. Must be > 0.
    pub amount: Balance,
    /// Hash of what "done" means (a spec, a document checklist).
    pub terms_hash: Digest,
    /// The milestone's refund clock: the seller must submit by this time (inclusive); after
    /// it an unsubmitted milestone refunds the buyer. Every milestone has one, so no funds
    /// wait forever for a silent seller. Amendments move it by two-party consent.
    pub ship_by: Timestamp,
}

/// Everything two parties agree on. Immutable once accepted, except ship-by dates by
/// two-party amendment.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealTerms {
    /// The importer.
    pub buyer: AccountId,
    /// The exporter.
    pub seller: AccountId,
    /// 0..=[`MAX_ORACLES`] attesting services (logistics tracker, inspection agency).
    pub oracles: Vec<AccountId>,
    /// Distinct oracle attestations needed to release a milestone (0 when there are none).
    pub oracle_threshold: u8,
    /// Rules on disputes; without one, disputes end by settlement or the fallback split.
    pub arbiter: Option<AccountId>,
    /// Who may release milestones.
    pub release_rule: ReleaseRule,
    /// Time after a submission during which the buyer may approve or dispute (ms, > 0).
    pub review_window: u64,
    /// Time after a dispute opens after which anyone may apply the fallback split (ms, > 0).
    pub arbitration_window: u64,
    /// Seller's share of a disputed milestone, in basis points, if nobody rules in time.
    pub fallback_seller_bps: u16,
    /// Milestone 0 pays out as soon as the deal is accepted and that milestone is funded.
    pub advance: bool,
    /// Hash of the whole agreement (purchase order, contract document).
    pub agreement_hash: Digest,
    /// Who besides the buyer may deposit (a bank paying for the buyer), if anyone. Refunds
    /// always go to the buyer.
    pub funder: Option<AccountId>,
    /// The funding clock: no deposit is taken after this time (inclusive bound), and the
    /// deal cannot be accepted after it. Milestones not fully funded by then lapse: their
    /// partial deposits go back to the buyer, funded milestones carry on.
    pub fund_by: Timestamp,
    /// What the deal is paid in: every amount below is in this asset's smallest unit.
    pub asset: Asset,
    /// 1..=[`MAX_MILESTONES`] milestones, funded and numbered in this order.
    pub milestones: Vec<MilestoneTerms>,
}

/// Where a deal stands. States only move forward:
/// `Proposed → Active → (Cancelled →) Closed`, or `Proposed → Withdrawn`.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DealStatus {
    /// Waiting for the counterparty of the proposer to accept.
    Proposed,
    /// Accepted: funding, deliveries and releases under way.
    Active,
    /// Cancelled by both parties; disputed milestones still run to their end.
    Cancelled,
    /// Every milestone settled. The record stays readable.
    Closed,
    /// The proposer withdrew before acceptance.
    Withdrawn,
}

/// Where a milestone stands. `Released`, `Refunded` and `Resolved` are terminal.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MilestoneStatus {
    /// Not yet submitted: waiting for funds (buyer) or delivery (seller).
    Pending,
    /// Delivered with evidence: the buyer's review window runs.
    Submitted,
    /// Frozen by a dispute: settlement, arbiter ruling or fallback ends it.
    Disputed,
    /// Paid to the seller (less the fee).
    Released,
    /// Returned to the buyer.
    Refunded,
    /// A dispute split it between the parties.
    Resolved,
}

impl MilestoneStatus {
    /// Whether the milestone's money has been settled for good.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            MilestoneStatus::Released | MilestoneStatus::Refunded | MilestoneStatus::Resolved
        )
    }
}

/// A settlement offer inside a dispute: the seller gets `seller_amount`, the buyer the rest.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// Who offered it; only the other party may accept.
    pub by: Role,
    /// The seller's gross share (the fee comes out of it).
    pub seller_amount: Balance,
}

/// An open dispute.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dispute {
    /// Who raised it.
    pub by: Role,
    /// When it was raised: the arbitration window starts here.
    pub opened_at: Timestamp,
    /// Hash of the complaint (photos, inspection report).
    pub reason_hash: Digest,
    /// The latest settlement offer, if any.
    pub offer: Option<Offer>,
}

/// A proposed ship-by extension awaiting the other party.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amendment {
    /// Who proposed it; only the other party may accept.
    pub by: Role,
    /// The proposed new ship-by time.
    pub new_ship_by: Timestamp,
}

/// How a milestone's money was finally divided (kept for reads and audits).
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Paid to the seller, net of the fee.
    pub to_seller: Balance,
    /// Paid to the fee recipient.
    pub fee: Balance,
    /// Returned to the buyer.
    pub to_buyer: Balance,
}

/// A milestone's stored record.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// What it pays.
    pub amount: Balance,
    /// What "done" means.
    pub terms_hash: Digest,
    /// Current ship-by: the refund clock (amendments move it).
    pub ship_by: Timestamp,
    /// Sum of the amounts of all earlier milestones: deposits cover milestones in order, so
    /// this milestone is funded once `deposited >= funded_from + amount`. Kept so that we
    /// never iterate over earlier milestones.
    pub funded_from: Balance,
    /// Current state.
    pub status: MilestoneStatus,
    /// Evidence hash given at submission (bill of lading, invoice, certificate).
    pub evidence_hash: Option<Digest>,
    /// When the seller submitted it: the review window starts here.
    pub submitted_at: Option<Timestamp>,
    /// Bit `i` set: oracle `i` of the deal has attested this milestone.
    pub attestations: u8,
    /// The open (or last) dispute.
    pub dispute: Option<Dispute>,
    /// A pending ship-by amendment.
    pub amendment: Option<Amendment>,
    /// Final division of the money, once terminal.
    pub outcome: Option<Outcome>,
    /// The block of this milestone's latest event (0: none yet): where its [`Trail`] starts.
    pub last_event_block: BlockNumber,
}

impl Milestone {
    /// How much of this milestone the deposits so far cover.
    pub fn covered_by(&self, deposited: Balance) -> Balance {
        deposited.saturating_sub(self.funded_from).min(self.amount)
    }

    /// Whether the deposits so far cover this milestone in full.
    pub fn is_funded(&self, deposited: Balance) -> bool {
        self.covered_by(deposited) == self.amount
    }

    /// Number of distinct oracles that attested it.
    pub fn attestation_count(&self) -> u8 {
        // A u8 has at most 8 set bits, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let n = self.attestations.count_ones() as u8;
        n
    }
}

/// A deal as reads return it: its terms (without the milestones), state and totals.
///
/// The contract stores a [`DealRecord`]; the totals, `settled_count` and the `Closed`
/// status are worked out from the deal's milestones on each read (see [`DealRecord`]).
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
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
    /// BLAKE2b-256 of the SCALE-encoded [`DealTerms`] as proposed: what acceptance names.
    pub terms_hash: Digest,
    /// Number of milestones.
    pub milestone_count: u8,
    /// Sum of all milestone amounts.
    pub total: Balance,
    /// Who proposed the deal.
    pub proposer: Role,
    /// Current state.
    pub status: DealStatus,
    /// When it was proposed.
    pub proposed_at: Timestamp,
    /// When it was accepted.
    pub accepted_at: Option<Timestamp>,
    /// Everything ever paid in.
    pub deposited: Balance,
    /// Everything paid to the seller, net of fees.
    pub released: Balance,
    /// Everything paid as fees.
    pub fees: Balance,
    /// Everything returned to the buyer.
    pub refunded: Balance,
    /// Milestones in a terminal state.
    pub settled_count: u8,
    /// No more deposits: set by cancellation, or when a milestone lapsed before it was
    /// fully funded (deposits cover milestones in order, so none may skip it).
    pub funding_closed: bool,
    /// A pending mutual-cancellation proposal.
    pub cancel_proposed_by: Option<Role>,
    /// `close_deal` has emitted `DealClosed` for it.
    pub closure_recorded: bool,
    /// The block of the deal's latest own event: where its [`Trail`] starts.
    pub last_event_block: BlockNumber,
}

impl Deal {
    /// Funds held for this deal: `deposited - released - fees - refunded`.
    pub fn locked(&self) -> Balance {
        self.deposited
            .saturating_sub(self.released)
            .saturating_sub(self.fees)
            .saturating_sub(self.refunded)
    }
}

/// A deal as reads return it.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealView {
    /// Its id.
    pub id: DealId,
    /// The stored record.
    pub deal: Deal,
    /// Funds held for it now.
    pub locked: Balance,
}

/// A milestone as reads return it, with its clocks worked out.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneView {
    /// Its index in the deal.
    pub index: u8,
    /// The stored record.
    pub milestone: Milestone,
    /// Who its payments to the seller's side go to: the seller, or the account the seller
    /// (or an earlier assignee) assigned this milestone's receivable to.
    pub payee: AccountId,
    /// How much of it the deposits cover.
    pub covered: Balance,
    /// When the buyer's review window ends (submitted milestones).
    pub review_ends: Option<Timestamp>,
    /// When the fallback split becomes available (disputed milestones).
    pub arbitration_ends: Option<Timestamp>,
}

/// The instance's fixed configuration.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Receives the fee on every payment to a seller.
    pub fee_recipient: AccountId,
    /// The fee, in basis points (≤ [`MAX_FEE_BPS`]).
    pub fee_bps: u16,
    /// [`MAX_MILESTONES`].
    pub max_milestones: u8,
    /// [`MAX_ORACLES`].
    pub max_oracles: u8,
}

/// How a milestone came to be released to the seller.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseVia {
    /// The buyer approved it.
    Buyer,
    /// The buyer approved a range of milestones in one call.
    BuyerBatch,
    /// An oracle quorum attested it.
    Oracles,
    /// The review window passed without a dispute.
    Timeout,
    /// It was the advance, paid on acceptance and funding.
    Advance,
}

/// Why a milestone went back to the buyer.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundReason {
    /// The ship-by deadline passed without a submission or an oracle quorum.
    ShipByMissed,
    /// An earlier milestone lapsed unfunded, so this one can never be funded.
    FundingClosed,
    /// The funding deadline passed before deposits covered it.
    FundingDeadlinePassed,
    /// Both parties cancelled the deal.
    Cancelled,
}

/// How a dispute ended.
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The parties agreed on a settlement offer.
    Settlement,
    /// The arbiter ruled.
    Arbiter,
    /// Nobody ruled within the arbitration window: the deal's fallback split applied.
    Fallback,
}

/// Every way a message can fail. No message panics; a failing message changes nothing.
// parity-scale-codec's derive writes each data-carrying variant's index as `<usize> as u8`;
// cargo-contract's build runs clippy with `-D clippy::cast_possible_truncation`, which then
// rejects the derived code. An enum has far fewer than 256 variants, so the cast is exact.
#[allow(clippy::cast_possible_truncation)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Returned if no deal has the given id.
    DealNotFound,
    /// Returned if the deal has no milestone with the given index.
    MilestoneNotFound,
    /// Returned if the caller is not the deal's buyer.
    CallerIsNotBuyer,
    /// Returned if the caller is not the deal's seller.
    CallerIsNotSeller,
    /// Returned if the caller is neither the buyer nor the seller.
    CallerIsNotParty,
    /// Returned if the caller is not one of the deal's oracles.
    CallerIsNotOracle,
    /// Returned if the caller is not the deal's arbiter (or the deal has none).
    CallerIsNotArbiter,
    /// Returned if the caller is not the party that proposed the deal.
    CallerIsNotProposer,
    /// Returned if a party tries to accept its own proposal or offer.
    CannotAcceptOwnProposal,
    /// Returned if the deal is not in a state that allows the message.
    WrongDealState {
        /// The deal's state.
        found: DealStatus,
    },
    /// Returned if the milestone is not in a state that allows the message.
    WrongMilestoneState {
        /// The milestone's state.
        found: MilestoneStatus,
    },
    /// Returned if the terms hash named at acceptance is not the proposed terms' hash.
    TermsHashMismatch,
    /// Returned if a deal has no milestones.
    NoMilestones,
    /// Returned if a deal has more than [`MAX_MILESTONES`] milestones.
    TooManyMilestones,
    /// Returned if a milestone amount is zero.
    ZeroAmount,
    /// Returned if a deal names more than [`MAX_ORACLES`] oracles.
    TooManyOracles,
    /// Returned if the oracle threshold is 0 with oracles, above their number, or the
    /// release rule needs oracles and there are none.
    InvalidThreshold,
    /// Returned if one account holds two roles, or an oracle is listed twice.
    DuplicateRole,
    /// Returned if a role is the all-zero account.
    ZeroAccount,
    /// Returned if a basis-point value exceeds its bound.
    InvalidBps,
    /// Returned if a window is zero or longer than [`MAX_WINDOW_MS`].
    InvalidWindow,
    /// Returned if a ship-by time is not in the future.
    ShipByInPast,
    /// Returned if a proposal's funding deadline is not in the future.
    FundByInPast,
    /// Returned if an amount sum overflows.
    AmountOverflow,
    /// Returned if the instance fee exceeds [`MAX_FEE_BPS`].
    FeeTooHigh,
    /// Returned if a deposit of zero is made.
    ZeroDeposit,
    /// Returned if a deposit would take the deal beyond its total.
    OverFunded {
        /// The most that may still be deposited.
        remaining: Balance,
    },
    /// Returned if the deal takes no more deposits (cancelled, or a milestone lapsed unfunded).
    FundingClosed,
    /// Returned if value is sent with an acceptance by someone other than the buyer.
    UnexpectedValue,
    /// Returned if someone other than the buyer or the deal's named funder deposits.
    CallerIsNotFunder,
    /// Returned if a deposit or an acceptance comes after the deal's funding deadline.
    FundingDeadlinePassed,
    /// Returned if the milestone is not fully funded yet.
    MilestoneNotFunded,
    /// Returned if the ship-by time has passed.
    ShipByPassed,
    /// Returned if the buyer tries to release under the `Oracles` release rule.
    RuleForbidsBuyerRelease,
    /// Returned if an oracle attests under the `Buyer` release rule.
    RuleForbidsOracles,
    /// Returned if this oracle already attested this milestone.
    AlreadyAttested,
    /// Returned if a dispute is raised after the review window.
    ReviewWindowClosed,
    /// Returned if a milestone is settled by timeout while its review window still runs.
    ReviewWindowOpen,
    /// Returned if the fallback split is applied while the arbitration window still runs.
    ArbitrationWindowOpen,
    /// Returned if a settlement or a ruling comes after the arbitration window: only the
    /// fallback split may end the dispute then.
    ArbitrationWindowClosed,
    /// Returned if a refund is claimed before the ship-by time (and, for an unfunded
    /// milestone, the funding deadline) has passed.
    ShipByNotPassed,
    /// Returned if nothing in the deal is due for settlement.
    NothingDue,
    /// Returned if a batch approval finds a milestone in its range disputed.
    MilestoneDisputed,
    /// Returned if a batch approval has nothing left to release.
    NothingToRelease,
    /// Returned if a settlement offer is accepted where none was made.
    NoOffer,
    /// Returned if the accepted offer differs from the one on record.
    OfferMismatch,
    /// Returned if a split gives the seller more than the milestone amount.
    SplitExceedsAmount,
    /// Returned if a cancellation is proposed twice.
    CancellationAlreadyProposed,
    /// Returned if a cancellation is accepted or withdrawn that nobody proposed (or a
    /// submission or an attestation since voided it).
    NoCancellationPending,
    /// Returned if an amendment is accepted or withdrawn that nobody proposed.
    NoAmendmentPending,
    /// Returned if the accepted amendment differs from the one on record.
    AmendmentMismatch,
    /// Returned if an amendment does not move the ship-by later.
    NotAnExtension,
    /// Returned if the caller has nothing to withdraw.
    NothingToWithdraw,
    /// Returned if a withdrawal transfer is refused by the chain.
    TransferFailed,
    /// Returned if a payout fails because the contract itself holds less than it owes: an
    /// accounting fault, never booked as a claimable credit.
    ContractBalanceTooLow,
    /// Returned if the instance's fee recipient would be the contract itself.
    FeeRecipientIsContract,
    /// Returned if a message for native deposits is used on a token deal (`fund`), or one
    /// for token deposits on a native deal (`fund_tokens`).
    WrongAsset,
    /// Returned if a proposal's token is the all-zero account or the escrow itself.
    InvalidAsset,
    /// Returned if a token deposit did not raise the escrow's token balance by exactly the
    /// amount asked for (a fee-on-transfer token, or one that lies about its transfers).
    DepositMismatch {
        /// What the escrow's balance actually changed by (0 if it fell).
        received: Balance,
    },
    /// Returned if the caller is not the current payee of a milestone it tries to assign.
    CallerIsNotPayee,
    /// Returned if an assignment's range holds no unsettled milestone.
    NothingToAssign,
    /// Returned if a receivable would be assigned to the escrow itself.
    AssigneeIsContract,
    /// Returned if `close_deal` already recorded this deal's closure.
    ClosureAlreadyRecorded,
}

/// The deposit rules of `fund` and `fund_tokens`, on the fields of a deal they read. One
/// implementation: the contract checks deposits with it, and clients decide with it whether
/// a deposit would be taken before they sign anything (an approval, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Funding<'a> {
    /// The deal's buyer.
    pub buyer: &'a AccountId,
    /// The funder its terms name, if any.
    pub funder: Option<&'a AccountId>,
    /// No more deposits (cancelled, or a milestone lapsed unfunded).
    pub closed: bool,
    /// The funding deadline (inclusive).
    pub fund_by: Timestamp,
    /// The deal's total.
    pub total: Balance,
    /// Deposited so far.
    pub deposited: Balance,
}

impl Funding<'_> {
    /// Only the buyer, or the funder the terms name, deposits.
    ///
    /// # Errors
    /// `CallerIsNotFunder`.
    pub fn ensure_funder(&self, caller: &AccountId) -> Result<(), Error> {
        if caller == self.buyer || self.funder == Some(caller) {
            Ok(())
        } else {
            Err(Error::CallerIsNotFunder)
        }
    }

    /// A deposit of `value` is taken at `now`: funding open, its deadline not passed, and
    /// the total not exceeded. A zero value fits (it deposits nothing).
    ///
    /// # Errors
    /// `FundingClosed`, `FundingDeadlinePassed`, `OverFunded`, `AmountOverflow`.
    pub fn ensure_fits(&self, value: Balance, now: Timestamp) -> Result<(), Error> {
        if value == 0 {
            return Ok(());
        }
        if self.closed {
            return Err(Error::FundingClosed);
        }
        if now > self.fund_by {
            return Err(Error::FundingDeadlinePassed);
        }
        let remaining = self
            .total
            .checked_sub(self.deposited)
            .ok_or(Error::AmountOverflow)?;
        if value > remaining {
            return Err(Error::OverFunded { remaining });
        }
        Ok(())
    }
}

impl Deal {
    /// The deal's deposit rules (see [`Funding`]).
    pub fn funding(&self) -> Funding<'_> {
        Funding {
            buyer: &self.buyer,
            funder: self.funder.as_ref(),
            closed: self.funding_closed,
            fund_by: self.fund_by,
            total: self.total,
            deposited: self.deposited,
        }
    }
}

/// `amount * bps / 10_000`, rounded down, without intermediate overflow for any `amount`.
///
/// Exact: with `amount = q * 10_000 + r`, the result is `q * bps + r * bps / 10_000`;
/// `q * bps ≤ amount` because `bps ≤ 10_000`, and `r * bps < 10^8` fits a u64. Returns `None`
/// for `bps > 10_000`.
pub fn bps_of(amount: Balance, bps: u16) -> Option<Balance> {
    if bps > BPS_DENOMINATOR {
        return None;
    }
    let (q, r) = div_rem_u32(amount, u32::from(BPS_DENOMINATOR))?;
    let part = u64::from(r)
        .checked_mul(u64::from(bps))?
        .checked_div(u64::from(BPS_DENOMINATOR))?;
    q.checked_mul(Balance::from(bps))?
        .checked_add(Balance::from(part))
}

/// `(n / d, n % d)` for a 32-bit divisor; `None` if `d == 0`.
///
/// Schoolbook long division over 32-bit limbs, so each step divides a u64 (a native wasm
/// instruction). A plain u128 `/` links compiler_builtins' 128-bit division routine, ~1 KB
/// of wasm that every call to the contract pays for in code load (docs/cost-model.md §1).
fn div_rem_u32(n: u128, d: u32) -> Option<(u128, u32)> {
    let d = u64::from(d);
    // Constant shifts only: on u128 they become plain i64 moves, while a shift by a variable
    // amount links compiler_builtins' `__lshrti3`.
    let high = u64::try_from(n.checked_shr(64)?).ok()?;
    let low = u64::try_from(n & u128::from(u64::MAX)).ok()?;
    let (q3, rem) = div_step(0, high.checked_shr(32)?, d)?;
    let (q2, rem) = div_step(rem, high & 0xFFFF_FFFF, d)?;
    let (q1, rem) = div_step(rem, low.checked_shr(32)?, d)?;
    let (q0, rem) = div_step(rem, low & 0xFFFF_FFFF, d)?;
    let quotient_high = u128::from(q3.checked_shl(32)? | q2);
    let quotient = quotient_high.checked_shl(64)? | u128::from(q1.checked_shl(32)? | q0);
    Some((quotient, u32::try_from(rem).ok()?))
}

/// One digit of [`div_rem_u32`]: `(rem * 2^32 + limb) / d` and its remainder. With
/// `rem < d < 2^32` the shift loses nothing and the digit is < 2^32.
fn div_step(rem: u64, limb: u64, d: u64) -> Option<(u64, u64)> {
    let current = rem.checked_shl(32)? | limb;
    Some((current.checked_div(d)?, current.checked_rem(d)?))
}

/// Splits a payment to the seller into (seller's net, fee). The fee is rounded down, so
/// any dust stays with the seller.
pub fn seller_payment(gross: Balance, fee_bps: u16) -> Option<(Balance, Balance)> {
    let fee = bps_of(gross, fee_bps)?;
    Some((gross.checked_sub(fee)?, fee))
}

/// The outcome of dividing `amount` with `seller_gross` to the seller (fee out of the
/// seller's part only) and the rest to the buyer. `None` if `seller_gross > amount`.
pub fn split_outcome(amount: Balance, seller_gross: Balance, fee_bps: u16) -> Option<Outcome> {
    let to_buyer = amount.checked_sub(seller_gross)?;
    let (to_seller, fee) = seller_payment(seller_gross, fee_bps)?;
    Some(Outcome {
        to_seller,
        fee,
        to_buyer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bps_of_is_exact_and_never_overflows() {
        assert_eq!(bps_of(10_000, 250), Some(250));
        assert_eq!(bps_of(9_999, 250), Some(249));
        assert_eq!(bps_of(1, 500), Some(0));
        assert_eq!(bps_of(u128::MAX, 10_000), Some(u128::MAX));
        assert_eq!(
            bps_of(u128::MAX, 500),
            Some(bps_of_reference(u128::MAX, 500))
        );
        assert_eq!(bps_of(5, 10_001), None);
    }

    /// The old formula, in plain u128 arithmetic: what `bps_of` must equal.
    fn bps_of_reference(amount: u128, bps: u16) -> u128 {
        let (b, d) = (u128::from(bps), u128::from(BPS_DENOMINATOR));
        amount / d * b + amount % d * b / d
    }

    /// Amounts around the limb boundaries and the ends of the range, where long division
    /// goes wrong first.
    fn edge_amounts() -> Vec<u128> {
        let mut out = vec![0, 1, 9_999, 10_000, 10_001, u128::MAX, u128::MAX - 1];
        for shift in [32u32, 64, 96] {
            let p = 1u128 << shift;
            out.extend([p - 1, p, p + 1, p * 10_000 - 1, p * 9_999 + 9_998]);
        }
        out
    }

    #[test]
    fn div_rem_u32_matches_u128_division_at_the_edges() {
        for n in edge_amounts() {
            for d in [1u32, 2, 3, 10_000, 65_537, u32::MAX - 1, u32::MAX] {
                let (q, r) = div_rem_u32(n, d).unwrap();
                assert_eq!(
                    (q, u128::from(r)),
                    (n / u128::from(d), n % u128::from(d)),
                    "{n} / {d}"
                );
            }
        }
        assert_eq!(div_rem_u32(5, 0), None);
    }

    #[test]
    fn bps_of_matches_the_u128_formula_at_the_edges() {
        for amount in edge_amounts() {
            for bps in [0u16, 1, 99, 100, 250, 500, 9_999, 10_000] {
                assert_eq!(
                    bps_of(amount, bps),
                    Some(bps_of_reference(amount, bps)),
                    "{amount} × {bps}"
                );
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        #[test]
        fn div_rem_u32_matches_u128_division(n: u128, d in 1u32..) {
            let (q, r) = div_rem_u32(n, d).unwrap();
            proptest::prop_assert_eq!((q, u128::from(r)), (n / u128::from(d), n % u128::from(d)));
        }

        #[test]
        fn bps_of_matches_the_u128_formula(amount: u128, bps in 0u16..=10_000) {
            proptest::prop_assert_eq!(bps_of(amount, bps), Some(bps_of_reference(amount, bps)));
        }
    }

    #[test]
    fn seller_payment_leaves_dust_with_seller() {
        assert_eq!(seller_payment(199, 100), Some((198, 1)));
        assert_eq!(seller_payment(99, 100), Some((99, 0)));
        assert_eq!(seller_payment(0, 500), Some((0, 0)));
    }

    #[test]
    fn split_outcome_adds_up_to_amount() {
        let o = split_outcome(1_000, 600, 250).unwrap();
        assert_eq!(
            o,
            Outcome {
                to_seller: 585,
                fee: 15,
                to_buyer: 400
            }
        );
        assert_eq!(o.to_seller + o.fee + o.to_buyer, 1_000);
        assert_eq!(split_outcome(1_000, 1_001, 250), None);
    }
}
