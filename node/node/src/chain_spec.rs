//! Chain specifications: only a development chain, with Alice..Ferdie endowed.

use escrow_node_runtime::{AccountId, TOKEN_DECIMALS, TOKEN_SYMBOL, SS58_PREFIX, UNIT, WASM_BINARY};
use sc_service::ChainType;
use sp_keyring::AccountKeyring;

/// The chain spec type of this node.
pub type ChainSpec = sc_service::GenericChainSpec;

/// What each development account holds at genesis: a million tokens.
pub const ENDOWMENT: u128 = 1_000_000 * UNIT;

fn dev_accounts() -> Vec<AccountId> {
	use AccountKeyring::*;
	[Alice, Bob, Charlie, Dave, Eve, Ferdie]
		.into_iter()
		.map(|k| k.to_account_id())
		.collect()
}

/// The development chain: Alice is sudo; Alice..Ferdie hold [`ENDOWMENT`] each.
pub fn development_config() -> Result<ChainSpec, String> {
	let wasm = WASM_BINARY.ok_or_else(|| "runtime wasm binary not available".to_string())?;
	let mut properties = sc_service::Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());

	let balances: Vec<(AccountId, u128)> =
		dev_accounts().into_iter().map(|a| (a, ENDOWMENT)).collect();
	let genesis = serde_json::json!({
		"balances": { "balances": balances },
		"sudo": { "key": Some(AccountKeyring::Alice.to_account_id()) },
	});

	Ok(ChainSpec::builder(wasm, None)
		.with_name("Milestone Escrow Development")
		.with_id("escrow_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_patch(genesis)
		.with_properties(properties)
		.build())
}
