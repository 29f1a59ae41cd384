//! Scenarios: the real `escrow` binary against a fresh `escrow-node` per test, playing whole
//! deals and asserting the exact free balance of every account involved after each money
//! movement — buyer, seller, oracles, arbiter, a bystander, the fee recipient and the
//! contract. Transaction fees and storage deposits are read from the chain's events (see
//! `escrow_test_support::ledger`); the escrow's own payouts are computed here from the
//! terms. A deal in the stablecoin is checked the same way in USD, to its smallest unit
//! (`TokenLedger`), besides the native costs of its transactions.
//!
//! - [`demo`]: the two deals of the demo, start to end (the first in the stablecoin), and
//!   `scripts/stablecoin.sh`, which the demo runs.
//! - [`stablecoin`]: the seed's deal paid in the stablecoin, and its receivable assigned to
//!   a factor after the advance.
//! - [`settlements`]: an oracle quorum, a mutual cancellation.
//! - [`clocks`]: ship-by deadlines (missed, amended) and review windows that run out.
//! - [`restart`]: a node restart in the middle of a deal.
//! - [`oracle`]: the oracle service (`escrow oracle run`) as real processes against the
//!   carrier simulator: a 2-of-3 quorum with one oracle silent, a wrong condition document,
//!   estimated, malformed, duplicate and retracted events, a feed outage, a service killed
//!   and restarted, a deal not naming the oracle, a node restart.
//! - [`bad_inputs`]: a table of bad inputs (each must exit with the documented code, name
//!   the bad input, and change nothing on chain), and regressions of bad-input handling.
//!
//! Needs `escrow-node`, the release contract bundle and the `escrow` binary (and, for the
//! token deals, the stablecoin's release bundle); without them each test is skipped with a
//! message, or fails under `ESCROW_REQUIRE_CHAIN=1`.

mod bad_inputs;
mod clocks;
mod demo;
mod oracle;
mod restart;
mod services;
mod settlements;
mod stablecoin;
mod world;
