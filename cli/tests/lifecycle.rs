//! The real `escrow` binary against a real `escrow-node`: every command, a full lifecycle,
//! and the failure paths (wrong signer, wrong state, bad input), asserting exit codes and
//! output. Skipped (with a message) when the node or the contract bundle is not built.

use std::time::Duration;

use escrow_test_support::{
    accounts::BOB, artifacts::escrow_bundle, chain_available, exit, Escrow, TestNode,
};

/// Deploys with a 1% fee to Alice; returns the runner.
fn deployed(node: &TestNode) -> Escrow {
    let e = Escrow::new(node.url());
    let b = escrow_bundle();
    let r = e.run(&[
        "--suri",
        "//Alice",
        "deploy",
        "--fee",
        "1%",
        "--bundle",
        b.to_str().unwrap(),
    ]);
    let out = r.ok();
    assert!(out.contains("contract 5"), "{r:#?}");
    assert!(out.contains("code hash 0x"), "{r:#?}");
    assert!(
        r.err.contains("submitting tx 0x"),
        "hash printed before waiting: {r:#?}"
    );
    e
}

#[test]
fn full_lifecycle_with_dispute_and_failure_paths() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let po = e.file("po.pdf", "purchase order #1: 1000 widgets");
    let bol = e.file("bol.pdf", "bill of lading");

    // The seller proposes 100 UNIT in 30/40/30 with an arbiter.
    let id = e.propose(
        "//Charlie",
        &[
            "--buyer",
            "//Bob",
            "--arbiter",
            "//Dave",
            "--total",
            "100 UNIT",
            "--split",
            "30,40,30",
            "--review",
            "7d",
            "--arbitration",
            "14d",
            "--terms-file",
            &po,
        ],
    );
    assert_eq!(id, 0);
    let id = id.to_string();

    // Wrong signers: exit 1 with the contract error's name, nothing submitted.
    e.run(&["--suri", "//Charlie", "deal", "accept", &id])
        .fails(exit::REJECTED, &["CannotAcceptOwnProposal"]);
    let r = e.run(&["--suri", "//Eve", "deal", "accept", &id]);
    r.fails(exit::REJECTED, &["CallerIsNotParty"]);
    assert!(
        r.err.contains("hint:") && r.err.contains("nothing was submitted"),
        "{r:#?}"
    );
    // Wrong state: funding a deal that is not active.
    e.run(&["--suri", "//Bob", "deal", "fund", &id, "10"])
        .fails(exit::REJECTED, &["WrongDealState"]);
    // Bad input with a node: an amount with too many decimals.
    e.run(&["--suri", "//Bob", "deal", "fund", &id, "1.0000000000001"])
        .fails(exit::BAD_INPUT, &["too many decimals"]);

    // Accepting other terms than those on record is refused by the contract.
    let other = format!("0x{}", "22".repeat(32));
    e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "accept",
        &id,
        "--terms-hash",
        &other,
        "--fund",
        "1",
    ])
    .fails(exit::REJECTED, &["TermsHashMismatch"]);

    // The buyer accepts and funds everything at once; the terms hash is checked both ways.
    let r = e.run(&[
        "--suri", "//Bob", "--json", "deal", "accept", &id, "--fund", "all",
    ]);
    assert_eq!(r.events(), ["DealAccepted", "DealFunded"]);
    e.run(&["--suri", "//Bob", "deal", "accept", &id])
        .fails(exit::REJECTED, &["WrongDealState"]);

    // --dry-run submits nothing.
    let r = e.run(&[
        "--suri",
        "//Charlie",
        "--dry-run",
        "deal",
        "submit",
        &id,
        "0",
        "--evidence-file",
        &bol,
    ]);
    assert!(r.ok().contains("nothing submitted"), "{r:#?}");
    assert!(!r.err.contains("submitting tx"), "{r:#?}");

    // Milestone 0: submit with evidence, approve.
    let r = e.run(&[
        "--suri",
        "//Charlie",
        "deal",
        "submit",
        &id,
        "0",
        "--evidence-file",
        &bol,
    ]);
    assert!(r.ok().contains("MilestoneSubmitted"), "{r:#?}");
    let r = e.run(&["--suri", "//Charlie", "deal", "show", &id]);
    let show = r.ok();
    assert!(show.contains("Active"), "{show}");
    assert!(
        show.contains("review ends in 6d 23h") || show.contains("review ends in 7d"),
        "{show}"
    );
    e.run(&["--suri", "//Eve", "deal", "approve", &id, "0"])
        .fails(exit::REJECTED, &["CallerIsNotBuyer"]);
    let r = e.run(&["--suri", "//Bob", "deal", "approve", &id, "0"]);
    let out = r.ok();
    assert!(
        out.contains("MilestoneReleased")
            && out.contains("amount=29.7UNIT")
            && out.contains("fee=0.3UNIT"),
        "{out}"
    );
    e.run(&["--suri", "//Bob", "deal", "approve", &id, "0"])
        .fails(exit::REJECTED, &["WrongMilestoneState"]);

    // Milestone 1 by batch approval (before submission: allowed, it only costs the buyer).
    let r = e.run(&[
        "--suri",
        "//Bob",
        "--json",
        "deal",
        "approve-through",
        &id,
        "1",
    ]);
    assert_eq!(r.json()["return"], 1);
    assert_eq!(r.events(), ["MilestoneReleased"]);

    // Milestone 2: dispute, offers, settlement.
    e.run(&[
        "--suri",
        "//Charlie",
        "deal",
        "submit",
        &id,
        "2",
        "--evidence-hash",
        &format!("0x{}", "11".repeat(32)),
    ])
    .ok();
    e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "dispute",
        &id,
        "2",
        "--hash",
        &format!("0x{}", "22".repeat(32)),
    ])
    .ok();
    e.run(&["--suri", "//Bob", "deal", "accept-offer", &id, "2"])
        .fails(exit::REJECTED, &["NoOffer"]);
    e.run(&["--suri", "//Charlie", "deal", "offer", &id, "2", "60%"])
        .ok();
    e.run(&["--suri", "//Charlie", "deal", "accept-offer", &id, "2"])
        .fails(exit::REJECTED, &["CannotAcceptOwnProposal"]);
    e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "accept-offer",
        &id,
        "2",
        "17 UNIT",
    ])
    .fails(exit::REJECTED, &["OfferMismatch"]);
    let r = e.run(&[
        "--suri",
        "//Bob",
        "--json",
        "deal",
        "accept-offer",
        &id,
        "2",
    ]);
    // The last settlement closes the deal; anyone records it (DealClosed) with `deal close`.
    assert_eq!(r.events(), ["DisputeResolved"]);
    let r = e.run(&["--suri", "//Ferdie", "--json", "deal", "close", &id]);
    assert_eq!(r.events(), ["DealClosed"]);

    // Reads: show, list, events, audit.
    let show = e.run(&["deal", "show", &id]).ok().to_string();
    assert!(
        show.contains("Closed") && show.contains("3 of 3 settled"),
        "{show}"
    );
    let v = e.run(&["--json", "deal", "show", &id]).json();
    assert_eq!(v["deal"]["deal"]["deposited"], "100000000000000");
    assert_eq!(v["deal"]["locked"], "0");
    let list = e
        .run(&["--suri", "//Bob", "deal", "list", "--mine"])
        .ok()
        .to_string();
    assert!(list.contains("Closed") && list.contains(BOB), "{list}");
    assert!(e
        .run(&["--suri", "//Eve", "deal", "list", "--mine"])
        .ok()
        .contains("no deals"));
    let r = e.run(&["--json", "events", "--deal", &id]);
    let names: Vec<String> = r
        .ok()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names.first().map(String::as_str), Some("DealProposed"));
    assert_eq!(names.last().map(String::as_str), Some("DealClosed"));
    assert_eq!(
        names.iter().filter(|n| *n == "MilestoneReleased").count(),
        2
    );
    let human = e.run(&["events", "--deal", &id]).ok().to_string();
    assert!(
        human.contains("DealFunded") && human.contains("amount=100UNIT"),
        "{human}"
    );
    let r = e.run(&["audit", &id]);
    assert!(r.ok().contains("audit ok"), "{r:#?}");
    let csv = e.run(&["audit", &id, "--format", "csv"]).ok().to_string();
    assert!(csv.starts_with("check,events,storage,ok"), "{csv}");
    assert!(!csv.contains(",false"), "{csv}");
    assert_eq!(e.run(&["--json", "audit", &id]).json()["ok"], true);

    // Withdraw: nothing was deferred.
    e.run(&["--suri", "//Bob", "withdraw"])
        .fails(exit::REJECTED, &["NothingToWithdraw"]);
    // Unknown deal.
    e.run(&["deal", "show", "99"])
        .fails(exit::REJECTED, &["DealNotFound"]);
}

#[test]
fn clocks_oracles_arbiter_cancel_amend_withdraw() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);

    // Deal 0: oracle release, review timeout, arbiter ruling.
    let id = e
        .propose(
            "//Bob",
            &[
                "--seller",
                "//Charlie",
                "--oracle",
                "//Ferdie",
                "--arbiter",
                "//Dave",
                "--milestone",
                "10",
                "--milestone",
                "20",
                "--milestone",
                "30",
                "--review",
                "3s",
                "--arbitration",
                "1d",
            ],
        )
        .to_string();
    e.run(&["--suri", "//Charlie", "deal", "accept", &id]).ok();
    e.run(&["--suri", "//Charlie", "deal", "fund", &id, "60"])
        .ok();
    // Oracle attests milestone 0: threshold 1 releases it.
    let r = e.run(&["--suri", "//Ferdie", "--json", "deal", "attest", &id, "0"]);
    assert_eq!(r.events(), ["MilestoneAttested", "MilestoneReleased"]);
    e.run(&["--suri", "//Eve", "deal", "attest", &id, "1"])
        .fails(exit::REJECTED, &["CallerIsNotOracle"]);
    // Milestone 1: submitted, the buyer stays silent, the clock releases it.
    e.run(&[
        "--suri",
        "//Charlie",
        "deal",
        "submit",
        &id,
        "1",
        "--evidence-hash",
        &format!("0x{}", "33".repeat(32)),
    ])
    .ok();
    e.run(&["deal", "settle-due", &id, "--suri", "//Eve"])
        .fails(exit::REJECTED, &["NothingDue"]);
    e.run(&["--suri", "//Eve", "deal", "settle", &id, "1"])
        .fails(exit::REJECTED, &["ReviewWindowOpen"]);
    std::thread::sleep(Duration::from_secs(4));
    // Another block must be sealed for the time to move: settle-due dry-runs at the best block.
    e.run(&["--suri", "//Bob", "deal", "cancel", &id]).ok();
    let r = e.run(&["--suri", "//Eve", "--json", "deal", "settle-due", &id]);
    assert_eq!(r.json()["return"], 1, "{r:#?}");
    assert!(r.events().contains(&"MilestoneReleased".to_string()));
    // Milestone 2: disputed, the arbiter splits it.
    e.run(&[
        "--suri",
        "//Charlie",
        "deal",
        "submit",
        &id,
        "2",
        "--evidence-hash",
        &format!("0x{}", "44".repeat(32)),
    ])
    .ok();
    e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "dispute",
        &id,
        "2",
        "--hash",
        &format!("0x{}", "55".repeat(32)),
    ])
    .ok();
    e.run(&["--suri", "//Bob", "deal", "resolve", &id, "2", "15"])
        .fails(exit::REJECTED, &["CallerIsNotArbiter"]);
    e.run(&["--suri", "//Dave", "deal", "resolve", &id, "2", "31"])
        .fails(exit::REJECTED, &["SplitExceedsAmount"]);
    let r = e.run(&[
        "--suri", "//Dave", "--json", "deal", "resolve", &id, "2", "15",
    ]);
    assert!(
        r.events().contains(&"DisputeResolved".to_string()),
        "{r:#?}"
    );
    assert!(e.run(&["audit", &id]).ok().contains("audit ok"));

    // Deal 1: amendment, then cancellation.
    let id = e
        .propose(
            "//Bob",
            &[
                "--seller",
                "//Charlie",
                "--milestone",
                "5@+1d",
                "--milestone",
                "5",
            ],
        )
        .to_string();
    e.run(&["--suri", "//Charlie", "deal", "accept", &id]).ok();
    e.run(&["--suri", "//Bob", "deal", "fund", &id, "10"]).ok();
    e.run(&["--suri", "//Charlie", "deal", "amend", &id, "0", "+2d"])
        .ok();
    e.run(&["--suri", "//Charlie", "deal", "accept-amendment", &id, "0"])
        .fails(exit::REJECTED, &["CannotAcceptOwnProposal"]);
    let r = e.run(&[
        "--suri",
        "//Bob",
        "--json",
        "deal",
        "accept-amendment",
        &id,
        "0",
    ]);
    assert_eq!(r.events(), ["AmendmentAccepted"]);
    e.run(&["--suri", "//Charlie", "deal", "cancel", &id]).ok();
    e.run(&["--suri", "//Charlie", "deal", "cancel", &id])
        .fails(exit::REJECTED, &["CancellationAlreadyProposed"]);
    let r = e.run(&["--suri", "//Bob", "--json", "deal", "accept-cancel", &id]);
    let evs = r.events();
    assert!(evs.contains(&"DealCancelled".to_string()), "{evs:?}");
    // Nothing left in dispute: closed at once, and `deal close` records it.
    let r = e.run(&["--suri", "//Ferdie", "--json", "deal", "close", &id]);
    assert_eq!(r.events(), ["DealClosed"]);
    assert!(e.run(&["audit", &id]).ok().contains("audit ok"));

    // Deal 2: withdrawn before acceptance.
    let id = e
        .propose("//Bob", &["--seller", "//Charlie", "--milestone", "1"])
        .to_string();
    e.run(&["--suri", "//Charlie", "deal", "withdraw-proposal", &id])
        .fails(exit::REJECTED, &["CallerIsNotProposer"]);
    e.run(&["--suri", "//Bob", "deal", "withdraw-proposal", &id])
        .ok();
    assert!(e.run(&["deal", "show", &id]).ok().contains("Withdrawn"));
    let all = e.run(&["deal", "list"]).ok().to_string();
    assert_eq!(all.lines().count(), 4, "{all}");
}

#[test]
fn finalized_wait_times_out_with_unknown_status_on_a_chain_without_finality() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let id = e
        .propose("//Bob", &["--seller", "//Charlie", "--milestone", "1"])
        .to_string();
    let r = e.run(&[
        "--suri",
        "//Bob",
        "--wait",
        "finalized",
        "--timeout",
        "3s",
        "deal",
        "withdraw-proposal",
        &id,
    ]);
    r.fails(exit::UNKNOWN_OUTCOME, &["outcome is unknown"]);
    assert!(r.err.contains("NOT re-submitted"), "{r:#?}");
    // It did land: the deal is withdrawn, exactly once; tx-status reconciles it.
    assert!(e.run(&["deal", "show", &id]).ok().contains("Withdrawn"));
    let hash = r
        .err
        .split("submitting tx ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let from = r
        .err
        .split("blocks from #")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .to_string();
    let s = e.run(&["tx-status", &hash, "--from", &from]);
    assert!(s.ok().contains("succeeded"), "{s:#?}");
    // An unknown hash inside the window: still unknown (4).
    e.run(&[
        "tx-status",
        &format!("0x{}", "00".repeat(32)),
        "--from",
        &from,
    ])
    .fails(exit::UNKNOWN_OUTCOME, &["may still be included"]);
}
