//! `escrow-audit-bench`: what an audit costs on a long chain (issue 18).
//!
//! On a fresh `escrow-node --dev --state-pruning archive`:
//! 1. the reference deal's seven steps spread over `--blocks` empty blocks (sealed with the
//!    dev node's `engine_createBlock`), then the time to audit that one deal: `escrow audit
//!    ID --best` (the walk along its trails; median of 5 runs of the release binary) against
//!    the way `escrow audit` found events before (`Chain::scan_events` over every block
//!    from 0, timed in-process: what the old command spent before it compared anything);
//! 2. `--deals` more one-milestone deals through proposal, acceptance with funding and
//!    release (250 calls per `Utility.batch_all`), then `escrow audit --all --best`: wall
//!    time and peak memory of the process (`/usr/bin/time`).
//!
//! Output: a markdown report on stdout (and `--out FILE`). Exit codes: 0 measured (whether
//! each goal was met is in the report); 2 a step failed, or an audit found something.

#[path = "../session.rs"]
#[allow(dead_code)]
mod session;

#[path = "../scenarios.rs"]
#[allow(dead_code)]
mod scenarios;

#[path = "../run_facts.rs"]
mod run_facts;

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::{Duration, Instant},
};

use escrow_client::{
    artifacts::read_bundle,
    contract::{self, call_data, DryRun, EscrowEvent, Weight},
    submit::{self, SubmitOpts, WaitFor},
    units, Chain,
};
use escrow_types::DealId;
use futures::{stream, StreamExt, TryStreamExt};
use serde_json::Value as Json;
use subxt::{dynamic::Value, utils::AccountId32};
use subxt_signer::sr25519::dev;

use crate::{
    scenarios::{ink_id, reference_terms},
    session::{chain_id, deploy, Bench},
};

type Res<T> = Result<T, String>;

/// 10^12 plancks: the local chain's UNIT.
const UNIT: u128 = 1_000_000_000_000;
/// Calls per `Utility.batch_all` (scenarios.rs's fill uses it too).
const FILL_BATCH: usize = 250;
/// Runs of the one-deal audit whose median is reported.
const RUNS: usize = 5;

struct Args {
    url: String,
    escrow_bundle: PathBuf,
    escrow_bin: PathBuf,
    blocks: u32,
    deals: u32,
    out: Option<PathBuf>,
}

const USAGE: &str = "usage: escrow-audit-bench --url ws://… --escrow-bundle FILE --escrow-bin \
FILE [--blocks 100000] [--deals 10000] [--out FILE]";

fn args() -> Res<Args> {
    let mut a = Args {
        url: String::new(),
        escrow_bundle: PathBuf::new(),
        escrow_bin: PathBuf::new(),
        blocks: 100_000,
        deals: 10_000,
        out: None,
    };
    for (flag, v) in run_facts::flag_pairs(USAGE)? {
        let flag = flag.as_str();
        let count = || run_facts::count(flag, &v).map(|n| n as u32);
        match flag {
            "--url" => a.url = v.clone(),
            "--escrow-bundle" => a.escrow_bundle = v.clone().into(),
            "--escrow-bin" => a.escrow_bin = v.clone().into(),
            "--blocks" => a.blocks = count()?,
            "--deals" => a.deals = count()?,
            "--out" => a.out = Some(v.clone().into()),
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    if a.url.is_empty() || a.escrow_bin.as_os_str().is_empty() {
        return Err(USAGE.into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("escrow-audit-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match rt.block_on(run(&a)) {
        Ok(report) => {
            print!("{report}");
            if let Some(out) = &a.out {
                if let Err(e) = std::fs::write(out, &report) {
                    eprintln!("escrow-audit-bench: writing {}: {e}", out.display());
                    return ExitCode::from(2);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("escrow-audit-bench: {e}");
            ExitCode::from(2)
        }
    }
}

/// Seals `n` empty blocks through `engine_createBlock`, a few requests in flight.
async fn seal(chain: &Chain, n: u32) -> Res<()> {
    stream::iter(0..n)
        .map(|_| async {
            let params =
                subxt::ext::subxt_rpcs::client::rpc_params![true, false, Option::<String>::None];
            chain
                .raw
                .request::<Json>("engine_createBlock", params)
                .await
                .map(|_| ())
                .map_err(|e| format!("engine_createBlock: {e}"))
        })
        .buffer_unordered(8)
        .try_collect::<Vec<()>>()
        .await
        .map(|_| ())
}

/// Runs the release `escrow` with `args` against the bench's instance, under
/// `/usr/bin/time`: its stdout, wall seconds and peak resident memory (KiB).
fn run_escrow(
    a: &Args,
    home: &Path,
    contract: &AccountId32,
    code_hash: &str,
    args: &[&str],
) -> Res<(String, f64, u64)> {
    let timing = home.join("time.txt");
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(&timing)
        .arg(&a.escrow_bin)
        .args([
            "--url",
            &a.url,
            "--contract",
            &contract.to_string(),
            "--code-hash",
            code_hash,
        ])
        .args(args)
        .env("ESCROW_HOME", home)
        .output()
        .map_err(|e| format!("running {}: {e}", a.escrow_bin.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "escrow {args:?} exited {:?}: {stdout}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let t = std::fs::read_to_string(&timing).map_err(|e| format!("{}: {e}", timing.display()))?;
    let mut f = t.split_whitespace();
    let wall = f
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no wall time")?;
    let rss = f
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no peak memory")?;
    Ok((stdout, wall, rss))
}

/// Submits `calls` (each `Contracts.call` of `name` on the escrow with `value`) as `who`,
/// `FILL_BATCH` per `Utility.batch_all`, with the dry-run of `sample` (twice over) as each
/// call's gas and deposit limits.
async fn batched(
    b: &Bench,
    who: &subxt_signer::sr25519::Keypair,
    value: u128,
    sample: &[u8],
    datas: Vec<Vec<u8>>,
) -> Res<()> {
    let best = b.chain.best().await.map_err(|e| e.to_string())?;
    let dry: DryRun = b
        .chain
        .dry_run_call(best.0, &chain_id(who), &b.escrow, value, sample.to_vec())
        .await
        .map_err(|e| e.to_string())?;
    let gas = Weight {
        ref_time: dry.gas_required.ref_time * 2,
        proof_size: dry.gas_required.proof_size * 2,
    };
    let deposit = dry.storage_deposit.limit() * 2 + UNIT / 100;
    for chunk in datas.chunks(FILL_BATCH) {
        let calls = Value::unnamed_composite(chunk.iter().map(|d| {
            let fields = submit::call_fields(&b.escrow, value, gas, deposit, d.clone());
            Value::unnamed_variant("Contracts", [Value::named_variant("call", fields)])
        }));
        let tx = subxt::dynamic::tx("Utility", "batch_all", vec![("calls", calls)]);
        submit::sign_submit_wait(&b.chain, &tx, who, None, b.opts.clone())
            .await
            .map_err(|e| format!("batch: {e}"))?;
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn run(a: &Args) -> Res<String> {
    let started_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let opts = SubmitOpts {
        wait: WaitFor::InBlock,
        timeout: Duration::from_secs(300),
        quiet: true,
        lock_dir: None,
    };
    let chain = Chain::connect(&a.url).await.map_err(|e| e.to_string())?;
    let (escrow, _) = deploy(
        &chain,
        opts.clone(),
        &a.escrow_bundle,
        (ink_id(&dev::ferdie()), 100u16),
        0,
    )
    .await?;
    let code_hash = chain
        .code_hash_of(&escrow)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no code at the escrow's address")?;
    let code_hash = units::hex0x(&code_hash);
    let b = Bench {
        chain,
        escrow: escrow.clone(),
        opts,
    };
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;

    // 1. The reference deal, spread over the chain.
    let gap = a.blocks / 6;
    let sealing = Instant::now();
    let (seller, buyer, oracle, closer) = (dev::charlie(), dev::bob(), dev::dave(), dev::ferdie());
    let terms = reference_terms(b.now_ms().await?);
    let total: u128 = terms.milestones.iter().map(|m| m.amount).sum();
    let hash = b.terms_hash(&terms).await?;
    let id = b.propose(&seller, &terms).await?;
    let steps: Vec<(&subxt_signer::sr25519::Keypair, u128, &str, Vec<u8>)> = vec![
        (&buyer, total, "accept", call_data("accept", &(id, hash))),
        (
            &seller,
            0,
            "submit",
            call_data("submit", &(id, 1u8, [0xB1u8; 32])),
        ),
        (&oracle, 0, "attest", call_data("attest", &(id, 1u8))),
        (
            &seller,
            0,
            "submit",
            call_data("submit", &(id, 2u8, [0xB2u8; 32])),
        ),
        (&buyer, 0, "approve", call_data("approve", &(id, 2u8))),
        (&closer, 0, "close_deal", call_data("close_deal", &(id,))),
    ];
    for (i, (who, value, name, data)) in steps.into_iter().enumerate() {
        seal(&b.chain, gap).await?;
        eprintln!(
            "escrow-audit-bench: {} empty blocks sealed; {name}",
            (i as u32 + 1) * gap
        );
        b.call::<()>(who, value, name, data).await?;
    }
    let sealed_secs = sealing.elapsed().as_secs_f64();
    let (_, best) = b.chain.best().await.map_err(|e| e.to_string())?;

    let id_s = id.0.to_string();
    let mut walls = Vec::new();
    let mut one = Json::Null;
    for _ in 0..RUNS {
        let (out, wall, _) = run_escrow(
            a,
            home.path(),
            &escrow,
            &code_hash,
            &["--json", "audit", &id_s, "--best"],
        )?;
        one = serde_json::from_str(out.trim()).map_err(|e| format!("audit output: {e}"))?;
        walls.push(wall);
    }
    if one["ok"] != true {
        return Err(format!("the audit of deal {id_s} found something: {one}"));
    }
    let new_wall = median(walls);
    eprintln!(
        "escrow-audit-bench: one deal audited in {new_wall:.2} s; now the scan of #0..#{best}"
    );
    let scan = Instant::now();
    let found = b
        .chain
        .scan_events(&escrow, 0, best)
        .await
        .map_err(|e| e.to_string())?;
    let scan_secs = scan.elapsed().as_secs_f64();
    let found = found
        .iter()
        .filter(|f| f.event.deal_id() == Some(id))
        .count();

    // 2. Many deals through their lifecycle, then --all.
    eprintln!(
        "escrow-audit-bench: {} deals, proposed, accepted with funds, released",
        a.deals
    );
    let filling = Instant::now();
    let mut small = reference_terms(b.now_ms().await?);
    small.advance = false;
    small.milestones.truncate(1);
    small.milestones[0].amount = 10 * UNIT;
    let small_hash = b.terms_hash(&small).await?;
    let first = b.deal_count().await?;
    let ids: Vec<DealId> = (first..first + u64::from(a.deals)).map(DealId).collect();
    let propose = call_data("propose", &(small.clone(),));
    batched(&b, &seller, 0, &propose, vec![propose.clone(); ids.len()]).await?;
    let accept: Vec<Vec<u8>> = ids
        .iter()
        .map(|d| call_data("accept", &(*d, small_hash)))
        .collect();
    batched(&b, &buyer, 10 * UNIT, &accept[0], accept.clone()).await?;
    let approve: Vec<Vec<u8>> = ids
        .iter()
        .map(|d| call_data("approve", &(*d, 0u8)))
        .collect();
    batched(&b, &buyer, 0, &approve[0], approve.clone()).await?;
    let fill_secs = filling.elapsed().as_secs_f64();
    let (out, all_wall, all_rss) = run_escrow(
        a,
        home.path(),
        &escrow,
        &code_hash,
        &["--json", "audit", "--all", "--best"],
    )?;
    let all: Json =
        serde_json::from_str(out.trim()).map_err(|e| format!("audit --all output: {e}"))?;
    if all["ok"] != true {
        return Err(format!("audit --all found something: {}", all["findings"]));
    }
    let audited = all["deals"].as_array().map_or(0, |d| d.len());
    let (_, head) = b.chain.best().await.map_err(|e| e.to_string())?;

    let goal = |ok: bool| if ok { "met" } else { "**not met**" };
    Ok(format!(
        "# The auditor's cost (issue 18)\n\n\
         Written by `scripts/bench.sh --audit` (`escrow-audit-bench`, bench/src/audit) at {} on \
         commit {}, on a fresh `escrow-node --dev --state-pruning archive`, with the release \
         `escrow` binary; {} cores ({}), load average {} at the end of the run.\n\n\
         ## One deal on a chain of {best} blocks\n\n\
         The reference deal (30/40/30 with an advance, an oracle, an arbiter): proposed at the \
         start, then each of its six other steps after {gap} empty blocks (sealed in {sealed_secs:.0} s). \
         Its events sit in 7 blocks spread over {best}.\n\n\
         | audit of that deal | wall time | blocks read |\n|---|---:|---:|\n\
         | **now**: `escrow audit {id_s} --best` (its trails; median of {RUNS} runs, the whole process: connect, code hash, reads, walk, checks) | **{new_wall:.2} s** | {} |\n\
         | before: `Chain::scan_events(0..={best})`, every block from genesis (what `escrow audit` did first; in-process, nothing compared yet) | {scan_secs:.1} s | {} |\n\n\
         - Goal ≤ 2 s for one deal, independent of chain length: {}. The walk reads the blocks \
         that hold the deal's events, so its cost is the same on a chain of any length; the scan \
         found the same {found} events.\n\n\
         ## `audit --all` over {audited} deals\n\n\
         {} one-milestone deals proposed, accepted with their funds and released ({FILL_BATCH} calls \
         per `Utility.batch_all`, {fill_secs:.0} s), on top of the chain above (head #{head}).\n\n\
         | `escrow audit --all --best` | |\n|---|---:|\n\
         | deals audited | {audited} |\n| events | {} |\n| blocks read | {} |\n\
         | wall time | **{all_wall:.1} s** |\n| peak memory (max RSS) | **{} MiB** |\n\n\
         Every deal's record and milestones are read from the contract's child trie \
         ({} keys per `childstate_getStorageEntries`); blocks are read 16 at a time.\n",
        units::format_time(started_ms),
        run_facts::commit(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        run_facts::cpu_model(),
        run_facts::load_average(),
        one["blocks_read"],
        best + 1,
        goal(new_wall <= 2.0),
        a.deals,
        all["deals"].as_array().map_or(0, |d| d.iter().map(|x| x["events"].as_u64().unwrap_or(0)).sum::<u64>()),
        all["blocks_read"],
        all_rss / 1024,
        1_000,
    ))
}
