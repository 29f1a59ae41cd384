//! `escrow-oracle-bench`: how fast and at what cost the oracle service (`escrow oracle run`,
//! issue 16) attests milestones, measured on a node with the real release `escrow` binary
//! as the service (signing as //Ferdie) and the carrier simulator (`escrow-test-support`'s
//! `CarrierSim`, in this process, on 127.0.0.1) as the tracking feed.
//!
//! What it measures, in one run:
//! 1. **Latency**: `--latency N` deals (default 50) of one funded milestone each (release
//!    rule Oracles, threshold 1), each with its own transport document and the condition
//!    "ACT LOAD at INMUN". While the service runs, their ACT events are published one at a
//!    time, each at a random instant (a fixed-seed PRNG) of its own window of two poll
//!    intervals; each latency runs from the instant the event is in the feed to the instant
//!    the bench reads the service's `attested` line for that milestone (the service prints
//!    it once the transaction is in a block). p50/p95/max against the goal "≤ poll
//!    interval + one block".
//! 2. **Load**: on a fresh instance, one service watching `--load-deals D` × 10 funded
//!    milestones (default 1,000), each milestone a different condition document: requests
//!    per pass, pass duration, the service's CPU time per pass and its memory; then the
//!    events of `--burst K` milestones (default 100) published at once, and the time until
//!    all K are attested.
//!
//! Output: a markdown report on stdout (and to `--out FILE`); with `--logs DIR`, each
//! service's log lines (after the wall-clock ms at which the bench read each) in
//! `DIR/latency.log` and `DIR/load.log`. Exit codes: 0 measured (the report says whether
//! each goal was met); 2 bad arguments or a failed step.

#[path = "../session.rs"]
#[allow(dead_code)]
mod session;

#[path = "../run_facts.rs"]
mod run_facts;

mod deals;
mod latency;
mod load;
mod report;
mod service;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use escrow_client::{
    artifacts::read_bundle,
    contract::{self, DryRun, EscrowEvent, Weight},
    submit::{self, SubmitOpts, WaitFor},
    units, Chain,
};
use escrow_test_support::carrier::CarrierSim;
use subxt::utils::AccountId32;
use subxt_signer::sr25519::dev;

use crate::{
    deals::ink_id,
    service::Launch,
    session::{deploy, Bench},
};

type Res<T> = Result<T, String>;

/// 10^12 plancks: the local chain's UNIT.
const UNIT: u128 = 1_000_000_000_000;

struct Args {
    url: String,
    escrow_bundle: PathBuf,
    escrow_bin: PathBuf,
    poll: Duration,
    latency: usize,
    load_deals: usize,
    burst: usize,
    passes: usize,
    seed: u64,
    out: Option<PathBuf>,
    logs: Option<PathBuf>,
}

const USAGE: &str =
    "usage: escrow-oracle-bench [--url ws://127.0.0.1:9944] [--escrow-bundle FILE] \
[--escrow-bin FILE] [--poll 5s] [--latency N] [--load-deals N] [--burst N] [--passes N] \
[--seed N] [--out FILE] [--logs DIR]";

fn parse_args() -> Res<Args> {
    let exe = std::env::current_exe().map_err(|e| format!("no executable path: {e}"))?;
    let mut a = Args {
        url: "ws://127.0.0.1:9944".into(),
        escrow_bundle: escrow_client::artifacts::release_bundle("milestone_escrow"),
        // The release `escrow` is built next to this binary.
        escrow_bin: exe.with_file_name("escrow"),
        poll: Duration::from_secs(5),
        latency: 50,
        load_deals: 100,
        burst: 100,
        passes: 5,
        seed: 16,
        out: None,
        logs: None,
    };
    for (flag, v) in run_facts::flag_pairs(USAGE)? {
        let flag = flag.as_str();
        let count = || run_facts::count(flag, &v);
        match flag {
            "--url" => a.url = v.clone(),
            "--escrow-bundle" => a.escrow_bundle = v.clone().into(),
            "--escrow-bin" => a.escrow_bin = v.clone().into(),
            "--out" => a.out = Some(v.clone().into()),
            "--logs" => a.logs = Some(v.clone().into()),
            "--poll" => {
                let ms = units::parse_duration(&v).map_err(|e| format!("--poll: {e}"))?;
                a.poll = Duration::from_millis(ms);
            }
            "--latency" => a.latency = count()?,
            "--load-deals" => a.load_deals = count()?,
            "--burst" => a.burst = count()?,
            "--passes" => a.passes = count()?,
            "--seed" => {
                a.seed = v
                    .parse()
                    .map_err(|_| format!("--seed: '{v}' is not a whole number"))?
            }
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    if a.burst > a.load_deals {
        return Err(format!(
            "--burst {} is more than the --load-deals {} deals (one milestone of each)",
            a.burst, a.load_deals
        ));
    }
    if !a.escrow_bin.is_file() {
        return Err(format!(
            "no escrow binary at {}: build it with `cargo build --release -p escrow-cli` or \
             name it with --escrow-bin",
            a.escrow_bin.display()
        ));
    }
    Ok(a)
}

/// Deploys a fresh escrow instance as //Alice (fee 1% to //Eve); returns its address and
/// code hash (what the service is told to trust).
async fn instance(chain: &Chain, opts: &SubmitOpts, bundle: &Path) -> Res<(AccountId32, [u8; 32])> {
    let (escrow, _) = deploy(
        chain,
        opts.clone(),
        bundle,
        (ink_id(&dev::eve()), 100u16),
        0,
    )
    .await?;
    let code_hash = chain
        .code_hash_of(&escrow)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no contract at {escrow} after its deployment"))?;
    Ok((escrow, code_hash))
}

/// How the bench submits. No signing lock: this process is the only signer of the
/// bench's accounts (the service signs as //Ferdie, which the bench never signs with).
fn submit_opts() -> SubmitOpts {
    SubmitOpts {
        lock_dir: None,
        quiet: true,
        wait: WaitFor::InBlock,
        timeout: Duration::from_secs(300),
    }
}

async fn run(a: Args) -> Res<String> {
    let started = Instant::now();
    let opts = submit_opts();
    let chain = Chain::connect(&a.url).await.map_err(|e| e.to_string())?;
    eprintln!("escrow-oracle-bench: connected to {}", a.url);
    let sim = CarrierSim::start().map_err(|e| format!("starting the carrier simulator: {e}"))?;
    let work = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
    let launch = |name: &str, contract: &AccountId32, code_hash: [u8; 32]| Launch {
        name: name.to_string(),
        bin: a.escrow_bin.clone(),
        url: a.url.clone(),
        contract: contract.clone(),
        code_hash,
        feed: sim.base_url(),
        conditions: work.path().join(name).join("conditions"),
        home: work.path().join(name).join("home"),
        poll: a.poll,
        log: a.logs.as_ref().map(|d| d.join(format!("{name}.log"))),
    };

    let (escrow, code_hash) = instance(&chain, &opts, &a.escrow_bundle).await?;
    let mut bench = Bench {
        chain,
        escrow,
        opts: opts.clone(),
    };
    let l = launch("latency", &bench.escrow, code_hash);
    eprintln!(
        "escrow-oracle-bench: latency: {} deals of one milestone, events spread over 2 polls each",
        a.latency
    );
    let latency = latency::run(&bench, &sim, &l, a.latency, a.seed).await?;

    // A fresh instance: the service watches exactly the load's deals.
    let (escrow, code_hash) = instance(&bench.chain, &opts, &a.escrow_bundle).await?;
    bench.escrow = escrow;
    let l = launch("load", &bench.escrow, code_hash);
    eprintln!(
        "escrow-oracle-bench: load: {} deals × {} milestones, then {} events at once",
        a.load_deals,
        deals::CODES.len(),
        a.burst
    );
    let load = load::run(&bench, &sim, &l, a.load_deals, a.burst, a.passes).await?;

    Ok(report::render(&report::Run {
        poll: a.poll,
        seed: a.seed,
        latency,
        load,
        took: started.elapsed(),
    }))
}

/// Measures, prints the report and writes it to `--out`.
async fn measure_and_write() -> Res<()> {
    let a = parse_args()?;
    let out = a.out.clone();
    let md = run(a).await?;
    print!("{md}");
    match out {
        Some(path) => {
            std::fs::write(&path, &md).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => Ok(()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match measure_and_write().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("escrow-oracle-bench: {e}");
            ExitCode::from(2)
        }
    }
}
