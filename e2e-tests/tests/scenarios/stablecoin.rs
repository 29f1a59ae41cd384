//! Deals in the reference stablecoin (USD, 6 decimals, deployed by `scripts/stablecoin.sh`):
//! the seed's 30/40/30 deal with an advance, every account's USD balance to the smallest
//! unit; and the same deal's receivable assigned to a factor after the advance, who is then
//! paid milestones 1 and 2 while the seller keeps the advance and a refund still goes to the
//! buyer.

use escrow_test_support::{
    accounts::dev_account, artifacts::chain_and_stablecoin_available, cli::amount, exit,
    ledger::fee_split, Result,
};

use crate::world::{
    assert_released, usd, World, ARBITER, BUYER, DEV_USD, FACTOR, FEES, FEE_BPS, ORACLE, SELLER,
    STRANGER,
};

/// The seed's reference deal (the README's quickstart, docs/bench.md) in USD: 1,000 USD,
/// 30/40/30, the first milestone an advance, an oracle, an arbiter, fixed deadlines.
fn seed_deal_in_usd() -> Vec<&'static str> {
    vec![
        "--buyer",
        BUYER.1,
        "--oracle",
        ORACLE.1,
        "--arbiter",
        ARBITER.1,
        "--asset",
        "USD",
        "--total",
        "1000 USD",
        "--split",
        "30,40,30",
        "--advance",
        "--fund-by",
        "2099-01-01T00:00:00Z",
        "--ship-by",
        "2099-02-01T00:00:00Z,2099-03-01T00:00:00Z,2099-04-01T00:00:00Z",
    ]
}

/// The seller proposes the seed deal in USD; the buyer accepts it and funds all of it
/// (approve exactly 1,000 USD, accept, fund_tokens), which pays the 300 USD advance to the
/// seller. Declared to the USD ledger; returns the deal id.
fn seed_deal_funded(w: &mut World) -> u64 {
    let id = w.cli.propose(SELLER.1, &seed_deal_in_usd());
    let tx = w.cli.accept(BUYER.1, id, &["--fund", "all"]);
    assert_eq!(
        tx.steps(),
        ["approve", "accept", "fund_tokens"],
        "{:#?}",
        tx.run
    );
    assert_eq!(
        tx.events(),
        ["DealAccepted", "DealFunded", "MilestoneReleased"]
    );
    w.usd().pay(BUYER.0, "contract", usd(1_000));
    let (net, fee) = w.released_usd(usd(300), SELLER.0);
    assert_eq!((net, fee), (usd(297), usd(3)));
    assert_released(&tx, 0, net, fee, "Advance");
    id
}

/// The seed's 30/40/30 deal paid in USD, proposal to closure: the advance on funding, the
/// shipment attested by the oracle, the delivery approved by the buyer. After every step,
/// every account's USD balance to the smallest unit and its native balance exact (the
/// chain's fees and storage deposits from the ledger).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_deal_in_the_stablecoin_pays_every_account_to_the_smallest_unit() -> Result<()> {
    if !chain_and_stablecoin_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, ORACLE, ARBITER], false).await?;
    w.stablecoin().await?;
    w.check("after the stablecoin").await?;

    // when: proposed, accepted and funded; the advance is paid
    let id = seed_deal_funded(&mut w);
    let id_s = id.to_string();
    w.check("after the advance").await?;

    // when: the shipment is submitted and attested by the oracle
    let evidence = format!("0x{}", "b1".repeat(32));
    w.cli.tx(
        SELLER.1,
        &["deal", "submit", &id_s, "1", "--evidence-hash", &evidence],
    );
    let tx = w.cli.tx(ORACLE.1, &["deal", "attest", &id_s, "1"]);
    assert_eq!(tx.events(), ["MilestoneAttested", "MilestoneReleased"]);
    let (net, fee) = w.released_usd(usd(400), SELLER.0);
    assert_eq!((net, fee), (usd(396), usd(4)));
    assert_released(&tx, 1, net, fee, "Oracles");
    w.check("after the shipment").await?;

    // when: the delivery is submitted and approved by the buyer; the deal closes
    let evidence = format!("0x{}", "c1".repeat(32));
    w.cli.tx(
        SELLER.1,
        &["deal", "submit", &id_s, "2", "--evidence-hash", &evidence],
    );
    let tx = w.cli.tx(BUYER.1, &["deal", "approve", &id_s, "2"]);
    let (net, fee) = w.released_usd(usd(300), SELLER.0);
    assert_released(&tx, 2, net, fee, "Buyer");
    let closed = w.cli.tx(STRANGER.1, &["deal", "close", &id_s]);
    assert_eq!(closed.events(), ["DealClosed"]);
    w.check("after the delivery").await?;

    // then: to the smallest unit, per account
    let balances = w.usd().balances().await?;
    assert_eq!(balances[BUYER.0], DEV_USD - 1_000_000_000);
    assert_eq!(balances[SELLER.0], DEV_USD + 990_000_000);
    assert_eq!(balances[ORACLE.0], DEV_USD);
    assert_eq!(balances[ARBITER.0], DEV_USD);
    assert_eq!(balances[FEES.0], 10_000_000);
    assert_eq!(balances["contract"], 0);
    let deal = w.cli.deal(id);
    assert_eq!(deal["deal"]["deal"]["status"], "Closed");
    assert_eq!(amount(&deal["deal"]["deal"]["deposited"]), usd(1_000));
    assert_eq!(amount(&deal["deal"]["deal"]["released"]), usd(990));
    assert_eq!(amount(&deal["deal"]["deal"]["fees"]), usd(10));
    assert_eq!(amount(&deal["deal"]["locked"]), 0);
    w.cli.assert_audit_ok(id);
    Ok(())
}

/// After the advance, the seller assigns the deal's receivable from milestone 1 on to a
/// factor. Nobody else may assign. The factor is paid milestone 1 (oracle-attested) and its
/// share of milestone 2 (disputed by the buyer and split by the arbiter), net of the fee; the
/// seller keeps only the advance and stays the party (it submits both milestones); the
/// buyer's refund goes to the buyer. `deal show` names the payee of each milestone. Every
/// account to the smallest unit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receivable_assigned_after_the_advance_pays_the_factor_milestones_1_and_2() -> Result<()>
{
    if !chain_and_stablecoin_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, ORACLE, ARBITER, STRANGER, FACTOR], false).await?;
    w.stablecoin().await?;
    assert_eq!(w.usd().start_of(FACTOR.0), 0, "the factor starts empty");
    let id = seed_deal_funded(&mut w);
    let id_s = id.to_string();
    w.check("after the advance").await?;
    let (seller, factor) = (dev_account(SELLER.1), dev_account(FACTOR.1));

    // Nobody but the payee may assign: a stranger is refused and nothing changes.
    let assign = |who: &'static str| {
        [
            "--suri", who, "deal", "assign", &id_s, "--from", "1", "--to", FACTOR.1,
        ]
    };
    w.cli
        .run(&assign(STRANGER.1))
        .fails(exit::REJECTED, &["CallerIsNotPayee"]);
    w.check("after a stranger's refused assignment").await?;

    // when: the seller assigns milestones 1 and 2 to the factor
    let tx = w.cli.tx(
        SELLER.1,
        &["deal", "assign", &id_s, "--from", "1", "--to", FACTOR.1],
    );
    assert_eq!(tx.events(), ["ReceivableAssigned"]);
    assert_eq!(tx.ret(), 2, "two milestones changed payee");
    let assigned = &tx.events_named("ReceivableAssigned")[0];
    assert_eq!(assigned["by"], seller.to_string(), "{assigned}");
    assert_eq!(assigned["to"], factor.to_string(), "{assigned}");
    assert_eq!(
        (&assigned["from_index"], &assigned["count"]),
        (&serde_json::json!(1), &serde_json::json!(2)),
        "{assigned}"
    );
    w.check("after the assignment").await?;
    // then: the reads name the payee of each milestone; the advance still names the seller
    let deal = w.cli.deal(id);
    let payees: Vec<&str> = (0..3)
        .map(|i| deal["milestones"][i]["payee"].as_str().expect("a payee"))
        .collect();
    let (seller_s, factor_s) = (seller.to_string(), factor.to_string());
    assert_eq!(payees, [seller_s.as_str(), &factor_s, &factor_s], "{deal}");
    let shown = w.cli.run(&["deal", "show", &id_s]);
    let note = format!("pays {factor} (receivable assigned)");
    assert_eq!(shown.ok().matches(&note).count(), 2, "{shown:#?}");
    assert!(
        shown
            .out
            .lines()
            .any(|l| l.trim_start().starts_with("#0 ") && !l.contains(&note)),
        "{shown:#?}"
    );
    // The seller no longer may assign what it assigned.
    w.cli
        .run(&assign(SELLER.1))
        .fails(exit::REJECTED, &["CallerIsNotPayee"]);

    // when: the seller, still the party, submits the shipment; the oracle attests it: the
    // factor is paid milestone 1, net of the fee
    let evidence = format!("0x{}", "b1".repeat(32));
    w.cli.tx(
        SELLER.1,
        &["deal", "submit", &id_s, "1", "--evidence-hash", &evidence],
    );
    let tx = w.cli.tx(ORACLE.1, &["deal", "attest", &id_s, "1"]);
    let (net, fee) = w.released_usd(usd(400), FACTOR.0);
    assert_eq!((net, fee), (usd(396), usd(4)));
    assert_released(&tx, 1, net, fee, "Oracles");
    assert_eq!(tx.events_named("MilestoneReleased")[0]["payee"], factor_s);
    w.check("after milestone 1 paid to the factor").await?;

    // when: the seller submits the delivery; the buyer disputes it; the arbiter gives the
    // seller's side 180.000001 USD of the 300 USD (the factor receives it, less the fee
    // rounded down to the smallest unit) and the rest back to the buyer
    let evidence = format!("0x{}", "c1".repeat(32));
    w.cli.tx(
        SELLER.1,
        &["deal", "submit", &id_s, "2", "--evidence-hash", &evidence],
    );
    let complaint = format!("0x{}", "d1".repeat(32));
    w.cli.tx(
        BUYER.1,
        &["deal", "dispute", &id_s, "2", "--hash", &complaint],
    );
    let tx = w.cli.tx(
        ARBITER.1,
        &["deal", "resolve", &id_s, "2", "180.000001 USD"],
    );
    assert_eq!(tx.events(), ["DisputeResolved"]);
    let awarded = 180_000_001;
    let (net, fee) = fee_split(awarded, FEE_BPS);
    assert_eq!((net, fee), (178_200_001, 1_800_000));
    let refund = usd(300) - awarded;
    assert_eq!(refund, 119_999_999);
    let resolved = &tx.events_named("DisputeResolved")[0];
    assert_eq!(resolved["payee"], factor_s, "{resolved}");
    assert_eq!(amount(&resolved["to_seller"]), net);
    assert_eq!(amount(&resolved["fee"]), fee);
    assert_eq!(amount(&resolved["to_buyer"]), refund);
    w.released_usd(awarded, FACTOR.0);
    w.usd().pay("contract", BUYER.0, refund);
    w.check("after the ruling").await?;

    // then: the seller kept the advance, the factor milestones 1 and 2 (its share), the
    // buyer its refund; to the smallest unit
    let balances = w.usd().balances().await?;
    assert_eq!(balances[SELLER.0], DEV_USD + 297_000_000);
    assert_eq!(balances[FACTOR.0], 396_000_000 + 178_200_001);
    assert_eq!(balances[BUYER.0], DEV_USD - 1_000_000_000 + 119_999_999);
    assert_eq!(balances[FEES.0], 3_000_000 + 4_000_000 + 1_800_000);
    assert_eq!(balances[ORACLE.0], DEV_USD);
    assert_eq!(balances[ARBITER.0], DEV_USD);
    assert_eq!(balances[STRANGER.0], DEV_USD);
    assert_eq!(balances["contract"], 0);
    assert_eq!(w.cli.deal_status(id), "Closed");
    w.cli.assert_audit_ok(id);
    Ok(())
}
