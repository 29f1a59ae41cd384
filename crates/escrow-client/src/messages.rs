//! The contract's state-changing messages, one typed function each.
//!
//! Each returns a [`Message`]: the selector and SCALE arguments, the value it sends, and —
//! as a type parameter — what the contract returns on success, so a caller cannot decode a
//! `settle_due` as a `withdraw`. Dry-running and submitting are the same for every message
//! ([`crate::Escrow::dry_run`], [`crate::Escrow::submit`]); the rules behind each message are
//! the contract's rustdoc (`# Access`, `# Errors`, `# Events`).

use std::marker::PhantomData;

use escrow_types::{Balance, DealId, DealTerms, Digest, Timestamp};
use scale::Encode;

use crate::contract::call_data;

/// A call to one contract message, returning `R` on success.
#[derive(Debug, Clone)]
pub struct Message<R> {
    /// The message's name in the contract (its selector is derived from it).
    pub name: &'static str,
    /// Selector followed by the SCALE-encoded arguments.
    pub data: Vec<u8>,
    /// The value transferred with the call (only `fund` and `accept` take one).
    pub value: Balance,
    returns: PhantomData<fn() -> R>,
}

impl<R> Message<R> {
    fn new(name: &'static str, args: impl Encode, value: Balance) -> Self {
        Message {
            name,
            data: call_data(name, &args),
            value,
            returns: PhantomData,
        }
    }
}

/// Proposes a deal; returns the id the dry-run predicts (the `DealProposed` event says which
/// id it got, should another proposal land first).
pub fn propose(terms: DealTerms) -> Message<DealId> {
    Message::new("propose", (terms,), 0)
}

/// The proposer withdraws a proposal before acceptance.
pub fn withdraw_proposal(deal: DealId) -> Message<()> {
    Message::new("withdraw_proposal", (deal,), 0)
}

/// The other party accepts exactly the terms hashing to `terms_hash`, depositing `value`
/// (the buyer may fund with the acceptance).
pub fn accept(deal: DealId, terms_hash: Digest, value: Balance) -> Message<()> {
    Message::new("accept", (deal, terms_hash), value)
}

/// Deposits `amount` for an active deal.
pub fn fund(deal: DealId, amount: Balance) -> Message<()> {
    Message::new("fund", (deal,), amount)
}

/// Deposits `amount` of a token deal's token: the escrow pulls it with the token's
/// `transfer_from`, so the caller must first `approve` the escrow for at least `amount` on
/// the token ([`crate::token::approve`]).
pub fn fund_tokens(deal: DealId, amount: Balance) -> Message<()> {
    Message::new("fund_tokens", (deal, amount), 0)
}

/// The seller marks a milestone delivered, with the evidence's hash.
pub fn submit(deal: DealId, index: u8, evidence: Digest) -> Message<()> {
    Message::new("submit", (deal, index, evidence), 0)
}

/// The buyer releases one milestone.
pub fn approve(deal: DealId, index: u8) -> Message<()> {
    Message::new("approve", (deal, index), 0)
}

/// The buyer releases every unsettled milestone up to `last`; returns how many.
pub fn approve_through(deal: DealId, last: u8) -> Message<u8> {
    Message::new("approve_through", (deal, last), 0)
}

/// An oracle attests a milestone.
pub fn attest(deal: DealId, index: u8) -> Message<()> {
    Message::new("attest", (deal, index), 0)
}

/// The buyer or seller disputes a submitted milestone, with the complaint's hash.
pub fn dispute(deal: DealId, index: u8, reason: Digest) -> Message<()> {
    Message::new("dispute", (deal, index, reason), 0)
}

/// The buyer or seller offers to settle a dispute: the seller's gross share.
pub fn offer_settlement(deal: DealId, index: u8, seller_amount: Balance) -> Message<()> {
    Message::new("offer_settlement", (deal, index, seller_amount), 0)
}

/// Accepts the other party's settlement offer, naming the seller's share it accepts (the
/// contract refuses any other: `OfferMismatch`).
pub fn accept_settlement(deal: DealId, index: u8, seller_amount: Balance) -> Message<()> {
    Message::new("accept_settlement", (deal, index, seller_amount), 0)
}

/// The arbiter splits a disputed milestone: the seller's gross share.
pub fn resolve_dispute(deal: DealId, index: u8, seller_amount: Balance) -> Message<()> {
    Message::new("resolve_dispute", (deal, index, seller_amount), 0)
}

/// Anyone settles one milestone whose clock ran out.
pub fn settle_milestone(deal: DealId, index: u8) -> Message<()> {
    Message::new("settle_milestone", (deal, index), 0)
}

/// Anyone settles every milestone whose clock ran out; returns how many.
pub fn settle_due(deal: DealId) -> Message<u8> {
    Message::new("settle_due", (deal,), 0)
}

/// Anyone records the closure of a deal whose milestones are all settled.
pub fn close_deal(deal: DealId) -> Message<()> {
    Message::new("close_deal", (deal,), 0)
}

/// The buyer or seller proposes to cancel the deal.
pub fn propose_cancel(deal: DealId) -> Message<()> {
    Message::new("propose_cancel", (deal,), 0)
}

/// The other party accepts the cancellation.
pub fn accept_cancel(deal: DealId) -> Message<()> {
    Message::new("accept_cancel", (deal,), 0)
}

/// The proposer withdraws its pending cancellation proposal.
pub fn withdraw_cancel(deal: DealId) -> Message<()> {
    Message::new("withdraw_cancel", (deal,), 0)
}

/// The buyer or seller proposes a later ship-by for a milestone.
pub fn propose_amendment(deal: DealId, index: u8, new_ship_by: Timestamp) -> Message<()> {
    Message::new("propose_amendment", (deal, index, new_ship_by), 0)
}

/// The other party accepts the amendment, naming the ship-by it accepts (the contract
/// refuses any other: `AmendmentMismatch`).
pub fn accept_amendment(deal: DealId, index: u8, new_ship_by: Timestamp) -> Message<()> {
    Message::new("accept_amendment", (deal, index, new_ship_by), 0)
}

/// The proposer withdraws its pending amendment of milestone `index`.
pub fn withdraw_amendment(deal: DealId, index: u8) -> Message<()> {
    Message::new("withdraw_amendment", (deal, index), 0)
}

/// Pulls the caller's claimable balance (payouts the chain refused earlier); returns it.
pub fn withdraw() -> Message<Balance> {
    Message::new("withdraw", (), 0)
}

/// Pulls the caller's claimable balance to `to`, an account of its choice (for a payout
/// that cannot land on the caller's own account); returns it.
pub fn withdraw_to(to: ink::primitives::AccountId) -> Message<Balance> {
    Message::new("withdraw_to", (to,), 0)
}

/// Pulls the caller's claimable balance in `token` (token payouts the token refused
/// earlier) to `to`; returns it.
pub fn withdraw_tokens(
    token: ink::primitives::AccountId,
    to: ink::primitives::AccountId,
) -> Message<Balance> {
    Message::new("withdraw_tokens", (token, to), 0)
}

/// Assigns the receivable of milestones `from..` (the unsettled ones) to `to`: their
/// payments to the seller's side go to `to` from then on. Returns how many changed.
pub fn assign(deal: DealId, from: u8, to: ink::primitives::AccountId) -> Message<u8> {
    Message::new("assign", (deal, from, to), 0)
}

/// The constructor's input: `new(fee_recipient, fee_bps)` under the bundle's `selector`.
pub fn new_instance(
    selector: [u8; 4],
    fee_recipient: ink::primitives::AccountId,
    fee_bps: u16,
) -> Vec<u8> {
    let mut data = selector.to_vec();
    (fee_recipient, fee_bps).encode_to(&mut data);
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::selector;

    #[test]
    fn messages_carry_selector_arguments_and_value() {
        let m = fund(DealId(7), 5);
        assert_eq!((m.name, m.value), ("fund", 5));
        assert_eq!(m.data[..4], selector("fund"));
        assert_eq!(m.data[4..], 7u64.encode()[..]);
        let m = accept_amendment(DealId(1), 2, 3);
        assert_eq!(m.data[4..], (1u64, 2u8, 3u64).encode()[..]);
        assert_eq!(withdraw().data, selector("withdraw"));
        let m = withdraw_to([4; 32].into());
        assert_eq!(m.data[..4], selector("withdraw_to"));
        assert_eq!(m.data[4..], [4u8; 32].encode()[..]);
        assert_eq!(withdraw_cancel(DealId(5)).data[4..], 5u64.encode()[..]);
        let m = withdraw_amendment(DealId(5), 1);
        assert_eq!(m.data[..4], selector("withdraw_amendment"));
        assert_eq!(m.data[4..], (5u64, 1u8).encode()[..]);
        let m = fund_tokens(DealId(2), 9);
        assert_eq!((m.name, m.value), ("fund_tokens", 0));
        assert_eq!(m.data[..4], selector("fund_tokens"));
        assert_eq!(m.data[4..], (2u64, 9u128).encode()[..]);
        let m = withdraw_tokens([6; 32].into(), [7; 32].into());
        assert_eq!(m.data[..4], selector("withdraw_tokens"));
        assert_eq!(m.data[4..], ([6u8; 32], [7u8; 32]).encode()[..]);
        let m = assign(DealId(3), 1, [8; 32].into());
        assert_eq!(m.data[..4], selector("assign"));
        assert_eq!(m.data[4..], (3u64, 1u8, [8u8; 32]).encode()[..]);
        let d = new_instance([9; 4], [1; 32].into(), 250);
        assert_eq!(d[..4], [9; 4]);
        assert_eq!(d[4..], ([1u8; 32], 250u16).encode()[..]);
    }
}
