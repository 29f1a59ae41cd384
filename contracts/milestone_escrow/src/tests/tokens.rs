//! Deals paid in a PSP22 token (issue 15): deposits pulled with `transfer_from` and credited
//! by the escrow's balance change, payouts with `transfer`, refused payouts claimable per
//! token, and hostile tokens that can hurt nobody but their own deal's payees.
//!
//! The tokens are `crate::token::mock` ledgers; the same rules against real token contracts
//! on the node are the ink_e2e tests' (`e2e_tests::tokens`).
use super::*;
use mock::Mode;

fn escrow() -> AccountId {
    test::callee::<E>()
}

/// The seed's deal in `token`.
fn in_token(token: AccountId) -> DealTerms {
    DealTerms {
        asset: Asset::Psp22(token),
        ..terms()
    }
}

#[ink::test]
fn stablecoin_deal_pays_every_account_in_its_token_to_the_unit() {
    let mut t = T::new();
    let id = t.token_active(usd(), terms(), 1_000);
    assert_eq!(T::tokens_of(usd(), escrow()), 1_000);
    assert_eq!(t.by(buyer()).approve_through(id, 2), Ok(3));
    assert_eq!(T::tokens_of(usd(), buyer()), -1_000);
    assert_eq!(T::tokens_of(usd(), seller()), 990);
    assert_eq!(T::tokens_of(usd(), fee_recipient()), 10);
    assert_eq!(T::tokens_of(usd(), escrow()), 0);
    // Nothing moved in the native token or the other token.
    for who in everyone() {
        assert_eq!(T::balance(who), 0);
        assert_eq!(T::tokens_of(eur(), who), 0);
    }
    assert_eq!(T::balance(escrow()), 0);
    let d = t.deal(id);
    assert_eq!(
        (d.asset, d.deposited, d.released, d.fees, d.status),
        (Asset::Psp22(usd()), 1_000, 990, 10, DealStatus::Closed)
    );
    assert_eq!(
        events_of::<DealFunded>(),
        vec![DealFunded {
            deal_id: id,
            funder: buyer(),
            amount: 1_000,
            deposited: 1_000,
            prev_block: 0,
        }]
    );
}

#[ink::test]
fn token_deposit_needs_an_approval_for_at_least_its_amount() {
    let mut t = T::new();
    let id = t.token_active(usd(), terms(), 0);
    t.fails(Error::TransferFailed, |t| {
        t.by(buyer()).fund_tokens(id, 300)
    });
    mock::approve(usd(), buyer(), escrow(), 299);
    t.fails(Error::TransferFailed, |t| {
        t.by(buyer()).fund_tokens(id, 300)
    });
    mock::approve(usd(), buyer(), escrow(), 500);
    assert_eq!(t.by(buyer()).fund_tokens(id, 300), Ok(()));
    assert_eq!(mock::allowance(usd(), buyer(), escrow()), 200);
    assert_eq!(T::tokens_of(usd(), escrow()), 300);
    assert_eq!(t.deal(id).deposited, 300);
    assert!(t.m(id, 0).status == MilestoneStatus::Pending);
    assert_eq!(t.c.milestone(id, 0).unwrap().covered, 300);
}

/// A deposit is credited by what arrived, never by what was asked: a fee-on-transfer token,
/// one that reports success and moves nothing, and one that reverts are all refused, and
/// nothing is booked.
#[ink::test]
fn token_deposit_that_does_not_arrive_in_full_is_refused() {
    for (mode, expected) in [
        (
            Mode::DeliverLess(100),
            Error::DepositMismatch { received: 990 },
        ),
        (Mode::Lie, Error::DepositMismatch { received: 0 }),
        (Mode::Revert, Error::TransferFailed),
    ] {
        let mut t = T::new();
        let id = t.token_active(usd(), terms(), 0);
        mock::set_mode(usd(), mode);
        mock::approve(usd(), buyer(), escrow(), 1_000);
        t.fails(expected, |t| t.by(buyer()).fund_tokens(id, 1_000));
        assert_eq!(t.deal(id).deposited, 0, "{mode:?}");
        assert_eq!(T::tokens_of(usd(), buyer()), 0, "{mode:?}");
    }
}

#[ink::test]
fn native_and_token_deposits_refuse_the_other_asset() {
    let mut t = T::new();
    let token_deal = t.token_active(usd(), terms(), 0);
    let native_deal = t.active(terms(), 0);
    t.fails(Error::WrongAsset, |t| {
        t.paying(buyer(), 10).fund(token_deal)
    });
    mock::approve(usd(), buyer(), escrow(), 10);
    t.fails(Error::WrongAsset, |t| {
        t.by(buyer()).fund_tokens(native_deal, 10)
    });
    // Value cannot ride on the buyer's acceptance of a token deal.
    let id = t.by(seller()).propose(in_token(usd())).unwrap();
    let h = t.deal(id).terms_hash;
    t.fails(Error::UnexpectedValue, |t| {
        t.paying(buyer(), 10).accept(id, h)
    });
    assert_eq!(t.by(buyer()).accept(id, h), Ok(()));
}

#[ink::test]
fn asset_is_bound_by_the_terms_hash() {
    let mut t = T::new();
    let native = t.hash(&terms());
    let in_usd = t.hash(&in_token(usd()));
    let in_eur = t.hash(&in_token(eur()));
    assert_ne!(native, in_usd);
    assert_ne!(in_usd, in_eur);
    let id = t.propose(in_token(usd()));
    t.fails(Error::TermsHashMismatch, |t| {
        t.by(seller()).accept(id, native)
    });
    t.fails(Error::TermsHashMismatch, |t| {
        t.by(seller()).accept(id, in_eur)
    });
    assert_eq!(t.by(seller()).accept(id, in_usd), Ok(()));
    assert_eq!(t.deal(id).asset, Asset::Psp22(usd()));
}

#[ink::test]
fn proposal_naming_the_zero_account_or_the_escrow_as_token_is_refused() {
    let mut t = T::new();
    for token in [AccountId::from([0u8; 32]), escrow()] {
        t.fails(Error::InvalidAsset, |t| {
            t.by(buyer()).propose(in_token(token))
        });
    }
}

/// A payout the token refuses is credited to the payee in that token and blocks nothing:
/// the release goes through, and the payee withdraws once the token pays again.
#[ink::test]
fn token_payout_the_token_refuses_becomes_claimable_in_that_token() {
    let mut t = T::new();
    let id = t.token_active(usd(), terms(), 1_000);
    mock::set_mode(usd(), Mode::Revert);
    assert_eq!(t.by(buyer()).approve(id, 0), Ok(()));
    assert_eq!(t.status(id, 0), MilestoneStatus::Released);
    assert_eq!(t.c.claimable_tokens_of(seller(), usd()), 297);
    assert_eq!(t.c.claimable_tokens_of(fee_recipient(), usd()), 3);
    assert_eq!(t.c.claimable_of(seller()), 0);
    assert_eq!(t.c.claimable_tokens_of(seller(), eur()), 0);
    assert_eq!(
        events_of::<PayoutDeferred>(),
        vec![
            PayoutDeferred {
                deal_id: id,
                account: seller(),
                asset: Asset::Psp22(usd()),
                amount: 297,
                prev_block: 0,
            },
            PayoutDeferred {
                deal_id: id,
                account: fee_recipient(),
                asset: Asset::Psp22(usd()),
                amount: 3,
                prev_block: 0,
            },
        ]
    );
    // A withdrawal the token refuses again fails with `TransferFailed` and the chain's revert
    // keeps the credit: the off-chain engine cannot revert storage, so that is shown on the
    // node (e2e_tests::tokens).
    mock::set_mode(usd(), Mode::Honest);
    assert_eq!(t.by(seller()).withdraw_tokens(usd(), seller()), Ok(297));
    assert_eq!(T::tokens_of(usd(), seller()), 297);
    assert_eq!(t.c.claimable_tokens_of(seller(), usd()), 0);
    assert_eq!(
        events_of::<Withdrawn>(),
        vec![Withdrawn {
            account: seller(),
            to: seller(),
            asset: Asset::Psp22(usd()),
            amount: 297,
            prev_block: 0,
        }]
    );
    t.fails(Error::NothingToWithdraw, |t| {
        t.by(seller()).withdraw_tokens(usd(), seller())
    });
    // The native claimable is a separate book.
    t.fails(Error::NothingToWithdraw, |t| {
        t.by(fee_recipient()).withdraw()
    });
    assert_eq!(
        t.by(fee_recipient()).withdraw_tokens(usd(), factor()),
        Ok(3)
    );
    assert_eq!(T::tokens_of(usd(), factor()), 3);
    assert_eq!(T::tokens_of(usd(), escrow()), 700);
    t.assert_books(id);
}

/// A hostile token hurts only its own deal: deals in the native token and in another token
/// run to the unit beside a deal whose token refuses every transfer, and each asset's
/// balance in the escrow still covers what that asset's deals hold plus its claims.
#[ink::test]
fn hostile_token_cannot_touch_other_deals_or_assets() {
    let mut t = T::new();
    let native = t.active(terms(), 1_000);
    let honest = t.token_active(eur(), terms(), 1_000);
    let hostile = t.token_active(usd(), terms(), 1_000);
    mock::set_mode(usd(), Mode::Revert);
    for id in [native, honest, hostile] {
        assert_eq!(t.by(buyer()).approve_through(id, 1), Ok(2), "{id:?}");
    }
    // The hostile deal's refund is deferred too, and the buyer's claim is in that token.
    t.by(seller()).propose_cancel(hostile).unwrap();
    assert_eq!(t.by(buyer()).accept_cancel(hostile), Ok(()));
    assert_eq!(T::balance(seller()), 693);
    assert_eq!(T::tokens_of(eur(), seller()), 693);
    assert_eq!(T::tokens_of(usd(), seller()), 0);
    assert_eq!(t.c.claimable_tokens_of(seller(), usd()), 693);
    assert_eq!(t.c.claimable_tokens_of(buyer(), usd()), 300);
    assert_eq!(T::balance(escrow()), 300);
    assert_eq!(T::tokens_of(eur(), escrow()), 300);
    assert_eq!(T::tokens_of(usd(), escrow()), 1_000);
    for id in [native, honest, hostile] {
        t.assert_books(id);
    }
    assert_eq!(t.c.deal(hostile).unwrap().locked, 0);
    assert_eq!(t.by(buyer()).approve(native, 2), Ok(()));
    assert_eq!(t.by(buyer()).approve(honest, 2), Ok(()));
    assert_eq!(
        (T::balance(escrow()), T::tokens_of(eur(), escrow())),
        (0, 0)
    );
}

/// A token that reports success and moves nothing on a payout leaves the escrow holding
/// more than it owes in that token: the books say paid, and no other asset is touched.
#[ink::test]
fn lying_token_payout_leaves_a_surplus_in_its_own_asset_only() {
    let mut t = T::new();
    let native = t.active(terms(), 1_000);
    let id = t.token_active(usd(), terms(), 1_000);
    mock::set_mode(usd(), Mode::Lie);
    assert_eq!(t.by(buyer()).approve(id, 0), Ok(()));
    assert_eq!(T::tokens_of(usd(), seller()), 0);
    assert_eq!(t.c.claimable_tokens_of(seller(), usd()), 0);
    let v = t.c.deal(id).unwrap();
    assert_eq!((v.locked, v.deal.released), (700, 297));
    assert_eq!(T::tokens_of(usd(), escrow()), 1_000);
    assert_eq!(t.by(buyer()).approve(native, 0), Ok(()));
    assert_eq!(T::balance(seller()), 297);
}

#[ink::test]
fn token_refund_goes_back_to_the_buyer_in_the_token() {
    let mut t = T::new();
    let id = t.token_active(usd(), terms(), 1_000);
    t.at(SHIP_BY + 1);
    assert_eq!(t.by(stranger()).settle_milestone(id, 1), Ok(()));
    assert_eq!(T::tokens_of(usd(), buyer()), -600);
    assert_eq!(T::tokens_of(usd(), escrow()), 600);
    assert_eq!(T::balance(buyer()), 0);
    t.assert_books(id);
}

/// A named funder (a bank paying for the buyer) funds a token deal from its own tokens;
/// refunds still go to the buyer.
#[ink::test]
fn named_funder_pays_a_token_deal_and_refunds_go_to_the_buyer() {
    let mut t = T::new();
    let terms = DealTerms {
        funder: Some(funder()),
        ..terms()
    };
    let id = t.token_active(usd(), terms, 0);
    mock::approve(usd(), stranger(), escrow(), 1_000);
    t.fails(Error::CallerIsNotFunder, |t| {
        t.by(stranger()).fund_tokens(id, 1_000)
    });
    assert_eq!(t.fund_tokens(id, funder(), 1_000), Ok(()));
    assert_eq!(T::tokens_of(usd(), funder()), -1_000);
    t.by(seller()).propose_cancel(id).unwrap();
    assert_eq!(t.by(buyer()).accept_cancel(id), Ok(()));
    assert_eq!(T::tokens_of(usd(), buyer()), 1_000);
    assert_eq!(T::tokens_of(usd(), escrow()), 0);
}

#[ink::test]
fn token_deposit_keeps_every_funding_rule() {
    let mut t = T::new();
    let id = t.token_active(usd(), terms(), 0);
    t.fails(Error::ZeroDeposit, |t| t.by(buyer()).fund_tokens(id, 0));
    mock::approve(usd(), buyer(), escrow(), 2_000);
    t.fails(Error::OverFunded { remaining: 1_000 }, |t| {
        t.by(buyer()).fund_tokens(id, 1_001)
    });
    let proposed = t.propose(in_token(usd()));
    t.fails(
        Error::WrongDealState {
            found: DealStatus::Proposed,
        },
        |t| t.by(buyer()).fund_tokens(proposed, 10),
    );
    t.at(LATE + 1);
    t.fails(Error::FundingDeadlinePassed, |t| {
        t.by(buyer()).fund_tokens(id, 10)
    });
}
