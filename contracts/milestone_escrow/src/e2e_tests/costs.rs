//! What every message costs on chain, against the bare contract's `pay`.

use super::*;

/// Gas of one dry-run: (ref_time, proof_size) consumed.
fn gas<V>(d: &ink_e2e::CallDryRunResult<ink::env::DefaultEnvironment, V>) -> (u64, u64) {
    let w = d.exec_result.gas_consumed;
    (w.ref_time(), w.proof_size())
}

/// Measures every message's weight by dry-run on the node, against the bare contract's
/// `pay` (one storage write, one transfer), writes the table to
/// `escrow-costs.md` in the target directory, and guards a milestone release's cost ratio.
#[test]
fn message_costs() -> E2EResult<()> {
    run(async |mut client| {
        let alice = ink_e2e::alice();
        // The baseline.
        let mut bare_ctor = bare_pay::bare_pay::BarePayRef::new();
        let bare = client
            .instantiate("bare_pay", &alice, &mut bare_ctor)
            .value(10 * UNIT)
            .submit()
            .await
            .expect("instantiate bare_pay");
        let mut bare_cb = bare.call_builder::<bare_pay::bare_pay::BarePay>();
        let pay = bare_cb.pay(id(AccountKeyring::Ferdie), UNIT);
        let base = gas(&client.call(&alice, &pay).dry_run().await?);

        let mut rows: Vec<(&str, (u64, u64))> = Vec::new();
        let mut terms = seed_terms(false);
        terms.review_window = 2_000;
        terms.milestones.push(MilestoneTerms {
            amount: 100 * UNIT,
            terms_hash: [4; 32],
            ship_by: now_ms() + 600_000,
        });
        terms.milestones.push(MilestoneTerms {
            amount: 100 * UNIT,
            terms_hash: [5; 32],
            ship_by: now_ms() + 30 * DAY_MS,
        });
        let total = 1_200 * UNIT;
        let mut ctor = MilestoneEscrowRef::new(id(AccountKeyring::Ferdie), FEE_BPS);
        let contract = client
            .instantiate("milestone_escrow", &alice, &mut ctor)
            .submit()
            .await
            .expect("instantiate");
        let mut cb = contract.call_builder::<MilestoneEscrow>();
        let hash = client
            .call(&buyer(), &cb.terms_hash(terms.clone()))
            .dry_run()
            .await?
            .return_value();

        macro_rules! measure {
            ($name:expr, $signer:expr, $msg:expr $(, value = $v:expr)?) => {{
                let msg = $msg;
                let d = client.call(&$signer, &msg)$(.value($v))?.dry_run().await?;
                assert!(!d.is_err(), "{} dry-run failed: {:?}", $name, d.exec_result.result);
                rows.push(($name, gas(&d)));
                let deposit = d.exec_result.storage_deposit.charge_or_zero();
                client.call(&$signer, &msg)$(.value($v))?.submit().await.expect($name);
                deposit
            }};
        }
        // A second deal to withdraw and the main one through every message.
        let d0 = client
            .call(&seller(), &cb.propose(terms.clone()))
            .submit()
            .await?
            .return_value()
            .expect("p");
        measure!("withdraw_proposal", seller(), cb.withdraw_proposal(d0));
        let deal_deposit = measure!(
            "propose (5 milestones)",
            seller(),
            cb.propose(terms.clone())
        );
        let deal = DealId(1);
        measure!(
            "accept + fund (advance off)",
            buyer(),
            cb.accept(deal, hash),
            value = 1_000 * UNIT
        );
        measure!("fund", buyer(), cb.fund(deal), value = total - 1_000 * UNIT);
        measure!("approve (release + fee)", buyer(), cb.approve(deal, 0));
        measure!("submit", seller(), cb.submit(deal, 1, [1; 32]));
        measure!("attest (quorum → release)", oracle(), cb.attest(deal, 1));
        measure!(
            "propose_amendment",
            seller(),
            cb.propose_amendment(deal, 3, now_ms() + 900_000)
        );
        let new_ship_by = client
            .call(&buyer(), &cb.milestone(deal, 3))
            .dry_run()
            .await?
            .return_value()
            .and_then(|m| m.milestone.amendment)
            .map(|a| a.new_ship_by)
            .expect("amendment");
        measure!(
            "accept_amendment",
            buyer(),
            cb.accept_amendment(deal, 3, new_ship_by)
        );
        measure!("submit", seller(), cb.submit(deal, 2, [2; 32]));
        measure!("dispute", buyer(), cb.dispute(deal, 2, [3; 32]));
        measure!(
            "offer_settlement",
            seller(),
            cb.offer_settlement(deal, 2, 150 * UNIT)
        );
        measure!(
            "accept_settlement (split)",
            buyer(),
            cb.accept_settlement(deal, 2, 150 * UNIT)
        );
        measure!("submit", seller(), cb.submit(deal, 3, [4; 32]));
        measure!("dispute", seller(), cb.dispute(deal, 3, [5; 32]));
        measure!(
            "resolve_dispute (split)",
            arbiter(),
            cb.resolve_dispute(deal, 3, 50 * UNIT)
        );
        measure!("submit", seller(), cb.submit(deal, 4, [6; 32]));
        // Let the 2 s review window pass: a new block moves the chain's clock.
        sleep_ms(2_100).await;
        client
            .call(&ink_e2e::alice(), &cb.deal_count())
            .submit()
            .await?;
        measure!(
            "settle_milestone (timeout release)",
            ink_e2e::alice(),
            cb.settle_milestone(deal, 4)
        );

        // Batch approval and cancellation on a third deal.
        let d2 = client
            .call(&seller(), &cb.propose(terms.clone()))
            .submit()
            .await?
            .return_value()
            .expect("p");
        client
            .call(&buyer(), &cb.accept(d2, hash))
            .value(total)
            .submit()
            .await?;
        measure!(
            "approve_through (3 milestones)",
            buyer(),
            cb.approve_through(d2, 2)
        );
        measure!("propose_cancel", buyer(), cb.propose_cancel(d2));
        measure!("accept_cancel (2 refunds)", seller(), cb.accept_cancel(d2));

        let mut table = String::from(
            "| message | ref_time | proof_size | × bare pay ref_time | × bare pay proof_size |\n|---|---:|---:|---:|---:|\n",
        );
        table.push_str(&format!(
            "| bare_pay::pay (baseline) | {} | {} | 1.00 | 1.00 |\n",
            base.0, base.1
        ));
        for (name, (r, p)) in &rows {
            table.push_str(&format!(
                "| {name} | {r} | {p} | {:.2} | {:.2} |\n",
                *r as f64 / base.0 as f64,
                *p as f64 / base.1 as f64
            ));
        }
        table.push_str(&format!(
            "\nStorage deposit charged for proposing a 5-milestone deal: {deal_deposit} (plancks)\n"
        ));
        println!("{table}");
        std::fs::write(target_dir().join("escrow-costs.md"), &table)?;

        // Regression budget, about the release bundles (the ones deployed): a release with fee
        // first measured 4.49× / 5.07× the bare pay (ref_time 465583442 / 103726609,
        // proof_size 113413 / 22353), with a budget 10% above that: 4.94× / 5.58×. The event
        // trails (issue 18: a block number per event and per record, and 1.3 KB more code,
        // which every call proves) took it from 4.83× / 5.57× to 4.86× / 5.63× (ref_time
        // 503889089, proof_size 125837), past that proof_size budget by design; the
        // proof_size budget is now 2% above the new figure, as the ref_time one is about 2%
        // above its own. The cost that counts is the whole deal's (scripts/bench.sh); this
        // guard only keeps a release from getting more expensive unnoticed.
        let (_, release) = rows
            .iter()
            .find(|(n, _)| n.starts_with("approve ("))
            .expect("measured");
        assert!(
            release.0 * 100 <= base.0 * 494,
            "release ref_time {} > 4.94 × {}",
            release.0,
            base.0
        );
        assert!(
            release.1 * 100 <= base.1 * 575,
            "release proof_size {} > 5.75 × {}",
            release.1,
            base.1
        );
        Ok(())
    })
}
