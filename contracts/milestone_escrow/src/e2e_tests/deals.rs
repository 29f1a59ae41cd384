//! Whole deals on chain: the seed's case, rulings, refunds, refused payouts and refused
//! callers, with exact balance changes.

use super::*;

/// The seed's case: 30/40/30 with an advance, oracle-attested shipment, buyer-approved
/// delivery; exact balance changes for every account.
#[test]
fn seed_deal_pays_everyone_exactly() -> E2EResult<()> {
    run(async |mut client| {
        // given
        let fee_recipient = client
            .create_and_fund_account(&ink_e2e::alice(), 10 * UNIT)
            .await;
        let fee_id = AccountId::from(fee_recipient.public_key().0);
        let mut constructor = MilestoneEscrowRef::new(fee_id, FEE_BPS);
        let contract = client
            .instantiate("milestone_escrow", &ink_e2e::alice(), &mut constructor)
            .submit()
            .await
            .expect("instantiate");
        let mut cb = contract.call_builder::<MilestoneEscrow>();
        let accounts = [
            AccountKeyring::Bob,
            AccountKeyring::Charlie,
            AccountKeyring::Dave,
        ];
        let mut before = HashMap::new();
        for k in accounts {
            before.insert(k, client.free_balance(id(k)).await?);
        }
        let fee_before = client.free_balance(fee_id).await?;
        let mut charges = Charges::default();
        let terms = seed_terms(true);
        let hash = dry!(client, seller(), cb.terms_hash(terms.clone()));

        // when: the exporter proposes, the importer accepts with the full 1,000 UNIT
        let r = call!(client, charges, seller(), cb.propose(terms));
        let deal_id = r.message_result().expect("no LangError").expect("proposed");
        let r = call!(
            client,
            charges,
            buyer(),
            cb.accept(deal_id, hash),
            value = 1_000 * UNIT
        );
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        let released = contract_events::<MilestoneReleased>(&r.events);
        assert_eq!(released.len(), 1);
        assert_eq!(
            (released[0].index, released[0].via),
            (0, ReleaseVia::Advance)
        );
        // shipment attested by the logistics oracle, delivery approved by the buyer
        let r = call!(client, charges, seller(), cb.submit(deal_id, 1, [0xB1; 32]));
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        let r = call!(client, charges, oracle(), cb.attest(deal_id, 1));
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        let r = call!(client, charges, seller(), cb.submit(deal_id, 2, [0xD1; 32]));
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        let r = call!(client, charges, buyer(), cb.approve(deal_id, 2));
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        // the last release closes the deal; anyone (here a stranger) records the closure
        assert_eq!(contract_events::<DealClosed>(&r.events), vec![]);
        // The closure links back to the deal's previous own event (its funding).
        let last = dry!(client, buyer(), cb.deal(deal_id))
            .expect("deal")
            .deal
            .last_event_block;
        assert!(last > 0);
        let r = call!(client, charges, ink_e2e::ferdie(), cb.close_deal(deal_id));
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        assert_eq!(
            contract_events::<DealClosed>(&r.events),
            vec![DealClosed {
                deal_id,
                prev_block: last
            }]
        );

        // then: 1% fee on each release, nothing left locked
        let view = dry!(client, buyer(), cb.deal(deal_id)).expect("deal");
        assert_eq!(view.locked, 0);
        assert_eq!(view.deal.status, DealStatus::Closed);
        assert_eq!(
            (view.deal.released, view.deal.fees),
            (990 * UNIT, 10 * UNIT)
        );
        let expected: [(AccountKeyring, i128); 3] = [
            (AccountKeyring::Bob, -(1_000 * UNIT as i128)),
            (AccountKeyring::Charlie, 990 * UNIT as i128),
            (AccountKeyring::Dave, 0),
        ];
        for (k, payout) in expected {
            let after = client.free_balance(id(k)).await? as i128;
            assert_eq!(
                after - before[&k] as i128,
                payout - charges.of(id(k)),
                "{k:?}"
            );
        }
        assert_eq!(client.free_balance(fee_id).await? - fee_before, 10 * UNIT);
        Ok(())
    })
}

/// Sets up an instance and an accepted, fully funded deal from `terms`.
async fn funded_deal(
    client: &mut Client,
    fee_recipient: AccountId,
    terms: DealTerms,
) -> E2EResult<(
    ink_e2e::InstantiationResult<ink::env::DefaultEnvironment, Events>,
    DealId,
)> {
    let mut constructor = MilestoneEscrowRef::new(fee_recipient, FEE_BPS);
    let contract = client
        .instantiate("milestone_escrow", &ink_e2e::alice(), &mut constructor)
        .submit()
        .await
        .expect("instantiate");
    let mut cb = contract.call_builder::<MilestoneEscrow>();
    let total: Balance = terms.milestones.iter().map(|m| m.amount).sum();
    let hash = dry!(client, buyer(), cb.terms_hash(terms.clone()));
    let deal_id = client
        .call(&seller(), &cb.propose(terms))
        .submit()
        .await?
        .return_value()
        .expect("proposed");
    client
        .call(&buyer(), &cb.accept(deal_id, hash))
        .value(total)
        .submit()
        .await?;
    Ok((contract, deal_id))
}

/// A dispute on the delivery milestone, split by the arbiter 60/40.
#[test]
fn dispute_is_split_by_arbiter() -> E2EResult<()> {
    run(async |mut client| {
        let ferdie = id(AccountKeyring::Ferdie);
        let (contract, deal_id) = funded_deal(&mut client, ferdie, seed_terms(false)).await?;
        let mut cb = contract.call_builder::<MilestoneEscrow>();
        let mut charges = Charges::default();
        call!(client, charges, seller(), cb.submit(deal_id, 2, [9; 32]));
        let r = call!(client, charges, buyer(), cb.dispute(deal_id, 2, [0xEE; 32]));
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));

        // The arbiter may not give the seller more than the milestone.
        let over = dry!(
            client,
            arbiter(),
            cb.resolve_dispute(deal_id, 2, 301 * UNIT)
        );
        assert_eq!(over, Err(Error::SplitExceedsAmount));
        // Nor may anyone else rule.
        let stranger = dry!(client, seller(), cb.resolve_dispute(deal_id, 2, 300 * UNIT));
        assert_eq!(stranger, Err(Error::CallerIsNotArbiter));

        let b0 = client.free_balance(id(AccountKeyring::Bob)).await? as i128;
        let s0 = client.free_balance(id(AccountKeyring::Charlie)).await? as i128;
        let f0 = client.free_balance(ferdie).await?;
        let disputed_in = dry!(client, buyer(), cb.milestone(deal_id, 2))
            .expect("milestone")
            .milestone
            .last_event_block;
        let r = call!(
            client,
            charges,
            arbiter(),
            cb.resolve_dispute(deal_id, 2, 180 * UNIT)
        );
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        assert_eq!(
            contract_events::<DisputeResolved>(&r.events),
            vec![DisputeResolved {
                deal_id,
                resolution: Resolution::Arbiter,
                index: 2,
                to_seller: 178_200_000_000_000,
                payee: id(AccountKeyring::Charlie),
                fee: 1_800_000_000_000,
                to_buyer: 120 * UNIT,
                prev_block: disputed_in,
            }]
        );
        // Neither party signed the ruling: their balances change by exactly the split.
        assert_eq!(
            client.free_balance(id(AccountKeyring::Bob)).await? as i128 - b0,
            120 * UNIT as i128
        );
        assert_eq!(
            client.free_balance(id(AccountKeyring::Charlie)).await? as i128 - s0,
            178_200_000_000_000
        );
        assert_eq!(client.free_balance(ferdie).await? - f0, 1_800_000_000_000);
        let m = dry!(client, buyer(), cb.milestone(deal_id, 2)).expect("m");
        assert_eq!(m.milestone.status, MilestoneStatus::Resolved);
        Ok(())
    })
}

/// A missed ship-by refunds the buyer; a stranger triggers it.
#[test]
fn missed_ship_by_refunds_buyer() -> E2EResult<()> {
    run(async |mut client| {
        let ferdie = id(AccountKeyring::Ferdie);
        let mut terms = seed_terms(false);
        terms.milestones[1].ship_by = now_ms() + 15_000;
        let (contract, deal_id) = funded_deal(&mut client, ferdie, terms).await?;
        let mut cb = contract.call_builder::<MilestoneEscrow>();
        let early = dry!(client, ink_e2e::alice(), cb.settle_milestone(deal_id, 1));
        assert_eq!(early, Err(Error::ShipByNotPassed));
        sleep_ms(16_000).await;
        tick(&mut client).await?;
        let late = dry!(client, seller(), cb.submit(deal_id, 1, [0; 32]));
        assert_eq!(late, Err(Error::ShipByPassed));

        let b0 = client.free_balance(id(AccountKeyring::Bob)).await?;
        let r = client
            .call(&ink_e2e::alice(), &cb.settle_milestone(deal_id, 1))
            .submit()
            .await?;
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        assert_eq!(
            contract_events::<MilestoneRefunded>(&r.events),
            vec![MilestoneRefunded {
                deal_id,
                buyer: id(AccountKeyring::Bob),
                index: 1,
                amount: 400 * UNIT,
                reason: RefundReason::ShipByMissed,
                // Milestone 1 had no event before: its trail starts here.
                prev_block: 0,
            }]
        );
        assert_eq!(
            client.free_balance(id(AccountKeyring::Bob)).await? - b0,
            400 * UNIT
        );
        Ok(())
    })
}

/// Buyer silence past the review window pays the seller; anyone may trigger it, and a
/// second trigger is refused with the milestone's state.
#[test]
fn review_timeout_releases_to_seller() -> E2EResult<()> {
    run(async |mut client| {
        let ferdie = id(AccountKeyring::Ferdie);
        let mut terms = seed_terms(false);
        terms.review_window = 3_000;
        let (contract, deal_id) = funded_deal(&mut client, ferdie, terms).await?;
        let mut cb = contract.call_builder::<MilestoneEscrow>();
        client
            .call(&seller(), &cb.submit(deal_id, 0, [5; 32]))
            .submit()
            .await?;
        let early = dry!(client, ink_e2e::alice(), cb.settle_due(deal_id));
        assert_eq!(early, Err(Error::NothingDue));
        sleep_ms(4_000).await;
        tick(&mut client).await?;
        let s0 = client.free_balance(id(AccountKeyring::Charlie)).await?;
        let r = client
            .call(&ink_e2e::alice(), &cb.settle_due(deal_id))
            .submit()
            .await?;
        assert_eq!(r.message_result().expect("no LangError"), Ok(1));
        let ev = contract_events::<MilestoneReleased>(&r.events);
        assert_eq!(
            (ev[0].amount, ev[0].fee, ev[0].via),
            (297 * UNIT, 3 * UNIT, ReleaseVia::Timeout)
        );
        assert_eq!(
            client.free_balance(id(AccountKeyring::Charlie)).await? - s0,
            297 * UNIT
        );
        let again = dry!(client, ink_e2e::alice(), cb.settle_milestone(deal_id, 0));
        assert_eq!(
            again,
            Err(Error::WrongMilestoneState {
                found: MilestoneStatus::Released
            })
        );
        Ok(())
    })
}

/// A payout the chain refuses (a fee below the existential deposit to an empty account)
/// is credited to the payee, who withdraws it later; a failing message reverts on chain.
#[test]
fn refused_payout_is_credited_and_withdrawn() -> E2EResult<()> {
    run(async |mut client| {
        // An empty fee recipient: a 1% fee of 5 milli-UNIT (0.05 mUNIT) is below the 1 mUNIT
        // existential deposit, so the chain refuses that transfer. A new one per run: an
        // earlier run on the same chain left its own funded.
        let (empty, empty_id) = fresh_account("EmptyFeeRecipient")?;
        let mut terms = seed_terms(false);
        for m in &mut terms.milestones {
            m.amount = 5_000_000_000;
        }
        let (contract, deal_id) = funded_deal(&mut client, empty_id, terms).await?;
        let mut cb = contract.call_builder::<MilestoneEscrow>();
        let r = client
            .call(&buyer(), &cb.approve(deal_id, 0))
            .submit()
            .await?;
        assert_eq!(r.message_result().expect("no LangError"), Ok(()));
        assert_eq!(
            contract_events::<PayoutDeferred>(&r.events),
            vec![PayoutDeferred {
                deal_id,
                account: empty_id,
                asset: Asset::Native,
                amount: 50_000_000,
                prev_block: 0,
            }]
        );
        // The release of milestone 0 deferred the fee, in the same block.
        let deferred_in = dry!(client, buyer(), cb.milestone(deal_id, 0))
            .expect("milestone")
            .milestone
            .last_event_block;
        let claim = dry!(client, buyer(), cb.claimable_of(empty_id));
        assert_eq!(claim, 50_000_000);
        assert_eq!(client.free_balance(empty_id).await?, 0);

        // A failing message changes nothing on chain either: the extrinsic is rejected.
        let replay = client
            .call(&buyer(), &cb.approve(deal_id, 0))
            .submit()
            .await;
        assert!(
            matches!(replay, Err(ink_e2e::Error::CallExtrinsic(_))),
            "replay must revert"
        );
        let replay_dry = dry!(client, buyer(), cb.approve(deal_id, 0));
        assert_eq!(
            replay_dry,
            Err(Error::WrongMilestoneState {
                found: MilestoneStatus::Released
            })
        );

        // Give the payee an existence, then it withdraws exactly its credit.
        endow(&mut client, empty_id, UNIT).await?;
        let mut charges = Charges::default();
        let r = call!(client, charges, empty, cb.withdraw());
        assert_eq!(r.message_result().expect("no LangError"), Ok(50_000_000));
        assert_eq!(
            contract_events::<Withdrawn>(&r.events),
            vec![Withdrawn {
                account: empty_id,
                to: empty_id,
                asset: Asset::Native,
                amount: 50_000_000,
                prev_block: deferred_in,
            }]
        );
        let after = client.free_balance(empty_id).await? as i128;
        assert_eq!(after, (UNIT + 50_000_000) as i128 - charges.of(empty_id));
        let none = dry!(client, empty, cb.withdraw());
        assert_eq!(none, Err(Error::NothingToWithdraw));
        Ok(())
    })
}

/// Issue 14, item 7: a claimant whose payout could not land withdraws it to another account
/// of its choice. A withdrawal to an account that cannot take it fails and keeps the credit.
#[test]
fn claimant_withdraws_its_deferred_payout_to_an_account_of_its_choice() -> E2EResult<()> {
    run(async |mut client| {
        // The fee recipient is empty when its 0.05 mUNIT fee is paid: below the existential
        // deposit, so the chain refuses it and the contract credits it.
        let (claimant, claimant_id) = fresh_account("Claimant")?;
        let mut terms = seed_terms(false);
        for m in &mut terms.milestones {
            m.amount = 5_000_000_000;
        }
        let (contract, deal_id) = funded_deal(&mut client, claimant_id, terms).await?;
        let mut cb = contract.call_builder::<MilestoneEscrow>();
        client
            .call(&buyer(), &cb.approve(deal_id, 0))
            .submit()
            .await?;
        let claim = dry!(client, buyer(), cb.claimable_of(claimant_id));
        assert_eq!(claim, 50_000_000);
        let deferred_in = dry!(client, buyer(), cb.milestone(deal_id, 0))
            .expect("milestone")
            .milestone
            .last_event_block;

        // The claimant gets money for fees elsewhere; a fresh account cannot take 0.05 mUNIT.
        endow(&mut client, claimant_id, UNIT).await?;
        let (_, fresh_id) = fresh_account("FreshPayee")?;
        let refused = dry!(client, claimant, cb.withdraw_to(fresh_id));
        assert_eq!(refused, Err(Error::TransferFailed));

        // An account of its choice that exists takes it, exactly.
        let (_, payee_id) = fresh_account("Payee")?;
        endow(&mut client, payee_id, UNIT).await?;
        let mut charges = Charges::default();
        let r = call!(client, charges, claimant, cb.withdraw_to(payee_id));
        assert_eq!(r.message_result().expect("no LangError"), Ok(50_000_000));
        assert_eq!(
            contract_events::<Withdrawn>(&r.events),
            vec![Withdrawn {
                account: claimant_id,
                to: payee_id,
                asset: Asset::Native,
                amount: 50_000_000,
                prev_block: deferred_in,
            }]
        );
        assert_eq!(client.free_balance(payee_id).await?, UNIT + 50_000_000);
        let after = client.free_balance(claimant_id).await? as i128;
        assert_eq!(after, UNIT as i128 - charges.of(claimant_id));
        let claim = dry!(client, buyer(), cb.claimable_of(claimant_id));
        assert_eq!(claim, 0);
        Ok(())
    })
}

/// Issue 14, item 7: a payout that fails because the contract itself holds too little is an
/// error that reverts the message, never a claimable credit. No message can make the
/// contract short, so the test takes its balance down with sudo.
#[test]
fn payout_the_contract_cannot_cover_is_an_error_not_a_credit() -> E2EResult<()> {
    use ink_e2e::subxt::dynamic::Value;
    run(async |mut client| {
        let seller_id = AccountId::from(seller().public_key().0);
        let (contract, deal_id) =
            funded_deal(&mut client, id(AccountKeyring::Ferdie), seed_terms(false)).await?;
        let mut cb = contract.call_builder::<MilestoneEscrow>();
        let force_set = Value::named_variant(
            "force_set_balance",
            [
                (
                    "who",
                    Value::unnamed_variant("Id", [Value::from_bytes(contract.account_id)]),
                ),
                ("new_free", Value::u128(UNIT)),
            ],
        );
        client
            .runtime_call(
                &ink_e2e::alice(),
                "Sudo",
                "sudo",
                vec![Value::unnamed_variant("Balances", [force_set])],
            )
            .await?;
        let r = dry!(client, buyer(), cb.approve(deal_id, 0));
        assert_eq!(r, Err(Error::ContractBalanceTooLow));
        let submitted = client
            .call(&buyer(), &cb.approve(deal_id, 0))
            .submit()
            .await;
        assert!(
            matches!(submitted, Err(ink_e2e::Error::CallExtrinsic(_))),
            "the failing release must revert"
        );
        let claim = dry!(client, buyer(), cb.claimable_of(seller_id));
        assert_eq!(claim, 0);
        let m = dry!(client, buyer(), cb.milestone(deal_id, 0)).expect("milestone");
        assert_eq!(m.milestone.status, MilestoneStatus::Pending);
        Ok(())
    })
}

/// Unauthorized calls are refused on chain with the exact error (dry-run), for a sample
/// of messages and roles.
#[test]
fn unauthorized_calls_are_refused() -> E2EResult<()> {
    run(async |mut client| {
        let (contract, deal_id) =
            funded_deal(&mut client, id(AccountKeyring::Ferdie), seed_terms(false)).await?;
        let mut cb = contract.call_builder::<MilestoneEscrow>();
        let r = dry!(client, buyer(), cb.submit(deal_id, 0, [0; 32]));
        assert_eq!(r, Err(Error::CallerIsNotSeller));
        let r = dry!(client, seller(), cb.approve(deal_id, 0));
        assert_eq!(r, Err(Error::CallerIsNotBuyer));
        let r = dry!(client, buyer(), cb.attest(deal_id, 0));
        assert_eq!(r, Err(Error::CallerIsNotOracle));
        let r = dry!(client, oracle(), cb.propose_cancel(deal_id));
        assert_eq!(r, Err(Error::CallerIsNotParty));
        let r = client
            .call(&buyer(), &cb.fund(deal_id))
            .value(1)
            .dry_run()
            .await?;
        assert_eq!(
            r.message_result().expect("no LangError"),
            Err(Error::OverFunded { remaining: 0 })
        );
        Ok(())
    })
}
