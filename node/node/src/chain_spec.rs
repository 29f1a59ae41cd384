//! Chain specifications: the development chain (instant seal) and the local network (Aura and
//! GRANDPA across validators named from the well-known dev keys).

use escrow_node_runtime::{AccountId, TOKEN_DECIMALS, TOKEN_SYMBOL, SS58_PREFIX, UNIT, WASM_BINARY};
use sc_service::ChainType;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::Pair;
use sp_keyring::AccountKeyring;

/// The chain spec type of this node.
pub type ChainSpec = sc_service::GenericChainSpec;

/// What each development account holds at genesis: a million tokens.
pub const ENDOWMENT: u128 = 1_000_000 * UNIT;

/// The well-known dev keys, in the order validators take them (`--alice`, `--bob`, ...).
const DEV_KEYS: [AccountKeyring; 6] = {
	use AccountKeyring::*;
	[Alice, Bob, Charlie, Dave, Eve, Ferdie]
};

/// How many validators `--chain local` has.
pub const LOCAL_VALIDATORS: usize = 4;

/// The development chain (`--dev`): instant seal, Alice is sudo; Alice..Ferdie hold
/// [`ENDOWMENT`] each. Alice is also its Aura and GRANDPA authority, which instant seal never
/// uses.
pub fn development_config() -> Result<ChainSpec, String> {
	build(
		"Milestone Escrow Development",
		"escrow_dev",
		ChainType::Development,
		&DEV_KEYS[..1],
	)
}

/// The local network (`--chain local`, or `--chain local-N` for N validators, 1 to 6): the
/// first N dev keys author blocks with Aura and vote with GRANDPA. Same accounts and sudo as
/// the development chain.
pub fn local_config(validators: usize) -> Result<ChainSpec, String> {
	if !(1..=DEV_KEYS.len()).contains(&validators) {
		return Err(format!(
			"a local network has 1 to {} validators (the dev keys Alice..Ferdie), not {validators}",
			DEV_KEYS.len()
		));
	}
	let id = format!("escrow_local_{validators}");
	build(
		&format!("Milestone Escrow Local Network ({validators} validators)"),
		&id,
		ChainType::Local,
		&DEV_KEYS[..validators],
	)
}

/// Resolves `local` and `local-N` to the number of validators; `None` for other ids.
pub fn local_validators(id: &str) -> Option<Result<usize, String>> {
	if id == "local" {
		return Some(Ok(LOCAL_VALIDATORS));
	}
	let count = id.strip_prefix("local-")?;
	Some(count.parse().map_err(|_| format!("--chain {id}: expected local-N with N a number")))
}

fn build(
	name: &str,
	id: &str,
	chain_type: ChainType,
	validators: &[AccountKeyring],
) -> Result<ChainSpec, String> {
	let wasm = WASM_BINARY.ok_or_else(|| "runtime wasm binary not available".to_string())?;
	let mut properties = sc_service::Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());

	let balances: Vec<(AccountId, u128)> =
		DEV_KEYS.iter().map(|k| (k.to_account_id(), ENDOWMENT)).collect();
	let aura: Vec<AuraId> = validators.iter().map(|k| k.public().into()).collect();
	let grandpa: Vec<(GrandpaId, u64)> = validators
		.iter()
		.map(|k| (grandpa_key(*k), 1))
		.collect();
	let genesis = serde_json::json!({
		"balances": { "balances": balances },
		"sudo": { "key": Some(AccountKeyring::Alice.to_account_id()) },
		"aura": { "authorities": aura },
		"grandpa": { "authorities": grandpa },
	});

	Ok(ChainSpec::builder(wasm, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_patch(genesis)
		.with_properties(properties)
		.build())
}

/// The GRANDPA (ed25519) key that `--alice`-style flags put in a validator's keystore: the
/// same seed (`//Alice`) as its sr25519 keys.
fn grandpa_key(key: AccountKeyring) -> GrandpaId {
	sp_core::ed25519::Pair::from_string(&key.to_seed(), None)
		.expect("the dev seeds are valid")
		.public()
		.into()
}
