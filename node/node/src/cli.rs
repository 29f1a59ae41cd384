//! Command-line interface of the node: the standard Substrate `run` flags plus our own.

/// Sub-commands for chain maintenance.
#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
	/// Key management: generate a node key (its peer id for `--bootnodes`), inspect keys,
	/// insert a validator's keys into a keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),
	/// Build a chain specification.
	BuildSpec(sc_cli::BuildSpecCmd),
	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),
}

#[derive(Debug, clap::Parser)]
#[command(
	propagate_version = true,
	args_conflicts_with_subcommands = true,
	subcommand_negates_reqs = true
)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// Development chain only: finalize each block this many seconds after it is sealed.
	/// Without it, blocks are sealed instantly but never finalized (like
	/// substrate-contracts-node without the flag). A local network finalizes with GRANDPA.
	#[arg(long)]
	pub finalize_delay_sec: Option<u64>,
}
