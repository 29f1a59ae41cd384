//! The node's RPC methods beyond the built-in ones: account nonces and fee queries, which
//! wallets (subxt, polkadot.js, cargo-contract) use, and on the development chain
//! `engine_createBlock`, which seals a block on demand (empty ones too: a long chain for the
//! audit benchmark is sealed this way).

use std::sync::Arc;

use escrow_node_runtime::{opaque::Block, AccountId, Balance, Hash, Nonce};
use jsonrpsee::RpcModule;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC extensions need.
pub struct FullDeps<C, P> {
	pub client: Arc<C>,
	pub pool: Arc<P>,
	/// The instant-seal engine's command channel (development chain only).
	pub manual_seal: Option<futures::channel::mpsc::Sender<EngineCommand<Hash>>>,
}

/// A command to the development chain's sealing engine.
pub type EngineCommand<H> = sc_consensus_manual_seal::EngineCommand<H>;

/// Builds the RPC extensions.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BlockBuilder<Block>,
	P: TransactionPool + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	use sc_consensus_manual_seal::rpc::{ManualSeal, ManualSealApiServer};

	let FullDeps { client, pool, manual_seal } = deps;
	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client).into_rpc())?;
	if let Some(sender) = manual_seal {
		module.merge(ManualSeal::new(sender).into_rpc())?;
	}
	Ok(module)
}
