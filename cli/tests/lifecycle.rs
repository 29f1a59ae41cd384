//! The real `escrow` binary against a real `escrow-node`: every command, a full lifecycle,
//! and the failure paths (wrong signer, wrong state, bad input), asserting exit codes and
//! output; and the regressions of issue 14's CLI items: an acceptance binds to what it
//! names (terms hash, settlement share, amendment date), shows every term first, and the
//! deadlines `deal propose` derives. Skipped (with a message) when the node or the contract
//! bundle is not built.

use std::time::Duration;

use escrow_client::units::format_time;
use escrow_test_support::{
    accounts::{dev_account, dev_keypair, ALICE, BOB},
    artifacts::{escrow_bundle, forger_bundle},
    block_on,
    chain::{self, wall_ms},
    chain_available,
    cli::amount,
    exit, units, Chain, Escrow, Ledger, TestNode, UNIT,
};
use serde_json::Value as Json;
use subxt::{dynamic::Value, utils::AccountId32};

const DAY: u64 = 86_400_000;

/// Exact free balances of the accounts a test follows, the contract included: the chain's
/// fees and storage deposits come from its events, escrow payments are declared with
/// [`Balances::pay`] ([`Ledger`]).
struct Balances {
    url: String,
    ledger: Ledger,
}

impl Balances {
    /// Snapshots `(label, SURI)` dev accounts and the deployed contract.
    fn snapshot(e: &Escrow, who: &[(&str, &str)]) -> Self {
        let mut accounts: Vec<(&str, AccountId32)> =
            who.iter().map(|(l, s)| (*l, dev_account(s))).collect();
        accounts.push(("contract", e.contract_account()));
        let ledger = block_on(async {
            let chain = Chain::connect(&e.url).await?;
            Ledger::snapshot(&chain, &accounts).await
        })
        .unwrap_or_else(|err| panic!("balance snapshot: {err}"));
        Self {
            url: e.url.clone(),
            ledger,
        }
    }

    /// Declares an escrow payment of `amount` from `from` to `to`.
    fn pay(&mut self, from: &str, to: &str, amount: u128) {
        self.ledger.pay(from, to, amount);
    }

    /// Asserts every followed balance to the unit.
    fn check(&mut self, when: &str) {
        let url = self.url.clone();
        let ledger = &mut self.ledger;
        block_on(async {
            let chain = Chain::connect(&url).await?;
            ledger.assert_balances(&chain, when).await
        })
        .unwrap_or_else(|err| panic!("balances {when}: {err}"));
    }
}

/// A field of milestone `index` of a `deal show --json`, in ms.
fn ms_of(deal: &Json, index: usize, field: &str) -> u64 {
    deal["milestones"][index]["milestone"][field]
        .as_u64()
        .unwrap_or_else(|| panic!("milestone {index} has no {field}: {deal}"))
}

/// Deploys with a 1% fee to Alice; returns the runner (which knows the contract's address).
fn deployed(node: &TestNode) -> Escrow {
    let mut e = Escrow::new(node.url());
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
    let address = out
        .lines()
        .find_map(|l| l.strip_prefix("contract "))
        .expect("the contract's address");
    e.contract = Some(address.to_string());
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
    let hash = e.terms_hash(0);
    let accept = |suri: &'static str| -> Vec<String> {
        [
            "--suri",
            suri,
            "deal",
            "accept",
            id.as_str(),
            "--terms-hash",
            hash.as_str(),
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |args: &[String]| e.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    run(&accept("//Charlie")).fails(exit::REJECTED, &["CannotAcceptOwnProposal"]);
    let r = run(&accept("//Eve"));
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

    // The buyer accepts the terms it reviewed and funds everything at once.
    let r = e.run(&[
        "--suri",
        "//Bob",
        "--json",
        "deal",
        "accept",
        &id,
        "--terms-hash",
        &hash,
        "--fund",
        "all",
    ]);
    assert_eq!(r.events(), ["DealAccepted", "DealFunded"]);
    run(&accept("//Bob")).fails(exit::REJECTED, &["WrongDealState"]);

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
    e.run(&["--suri", "//Bob", "deal", "accept-offer", &id, "2", "60%"])
        .fails(exit::REJECTED, &["NoOffer"]);
    e.run(&["--suri", "//Charlie", "deal", "offer", &id, "2", "60%"])
        .ok();
    e.run(&[
        "--suri",
        "//Charlie",
        "deal",
        "accept-offer",
        &id,
        "2",
        "60%",
    ])
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
        "18 UNIT",
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
    let r = e.run(&["audit", "--best", &id]);
    assert!(r.ok().contains("audit ok"), "{r:#?}");
    let csv = e
        .run(&["audit", &id, "--best", "--format", "csv"])
        .ok()
        .to_string();
    assert!(csv.starts_with("deal,check,events,storage,ok"), "{csv}");
    assert!(!csv.contains(",false"), "{csv}");
    assert_eq!(
        e.run(&["--json", "audit", "--best", &id]).json()["ok"],
        true
    );

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

    // Deal 0: oracle release, review timeout, arbiter ruling; a bank (Alice) funds it.
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
                "--funder",
                "//Alice",
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
    e.accept("//Charlie", id.parse().unwrap(), &[]);
    // Only the buyer or the named funder deposits: not the seller.
    e.run(&["--suri", "//Charlie", "deal", "fund", &id, "60"])
        .fails(exit::REJECTED, &["CallerIsNotFunder"]);
    e.run(&["--suri", "//Alice", "deal", "fund", &id, "60"])
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
    assert!(e.run(&["audit", "--best", &id]).ok().contains("audit ok"));

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
    e.accept("//Charlie", id.parse().unwrap(), &[]);
    e.run(&["--suri", "//Bob", "deal", "fund", &id, "10"]).ok();
    e.run(&["--suri", "//Charlie", "deal", "amend", &id, "0", "+2d"])
        .ok();
    let amended = e.deal(&id)["milestones"][0]["milestone"]["amendment"]["new_ship_by"]
        .as_u64()
        .expect("an amendment on record");
    let date = format_time(amended);
    e.run(&[
        "--suri",
        "//Charlie",
        "deal",
        "accept-amendment",
        &id,
        "0",
        &date,
    ])
    .fails(exit::REJECTED, &["CannotAcceptOwnProposal"]);
    let r = e.run(&[
        "--suri",
        "//Bob",
        "--json",
        "deal",
        "accept-amendment",
        &id,
        "0",
        &date,
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
    assert!(e.run(&["audit", "--best", &id]).ok().contains("audit ok"));

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
    // The instant-seal chain finalizes nothing: in a block, not final, which only matters
    // to a caller who asked for finality.
    assert!(s.out.contains("not final yet (finalized #0)"), "{s:#?}");
    e.run(&["tx-status", &hash, "--from", &from, "--wait", "finalized"])
        .fails(
            exit::UNKNOWN_OUTCOME,
            &["which is not final yet (finalized #0)"],
        );
    // An unknown hash inside the window: still unknown (4).
    e.run(&[
        "tx-status",
        &format!("0x{}", "00".repeat(32)),
        "--from",
        &from,
    ])
    .fails(exit::UNKNOWN_OUTCOME, &["may still be included"]);
}

/// Charlie (seller) proposes `args` to Bob (buyer); returns the deal id.
fn seller_proposes(e: &Escrow, args: &[&str]) -> u64 {
    let mut full = vec!["--buyer", "//Bob"];
    full.extend_from_slice(args);
    e.propose("//Charlie", &full)
}

/// Bob (buyer) proposes `args` to Charlie (seller), Charlie accepts naming the terms hash,
/// Bob funds `fund` whole tokens; returns the deal id.
fn active_deal(e: &Escrow, args: &[&str], fund: u128) -> u64 {
    let mut full = vec!["--seller", "//Charlie"];
    full.extend_from_slice(args);
    let id = e.propose("//Bob", &full);
    e.accept("//Charlie", id, &[]);
    let fund = fund.to_string();
    e.tx("//Bob", &["deal", "fund", &id.to_string(), &fund]);
    id
}

#[test]
fn accept_in_a_script_without_terms_hash_exits_2_and_changes_nothing() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let id = seller_proposes(&e, &["--milestone", "10", "--milestone", "20"]).to_string();
    let mut balances = Balances::snapshot(&e, &[("buyer", "//Bob"), ("seller", "//Charlie")]);

    // stdin is not a terminal here: nobody confirms the terms, so a hash must name them.
    for extra in [&[][..], &["--fund", "all"], &["--yes"]] {
        let mut args = vec!["--suri", "//Bob", "deal", "accept", &id];
        args.extend_from_slice(extra);
        let r = e.run(&args);
        r.fails(
            exit::BAD_INPUT,
            &[
                "deal accept without --terms-hash",
                "stdin is not a terminal",
                &format!("escrow deal show {id}"),
                "nothing was read or submitted",
            ],
        );
        assert!(!r.err.contains("submitting tx"), "{r:#?}");
        assert!(!r.err.contains("fund by"), "nothing was even read: {r:#?}");
    }
    let deal = e.deal(&id);
    assert_eq!(deal["deal"]["deal"]["status"], "Proposed");
    assert_eq!(amount(&deal["deal"]["deal"]["deposited"]), 0);
    balances.check("after the refused acceptances");

    // A dry-run signs nothing, so it needs no hash: it shows the terms and the hash to name.
    let r = e.run(&["--suri", "//Bob", "--dry-run", "deal", "accept", &id]);
    assert!(r.ok().contains("nothing submitted"), "{r:#?}");
    let hash = e.terms_hash(id.parse().unwrap());
    assert!(
        r.err
            .contains(&format!("escrow deal accept {id} --terms-hash {hash}")),
        "{r:#?}"
    );
    assert!(r.err.contains("fund by"), "{r:#?}");
    assert_eq!(e.deal(&id)["deal"]["deal"]["status"], "Proposed");
    balances.check("after the dry-run");

    // Named, it goes through.
    let tx = e.accept("//Bob", id.parse().unwrap(), &["--fund", "all"]);
    assert_eq!(tx.events(), ["DealAccepted", "DealFunded"]);
    balances.pay("buyer", "contract", units(30));
    balances.check("after the acceptance naming the hash");
}

#[test]
fn accept_on_a_terminal_without_terms_hash_asks_after_showing_every_term() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let id = seller_proposes(&e, &["--milestone", "10"]).to_string();
    let hash = e.terms_hash(id.parse().unwrap());
    let fund_by = e.deal(&id)["deal"]["deal"]["fund_by"].as_u64().unwrap();

    // --yes would skip the confirmation: refused like a script.
    let (code, screen) = e.run_tty(&["--suri", "//Bob", "--yes", "deal", "accept", &id], "");
    assert_eq!(code, exit::BAD_INPUT, "{screen}");
    assert!(screen.contains("--yes skips the confirmation"), "{screen}");
    // "n": the terms were shown, then the question; nothing submitted.
    let (code, screen) = e.run_tty(&["--suri", "//Bob", "deal", "accept", &id], "n\n");
    assert_eq!(code, exit::CANCELLED, "{screen}");
    let terms = screen.find(&format!("fund by      {}", format_time(fund_by)));
    let question = screen.find("submit? [y/N]");
    assert!(
        terms.is_some() && question.is_some() && terms < question,
        "terms before the question: {screen}"
    );
    assert_eq!(e.deal(&id)["deal"]["deal"]["status"], "Proposed");
    // "y": accepted, naming the hash of the terms shown.
    let (code, screen) = e.run_tty(&["--suri", "//Bob", "deal", "accept", &id], "y\n");
    assert_eq!(code, exit::OK, "{screen}");
    assert!(
        screen.contains(&format!("accepted (terms hash {hash})")),
        "{screen}"
    );
    assert_eq!(e.deal(&id)["deal"]["deal"]["status"], "Active");
}

#[test]
fn accept_with_a_wrong_terms_hash_is_refused_by_the_contract_and_changes_nothing() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let id = seller_proposes(&e, &["--milestone", "10"]).to_string();
    let mut balances = Balances::snapshot(&e, &[("buyer", "//Bob"), ("seller", "//Charlie")]);
    let wrong = format!("0x{}", "22".repeat(32));
    let r = e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "accept",
        &id,
        "--terms-hash",
        &wrong,
        "--fund",
        "all",
    ]);
    r.fails(
        exit::REJECTED,
        &[
            "TermsHashMismatch",
            &format!("not to the --terms-hash {wrong} you named"),
            "nothing was submitted",
        ],
    );
    assert!(!r.err.contains("submitting tx"), "{r:#?}");
    let deal = e.deal(&id);
    assert_eq!(deal["deal"]["deal"]["status"], "Proposed");
    assert_eq!(amount(&deal["deal"]["deal"]["deposited"]), 0);
    balances.check("after the refused acceptance");
}

#[test]
fn accept_prints_every_term_before_signing() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let id = seller_proposes(
        &e,
        &[
            "--oracle",
            "//Ferdie",
            "--oracle",
            "//Eve",
            "--threshold",
            "2",
            "--arbiter",
            "//Dave",
            "--funder",
            "//Alice",
            "--advance",
            "--fallback",
            "40%",
            "--review",
            "3d",
            "--arbitration",
            "5d",
            "--fund-by",
            "+1d",
            "--milestone",
            "10@+20d",
            "--milestone",
            "20",
        ],
    );
    let deal = e.deal(id);
    let d = &deal["deal"]["deal"];
    let (fund_by, hash) = (d["fund_by"].as_u64().unwrap(), e.terms_hash(id));
    let id = id.to_string();
    let r = e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "accept",
        &id,
        "--terms-hash",
        &hash,
    ]);
    r.ok();
    let acc = |suri: &str| dev_account(suri).to_string();
    let every_term = [
        format!("terms hash {hash}"),
        format!("buyer        {BOB}"),
        format!("seller       {}", acc("//Charlie")),
        format!("funder       {ALICE} may deposit besides the buyer"),
        format!(
            "oracles      {}, {} (threshold 2 of 2)",
            acc("//Ferdie"),
            acc("//Eve")
        ),
        "release      by the buyer's approval or 2 of 2 oracle attestation(s)".into(),
        format!("arbiter      {}", acc("//Dave")),
        "fallback     40% of a disputed milestone to the seller".into(),
        "advance      milestone 0 is paid to the seller as soon as it is funded".into(),
        "windows      review 3d after each submission; arbitration 5d after each dispute".into(),
        format!("fund by      {}", format_time(fund_by)),
        "milestones   2, total 30 UNIT".into(),
        format!(
            "#0 10 UNIT, ship by {}",
            format_time(ms_of(&deal, 0, "ship_by"))
        ),
        format!(
            "#1 20 UNIT, ship by {}",
            format_time(ms_of(&deal, 1, "ship_by"))
        ),
        format!("fee          1% (100 bps) of every payment to the seller, to {ALICE}"),
    ];
    for term in &every_term {
        assert!(r.err.contains(term.as_str()), "lacks {term:?}: {r:#?}");
    }
    // All of it before anything was signed.
    let fee_line = r.err.find("fee          1%").unwrap();
    let signing = r.err.find("submitting tx").expect("submitted");
    assert!(fee_line < signing, "{r:#?}");
    assert_eq!(e.deal(&id)["deal"]["deal"]["status"], "Active");
}

#[test]
fn propose_without_ship_by_derives_and_prints_the_documented_default() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let started = wall_ms();
    let r = e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "propose",
        "--seller",
        "//Charlie",
        "--fund-by",
        "+2d",
        "--milestone",
        "10",
        "--milestone",
        "20@+90d",
        "--milestone",
        "30",
    ]);
    let out = r.ok().to_string();
    let deal = e.deal("0");
    let fund_by = deal["deal"]["deal"]["fund_by"].as_u64().unwrap();
    // +2d counts from now, rounded up to a whole second.
    assert_eq!(fund_by % 1_000, 0);
    assert!(
        (started + 2 * DAY..=wall_ms() + 2 * DAY + 1_000).contains(&fund_by),
        "{fund_by}"
    );
    // The default: milestone n ships by fund-by + (n+1) x 30d; a ship-by given is kept.
    let ship: Vec<u64> = (0..3).map(|i| ms_of(&deal, i, "ship_by")).collect();
    assert_eq!(ship[0], fund_by + 30 * DAY);
    assert_eq!(ship[2], fund_by + 90 * DAY);
    assert!(
        ship[1] >= started + 90 * DAY && ship[1] != fund_by + 60 * DAY,
        "{ship:?}"
    );
    // Printed before signing, the derived ones marked as defaults...
    for needle in [
        format!("fund by      {}", format_time(fund_by)),
        format!(
            "#0 10 UNIT, ship by {} (in 32d) [default: fund-by + 1 x 30d]",
            format_time(ship[0])
        ),
        format!("#2 30 UNIT, ship by {}", format_time(ship[2])),
        "[default: fund-by + 3 x 30d]".to_string(),
    ] {
        assert!(r.err.contains(&needle), "lacks {needle:?}: {r:#?}");
    }
    let line1 = r.err.lines().find(|l| l.contains("#1 20 UNIT")).unwrap();
    assert!(!line1.contains("default"), "{line1}");
    assert!(r.err.find("[default").unwrap() < r.err.find("submitting tx").unwrap());
    // ...and in the summary.
    let listed = ship.iter().map(|t| format_time(*t)).collect::<Vec<_>>();
    assert!(
        out.contains(&format!(
            "fund by {}, ship by {}",
            format_time(fund_by),
            listed.join(", ")
        )),
        "{out}"
    );

    // --ship-every sets the spacing; "-" in --ship-by asks for the default.
    let id = e.propose(
        "//Bob",
        &[
            "--seller",
            "//Charlie",
            "--total",
            "100",
            "--split",
            "50,50",
            "--ship-by",
            "-,+40d",
            "--ship-every",
            "10d",
        ],
    );
    let deal = e.deal(id);
    let fund_by = deal["deal"]["deal"]["fund_by"].as_u64().unwrap();
    assert!(
        fund_by >= started + 7 * DAY,
        "default --fund-by +7d: {fund_by}"
    );
    assert_eq!(ms_of(&deal, 0, "ship_by"), fund_by + 10 * DAY);
    assert!(ms_of(&deal, 1, "ship_by") < fund_by + 40 * DAY);
}

#[test]
fn accept_offer_naming_another_share_than_the_chain_holds_is_refused_and_changes_nothing() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let id = active_deal(&e, &["--milestone", "30"], 30).to_string();
    e.tx(
        "//Charlie",
        &[
            "deal",
            "submit",
            &id,
            "0",
            "--evidence-hash",
            &format!("0x{}", "11".repeat(32)),
        ],
    );
    e.tx(
        "//Bob",
        &[
            "deal",
            "dispute",
            &id,
            "0",
            "--hash",
            &format!("0x{}", "22".repeat(32)),
        ],
    );
    // The buyer reads an offer of 18; the seller swaps in 27 before the buyer signs.
    e.tx("//Charlie", &["deal", "offer", &id, "0", "60%"]);
    let offer = |deal: &Json| {
        amount(&deal["milestones"][0]["milestone"]["dispute"]["offer"]["seller_amount"])
    };
    assert_eq!(offer(&e.deal(&id)), units(18));
    e.tx("//Charlie", &["deal", "offer", &id, "0", "27"]);
    let mut balances = Balances::snapshot(
        &e,
        &[
            ("buyer", "//Bob"),
            ("seller", "//Charlie"),
            ("fees", "//Alice"),
        ],
    );
    for named in ["18", "60%", "18 UNIT"] {
        e.run(&["--suri", "//Bob", "deal", "accept-offer", &id, "0", named])
            .fails(exit::REJECTED, &["OfferMismatch", "nothing was submitted"]);
    }
    let deal = e.deal(&id);
    assert_eq!(deal["milestones"][0]["milestone"]["status"], "Disputed");
    assert_eq!(offer(&deal), units(27));
    balances.check("after the refused acceptances");

    // Naming what the chain holds settles it, exactly.
    let tx = e.tx("//Bob", &["deal", "accept-offer", &id, "0", "27"]);
    assert_eq!(tx.events(), ["DisputeResolved"]);
    let resolved = &tx.events_named("DisputeResolved")[0];
    let (to_seller, fee) = (units(27) * 99 / 100, units(27) / 100);
    assert_eq!(amount(&resolved["to_seller"]), to_seller);
    assert_eq!(amount(&resolved["fee"]), fee);
    assert_eq!(amount(&resolved["to_buyer"]), units(3));
    balances.pay("contract", "seller", to_seller);
    balances.pay("contract", "fees", fee);
    balances.pay("contract", "buyer", units(3));
    balances.check("after the settlement");
}

#[test]
fn accept_amendment_naming_another_date_than_the_chain_holds_is_refused_and_changes_nothing() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let id = active_deal(&e, &["--milestone", "10@+1d"], 10).to_string();
    let original = ms_of(&e.deal(&id), 0, "ship_by");
    let amendment = |deal: &Json| {
        deal["milestones"][0]["milestone"]["amendment"]["new_ship_by"]
            .as_u64()
            .expect("an amendment on record")
    };
    // The buyer reads a two-day extension; the seller swaps in a thirty-day one.
    e.tx("//Charlie", &["deal", "amend", &id, "0", "+2d"]);
    let read = amendment(&e.deal(&id));
    e.tx("//Charlie", &["deal", "amend", &id, "0", "+30d"]);
    let swapped = amendment(&e.deal(&id));
    assert!(swapped > read + 27 * DAY, "{read} {swapped}");
    let mut balances = Balances::snapshot(&e, &[("buyer", "//Bob"), ("seller", "//Charlie")]);
    for named in [format_time(read), read.to_string()] {
        e.run(&[
            "--suri",
            "//Bob",
            "deal",
            "accept-amendment",
            &id,
            "0",
            &named,
        ])
        .fails(
            exit::REJECTED,
            &["AmendmentMismatch", "nothing was submitted"],
        );
    }
    let deal = e.deal(&id);
    assert_eq!(ms_of(&deal, 0, "ship_by"), original);
    assert_eq!(amendment(&deal), swapped);
    balances.check("after the refused acceptances");

    // Naming the date on record, as `deal show` prints it, moves the ship-by there.
    let tx = e.tx(
        "//Bob",
        &["deal", "accept-amendment", &id, "0", &format_time(swapped)],
    );
    assert_eq!(tx.events(), ["AmendmentAccepted"]);
    assert_eq!(
        tx.events_named("AmendmentAccepted")[0]["new_ship_by"],
        swapped
    );
    assert_eq!(ms_of(&e.deal(&id), 0, "ship_by"), swapped);
    balances.check("after the amendment");
}

#[test]
fn withdraw_cancel_and_withdraw_amendment_end_the_pending_proposals() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let id = active_deal(&e, &["--milestone", "10", "--milestone", "20"], 30).to_string();
    let mut balances = Balances::snapshot(&e, &[("buyer", "//Bob"), ("seller", "//Charlie")]);
    let charlie = dev_account("//Charlie").to_string();

    // A cancellation: only its proposer withdraws it; then there is nothing to accept.
    e.tx("//Charlie", &["deal", "cancel", &id]);
    e.run(&["--suri", "//Bob", "deal", "withdraw-cancel", &id])
        .fails(exit::REJECTED, &["CallerIsNotProposer"]);
    let tx = e.tx("//Charlie", &["deal", "withdraw-cancel", &id]);
    assert_eq!(tx.events(), ["CancellationWithdrawn"]);
    let ev = &tx.events_named("CancellationWithdrawn")[0];
    assert_eq!(
        (ev["by"].as_str(), &ev["voided_by"]),
        (Some(charlie.as_str()), &Json::Null)
    );
    e.run(&["--suri", "//Bob", "deal", "accept-cancel", &id])
        .fails(exit::REJECTED, &["NoCancellationPending"]);
    // A submission after a proposal voids it: the cancellation never refunds that delivery.
    e.tx("//Bob", &["deal", "cancel", &id]);
    let tx = e.tx(
        "//Charlie",
        &[
            "deal",
            "submit",
            &id,
            "0",
            "--evidence-hash",
            &format!("0x{}", "33".repeat(32)),
        ],
    );
    assert_eq!(tx.events(), ["MilestoneSubmitted", "CancellationWithdrawn"]);
    assert_eq!(tx.events_named("CancellationWithdrawn")[0]["voided_by"], 0);
    e.run(&["--suri", "//Charlie", "deal", "accept-cancel", &id])
        .fails(exit::REJECTED, &["NoCancellationPending"]);
    e.run(&["--suri", "//Bob", "deal", "withdraw-cancel", &id])
        .fails(exit::REJECTED, &["NoCancellationPending"]);

    // An amendment: only its proposer withdraws it; then there is nothing to accept.
    e.tx("//Charlie", &["deal", "amend", &id, "1", "+200d"]);
    let date = e.deal(&id)["milestones"][1]["milestone"]["amendment"]["new_ship_by"]
        .as_u64()
        .unwrap()
        .to_string();
    e.run(&["--suri", "//Bob", "deal", "withdraw-amendment", &id, "1"])
        .fails(exit::REJECTED, &["CallerIsNotProposer"]);
    let tx = e.tx("//Charlie", &["deal", "withdraw-amendment", &id, "1"]);
    assert_eq!(tx.events(), ["AmendmentWithdrawn"]);
    assert_eq!(tx.events_named("AmendmentWithdrawn")[0]["index"], 1);
    let deal = e.deal(&id);
    assert_eq!(deal["milestones"][1]["milestone"]["amendment"], Json::Null);
    e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "accept-amendment",
        &id,
        "1",
        &date,
    ])
    .fails(exit::REJECTED, &["NoAmendmentPending"]);
    e.run(&[
        "--suri",
        "//Charlie",
        "deal",
        "withdraw-amendment",
        &id,
        "1",
    ])
    .fails(exit::REJECTED, &["NoAmendmentPending"]);

    // Nothing moved but the chain's fees; the deal carries on.
    assert_eq!(deal["deal"]["deal"]["status"], "Active");
    assert_eq!(amount(&deal["deal"]["locked"]), units(30));
    balances.check("after the withdrawals");
    e.assert_audit_ok(id.parse().unwrap());
}

#[test]
fn withdraw_to_pays_the_claimable_balance_to_the_account_named() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    // The fee recipient //Fees is a fresh account: a fee below the existential deposit
    // (0.001 UNIT) cannot land on it and is credited to its claimable balance instead.
    let mut e = Escrow::new(node.url());
    e.deploy("//Alice", 100, "//Fees");
    let id = e.propose("//Bob", &["--seller", "//Charlie", "--milestone", "0.05"]);
    e.accept("//Charlie", id, &[]);
    let id = id.to_string();
    e.tx("//Bob", &["deal", "fund", &id, "0.05"]);
    let mut balances = Balances::snapshot(
        &e,
        &[
            ("alice", "//Alice"),
            ("buyer", "//Bob"),
            ("seller", "//Charlie"),
            ("fees", "//Fees"),
            ("ferdie", "//Ferdie"),
        ],
    );
    let (gross, fee) = (UNIT / 20, UNIT / 2_000);
    let tx = e.tx("//Bob", &["deal", "approve", &id, "0"]);
    assert_eq!(tx.events(), ["MilestoneReleased", "PayoutDeferred"]);
    let deferred = &tx.events_named("PayoutDeferred")[0];
    assert_eq!(deferred["account"], dev_account("//Fees").to_string());
    assert_eq!(amount(&deferred["amount"]), fee);
    balances.pay("contract", "seller", gross - fee);
    balances.check("after the release, the fee deferred");

    // //Fees needs something to pay the transaction fee with: the platform sends 1 UNIT.
    block_on(async {
        let chain = Chain::connect(&e.url).await?;
        let call = subxt::dynamic::tx(
            "Balances",
            "transfer_keep_alive",
            vec![
                Value::unnamed_variant("Id", [Value::from_bytes(dev_account("//Fees").0)]),
                Value::u128(UNIT),
            ],
        );
        chain::submit(&chain, &call, &dev_keypair("//Alice")).await?;
        Ok::<_, escrow_test_support::Error>(())
    })
    .unwrap_or_else(|err| panic!("transfer to //Fees: {err}"));
    balances.pay("alice", "fees", UNIT);

    // withdraw --to: the claimable balance goes to Ferdie, who signs nothing.
    let tx = e.tx("//Fees", &["withdraw", "--to", "//Ferdie"]);
    assert_eq!(tx.events(), ["Withdrawn"]);
    assert_eq!(tx.json["message"], "withdraw_to");
    assert_eq!(amount(tx.ret()), fee);
    let w = &tx.events_named("Withdrawn")[0];
    assert_eq!(w["account"], dev_account("//Fees").to_string());
    assert_eq!(w["to"], dev_account("//Ferdie").to_string());
    assert_eq!(amount(&w["amount"]), fee);
    balances.pay("contract", "ferdie", fee);
    balances.check("after withdraw --to");
    // Nothing is left to withdraw, to anyone.
    e.run(&["--suri", "//Fees", "withdraw", "--to", "//Ferdie"])
        .fails(exit::REJECTED, &["NothingToWithdraw"]);
    e.run(&["--suri", "//Fees", "withdraw", "--to", "nobody"])
        .fails(exit::BAD_INPUT, &["'nobody' is not an account"]);
    balances.check("after the refused withdrawals");

    // The audit follows the claimable balance's trail: deferred less withdrawn is what
    // storage holds, 0; the fee's payment matches the chain's transfers (none: deferred).
    let a = e.run(&["--json", "audit", "--all", "--best"]).json();
    assert_eq!(a["findings"], serde_json::json!([]), "{a:#}");
    let claims = a["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), 1, "{a:#}");
    assert_eq!(claims[0]["account"], dev_account("//Fees").to_string());
    let of = |k: &str| amount(&claims[0][k]);
    assert_eq!(
        (of("deferred"), of("withdrawn"), of("claimable")),
        (fee, fee, 0)
    );
}

/// `escrow audit`: final data by default (a dev chain has none, and the audit says so), the
/// code hash checked at the block read, the deal's events found along its trails (the blocks
/// read are exactly the ones that hold them, whatever lies between); and two violations the
/// contract itself can never commit, made by sudo (raw changes of the chain's state) and
/// caught: money taken out of the contract in an extrinsic whose escrow events announce no
/// such payment (a transfer finding), and a contract left holding less than it owes (a
/// solvency finding).
#[test]
fn audit_reads_final_data_follows_the_trails_and_catches_money_taken_and_insolvency() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let e = deployed(&node);
    let id = active_deal(&e, &["--milestone", "100"], 100);
    let alice = dev_keypair("//Alice");
    block_on(async {
        let chain = Chain::connect(&e.url).await?;
        for _ in 0..30 {
            chain::tick(&chain, &alice).await?;
        }
        Ok::<_, escrow_test_support::Error>(())
    })
    .unwrap_or_else(|err| panic!("ticks: {err}"));
    let id = id.to_string();
    e.tx("//Bob", &["deal", "approve", &id, "0"]);

    e.run(&["audit", &id]).fails(
        exit::BAD_INPUT,
        &["at block #0", "finalized nothing", "--best"],
    );
    e.run(&["audit", &id, "--at", "0"]).fails(
        exit::BAD_INPUT,
        &["no contract at this address at block #0"],
    );
    let a = e.run(&["--json", "audit", &id, "--best"]).json();
    assert_eq!(
        (&a["ok"], &a["findings"]),
        (&Json::Bool(true), &serde_json::json!([])),
        "{a:#}"
    );
    let events = e.run(&["--json", "events", "--deal", &id]).ok().to_string();
    let mut blocks: Vec<u64> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<Json>(l).expect("a JSON line")["block"]
                .as_u64()
                .expect("block")
        })
        .collect();
    blocks.dedup();
    assert_eq!(blocks.len(), 4, "propose, accept, fund, approve: {events}");
    assert_eq!(a["blocks_read"], blocks.len(), "{a:#}");

    // A second deal holds 50 UNIT: the contract owes that, and holds it.
    active_deal(&e, &["--milestone", "50"], 50);
    let all = e.run(&["--json", "audit", "--all", "--best"]).json();
    assert_eq!(all["findings"], serde_json::json!([]), "{all:#}");
    let native = &all["solvency"][0];
    assert_eq!(
        (amount(&native["locked"]), amount(&native["claimable"])),
        (50 * UNIT, 0)
    );
    assert!(amount(&native["held"]) >= 50 * UNIT, "{all:#}");

    // Sudo takes 1 UNIT out of the contract in the same extrinsic as the first deal's
    // `close_deal` (one batch): money left with no event to announce it.
    let contract = e.contract_account();
    let alice_id = dev_account("//Alice");
    let taken_in = block_on(async {
        let chain = Chain::connect(&e.url).await?;
        let close = escrow_client::contract::call_data("close_deal", &(escrow_types::DealId(0),));
        let (best, _) = chain.best().await?;
        let dry = chain
            .dry_run_call(best, &alice_id, &contract, 0, close.clone())
            .await?;
        let fields = escrow_client::submit::call_fields(
            &contract,
            0,
            dry.gas_required,
            dry.storage_deposit.limit(),
            close,
        );
        let take = Value::named_variant(
            "force_transfer",
            [
                (
                    "source",
                    Value::unnamed_variant("Id", [Value::from_bytes(contract.0)]),
                ),
                (
                    "dest",
                    Value::unnamed_variant("Id", [Value::from_bytes(alice_id.0)]),
                ),
                ("value", Value::u128(UNIT)),
            ],
        );
        let calls = Value::unnamed_composite([
            Value::unnamed_variant(
                "Sudo",
                [Value::named_variant(
                    "sudo",
                    [("call", Value::unnamed_variant("Balances", [take]))],
                )],
            ),
            Value::unnamed_variant("Contracts", [Value::named_variant("call", fields)]),
        ]);
        let batch = subxt::dynamic::tx("Utility", "batch_all", vec![("calls", calls)]);
        let (block, _) = chain::submit(&chain, &batch, &alice).await?;
        let number = chain.api.blocks().at(block).await?.number();
        Ok::<_, escrow_test_support::Error>(number)
    })
    .unwrap_or_else(|err| panic!("sudo transfer out: {err}"));
    let r = e.run(&["--json", "audit", &id, "--best"]);
    assert_eq!(r.code, exit::REJECTED, "{r:#?}");
    let v: Json = serde_json::from_str(r.out.trim()).expect("one JSON object");
    let f = v["findings"].as_array().expect("findings");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(
        (&f[0]["kind"], &f[0]["block"]),
        (&Json::from("transfer"), &Json::from(taken_in)),
        "{v:#}"
    );
    assert_eq!(
        f[0]["detail"],
        format!(
            "extrinsic 1: the events say the escrow paid {alice_id} in Native, the chain's \
             transfers differ by -{UNIT}"
        ),
        "{v:#}"
    );

    // Sudo then leaves the contract 1 planck short of what it owes.
    block_on(async {
        let chain = Chain::connect(&e.url).await?;
        let ed = chain.existential_deposit()?;
        let set = Value::named_variant(
            "force_set_balance",
            [
                (
                    "who",
                    Value::unnamed_variant("Id", [Value::from_bytes(contract.0)]),
                ),
                ("new_free", Value::u128(ed + 50 * UNIT - 1)),
            ],
        );
        let call = subxt::dynamic::tx(
            "Sudo",
            "sudo",
            vec![Value::unnamed_variant("Balances", [set])],
        );
        chain::submit(&chain, &call, &alice).await?;
        Ok::<_, escrow_test_support::Error>(())
    })
    .unwrap_or_else(|err| panic!("sudo: {err}"));
    let r = e.run(&["--json", "audit", "--all", "--best"]);
    assert_eq!(r.code, exit::REJECTED, "{r:#?}");
    let v: Json = serde_json::from_str(r.out.trim()).expect("one JSON object");
    let f = v["findings"].as_array().expect("findings");
    let kinds: Vec<&str> = f.iter().map(|x| x["kind"].as_str().unwrap_or("")).collect();
    // Findings are ordered by deal: the instance's solvency first, then deal 0's transfer.
    assert_eq!(kinds, ["solvency", "transfer"], "{v:#}");
    assert_eq!(
        f[0]["detail"],
        format!(
            "Native: the contract holds {} but owes {} locked + 0 claimable",
            50 * UNIT - 1,
            50 * UNIT
        )
    );
    // The table says so too.
    let t = e.run(&["audit", "--all", "--best"]);
    assert_eq!(t.code, exit::REJECTED, "{t:#?}");
    assert!(
        t.out.contains("[INSOLVENT]")
            && t.out
                .contains("audit FAILED: 2 mismatch(es) or violation(s)"),
        "{t:#?}"
    );
}

/// The violations the real contract can never commit, written on chain by the test-only
/// `audit_forger` (contracts/audit_forger: the escrow's storage layout, reads and events, and
/// no rules), deployed with `escrow deploy --bundle` so that the CLI trusts its code; each is
/// caught by `escrow audit` with its finding, and a clean forged proposal audits clean.
#[test]
fn audit_catches_the_violations_a_forging_contract_writes_on_chain() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let mut e = Escrow::new(node.url());
    e.deploy_bundle(&forger_bundle(), "//Alice", 100, ALICE);
    let forger = e.contract_account();
    let ink = |suri: &str| ink::primitives::AccountId::from(dev_account(suri).0);
    let terms = escrow_types::DealTerms {
        buyer: ink("//Bob"),
        seller: ink("//Charlie"),
        oracles: vec![ink("//Dave")],
        oracle_threshold: 1,
        arbiter: None,
        release_rule: escrow_types::ReleaseRule::BuyerOrOracles,
        review_window: DAY,
        arbitration_window: DAY,
        fallback_seller_bps: 0,
        advance: false,
        agreement_hash: [1; 32],
        funder: None,
        fund_by: 4_000_000_000_000,
        asset: escrow_types::Asset::Native,
        milestones: vec![escrow_types::MilestoneTerms {
            amount: 10 * UNIT,
            terms_hash: [2; 32],
            ship_by: 4_100_000_000_000,
        }],
    };
    let call = |suri: &str, value: u128, name: &str, data: Vec<u8>| -> u32 {
        block_on(async {
            let chain = Chain::connect(&e.url).await?;
            chain::call_contract(&chain, &forger, &dev_keypair(suri), value, data).await
        })
        .unwrap_or_else(|err| panic!("forger {name}: {err}"))
    };
    use escrow_client::contract::call_data;
    let audit = |id: &str| {
        let r = e.run(&["--json", "audit", id, "--best"]);
        let v: Json = serde_json::from_str(r.out.trim())
            .unwrap_or_else(|err| panic!("one JSON object ({err}): {r:#?}"));
        (r.code, v)
    };
    let finding = |v: &Json| -> (String, Json, String) {
        let f = &v["findings"];
        assert_eq!(f.as_array().map(Vec::len), Some(1), "{v:#}");
        (
            f[0]["kind"].as_str().unwrap_or_default().to_string(),
            f[0]["milestone"].clone(),
            f[0]["detail"].as_str().unwrap_or_default().to_string(),
        )
    };
    for _ in 0..4 {
        call(
            "//Charlie",
            0,
            "propose",
            call_data("propose", &(terms.clone(),)),
        );
    }

    // Deal 0, as proposed: nothing wrong.
    let (code, v) = audit("0");
    assert_eq!(
        (code, &v["ok"], &v["findings"]),
        (exit::OK, &Json::Bool(true), &serde_json::json!([])),
        "{v:#}"
    );

    // An attestation by Eve, whom deal 0 does not name: a rule finding.
    call(
        "//Eve",
        0,
        "attest",
        call_data("attest", &(escrow_types::DealId(0), 0u8)),
    );
    let (code, v) = audit("0");
    assert_eq!(code, exit::REJECTED, "{v:#}");
    let (kind, milestone, detail) = finding(&v);
    assert_eq!((kind.as_str(), milestone), ("rule", Json::from(0)));
    assert_eq!(
        detail,
        format!(
            "attested by {}, not one of the deal's oracles",
            dev_account("//Eve")
        )
    );

    // Deal 1: an amendment linked back to block #1, where its trail has no event.
    call(
        "//Bob",
        0,
        "propose_amendment",
        call_data(
            "propose_amendment",
            &(escrow_types::DealId(1), 0u8, Some(1u32)),
        ),
    );
    let (code, v) = audit("1");
    assert_eq!(code, exit::REJECTED, "{v:#}");
    let (kind, milestone, detail) = finding(&v);
    assert_eq!((kind.as_str(), milestone), ("trail", Json::from(0)));
    assert_eq!(
        detail,
        "Milestone(DealId(1), 0): the event links back to block #1, but the previous event \
         found on its trail is in block #0"
    );

    // Deal 2: 5 UNIT recorded as deposited with no DealFunded: storage and events disagree.
    call(
        "//Bob",
        5 * UNIT,
        "deposit_silently",
        call_data("deposit_silently", &(escrow_types::DealId(2),)),
    );
    let (code, v) = audit("2");
    assert_eq!(
        (code, &v["findings"]),
        (exit::REJECTED, &serde_json::json!([])),
        "{v:#}"
    );
    let bad: Vec<(&str, &str, &str)> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default();
            (s("check"), s("events"), s("storage"))
        })
        .collect();
    let five = (5 * UNIT).to_string();
    assert_eq!(
        bad,
        [
            ("deposited", "0", five.as_str()),
            ("locked", "0", five.as_str())
        ]
    );

    // Deal 3: a payout of 5 UNIT to Ferdie deferred, but 3 UNIT credited, and no payment
    // announced beside it. The deferral is on the claim's trail only, not on deal 3's (the
    // real contract defers only beside the payment event, on the deal's trail), so the deal's
    // own audit does not see it; `--all` lists every claimable entry in storage and does.
    call(
        "//Alice",
        0,
        "defer",
        call_data(
            "defer",
            &(escrow_types::DealId(3), ink("//Ferdie"), 5 * UNIT, 3 * UNIT),
        ),
    );
    let (code, v) = audit("3");
    assert_eq!(
        (code, &v["blocks_read"]),
        (exit::OK, &Json::from(1)),
        "{v:#}"
    );

    // All at once, with the instance's books: it holds 5 UNIT, owes 5 locked + 3 claimable.
    let r = e.run(&["--json", "audit", "--all", "--best"]);
    assert_eq!(r.code, exit::REJECTED, "{r:#?}");
    let v: Json = serde_json::from_str(r.out.trim()).expect("one JSON object");
    let kinds: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        ["claims", "solvency", "rule", "trail", "transfer"],
        "{v:#}"
    );
    assert_eq!(v["mismatches"], 7, "{v:#}");
}
