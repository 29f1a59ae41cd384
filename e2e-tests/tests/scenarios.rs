//! Scenarios: the real `escrow` binary against a fresh `escrow-node` per test, playing whole
//! deals and asserting the exact free balance of every account involved after each money
//! movement — buyer, seller, oracles, arbiter, a bystander, the fee recipient and the
//! contract. Transaction fees and storage deposits are read from the chain's events (see
//! `escrow_e2e_tests::cli`); the escrow's own payouts are computed here from the terms.
//!
//! Also: a table of bad inputs (each must exit with the documented code, name the bad
//! input, and change nothing on chain), and a node restart in the middle of a deal.
//!
//! Needs `escrow-node`, the release contract bundle and the `escrow` binary; without them
//! each test is skipped with a message, or fails under `ESCROW_REQUIRE_CHAIN=1`.

use std::path::Path;

use escrow_e2e_tests::{
    chain::{Chain, Result},
    cli::{
        amount, bare_pay_bundle, dev_account, dev_keypair, exit, fee_split, instantiate_foreign,
        rfc3339, scenario_prerequisites, units, wait_past, wall_ms, Escrow, Ledger, Tx,
    },
    TestNode,
};
use serde_json::Value as Json;
use subxt::utils::H256;

/// The platform fee every scenario deploys with: 1%.
const FEE_BPS: u128 = 100;

/// Who plays what. The labels are the ledger's; the SURIs are `escrow --suri` values.
const BUYER: (&str, &str) = ("buyer", "//Bob");
const SELLER: (&str, &str) = ("seller", "//Charlie");
const ARBITER: (&str, &str) = ("arbiter", "//Dave");
const STRANGER: (&str, &str) = ("stranger", "//Eve");
const ORACLE: (&str, &str) = ("oracle", "//Ferdie");
/// The fee recipient: an account nobody else uses, so it starts empty.
const FEES: (&str, &str) = ("fees", "//Fees");
/// Deploys the contract and seals "tick" blocks; not tracked.
const OPERATOR: &str = "//Alice";

/// A node, a connection, a deployed contract, the CLI runner and a ledger.
struct World {
    node: TestNode,
    chain: Chain,
    cli: Escrow,
    ledger: Ledger,
}

impl World {
    /// Starts a node (on `base_path`, or a throw-away chain), deploys the escrow with a 1%
    /// fee to `//Fees`, and snapshots the balances of `roles`, the fee recipient and the
    /// contract.
    async fn start(roles: &[(&str, &str)], base_path: Option<&Path>) -> Result<Self> {
        let node = TestNode::spawn(base_path)?;
        let chain = Chain::connect(&node.url()).await?;
        let mut cli = Escrow::new(node.url());
        let fee = u16::try_from(FEE_BPS)?;
        cli.deploy(OPERATOR, fee, FEES.1);
        let mut tracked: Vec<(&str, _)> = roles
            .iter()
            .map(|(label, suri)| (*label, dev_account(suri)))
            .collect();
        tracked.push((FEES.0, dev_account(FEES.1)));
        tracked.push(("contract", cli.contract_account()));
        let ledger = Ledger::snapshot(&chain, &tracked).await?;
        Ok(Self {
            node,
            chain,
            cli,
            ledger,
        })
    }

    /// Asserts every tracked balance to the unit.
    async fn check(&mut self, when: &str) -> Result<()> {
        self.ledger.assert_balances(&self.chain, when).await
    }

    /// Declares a release of `gross` to the seller: net to the seller, the fee to the fee
    /// recipient, both out of the contract. Returns (net, fee).
    fn released(&mut self, gross: u128) -> (u128, u128) {
        let (net, fee) = fee_split(gross, FEE_BPS);
        self.ledger.pay("contract", SELLER.0, net);
        self.ledger.pay("contract", FEES.0, fee);
        (net, fee)
    }

    /// Seals a block after the wall clock passed `ms`, so the chain's time is past it.
    async fn wait_past(&self, ms: u64) -> Result<u64> {
        wait_past(&self.chain, &dev_keypair(OPERATOR), ms).await
    }

    /// A file in the CLI's state directory (an evidence document, a purchase order).
    fn file(&self, name: &str, content: &str) -> String {
        let path = self.cli.home.path().join(name);
        std::fs::write(&path, content).expect("write file");
        path.to_string_lossy().into_owned()
    }
}

/// Asserts one `MilestoneReleased` event for `index` with these amounts and this `via`.
fn assert_released(tx: &Tx, index: u64, net: u128, fee: u128, via: &str) {
    let released = tx.events_named("MilestoneReleased");
    assert_eq!(released.len(), 1, "{:#?}", tx.run);
    let e = &released[0];
    assert_eq!(e["index"], index, "{e}");
    assert_eq!(amount(&e["amount"]), net, "{e}");
    assert_eq!(amount(&e["fee"]), fee, "{e}");
    assert_eq!(e["via"], via, "{e}");
}

/// The ship-by (ms) of milestone `index` of deal `id`, from `deal show --json`.
fn ship_by(deal: &Json, index: usize) -> u64 {
    deal["milestones"][index]["milestone"]["ship_by"]
        .as_u64()
        .unwrap_or_else(|| panic!("milestone {index} has no ship-by: {deal}"))
}

/// The end of milestone `index`'s review window (ms), from `deal show --json`.
fn review_ends(deal: &Json, index: usize) -> u64 {
    deal["milestones"][index]["review_ends"]
        .as_u64()
        .unwrap_or_else(|| panic!("milestone {index} has no review window: {deal}"))
}

/// Deal 1 of the demo: an Indian textile exporter sells to a European buyer for 20,000
/// UNIT; 30% advance on acceptance, 40% on shipment attested by the logistics oracle, 30%
/// on delivery approved by the buyer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_deal_advance_then_oracle_shipment_then_buyer_delivery() -> Result<()> {
    if !scenario_prerequisites() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, ORACLE, ARBITER], None).await?;
    let po = w.file(
        "po-4711.txt",
        "PO 4711: 8,000 organic cotton shirts, FOB Mundra",
    );
    let bill_of_lading = w.file("bl.txt", "B/L MUN-HAM-0042: 2 x 40ft containers");
    let delivery_note = w.file("pod.txt", "Proof of delivery, Hamburg warehouse");

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
    let tx = w
        .cli
        .tx(BUYER.1, &["deal", "accept", &id_s, "--fund", "all"]);
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
    if !scenario_prerequisites() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, ORACLE, ARBITER], None).await?;
    let complaint = w.file("inspection.txt", "400 of 1,000 rolls water-damaged");

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
            "5000",
            "--split",
            "30,40,30",
            "--advance",
            "--review",
            "7d",
            "--arbitration",
            "14d",
        ],
    );
    let id_s = id.to_string();
    w.cli
        .tx(BUYER.1, &["deal", "accept", &id_s, "--fund", "all"]);
    w.ledger.pay(BUYER.0, "contract", units(5_000));
    w.released(units(1_500));
    w.check("after the advance").await?;
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "1",
            "--evidence-hash",
            &format!("0x{}", "b1".repeat(32)),
        ],
    );
    w.cli.tx(ORACLE.1, &["deal", "attest", &id_s, "1"]);
    w.released(units(2_000));
    w.check("after the shipment").await?;

    // when: the buyer disputes the delivery
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "2",
            "--evidence-hash",
            &format!("0x{}", "d2".repeat(32)),
        ],
    );
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

/// Three oracles, any two release a milestone; the third never signs and its balance never
/// moves. The buyer cannot release under the `Oracles` rule, and an oracle counts once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracle_quorum_two_of_three_with_one_oracle_silent() -> Result<()> {
    if !scenario_prerequisites() {
        return Ok(());
    }
    let first = ("oracle1", "//Dave");
    let second = ("oracle2", "//Eve");
    let silent = ("oracle3", "//Ferdie");
    let mut w = World::start(&[BUYER, SELLER, first, second, silent], None).await?;

    let id = w.cli.propose(
        BUYER.1,
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
    );
    let id_s = id.to_string();
    w.cli.tx(SELLER.1, &["deal", "accept", &id_s]);
    let tx = w.cli.tx(BUYER.1, &["deal", "fund", &id_s, "4000"]);
    assert_eq!(tx.events(), ["DealFunded"]);
    w.ledger.pay(BUYER.0, "contract", units(4_000));
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
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "1",
            "--evidence-hash",
            &format!("0x{}", "ee".repeat(32)),
        ],
    );
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

/// The seller misses milestone 0's ship-by: a bystander triggers the refund to the buyer;
/// the rest of the deal carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_ship_by_refunds_the_buyer() -> Result<()> {
    if !scenario_prerequisites() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, STRANGER], None).await?;

    // given: milestone 0 must ship within 20 s, milestone 1 has no ship-by. The ship-by is
    // an absolute wall-clock time: the CLI counts "+20s" from the best block's timestamp,
    // which on this chain is the time of the last transaction, possibly long past.
    let ship_by_arg = format!("400@{}", rfc3339(wall_ms() + 20_000));
    let id = w.cli.propose(
        BUYER.1,
        &[
            "--seller",
            SELLER.1,
            "--milestone",
            &ship_by_arg,
            "--milestone",
            "600",
        ],
    );
    let id_s = id.to_string();
    w.cli.tx(SELLER.1, &["deal", "accept", &id_s]);
    w.cli.tx(BUYER.1, &["deal", "fund", &id_s, "1000"]);
    w.ledger.pay(BUYER.0, "contract", units(1_000));
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
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "1",
            "--evidence-hash",
            &format!("0x{}", "bb".repeat(32)),
        ],
    );
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
    if !scenario_prerequisites() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, STRANGER], None).await?;
    let id = w.cli.propose(
        BUYER.1,
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
    );
    let id_s = id.to_string();
    w.cli.tx(SELLER.1, &["deal", "accept", &id_s]);
    w.cli.tx(BUYER.1, &["deal", "fund", &id_s, "1000"]);
    w.ledger.pay(BUYER.0, "contract", units(1_000));

    // given: milestone 0 submitted; its review window is open
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "0",
            "--evidence-hash",
            &format!("0x{}", "01".repeat(32)),
        ],
    );
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
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "1",
            "--evidence-hash",
            &format!("0x{}", "02".repeat(32)),
        ],
    );
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

/// Milestone 0 is released; then both parties cancel: the submitted-but-undisputed
/// milestone 1 and the pending milestone 2 go back to the buyer; the released one stays
/// with the seller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_cancellation_after_one_milestone_released() -> Result<()> {
    if !scenario_prerequisites() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, STRANGER], None).await?;
    let id = w.cli.propose(
        SELLER.1,
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
    );
    let id_s = id.to_string();
    w.cli
        .tx(BUYER.1, &["deal", "accept", &id_s, "--fund", "all"]);
    w.ledger.pay(BUYER.0, "contract", units(1_000));
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "0",
            "--evidence-hash",
            &format!("0x{}", "10".repeat(32)),
        ],
    );
    w.cli.tx(BUYER.1, &["deal", "approve", &id_s, "0"]);
    w.released(units(300));
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "1",
            "--evidence-hash",
            &format!("0x{}", "11".repeat(32)),
        ],
    );
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

/// Both parties move milestone 0's ship-by a day later; once the original deadline has
/// passed nobody can refund it, and the seller still delivers and is paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ship_by_amendment_keeps_the_milestone_alive() -> Result<()> {
    if !scenario_prerequisites() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, STRANGER], None).await?;
    let ship_by_arg = format!("500@{}", rfc3339(wall_ms() + 20_000));
    let id = w.cli.propose(
        BUYER.1,
        &[
            "--seller",
            SELLER.1,
            "--milestone",
            &ship_by_arg,
            "--milestone",
            "500",
        ],
    );
    let id_s = id.to_string();
    w.cli.tx(SELLER.1, &["deal", "accept", &id_s]);
    w.cli.tx(BUYER.1, &["deal", "fund", &id_s, "1000"]);
    w.ledger.pay(BUYER.0, "contract", units(1_000));
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
        .run(&["--suri", SELLER.1, "deal", "accept-amendment", &id_s, "0"])
        .fails(exit::REJECTED, &["CannotAcceptOwnProposal"]);
    let tx = w.cli.tx(BUYER.1, &["deal", "accept-amendment", &id_s, "0"]);
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
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "0",
            "--evidence-hash",
            &format!("0x{}", "5e".repeat(32)),
        ],
    );
    let tx = w.cli.tx(BUYER.1, &["deal", "approve-through", &id_s, "1"]);
    assert_eq!(tx.events(), ["MilestoneReleased", "MilestoneReleased"]);
    w.released(units(500));
    w.released(units(500));
    w.check("after both releases").await?;
    w.cli.assert_audit_ok(id);
    Ok(())
}

/// The node stops in the middle of a deal and restarts on the same base path: the deal,
/// the balances and the contract are where they were, and the deal runs to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_restart_between_steps_of_a_deal() -> Result<()> {
    if !scenario_prerequisites() {
        return Ok(());
    }
    let base_path = tempfile::tempdir()?;
    let mut w = World::start(&[BUYER, SELLER], Some(base_path.path())).await?;
    let id = w.cli.propose(
        SELLER.1,
        &[
            "--buyer",
            BUYER.1,
            "--milestone",
            "600",
            "--milestone",
            "400",
        ],
    );
    let id_s = id.to_string();
    w.cli
        .tx(BUYER.1, &["deal", "accept", &id_s, "--fund", "all"]);
    w.ledger.pay(BUYER.0, "contract", units(1_000));
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "0",
            "--evidence-hash",
            &format!("0x{}", "0a".repeat(32)),
        ],
    );
    w.check("before the restart").await?;
    let before = w.cli.deal(id);
    let (_, height) = w.chain.best_block().await?;

    // when: the node stops and starts again (on a new port)
    w.node.stop()?;
    w.node = TestNode::spawn(Some(base_path.path()))?;
    eprintln!("node restarted in {:?}", w.node.ready_after());
    w.chain = Chain::connect(&w.node.url()).await?;
    w.cli.url = w.node.url();

    // then: same height, same deal, same balances
    let (_, height_after) = w.chain.best_block().await?;
    assert_eq!(height_after, height);
    assert_eq!(w.cli.deal(id), before);
    w.check("after the restart").await?;

    // and the deal continues
    let tx = w.cli.tx(BUYER.1, &["deal", "approve", &id_s, "0"]);
    assert_eq!(tx.events(), ["MilestoneReleased"]);
    w.released(units(600));
    w.cli.tx(
        SELLER.1,
        &[
            "deal",
            "submit",
            &id_s,
            "1",
            "--evidence-hash",
            &format!("0x{}", "0b".repeat(32)),
        ],
    );
    let tx = w.cli.tx(BUYER.1, &["deal", "approve", &id_s, "1"]);
    assert_eq!(tx.events(), ["MilestoneReleased"]);
    w.released(units(400));
    w.check("after the deal closed").await?;
    w.cli.assert_audit_ok(id);
    Ok(())
}

/// One bad input: the command line, extra environment, the documented exit code, and what
/// stderr must say (at least the bad value or the name of the problem).
struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    code: i32,
    needles: Vec<String>,
}

fn case(name: &'static str, args: &[&str], code: i32, needles: &[&str]) -> Case {
    Case {
        name,
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        code,
        needles: needles.iter().map(|s| s.to_string()).collect(),
    }
}

/// What must not change: the best block (no transaction was included), the deal as the
/// contract reports it, and the free balances of every tracked account.
#[derive(Debug, PartialEq)]
struct Snapshot {
    best: H256,
    deal: Json,
    balances: std::collections::BTreeMap<String, u128>,
}

/// Runs one case; returns what was wrong with the outcome, if anything.
fn run_case(w: &World, c: &Case) -> Option<String> {
    let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = c.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = w.cli.run_env(&args, &env);
    let mut problems = Vec::new();
    if run.code != c.code {
        problems.push(format!("exit {} instead of {}", run.code, c.code));
    }
    for needle in &c.needles {
        if !run.err.contains(needle.as_str()) {
            problems.push(format!("stderr lacks {needle:?}"));
        }
    }
    eprintln!(
        "bad input {:<40} exit {} {}",
        c.name,
        run.code,
        run.err
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or_default()
    );
    (!problems.is_empty()).then(|| format!("{}: {}\n{run:#?}", c.name, problems.join("; ")))
}

async fn snapshot(w: &World, deal: u64) -> Result<Snapshot> {
    let (best, _) = w.chain.best_block().await?;
    Ok(Snapshot {
        best,
        deal: w.cli.deal(deal),
        balances: w.ledger.balances(&w.chain).await?,
    })
}

/// Every bad input exits with its documented code, names the problem, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_exit_with_their_code_name_the_input_and_change_nothing() -> Result<()> {
    if !scenario_prerequisites() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, ARBITER], None).await?;
    // given: an active, fully funded deal 0 (100 UNIT, 30/40/30)
    let id = w.cli.propose(
        SELLER.1,
        &["--buyer", BUYER.1, "--total", "100", "--split", "30,40,30"],
    );
    assert_eq!(id, 0);
    w.cli.tx(BUYER.1, &["deal", "accept", "0", "--fund", "all"]);
    w.ledger.pay(BUYER.0, "contract", units(100));
    // a keystore account "buyer" (//Bob) with the password "secret"
    let phrase = w.file("phrase.txt", "//Bob");
    w.cli
        .run_env(
            &["account", "import", "buyer", "--phrase-file", &phrase],
            &[("ESCROW_PASSWORD", "secret")],
        )
        .ok();
    // a contract that is not the escrow, and an account that is no contract at all
    let foreign = instantiate_foreign(&w.chain, &dev_keypair(OPERATOR), &bare_pay_bundle()?)
        .await?
        .to_string();
    let not_a_contract = dev_account(ARBITER.1).to_string();
    w.check("before the bad inputs").await?;

    const BAD_SS58: &str = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694tX";
    const U128_MAX_PLUS_1: &str = "340282366920938463463374607431768211456planck";
    // u128::MAX is about 3.4e26 UNIT (12 decimals).
    const U128_MAX_UNITS: &str = "340282366920938463463374607432";
    let propose = |extra: &[&str]| -> Vec<String> {
        let mut v = vec!["--suri", SELLER.1, "deal", "propose"];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect()
    };
    let p = |name, extra: &[&str], code, needles: &[&str]| Case {
        args: propose(extra),
        ..case(name, &[], code, needles)
    };
    let fund = |amount: &str| -> Vec<String> {
        ["--suri", BUYER.1, "deal", "fund", "0", amount]
            .map(String::from)
            .to_vec()
    };
    let cases = vec![
        // malformed addresses
        p(
            "malformed SS58 address",
            &["--buyer", BAD_SS58, "--total", "100", "--split", "30,40,30"],
            exit::BAD_INPUT,
            &[BAD_SS58, "is not an account"],
        ),
        p(
            "hex address of the wrong length",
            &["--buyer", "0x1234", "--total", "100", "--split", "30,40,30"],
            exit::BAD_INPUT,
            &["'0x1234'"],
        ),
        p(
            "oracle that is no account",
            &["--buyer", BUYER.1, "--oracle", "ferdie", "--milestone", "5"],
            exit::BAD_INPUT,
            &["'ferdie'"],
        ),
        // zero, negative and overflowing amounts
        Case {
            args: fund("0"),
            ..case(
                "zero deposit",
                &[],
                exit::BAD_INPUT,
                &["amount", "more than zero"],
            )
        },
        p(
            "zero milestone",
            &["--buyer", BUYER.1, "--milestone", "0", "--milestone", "5"],
            exit::BAD_INPUT,
            &["--milestone 0", "more than zero"],
        ),
        p(
            "zero total",
            &["--buyer", BUYER.1, "--total", "0", "--split", "30,40,30"],
            exit::BAD_INPUT,
            &["--split 30,40,30", "would get nothing"],
        ),
        Case {
            args: fund("-5"),
            ..case("negative deposit", &[], exit::BAD_INPUT, &["'-5'"])
        },
        p(
            "negative total",
            &["--buyer", BUYER.1, "--total=-5", "--split", "30,40,30"],
            exit::BAD_INPUT,
            &["'-5'", "negative"],
        ),
        p(
            "total above u128::MAX",
            &[
                "--buyer",
                BUYER.1,
                "--total",
                U128_MAX_UNITS,
                "--split",
                "50,50",
            ],
            exit::BAD_INPUT,
            &["--total", U128_MAX_UNITS, "too large"],
        ),
        p(
            "total above u128::MAX, in planck",
            &[
                "--buyer",
                BUYER.1,
                "--total",
                U128_MAX_PLUS_1,
                "--split",
                "50,50",
            ],
            exit::BAD_INPUT,
            &["--total", U128_MAX_PLUS_1],
        ),
        Case {
            args: fund("400000000000000000000000000 UNIT"),
            ..case(
                "deposit above u128::MAX",
                &[],
                exit::BAD_INPUT,
                &["400000000000000000000000000", "too large"],
            )
        },
        Case {
            args: fund("1.0000000000001"),
            ..case(
                "more decimals than the token has",
                &[],
                exit::BAD_INPUT,
                &["1.0000000000001", "too many decimals"],
            )
        },
        Case {
            args: fund("1"),
            ..case(
                "deposit beyond the deal total",
                &[],
                exit::REJECTED,
                &["OverFunded"],
            )
        },
        // splits that do not add up to 100
        p(
            "split adding up to 90",
            &["--buyer", BUYER.1, "--total", "100", "--split", "30,40,20"],
            exit::BAD_INPUT,
            &["--split 30,40,20", "add up to 90, not 100"],
        ),
        p(
            "split adding up to 110",
            &["--buyer", BUYER.1, "--total", "100", "--split", "60,50"],
            exit::BAD_INPUT,
            &["--split 60,50", "110"],
        ),
        // times
        p(
            "ship-by in the past",
            &["--buyer", BUYER.1, "--milestone", "5@2020-01-01T00:00:00Z"],
            exit::REJECTED,
            &["ShipByInPast"],
        ),
        p(
            "ship-by that is no time",
            &["--buyer", BUYER.1, "--milestone", "5@tomorrow"],
            exit::BAD_INPUT,
            &["'tomorrow'"],
        ),
        p(
            "review window that is no duration",
            &["--buyer", BUYER.1, "--milestone", "5", "--review", "7x"],
            exit::BAD_INPUT,
            &["7x"],
        ),
        // unknown deal and milestone
        case(
            "unknown deal (transaction)",
            &["--suri", BUYER.1, "deal", "fund", "7", "1"],
            exit::REJECTED,
            &["DealNotFound"],
        ),
        case(
            "unknown deal (read)",
            &["deal", "show", "7"],
            exit::REJECTED,
            &["DealNotFound"],
        ),
        case(
            "unknown milestone",
            &["--suri", BUYER.1, "deal", "approve", "0", "9"],
            exit::REJECTED,
            &["MilestoneNotFound"],
        ),
        // keystore
        Case {
            env: vec![("ESCROW_PASSWORD", "wrong".to_string())],
            ..case(
                "wrong keystore password",
                &["--account", "buyer", "deal", "fund", "0", "1"],
                exit::BAD_INPUT,
                &["--account buyer", "wrong password"],
            )
        },
        Case {
            env: vec![("ESCROW_PASSWORD", "secret".to_string())],
            ..case(
                "unknown keystore account",
                &["--account", "nobody", "deal", "fund", "0", "1"],
                exit::BAD_INPUT,
                &["nobody"],
            )
        },
        // contract address
        case(
            "malformed contract address",
            &[
                "--contract",
                BAD_SS58,
                "--suri",
                BUYER.1,
                "deal",
                "fund",
                "0",
                "1",
            ],
            exit::BAD_INPUT,
            &["--contract", BAD_SS58],
        ),
        // The CLI checks the code hash at the address before anything else: a wrong
        // address is a configuration error (exit 2), not a contract rejection.
        Case {
            args: [
                "--contract",
                not_a_contract.as_str(),
                "--suri",
                BUYER.1,
                "deal",
                "approve",
                "0",
                "0",
            ]
            .map(String::from)
            .to_vec(),
            needles: vec![not_a_contract.clone(), "no contract at this address".into()],
            ..case("no contract at the address", &[], exit::BAD_INPUT, &[])
        },
        Case {
            args: [
                "--contract",
                foreign.as_str(),
                "--suri",
                BUYER.1,
                "deal",
                "approve",
                "0",
                "0",
            ]
            .map(String::from)
            .to_vec(),
            needles: vec![foreign.clone(), "not a milestone-escrow contract".into()],
            ..case(
                "a contract that is not the escrow",
                &[],
                exit::BAD_INPUT,
                &[],
            )
        },
        // the node
        case(
            "no node at the URL",
            &[
                "--url",
                "ws://127.0.0.1:1",
                "--suri",
                BUYER.1,
                "deal",
                "approve",
                "0",
                "0",
            ],
            exit::UNREACHABLE,
            &["ws://127.0.0.1:1", "nothing was submitted"],
        ),
    ];

    let mut failures = Vec::new();
    for c in &cases {
        let before = snapshot(&w, 0).await?;
        failures.extend(run_case(&w, c));
        let after = snapshot(&w, 0).await?;
        assert_eq!(before, after, "{}: the chain changed", c.name);
    }

    // a truncated keystore file
    let file = w.cli.home.path().join("keystore/buyer.json");
    let full = std::fs::read(&file)?;
    std::fs::write(&file, &full[..full.len() / 3])?;
    let truncated = Case {
        env: vec![("ESCROW_PASSWORD", "secret".to_string())],
        ..case(
            "truncated keystore file",
            &["--account", "buyer", "deal", "fund", "0", "1"],
            exit::BAD_INPUT,
            &["buyer.json", "corrupt"],
        )
    };
    let before = snapshot(&w, 0).await?;
    failures.extend(run_case(&w, &truncated));
    assert_eq!(
        before,
        snapshot(&w, 0).await?,
        "truncated keystore: the chain changed"
    );
    std::fs::write(&file, &full)?;
    eprintln!("{} bad inputs checked", cases.len() + 1);

    assert!(
        failures.is_empty(),
        "{} bad input(s) not handled as documented:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // The ledger agrees too: nothing but the setup moved money.
    w.check("after the bad inputs").await
}

/// Regression: milestones whose amounts add up past u128::MAX must be a bad input (exit 2),
/// like a single amount that is too large. The CLI sums them unchecked in
/// `cli/src/commands/propose.rs` and panics ("attempt to add with overflow", exit 101)
/// before submitting anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regress_propose_with_milestones_overflowing_u128_is_bad_input() -> Result<()> {
    if !scenario_prerequisites() {
        return Ok(());
    }
    let w = World::start(&[BUYER, SELLER], None).await?;
    let (before, _) = w.chain.best_block().await?;
    w.cli
        .run(&[
            "--suri",
            SELLER.1,
            "deal",
            "propose",
            "--buyer",
            BUYER.1,
            "--milestone",
            "340282366920938463463374607431768211455planck",
            "--milestone",
            "1planck",
        ])
        .fails(exit::BAD_INPUT, &["too large"]);
    assert_eq!(w.chain.best_block().await?.0, before);
    Ok(())
}

/// Regression: a read (`deal show`) against a contract that is not the escrow must say so
/// and name the address, like transactions do (exit 2). Today it exits 1 with "rejected:
/// the read reverted", which names neither the address nor the cause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "CLI gap: reads skip the code-hash check; un-ignore when `deal show` checks it"]
async fn regress_read_against_a_foreign_contract_names_it() -> Result<()> {
    if !scenario_prerequisites() {
        return Ok(());
    }
    let w = World::start(&[BUYER, SELLER], None).await?;
    let foreign = instantiate_foreign(&w.chain, &dev_keypair(OPERATOR), &bare_pay_bundle()?)
        .await?
        .to_string();
    w.cli
        .run(&["--contract", &foreign, "deal", "show", "0"])
        .fails(
            exit::BAD_INPUT,
            &[&foreign, "not a milestone-escrow contract"],
        );
    Ok(())
}
