//! `escrow-network-bench`: how many reference deals a local network of validators carries,
//! and what stops it from carrying more (issue 17).
//!
//! Why a second load bench: the others run on `escrow-node --dev`, which seals a block per
//! transaction the moment it arrives and never waits for a slot or a vote. A deployment
//! sees something else: Aura authors one block per 3 s slot, every validator imports every
//! block, a transaction reaches the slot's author by gossip, and a block is final only once
//! GRANDPA's votes say so. This bench measures that: it starts `--chain local-N`
//! (test-support's `TestNetwork`, N validators, default 4) on this machine, deploys the
//! release escrow bundle, and drives `--deals` reference deals (bench/src/scenarios.rs:
//! 30/40/30 with an advance, an oracle and an arbiter, proposal to closure, seven
//! transactions) through the client library, `--concurrency` deals at a time.
//!
//! Who signs (load.rs): `--pairs` seller/buyer pairs of derived accounts (`//load-0`,
//! `//load-1`, … : seller `//load-2p`, buyer `//load-2p+1`) and an oracle per pair
//! (`//load-oracle-p`), pair p bound to node p mod N, all funded by //Alice in one
//! `Utility.batch_all` before the load; //Eve is every deal's arbiter (it never signs). The
//! seller also closes its deals (anyone may). Every account signs through its own node
//! only, and under the client's per-account signing lock (escrow_client::lock, as
//! concurrent `escrow` processes do), held from reading the nonce until the node has the
//! transaction: an account has several deals in flight, and no two of its transactions
//! ever race for a nonce. The lock also serialises an account's signing, so the load is
//! spread over many accounts (default 50 pairs: 150 accounts) to keep an account's queue
//! short. Nothing is ever submitted twice (the client's rule); the bench checks it at the
//! end, every account's nonce against its transactions.
//!
//! What it records (watch.rs, scan.rs): per transaction, when it was submitted, when the
//! client saw it in a block and which block, and when that block was final (a subscription
//! to node 0's finalized heads); per block of the finalized chain, its slot, timestamp,
//! extrinsics (count, bytes) and `System::BlockWeight`, and every extrinsic's weight from
//! its `ExtrinsicSuccess`; the CPU time of every node process, of the bench and of the
//! machine, sampled every second. The report (report.rs) derives from those: sustained
//! and peak throughput, finality lag, block fullness, missed slots, where the bottleneck is,
//! and the most deals one block's weight could carry.
//!
//! Output: a markdown report on stdout (and to `--out FILE` when the run succeeded).
//! Exit codes: 0 measured; 2 bad arguments or a failed step: the network did not start, a
//! setup step failed, or any deal's transaction failed or has an unknown outcome (the run
//! stops launching deals, lets the ones in flight end, prints what it has and the
//! failures, and writes no `--out`).

#[path = "../session.rs"]
#[allow(dead_code)]
mod session;

#[path = "../scenarios.rs"]
#[allow(dead_code)]
mod scenarios;

#[path = "../run_facts.rs"]
mod run_facts;

mod load;
mod report;
mod scan;
mod setup;
mod watch;

use std::{
    collections::HashMap,
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant},
};

use escrow_client::{
    artifacts::read_bundle,
    contract::{self, DryRun, EscrowEvent, Weight},
    submit::{self, SubmitOpts, WaitFor},
    Chain,
};
use escrow_test_support::network::TestNetwork;

type Res<T> = Result<T, String>;

/// 10^12 plancks: the local chain's UNIT.
const UNIT: u128 = 1_000_000_000_000;
/// How long one transaction may take to be in a block (also the longest wait for the
/// signing lock).
const TX_TIMEOUT: Duration = Duration::from_secs(180);
/// How long finality may take to catch up with the load's last block.
const FINALITY_TIMEOUT: Duration = Duration::from_secs(120);
/// scenarios.rs (included for the reference deal's terms and step names) fills contracts
/// in batches of this size; this bench never fills.
const FILL_BATCH: usize = 250;

pub struct Args {
    pub validators: usize,
    pub deals: usize,
    pub pairs: usize,
    pub concurrency: usize,
    pub escrow_bundle: PathBuf,
    pub out: Option<PathBuf>,
}

const USAGE: &str = "usage: escrow-network-bench [--validators N] [--deals N] [--pairs N] \
[--concurrency N] [--escrow-bundle FILE] [--out FILE]";

fn parse_args() -> Res<Args> {
    let mut a = Args {
        validators: 4,
        deals: 900,
        pairs: 50,
        concurrency: 250,
        escrow_bundle: escrow_client::artifacts::release_bundle("milestone_escrow"),
        out: None,
    };
    for (flag, v) in run_facts::flag_pairs(USAGE)? {
        let flag = flag.as_str();
        let count = || run_facts::count(flag, &v);
        match flag {
            "--validators" => a.validators = count()?,
            "--deals" => a.deals = count()?,
            "--pairs" => a.pairs = count()?,
            "--concurrency" => a.concurrency = count()?,
            "--escrow-bundle" => a.escrow_bundle = v.clone().into(),
            "--out" => a.out = Some(v.clone().into()),
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    if !(1..=6).contains(&a.validators) {
        return Err(format!(
            "--validators {}: the local network has 1 to 6 validators (Alice..Ferdie)",
            a.validators
        ));
    }
    if a.concurrency > a.deals {
        return Err(format!(
            "--concurrency {} is more than the --deals {}: there would be no steady part",
            a.concurrency, a.deals
        ));
    }
    if !a.escrow_bundle.is_file() {
        return Err(format!(
            "no bundle at {}: build it with `scripts/build-contract.sh contracts/milestone_escrow \
             --release` or name it with --escrow-bundle",
            a.escrow_bundle.display()
        ));
    }
    Ok(a)
}

/// Starts the network, runs the load on a runtime of its own, and renders the report.
fn measure(a: &Args) -> Res<report::Rendered> {
    let started = Instant::now();
    eprintln!(
        "escrow-network-bench: starting {} validators (--chain local-{})",
        a.validators, a.validators
    );
    // The harness blocks on runtimes of its own, so it runs outside ours; its nodes die
    // with the thread that started them, this one, which outlives the run.
    let net = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        TestNetwork::start(a.validators)
    }))
    .map_err(|_| "the network did not start (the harness's message is above)".to_string())?;
    let urls: Vec<String> = (0..net.len()).map(|i| net.url(i)).collect();
    let pids = watch::node_pids(net.len())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("a tokio runtime: {e}"))?;
    let measured = runtime.block_on(run(a, &urls, &pids));
    let measured = match measured {
        Ok(m) => m,
        Err(e) => {
            for i in 0..net.len() {
                eprintln!("--- node {i} log tail ---\n{}", net.log_tail(i));
            }
            return Err(e);
        }
    };
    Ok(report::render(a, &measured, started.elapsed()))
}

async fn connect(url: &str) -> Res<Arc<Chain>> {
    Chain::connect(url)
        .await
        .map(Arc::new)
        .map_err(|e| format!("connecting to {url}: {e}"))
}

/// Deploys, funds, runs the load while watching heads and CPU, waits for finality, reads
/// the chain back and checks it.
async fn run(a: &Args, urls: &[String], pids: &[u32]) -> Res<report::Measured> {
    let locks = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
    let opts = SubmitOpts {
        wait: WaitFor::InBlock,
        timeout: TX_TIMEOUT,
        quiet: true,
        lock_dir: Some(locks.path().to_path_buf()),
    };
    let mut chains = Vec::new();
    for url in urls {
        chains.push(connect(url).await?);
    }
    // Its own connection: watching heads and reading blocks never queue behind the load.
    let observer = connect(&urls[0]).await?;
    eprintln!("escrow-network-bench: deploying the escrow through node 0");
    let (deployed, escrows) = setup::deploy_everywhere(&chains, &a.escrow_bundle, &opts).await?;
    let limits = session::Bench {
        chain: Chain::connect(&urls[0]).await.map_err(|e| e.to_string())?,
        escrow: deployed.address.clone(),
        opts: opts.clone(),
    }
    .block_limits()?;
    let cast = setup::Cast::new(a.pairs, urls.len())?;
    eprintln!(
        "escrow-network-bench: funding {} accounts from //Alice",
        cast.all().count()
    );
    let fund_block = setup::fund(&chains, &cast.endowments(a.deals)?, &opts).await?;
    let (best, _) = observer.best().await.map_err(|e| e.to_string())?;
    let terms_now = observer.timestamp(best).await.map_err(|e| e.to_string())?;
    let ctx = Arc::new(load::Ctx::new(cast, escrows, opts, terms_now, a.deals));
    // The load's nonces count from here: the funding is final, and nothing else was signed.
    let mut nonces_before = HashMap::new();
    for p in ctx.cast.all() {
        let n = observer
            .account_nonce(&p.id, best)
            .await
            .map_err(|e| e.to_string())?;
        nonces_before.insert(p.id.0, n);
    }

    let heads = watch::HeadWatch::start(observer.clone()).await?;
    let cpu = watch::CpuWatch::start(pids.to_vec())?;
    let pools = watch::PoolWatch::start(urls).await?;
    eprintln!(
        "escrow-network-bench: {} deals, {} in flight, {} pairs over {} nodes",
        a.deals,
        a.concurrency,
        a.pairs,
        urls.len()
    );
    let load = load::drive(ctx.clone(), a.concurrency, heads.best.clone()).await;
    eprintln!(
        "escrow-network-bench: {} deals completed, {} transactions, {} failures; waiting          for finality",
        load.deals.len(),
        load.txs.len(),
        load.failures.len()
    );
    // Everything the load included must be final before the chain is read back.
    let top = load.txs.iter().map(|t| t.block).max().unwrap_or(fund_block);
    let deadline = Instant::now() + FINALITY_TIMEOUT;
    while heads.finalized() < top {
        if Instant::now() > deadline {
            return Err(format!(
                "node 0 finalized #{} and not the load's last block #{top} within {FINALITY_TIMEOUT:?}",
                heads.finalized()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cpu = cpu.stop().await?;
    let pools = pools.stop().await?;
    let heads = heads.stop();
    let finalized = observer.finalized().await.map_err(|e| e.to_string())?;
    eprintln!(
        "escrow-network-bench: reading blocks #{fund_block}–#{} back",
        finalized.1
    );
    let scanned = scan::scan(&observer, fund_block, finalized.1).await?;
    let checks = scan::check(
        &observer,
        &ctx.escrows[0],
        &ctx.cast,
        &load,
        &scanned,
        &nonces_before,
        finalized,
    )
    .await?;
    Ok(report::Measured {
        nodes: urls.len(),
        deployed,
        fund_block,
        limits,
        load,
        heads,
        cpu,
        pools,
        scanned,
        checks,
    })
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("escrow-network-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let rendered = match measure(&a) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("escrow-network-bench: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", rendered.md);
    if !rendered.failures.is_empty() {
        eprintln!(
            "escrow-network-bench: {} failure(s); nothing written to --out:",
            rendered.failures.len()
        );
        for f in &rendered.failures {
            eprintln!("  {f}");
        }
        return ExitCode::from(2);
    }
    if let Some(path) = &a.out {
        if let Err(e) = std::fs::write(path, &rendered.md) {
            eprintln!("escrow-network-bench: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
