//! # escrow-cli
//!
//! The library behind the `escrow` binary: how exporters, importers, oracles, arbiters and
//! auditors use the milestone-escrow contract from a terminal. `main.rs` only parses,
//! dispatches and maps errors to exit codes; everything else lives here so that tests can
//! drive it.
//!
//! - [`client`]: one connection per run (metadata once, token symbol/decimals once).
//! - [`submit`]: dry-run → sign (mortal) → submit → wait; never re-submits.
//! - [`contract`]: selectors, dry-run results, events — decoded with `escrow_types`.
//! - [`units`]: amounts, percentages, durations, dates, hashes.
//! - [`keystore`]: accounts encrypted at rest; polkadot.js import.
//! - [`render`]: JSON / human rendering driven by the shared types' `TypeInfo`.
//! - [`commands`]: one module per verb.

pub mod client;
pub mod commands;
pub mod config;
pub mod contract;
pub mod error;
pub mod keystore;
pub mod lock;
pub mod prompt;
pub mod render;
pub mod submit;
pub mod units;

use std::{path::PathBuf, str::FromStr, sync::Arc, time::Duration};

use clap::{Args, Parser, Subcommand};
use scale::Decode;
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

use crate::{
    client::Chain,
    contract::DryRun,
    error::{CliError, Result},
    render::RenderCtx,
    submit::{Included, SubmitOpts, WaitFor},
};

/// Exit codes, for `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  ok
  1  rejected by the contract or the chain (the error is named, with a hint), or audit mismatch
  2  bad input (argument, file, keystore, config), or the contract address is not a
     milestone-escrow contract (its code hash is checked before anything is signed)
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
    /// Sign with a secret URI, e.g. //Alice (development) or a mnemonic.
    #[arg(
        long,
        global = true,
        env = "ESCROW_SURI",
        conflicts_with = "account",
        hide_env_values = true
    )]
    pub suri: Option<String>,
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
    #[arg(long = "code-hash", global = true, env = "ESCROW_CODE_HASH", value_parser = parse_trusted_code)]
    pub code_hash: Option<TrustedCode>,
}

/// A code hash the user trusts, given as `--code-hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedCode(pub [u8; 32]);

/// `--code-hash`: 0x-hex, or the path of a `.contract` bundle (the hash of its code).
fn parse_trusted_code(s: &str) -> std::result::Result<TrustedCode, String> {
    if s.starts_with("0x") {
        return units::parse_hash(s).map(TrustedCode);
    }
    let (code, _) = commands::deploy::read_bundle(&PathBuf::from(s)).map_err(|e| {
        format!("neither a 0x code hash nor a readable .contract bundle: {e}")
    })?;
    Ok(TrustedCode(units::blake2_256(&code)))
}

fn parse_duration_arg(s: &str) -> std::result::Result<Duration, String> {
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
    /// Pull payouts the chain refused earlier (your claimable balance).
    Withdraw(commands::actions::NoArgs),
    /// Decoded contract events, human or JSON lines.
    Events(commands::events::EventsArgs),
    /// Rebuild a deal from events alone and compare with storage.
    Audit(commands::audit::AuditArgs),
    /// Keystore accounts.
    #[command(subcommand)]
    Account(commands::account::AccountCommand),
    /// Find out what happened to a submitted transaction (after exit code 4).
    TxStatus(commands::status::StatusArgs),
}

/// What commands share: options, state directory, the connection (opened on first use).
pub struct Ctx {
    /// Global options.
    pub g: Global,
    /// `$ESCROW_HOME`.
    pub home: PathBuf,
    chain: Option<Arc<Chain>>,
}

impl Ctx {
    /// A context.
    pub fn new(g: Global) -> Self {
        Ctx {
            g,
            home: config::home(),
            chain: None,
        }
    }

    /// The connection, opened once.
    pub async fn chain(&mut self) -> Result<Arc<Chain>> {
        if let Some(c) = &self.chain {
            return Ok(Arc::clone(c));
        }
        let c = Arc::new(Chain::connect(&self.g.url).await?);
        self.chain = Some(Arc::clone(&c));
        Ok(c)
    }

    /// Rendering context (needs the chain's token).
    pub fn render(&self) -> RenderCtx {
        RenderCtx {
            token: self
                .chain
                .as_ref()
                .map(|c| c.token.clone())
                .unwrap_or_default(),
        }
    }

    /// Submission options.
    pub fn submit_opts(&self) -> SubmitOpts {
        SubmitOpts {
            wait: self.g.wait,
            timeout: self.g.timeout,
            quiet: self.g.quiet,
            lock_dir: Some(lock::dir(&self.home)),
        }
    }

    /// The keystore.
    pub fn keystore(&self) -> keystore::Keystore {
        keystore::Keystore::new(&self.home)
    }

    /// The signer from --suri or --account.
    pub fn signer(&self) -> Result<Keypair> {
        if let Some(suri) = &self.g.suri {
            return keystore::keypair_from_suri(suri)
                .map_err(|e| CliError::input(format!("--suri: {e}")));
        }
        if let Some(name) = &self.g.account {
            let password = password(&format!("password for account '{name}': "), false)?;
            return self
                .keystore()
                .unlock(name, &password)
                .map_err(|e| CliError::input(format!("--account {name}: {e}")));
        }
        Err(CliError::input(
            "this command signs a transaction: pass --suri (e.g. //Alice) or --account NAME",
        ))
    }

    /// The account that would sign, without unlocking it (for reads like `--mine`).
    pub fn signer_address(&self) -> Result<AccountId32> {
        if let Some(name) = &self.g.account {
            let e = self.keystore().entry(name).map_err(CliError::input)?;
            return AccountId32::from_str(&e.address).map_err(|e| CliError::input(format!("{e}")));
        }
        Ok(keystore::address_of(&self.signer()?))
    }

    /// The contract: --contract, or the deployment remembered for --url.
    pub fn contract(&self) -> Result<AccountId32> {
        if let Some(c) = &self.g.contract {
            return parse_account(c).map_err(|e| CliError::input(format!("--contract: {e}")));
        }
        let cfg = config::Config::load(&self.home).map_err(CliError::input)?;
        match cfg.deployments.get(&self.g.url) {
            Some(d) => parse_account(&d.contract).map_err(CliError::input),
            None => Err(CliError::input(format!(
                "no contract known for {}: pass --contract ADDRESS or run `escrow deploy`",
                self.g.url
            ))),
        }
    }

    /// The code hashes the contract at `contract` may have. Trust comes from three places
    /// only, never from whatever a build cache holds: `--code-hash` (a hash, or a `.contract`
    /// bundle the user names); else the hash `escrow deploy` recorded for this address; else
    /// every hash `escrow deploy` recorded. Empty: nothing to check against.
    pub fn expected_code_hashes(&self, contract: &AccountId32) -> Result<Vec<[u8; 32]>> {
        if let Some(h) = &self.g.code_hash {
            return Ok(vec![h.0]);
        }
        let cfg = config::Config::load(&self.home).map_err(CliError::input)?;
        let parse = |h: &str| units::parse_hash(h).ok();
        let recorded_here = cfg
            .deployments
            .values()
            .filter(|d| parse_account(&d.contract).ok().as_ref() == Some(contract))
            .filter_map(|d| parse(&d.code_hash))
            .collect::<Vec<_>>();
        if !recorded_here.is_empty() {
            return Ok(recorded_here);
        }
        let mut hashes: Vec<[u8; 32]> = cfg
            .deployments
            .values()
            .filter_map(|d| parse(&d.code_hash))
            .collect();
        hashes.sort();
        hashes.dedup();
        Ok(hashes)
    }

    /// Refuses unless the contract at `contract` (read at the best block) has an expected
    /// code hash: the guard against signing calls to, or trusting reads from, the wrong
    /// address.
    pub async fn ensure_escrow(&self, chain: &Chain, contract: &AccountId32) -> Result<()> {
        let expected = self.expected_code_hashes(contract)?;
        let found = chain.code_hash_of(contract).await?;
        check_code_hash(contract, found, &expected, &self.g.url)
    }

    /// Resolves an account argument: SS58, 0x-hex, a dev SURI (//Bob), or a keystore name.
    pub fn resolve_account(&self, s: &str) -> Result<AccountId32> {
        if let Ok(a) = parse_account(s) {
            return Ok(a);
        }
        if let Ok(e) = self.keystore().entry(s) {
            return AccountId32::from_str(&e.address).map_err(|e| CliError::input(format!("{e}")));
        }
        Err(CliError::input(format!(
            "'{s}' is not an account (SS58 address, 0x-hex, //Dev SURI, or a keystore account name)"
        )))
    }
}

/// The decision behind [`Ctx::ensure_escrow`]: `found` is the code hash on chain (`None`:
/// no contract at the address).
pub fn check_code_hash(
    contract: &AccountId32,
    found: Option<[u8; 32]>,
    expected: &[[u8; 32]],
    url: &str,
) -> Result<()> {
    let not_escrow = |detail: String| CliError::NotEscrow {
        address: contract.to_string(),
        detail,
    };
    match found {
        None => Err(not_escrow("there is no contract at this address".into())),
        Some(_) if expected.is_empty() => Err(CliError::input(format!(
            "cannot check that {contract} is a milestone-escrow contract: no deployment is \
             remembered for {url}; pass --code-hash with the code hash `escrow deploy` printed \
             (0x…) or the .contract bundle you trust"
        ))),
        Some(h) if expected.contains(&h) => Ok(()),
        Some(h) => Err(not_escrow(format!(
            "its code hash is {}, expected {}",
            units::hex0x(&h),
            expected
                .iter()
                .map(|e| units::hex0x(e))
                .collect::<Vec<_>>()
                .join(" or ")
        ))),
    }
}

/// Parses SS58, 0x-hex (32 bytes) or a `//Dev` SURI into an account.
pub fn parse_account(s: &str) -> std::result::Result<AccountId32, String> {
    let s = s.trim();
    if s.starts_with("//") {
        return keystore::keypair_from_suri(s).map(|k| keystore::address_of(&k));
    }
    if let Some(h) = s.strip_prefix("0x") {
        let b = hex::decode(h).map_err(|_| format!("'{s}': not hex"))?;
        let b: [u8; 32] = b.try_into().map_err(|_| format!("'{s}': not 32 bytes"))?;
        return Ok(AccountId32(b));
    }
    AccountId32::from_str(s).map_err(|e| format!("'{s}': not an SS58 address ({e})"))
}

/// The ink! account type of an address.
pub fn ink_account(a: &AccountId32) -> ink::primitives::AccountId {
    ink::primitives::AccountId::from(a.0)
}

/// The SS58 address of an ink! account.
pub fn ss58(a: &ink::primitives::AccountId) -> String {
    let bytes: &[u8; 32] = a.as_ref();
    AccountId32(*bytes).to_string()
}

/// A password from ESCROW_PASSWORD or a prompt (twice when `confirm`).
pub fn password(prompt: &str, confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var("ESCROW_PASSWORD") {
        return Ok(p);
    }
    let p = rpassword::prompt_password(prompt).map_err(|e| {
        CliError::input(format!(
            "no password: set ESCROW_PASSWORD or run in a terminal ({e})"
        ))
    })?;
    if confirm {
        let again =
            rpassword::prompt_password("repeat: ").map_err(|e| CliError::input(e.to_string()))?;
        if again != p {
            return Err(CliError::input("the passwords differ"));
        }
    }
    Ok(p)
}

/// The outcome of a contract message.
pub struct Exec<R> {
    /// What the dry-run returned (the message's `Ok` value).
    pub ret: R,
    /// The dry-run figures.
    pub dry: DryRun,
    /// The transaction, unless `--dry-run`.
    pub included: Option<Included>,
}

/// Dry-runs message `name` with `data` as the signer; refuses if it fails; submits unless
/// `--dry-run`.
pub async fn exec<R: Decode>(
    ctx: &mut Ctx,
    name: &str,
    data: Vec<u8>,
    value: u128,
) -> Result<Exec<R>> {
    let signer = ctx.signer()?;
    let contract = ctx.contract()?;
    let opts = ctx.submit_opts();
    let dry_only = ctx.g.dry_run;
    let chain = ctx.chain().await?;
    let origin: AccountId32 = signer.public_key().into();
    let (best, identity) = tokio::join!(chain.best(), ctx.ensure_escrow(&chain, &contract));
    identity?;
    let best = best?;
    let dry = chain
        .dry_run_call(best.0, &origin, &contract, value, data.clone())
        .await?;
    let ret = match &dry.result {
        Err(raw) => return Err(chain.dispatch_error(raw)),
        Ok((_flags, ret_data)) => {
            match contract::decode_message_return::<R>(ret_data).map_err(CliError::Rejected)? {
                Err(lang) => return Err(CliError::Lang(format!("{lang:?}"))),
                Ok(Err(e)) => return Err(CliError::Contract(e)),
                Ok(Ok(r)) => r,
            }
        }
    };
    if !opts.quiet {
        eprintln!(
            "dry-run {name}: ok (gas ref_time {}, proof_size {}; storage deposit {})",
            dry.gas_required.ref_time,
            dry.gas_required.proof_size,
            deposit_text(&dry, &chain.token),
        );
    }
    if dry_only {
        return Ok(Exec {
            ret,
            dry,
            included: None,
        });
    }
    prompt::confirm(
        &ctx.g,
        &format!(
            "call {name} on {contract} as {origin}{}",
            if value > 0 {
                format!(", sending {}", chain.token.format(value))
            } else {
                String::new()
            }
        ),
    )?;
    let call = submit::call_tx(&contract, value, &dry, data);
    let included = submit::sign_submit_wait(&chain, &call, &signer, Some(&contract), opts).await?;
    Ok(Exec {
        ret,
        dry,
        included: Some(included),
    })
}

/// "charge 0.01 UNIT" / "refund …".
pub fn deposit_text(dry: &DryRun, token: &units::Token) -> String {
    match dry.storage_deposit {
        contract::StorageDeposit::Charge(c) => format!("charge {}", token.format(c)),
        contract::StorageDeposit::Refund(r) => format!("refund {}", token.format(r)),
    }
}

/// Runs a parsed command line, writing results to `out`.
pub async fn run(cli: Cli, out: &mut impl std::io::Write) -> Result<()> {
    let mut ctx = Ctx::new(cli.global);
    match cli.command {
        Command::Deploy(a) => commands::deploy::run(a, &mut ctx, out).await,
        Command::Deal(d) => commands::run_deal(d, &mut ctx, out).await,
        Command::Withdraw(_) => commands::actions::withdraw(&mut ctx, out).await,
        Command::Events(a) => commands::events::run(a, &mut ctx, out).await,
        Command::Audit(a) => commands::audit::run(a, &mut ctx, out).await,
        Command::Account(a) => commands::account::run(a, &mut ctx, out).await,
        Command::TxStatus(a) => commands::status::run(a, &mut ctx, out).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_parse() {
        let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
        assert_eq!(parse_account(alice).unwrap().to_string(), alice);
        assert_eq!(parse_account("//Alice").unwrap().to_string(), alice);
        let hex = format!("0x{}", hex::encode(parse_account(alice).unwrap().0));
        assert_eq!(parse_account(&hex).unwrap().to_string(), alice);
        assert!(parse_account("5Grw").is_err());
        assert!(parse_account("0x1234").is_err());
    }

    #[test]
    fn code_hash_check_refuses_accounts_and_other_contracts() {
        let a = AccountId32([7; 32]);
        let (ours, other) = ([1u8; 32], [2u8; 32]);
        assert!(check_code_hash(&a, Some(ours), &[other, ours], "ws://x").is_ok());
        let e = check_code_hash(&a, Some(other), &[ours], "ws://x").unwrap_err();
        assert_eq!(e.exit_code(), error::exit::BAD_INPUT);
        assert_eq!(
            e.to_string().lines().next().unwrap(),
            format!(
                "{a} is not a milestone-escrow contract: its code hash is 0x{}, expected 0x{}",
                "02".repeat(32),
                "01".repeat(32)
            )
        );
        assert!(e.to_string().ends_with("nothing was submitted"), "{e}");
        let e = check_code_hash(&a, None, &[ours], "ws://x").unwrap_err();
        assert_eq!(e.exit_code(), error::exit::BAD_INPUT);
        assert!(
            e.to_string().contains(
                "is not a milestone-escrow contract: there is no contract at this address"
            ),
            "{e}"
        );
        // Nothing to compare with: refuse, and say how to fix it.
        let e = check_code_hash(&a, Some(ours), &[], "ws://x").unwrap_err();
        assert_eq!(e.exit_code(), error::exit::BAD_INPUT);
        assert!(e.to_string().contains("pass --code-hash"), "{e}");
    }

    #[test]
    fn expected_code_hashes_prefer_the_remembered_deployment() {
        let home = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            AccountId32([0xaa; 32]),
            AccountId32([0xbb; 32]),
            AccountId32([0xcc; 32]),
        );
        let mut cfg = config::Config::default();
        for (url, addr, h) in [("ws://one", &a, [1u8; 32]), ("ws://two", &b, [2u8; 32])] {
            cfg.deployments.insert(
                url.into(),
                config::Deployment {
                    contract: addr.to_string(),
                    code_hash: units::hex0x(&h),
                },
            );
        }
        cfg.save(home.path()).unwrap();
        let ctx = |args: &[&str]| {
            let mut v = vec!["escrow"];
            v.extend_from_slice(args);
            v.push("withdraw");
            Ctx {
                g: Cli::try_parse_from(v).unwrap().global,
                home: home.path().to_path_buf(),
                chain: None,
            }
        };
        // The deployment remembered for this URL and address: exactly its hash.
        assert_eq!(
            ctx(&["--url", "ws://one"])
                .expected_code_hashes(&a)
                .unwrap(),
            [[1u8; 32]]
        );
        // Another address: any hash `escrow deploy` recorded will do.
        let any = ctx(&["--url", "ws://one"])
            .expected_code_hashes(&c)
            .unwrap();
        assert!(
            any.contains(&[1u8; 32]) && any.contains(&[2u8; 32]),
            "{any:?}"
        );
        // --code-hash decides alone.
        let h3 = format!("0x{}", "03".repeat(32));
        assert_eq!(
            ctx(&["--url", "ws://one", "--code-hash", &h3])
                .expected_code_hashes(&a)
                .unwrap(),
            [[3u8; 32]]
        );
        // --code-hash may name a bundle the user trusts: its code's hash.
        let bundle = home.path().join("trusted.contract");
        std::fs::write(
            &bundle,
            r#"{"source":{"wasm":"0x0061736d01000000"},"spec":{"constructors":[]}}"#,
        )
        .unwrap();
        assert_eq!(
            ctx(&["--url", "ws://one", "--code-hash", bundle.to_str().unwrap()])
                .expected_code_hashes(&a)
                .unwrap(),
            [units::blake2_256(b"\0asm\x01\0\0\0")]
        );
    }

    /// Regression: trust never comes from a build cache. With nothing recorded and no
    /// --code-hash there is nothing to trust, whatever release bundle the machine holds.
    #[test]
    fn nothing_recorded_means_nothing_trusted() {
        let home = tempfile::tempdir().unwrap();
        let g = Cli::try_parse_from(["escrow", "withdraw"]).unwrap().global;
        let ctx = Ctx { g, home: home.path().to_path_buf(), chain: None };
        assert!(ctx.expected_code_hashes(&AccountId32([0xaa; 32])).unwrap().is_empty());
    }

    #[test]
    fn cli_parses_and_rejects_conflicts() {
        use clap::Parser;
        let c = Cli::try_parse_from([
            "escrow", "--suri", "//Alice", "deal", "fund", "3", "10 UNIT",
        ])
        .unwrap();
        assert_eq!(c.global.suri.as_deref(), Some("//Alice"));
        assert!(
            Cli::try_parse_from(["escrow", "--suri", "//A", "--account", "x", "withdraw"]).is_err()
        );
        assert!(Cli::try_parse_from(["escrow", "--timeout", "5x", "withdraw"]).is_err());
        let e = Cli::try_parse_from(["escrow", "deal", "propose", "--review", "7w"]).unwrap_err();
        assert!(e.to_string().contains("unknown unit"), "{e}");
        assert!(Cli::try_parse_from(["escrow", "deal", "show", "x"]).is_err());
    }
}
