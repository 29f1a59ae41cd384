//! Wires the client, transaction pool, network, RPC and block authoring together.
//!
//! Two ways to author blocks, chosen by the chain spec's type:
//! - a development chain (`--dev`): instant seal. The authoring task seals a block whenever the
//!   pool gets a transaction, or when the `engine_createBlock` RPC asks it to (an empty block
//!   included); blocks are final only with `--finalize-delay-sec`.
//! - any other chain (`--chain local`): Aura authors a block per slot on the validators whose
//!   keys are in the keystore, and GRANDPA finalizes. Every node runs the GRANDPA voter; only
//!   the ones with a GRANDPA key vote.

use std::{sync::Arc, time::Duration};

use escrow_node_runtime::{opaque::Block, RuntimeApi};
use sc_client_api::BlockBackend;
use sc_consensus_aura::{ImportQueueParams, SlotProportion, StartAuraParams};
use sc_executor::WasmExecutor;
use sc_service::{error::Error as ServiceError, ChainType, Configuration, TaskManager};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_consensus_aura::sr25519::{AuthorityId as AuraId, AuthorityPair as AuraPair};
use sp_runtime::traits::Block as BlockT;

type HostFunctions = sp_io::SubstrateHostFunctions;
type FullClient = sc_service::TFullClient<Block, RuntimeApi, WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type FullPool = sc_transaction_pool::FullPool<Block, FullClient>;
type Network = sc_network::NetworkWorker<Block, <Block as BlockT>::Hash>;
type NetConfig =
	sc_network::config::FullNetworkConfiguration<Block, <Block as BlockT>::Hash, Network>;

/// How often GRANDPA writes a justification to the database (every block is still finalized).
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// Builds and starts the full node, authoring as the chain spec's type says.
pub fn new_full(
	config: Configuration,
	finalize_delay_sec: Option<u64>,
) -> Result<TaskManager, ServiceError> {
	if config.chain_spec.chain_type() == ChainType::Development {
		return new_instant_seal(config, finalize_delay_sec);
	}
	if finalize_delay_sec.is_some() {
		return Err(ServiceError::Other(
			"--finalize-delay-sec is for the development chain (--dev); on a network GRANDPA \
			 finalizes"
				.into(),
		));
	}
	new_aura_grandpa(config)
}

/// What both ways of authoring share: client, backend, keystore, tasks, pool.
struct Parts {
	client: Arc<FullClient>,
	backend: Arc<FullBackend>,
	keystore: sp_keystore::KeystorePtr,
	task_manager: TaskManager,
	select_chain: FullSelectChain,
	pool: Arc<FullPool>,
}

fn new_parts(config: &Configuration) -> Result<Parts, ServiceError> {
	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(config, None, executor)?;
	let client: Arc<FullClient> = Arc::new(client);
	let select_chain = sc_consensus::LongestChain::new(backend.clone());
	let pool = sc_transaction_pool::BasicPool::new_full(
		config.transaction_pool.clone(),
		config.role.is_authority().into(),
		config.prometheus_registry(),
		task_manager.spawn_essential_handle(),
		client.clone(),
	);
	Ok(Parts {
		client,
		backend,
		keystore: keystore_container.keystore(),
		task_manager,
		select_chain,
		pool,
	})
}

/// The network half: peers, sync, and the RPC server with our RPC methods.
struct Running {
	network: Arc<dyn sc_network::service::traits::NetworkService>,
	sync: Arc<sc_network_sync::SyncingService<Block>>,
	starter: sc_service::NetworkStarter,
}

fn start_network_and_rpc(
	parts: &mut Parts,
	config: Configuration,
	net_config: NetConfig,
	metrics: sc_network::service::NotificationMetrics,
	import_queue: sc_consensus::DefaultImportQueue<Block>,
	manual_seal: Option<SealSender>,
) -> Result<Running, ServiceError> {
	let (network, system_rpc_tx, tx_handler_controller, starter, sync) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: parts.client.clone(),
			transaction_pool: parts.pool.clone(),
			spawn_handle: parts.task_manager.spawn_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: None,
			block_relay: None,
			metrics,
		})?;

	let rpc_builder = {
		let client = parts.client.clone();
		let pool = parts.pool.clone();
		Box::new(move |_| {
			let deps = crate::rpc::FullDeps {
				client: client.clone(),
				pool: pool.clone(),
				manual_seal: manual_seal.clone(),
			};
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};
	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: network.clone(),
		client: parts.client.clone(),
		keystore: parts.keystore.clone(),
		task_manager: &mut parts.task_manager,
		transaction_pool: parts.pool.clone(),
		rpc_builder,
		backend: parts.backend.clone(),
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync.clone(),
		config,
		telemetry: None,
	})?;
	Ok(Running { network, sync, starter })
}

fn proposer(
	parts: &Parts,
	registry: Option<&prometheus_endpoint::Registry>,
) -> sc_basic_authorship::ProposerFactory<FullPool, FullClient, sp_consensus::DisableProofRecording>
{
	sc_basic_authorship::ProposerFactory::new(
		parts.task_manager.spawn_handle(),
		parts.client.clone(),
		parts.pool.clone(),
		registry,
		None,
	)
}

/// The sending half of the instant-seal engine's commands.
type SealSender =
	futures::channel::mpsc::Sender<crate::rpc::EngineCommand<<Block as BlockT>::Hash>>;

/// `--dev`: a block per transaction, sealed at once, and a block whenever `engine_createBlock`
/// asks for one.
fn new_instant_seal(
	config: Configuration,
	finalize_delay_sec: Option<u64>,
) -> Result<TaskManager, ServiceError> {
	let mut parts = new_parts(&config)?;
	let import_queue = sc_consensus_manual_seal::import_queue(
		Box::new(parts.client.clone()),
		&parts.task_manager.spawn_essential_handle(),
		config.prometheus_registry(),
	);
	let net_config = NetConfig::new(&config.network, config.prometheus_registry().cloned());
	let metrics = <Network as sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>::register_notification_metrics(
		config.prometheus_registry(),
	);
	let registry = config.prometheus_registry().cloned();
	let (seal_tx, seal_rx) = futures::channel::mpsc::channel(1024);
	let running =
		start_network_and_rpc(&mut parts, config, net_config, metrics, import_queue, Some(seal_tx))?;

	// What `run_instant_seal` does (a block for every transaction the pool imports), with the
	// RPC's commands merged in.
	use futures::StreamExt;
	use sc_transaction_pool_api::TransactionPool;
	let on_transaction = parts.pool.import_notification_stream().map(|_| {
		sc_consensus_manual_seal::EngineCommand::SealNewBlock {
			create_empty: true,
			finalize: false,
			parent_hash: None,
			sender: None,
		}
	});
	let params = sc_consensus_manual_seal::ManualSealParams {
		block_import: parts.client.clone(),
		env: proposer(&parts, registry.as_ref()),
		client: parts.client.clone(),
		pool: parts.pool.clone(),
		commands_stream: futures::stream::select(on_transaction, seal_rx),
		select_chain: parts.select_chain.clone(),
		consensus_data_provider: None,
		create_inherent_data_providers: move |_, ()| async move {
			Ok(sp_timestamp::InherentDataProvider::from_system_time())
		},
	};
	parts.task_manager.spawn_essential_handle().spawn_blocking(
		"instant-seal",
		None,
		sc_consensus_manual_seal::run_manual_seal(params),
	);

	if let Some(delay_sec) = finalize_delay_sec {
		parts.task_manager.spawn_essential_handle().spawn_blocking(
			"delayed-finalize",
			None,
			sc_consensus_manual_seal::run_delayed_finalize(
				sc_consensus_manual_seal::DelayedFinalizeParams {
					client: parts.client.clone(),
					spawn_handle: parts.task_manager.spawn_handle(),
					delay_sec,
				},
			),
		);
	}

	running.starter.start_network();
	Ok(parts.task_manager)
}

/// The inherents of a block in a slot: its timestamp (now) and the slot that time falls in.
fn slot_inherents(
	slot_duration: sp_consensus_aura::SlotDuration,
) -> (sp_consensus_aura::inherents::InherentDataProvider, sp_timestamp::InherentDataProvider) {
	let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
	let slot =
		sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
			*timestamp,
			slot_duration,
		);
	(slot, timestamp)
}

/// `--chain local`: Aura authoring and GRANDPA finality.
fn new_aura_grandpa(config: Configuration) -> Result<TaskManager, ServiceError> {
	let mut parts = new_parts(&config)?;
	let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
		parts.client.clone(),
		GRANDPA_JUSTIFICATION_PERIOD,
		&parts.client,
		parts.select_chain.clone(),
		None,
	)?;
	let slot_duration = sc_consensus_aura::slot_duration::<AuraId, _, _>(&*parts.client)?;

	let import_queue =
		sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(ImportQueueParams {
			block_import: grandpa_block_import.clone(),
			justification_import: Some(Box::new(grandpa_block_import.clone())),
			client: parts.client.clone(),
			create_inherent_data_providers: move |_, ()| async move {
				Ok(slot_inherents(slot_duration))
			},
			spawner: &parts.task_manager.spawn_essential_handle(),
			registry: config.prometheus_registry(),
			check_for_equivocation: Default::default(),
			telemetry: None,
			compatibility_mode: Default::default(),
		})?;

	let mut net_config = NetConfig::new(&config.network, config.prometheus_registry().cloned());
	let metrics = <Network as sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>::register_notification_metrics(
		config.prometheus_registry(),
	);
	let genesis = parts.client.block_hash(0).ok().flatten().expect("the genesis block exists");
	let grandpa_protocol_name =
		sc_consensus_grandpa::protocol_standard_name(&genesis, &config.chain_spec);
	let (grandpa_protocol_config, grandpa_notifications) =
		sc_consensus_grandpa::grandpa_peers_set_config::<_, Network>(
			grandpa_protocol_name.clone(),
			metrics.clone(),
			net_config.peer_store_handle(),
		);
	net_config.add_notification_protocol(grandpa_protocol_config);

	let role = config.role;
	let force_authoring = config.force_authoring;
	let name = config.network.node_name.clone();
	let registry = config.prometheus_registry().cloned();
	let running = start_network_and_rpc(&mut parts, config, net_config, metrics, import_queue, None)?;

	if role.is_authority() {
		let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(
			StartAuraParams {
				slot_duration,
				client: parts.client.clone(),
				select_chain: parts.select_chain.clone(),
				block_import: grandpa_block_import,
				proposer_factory: proposer(&parts, registry.as_ref()),
				create_inherent_data_providers: move |_, ()| async move {
					Ok(slot_inherents(slot_duration))
				},
				force_authoring,
				backoff_authoring_blocks: Option::<()>::None,
				keystore: parts.keystore.clone(),
				sync_oracle: running.sync.clone(),
				justification_sync_link: running.sync.clone(),
				block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
				max_block_proposal_slot_portion: None,
				telemetry: None,
				compatibility_mode: Default::default(),
			},
		)?;
		parts.task_manager.spawn_essential_handle().spawn_blocking(
			"aura",
			Some("block-authoring"),
			aura,
		);
	}

	let grandpa = sc_consensus_grandpa::GrandpaParams {
		config: sc_consensus_grandpa::Config {
			gossip_duration: Duration::from_millis(333),
			justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
			name: Some(name),
			observer_enabled: false,
			keystore: role.is_authority().then(|| parts.keystore.clone()),
			local_role: role,
			telemetry: None,
			protocol_name: grandpa_protocol_name,
		},
		link: grandpa_link,
		network: running.network.clone(),
		sync: running.sync.clone(),
		notification_service: grandpa_notifications,
		voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
		prometheus_registry: registry,
		shared_voter_state: sc_consensus_grandpa::SharedVoterState::empty(),
		telemetry: None,
		offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(parts.pool.clone()),
	};
	parts.task_manager.spawn_essential_handle().spawn_blocking(
		"grandpa-voter",
		None,
		sc_consensus_grandpa::run_grandpa_voter(grandpa)?,
	);

	running.starter.start_network();
	Ok(parts.task_manager)
}
