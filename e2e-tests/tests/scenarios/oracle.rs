//! The oracle service (`escrow oracle run`) as real processes, against the node and the
//! carrier simulator (`escrow_test_support::carrier`, in the test's process): milestones
//! released on shipment data.
//!
//! The deals here (all but one): the seller proposes three milestones of 300, 400 and 300
//! whose middle one carries a condition document (`--milestone-condition 1=FILE`), with the
//! oracles //Ferdie, //Dave and //Eve (in that order, so their attestation bits are 1, 2
//! and 4), any two of them releasing; the buyer accepts and funds all of it. The services
//! log JSON lines (`--log-format json`), which the tests read as they come; the chain is
//! checked after each step: the milestone's status and attestation bits (`deal show
//! --json`), the `MilestoneAttested` events (`escrow events --json`), and each oracle's
//! nonce, which must equal the number of its attestations exactly: nothing else of it
//! reached a block.

use std::time::Duration;

use escrow_test_support::{
    accounts::dev_account,
    carrier::{equipment_event, retraction_of, transport_event, CarrierSim},
    chain_available, exit, units, Chain, Result, Run,
};
use serde_json::{json, Value as Json};

use crate::{
    services::{about, deal_events, log_line, milestone_state, oracle_args, OracleService},
    world::{World, BUYER, ORACLE, ORACLE2, ORACLE3, SELLER},
};

/// The transport document (bill of lading) of most deals here.
const TRD: &str = "MUN-HAM-0042";
/// Another one, for a second deal's condition.
const TRD_B: &str = "MUN-HAM-0043";
/// The attestation bits of the three oracles, in the order the deals name them.
const FERDIE_BIT: u64 = 1;
const DAVE_BIT: u64 = 2;
const EVE_BIT: u64 = 4;
/// No attestation.
const NONE: [(&str, u64); 0] = [];
/// How long a test waits for the service to reconnect after a node restart.
const RECONNECT: Duration = Duration::from_secs(60);

/// A condition document: an `ACT` equipment event `code` at `location` for the transport
/// document `trd`.
fn equipment_condition(code: &str, location: &str, trd: &str) -> String {
    json!({
        "format": "milestone-escrow/condition/v1",
        "description": format!("Container {code} at {location}"),
        "transportDocumentReference": trd,
        "events": [{"eventType": "EQUIPMENT", "equipmentEventTypeCode": code, "location": location}],
    })
    .to_string()
}

/// A condition document: an `ACT` transport event `code` at `location` for the transport
/// document `trd`.
fn transport_condition(code: &str, location: &str, trd: &str) -> String {
    json!({
        "format": "milestone-escrow/condition/v1",
        "transportDocumentReference": trd,
        "events": [{"eventType": "TRANSPORT", "transportEventTypeCode": code, "location": location}],
    })
    .to_string()
}

/// A world tracking the parties and the three oracles.
async fn world(persistent: bool) -> Result<World> {
    World::start(&[BUYER, SELLER, ORACLE, ORACLE2, ORACLE3], persistent).await
}

/// The seller proposes 300/400/300 with `oracles` (SURIs), two of them releasing, and
/// milestone 1 on the condition document `condition` (a file); the buyer accepts and funds
/// all 1 000. Returns the deal id.
fn conditioned_deal(w: &mut World, oracles: &[&str], condition: &str) -> u64 {
    let on = format!("1={condition}");
    let mut args = vec!["--buyer", BUYER.1];
    for oracle in oracles {
        args.extend(["--oracle", oracle]);
    }
    args.extend([
        "--threshold",
        "2",
        "--rule",
        "oracles",
        "--milestone",
        "300",
        "--milestone",
        "400",
        "--milestone",
        "300",
        "--milestone-condition",
        &on,
    ]);
    let (id, _) = w.seller_proposes_buyer_funds(&args, 1_000);
    id
}

/// A world, a simulator and a [`quorum_deal`] whose milestone 1 is released on an `ACT
/// LOAD` of [`TRD`] at Mundra (the node on a base path that survives a restart when
/// `persistent`).
async fn loaded_at_mundra_deal(persistent: bool) -> Result<(World, CarrierSim, u64)> {
    let mut w = world(persistent).await?;
    let sim = CarrierSim::start()?;
    let doc = w.cli.file(
        "load-inmun.json",
        &equipment_condition("LOAD", "INMUN", TRD),
    );
    let id = quorum_deal(&mut w, &doc);
    Ok((w, sim, id))
}

/// The usual deal: oracles //Ferdie, //Dave, //Eve.
fn quorum_deal(w: &mut World, condition: &str) -> u64 {
    conditioned_deal(w, &[ORACLE.1, ORACLE2.1, ORACLE3.1], condition)
}

/// Asserts milestone `index` of deal `id` is `status` with the attestation bits `bits`.
fn assert_milestone(w: &World, id: u64, index: usize, status: &str, bits: u64) {
    assert_eq!(
        milestone_state(w, id, index),
        (status.to_string(), bits),
        "deal {id} milestone {index}"
    );
}

/// The milestones of deal `id` that are not `index` are untouched: pending, no attestation.
fn assert_others_untouched(w: &World, id: u64, index: usize) {
    for other in (0..3).filter(|i| *i != index) {
        assert_milestone(w, id, other, "Pending", 0);
    }
}

/// Deal `id`'s attestations on chain, in order: (oracle SURI, milestone index).
fn attestations(w: &World, id: u64) -> Vec<(&'static str, u64)> {
    deal_events(w, id)
        .iter()
        .filter(|e| e["event"] == "MilestoneAttested")
        .map(|e| {
            let who = [ORACLE.1, ORACLE2.1, ORACLE3.1]
                .into_iter()
                .find(|s| e["oracle"] == dev_account(s).to_string())
                .unwrap_or_else(|| panic!("an attestation by an unexpected account: {e}"));
            let index = e["index"]
                .as_u64()
                .unwrap_or_else(|| panic!("no index: {e}"));
            (who, index)
        })
        .collect()
}

/// Asserts deal `id`'s one `MilestoneReleased` event: milestone `index`, `gross` split into
/// (net, fee), via the oracles.
fn assert_released_via_oracles(w: &World, id: u64, index: u64, net: u128, fee: u128) {
    let released: Vec<Json> = deal_events(w, id)
        .into_iter()
        .filter(|e| e["event"] == "MilestoneReleased")
        .collect();
    assert_eq!(released.len(), 1, "deal {id}: {released:#?}");
    let e = &released[0];
    assert_eq!(e["index"], index, "{e}");
    assert_eq!(escrow_test_support::cli::amount(&e["amount"]), net, "{e}");
    assert_eq!(escrow_test_support::cli::amount(&e["fee"]), fee, "{e}");
    assert_eq!(e["via"], "Oracles", "{e}");
}

/// The log lines of a run (`--once`) whose `event` is `event`.
fn logged(run: &Run, event: &str) -> Vec<Json> {
    run.out
        .lines()
        .map(log_line)
        .filter(|l| l["event"] == event)
        .collect()
}

/// `escrow --suri WHO oracle run --feed SIM --log-format json extra…` once: one pass.
fn run_once(w: &World, who: &str, sim: &CarrierSim, extra: &[&str]) -> Run {
    let feed = sim.base_url();
    let mut args = vec!["--once"];
    args.extend_from_slice(extra);
    w.cli.run(&oracle_args(who, &feed, &args))
}

/// The service of oracle `who` on the simulator's feed, polling every second and backing
/// off to at most 4 s, with `extra` arguments.
fn service(w: &World, who: &'static str, sim: &CarrierSim, extra: &[&str]) -> OracleService {
    let mut args = vec!["--max-backoff", "4s"];
    args.extend_from_slice(extra);
    OracleService::start(w, who, sim, "1s", &args)
}

/// //Ferdie attested milestone 1 of deal `id`, and nothing else reached a block: its
/// nonce is 1, the milestone is still pending with its bit alone, and its attestation is
/// the deal's only one.
async fn assert_ferdie_attested_once(w: &World, id: u64) -> Result<()> {
    assert_eq!(w.nonce(ORACLE.1).await?, 1);
    assert_milestone(w, id, 1, "Pending", FERDIE_BIT);
    assert_eq!(attestations(w, id), [(ORACLE.1, 1)]);
    Ok(())
}

/// Asserts a health line of a pass that reached the node and the feed, and waits
/// `waiting` milestones of which `unmatched` have no document.
fn assert_healthy(h: &Json, waiting: u64, unmatched: u64) {
    assert_eq!(h["chain"]["status"], "ok", "{h}");
    assert_eq!(h["feed"]["status"], "ok", "{h}");
    assert_eq!(h["level"], "info", "{h}");
    assert_eq!(h["next_pass_ms"], 1000, "{h}");
    assert_eq!(
        (&h["waiting"], &h["unmatched"]),
        (&json!(waiting), &json!(unmatched)),
        "{h}"
    );
}

/// Two oracle services of three see the `ACT LOAD` at Mundra and release the milestone
/// (2 of 3) while the third oracle stays silent: exact balances, its bit unset, each
/// running oracle attested once, the other milestones untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_three_oracle_services_release_a_milestone_on_its_load_event_with_the_third_silent(
) -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let (mut w, sim, id) = loaded_at_mundra_deal(false).await?;
    w.check("after funding").await?;

    // given: the services of //Ferdie and //Dave (the documents `deal propose` saved),
    // watching the deal while the container is not loaded yet
    let mut ferdie = service(&w, ORACLE.1, &sim, &[]);
    let mut dave = service(&w, ORACLE2.1, &sim, &[]);
    for s in [&mut ferdie, &mut dave] {
        let started = s.seen("started");
        assert_eq!(started[0]["documents"], 1, "{started:?}");
        // milestones 0 and 2 carry no condition: refused (loudly), never attested
        assert_healthy(&s.passes(1)[0], 3, 2);
    }
    assert_eq!(w.nonce(ORACLE.1).await?, 0);

    // when: the carrier publishes the load at Mundra
    let load = equipment_event("ACT", "LOAD", "INMUN", TRD);
    let load_id = load["eventID"].clone();
    sim.publish(load);

    // then: both attest once; the second attestation releases
    let by_ferdie = ferdie.next("attested", |l| about(l, id, 1));
    let by_dave = dave.next("attested", |l| about(l, id, 1));
    for (s, line) in [(&mut ferdie, &by_ferdie), (&mut dave, &by_dave)] {
        assert_eq!(line["threshold"], 2, "{line}");
        let holds = s.seen("condition_holds");
        assert_eq!(holds.len(), 1, "{holds:?}");
        assert!(about(&holds[0], id, 1), "{holds:?}");
        assert_eq!(holds[0]["events"], json!([load_id]), "{holds:?}");
        assert_eq!(
            holds[0]["condition"],
            format!("ACT LOAD at INMUN of {TRD}"),
            "{holds:?}"
        );
    }
    let mut order = [&by_ferdie, &by_dave];
    order.sort_by_key(|l| l["attestations"].as_u64());
    assert_eq!(
        order.map(|l| (l["attestations"].clone(), l["released"].clone())),
        [(json!(1), json!(false)), (json!(2), json!(true))]
    );
    let (net, fee) = w.released(units(400));
    w.check("after the release on the load event").await?;
    assert_released_via_oracles(&w, id, 1, net, fee);
    assert_milestone(&w, id, 1, "Released", FERDIE_BIT | DAVE_BIT);
    assert_eq!(
        milestone_state(&w, id, 1).1 & EVE_BIT,
        0,
        "the silent oracle's bit"
    );
    assert_others_untouched(&w, id, 1);
    let mut by = attestations(&w, id);
    by.sort();
    assert_eq!(by, [(ORACLE2.1, 1), (ORACLE.1, 1)]);

    // and: further passes do nothing; the silent oracle paid nothing
    for s in [&mut ferdie, &mut dave] {
        assert_healthy(&s.passes(2)[1], 2, 2);
        assert_eq!(s.seen("attested").len(), 1, "{:?}", s.seen("attested"));
    }
    assert_eq!(w.nonce(ORACLE.1).await?, 1);
    assert_eq!(w.nonce(ORACLE2.1).await?, 1);
    assert_eq!(w.nonce(ORACLE3.1).await?, 0);
    assert_eq!(w.ledger.fees_of(ORACLE3.0), 0);
    w.check("after further passes").await?;
    w.cli.assert_audit_ok(id);
    Ok(())
}

/// A service given a document that is not the one committed on chain (another location)
/// refuses the milestone, loudly and once, and signs nothing, even once the event the
/// committed document names is in the feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_given_another_condition_document_refuses_the_milestone_and_signs_nothing(
) -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = world(false).await?;
    let sim = CarrierSim::start()?;
    let committed = w.cli.file(
        "load-inmun.json",
        &equipment_condition("LOAD", "INMUN", TRD),
    );
    let id = quorum_deal(&mut w, &committed);
    let terms_hash = w.cli.deal(id)["milestones"][1]["milestone"]["terms_hash"].clone();
    let dir = w.cli.home.path().join("oracle-documents");
    std::fs::create_dir(&dir)?;
    std::fs::write(
        dir.join("load.json"),
        equipment_condition("LOAD", "INNSA", TRD),
    )?;

    // when: //Ferdie's service reads only that directory
    let dir_s = dir.to_str().expect("UTF-8 path");
    let mut ferdie = service(&w, ORACLE.1, &sim, &["--conditions", dir_s]);
    assert_eq!(ferdie.seen("started")[0]["documents"], 1);

    // then: milestone 1 is refused, naming its on-chain terms hash
    let refused = ferdie.next("condition_refused", |l| about(l, id, 1));
    assert_eq!(refused["level"], "error", "{refused}");
    assert_eq!(refused["terms_hash"], terms_hash, "{refused}");
    assert!(
        refused["why"].as_str().is_some_and(|s| !s.is_empty()),
        "{refused}"
    );
    assert_healthy(&ferdie.next("health", |_| true), 3, 3);

    // when: the event the committed document names is published
    sim.publish(equipment_event("ACT", "LOAD", "INMUN", TRD));

    // then: passes go by; nothing holds, nothing is signed, the feed is not even asked
    for h in ferdie.passes(3) {
        assert_healthy(&h, 3, 3);
        assert_eq!(h["requests"], 0, "{h}");
    }
    let refusals: Vec<Json> = ferdie
        .seen("condition_refused")
        .into_iter()
        .filter(|l| about(l, id, 1))
        .collect();
    assert_eq!(refusals.len(), 1, "logged once: {refusals:?}");
    assert_eq!(ferdie.seen("condition_holds"), Vec::<Json>::new());
    assert_eq!(ferdie.seen("attested"), Vec::<Json>::new());
    assert_eq!(sim.requests(), 0);
    assert_eq!(w.nonce(ORACLE.1).await?, 0);
    assert_milestone(&w, id, 1, "Pending", 0);
    assert_eq!(attestations(&w, id), NONE);
    w.check("after the refusal").await
}

/// `EST` and `PLN` events never attest, however many passes see them; a malformed entry is
/// logged with its id (once) and skipped; then the `ACT` event, published twice, attests
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimated_and_planned_events_never_attest_and_a_duplicated_actual_one_attests_once(
) -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let (mut w, sim, id) = loaded_at_mundra_deal(false).await?;

    // given: the feed has the load as estimated and planned, and a malformed entry (its
    // eventDateTime is not a time)
    sim.publish(equipment_event("EST", "LOAD", "INMUN", TRD));
    sim.publish(equipment_event("PLN", "LOAD", "INMUN", TRD));
    let mut garbled = equipment_event("ACT", "LOAD", "INMUN", TRD);
    garbled["eventID"] = json!("garbled-1");
    garbled["eventDateTime"] = json!("yesterday afternoon");
    sim.publish_raw(&garbled.to_string());

    // when: //Ferdie's service makes several passes
    let mut ferdie = service(&w, ORACLE.1, &sim, &[]);
    // (the id is `event_id`: `event` is the log line's own key)
    let skipped = ferdie.next("event_skipped", |_| true);
    assert_eq!(skipped["event_id"], "garbled-1", "{skipped}");
    assert_eq!(skipped["level"], "warn", "{skipped}");
    assert!(
        skipped["why"]
            .as_str()
            .is_some_and(|s| s.contains("eventDateTime")),
        "{skipped}"
    );
    for h in ferdie.passes(3) {
        assert_healthy(&h, 3, 2);
        assert_eq!(h["attested"], 0, "{h}");
    }

    // then: nothing holds, nothing signed
    assert_eq!(ferdie.seen("condition_holds"), Vec::<Json>::new());
    assert_eq!(w.nonce(ORACLE.1).await?, 0);
    assert_milestone(&w, id, 1, "Pending", 0);

    // when: the load turns actual, and the carrier sends it twice
    let load = equipment_event("ACT", "LOAD", "INMUN", TRD);
    let load_id = load["eventID"].clone();
    sim.publish(load.clone());
    sim.publish(load);

    // then: one attestation
    let holds = ferdie.next("condition_holds", |l| about(l, id, 1));
    assert_eq!(holds["events"], json!([load_id]), "{holds}");
    let attested = ferdie.next("attested", |l| about(l, id, 1));
    assert_eq!(
        (
            &attested["attestations"],
            &attested["threshold"],
            &attested["released"]
        ),
        (&json!(1), &json!(2), &json!(false)),
        "{attested}"
    );
    ferdie.passes(3);
    assert_eq!(
        ferdie.seen("attested").len(),
        1,
        "{:?}",
        ferdie.seen("attested")
    );
    assert_eq!(ferdie.seen("event_skipped").len(), 1, "logged once");
    assert_ferdie_attested_once(&w, id).await?;
    assert_others_untouched(&w, id, 1);
    w.check("after the attestation").await
}

/// An `ACT LOAD` at Mundra that the carrier retracts (replacing it with a load at Nhava
/// Sheva) before the service sees it never attests; a later `ACT LOAD` at Mundra does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retracted_actual_event_never_attests_and_a_later_one_does() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let (mut w, sim, id) = loaded_at_mundra_deal(false).await?;

    // given: the load at Mundra, then its retraction
    let wrong = equipment_event("ACT", "LOAD", "INMUN", TRD);
    let retraction = retraction_of(&wrong, equipment_event("ACT", "LOAD", "INNSA", TRD));
    assert_eq!(retraction["retractedEventID"], wrong["eventID"]);
    sim.publish(wrong);
    sim.publish(retraction);

    // when: //Ferdie's service makes several passes
    let mut ferdie = service(&w, ORACLE.1, &sim, &[]);
    for h in ferdie.passes(3) {
        assert_healthy(&h, 3, 2);
    }

    // then: nothing holds, nothing signed
    assert_eq!(ferdie.seen("condition_holds"), Vec::<Json>::new());
    assert_eq!(ferdie.seen("event_skipped"), Vec::<Json>::new());
    assert_eq!(w.nonce(ORACLE.1).await?, 0);
    assert_milestone(&w, id, 1, "Pending", 0);

    // when: the container is loaded at Mundra after all
    let load = equipment_event("ACT", "LOAD", "INMUN", TRD);
    let load_id = load["eventID"].clone();
    sim.publish(load);

    // then: attested, on that event
    let holds = ferdie.next("condition_holds", |l| about(l, id, 1));
    assert_eq!(holds["events"], json!([load_id]), "{holds}");
    ferdie.next("attested", |l| about(l, id, 1));
    ferdie.passes(2);
    assert_eq!(ferdie.seen("attested").len(), 1);
    assert_ferdie_attested_once(&w, id).await?;
    w.check("after the attestation").await
}

/// While the feed answers 503 the service attests nothing, says so in its health lines and
/// backs off (2 s, then 4 s: the cap); `--once` exits 3. Once the feed answers again, the
/// milestone, whose event was there all along, is attested.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_outage_means_no_attestation_and_backoff_until_the_feed_recovers() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let (mut w, sim, id) = loaded_at_mundra_deal(false).await?;
    sim.publish(equipment_event("ACT", "LOAD", "INMUN", TRD));

    // when: one pass (`--once`) while the feed fails
    sim.fail_next(1, 503);
    let once = run_once(&w, ORACLE.1, &sim, &[]);

    // then: exit 3 (unreachable), a health line saying the feed is down, nothing signed
    assert_eq!(once.code, exit::UNREACHABLE, "{once:#?}");
    assert!(once.err.contains("503"), "{once:#?}");
    let health = logged(&once, "health");
    assert_eq!(health.len(), 1, "{once:#?}");
    let h = &health[0];
    assert_eq!(
        (
            &h["chain"]["status"],
            &h["feed"]["status"],
            &h["feed"]["errors"]
        ),
        (&json!("ok"), &json!("down"), &json!(1)),
        "{h}"
    );
    assert!(
        h["feed"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "{h}"
    );
    assert_eq!(logged(&once, "attested"), Vec::<Json>::new(), "{once:#?}");
    assert_eq!(sim.requests(), 1);
    assert_eq!(w.nonce(ORACLE.1).await?, 0);

    // when: the service runs through two more failed requests
    sim.fail_next(2, 503);
    let mut ferdie = service(&w, ORACLE.1, &sim, &[]);

    // then: two passes with the feed down, the wait doubling
    for next_pass_ms in [2000, 4000] {
        let h = ferdie.next("health", |_| true);
        assert_eq!(
            (&h["level"], &h["chain"]["status"], &h["feed"]["status"]),
            (&json!("warn"), &json!("ok"), &json!("down")),
            "{h}"
        );
        assert!(
            h["feed"]["error"]
                .as_str()
                .is_some_and(|e| e.contains("503")),
            "{h}"
        );
        assert_eq!(h["next_pass_ms"], next_pass_ms, "{h}");
        assert_eq!(h["attested"], 0, "{h}");
        if next_pass_ms == 2000 {
            assert_eq!(w.nonce(ORACLE.1).await?, 0);
        }
    }
    assert_eq!(ferdie.seen("attested"), Vec::<Json>::new());

    // and: the feed is back: the milestone is attested, and the wait is the poll again
    let attested = ferdie.next("attested", |l| about(l, id, 1));
    assert_eq!(attested["attestations"], 1, "{attested}");
    let h = ferdie.next("health", |_| true);
    assert_healthy(&h, 3, 2);
    assert_eq!(h["attested"], 1, "{h}");
    assert_ferdie_attested_once(&w, id).await?;
    w.check("after the attestation").await
}

/// //Ferdie's service is killed (SIGKILL) right after attesting deal A, while deal B's
/// condition does not hold yet; restarted, it reads the chain, never attests A again, and
/// attests B once its event arrives. //Dave's `--once` then releases both: exactly one
/// attestation per oracle per milestone, on chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_killed_and_restarted_mid_run_attests_each_milestone_exactly_once() -> Result<()>
{
    if !chain_available() {
        return Ok(());
    }
    let mut w = world(false).await?;
    let sim = CarrierSim::start()?;
    let doc_a = w.cli.file(
        "load-inmun.json",
        &equipment_condition("LOAD", "INMUN", TRD),
    );
    let doc_b = w.cli.file(
        "arri-deham.json",
        &transport_condition("ARRI", "DEHAM", TRD_B),
    );
    let a = quorum_deal(&mut w, &doc_a);
    let b = quorum_deal(&mut w, &doc_b);
    sim.publish(equipment_event("ACT", "LOAD", "INMUN", TRD));

    // given: //Ferdie's service attests A, and is killed at once
    let mut first = service(&w, ORACLE.1, &sim, &[]);
    first.next("attested", |l| about(l, a, 1));
    drop(first);
    assert_milestone(&w, a, 1, "Pending", FERDIE_BIT);
    assert_eq!(w.nonce(ORACLE.1).await?, 1);

    // when: it restarts
    let mut second = service(&w, ORACLE.1, &sim, &[]);

    // then: A's milestone 1 no longer waits for it (the chain says so), B's do
    for h in second.passes(2) {
        assert_healthy(&h, 5, 4);
    }

    // when: B's vessel arrives in Hamburg
    sim.publish(transport_event("ACT", "ARRI", "DEHAM", TRD_B));

    // then: B is attested; A never again
    second.next("attested", |l| about(l, b, 1));
    second.passes(2);
    let attested = second.seen("attested");
    assert_eq!(attested.len(), 1, "{attested:?}");
    for event in [
        "attested",
        "already_attested",
        "attest_deferred",
        "attest_refused",
    ] {
        assert!(
            second.seen(event).iter().all(|l| l["deal"] != a),
            "{event}: {:?}",
            second.seen(event)
        );
    }
    assert_eq!(w.nonce(ORACLE.1).await?, 2);
    assert_milestone(&w, a, 1, "Pending", FERDIE_BIT);
    assert_milestone(&w, b, 1, "Pending", FERDIE_BIT);

    // when: //Dave makes one pass (`--once`)
    let once = run_once(&w, ORACLE2.1, &sim, &[]);

    // then: it releases both
    assert_eq!(once.code, exit::OK, "{once:#?}");
    let mut by_dave = logged(&once, "attested");
    by_dave.sort_by_key(|l| l["deal"].as_u64());
    assert_eq!(by_dave.len(), 2, "{once:#?}");
    for (line, id) in by_dave.iter().zip([a, b]) {
        assert!(about(line, id, 1), "{once:#?}");
        assert_eq!(
            (&line["attestations"], &line["released"]),
            (&json!(2), &json!(true)),
            "{line}"
        );
    }
    let (net, fee) = w.released(units(400));
    w.released(units(400));
    w.check("after both releases").await?;
    for id in [a, b] {
        assert_released_via_oracles(&w, id, 1, net, fee);
        assert_milestone(&w, id, 1, "Released", FERDIE_BIT | DAVE_BIT);
        assert_others_untouched(&w, id, 1);
        assert_eq!(attestations(&w, id), [(ORACLE.1, 1), (ORACLE2.1, 1)]);
    }
    assert_eq!(w.nonce(ORACLE.1).await?, 2);
    assert_eq!(w.nonce(ORACLE2.1).await?, 2);
    assert_eq!(w.nonce(ORACLE3.1).await?, 0);

    // and: the restarted service, still running, has nothing left to do
    let h = second.passes(2).pop().expect("a pass");
    assert_healthy(&h, 4, 4);
    assert_eq!(second.seen("attested").len(), 1);
    Ok(())
}

/// A deal that does not name //Ferdie, on the same condition document and event as one
/// that does: one pass of its service (`--once`) attests the second and signs nothing for
/// the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_signs_nothing_for_a_deal_that_does_not_name_its_oracle() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = world(false).await?;
    let sim = CarrierSim::start()?;
    let doc = w.cli.file(
        "load-inmun.json",
        &equipment_condition("LOAD", "INMUN", TRD),
    );
    let others = conditioned_deal(&mut w, &[ORACLE2.1, ORACLE3.1], &doc);
    let named = quorum_deal(&mut w, &doc);
    sim.publish(equipment_event("ACT", "LOAD", "INMUN", TRD));

    // when: one pass of //Ferdie's service
    let once = run_once(&w, ORACLE.1, &sim, &[]);

    // then: the deal naming it is attested; the other one is not even looked at
    assert_eq!(once.code, exit::OK, "{once:#?}");
    let attested = logged(&once, "attested");
    assert_eq!(attested.len(), 1, "{once:#?}");
    assert!(about(&attested[0], named, 1), "{once:#?}");
    assert!(
        once.out.lines().map(log_line).all(|l| l["deal"] != others),
        "{once:#?}"
    );
    let health = logged(&once, "health");
    assert_eq!(health.len(), 1, "{once:#?}");
    assert_eq!(
        (&health[0]["deals"], &health[0]["attested"]),
        (&json!(1), &json!(1)),
        "{once:#?}"
    );
    assert_eq!(w.nonce(ORACLE.1).await?, 1);
    assert_milestone(&w, others, 1, "Pending", 0);
    assert_others_untouched(&w, others, 1);
    assert_eq!(attestations(&w, others), NONE);
    assert_milestone(&w, named, 1, "Pending", FERDIE_BIT);
    assert_eq!(attestations(&w, named), [(ORACLE.1, 1)]);
    w.check("after the pass").await
}

/// The node stops under a running service: its health lines say the chain is down; after
/// the node restarts, the service reconnects and attests a milestone whose event is
/// published after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_reconnects_after_a_node_restart_and_attests() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let (mut w, sim, id) = loaded_at_mundra_deal(true).await?;
    let mut ferdie = service(&w, ORACLE.1, &sim, &[]);
    assert_healthy(&ferdie.next("health", |_| true), 3, 2);

    // when: the node stops
    w.node.stop()?;

    // then: a health line says the chain is down
    let down = ferdie.next("health", |h| h["chain"]["status"] == "down");
    assert_eq!(down["level"], "warn", "{down}");
    assert!(
        down["chain"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{down}"
    );

    // when: the node restarts, and then the container is loaded
    w.node.restart();
    w.chain = Chain::connect(&w.node.url()).await?;
    let load = equipment_event("ACT", "LOAD", "INMUN", TRD);
    sim.publish(load);

    // then: the service is back and attests
    ferdie.next_within("attested", |l| about(l, id, 1), RECONNECT);
    assert_healthy(&ferdie.next("health", |_| true), 3, 2);
    assert_ferdie_attested_once(&w, id).await?;
    w.check("after the attestation").await
}

/// A service that started before the deal existed watches it from its proposal on: a deal
/// proposed and funded while the service runs (new in the oracle's index, read from the
/// new blocks' events, not by reading every deal again) is attested once its event is in
/// the feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deal_proposed_while_the_service_runs_is_watched_and_attested() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = world(false).await?;
    let sim = CarrierSim::start()?;
    let mut ferdie = service(&w, ORACLE.1, &sim, &[]);
    let first = ferdie.next("health", |_| true);
    assert_eq!(
        (&first["deals"], &first["waiting"]),
        (&json!(0), &json!(0)),
        "{first}"
    );

    // when: the deal is proposed, accepted and funded under the running service
    let doc = w.cli.file(
        "load-inmun.json",
        &equipment_condition("LOAD", "INMUN", TRD),
    );
    let id = quorum_deal(&mut w, &doc);

    // then: a later pass watches its three milestones, having read only that deal. A pass
    // may fall between the proposal's block and the acceptance's (a CI run saw one: deals 1,
    // waiting 0, at block #2); the pass after the acceptance reads the deal again.
    let watching = ferdie.next("health", |h| h["deals"] == 1 && h["waiting"] == 3);
    assert_eq!(watching["read"], 1, "{watching}");
    let quiet = ferdie.next("health", |_| true);
    assert_eq!(quiet["read"], 0, "no new block, nothing read: {quiet}");

    // when: the load is in the feed
    sim.publish(equipment_event("ACT", "LOAD", "INMUN", TRD));

    // then: attested, once
    ferdie.next("attested", |l| about(l, id, 1));
    ferdie.passes(2);
    assert_eq!(ferdie.seen("attested").len(), 1);
    assert_ferdie_attested_once(&w, id).await?;
    w.check("after the attestation").await
}
