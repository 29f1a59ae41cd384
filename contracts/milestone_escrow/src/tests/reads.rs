//! withdraw of claimable balances, and the paginated deal index.
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
