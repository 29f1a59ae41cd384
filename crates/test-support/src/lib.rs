//! # escrow-test-support
//!
//! The one harness behind every test suite that needs a chain or the `escrow` binary
//! (`cli/tests`, `e2e-tests/tests`):
//!
//! - [`node`]: a local `escrow-node --dev` per test ([`TestNode`]), on the RPC port the
//!   node picks and reports, killed when dropped, on the same port after a restart.
//! - [`network`]: a local network of validators (`escrow-node --chain local-N`) as real
//!   processes ([`TestNetwork`]), to kill and restart, their heights and pools read.
//! - [`cli`]: the real `escrow` binary with its own state directory ([`Escrow`]), its
//!   outcome ([`Run`], [`Tx`]) and the documented exit codes ([`exit`]); [`stream`]: one
//!   running in the background, read line by line.
//! - [`ledger`]: exact free balances of every account a scenario involves, with the chain's
//!   transaction fees and storage deposits read from its events; and exact balances of a
//!   token deal's PSP22 token ([`TokenLedger`]).
//! - [`chain`]: the few raw chain operations the tests share (submit a call, seal a block,
//!   dry-run through a runtime API), over the client library's one [`Chain`] type.
//! - [`carrier`]: a DCSA Track & Trace 2.2 carrier simulator (`GET /v2/events` with
//!   faults: 5xx, delays, malformed entries) for the oracle service's tests, bench and demo;
//!   also the `carrier-sim` binary.
//! - [`accounts`], [`artifacts`]: the development accounts; where the node, the bundles and
//!   the `escrow` binary are, and whether the chain tests can run ([`chain_available`]).

pub mod accounts;
pub mod artifacts;
pub mod carrier;
pub mod chain;
pub mod cli;
pub mod ledger;
pub mod network;
pub mod node;
pub mod stream;

pub use artifacts::chain_available;
pub use cli::{exit, Escrow, Run, Tx};
pub use escrow_client::Chain;
pub use ledger::{Ledger, TokenLedger};
pub use network::TestNetwork;
pub use node::TestNode;

/// Errors of the helpers and of tests that return a `Result`.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result of the helpers and of tests that return one.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One token: 12 decimals.
pub const UNIT: u128 = 1_000_000_000_000;

/// `n` whole tokens in the smallest unit.
pub const fn units(n: u128) -> u128 {
    n * UNIT
}

/// Runs a future to its end on a fresh single-threaded runtime, for tests that are not
/// `async` themselves.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}
