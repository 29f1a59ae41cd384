//! The two deals of the demo, from proposal to closure: in US dollars (the reference
//! stablecoin `scripts/stablecoin.sh` deploys, as the demo runs it), an advance, a shipment
//! released by two oracle services (`escrow oracle run`, real processes) that see the
//! container's `LOAD` in their simulated carrier feeds, two of three oracles with the third
//! silent, and a buyer-approved delivery; and in the native token, a delivery disputed and
//! split by the arbiter. And the script the demo runs to get its dollars: deployed once,
//! each dev account topped up, a second run signing nothing.

use std::time::{Duration, Instant};

use escrow_test_support::{
    accounts::dev_account,
    artifacts::{chain_and_stablecoin_available, stablecoin_bundle},
    carrier::{equipment_event, CarrierSim},
    chain_available,
    cli::amount,
    exit, units, Result, TokenLedger,
};

use serde_json::{json, Value as Json};
use subxt::utils::AccountId32;

use crate::{
    services::{deal_events, milestone_state, OracleService},
    world::{assert_released, usd, World, ARBITER, BUYER, DEV_USD, FEES, ORACLE, SELLER},
};

/// Deal 1's second oracle: the Mundra terminal operator, on its own feed.
const TERMINAL: (&str, &str) = ("terminal", "//Eve");
/// Deal 1's third oracle: an inspection agency that never signs. An account nobody else
/// uses, so it starts (and must end) empty.
const INSPECTOR: (&str, &str) = ("inspector", "//Inspector");
/// The bill of lading the shipment milestone's condition names.
const TRD: &str = "MUN-HAM-0042";
/// How long the release may take once both feeds show the `LOAD`: two polls of 2 s and two
/// blocks, with a wide margin for a loaded machine.
const RELEASE_WITHIN: Duration = Duration::from_secs(60);

/// Deal 1 of the demo: an Indian textile exporter sells to a European buyer for 20,000
/// USD in the reference stablecoin; 30% advance on acceptance; 40% on shipment, released
/// when two of three oracles attest it: the carrier's and the terminal's oracle services
/// (running processes, as the demo starts them), which see the `ACT` `LOAD` at Mundra in
/// their own simulated DCSA feeds, while the inspection agency stays silent; 30% on
/// delivery approved by the buyer. Every account's USD balance to the smallest unit, and
/// its native balance with the chain's fees and deposits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_deal_in_usd_advance_then_shipment_released_by_two_oracle_services_then_buyer_delivery(
) -> Result<()> {
    if !chain_and_stablecoin_available() {
        return Ok(());
    }
    let mut w = World::start(
        &[BUYER, SELLER, ORACLE, TERMINAL, INSPECTOR, ARBITER],
        false,
    )
    .await?;
    // given: the stablecoin as the demo deploys it: each dev account holds 1,000,000 USD,
    // the silent oracle, the fee recipient and the escrow none
    let token = w.stablecoin().await?;
    for (label, _) in [BUYER, SELLER, ORACLE, TERMINAL, ARBITER] {
        assert_eq!(w.usd().start_of(label), DEV_USD, "{label}");
    }
    for label in [INSPECTOR.0, FEES.0, "contract"] {
        assert_eq!(w.usd().start_of(label), 0, "{label}");
    }
    let po = w.cli.file(
        "po-4711.txt",
        "PO 4711: 8,000 organic cotton shirts, FOB Mundra, 20,000 USD",
    );
    let bill_of_lading = w
        .cli
        .file("bl.txt", "B/L MUN-HAM-0042: 1 x 40ft container MSKU1234567");
    let delivery_note = w
        .cli
        .file("pod.txt", "Proof of delivery, Hamburg warehouse");
    // The shipment milestone's condition, as the demo writes it.
    let condition = w.cli.file(
        "loaded-mundra.json",
        &json!({
            "format": "milestone-escrow/condition/v1",
            "description": "Container loaded on board at Mundra",
            "transportDocumentReference": TRD,
            "events": [{"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD", "location": "INMUN"}],
        })
        .to_string(),
    );
    let shown = w
        .cli
        .run(&["--json", "condition", "show", &condition])
        .json();
    assert_eq!(
        shown["summary"], "ACT LOAD at INMUN of MUN-HAM-0042",
        "{shown}"
    );
    let condition_hash = shown["hash"].as_str().expect("a hash").to_string();

    // given: the exporter proposes in USD, three oracles of which two release, milestone 1
    // on the condition; nothing moves but the chain's costs
    let on_loaded = format!("1={condition}");
    let id = w.cli.propose(
        SELLER.1,
        &[
            "--buyer",
            BUYER.1,
            "--oracle",
            ORACLE.1,
            "--oracle",
            TERMINAL.1,
            "--oracle",
            INSPECTOR.1,
            "--threshold",
            "2",
            "--rule",
            "either",
            "--arbiter",
            ARBITER.1,
            "--asset",
            "USD",
            "--total",
            "20000 USD",
            "--split",
            "30,40,30",
            "--advance",
            "--review",
            "7d",
            "--arbitration",
            "14d",
            "--terms-file",
            &po,
            "--milestone-condition",
            &on_loaded,
        ],
    );
    let id_s = id.to_string();
    let shown = w.cli.deal(id);
    assert_eq!(shown["asset"]["symbol"], "USD", "{shown}");
    assert_eq!(shown["deal"]["deal"]["asset"]["Psp22"], token, "{shown}");
    assert_eq!(amount(&shown["deal"]["deal"]["total"]), usd(20_000));
    assert_eq!(shown["deal"]["deal"]["oracle_threshold"], 2, "{shown}");
    let shipment = &shown["milestones"][1];
    assert_eq!(
        shipment["milestone"]["terms_hash"], condition_hash,
        "{shown}"
    );
    assert_eq!(
        shipment["condition"]["summary"], "ACT LOAD at INMUN of MUN-HAM-0042",
        "{shown}"
    );
    for other in [0, 2] {
        assert_eq!(
            shown["milestones"][other]["condition"],
            Json::Null,
            "{shown}"
        );
    }
    w.check("after the proposal").await?;

    // when: the buyer accepts and funds the whole order: the token's approve for exactly
    // 20,000 USD, accept, fund_tokens; the advance is paid at once
    let tx = w.cli.accept(BUYER.1, id, &["--fund", "all"]);
    assert_eq!(
        tx.steps(),
        ["approve", "accept", "fund_tokens"],
        "{:#?}",
        tx.run
    );
    assert_eq!(tx.json["steps"][0]["contract"], token);
    assert_eq!(
        tx.events(),
        ["DealAccepted", "DealFunded", "MilestoneReleased"]
    );
    w.usd().pay(BUYER.0, "contract", usd(20_000));
    let (net, fee) = w.released_usd(usd(6_000), SELLER.0);
    assert_eq!((net, fee), (usd(5_940), usd(60)));
    assert_released(&tx, 0, net, fee, "Advance");
    w.check("after the advance").await?;

    // given: the carrier's and the terminal's feeds, each watched by its oracle's service
    // (the inspection agency runs none)
    let carrier = CarrierSim::start()?;
    let terminal = CarrierSim::start()?;
    let nonces_before = (w.nonce(ORACLE.1).await?, w.nonce(TERMINAL.1).await?);
    let mut seatrack = OracleService::start(&w, ORACLE.1, &carrier, "2s", &[]);
    let mut mundra = OracleService::start(&w, TERMINAL.1, &terminal, "2s", &[]);

    // when: the exporter ships and submits the bill of lading
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
    let submitted_in = tx.json["block"]
        .as_u64()
        .unwrap_or_else(|| panic!("no block: {:#?}", tx.run));
    // then: each service passes over the submitted milestone, reaching the node and its
    // feed, which shows no LOAD yet: not attested, not released
    for service in [&mut seatrack, &mut mundra] {
        let pass = loop {
            let health = service.next("health", |_| true);
            if health["chain"]["block"].as_u64() >= Some(submitted_in) {
                break health;
            }
        };
        assert_eq!(
            (
                &pass["chain"]["status"],
                &pass["feed"]["status"],
                &pass["attested"]
            ),
            (&json!("ok"), &json!("ok"), &json!(0)),
            "{}: {pass}",
            service.who
        );
    }
    assert_eq!(milestone_state(&w, id, 1), ("Submitted".to_string(), 0));
    w.check("after the shipment is submitted").await?;

    // when: the container is loaded at Mundra: the carrier and the terminal each publish
    // the ACT LOAD event in their feeds
    carrier.publish(equipment_event("ACT", "LOAD", "INMUN", TRD));
    terminal.publish(equipment_event("ACT", "LOAD", "INMUN", TRD));
    // then: both services attest; the second attestation reaches the quorum and releases
    // the 40%
    let deadline = Instant::now() + RELEASE_WITHIN;
    while milestone_state(&w, id, 1).0 != "Released" {
        assert!(
            Instant::now() < deadline,
            "milestone 1 not released within {RELEASE_WITHIN:?} of the LOAD events: {:?}; \
             //Ferdie's log {:#?}, //Eve's log {:#?}",
            milestone_state(&w, id, 1),
            seatrack.process.out_seen,
            mundra.process.out_seen
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut released_by = Vec::new();
    for service in [&mut seatrack, &mut mundra] {
        let attested = service.next("attested", |_| true);
        assert_eq!(
            (&attested["deal"], &attested["milestone"]),
            (&json!(id), &json!(1))
        );
        assert_eq!(attested["threshold"], 2, "{attested}");
        if attested["released"] == true {
            released_by.push(service.who);
        }
    }
    assert_eq!(
        released_by.len(),
        1,
        "exactly one attestation released: {released_by:?}"
    );
    drop((seatrack, mundra));
    // (status, attestation bits: //Ferdie 1, //Eve 2, //Inspector 4)
    assert_eq!(milestone_state(&w, id, 1), ("Released".to_string(), 1 | 2));
    let events = deal_events(&w, id);
    let attested: Vec<(&str, &Json)> = events
        .iter()
        .filter(|e| e["event"] == "MilestoneAttested")
        .map(|e| {
            let who = [ORACLE.1, TERMINAL.1, INSPECTOR.1]
                .into_iter()
                .find(|s| e["oracle"] == dev_account(s).to_string())
                .unwrap_or_else(|| panic!("an attestation by an account not named: {e}"));
            (who, &e["index"])
        })
        .collect();
    let mut by = attested.iter().map(|(who, _)| *who).collect::<Vec<_>>();
    by.sort_unstable();
    assert_eq!(by, [TERMINAL.1, ORACLE.1], "{events:#?}");
    assert!(
        attested.iter().all(|(_, index)| **index == 1),
        "{events:#?}"
    );
    let released: Vec<&Json> = events
        .iter()
        .filter(|e| e["event"] == "MilestoneReleased" && e["index"] == 1)
        .collect();
    assert_eq!(released.len(), 1, "{events:#?}");
    let (net, fee) = w.released_usd(usd(8_000), SELLER.0);
    assert_eq!(amount(&released[0]["amount"]), net, "{}", released[0]);
    assert_eq!(amount(&released[0]["fee"]), fee, "{}", released[0]);
    assert_eq!(released[0]["via"], "Oracles", "{}", released[0]);
    // Each service signed exactly its one attestation; the silent oracle nothing.
    assert_eq!(
        (w.nonce(ORACLE.1).await?, w.nonce(TERMINAL.1).await?),
        (nonces_before.0 + 1, nonces_before.1 + 1)
    );
    assert_eq!(w.nonce(INSPECTOR.1).await?, 0);
    w.check("after the shipment is released by the oracle services")
        .await?;

    // when: the goods arrive; the buyer approves the delivery (the rule lets the buyer or
    // the oracles release)
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
    let (net, fee) = w.released_usd(usd(6_000), SELLER.0);
    assert_released(&tx, 2, net, fee, "Buyer");
    let closed = w.cli.tx(BUYER.1, &["deal", "close", &id_s]);
    assert_eq!(closed.events(), ["DealClosed"]);
    w.cli
        .run(&["--suri", BUYER.1, "deal", "close", &id_s])
        .fails(exit::REJECTED, &["ClosureAlreadyRecorded"]);

    // then: the exporter got 19,800 USD, the platform 200 USD, the buyer paid 20,000 USD,
    // the contract holds nothing of it; nobody's native balance moved but by the chain's
    // costs; the silent oracle paid nothing and holds nothing
    w.check("after the delivery").await?;
    let balances = w.usd().balances().await?;
    assert_eq!(balances[BUYER.0], DEV_USD - usd(20_000));
    assert_eq!(balances[SELLER.0], DEV_USD + usd(19_800));
    assert_eq!(balances[FEES.0], usd(200));
    assert_eq!(balances["contract"], 0);
    assert_eq!(balances[ORACLE.0], DEV_USD);
    assert_eq!(balances[TERMINAL.0], DEV_USD);
    assert_eq!(balances[INSPECTOR.0], 0);
    assert_eq!(w.ledger.fees_of(INSPECTOR.0), 0);
    assert_eq!(w.ledger.balances(&w.chain).await?[INSPECTOR.0], 0);
    let deal = w.cli.deal(id);
    assert_eq!(deal["deal"]["deal"]["status"], "Closed");
    assert_eq!(amount(&deal["deal"]["deal"]["released"]), usd(19_800));
    assert_eq!(amount(&deal["deal"]["deal"]["fees"]), usd(200));
    assert_eq!(amount(&deal["deal"]["locked"]), 0);
    w.cli.assert_audit_ok(id);
    // A second approval is refused (the deal is closed) and moves nothing.
    w.cli
        .run(&["--suri", BUYER.1, "deal", "approve", &id_s, "2"])
        .fails(exit::REJECTED, &["WrongDealState", "Closed"]);
    w.check("after a refused double approval").await
}

/// `scripts/stablecoin.sh`, which the demo runs: it deploys USD once and records it; each
/// dev account then holds exactly what `--mint` says; a second run uses the recorded token
/// and mints only what is missing; a run with nothing missing signs nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stablecoin_script_deploys_usd_once_and_tops_the_dev_accounts_up() -> Result<()> {
    if !chain_and_stablecoin_available() {
        return Ok(());
    }
    let w = World::start(&[BUYER], false).await?;
    let bundle = stablecoin_bundle();
    let env = [(
        "ESCROW_STABLECOIN_BUNDLE",
        bundle.to_str().expect("UTF-8 path"),
    )];
    let dev: Vec<(&str, _)> = [
        "//Alice",
        "//Bob",
        "//Charlie",
        "//Dave",
        "//Eve",
        "//Ferdie",
    ]
    .into_iter()
    .map(|suri| (suri, dev_account(suri)))
    .collect();

    // when: the first run
    let first = w
        .cli
        .run_script("scripts/stablecoin.sh", &["--mint", "1000"], &env);
    let token = first.ok().lines().last().expect("the address").to_string();
    // then: one USD token recorded for the node, 1,000 USD each
    assert!(
        first
            .err
            .contains("$ escrow --json --suri //Alice token deploy"),
        "{first:#?}"
    );
    let listed = w.cli.run(&["--json", "token", "list"]).json();
    assert_eq!(
        listed["tokens"],
        serde_json::json!([{"address": token, "decimals": 6, "name": "US Dollar", "symbol": "USD"}]),
        "{listed}"
    );
    assert_eq!(
        usd_balances(&w.cli.url, &token, &dev).await?,
        vec![usd(1_000); 6]
    );

    // when: a second run for 1,500 USD each: the same token, 500 USD more each
    let second = w
        .cli
        .run_script("scripts/stablecoin.sh", &["--mint", "1500"], &env);
    assert_eq!(
        second.ok().lines().last(),
        Some(token.as_str()),
        "{second:#?}"
    );
    assert!(
        second
            .err
            .contains("answers there: using it, nothing deployed"),
        "{second:#?}"
    );
    assert!(!second.err.contains("token deploy"), "{second:#?}");
    assert_eq!(second.err.matches("token mint").count(), 6, "{second:#?}");
    assert_eq!(
        usd_balances(&w.cli.url, &token, &dev).await?,
        vec![usd(1_500); 6]
    );

    // when: a third run with nothing missing: nothing is signed
    let (best, _) = w.chain.best().await?;
    let third = w
        .cli
        .run_script("scripts/stablecoin.sh", &["--mint", "1500"], &env);
    assert_eq!(
        third.ok().lines().last(),
        Some(token.as_str()),
        "{third:#?}"
    );
    assert_eq!(
        third.err.matches("nothing to mint").count(),
        6,
        "{third:#?}"
    );
    assert!(!third.err.contains("$ escrow"), "{third:#?}");
    assert_eq!(
        w.chain.best().await?.0,
        best,
        "the third run signed nothing"
    );
    assert_eq!(
        usd_balances(&w.cli.url, &token, &dev).await?,
        vec![usd(1_500); 6]
    );

    // A node that does not answer: named, nothing done.
    w.cli
        .run_script(
            "scripts/stablecoin.sh",
            &["--url", escrow_test_support::cli::NO_NODE_URL],
            &env,
        )
        .fails(1, &["no node answers at ws://127.0.0.1:1"]);
    Ok(())
}

/// The USD balances of `accounts` (label, account), in their order.
async fn usd_balances(
    url: &str,
    token: &str,
    accounts: &[(&str, AccountId32)],
) -> Result<Vec<u128>> {
    let token: AccountId32 = token.parse().map_err(|e| format!("{token}: {e:?}"))?;
    let ledger = TokenLedger::snapshot(url, &token, accounts).await?;
    Ok(accounts.iter().map(|(l, _)| ledger.start_of(l)).collect())
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
