//! Deals in a PSP22 token on chain (issue 15): the repo's stablecoin end to end, and hostile
//! tokens (`contracts/hostile_token`) that refuse, revert, trap, re-enter, lie or deliver
//! less, each beside a native deal and a stablecoin deal in the same escrow whose funds and
//! state must stay exactly as they would be without it.
//!
//! Token messages are called by their PSP22 selectors (`escrow_types::psp22`), as the escrow
//! and the CLI call them.

use super::*;
use escrow_types::psp22::{self, PSP22Error};
use hostile_token::hostile_token::{HostileToken, HostileTokenRef, Mode};
use ink::env::{
    call::{build_call, ExecutionInput, Selector},
    DefaultEnvironment,
};
use ink_e2e::CallBuilderFinal;
use stablecoin::stablecoin::StablecoinRef;

type Env = DefaultEnvironment;

/// `token.balance_of(owner)`.
fn balance_of(
    token: AccountId,
    owner: AccountId,
) -> CallBuilderFinal<Env, impl scale::Encode + Clone + Sync, Balance> {
    build_call::<Env>()
        .call(token)
        .exec_input(ExecutionInput::new(Selector::new(psp22::BALANCE_OF)).push_arg(owner))
        .returns::<Balance>()
}

/// `token.allowance(owner, spender)`.
fn allowance(
    token: AccountId,
    owner: AccountId,
    spender: AccountId,
) -> CallBuilderFinal<Env, impl scale::Encode + Clone + Sync, Balance> {
    build_call::<Env>()
        .call(token)
        .exec_input(
            ExecutionInput::new(Selector::new(psp22::ALLOWANCE))
                .push_arg(owner)
                .push_arg(spender),
        )
        .returns::<Balance>()
}

/// `token.approve(spender, value)`.
fn approve(
    token: AccountId,
    spender: AccountId,
    value: Balance,
) -> CallBuilderFinal<Env, impl scale::Encode + Clone + Sync, Result<(), PSP22Error>> {
    build_call::<Env>()
        .call(token)
        .exec_input(
            ExecutionInput::new(Selector::new(psp22::APPROVE))
                .push_arg(spender)
                .push_arg(value),
        )
        .returns::<Result<(), PSP22Error>>()
}

/// The escrow, the stablecoin (6 decimals) and a hostile token, both minted to the buyer;
/// three funded deals on the seed's terms, one per asset. The hostile token is honest until
/// the test switches its mode.
struct World {
    escrow: AccountId,
    usd: AccountId,
    hostile: AccountId,
    fee_id: AccountId,
    native_deal: DealId,
    usd_deal: DealId,
    hostile_deal: DealId,
}

const SUPPLY: Balance = 1_000_000 * UNIT;

async fn world(client: &mut Client, charges: &mut Charges) -> E2EResult<World> {
    let (_, fee_id) = fresh_account("TokenFees")?;
    endow(client, fee_id, UNIT).await?;
    let mut constructor = MilestoneEscrowRef::new(fee_id, FEE_BPS);
    let escrow = client
        .instantiate("milestone_escrow", &ink_e2e::alice(), &mut constructor)
        .submit()
        .await
        .expect("instantiate escrow")
        .account_id;
    let mut usd_new = StablecoinRef::new(Some("US Dollar".into()), Some("USD".into()), 6, SUPPLY);
    let usd = client
        .instantiate("stablecoin", &buyer(), &mut usd_new)
        .submit()
        .await
        .expect("instantiate stablecoin")
        .account_id;
    let mut hostile_new = HostileTokenRef::new(Mode::Honest, SUPPLY);
    let hostile = client
        .instantiate("hostile_token", &buyer(), &mut hostile_new)
        .submit()
        .await
        .expect("instantiate hostile token")
        .account_id;
    let mut cb = ink_e2e::create_call_builder::<MilestoneEscrow>(escrow);
    let mut deals = Vec::new();
    for asset in [Asset::Native, Asset::Psp22(usd), Asset::Psp22(hostile)] {
        let terms = DealTerms {
            asset,
            ..seed_terms(false)
        };
        let total: Balance = terms.milestones.iter().map(|m| m.amount).sum();
        let hash = dry!(client, buyer(), cb.terms_hash(terms.clone()));
        let r = call!(client, charges, seller(), cb.propose(terms));
        let deal_id = r.message_result().expect("no LangError").expect("proposed");
        match asset.token() {
            None => {
                call!(
                    client,
                    charges,
                    buyer(),
                    cb.accept(deal_id, hash),
                    value = total
                );
            }
            Some(token) => {
                call!(client, charges, buyer(), cb.accept(deal_id, hash));
                let r = call!(client, charges, buyer(), approve(token, escrow, total));
                assert_eq!(r.return_value(), Ok(()));
                let r = call!(client, charges, buyer(), cb.fund_tokens(deal_id, total));
                assert_eq!(r.message_result().expect("no LangError"), Ok(()));
            }
        }
        deals.push(deal_id);
    }
    Ok(World {
        escrow,
        usd,
        hostile,
        fee_id,
        native_deal: deals[0],
        usd_deal: deals[1],
        hostile_deal: deals[2],
    })
}

/// The seed's 30/40/30 deal in the stablecoin, every token balance checked to the smallest
/// unit, and no native money moved by the deal.
#[test]
fn stablecoin_seed_deal_pays_every_account_to_the_unit() -> E2EResult<()> {
    run(async |mut client| {
        let mut charges = Charges::default();
        let w = world(&mut client, &mut charges).await?;
        let mut cb = ink_e2e::create_call_builder::<MilestoneEscrow>(w.escrow);
        let seller_id = id(AccountKeyring::Charlie);
        let buyer_id = id(AccountKeyring::Bob);
        let escrow_native = client.free_balance(w.escrow).await?;
        assert_eq!(
            dry!(client, buyer(), balance_of(w.usd, w.escrow)),
            1_000 * UNIT
        );
        assert_eq!(
            dry!(client, buyer(), allowance(w.usd, buyer_id, w.escrow)),
            0
        );

        let d = w.usd_deal;
        call!(client, charges, seller(), cb.submit(d, 0, [0xA1; 32]));
        call!(client, charges, buyer(), cb.approve(d, 0));
        call!(client, charges, seller(), cb.submit(d, 1, [0xB1; 32]));
        call!(client, charges, oracle(), cb.attest(d, 1));
        call!(client, charges, seller(), cb.submit(d, 2, [0xD1; 32]));
        let r = call!(client, charges, buyer(), cb.approve(d, 2));
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        assert_eq!(contract_events::<PayoutDeferred>(&r.events), vec![]);

        let view = dry!(client, buyer(), cb.deal(d)).expect("deal");
        assert_eq!(
            (view.deal.asset, view.locked, view.deal.status),
            (Asset::Psp22(w.usd), 0, DealStatus::Closed)
        );
        let token = |who| balance_of(w.usd, who);
        assert_eq!(dry!(client, buyer(), token(seller_id)), 990 * UNIT);
        assert_eq!(dry!(client, buyer(), token(w.fee_id)), 10 * UNIT);
        assert_eq!(
            dry!(client, buyer(), token(buyer_id)),
            SUPPLY - 1_000 * UNIT
        );
        assert_eq!(dry!(client, buyer(), token(w.escrow)), 0);
        // The token deal moved no native money through the escrow.
        assert_eq!(client.free_balance(w.escrow).await?, escrow_native);
        Ok(())
    })
}

/// A token deposit is credited by the escrow's measured balance change: a token that
/// delivers less, or reports a transfer it did not make, is refused, and the chain reverts
/// the pull (the buyer keeps its tokens and its allowance).
#[test]
fn token_deposit_that_does_not_arrive_in_full_is_refused_on_chain() -> E2EResult<()> {
    run(async |mut client| {
        let mut charges = Charges::default();
        let w = world(&mut client, &mut charges).await?;
        let mut cb = ink_e2e::create_call_builder::<MilestoneEscrow>(w.escrow);
        let mut ht = ink_e2e::create_call_builder::<HostileToken>(w.hostile);
        let buyer_id = id(AccountKeyring::Bob);
        // A fresh hostile deal, accepted, not funded.
        let terms = DealTerms {
            asset: Asset::Psp22(w.hostile),
            ..seed_terms(false)
        };
        let hash = dry!(client, buyer(), cb.terms_hash(terms.clone()));
        let r = call!(client, charges, seller(), cb.propose(terms));
        let deal_id = r.message_result().expect("no LangError").expect("proposed");
        call!(client, charges, buyer(), cb.accept(deal_id, hash));
        call!(
            client,
            charges,
            buyer(),
            approve(w.hostile, w.escrow, 300 * UNIT)
        );
        for (mode, received) in [(Mode::DeliverLess { bps: 100 }, 297 * UNIT), (Mode::Lie, 0)] {
            call!(client, charges, buyer(), ht.set_mode(mode.clone()));
            let tokens_before = dry!(client, buyer(), balance_of(w.hostile, buyer_id));
            let refused = dry!(client, buyer(), cb.fund_tokens(deal_id, 300 * UNIT));
            assert_eq!(
                refused,
                Err(Error::DepositMismatch { received }),
                "{mode:?}"
            );
            let submitted = client
                .call(&buyer(), &cb.fund_tokens(deal_id, 300 * UNIT))
                .submit()
                .await;
            assert!(
                matches!(submitted, Err(ink_e2e::Error::CallExtrinsic(_))),
                "{mode:?}: the refused deposit must revert"
            );
            let tokens_after = dry!(client, buyer(), balance_of(w.hostile, buyer_id));
            assert_eq!(tokens_after, tokens_before, "{mode:?}");
            let left = dry!(client, buyer(), allowance(w.hostile, buyer_id, w.escrow));
            assert_eq!(left, 300 * UNIT, "{mode:?}");
            let view = dry!(client, buyer(), cb.deal(deal_id)).expect("deal");
            assert_eq!(view.deal.deposited, 0, "{mode:?}");
        }
        Ok(())
    })
}

/// A token whose `transfer` fails (an error, a revert, a trap, or an attempt to call back
/// into the escrow, which the runtime refuses) cannot block a release or lose a payout: the
/// payouts become claims in that token, withdrawn once it pays again; a withdrawal it
/// refuses reverts and keeps the claim. The native and stablecoin deals beside it are paid
/// to the unit.
#[test]
fn hostile_token_payouts_become_claims_and_other_deals_are_untouched() -> E2EResult<()> {
    run(async |mut client| {
        let seller_id = id(AccountKeyring::Charlie);
        let withdraw_sel = ink::selector_bytes!("withdraw_tokens");
        for mode in ["refuse", "revert", "trap", "reenter"] {
            let w = world(&mut client, &mut Charges::default()).await?;
            // What each account is charged from here on.
            let mut charges = Charges::default();
            let mut cb = ink_e2e::create_call_builder::<MilestoneEscrow>(w.escrow);
            let mut ht = ink_e2e::create_call_builder::<HostileToken>(w.hostile);
            let mode_value = match mode {
                "refuse" => Mode::Refuse,
                "revert" => Mode::Revert,
                "trap" => Mode::Trap,
                _ => Mode::Reenter {
                    target: w.escrow,
                    selector: withdraw_sel,
                    input: scale::Encode::encode(&(w.hostile, seller_id)),
                },
            };
            call!(client, charges, buyer(), ht.set_mode(mode_value));
            let native_before = client.free_balance(seller_id).await?;
            let usd_before = dry!(client, buyer(), balance_of(w.usd, seller_id));

            // The release goes through; its two payouts become claims in the hostile token.
            let r = call!(client, charges, buyer(), cb.approve(w.hostile_deal, 0));
            assert_eq!(r.message_result().expect("no LangError"), Ok(()), "{mode}");
            let asset = Asset::Psp22(w.hostile);
            assert_eq!(
                contract_events::<PayoutDeferred>(&r.events),
                vec![
                    PayoutDeferred {
                        deal_id: w.hostile_deal,
                        account: seller_id,
                        asset,
                        amount: 297 * UNIT,
                        prev_block: 0,
                    },
                    PayoutDeferred {
                        deal_id: w.hostile_deal,
                        account: w.fee_id,
                        asset,
                        amount: 3 * UNIT,
                        prev_block: 0,
                    },
                ],
                "{mode}"
            );
            let claim = dry!(
                client,
                buyer(),
                cb.claimable_tokens_of(seller_id, w.hostile)
            );
            assert_eq!(claim, 297 * UNIT, "{mode}");
            assert_eq!(
                dry!(client, buyer(), cb.claimable_of(seller_id)),
                0,
                "{mode}"
            );
            assert_eq!(dry!(client, buyer(), ht.last_reentry()), None, "{mode}");

            // The native and stablecoin deals beside it: paid exactly.
            let r = call!(client, charges, buyer(), cb.approve(w.native_deal, 0));
            assert_eq!(r.message_result().expect("no LangError"), Ok(()), "{mode}");
            let r = call!(client, charges, buyer(), cb.approve(w.usd_deal, 0));
            assert_eq!(r.message_result().expect("no LangError"), Ok(()), "{mode}");
            let native_after = client.free_balance(seller_id).await? as i128;
            assert_eq!(
                native_after - native_before as i128,
                297 * UNIT as i128 - charges.of(seller_id),
                "{mode}"
            );
            let usd_after = dry!(client, buyer(), balance_of(w.usd, seller_id));
            assert_eq!(usd_after - usd_before, 297 * UNIT, "{mode}");
            for (deal, locked) in [
                (w.native_deal, 700),
                (w.usd_deal, 700),
                (w.hostile_deal, 700),
            ] {
                let view = dry!(client, buyer(), cb.deal(deal)).expect("deal");
                assert_eq!(view.locked, locked * UNIT, "{mode}: {deal:?}");
            }
            // Each asset's balance in the escrow covers its deals and claims.
            assert_eq!(
                dry!(client, buyer(), balance_of(w.usd, w.escrow)),
                700 * UNIT
            );
            assert_eq!(
                dry!(client, buyer(), balance_of(w.hostile, w.escrow)),
                1_000 * UNIT,
                "{mode}: 700 locked + 300 claimable"
            );

            // Refused again: the withdrawal reverts and the claim stays.
            let refused = dry!(client, seller(), cb.withdraw_tokens(w.hostile, seller_id));
            assert_eq!(refused, Err(Error::TransferFailed), "{mode}");
            let submitted = client
                .call(&seller(), &cb.withdraw_tokens(w.hostile, seller_id))
                .submit()
                .await;
            assert!(
                matches!(submitted, Err(ink_e2e::Error::CallExtrinsic(_))),
                "{mode}"
            );
            let claim = dry!(
                client,
                buyer(),
                cb.claimable_tokens_of(seller_id, w.hostile)
            );
            assert_eq!(claim, 297 * UNIT, "{mode}");

            // Once the token pays again, the claim is withdrawn exactly.
            call!(client, charges, buyer(), ht.set_mode(Mode::Honest));
            let before = dry!(client, buyer(), balance_of(w.hostile, seller_id));
            let r = call!(
                client,
                charges,
                seller(),
                cb.withdraw_tokens(w.hostile, seller_id)
            );
            assert_eq!(
                r.message_result().expect("no LangError"),
                Ok(297 * UNIT),
                "{mode}"
            );
            let after = dry!(client, buyer(), balance_of(w.hostile, seller_id));
            assert_eq!(after - before, 297 * UNIT, "{mode}");
            let claim = dry!(
                client,
                buyer(),
                cb.claimable_tokens_of(seller_id, w.hostile)
            );
            assert_eq!(claim, 0, "{mode}");
        }
        Ok(())
    })
}

/// Assignment on chain: after the advance, the seller assigns milestones 1 and 2 of a
/// stablecoin deal to a factor, who is paid both; the buyer sees the payee in reads.
#[test]
fn factor_is_paid_the_assigned_milestones_of_a_stablecoin_deal() -> E2EResult<()> {
    run(async |mut client| {
        let mut charges = Charges::default();
        let w = world(&mut client, &mut charges).await?;
        let mut cb = ink_e2e::create_call_builder::<MilestoneEscrow>(w.escrow);
        let (_, factor) = fresh_account("Factor")?;
        let seller_id = id(AccountKeyring::Charlie);
        let d = w.usd_deal;
        call!(client, charges, buyer(), cb.approve(d, 0));
        let funded_in = dry!(client, buyer(), cb.deal(d))
            .expect("deal")
            .deal
            .last_event_block;
        let r = call!(client, charges, seller(), cb.assign(d, 1, factor));
        assert_eq!(r.message_result().expect("no LangError"), Ok(2));
        assert_eq!(
            contract_events::<ReceivableAssigned>(&r.events),
            vec![ReceivableAssigned {
                deal_id: d,
                by: seller_id,
                to: factor,
                from_index: 1,
                count: 2,
                prev_block: funded_in,
            }]
        );
        let payee = dry!(client, buyer(), cb.milestone(d, 2))
            .expect("milestone")
            .payee;
        assert_eq!(payee, factor);
        let r = call!(client, charges, buyer(), cb.approve_through(d, 2));
        assert_eq!(r.message_result().expect("no LangError"), Ok(2));
        assert_eq!(dry!(client, buyer(), balance_of(w.usd, factor)), 693 * UNIT);
        assert_eq!(
            dry!(client, buyer(), balance_of(w.usd, seller_id)),
            297 * UNIT
        );
        Ok(())
    })
}
