//! Parses the command line and runs the node or a maintenance sub-command.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use sc_cli::SubstrateCli;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Milestone Escrow Node".into()
	}

	fn impl_version() -> String {
		env!("CARGO_PKG_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		"milestone-escrow".into()
	}

	fn support_url() -> String {
		"see the project's README".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		if let Some(validators) = chain_spec::local_validators(id) {
			return Ok(Box::new(chain_spec::local_config(validators?)?));
		}
		Ok(match id {
			"" | "dev" => Box::new(chain_spec::development_config()?),
			path =>
				Box::new(chain_spec::ChainSpec::from_json_file(std::path::PathBuf::from(path))?),
		})
	}
}

/// Runs the node.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args();

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let finalize_delay_sec = cli.finalize_delay_sec;
			runner.run_node_until_exit(|config| async move {
				service::new_full(config, finalize_delay_sec).map_err(sc_cli::Error::Service)
			})
		},
	}
}
