//! The command line: global options and the verbs (each verb's own arguments live with
//! its command in [`crate::commands`]).

use std::{path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};
use escrow_client::{submit::WaitFor, trust::TrustedCode, units};

use crate::commands;

/// Exit codes, for `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  ok
  1  rejected by the contract or the chain (the error is named, with a hint), or audit mismatch
  2  bad input (argument, file, keystore, config), or the contract address is not a
     milestone-escrow contract (its code hash is checked before anything is signed or read),
     or a token is not a usable PSP22 token (no contract, no PSP22 answers, no metadata)
  3  node unreachable (nothing was submitted)
  4  transaction submitted but its outcome is unknown (it is never re-submitted; check it)
  5  cancelled at the confirmation prompt (nothing was submitted)

State-changing commands ask \"submit? [y/N]\" on stderr after the dry-run when stdin is a
terminal; --yes skips the question, and without a terminal (scripts, pipes) there is none.

JSON (--json): one object per command on stdout. Accounts are SS58 strings, hashes 0x-hex,
amounts (u128) decimal strings in the chain's smallest unit, times ms since the epoch.
Transactions report {ok, message, dry_run, return, tx_hash, block, block_hash, fee,
gas_required, storage_deposit, events: [{event, ...fields}]}.";

/// `escrow`: milestone escrow for exporters and importers.
#[derive(Debug, Parser)]
#[command(name = "escrow", version, about, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Node URL.
    #[arg(
        long,
        global = true,
        env = "ESCROW_URL",
        default_value = "ws://127.0.0.1:9944"
    )]
    pub url: String,
    /// Contract address (default: the one `escrow deploy` remembered for --url).
    #[arg(long, global = true, env = "ESCROW_CONTRACT")]
    pub contract: Option<String>,
    /// Sign with a secret URI, e.g. //Alice (development) or a mnemonic; `-` reads it from
    /// stdin (asked without echo on a terminal). A secret on the command line is visible
    /// to other users of the machine (ps, /proc/PID/cmdline): give real keys with `-`,
    /// --suri-file, ESCROW_SURI or --account instead.
    #[arg(
        long,
        global = true,
        env = "ESCROW_SURI",
        conflicts_with_all = ["account", "suri_file"],
        hide_env_values = true,
        value_name = "SURI|-"
    )]
    pub suri: Option<String>,
    /// Sign with the secret URI on the first line of this file (keep it mode 0600).
    #[arg(
        long = "suri-file",
        global = true,
        conflicts_with = "account",
        value_name = "PATH"
    )]
    pub suri_file: Option<PathBuf>,
    /// Sign with a keystore account (password: ESCROW_PASSWORD or a prompt).
    #[arg(long, global = true, env = "ESCROW_ACCOUNT")]
    pub account: Option<String>,
    /// Machine-readable output on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Dry-run only: report what the call would do, submit nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Wait until the transaction is in a block, or finalized.
    #[arg(long, global = true, value_enum, default_value = "in-block")]
    pub wait: WaitFor,
    /// Longest wait for inclusion or finality (e.g. 60s, 5m).
    #[arg(long, global = true, default_value = "60s", value_parser = parse_duration_arg)]
    pub timeout: Duration,
    /// No progress lines on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Submit without asking. (The confirmation prompt only appears when stdin is a
    /// terminal; scripts and pipes are never prompted.)
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// The code the contract must run: its hash (0x…), or a `.contract` bundle you trust
    /// (default: the hash `escrow deploy` recorded for this address, else any it recorded).
    #[arg(long = "code-hash", global = true, env = "ESCROW_CODE_HASH", value_parser = TrustedCode::parse)]
    pub code_hash: Option<TrustedCode>,
}

fn parse_duration_arg(s: &str) -> Result<Duration, String> {
    units::parse_duration(s).map(Duration::from_millis)
}

/// The verbs.
// Parsed once per process: the size of the largest variant (deal propose) does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload and instantiate the contract; remembers its address.
    Deploy(commands::deploy::DeployArgs),
    /// Deal actions and reads.
    #[command(subcommand)]
    Deal(commands::DealCommand),
    /// Pull payouts the chain (or, with --token, a token) refused earlier (your claimable
    /// balance), to you or --to another account.
    Withdraw(commands::funds::WithdrawArgs),
    /// Decoded contract events, human or JSON lines.
    Events(commands::events::EventsArgs),
    /// Rebuild a deal from events alone and compare with storage.
    Audit(commands::audit::AuditArgs),
    /// Keystore accounts.
    #[command(subcommand)]
    Account(commands::account::AccountCommand),
    /// PSP22 tokens deals are paid in: deploy and mint the stablecoin, record tokens by
    /// symbol for --url.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Find out what happened to a submitted transaction (after exit code 4).
    TxStatus(commands::status::StatusArgs),
    /// The oracle service: attest milestones when the carrier's tracking events meet the
    /// condition both parties committed to.
    #[command(subcommand)]
    Oracle(commands::oracle::OracleCommand),
    /// Milestone condition documents (release on shipment data): check one, or save one
    /// received off chain so `deal show` names it.
    #[command(subcommand)]
    Condition(commands::condition::ConditionCommand),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_parses_and_rejects_conflicts() {
        let c = Cli::try_parse_from([
            "escrow", "--suri", "//Alice", "deal", "fund", "3", "10 UNIT",
        ])
        .unwrap();
        assert_eq!(c.global.suri.as_deref(), Some("//Alice"));
        assert!(
            Cli::try_parse_from(["escrow", "--suri", "//A", "--account", "x", "withdraw"]).is_err()
        );
        let c = Cli::try_parse_from(["escrow", "--suri-file", "/k", "withdraw"]).unwrap();
        assert_eq!(c.global.suri_file, Some(PathBuf::from("/k")));
        for conflict in [
            ["escrow", "--suri-file", "/k", "--suri", "//A", "withdraw"],
            ["escrow", "--suri-file", "/k", "--account", "x", "withdraw"],
        ] {
            let e = Cli::try_parse_from(conflict).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict, "{e}");
            // The error names the options, never the secret given to one.
            assert!(!e.to_string().contains("//A"), "{e}");
        }
        assert!(Cli::try_parse_from(["escrow", "--timeout", "5x", "withdraw"]).is_err());
        let e = Cli::try_parse_from(["escrow", "deal", "propose", "--review", "7w"]).unwrap_err();
        assert!(e.to_string().contains("unknown unit"), "{e}");
        assert!(Cli::try_parse_from(["escrow", "deal", "show", "x"]).is_err());
        let h = format!("0x{}", "03".repeat(32));
        let c = Cli::try_parse_from(["escrow", "--code-hash", &h, "withdraw"]).unwrap();
        assert_eq!(c.global.code_hash, Some(TrustedCode([3; 32])));
        let e = Cli::try_parse_from(["escrow", "--code-hash", "/no/such", "withdraw"]).unwrap_err();
        assert!(e.to_string().contains("neither a 0x code hash"), "{e}");
    }
}
