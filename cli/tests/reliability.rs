//! Off-chain reliability of the real `escrow` binary against a real `escrow-node`: the node
//! killed after a submission (L5), concurrent signers (L6), the contract identity check
//! (L9), `events --follow` across a node restart, the confirmation prompt, and per-milestone
//! terms hashes. Exit codes and messages are asserted exactly. Skipped (with a message)
//! when the node or the contract bundle is not built, unless ESCROW_REQUIRE_CHAIN=1.

use std::{
    process::Child,
    time::{Duration, Instant},
};

use escrow_test_support::{
    artifacts::escrow_bundle,
    block_on, chain_available, exit,
    stream::{Pipe, Streaming},
    Escrow, TestNode, UNIT,
};

/// `(module (import "env" "memory" (memory 1 1)) (func (export "deploy")) (func (export
/// "call")))`: a valid pallet-contracts contract that is not ours.
const NOT_AN_ESCROW_WASM: [u8; 65] = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x10,
    0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x01, 0x01, 0x01,
    0x03, 0x03, 0x02, 0x00, 0x00, 0x07, 0x11, 0x02, 0x06, 0x64, 0x65, 0x70, 0x6c, 0x6f, 0x79, 0x00,
    0x00, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00, 0x01, 0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00,
    0x0b,
];

/// Deploys the escrow (no fee) as Alice; returns the runner and the code hash.
fn deployed(node: &TestNode) -> (Escrow, String) {
    let e = Escrow::new(node.url());
    let b = escrow_bundle();
    let r = e.run(&[
        "--suri",
        "//Alice",
        "--json",
        "deploy",
        "--bundle",
        b.to_str().unwrap(),
    ]);
    let v = r.json();
    (e, v["code_hash"].as_str().unwrap().to_string())
}

/// Bob proposes a deal to Charlie; returns its id.
fn propose(e: &Escrow, extra: &[&str]) -> String {
    let mut args = vec!["--seller", "//Charlie"];
    args.extend_from_slice(extra);
    e.propose("//Bob", &args).to_string()
}

/// Charlie accepts deal `id`, naming the terms hash `deal show` shows (a script must).
fn accept(e: &Escrow, id: &str) {
    let hash = e.terms_hash(id.parse().unwrap());
    e.run(&[
        "--suri",
        "//Charlie",
        "deal",
        "accept",
        id,
        "--terms-hash",
        &hash,
    ])
    .ok();
}

/// The text after `marker` up to the first char in `stop`.
fn after<'a>(text: &'a str, marker: &str, stop: &[char]) -> &'a str {
    let rest = text
        .split(marker)
        .nth(1)
        .unwrap_or_else(|| panic!("no {marker:?} in {text}"));
    rest.split(stop).next().unwrap()
}

/// L5: the node is killed right after the CLI submitted (it printed the hash), while it
/// waits. The CLI must exit 4 with the hash and how to check it, never re-submit, and
/// after a restart on the same base path the chain shows at most one inclusion, which
/// `tx-status` and `deal show` report consistently; the audit passes.
#[test]
fn regress_l5_node_killed_after_submit_exits_4_and_never_resubmits() {
    if !chain_available() {
        return;
    }
    let mut node = TestNode::start_persistent();
    let (e, _) = deployed(&node);

    // Case 1, deterministic: the transaction is in a block (instant seal), the CLI waits
    // for finality that never comes on this chain, and the node dies under it.
    let id = propose(&e, &["--milestone", "1"]);
    let before = node.nonce("//Bob");
    let mut s = Streaming::start(
        &e,
        &[
            "--suri",
            "//Bob",
            "--wait",
            "finalized",
            "deal",
            "withdraw-proposal",
            &id,
        ],
    );
    s.wait_line(Pipe::Err, "submitting tx 0x", Duration::from_secs(30));
    // Wait until it is in a block (the deal's state changed at the best block), while
    // the CLI still waits for finality.
    let included_by = Instant::now() + Duration::from_secs(30);
    while !e.run(&["deal", "show", &id]).ok().contains("Withdrawn") {
        assert!(Instant::now() < included_by, "never included");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Give the database a moment to persist the sealed block before the hard kill.
    std::thread::sleep(Duration::from_millis(500));
    node.kill();
    let r = s.finish(Duration::from_secs(15));
    r.fails(
        exit::UNKNOWN_OUTCOME,
        &["was submitted but its outcome is unknown"],
    );
    assert!(r.err.contains("it was NOT re-submitted"), "{r:#?}");
    assert!(r.err.contains("escrow tx-status 0x"), "{r:#?}");
    assert_eq!(r.err.matches("submitting tx").count(), 1, "{r:#?}");
    let hash = after(&r.err, "submitting tx ", &[' ']).to_string();
    assert!(
        r.err.contains(&format!("transaction {hash} was submitted")),
        "{r:#?}"
    );
    let from = after(&r.err, "blocks from #", &[')']).to_string();
    node.restart();
    assert_eq!(node.nonce("//Bob"), before + 1, "exactly one inclusion");
    assert!(e.run(&["deal", "show", &id]).ok().contains("Withdrawn"));
    let st = e.run(&["tx-status", &hash, "--from", &from]);
    assert!(st.ok().contains("succeeded"), "{st:#?}");
    assert!(e.run(&["audit", "--best", &id]).ok().contains("audit ok"));

    // Case 2, racy on purpose: the node is killed 0 to 150 ms after the hash is printed
    // (before, during or after inclusion; the delay varies by round). Repeated;
    // ESCROW_FAULT_KILLS sets how often (default 4).
    let kills: u32 = std::env::var("ESCROW_FAULT_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let id = propose(&e, &["--milestone", "1000"]);
    accept(&e, &id);
    let mut landed = 0u128;
    let (mut reported_ok, mut reported_unknown) = (0, 0);
    for round in 0..kills {
        let before = node.nonce("//Bob");
        let mut s = Streaming::start(&e, &["--suri", "//Bob", "deal", "fund", &id, "1"]);
        s.wait_line(Pipe::Err, "submitting tx 0x", Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(u64::from(round * 37 % 151)));
        node.kill();
        let r = s.finish(Duration::from_secs(15));
        assert_eq!(r.err.matches("submitting tx").count(), 1, "{r:#?}");
        let hash = after(&r.err, "submitting tx ", &[' ']).to_string();
        let from = after(&r.err, "blocks from #", &[')']).to_string();
        node.restart();
        let now = node.nonce("//Bob");
        assert!(now <= before + 1, "round {round}: more than one inclusion");
        let included = now == before + 1;
        landed += u128::from(included);
        // Never a double deposit: the deal holds exactly what landed.
        assert_eq!(e.deposited(&id), landed * UNIT, "round {round}: {r:#?}");
        match r.code {
            // It finished before the kill: it must really be in the chain.
            exit::OK => {
                assert!(
                    included,
                    "round {round}: reported ok but not included: {r:#?}"
                );
                reported_ok += 1;
            }
            exit::UNKNOWN_OUTCOME => {
                reported_unknown += 1;
                assert!(r.err.contains("it was NOT re-submitted"), "{r:#?}");
                assert!(
                    r.err.contains(&format!("escrow tx-status {hash}")),
                    "{r:#?}"
                );
            }
            _ => panic!(
                "round {round}: exit {} is neither ok nor unknown: {r:#?}",
                r.code
            ),
        }
        // tx-status tells the outcome: succeeded (0) if included, otherwise "may still be
        // included" (4) inside the mortality window — never a false "failed".
        let st = e.run(&["tx-status", &hash, "--from", &from]);
        if included {
            assert!(st.ok().contains("succeeded"), "{st:#?}");
        } else {
            st.fails(exit::UNKNOWN_OUTCOME, &["may still be included"]);
        }
    }
    assert!(e.run(&["audit", "--best", &id]).ok().contains("audit ok"));
    eprintln!(
        "L5: {kills} kills 0-150 ms after the hash was printed: {landed} included, \
         {reported_ok} reported ok, {reported_unknown} reported unknown (exit 4), \
         0 double inclusions, 0 false failures"
    );
}

/// L6: parallel `escrow` processes signing as the same account all get distinct nonces
/// (the per-account signing lock), so every one is included and none is refused.
#[test]
fn concurrent_invocations_from_one_signer_are_all_included() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let (e, _) = deployed(&node);
    let id = propose(&e, &["--milestone", "1000"]);
    accept(&e, &id);
    let before = node.nonce("//Bob");
    const N: usize = 12;
    let fund = ["--suri", "//Bob", "deal", "fund", &id, "1"];
    let children: Vec<Child> = (0..N).map(|_| e.spawn(&fund)).collect();
    for c in children {
        let r = Escrow::wait(c, &fund);
        assert!(r.ok().contains("ok: "), "{r:#?}");
        // Two processes holding the same pooled nonce get "Priority is too low" (1014). Match
        // the pool's words, never the bare code: stderr carries 0x-hex tx and block hashes,
        // and "1014" stands inside one of them in about 2% of runs (12 processes × 2 hashes ×
        // 61 windows of 4 hex digits / 16^4): the intermittent failure of this test.
        assert!(!r.err.contains("Priority is too low"), "{r:#?}");
    }
    assert_eq!(node.nonce("//Bob"), before + N as u64);
    assert_eq!(e.deposited(&id), N as u128 * UNIT);
    assert!(e.run(&["audit", "--best", &id]).ok().contains("audit ok"));
    // Concurrent proposals: every dry-run predicts the same next id; each process must
    // report the id its own DealProposed event carries.
    let propose_args = [
        "--suri",
        "//Bob",
        "--json",
        "deal",
        "propose",
        "--seller",
        "//Charlie",
        "--milestone",
        "1",
    ];
    let children: Vec<Child> = (0..4).map(|_| e.spawn(&propose_args)).collect();
    let mut ids: Vec<u64> = children
        .into_iter()
        .map(|c| {
            let r = Escrow::wait(c, &propose_args);
            let v = r.json();
            assert_eq!(v["events"][0]["event"], "DealProposed", "{r:#?}");
            assert_eq!(v["return"], v["events"][0]["deal_id"], "{r:#?}");
            v["return"].as_u64().unwrap()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, [1, 2, 3, 4]);
    // The lock files live under ESCROW_HOME/locks, one per signing account.
    let locks: Vec<_> = std::fs::read_dir(e.home.path().join("locks"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        locks.contains(&"5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty.lock".to_string()),
        "{locks:?}"
    );
}

/// L9: a call to an address that is not our contract (a plain account, another contract)
/// is refused before anything is signed, with exit 2 and the reason.
#[test]
fn calls_to_a_non_escrow_address_are_refused_before_signing() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let (e, code_hash) = deployed(&node);
    let url = node.url();

    // Another contract, instantiated through the library.
    let other = block_on(async {
        use escrow_client::{keystore, submit, Chain};
        let chain = Chain::connect(&url).await.unwrap();
        let alice = keystore::keypair_from_suri("//Alice").unwrap();
        let me = keystore::address_of(&alice);
        let best = chain.best().await.unwrap();
        let salt = b"not-an-escrow".to_vec();
        let dry = chain
            .dry_run_instantiate(best.0, &me, 0, &NOT_AN_ESCROW_WASM, vec![], salt.clone())
            .await
            .unwrap();
        assert!(dry.result.is_ok(), "{dry:?}");
        let tx = submit::instantiate_tx(0, &dry, NOT_AN_ESCROW_WASM.to_vec(), vec![], salt);
        let opts = submit::SubmitOpts {
            wait: submit::WaitFor::InBlock,
            timeout: Duration::from_secs(30),
            quiet: true,
            lock_dir: None,
        };
        let inc = submit::sign_submit_wait(&chain, &tx, &alice, None, opts)
            .await
            .unwrap();
        inc.instantiated.unwrap().to_string()
    });
    let other_hash = format!(
        "0x{}",
        hex::encode(escrow_client::units::blake2_256(&NOT_AN_ESCROW_WASM))
    );

    let before = node.nonce("//Alice");
    // A plain account.
    let r = e.run(&[
        "--suri",
        "//Alice",
        "--contract",
        "//Bob",
        "deal",
        "fund",
        "0",
        "1",
    ]);
    r.fails(exit::BAD_INPUT,
        &["5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty is not a milestone-escrow contract: there is no contract at this address"],
    );
    assert!(r.err.contains("nothing was submitted"), "{r:#?}");
    assert!(!r.err.contains("dry-run"), "{r:#?}");
    // Another contract.
    let r = e.run(&["--suri", "//Alice", "--contract", &other, "withdraw"]);
    // Expected: the code hash `escrow deploy` recorded.
    r.fails(
        exit::BAD_INPUT,
        &[&format!(
            "{other} is not a milestone-escrow contract: its code hash is {other_hash}, expected "
        )],
    );
    assert!(r.err.contains(&code_hash), "{r:#?}");
    assert!(r.err.contains("hint: check --contract"), "{r:#?}");
    assert!(!r.err.contains("submitting tx"), "{r:#?}");
    // Also refused when the expected hash is given explicitly.
    let r = e.run(&[
        "--suri",
        "//Alice",
        "--contract",
        &other,
        "--code-hash",
        &code_hash,
        "withdraw",
    ]);
    r.fails(
        exit::BAD_INPUT,
        &["is not a milestone-escrow contract: its code hash is"],
    );
    // Nothing was signed or submitted.
    assert_eq!(node.nonce("//Alice"), before);
    // The real contract passes the check (and the contract then answers).
    e.run(&["--suri", "//Alice", "withdraw"])
        .fails(exit::REJECTED, &["NothingToWithdraw"]);
}

/// `events --follow` prints new events as they happen, and when the node goes away it
/// says so, reconnects, catches up without repeating anything; when it cannot reconnect
/// it exits 3 saying so (never a silent stop).
#[test]
fn events_follow_streams_and_reconnects_after_a_node_restart() {
    if !chain_available() {
        return;
    }
    let mut node = TestNode::start_persistent();
    let (e, _) = deployed(&node);
    // Reconnecting may take a while: the node needs several seconds to start again.
    let mut f = Streaming::start(&e, &["--json", "--timeout", "90s", "events", "--follow"]);
    f.wait_line(
        Pipe::Err,
        "following new blocks after #",
        Duration::from_secs(30),
    );

    let id = propose(&e, &["--milestone", "1"]);
    let line = f.wait_line(Pipe::Out, "\"DealProposed\"", Duration::from_secs(20));
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["deal_id"].to_string(), id, "{line}");

    node.kill();
    f.wait_line(Pipe::Err, "lost the connection", Duration::from_secs(20));
    node.restart();
    f.wait_line(Pipe::Err, "reconnected at block #", Duration::from_secs(60));
    e.run(&["--suri", "//Bob", "deal", "withdraw-proposal", &id])
        .ok();
    let line = f.wait_line(Pipe::Out, "\"DealWithdrawn\"", Duration::from_secs(20));
    assert!(line.contains(&format!("\"deal_id\":{id}")), "{line}");
    let mut names: Vec<String> = f
        .out_seen
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].to_string())
        .collect();
    names.dedup();
    assert_eq!(
        names.len(),
        f.out_seen.len(),
        "no repeats: {:#?}",
        f.out_seen
    );
    assert_eq!(names, ["\"DealProposed\"", "\"DealWithdrawn\""]);

    // Gone for good: a follower gives up after its --timeout and says so, with exit 3.
    let mut g = Streaming::start(&e, &["--json", "--timeout", "2s", "events", "--follow"]);
    g.wait_line(
        Pipe::Err,
        "following new blocks after #",
        Duration::from_secs(30),
    );
    node.kill();
    let r = g.finish(Duration::from_secs(30));
    r.fails(exit::UNREACHABLE, &["could not reconnect within 2s"]);
    assert!(r.err.contains("lost the connection"), "{r:#?}");
    assert!(r.err.contains("it stopped"), "{r:#?}");
    // Both events again (from block 0), each once.
    assert_eq!(r.out.lines().count(), 2, "{r:#?}");
}

/// The confirmation prompt: asked on a terminal (declining exits 5, nothing submitted;
/// "y" submits), skipped with --yes, never asked without a terminal.
#[test]
fn confirmation_prompt_only_on_a_terminal_and_skipped_with_yes() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let (e, _) = deployed(&node);
    // Not a terminal (stdin is /dev/null): no question.
    let r = e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "propose",
        "--seller",
        "//Charlie",
        "--milestone",
        "1",
    ]);
    assert!(!r.err.contains("submit?"), "{r:#?}");
    let id = after(r.ok(), "deal id: ", &['\n']).to_string();

    let before = node.nonce("//Bob");
    let withdraw = ["--suri", "//Bob", "deal", "withdraw-proposal", &id];
    let (code, screen) = e.run_tty(&withdraw, "n\n");
    assert_eq!(code, exit::CANCELLED, "{screen}");
    assert!(
        screen.contains("call withdraw_proposal on ") && screen.contains("submit? [y/N]"),
        "{screen}"
    );
    assert!(
        screen.contains("error: cancelled at the prompt; nothing was submitted"),
        "{screen}"
    );
    assert!(!screen.contains("submitting tx"), "{screen}");
    assert_eq!(node.nonce("//Bob"), before);
    // Deploy asks too.
    let b = escrow_bundle();
    let (code, screen) = e.run_tty(
        &[
            "--suri",
            "//Alice",
            "deploy",
            "--bundle",
            b.to_str().unwrap(),
        ],
        "\n",
    );
    assert_eq!(code, exit::CANCELLED, "{screen}");
    assert!(
        screen.contains("deploy the contract (code hash 0x") && screen.contains("fee 0 bps to"),
        "{screen}"
    );

    let (code, screen) = e.run_tty(&withdraw, "y\n");
    assert_eq!(code, exit::OK, "{screen}");
    assert!(
        screen.contains("submit? [y/N]") && screen.contains("ok: proposal 0 withdrawn"),
        "{screen}"
    );
    assert_eq!(node.nonce("//Bob"), before + 1);

    let (code, screen) = e.run_tty(
        &[
            "--suri",
            "//Bob",
            "--yes",
            "deal",
            "propose",
            "--seller",
            "//Charlie",
            "--milestone",
            "1",
        ],
        "",
    );
    assert_eq!(code, exit::OK, "{screen}");
    assert!(!screen.contains("submit?"), "{screen}");
    assert!(screen.contains("deal id: 1"), "{screen}");
}

/// Per-milestone terms hashes: from files (one per milestone) or a hash list; stored on
/// chain, shown, covered by the accepted terms hash.
#[test]
fn propose_takes_per_milestone_terms_hashes() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let (e, _) = deployed(&node);
    let spec0 = e.file("spec0.pdf", "milestone 0: 500 widgets, grade A");
    let spec1 = e.file("spec1.pdf", "milestone 1: installation and training");
    let h = |text: &str| {
        format!(
            "0x{}",
            hex::encode(escrow_client::units::blake2_256(text.as_bytes()))
        )
    };
    let id = propose(
        &e,
        &[
            "--milestone",
            "10",
            "--milestone",
            "20",
            "--milestone-terms-file",
            &spec0,
            "--milestone-terms-file",
            &spec1,
        ],
    );
    let v = e.run(&["--json", "deal", "show", &id]).json();
    assert_eq!(
        v["milestones"][0]["milestone"]["terms_hash"],
        h("milestone 0: 500 widgets, grade A")
    );
    assert_eq!(
        v["milestones"][1]["milestone"]["terms_hash"],
        h("milestone 1: installation and training")
    );
    let show = e.run(&["deal", "show", &id]).ok().to_string();
    assert!(
        show.contains(&format!(
            "terms {}",
            h("milestone 1: installation and training")
        )),
        "{show}"
    );
    // The acceptor's terms hash covers them.
    accept(&e, &id);

    let x = format!("0x{}", "ab".repeat(32));
    let id = propose(
        &e,
        &[
            "--total",
            "100",
            "--split",
            "50,50",
            "--milestone-terms",
            &format!("{x},-"),
        ],
    );
    let v = e.run(&["--json", "deal", "show", &id]).json();
    assert_eq!(v["milestones"][0]["milestone"]["terms_hash"], x);
    assert_eq!(
        v["milestones"][1]["milestone"]["terms_hash"],
        format!("0x{}", "00".repeat(32))
    );
}

/// Per-milestone terms: one per milestone, checked before connecting (exit 2).
#[test]
fn milestone_terms_must_match_the_milestones() {
    let e = Escrow::offline();
    let spec = e.file("spec.pdf", "x");
    let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    let base = [
        "--suri",
        "//Alice",
        "--contract",
        alice,
        "deal",
        "propose",
        "--seller",
        "//Bob",
    ];
    let run = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        e.run(&a)
    };
    run(&[
        "--milestone",
        "1",
        "--milestone",
        "2",
        "--milestone-terms-file",
        &spec,
    ])
    .fails(
        exit::BAD_INPUT,
        &["1 milestone terms hash(es) for 2 milestone(s): give one per milestone, in order"],
    );
    run(&[
        "--total",
        "10",
        "--split",
        "50,50",
        "--milestone-terms",
        "0x12,-",
    ])
    .fails(exit::BAD_INPUT, &["--milestone-terms: "]);
    run(&[
        "--milestone",
        "1",
        "--milestone-terms-file",
        "/nonexistent/spec.pdf",
    ])
    .fails(exit::BAD_INPUT, &["--milestone-terms-file: "]);
    run(&[
        "--milestone",
        "1",
        "--milestone-terms-file",
        &spec,
        "--milestone-terms",
        "-",
    ])
    .fails(exit::BAD_INPUT, &["cannot be used with"]);
}
