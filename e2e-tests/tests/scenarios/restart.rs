//! A node restart in the middle of a deal.

use escrow_test_support::{chain_available, units, Chain, Result};

use crate::world::{World, BUYER, SELLER};

/// The node stops in the middle of a deal and restarts on the same base path: the deal,
/// the balances and the contract are where they were, and the deal runs to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_restart_between_steps_of_a_deal() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER], true).await?;
    let (id, _) = w.seller_proposes_buyer_funds(
        &[
            "--buyer",
            BUYER.1,
            "--milestone",
            "600",
            "--milestone",
            "400",
        ],
        1_000,
    );
    let id_s = id.to_string();
    w.submit(&id_s, "0", "0a");
    w.check("before the restart").await?;
    let before = w.cli.deal(id);
    let (_, height) = w.chain.best().await?;

    // when: the node stops and starts again (on the same port: the CLI's URL still holds)
    w.node.stop()?;
    w.node.restart();
    eprintln!("node restarted in {:?}", w.node.ready_after());
    assert_eq!(w.node.url(), w.cli.url);
    w.chain = Chain::connect(&w.node.url()).await?;

    // then: same height, same deal, same balances
    let (_, height_after) = w.chain.best().await?;
    assert_eq!(height_after, height);
    assert_eq!(w.cli.deal(id), before);
    w.check("after the restart").await?;

    // and the deal continues
    let tx = w.cli.tx(BUYER.1, &["deal", "approve", &id_s, "0"]);
    assert_eq!(tx.events(), ["MilestoneReleased"]);
    w.released(units(600));
    w.submit(&id_s, "1", "0b");
    let tx = w.cli.tx(BUYER.1, &["deal", "approve", &id_s, "1"]);
    assert_eq!(tx.events(), ["MilestoneReleased"]);
    w.released(units(400));
    w.check("after the deal closed").await?;
    w.cli.assert_audit_ok(id);
    Ok(())
}
