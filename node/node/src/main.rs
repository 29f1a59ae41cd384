//! `escrow-node`: the milestone-escrow local chain.
//!
//! A substrate-contracts-node equivalent built from polkadot-sdk stable2409 crates, because
//! that binary cannot be downloaded everywhere we build. Two modes:
//! - `--dev`: it seals a block as soon as a transaction arrives (instant seal), so a contract
//!   call is in a block within milliseconds, and optionally finalizes blocks after
//!   `--finalize-delay-sec` seconds;
//! - `--chain local` (or `local-N`): a network of validators named from the dev keys
//!   (`--alice`, `--bob`, ...), Aura authoring a block every 3 s and GRANDPA finalizing.

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
