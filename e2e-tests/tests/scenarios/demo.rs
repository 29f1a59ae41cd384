//! The two deals of the demo, from proposal to closure: an advance, an oracle-attested
//! shipment and a buyer-approved delivery; and a delivery disputed and split by the
//! arbiter.

use escrow_test_support::{chain_available, cli::amount, exit, units, Result};

use crate::world::{assert_released, World, ARBITER, BUYER, ORACLE, SELLER};

/// Deal 1 of the demo: an Indian textile exporter sells to a European buyer for 20,000
/// UNIT; 30% advance on acceptance, 40% on shipment attested by the logistics oracle, 30%
/// on delivery approved by the buyer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_deal_advance_then_oracle_shipment_then_buyer_delivery() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, ORACLE, ARBITER], false).await?;
    let po = w.cli.file(
        "po-4711.txt",
        "PO 4711: 8,000 organic cotton shirts, FOB Mundra",
    );
    let bill_of_lading = w
        .cli
        .file("bl.txt", "B/L MUN-HAM-0042: 2 x 40ft containers");
    let delivery_note = w
        .cli
        .file("pod.txt", "Proof of delivery, Hamburg warehouse");

    // given: the exporter proposes; nothing moves but the chain's costs
    let id = w.cli.propose(
        SELLER.1,
        &[
            "--buyer",
            BUYER.1,
            "--oracle",
            ORACLE.1,
            "--arbiter",
            ARBITER.1,
            "--total",
            "20000",
            "--split",
            "30,40,30",
            "--advance",
            "--review",
            "7d",
            "--arbitration",
            "14d",
            "--terms-file",
            &po,
        ],
    );
    let id_s = id.to_string();
    w.check("after the proposal").await?;

    // when: the buyer accepts and funds the whole order; the advance is paid at once
    let tx = w.cli.accept(BUYER.1, id, &["--fund", "all"]);
    assert_eq!(
        tx.events(),
        ["DealAccepted", "DealFunded", "MilestoneReleased"]
    );
    w.ledger.pay(BUYER.0, "contract", units(20_000));
    let (net, fee) = w.released(units(6_000));
    assert_eq!((net, fee), (units(5_940), units(60)));
    assert_released(&tx, 0, net, fee, "Advance");
    w.check("after the advance").await?;

    // when: the exporter ships; the logistics oracle attests the bill of lading
    let tx = w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "1",
            "--evidence-file",
            &bill_of_lading,
        ],
    );
    assert_eq!(tx.events(), ["MilestoneSubmitted"]);
    w.check("after the shipment is submitted").await?;
    let tx = w.cli.tx(ORACLE.1, &["deal", "attest", &id_s, "1"]);
    assert_eq!(tx.events(), ["MilestoneAttested", "MilestoneReleased"]);
    let (net, fee) = w.released(units(8_000));
    assert_released(&tx, 1, net, fee, "Oracles");
    w.check("after the shipment is attested").await?;

    // when: the goods arrive; the buyer approves the delivery
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "2",
            "--evidence-file",
            &delivery_note,
        ],
    );
    let tx = w.cli.tx(BUYER.1, &["deal", "approve", &id_s, "2"]);
    // The last release closes the deal; `deal close` records it (DealClosed), once.
    assert_eq!(tx.events(), ["MilestoneReleased"]);
    let (net, fee) = w.released(units(6_000));
    assert_released(&tx, 2, net, fee, "Buyer");
    let closed = w.cli.tx(BUYER.1, &["deal", "close", &id_s]);
    assert_eq!(closed.events(), ["DealClosed"]);
    w.cli
        .run(&["--suri", BUYER.1, "deal", "close", &id_s])
        .fails(exit::REJECTED, &["ClosureAlreadyRecorded"]);

    // then: the exporter got 19,800, the platform 200, the contract holds nothing of it
    w.check("after the delivery").await?;
    let deal = w.cli.deal(id);
    assert_eq!(deal["deal"]["deal"]["status"], "Closed");
    assert_eq!(amount(&deal["deal"]["deal"]["released"]), units(19_800));
    assert_eq!(amount(&deal["deal"]["deal"]["fees"]), units(200));
    assert_eq!(amount(&deal["deal"]["locked"]), 0);
    w.cli.assert_audit_ok(id);
    // A second approval is refused (the deal is closed) and moves nothing.
    w.cli
        .run(&["--suri", BUYER.1, "deal", "approve", &id_s, "2"])
        .fails(exit::REJECTED, &["WrongDealState", "Closed"]);
    w.check("after a refused double approval").await
}

/// Deal 2 of the demo: the delivery milestone is disputed (damaged rolls) and the arbiter
/// splits it 60/40; the advance and the shipment carry on untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_deal_disputed_delivery_split_by_the_arbiter() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, ORACLE, ARBITER], false).await?;
    let complaint = w
        .cli
        .file("inspection.txt", "400 of 1,000 rolls water-damaged");

    let (id, _) = w.seller_proposes_buyer_funds(
        &[
            "--buyer",
            BUYER.1,
            "--oracle",
            ORACLE.1,
            "--arbiter",
            ARBITER.1,
            "--total",
            "5000",
            "--split",
            "30,40,30",
            "--advance",
            "--review",
            "7d",
            "--arbitration",
            "14d",
        ],
        5_000,
    );
    let id_s = id.to_string();
    w.released(units(1_500));
    w.check("after the advance").await?;
    w.submit(&id_s, "1", "b1");
    w.cli.tx(ORACLE.1, &["deal", "attest", &id_s, "1"]);
    w.released(units(2_000));
    w.check("after the shipment").await?;

    // when: the buyer disputes the delivery
    w.submit(&id_s, "2", "d2");
    let tx = w.cli.tx(
        BUYER.1,
        &["deal", "dispute", &id_s, "2", "--file", &complaint],
    );
    assert_eq!(tx.events(), ["MilestoneDisputed"]);
    assert_eq!(w.cli.milestone_status(id, 2), "Disputed");
    // Only the arbiter rules, and never beyond the milestone.
    w.cli
        .run(&["--suri", BUYER.1, "deal", "resolve", &id_s, "2", "0"])
        .fails(exit::REJECTED, &["CallerIsNotArbiter"]);
    w.cli
        .run(&[
            "--suri",
            ARBITER.1,
            "deal",
            "resolve",
            &id_s,
            "2",
            "1500.000000000001",
        ])
        .fails(exit::REJECTED, &["SplitExceedsAmount"]);
    w.check("after the refused rulings").await?;

    // when: the arbiter gives the seller 60% of the disputed 1,500
    let tx = w.cli.tx(ARBITER.1, &["deal", "resolve", &id_s, "2", "60%"]);
    assert_eq!(tx.events(), ["DisputeResolved"]);
    let (net, fee) = w.released(units(900));
    w.ledger.pay("contract", BUYER.0, units(600));
    let resolved = &tx.events_named("DisputeResolved")[0];
    assert_eq!(amount(&resolved["to_seller"]), net);
    assert_eq!(amount(&resolved["fee"]), fee);
    assert_eq!(amount(&resolved["to_buyer"]), units(600));

    // then
    w.check("after the ruling").await?;
    assert_eq!(w.cli.deal_status(id), "Closed");
    w.cli.assert_audit_ok(id);
    Ok(())
}
