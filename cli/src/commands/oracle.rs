//! `escrow oracle run`: the oracle service. Signs as one oracle account and attests each
//! milestone whose committed condition the carrier's tracking events satisfy
//! ([`escrow_client::oracle::service`] has the rules).

use std::{io::Write, path::PathBuf, time::Duration};

use clap::{Args, Subcommand, ValueEnum};
use escrow_client::{
    config::Config,
    oracle::{
        feed::Feed,
        service::{Options, Service},
        store,
    },
    trust, units, ClientError, Result,
};

use crate::Ctx;

/// `escrow oracle …`.
#[derive(Debug, Subcommand)]
pub enum OracleCommand {
    /// Run the oracle service: watch the deals naming the signer as an oracle, poll the
    /// tracking feed, attest each milestone whose condition holds. Logs one line per
    /// decision and a health line per pass, on stdout.
    Run(RunArgs),
}

/// Log line format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// `TIME LEVEL EVENT key=value…`
    Text,
    /// One JSON object per line.
    Json,
}

/// `escrow oracle run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The tracking API's base URL (DCSA Track & Trace 2.2; `/events` is appended), e.g.
    /// http://127.0.0.1:9000/v2.
    #[arg(long, env = "ESCROW_ORACLE_FEED")]
    pub feed: String,
    /// A directory of condition documents (every *.json in it), matched to milestones by
    /// their on-chain terms hash. Default: the documents `escrow deal propose` and
    /// `escrow condition add` recorded ($ESCROW_HOME/conditions).
    #[arg(long)]
    pub conditions: Option<PathBuf>,
    /// Time from one pass's start to the next one's (a pass longer than this is followed
    /// at once by the next).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub poll: Duration,
    /// The longest time between passes while the node or the feed fails (it doubles from
    /// --poll per failed pass).
    #[arg(long = "max-backoff", default_value = "60s", value_parser = parse_duration)]
    pub max_backoff: Duration,
    /// How long one feed request may take.
    #[arg(long = "feed-timeout", default_value = "10s", value_parser = parse_duration)]
    pub feed_timeout: Duration,
    /// One pass, then exit: 0 if it reached the node and the feed, 3 if either failed.
    #[arg(long)]
    pub once: bool,
    /// Log line format.
    #[arg(long = "log-format", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    units::parse_duration(s).map(Duration::from_millis)
}

/// Runs `escrow oracle …`.
pub async fn run(c: OracleCommand, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    match c {
        OracleCommand::Run(a) => run_service(a, ctx, out).await,
    }
}

async fn run_service(a: RunArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let signer = ctx.signer()?;
    let contract = ctx.contract()?;
    let cfg = Config::load(&ctx.home).map_err(ClientError::input)?;
    let trusted = trust::expected_code_hashes(&cfg, ctx.global.code_hash, &contract);
    let feed = Feed::new(&a.feed, a.feed_timeout)
        .map_err(|e| ClientError::input(format!("--feed {}: {e}", a.feed)))?;
    let conditions = a
        .conditions
        .clone()
        .unwrap_or_else(|| store::default_dir(&ctx.home));
    let opts = Options {
        url: ctx.global.url.clone(),
        contract,
        trusted,
        poll: a.poll,
        max_backoff: a.max_backoff.max(a.poll),
        submit: ctx.submit_opts(),
        oracle_lock_dir: Some(escrow_client::lock::dir(&ctx.home).join("oracle")),
        json: matches!(a.log_format, LogFormat::Json),
        conditions: conditions.clone(),
    };
    let mut service = Service::new(opts, signer, feed)
        .map_err(|e| ClientError::input(format!("--conditions {}: {e}", conditions.display())))?;
    let report = service.run(a.once, out).await;
    match (&report.chain_error, report.feed_errors.first()) {
        (Some(e), _) => Err(escrow_client::chain::node_unreachable(&ctx.global.url, e)),
        (None, Some(e)) => Err(ClientError::Unreachable {
            url: a.feed.clone(),
            detail: format!("the tracking feed failed: {e}"),
        }),
        (None, None) => Ok(()),
    }
}
