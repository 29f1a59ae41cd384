//! # escrow-client
//!
//! The library every Rust client of the milestone-escrow contract uses: the `escrow` CLI
//! (a thin clap layer over it), the bench and the test suites. It exists so that there is
//! one implementation of each thing that is easy to get subtly wrong — how a call is
//! dry-run, signed, submitted *once* and waited for; how return values and events are
//! decoded; which code an address must run to be trusted — instead of one per tool.
//!
//! - [`Chain`] ([`chain`]): one connection per run (metadata once, token once); raw
//!   dry-runs, storage, events.
//! - [`Escrow`] ([`escrow`]): an instance whose code hash was checked; typed reads
//!   ([`escrow::Reads`]: deal, milestone, deal lists, config, claimable) and calls.
//! - [`messages`]: one typed function per contract message.
//! - [`submit`]: dry-run → sign (mortal) → submit → wait; never re-submits (a call the pool
//!   refused as outdated is signed once more: it never entered the pool).
//! - [`oracle`]: the oracle service: condition documents, DCSA tracking events, the feed
//!   client, and the pass that attests milestones whose condition holds.
//! - [`token`]: PSP22 tokens (the assets of token deals): metadata, balances, allowances,
//!   `approve`; an address that is not a usable token is refused naming it.
//! - [`audit`]: every deal and the contract's solvency checked from the chain alone, its
//!   events found along their trails.
//! - [`contract`]: selectors, dry-run results, events — decoded with `escrow_types`.
//! - [`trust`]: which code hashes to trust, and the check.
//! - [`artifacts`]: where the built bundles are; reading one.
//! - [`config`], [`keystore`], [`lock`]: the user's state directory (recorded deployments,
//!   encrypted accounts, per-account signing locks).
//! - [`accounts`], [`units`]: accounts, amounts, durations, dates and hashes as people type
//!   them.
//! - [`error`]: one error type with the documented exit codes.

pub mod accounts;
pub mod artifacts;
pub mod audit;
pub mod chain;
pub mod config;
pub mod contract;
pub mod error;
pub mod escrow;
pub mod keystore;
pub mod lock;
pub mod messages;
pub mod oracle;
pub mod submit;
pub mod token;
pub mod trust;
pub mod units;

pub use chain::Chain;
pub use error::{ClientError, Result};
pub use escrow::Escrow;
