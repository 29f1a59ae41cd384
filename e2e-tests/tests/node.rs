//! The local chain on its own: start-up, chain properties, a balance transfer, and a
//! restart on a persistent base path.

use escrow_test_support::{
    accounts::{dev_keypair, fresh_account},
    chain::{submit, Transfer},
    Chain, Result, TestNode, UNIT,
};
use subxt::{dynamic::Value, utils::AccountId32};

/// `Balances::transfer_keep_alive(dest, value)`.
fn transfer_keep_alive(dest: &AccountId32, value: u128) -> subxt::tx::DynamicPayload {
    subxt::dynamic::tx(
        "Balances",
        "transfer_keep_alive",
        vec![
            Value::unnamed_variant("Id", [Value::from_bytes(dest.0)]),
            Value::u128(value),
        ],
    )
}

/// Transfers `amount` from Alice to a fresh account and checks the event and the exact
/// balances. Returns the payee and the block the transfer landed in.
async fn transfer_to_fresh_account(chain: &Chain, amount: u128) -> Result<(AccountId32, u32)> {
    let alice = dev_keypair("//Alice");
    let alice_id: AccountId32 = alice.public_key().into();
    let payee = fresh_account();
    let (before_hash, before_number) = chain.best().await?;
    assert_eq!(chain.free_balance(&payee, before_hash).await?, 0);

    let (block, events) = submit(chain, &transfer_keep_alive(&payee, amount), &alice).await?;

    let transfer = events
        .find_first::<Transfer>()?
        .ok_or("no Balances::Transfer event")?;
    assert_eq!(transfer.from, alice_id);
    assert_eq!(transfer.to, payee);
    assert_eq!(transfer.amount, amount);
    assert_eq!(chain.free_balance(&payee, block).await?, amount);
    let number = chain
        .rpc
        .chain_get_header(Some(block))
        .await?
        .ok_or("no header for the transfer's block")?
        .number;
    assert!(
        number > before_number,
        "the transfer's block {number} is not after {before_number}"
    );
    Ok((payee, number))
}

#[tokio::test]
async fn node_starts_reports_properties_and_transfers() -> Result<()> {
    // given
    let node = TestNode::start();
    eprintln!(
        "escrow-node RPC ready after {:?} at {}",
        node.ready_after(),
        node.url()
    );
    let chain = Chain::connect(&node.url()).await?;

    // then: the chain describes its token like substrate-contracts-node
    let properties = chain.rpc.system_properties().await?;
    assert_eq!(
        properties.get("tokenSymbol"),
        Some(&serde_json::json!("UNIT"))
    );
    assert_eq!(
        properties.get("tokenDecimals"),
        Some(&serde_json::json!(12))
    );
    assert_eq!(properties.get("ss58Format"), Some(&serde_json::json!(42)));
    let health = chain.rpc.system_health().await?;
    assert!(!health.is_syncing);

    // when / then
    transfer_to_fresh_account(&chain, 5 * UNIT).await?;
    Ok(())
}

#[tokio::test]
async fn node_keeps_its_state_across_a_restart() -> Result<()> {
    // given: a chain on a persistent base path with one transfer in it
    let mut node = TestNode::start_persistent();
    let chain = Chain::connect(&node.url()).await?;
    let amount = 7 * UNIT;
    let (payee, block_number) = transfer_to_fresh_account(&chain, amount).await?;
    drop(chain);

    // when
    node.stop()?;
    node.restart();
    eprintln!(
        "escrow-node restarted, RPC ready after {:?}",
        node.ready_after()
    );
    let chain = Chain::connect(&node.url()).await?;

    // then
    let (best_hash, best_number) = chain.best().await?;
    assert!(
        best_number >= block_number,
        "best block {best_number} after restart is before the transfer's block {block_number}"
    );
    assert_eq!(chain.free_balance(&payee, best_hash).await?, amount);
    Ok(())
}
