//! Releases and refunds the parties agree on: an oracle quorum (two of three, one silent),
//! and a mutual cancellation after one milestone was released.

use escrow_test_support::{chain_available, cli::amount, exit, units, Result};

use crate::world::{assert_released, World, BUYER, OPERATOR, SELLER, STRANGER};

/// Three oracles, any two release a milestone; the third never signs and its balance never
/// moves. The buyer cannot release under the `Oracles` rule, and an oracle counts once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracle_quorum_two_of_three_with_one_oracle_silent() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let first = ("oracle1", "//Dave");
    let second = ("oracle2", "//Eve");
    let silent = ("oracle3", "//Ferdie");
    let mut w = World::start(&[BUYER, SELLER, first, second, silent], false).await?;

    let (id, fund) = w.buyer_proposes_and_funds(
        &[
            "--seller",
            SELLER.1,
            "--oracle",
            first.1,
            "--oracle",
            second.1,
            "--oracle",
            silent.1,
            "--threshold",
            "2",
            "--rule",
            "oracles",
            "--milestone",
            "1000",
            "--milestone",
            "3000",
        ],
        4_000,
    );
    let id_s = id.to_string();
    assert_eq!(fund.events(), ["DealFunded"]);
    w.check("after funding").await?;

    // when: one attestation of two
    let tx = w.cli.tx(first.1, &["deal", "attest", &id_s, "0"]);
    assert_eq!(tx.events(), ["MilestoneAttested"]);
    assert_eq!(tx.events_named("MilestoneAttested")[0]["attestations"], 1);
    // then: no release; the same oracle cannot count twice; the buyer may not release
    w.cli
        .run(&["--suri", first.1, "deal", "attest", &id_s, "0"])
        .fails(exit::REJECTED, &["AlreadyAttested"]);
    w.cli
        .run(&["--suri", BUYER.1, "deal", "approve", &id_s, "0"])
        .fails(exit::REJECTED, &["RuleForbidsBuyerRelease"]);
    w.cli
        .run(&["--suri", OPERATOR, "deal", "attest", &id_s, "0"])
        .fails(exit::REJECTED, &["CallerIsNotOracle"]);
    w.check("after one attestation").await?;

    // when: the second oracle attests: quorum
    let tx = w.cli.tx(second.1, &["deal", "attest", &id_s, "0"]);
    assert_eq!(tx.events(), ["MilestoneAttested", "MilestoneReleased"]);
    let (net, fee) = w.released(units(1_000));
    assert_released(&tx, 0, net, fee, "Oracles");
    w.check("after the quorum on milestone 0").await?;

    // when: milestone 1 is submitted and attested by the same two, in the other order
    w.submit(&id_s, "1", "ee");
    w.cli.tx(second.1, &["deal", "attest", &id_s, "1"]);
    let tx = w.cli.tx(first.1, &["deal", "attest", &id_s, "1"]);
    assert_eq!(tx.events(), ["MilestoneAttested", "MilestoneReleased"]);
    let (net, fee) = w.released(units(3_000));
    assert_released(&tx, 1, net, fee, "Oracles");

    // then: the silent oracle paid nothing and got nothing
    w.check("after the quorum on milestone 1").await?;
    assert_eq!(w.ledger.fees_of(silent.0), 0);
    assert_eq!(w.cli.deal_status(id), "Closed");
    w.cli.assert_audit_ok(id);
    Ok(())
}

/// Milestone 0 is released; then both parties cancel: the submitted-but-undisputed
/// milestone 1 and the pending milestone 2 go back to the buyer; the released one stays
/// with the seller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_cancellation_after_one_milestone_released() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, STRANGER], false).await?;
    let (id, _) = w.seller_proposes_buyer_funds(
        &[
            "--buyer",
            BUYER.1,
            "--milestone",
            "300",
            "--milestone",
            "300",
            "--milestone",
            "400",
        ],
        1_000,
    );
    let id_s = id.to_string();
    w.submit(&id_s, "0", "10");
    w.cli.tx(BUYER.1, &["deal", "approve", &id_s, "0"]);
    w.released(units(300));
    w.submit(&id_s, "1", "11");
    w.check("before the cancellation").await?;

    // when: the seller proposes to cancel; nobody but the buyer can accept
    let tx = w.cli.tx(SELLER.1, &["deal", "cancel", &id_s]);
    assert_eq!(tx.events(), ["CancellationProposed"]);
    w.cli
        .run(&["--suri", SELLER.1, "deal", "accept-cancel", &id_s])
        .fails(exit::REJECTED, &["CannotAcceptOwnProposal"]);
    w.cli
        .run(&["--suri", STRANGER.1, "deal", "accept-cancel", &id_s])
        .fails(exit::REJECTED, &["CallerIsNotParty"]);
    let tx = w.cli.tx(BUYER.1, &["deal", "accept-cancel", &id_s]);
    assert_eq!(
        tx.events(),
        ["MilestoneRefunded", "MilestoneRefunded", "DealCancelled"]
    );
    assert_eq!(
        amount(&tx.events_named("DealCancelled")[0]["refunded"]),
        units(700)
    );
    w.ledger.pay("contract", BUYER.0, units(700));

    // then
    w.check("after the cancellation").await?;
    let deal = w.cli.deal(id);
    assert_eq!(deal["deal"]["deal"]["status"], "Closed");
    assert_eq!(amount(&deal["deal"]["deal"]["refunded"]), units(700));
    assert_eq!(amount(&deal["deal"]["deal"]["released"]), units(297));
    assert_eq!(w.cli.milestone_status(id, 0), "Released");
    w.cli
        .run(&["--suri", BUYER.1, "deal", "approve", &id_s, "2"])
        .fails(exit::REJECTED, &["WrongDealState"]);
    w.cli.assert_audit_ok(id);
    w.check("after a refused approval").await
}
