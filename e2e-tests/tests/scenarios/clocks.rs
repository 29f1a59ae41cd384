//! The clocks: a missed ship-by refunds the buyer, an amended ship-by keeps the milestone
//! alive, and a review window that runs out in silence releases to the seller.

use escrow_test_support::{
    chain::{rfc3339, wall_ms},
    chain_available,
    cli::amount,
    exit, units, Result,
};

use crate::world::{assert_released, review_ends, ship_by, World, BUYER, SELLER, STRANGER};

/// The seller misses milestone 0's ship-by: a bystander triggers the refund to the buyer;
/// the rest of the deal carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_ship_by_refunds_the_buyer() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, STRANGER], false).await?;

    // given: milestone 0 must ship within 20 s, milestone 1 by the CLI's default (fund-by
    // + 2 x 30d). The ship-by is an absolute wall-clock time: the CLI counts "+20s" from
    // the best block's timestamp, which on this chain is the time of the last transaction,
    // possibly long past.
    let ship_by_arg = format!("400@{}", rfc3339(wall_ms() + 20_000));
    let (id, _) = w.buyer_proposes_and_funds(
        &[
            "--seller",
            SELLER.1,
            "--milestone",
            &ship_by_arg,
            "--milestone",
            "600",
        ],
        1_000,
    );
    let id_s = id.to_string();
    let deadline = ship_by(&w.cli.deal(id), 0);
    // Before the deadline nobody can refund.
    w.cli
        .run(&["--suri", STRANGER.1, "deal", "refund", &id_s, "0"])
        .fails(exit::REJECTED, &["ShipByNotPassed"]);
    w.check("before the ship-by").await?;

    // when: the ship-by passes without a submission
    w.wait_past(deadline).await?;
    w.cli
        .run(&[
            "--suri",
            SELLER.1,
            "deal",
            "submit",
            &id_s,
            "0",
            "--evidence-hash",
            &format!("0x{}", "aa".repeat(32)),
        ])
        .fails(exit::REJECTED, &["ShipByPassed"]);
    let tx = w.cli.tx(STRANGER.1, &["deal", "refund", &id_s, "0"]);
    assert_eq!(tx.events(), ["MilestoneRefunded"]);
    let refund = &tx.events_named("MilestoneRefunded")[0];
    assert_eq!(amount(&refund["amount"]), units(400));
    assert_eq!(refund["reason"], "ShipByMissed");
    w.ledger.pay("contract", BUYER.0, units(400));
    w.check("after the refund").await?;
    w.cli
        .run(&["--suri", STRANGER.1, "deal", "refund", &id_s, "0"])
        .fails(exit::REJECTED, &["WrongMilestoneState"]);

    // then: milestone 1 still runs to its end
    w.submit(&id_s, "1", "bb");
    let tx = w.cli.tx(BUYER.1, &["deal", "approve", &id_s, "1"]);
    assert_eq!(tx.events(), ["MilestoneReleased"]);
    w.released(units(600));
    w.check("after milestone 1").await?;
    let deal = w.cli.deal(id);
    assert_eq!(amount(&deal["deal"]["deal"]["refunded"]), units(400));
    w.cli.assert_audit_ok(id);
    Ok(())
}

/// The buyer stays silent through the review window: anyone releases the milestone, with
/// `settle-due` (every due milestone) and with `settle` (one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_buyer_auto_release_after_the_review_window() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, STRANGER], false).await?;
    let (id, _) = w.buyer_proposes_and_funds(
        &[
            "--seller",
            SELLER.1,
            "--milestone",
            "700",
            "--milestone",
            "300",
            "--review",
            "4s",
        ],
        1_000,
    );
    let id_s = id.to_string();

    // given: milestone 0 submitted; its review window is open
    w.submit(&id_s, "0", "01");
    w.cli
        .run(&["--suri", STRANGER.1, "deal", "settle", &id_s, "0"])
        .fails(exit::REJECTED, &["ReviewWindowOpen"]);
    w.cli
        .run(&["--suri", STRANGER.1, "deal", "settle-due", &id_s])
        .fails(exit::REJECTED, &["NothingDue"]);
    w.check("during the review window").await?;

    // when: the window passes in silence; a bystander settles what is due
    w.wait_past(review_ends(&w.cli.deal(id), 0)).await?;
    let tx = w.cli.tx(STRANGER.1, &["deal", "settle-due", &id_s]);
    assert_eq!(tx.ret(), 1, "{:#?}", tx.run);
    let (net, fee) = w.released(units(700));
    assert_released(&tx, 0, net, fee, "Timeout");
    w.check("after settle-due").await?;

    // when: milestone 1 the same way, settled on its own
    w.submit(&id_s, "1", "02");
    w.wait_past(review_ends(&w.cli.deal(id), 1)).await?;
    let tx = w.cli.tx(STRANGER.1, &["deal", "settle", &id_s, "1"]);
    assert_eq!(tx.events(), ["MilestoneReleased"]);
    let (net, fee) = w.released(units(300));
    assert_released(&tx, 1, net, fee, "Timeout");

    // then
    w.check("after settle").await?;
    w.cli.assert_audit_ok(id);
    Ok(())
}

/// Both parties move milestone 0's ship-by a day later; once the original deadline has
/// passed nobody can refund it, and the seller still delivers and is paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ship_by_amendment_keeps_the_milestone_alive() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, STRANGER], false).await?;
    let ship_by_arg = format!("500@{}", rfc3339(wall_ms() + 20_000));
    let (id, _) = w.buyer_proposes_and_funds(
        &[
            "--seller",
            SELLER.1,
            "--milestone",
            &ship_by_arg,
            "--milestone",
            "500",
        ],
        1_000,
    );
    let id_s = id.to_string();
    let original = ship_by(&w.cli.deal(id), 0);

    // when: the seller asks for one more day; an earlier date is no extension
    let later = rfc3339(original + 86_400_000);
    let earlier = rfc3339(original - 1_000);
    w.cli
        .run(&["--suri", SELLER.1, "deal", "amend", &id_s, "0", &earlier])
        .fails(exit::REJECTED, &["NotAnExtension"]);
    let tx = w.cli.tx(SELLER.1, &["deal", "amend", &id_s, "0", &later]);
    assert_eq!(tx.events(), ["AmendmentProposed"]);
    w.cli
        .run(&[
            "--suri",
            SELLER.1,
            "deal",
            "accept-amendment",
            &id_s,
            "0",
            &later,
        ])
        .fails(exit::REJECTED, &["CannotAcceptOwnProposal"]);
    let tx = w
        .cli
        .tx(BUYER.1, &["deal", "accept-amendment", &id_s, "0", &later]);
    assert_eq!(tx.events(), ["AmendmentAccepted"]);
    assert_eq!(
        tx.events_named("AmendmentAccepted")[0]["new_ship_by"],
        original + 86_400_000
    );
    assert_eq!(ship_by(&w.cli.deal(id), 0), original + 86_400_000);
    w.check("after the amendment").await?;

    // then: past the original deadline the milestone is not refundable
    w.wait_past(original).await?;
    w.cli
        .run(&["--suri", STRANGER.1, "deal", "refund", &id_s, "0"])
        .fails(exit::REJECTED, &["ShipByNotPassed"]);
    w.submit(&id_s, "0", "5e");
    let tx = w.cli.tx(BUYER.1, &["deal", "approve-through", &id_s, "1"]);
    assert_eq!(tx.events(), ["MilestoneReleased", "MilestoneReleased"]);
    w.released(units(500));
    w.released(units(500));
    w.check("after both releases").await?;
    w.cli.assert_audit_ok(id);
    Ok(())
}
