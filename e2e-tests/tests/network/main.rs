//! The escrow on a network: four validators (`escrow-node --chain local-4`) as real processes,
//! a block every 3 s slot (Aura), finality by GRANDPA, and the real `escrow` binary asking for
//! finality (`--wait finalized`) through one node after another. What only a network shows:
//!
//! - a deal whose every step is final, signed through each of the four nodes in turn;
//! - a validator killed mid-deal: three of four still finalize, and it catches up after a
//!   restart, showing the same deal;
//! - two validators down: blocks go on, finality stops, and a finalized wait gives up with
//!   exit 4 (unknown outcome) without submitting twice; finality resumes with a restart and
//!   `escrow tx-status` confirms the transaction final;
//! - the node the CLI waits on dies: exit 4, and another node has the transaction.
//!
//! Every balance is checked to the planck (the ledger of the scenarios, read through node 0,
//! which no test kills), at the best and at the finalized block.
//!
//! Needs `escrow-node`, the release contract bundle and the `escrow` binary; without them
//! each test is skipped with a message, or fails under `ESCROW_REQUIRE_CHAIN=1`.

mod world;

use std::time::{Duration, Instant};

use escrow_test_support::{
    chain_available,
    cli::amount,
    exit,
    stream::{Pipe, Streaming},
    units, Result,
};
use serde_json::{json, Value as Json};

use world::{submitted, NetWorld, BUYER, CATCH_UP, FEES, TOTAL};

/// Aura's slot (`SLOT_DURATION_MS` in node/runtime/src/lib.rs).
const SLOT: Duration = Duration::from_secs(3);

/// The reference deal, proposal to closure, with every step (deploy included) signed
/// through the next of the four nodes in turn and waited on until final, each final block
/// the same on node 0; every balance exact after each release.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_deal_completes_on_four_validators_with_every_money_step_finalized(
) -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = NetWorld::start().await?;
    let id = w.propose().await?;
    w.accept_and_fund(id).await?;
    w.finish(id).await?;
    // The seller got 990 UNIT, the platform 10 (from an empty account), the contract
    // holds nothing of the deal.
    let balances = w.ledger.balances(&w.chain).await?;
    assert_eq!(balances[FEES.0], units(10));
    let deal = w.cli.deal(id);
    assert_eq!(amount(&deal["deal"]["deal"]["released"]), units(990));
    assert_eq!(amount(&deal["deal"]["deal"]["fees"]), units(10));
    assert_eq!(amount(&deal["deal"]["locked"]), 0);
    Ok(())
}

/// Node 3 dies (SIGKILL) once the deal is funded: the other three keep authoring and
/// finalizing, and the deal runs to its end with every step final. Restarted, node 3
/// catches up with node 0's finalized block and shows the same deal and balances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_killed_mid_deal_leaves_blocks_and_finality_going_and_catches_up_after_restart(
) -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = NetWorld::start().await?;
    let id = w.propose().await?;
    w.accept_and_fund(id).await?;

    // when: node 3 dies mid-deal
    w.kill(3);
    let killed = Instant::now();
    // then: the deal completes through nodes 0, 1 and 2, each step final
    w.finish(id).await?;
    eprintln!(
        "the deal's five last steps took {:?} with node 3 down",
        killed.elapsed()
    );

    // when: node 3 comes back
    w.net.restart(3);
    let (_, target) = w.net.heights(0)?;
    let restarted = Instant::now();
    w.net.wait_for(
        3,
        &format!("finalized #{target} (node 0's) after the restart"),
        CATCH_UP,
        |_, finalized| finalized >= target,
    )?;
    eprintln!(
        "node 3 finalized #{target} {:?} after its restart",
        restarted.elapsed()
    );

    // then: the deal, read through node 3, is the one node 0 shows (`now` is each node's
    // best block time), and so are the balances at node 0's finalized block
    let via = |w: &mut NetWorld, node: usize| {
        w.cli.url = w.net.url(node);
        let mut deal = w.cli.deal(id);
        deal["now"] = Json::Null;
        deal
    };
    let (through_3, through_0) = (via(&mut w, 3), via(&mut w, 0));
    assert_eq!(through_3, through_0);
    assert_eq!(through_3["deal"]["deal"]["status"], "Closed");
    let node3 = escrow_test_support::Chain::connect(&w.net.url(3)).await?;
    let finalized = w.chain.rpc.chain_get_finalized_head().await?;
    for (label, account) in &w.tracked {
        assert_eq!(
            node3.free_balance(account, finalized).await?,
            w.chain.free_balance(account, finalized).await?,
            "{label}'s balance at node 0's finalized block {finalized:?}, through node 3"
        );
    }
    w.cli.url = w.net.url(3);
    w.cli.assert_final_audit_ok(id);
    Ok(())
}

/// Nodes 2 and 3 die: the two left author their own slots, half of them, and GRANDPA (3 of
/// 4 needed) finalizes nothing. The buyer's acceptance and funding with `--wait finalized
/// --timeout 20s` lands in a block but is never final: exit 4, naming the hash and
/// `escrow tx-status`, and the buyer's nonce rose by exactly one. Node 2 comes back:
/// finality passes the transaction's block and `tx-status --wait finalized` says final.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_validators_down_stall_finality_and_a_finalized_wait_exits_4_without_resubmitting(
) -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = NetWorld::start().await?;
    let id = w.propose().await?;
    let (id_s, hash) = (id.to_string(), w.cli.terms_hash(id));

    // when: two of the four validators die
    w.kill(2);
    w.kill(3);
    // then: blocks go on; once two more are authored, any round voted before the kill is
    // over, and finality stays where it is on both survivors while the best block grows
    let (best, _) = w.net.heights(0)?;
    w.net
        .wait_for(0, "two blocks after the kill", CATCH_UP, |b, _| {
            b >= best + 2
        })?;
    let stalled = [w.net.heights(0)?, w.net.heights(1)?];
    let watched = Instant::now();
    loop {
        let now = [w.net.heights(0)?, w.net.heights(1)?];
        for node in 0..2 {
            assert_eq!(
                now[node].1, stalled[node].1,
                "node {node} finalized past #{} with two of four validators down",
                stalled[node].1
            );
        }
        if watched.elapsed() >= 3 * SLOT && now.iter().zip(&stalled).all(|(n, s)| n.0 > s.0) {
            eprintln!(
                "(best, finalized) of nodes 0 and 1: {stalled:?} -> {now:?} in {:?}",
                watched.elapsed()
            );
            break;
        }
        assert!(
            watched.elapsed() < CATCH_UP,
            "no new best block on both survivors within {CATCH_UP:?}: {stalled:?} -> {now:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // when: the buyer accepts and funds through node 0, waiting for finality for 20 s
    let nonce = w.nonce(BUYER.1).await?;
    w.on(0)?;
    let run = w.cli.run(&[
        "--suri",
        BUYER.1,
        "--json",
        "--wait",
        "finalized",
        "--timeout",
        "20s",
        "deal",
        "accept",
        &id_s,
        "--terms-hash",
        &hash,
        "--fund",
        "all",
    ]);
    // then: exit 4, the hash and how to check it; it was in a best block meanwhile
    eprintln!("escrow said:\n{}", run.err);
    let (tx_hash, from) = submitted(&run.err);
    run.fails(
        exit::UNKNOWN_OUTCOME,
        &[
            &format!(
                "error: transaction {tx_hash} was submitted but its outcome is unknown: not \
                 finalized after 20s\nit was NOT re-submitted. check the outcome before \
                 retrying: `escrow tx-status {tx_hash} --from <block it was signed at>`"
            ),
            "; waiting for finality\n",
        ],
    );
    assert_eq!(run.out, "", "{run:#?}");
    // and it is in a block exactly once: the nonce rose by one, no pool holds a copy
    let deadline = Instant::now() + CATCH_UP;
    while w.nonce(BUYER.1).await? == nonce {
        assert!(Instant::now() < deadline, "{tx_hash} not in a best block");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(w.nonce(BUYER.1).await?, nonce + 1);
    assert_eq!(w.net.pending_extrinsics(0), Vec::<String>::new());
    assert_eq!(w.net.pending_extrinsics(1), Vec::<String>::new());
    let status = w
        .cli
        .run(&["--json", "tx-status", &tx_hash, "--from", &from]);
    let found = status.json();
    assert_eq!(
        (&found["found"], &found["success"], &found["final"]),
        (&json!(true), &json!(true), &json!(false)),
        "{status:#?}"
    );
    let block = u32::try_from(found["block"].as_u64().expect("a block number"))?;

    // when: node 2 comes back
    w.net.restart(2);
    let restarted = Instant::now();
    // then: finality resumes past the transaction's block; tx-status says it is final
    w.net.wait_for(
        0,
        &format!("finality past #{block} after node 2's restart"),
        CATCH_UP,
        |_, finalized| finalized > block,
    )?;
    eprintln!(
        "finality passed #{block} {:?} after node 2's restart",
        restarted.elapsed()
    );
    let status = w.cli.run(&[
        "tx-status",
        &tx_hash,
        "--from",
        &from,
        "--wait",
        "finalized",
    ]);
    let out = status.ok();
    assert!(
        out.starts_with(&format!("{tx_hash} is in block #{block} ("))
            && out.contains(": succeeded; final (finalized #"),
        "{status:#?}"
    );
    assert_eq!(w.nonce(BUYER.1).await?, nonce + 1);
    w.last = block;
    w.funded();
    w.released(units(300));
    w.check("after the acceptance finalized late").await?;
    assert_eq!(w.cli.deal_status(id), "Active");
    assert_eq!(w.cli.milestone_status(id, 0), "Released");
    Ok(())
}

/// The buyer accepts and funds through node 1 with `--wait finalized`; once node 0 has the
/// transaction (in its pool or a block), node 1 dies. The CLI cannot know the outcome:
/// exit 4, saying the status stream was lost. Node 0 then finds the transaction in a
/// block, succeeded, and final.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_node_dying_mid_wait_is_reported_and_the_transaction_is_found_on_another_node(
) -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = NetWorld::start().await?;
    let id = w.propose().await?;
    let (id_s, hash) = (id.to_string(), w.cli.terms_hash(id));
    let nonce = w.nonce(BUYER.1).await?;

    // given: the acceptance submitted through node 1, the CLI waiting for finality
    w.on(1)?;
    let url_0 = w.net.url(0);
    let mut running = Streaming::start(
        &w.cli,
        &[
            "--suri",
            BUYER.1,
            "--json",
            "--wait",
            "finalized",
            "deal",
            "accept",
            &id_s,
            "--terms-hash",
            &hash,
            "--fund",
            "all",
        ],
    );
    let line = running.wait_line(Pipe::Err, "submitting tx ", CATCH_UP);
    let (tx_hash, from) = submitted(&line);
    // and node 0 has it: in its pool, or already in a block
    let deadline = Instant::now() + CATCH_UP;
    let seen = loop {
        if w.net.pending_extrinsics(0).contains(&tx_hash) {
            break "in node 0's pool";
        }
        let status = w
            .cli
            .run(&["--url", &url_0, "tx-status", &tx_hash, "--from", &from]);
        if status.code == exit::OK {
            break "in a block of node 0";
        }
        assert!(
            Instant::now() < deadline,
            "{tx_hash} neither in node 0's pool nor in a block: {status:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!("{tx_hash} is {seen}; killing node 1");

    // when: node 1 dies
    w.kill(1);
    // then: the CLI cannot know the outcome: exit 4, and why
    let run = running.finish(CATCH_UP);
    eprintln!("escrow said:\n{}", run.err);
    run.fails(
        exit::UNKNOWN_OUTCOME,
        &[&format!(
            "error: transaction {tx_hash} was submitted but its outcome is unknown: {}",
            NODE_GONE
        )],
    );

    // then: node 0 has it in a block, succeeded, and soon final
    w.on(0)?;
    let deadline = Instant::now() + CATCH_UP;
    let found = loop {
        let status = w
            .cli
            .run(&["--json", "tx-status", &tx_hash, "--from", &from]);
        if status.code == exit::OK {
            break status.json();
        }
        status.fails(exit::UNKNOWN_OUTCOME, &["yet; it may still be included"]);
        assert!(
            Instant::now() < deadline,
            "{tx_hash} not in a block of node 0"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(
        (&found["found"], &found["success"]),
        (&json!(true), &json!(true)),
        "{found}"
    );
    let block = u32::try_from(found["block"].as_u64().expect("a block number"))?;
    w.net
        .wait_for(0, &format!("#{block} final"), CATCH_UP, |_, finalized| {
            finalized >= block
        })?;
    w.cli
        .run(&[
            "tx-status",
            &tx_hash,
            "--from",
            &from,
            "--wait",
            "finalized",
        ])
        .ok();
    assert_eq!(w.nonce(BUYER.1).await?, nonce + 1);
    w.last = block;
    w.funded();
    w.released(units(300));
    w.check("after the acceptance through the node that died")
        .await?;
    assert_eq!(
        amount(&w.cli.deal(id)["deal"]["deal"]["deposited"]),
        units(TOTAL)
    );
    Ok(())
}

/// What `escrow` says when the node it waits on goes away (the status subscription ends).
const NODE_GONE: &str = "the status stream ended (disconnected?)";
