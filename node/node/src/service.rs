//! Wires the client, transaction pool, network, RPC and instant-seal authoring together.
//!
//! Instant seal: the authoring task seals a block whenever the pool gets a transaction.
//! There is no other consensus: this chain is for one machine and its tests.

use std::sync::Arc;

use escrow_node_runtime::{opaque::Block, RuntimeApi};
use sc_executor::WasmExecutor;
use sc_service::{error::Error as ServiceError, Configuration, TaskManager};
use sp_runtime::traits::Block as BlockT;

type HostFunctions = sp_io::SubstrateHostFunctions;
type FullClient = sc_service::TFullClient<Block, RuntimeApi, WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;

/// Builds and starts the full node.
pub fn new_full(
	config: Configuration,
	finalize_delay_sec: Option<u64>,
) -> Result<TaskManager, ServiceError> {
	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, mut task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(&config, None, executor)?;
	let client: Arc<FullClient> = Arc::new(client);
	let select_chain: FullSelectChain = sc_consensus::LongestChain::new(backend.clone());

	let import_queue = sc_consensus_manual_seal::import_queue(
		Box::new(client.clone()),
		&task_manager.spawn_essential_handle(),
		config.prometheus_registry(),
	);

	let transaction_pool = sc_transaction_pool::BasicPool::new_full(
		config.transaction_pool.clone(),
		config.role.is_authority().into(),
		config.prometheus_registry(),
		task_manager.spawn_essential_handle(),
		client.clone(),
	);

	type Network = sc_network::NetworkWorker<Block, <Block as BlockT>::Hash>;
	let net_config = sc_network::config::FullNetworkConfiguration::<
		Block,
		<Block as BlockT>::Hash,
		Network,
	>::new(&config.network, config.prometheus_registry().cloned());
	let metrics = <Network as sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>::register_notification_metrics(
		config.prometheus_registry(),
	);

	let (network, system_rpc_tx, tx_handler_controller, network_starter, sync_service) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: None,
			block_relay: None,
			metrics,
		})?;

	let rpc_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		Box::new(move |_| {
			let deps = crate::rpc::FullDeps { client: client.clone(), pool: pool.clone() };
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};

	let prometheus_registry = config.prometheus_registry().cloned();
	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network,
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service,
		config,
		telemetry: None,
	})?;

	let proposer = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool.clone(),
		prometheus_registry.as_ref(),
		None,
	);

	let params = sc_consensus_manual_seal::InstantSealParams {
		block_import: client.clone(),
		env: proposer,
		client: client.clone(),
		pool: transaction_pool,
		select_chain,
		consensus_data_provider: None,
		create_inherent_data_providers: move |_, ()| async move {
			Ok(sp_timestamp::InherentDataProvider::from_system_time())
		},
	};
	task_manager.spawn_essential_handle().spawn_blocking(
		"instant-seal",
		None,
		sc_consensus_manual_seal::run_instant_seal(params),
	);

	if let Some(delay_sec) = finalize_delay_sec {
		task_manager.spawn_essential_handle().spawn_blocking(
			"delayed-finalize",
			None,
			sc_consensus_manual_seal::run_delayed_finalize(
				sc_consensus_manual_seal::DelayedFinalizeParams {
					client,
					spawn_handle: task_manager.spawn_handle(),
					delay_sec,
				},
			),
		);
	}

	network_starter.start_network();
	Ok(task_manager)
}
