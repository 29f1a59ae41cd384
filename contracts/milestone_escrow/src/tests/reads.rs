//! withdraw of claimable balances, the paginated deal index, and the event trails.
use super::*;

#[ink::test]
fn withdraw_rejects_empty_claims() {
    let mut t = T::new();
    for who in everyone() {
        t.fails(Error::NothingToWithdraw, |t| t.by(who).withdraw());
    }
}

#[ink::test]
fn deals_of_paginates() {
    let mut t = T::new();
    for _ in 0..40 {
        t.propose(terms());
    }
    assert_eq!(t.c.deal_count(), 40);
    assert_eq!(t.c.deal_count_of(buyer()), 40);
    let page = t.c.deals_of(buyer(), 0, 100);
    assert_eq!(page.len(), MAX_PAGE as usize);
    assert_eq!(page[31], DealId(31));
    assert_eq!(t.c.deals_of(buyer(), 38, 5), vec![DealId(38), DealId(39)]);
    assert_eq!(t.c.deals_of(buyer(), 40, 5), vec![]);
    assert_eq!(t.c.deals_of(stranger(), 0, 5), vec![]);
}

/// Moves the off-chain engine on to block `n`.
fn to_block(n: u32) {
    while ink::env::block_number::<E>() < n {
        test::advance_block::<E>();
    }
}

/// The `prev_block` of every `Ev` emitted so far.
fn prevs<Ev: scale::Decode + ink::env::Event + OnTrail>() -> Vec<BlockNumber> {
    events_of::<Ev>().iter().map(|e| e.prev_block()).collect()
}

/// Every event carries the block of the previous event on its trail (its deal, one of its
/// milestones) and each record the block of its latest: what `escrow audit` walks back along.
#[ink::test]
fn events_link_back_along_their_trails() {
    let mut t = T::new();
    let h = t.hash(&terms());
    to_block(2);
    let id = t.propose(terms());
    to_block(5);
    t.by(seller()).accept(id, h).unwrap();
    t.paying(buyer(), 300).fund(id).unwrap();
    to_block(9);
    t.by(seller()).submit(id, 0, [1; 32]).unwrap();
    to_block(12);
    t.by(oracle1()).attest(id, 0).unwrap();

    assert_eq!(prevs::<DealProposed>(), [0]);
    assert_eq!(prevs::<DealAccepted>(), [2]);
    // In the same block as the acceptance: it points at its own block.
    assert_eq!(prevs::<DealFunded>(), [5]);
    assert_eq!(prevs::<MilestoneSubmitted>(), [0]);
    assert_eq!(prevs::<MilestoneAttested>(), [9]);
    assert_eq!(prevs::<MilestoneReleased>(), [12]);
    assert_eq!(t.deal(id).last_event_block, 5);
    assert_eq!(
        (0..3)
            .map(|i| t.m(id, i).last_event_block)
            .collect::<Vec<_>>(),
        [12, 0, 0]
    );
}
