//! The markdown report: each figure, and how it was measured.

use std::{fmt::Write, time::Duration};

use escrow_client::units;

use crate::{
    load::{Load, STEPS},
    run_facts,
    scan::{BlockInfo, Checks, Scanned},
    scenarios::REFERENCE_STEPS,
    session::BlockLimits,
    setup::{Deployed, FEE_BPS},
    watch::{first_at_or_above, ticks_per_second, CpuSample, Heads, PoolSample, Pools, POOL_EVERY},
    Args, Weight,
};

/// Aura's slot (node/runtime/src/lib.rs `SLOT_DURATION_MS`).
pub const SLOT_MS: u64 = 3_000;

/// Everything one run measured.
pub struct Measured {
    pub nodes: usize,
    pub deployed: Deployed,
    pub fund_block: u32,
    pub limits: BlockLimits,
    pub load: Load,
    pub heads: Heads,
    pub cpu: Vec<CpuSample>,
    pub pools: Pools,
    pub scanned: Scanned,
    pub checks: Checks,
}

/// The report, and the failures that make the run exit 2.
pub struct Rendered {
    pub md: String,
    pub failures: Vec<String>,
}

/// The nearest-rank percentile `p` (0..=100) of `xs` (0 for none).
pub fn percentile(xs: &[u64], p: usize) -> u64 {
    let mut v = xs.to_vec();
    v.sort_unstable();
    if v.is_empty() {
        return 0;
    }
    let rank = (p * v.len()).div_ceil(100).clamp(1, v.len());
    v[rank - 1]
}

/// p50 / p95 / max as table cells.
fn spread(xs: &[u64], unit: &str) -> String {
    format!(
        "{}{unit} | {}{unit} | {}{unit}",
        percentile(xs, 50),
        percentile(xs, 95),
        percentile(xs, 100)
    )
}

/// `part` as a per-mille share of `whole`, for exact integer percentages.
fn per_mille(part: u64, whole: u64) -> u64 {
    part.saturating_mul(1000) / whole.max(1)
}

fn pct(pm: u64) -> String {
    format!("{}.{}%", pm / 10, pm % 10)
}

/// How many times `used` fits in `limit`, and the dimension that binds.
pub fn fits(limit: Weight, length: u64, used: Weight, used_len: u64) -> (u64, &'static str) {
    [
        (limit.ref_time / used.ref_time.max(1), "ref_time"),
        (limit.proof_size / used.proof_size.max(1), "proof_size"),
        (length / used_len.max(1), "block length"),
    ]
    .into_iter()
    .min_by_key(|(n, _)| *n)
    .unwrap_or((0, "ref_time"))
}

/// The steady part of the run, as a range of blocks: the blocks authored (by their
/// timestamp) after every worker had started and before the first ran out of deals, so
/// that `--concurrency` deals were in flight throughout. Indices into `blocks`; the first
/// is never 0, so that the window's slots count from the block before it.
pub fn steady(blocks: &[BlockInfo], from_ms: u64, to_ms: u64) -> Option<(usize, usize)> {
    let first = blocks.iter().position(|b| b.timestamp >= from_ms)?.max(1);
    let last = blocks.iter().rposition(|b| b.timestamp <= to_ms)?;
    (last >= first).then_some((first, last))
}

/// Slots elapsed over blocks `first..=last`: from the block before `first` to `last`.
pub fn slots(blocks: &[BlockInfo], first: usize, last: usize) -> u64 {
    match first.checked_sub(1).and_then(|p| blocks.get(p)) {
        Some(prev) => blocks[last].slot.saturating_sub(prev.slot),
        None => 0,
    }
}

/// CPU use between `from_ms` and `to_ms` (the samples nearest inside): per node, the
/// bench, the machine's busy share; in cores (1.0 = one core busy throughout) except the
/// machine's share, in per mille of all its cores.
pub struct CpuUse {
    pub nodes: Vec<f64>,
    pub bench: f64,
    pub machine_per_mille: u64,
    pub seconds: f64,
}

pub fn cpu_use(samples: &[CpuSample], from_ms: u64, to_ms: u64) -> Option<CpuUse> {
    let a = samples.iter().find(|s| s.at_ms >= from_ms)?;
    let b = samples.iter().rev().find(|s| s.at_ms <= to_ms)?;
    let seconds = b.at_ms.checked_sub(a.at_ms).filter(|d| *d > 0)? as f64 / 1000.0;
    let tps = ticks_per_second() as f64;
    let cores = |x: u64, y: u64| y.saturating_sub(x) as f64 / tps / seconds;
    Some(CpuUse {
        nodes: a
            .nodes
            .iter()
            .zip(&b.nodes)
            .map(|(x, y)| cores(*x, *y))
            .collect(),
        bench: cores(a.bench, b.bench),
        machine_per_mille: per_mille(
            b.machine_busy.saturating_sub(a.machine_busy),
            b.machine_total.saturating_sub(a.machine_total),
        ),
        seconds,
    })
}

/// The load's blocks: from the first block holding one of its transactions to the last.
fn load_span(m: &Measured) -> Option<(usize, usize)> {
    let blocks = &m.scanned.blocks;
    let landed: Vec<u32> = m.checks.landed.iter().flatten().map(|l| l.block).collect();
    let (lo, hi) = (*landed.iter().min()?, *landed.iter().max()?);
    let first = blocks.iter().position(|b| b.number == lo)?;
    let last = blocks.iter().position(|b| b.number == hi)?;
    Some((first, last))
}

/// The weight, length and dry-run gas of each completed deal: the sums over its steps.
struct DealCost {
    weight: Weight,
    len: u64,
    gas: Weight,
}

fn deal_costs(m: &Measured) -> Vec<DealCost> {
    let mut per: std::collections::BTreeMap<usize, (usize, DealCost)> = Default::default();
    for (t, landed) in m.load.txs.iter().zip(&m.checks.landed) {
        let Some(l) = landed else { continue };
        let e = per.entry(t.deal).or_insert((
            0,
            DealCost {
                weight: Weight::default(),
                len: 0,
                gas: Weight::default(),
            },
        ));
        e.0 += 1;
        e.1.weight.ref_time += l.weight.ref_time;
        // CheckWeight counts a transaction's encoded length as proof_size too.
        e.1.weight.proof_size += l.weight.proof_size + l.len;
        e.1.len += l.len;
        e.1.gas.ref_time += t.gas_consumed.ref_time;
        e.1.gas.proof_size += t.gas_consumed.proof_size;
    }
    per.into_values()
        .filter(|(n, _)| *n == STEPS)
        .map(|(_, c)| c)
        .collect()
}

/// Transactions of the load per block number.
fn ours_per_block(m: &Measured) -> std::collections::HashMap<u32, u64> {
    let mut n = std::collections::HashMap::new();
    for l in m.checks.landed.iter().flatten() {
        *n.entry(l.block).or_insert(0u64) += 1;
    }
    n
}

/// Deals closed per block number (the block of their `close_deal`).
fn closes_per_block(m: &Measured) -> std::collections::HashMap<u32, u64> {
    let mut n = std::collections::HashMap::new();
    for (t, l) in m.load.txs.iter().zip(&m.checks.landed) {
        if let (Some(l), true) = (l, t.step == STEPS - 1) {
            *n.entry(l.block).or_insert(0u64) += 1;
        }
    }
    n
}

fn rate(count: u64, slots: u64) -> f64 {
    count as f64 / (slots.max(1) * SLOT_MS) as f64 * 1000.0
}

pub fn render(a: &Args, m: &Measured, took: Duration) -> Rendered {
    let mut md = String::new();
    let mut failures: Vec<String> = m.load.failures.iter().map(|f| f.to_string()).collect();
    failures.extend(m.checks.failures.iter().map(|f| f.to_string()));
    let _ = writeln!(md, "# Network load benchmark\n");
    let _ = writeln!(
        md,
        "Written by `scripts/bench.sh --network` (`escrow-network-bench`) at {} on commit {}; \
         the run took {:.0} s.\n",
        units::format_time(crate::watch::wall_ms()),
        run_facts::commit(),
        took.as_secs_f64()
    );
    if !failures.is_empty() {
        let _ = writeln!(md, "## The run FAILED\n");
        for f in &failures {
            let _ = writeln!(md, "- {f}");
        }
        md.push('\n');
    }
    setup_section(&mut md, a, m);
    counts_section(&mut md, m, failures.len());
    let Some((lo, hi)) = load_span(m) else {
        md.push_str("No transaction of the load is in the finalized chain: nothing to measure.\n");
        return Rendered { md, failures };
    };
    let window = steady(&m.scanned.blocks, m.load.all_started_ms, m.load.drained_ms);
    let sustained = throughput_section(&mut md, a, m, (lo, hi), window);
    latency_section(&mut md, m);
    fullness_section(&mut md, m, (lo, hi));
    bottleneck_section(&mut md, a, m, (lo, hi), window);
    limit_section(&mut md, m, (lo, hi), sustained);
    blocks_section(&mut md, m, (lo, hi));
    Rendered { md, failures }
}

fn setup_section(md: &mut String, a: &Args, m: &Measured) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let _ = writeln!(md, "## Setup\n");
    let _ = writeln!(
        md,
        "- Machine: {cores} cores ({}), load average {} at the end of the run (other builds \
         may share the cores).",
        run_facts::cpu_model(),
        run_facts::load_average()
    );
    let _ = writeln!(
        md,
        "- Network: {n} validators, `escrow-node --chain local-{n}` ({}), one process each, \
         started by test-support's `TestNetwork` (its own base path and node key each, p2p \
         on 127.0.0.1 with the others as bootnodes, no mDNS). Aura authors a block per {} s \
         slot, round robin over the authorities; GRANDPA finalizes.",
        m.scanned.authorities.join(", "),
        SLOT_MS / 1000,
        n = m.nodes,
    );
    let _ = writeln!(
        md,
        "- Contract: the release `milestone_escrow` bundle ({} bytes of code), deployed by \
         //Alice through node 0 in block #{}, fee {}% to //Ferdie.",
        m.deployed.code_size,
        m.deployed.block,
        f64::from(FEE_BPS) / 100.0
    );
    let _ = writeln!(
        md,
        "- Load: {} reference deals (bench/src/scenarios.rs: 300/400/300 UNIT, milestone 0 \
         an advance, one oracle with threshold 1, arbiter //Eve; {STEPS} transactions: {}), \
         {} deals in flight at a time. {} seller/buyer pairs of derived accounts (seller \
         `//load-2p`, buyer `//load-2p+1`) and an oracle per pair (`//load-oracle-p`), {} \
         accounts, pair p signing through node p mod {}, deal k belonging to pair k mod {}; \
         the seller closes its deals. Every account was funded by //Alice in one `Utility.batch_all` \
         (block #{}, waited for until finalized). No warm-up: the load's first \
         transactions create the accounts' entries in the contract's per-account deal index \
         while others that were dry-run before them are on their way, which the client's gas \
         margin (`submit::GAS_MARGIN_PERCENT`) covers.",
        a.deals,
        REFERENCE_STEPS
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join(", "),
        a.concurrency,
        a.pairs,
        3 * a.pairs,
        m.nodes,
        a.pairs,
        m.fund_block
    );
    let _ = writeln!(
        md,
        "- Client: one bench process (tokio, 2 worker threads), one WebSocket connection per \
         node for the load and one more to node 0 to watch heads and read the chain back. Each \
         step is the client library's dry-run at the best block, then `sign_submit_wait` \
         (in-block wait), under the client's per-account signing lock (held from reading \
         the nonce until the node has the transaction), so an account with several deals in \
         flight never races for a nonce; nothing is submitted twice. The \
         {} workers start staggered (worker w once node 0 is w mod {STEPS} blocks on), so \
         blocks carry a mix of steps.\n",
        a.concurrency
    );
}

fn counts_section(md: &mut String, m: &Measured, failures: usize) {
    let c = &m.checks;
    let txs = m.load.txs.len();
    let landed = c.landed.iter().flatten().count();
    let signers = c.signers;
    let _ = writeln!(md, "## Counts\n");
    let _ = writeln!(md, "| | |\n|---|---:|");
    let _ = writeln!(
        md,
        "| deals completed (all {STEPS} steps in a block) | {} |",
        m.load.deals.len()
    );
    let _ = writeln!(
        md,
        "| … read back as `Closed` at the finalized block #{} | {} |",
        c.finalized, c.closed
    );
    let _ = writeln!(md, "| transactions submitted | {txs} |");
    let _ = writeln!(
        md,
        "| … each exactly once in the finalized chain, `ExtrinsicSuccess` | {landed} |"
    );
    let _ = writeln!(
        md,
        "| … finalized in another block than the one the client saw (retracted by a fork, \
         included again) | {} |",
        c.moved
    );
    let _ = writeln!(
        md,
        "| signers whose nonce rose by exactly the transactions they signed | {} of {signers} |",
        c.nonces_ok
    );
    let _ = writeln!(
        md,
        "| signed extrinsics in the scanned blocks that are not the load's | {} |",
        c.foreign
    );
    let _ = writeln!(md, "| **failures** | **{failures}** |\n");
}

/// Writes the throughput table; returns the sustained deals/s.
fn throughput_section(
    md: &mut String,
    a: &Args,
    m: &Measured,
    (lo, hi): (usize, usize),
    window: Option<(usize, usize)>,
) -> f64 {
    let blocks = &m.scanned.blocks;
    let ours = ours_per_block(m);
    let closes = closes_per_block(m);
    let sum = |map: &std::collections::HashMap<u32, u64>, f: usize, l: usize| -> u64 {
        blocks[f..=l]
            .iter()
            .map(|b| map.get(&b.number).copied().unwrap_or(0))
            .sum()
    };
    let per_block = |f: usize, l: usize| -> Vec<u64> {
        blocks[f..=l]
            .iter()
            .map(|b| ours.get(&b.number).copied().unwrap_or(0))
            .collect()
    };
    let _ = writeln!(md, "## Throughput\n");
    let _ = writeln!(
        md,
        "Counted from the finalized chain (each transaction at the block it was finalized \
         in). A span's time is the slots it covers × {} s, from the slot of the block before \
         its first block to the slot of its last, so empty slots count. The **steady window** \
         is the blocks authored (by their timestamp) after the last worker started and before \
         the first worker found no deal left: {} deals were in flight throughout. The whole \
         load runs from the first block holding one of its transactions to the last.\n",
        SLOT_MS / 1000,
        a.concurrency
    );
    let mut cols = Vec::new();
    if let Some((f, l)) = window {
        cols.push(("steady window", f, l));
    }
    cols.push(("whole load", lo, hi));
    let _ = write!(md, "|");
    for (name, f, l) in &cols {
        let _ = write!(
            md,
            " | {name} (#{}–#{})",
            blocks[*f].number, blocks[*l].number
        );
    }
    let _ = writeln!(md, " |\n|---{}|", "|---:".repeat(cols.len()));
    let row = |md: &mut String, name: &str, cell: &dyn Fn(usize, usize) -> String| {
        let _ = write!(md, "| {name}");
        for (_, f, l) in &cols {
            let _ = write!(md, " | {}", cell(*f, *l));
        }
        let _ = writeln!(md, " |");
    };
    row(md, "blocks", &|f, l| (l - f + 1).to_string());
    row(md, "slots (s)", &|f, l| {
        let s = slots(blocks, f, l);
        format!("{s} ({} s)", s * SLOT_MS / 1000)
    });
    row(md, "transactions", &|f, l| sum(&ours, f, l).to_string());
    row(md, "**transactions/s**", &|f, l| {
        format!("**{:.2}**", rate(sum(&ours, f, l), slots(blocks, f, l)))
    });
    row(md, "deals closed", &|f, l| sum(&closes, f, l).to_string());
    row(md, "**deal lifecycles/s**", &|f, l| {
        format!("**{:.3}**", rate(sum(&closes, f, l), slots(blocks, f, l)))
    });
    row(md, "transactions per block p50 / p95 / max", &|f, l| {
        let v = per_block(f, l);
        format!(
            "{} / {} / {}",
            percentile(&v, 50),
            percentile(&v, 95),
            percentile(&v, 100)
        )
    });
    md.push('\n');
    let busiest = per_block(lo, hi).into_iter().max().unwrap_or(0);
    let _ = writeln!(
        md,
        "Peak: the busiest block carried {busiest} of the load's transactions, {:.2} \
         transactions/s over its slot, the equivalent of {:.3} deals/s ({STEPS} \
         transactions a deal).\n",
        rate(busiest, 1),
        rate(busiest, 1) / STEPS as f64
    );
    if window.is_none() {
        let _ = writeln!(
            md,
            "No steady window: no block was authored between the last worker's start and the \
             first worker running out of deals (raise --deals against --concurrency).\n"
        );
    }
    match window {
        Some((f, l)) => rate(sum(&closes, f, l), slots(blocks, f, l)),
        None => rate(sum(&closes, lo, hi), slots(blocks, lo, hi)),
    }
}

/// Each transaction's wait split at the timestamp of the block that holds it: submitted →
/// that block began, and that block began → the client knew.
fn split_waits(m: &Measured) -> (Vec<u64>, Vec<u64>) {
    let timestamp_of: std::collections::HashMap<u32, u64> = m
        .scanned
        .blocks
        .iter()
        .map(|b| (b.number, b.timestamp))
        .collect();
    m.load
        .txs
        .iter()
        .zip(&m.checks.landed)
        .filter_map(|(t, l)| {
            let at = *timestamp_of.get(&l.as_ref()?.block)?;
            Some((
                at.saturating_sub(t.submitted_ms),
                t.in_block_ms.saturating_sub(at),
            ))
        })
        .unzip()
}

/// The node running validator `name` (the harness starts node i as the i-th dev validator).
fn node_of(name: &str) -> Option<usize> {
    ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"]
        .iter()
        .position(|n| *n == name)
}

/// Where a transaction's wait for its block went, from the pool readings: submitted → the
/// first reading of its own node's pool that shows it (the client: signing lock, nonce and
/// era reads, signing, submission; plus up to one reading interval); → the first reading of
/// the block author's pool that shows it (gossip); → the block began (waiting in the
/// author's pool). Only transactions that readings saw in both pools before their block
/// began; `covered` counts them.
struct Decomposition {
    client: Vec<u64>,
    gossip: Vec<u64>,
    in_pool: Vec<u64>,
    covered: usize,
    /// Transactions some pool showed at least a second before their block began (so every
    /// pool was read twice meanwhile), and of those, the ones some node's pool never
    /// showed: that node did not take it in (a node refuses a transaction it cannot
    /// validate yet, and then bans it for a while).
    waited: usize,
    missing_somewhere: usize,
}

fn decompose(m: &Measured) -> Decomposition {
    let by_number: std::collections::HashMap<u32, &BlockInfo> =
        m.scanned.blocks.iter().map(|b| (b.number, b)).collect();
    let auth = m.scanned.authorities.len().max(1) as u64;
    let mut d = Decomposition {
        client: Vec::new(),
        gossip: Vec::new(),
        in_pool: Vec::new(),
        covered: 0,
        waited: 0,
        missing_somewhere: 0,
    };
    for (t, l) in m.load.txs.iter().zip(&m.checks.landed) {
        let Some(b) = l.as_ref().and_then(|l| by_number.get(&l.block)) else {
            continue;
        };
        let author = m
            .scanned
            .authorities
            .get((b.slot % auth) as usize)
            .and_then(|name| node_of(name));
        let seen = |node: usize| m.pools.first_seen.get(node)?.get(&t.tx_hash).copied();
        let everywhere: Vec<Option<u64>> = (0..m.nodes).map(seen).collect();
        let first = everywhere.iter().flatten().min().copied();
        if first.is_some_and(|f| f.saturating_add(1_000) <= b.timestamp) {
            d.waited += 1;
            if everywhere.iter().any(Option::is_none) {
                d.missing_somewhere += 1;
            }
        }
        let (Some(own), Some(at_author)) = (seen(t.node), author.and_then(seen)) else {
            continue;
        };
        if at_author > b.timestamp {
            continue;
        }
        d.covered += 1;
        d.client.push(own.saturating_sub(t.submitted_ms));
        d.gossip.push(at_author.saturating_sub(own));
        d.in_pool
            .push(b.timestamp.saturating_sub(at_author.max(own)));
    }
    d
}

fn latency_section(md: &mut String, m: &Measured) {
    let fin = &m.heads.finalized;
    let best = &m.heads.best;
    let inclusion: Vec<u64> = m
        .load
        .txs
        .iter()
        .map(|t| t.in_block_ms.saturating_sub(t.submitted_ms))
        .collect();
    let (to_authored, to_seen) = split_waits(m);
    let lag: Vec<u64> = m
        .load
        .txs
        .iter()
        .zip(&m.checks.landed)
        .filter_map(|(t, l)| {
            let at = first_at_or_above(fin, l.as_ref()?.block)?;
            Some(at.saturating_sub(t.in_block_ms))
        })
        .collect();
    let blocks: Vec<&BlockInfo> = {
        let lo = m.load.txs.iter().map(|t| t.block).min().unwrap_or(0);
        let hi = m.load.txs.iter().map(|t| t.block).max().unwrap_or(0);
        m.scanned
            .blocks
            .iter()
            .filter(|b| b.number >= lo && b.number <= hi)
            .collect()
    };
    let imported: Vec<u64> = blocks
        .iter()
        .filter_map(|b| Some(first_at_or_above(best, b.number)?.saturating_sub(b.timestamp)))
        .collect();
    let authored_to_final: Vec<u64> = blocks
        .iter()
        .filter_map(|b| Some(first_at_or_above(fin, b.number)?.saturating_sub(b.timestamp)))
        .collect();
    let deal_time: Vec<u64> = m
        .load
        .deals
        .iter()
        .map(|d| d.closed_ms.saturating_sub(d.started_ms))
        .collect();
    let _ = writeln!(md, "## Latency and finality\n");
    let _ = writeln!(
        md,
        "Per transaction: *submitted* is the instant the worker called `sign_submit_wait` \
         (after the dry-run; the signing lock, nonce, signing and submission are inside it); \
         *in block* is when it returned (its node reported it in a best block and the client \
         had read that block's events and header); *finalized* is the first instant the \
         bench's subscription to node 0's finalized heads reported that block or a \
         descendant. Per block: *authored* is its `Timestamp::Now` (set by its author when \
         it began the block; the validators share this machine's clock); *imported* is when \
         node 0 first reported it (or a descendant) as its best block. {} transactions, {} \
         blocks, {} deals.\n",
        inclusion.len(),
        blocks.len(),
        deal_time.len()
    );
    let _ = writeln!(md, "| | p50 | p95 | max |\n|---|---:|---:|---:|");
    let _ = writeln!(
        md,
        "| transaction: submitted → in block | {} |",
        spread(&inclusion, " ms")
    );
    let _ = writeln!(
        md,
        "| … submitted → the block that holds it authored (its timestamp) | {} |",
        spread(&to_authored, " ms")
    );
    let d = decompose(m);
    let _ = writeln!(
        md,
        "| … … submitted → in its node's pool (the client) ¹ | {} |",
        spread(&d.client, " ms")
    );
    let _ = writeln!(
        md,
        "| … … its node's pool → the including node's pool (gossip) ¹ | {} |",
        spread(&d.gossip, " ms")
    );
    let _ = writeln!(
        md,
        "| … … in the including node's pool → the block authored ¹ | {} |",
        spread(&d.in_pool, " ms")
    );
    let _ = writeln!(
        md,
        "| … that block authored → in block (the client knew) | {} |",
        spread(&to_seen, " ms")
    );
    let _ = writeln!(
        md,
        "| **finality lag, per transaction: in block → finalized** | {} |",
        spread(&lag, " ms")
    );
    let _ = writeln!(
        md,
        "| block: authored → imported by node 0 | {} |",
        spread(&imported, " ms")
    );
    let _ = writeln!(
        md,
        "| **finality lag, per block: authored → finalized on node 0** | {} |",
        spread(&authored_to_final, " ms")
    );
    let _ = writeln!(
        md,
        "| deal: propose's dry-run → close_deal in block | {} |\n",
        spread(&deal_time, " ms")
    );
    let _ = writeln!(
        md,
        "¹ From the pool readings (every node's `author_pendingExtrinsics` every {} ms, each \
         transaction hashed): *in a pool* is the first reading that showed it there, so up to \
         one interval late; the block's author is `authorities[slot mod n]`. {} of the {} \
         transactions were seen in both pools before their block began, and the ¹ rows are over \
         them only: the others, included before a reading caught them, waited less. Of the {} that some pool showed at least \
         1000 ms before their block began (every pool was read at least twice meanwhile), \
         {} never showed up in at least one node's pool.\n",
        POOL_EVERY.as_millis(),
        d.covered,
        m.load.txs.len(),
        d.waited,
        d.missing_somewhere
    );
}

fn fullness_section(md: &mut String, m: &Measured, (lo, hi): (usize, usize)) {
    let limit = m.limits.normal;
    let length = u64::from(m.scanned.normal_length);
    let blocks = &m.scanned.blocks[lo..=hi];
    let rt: Vec<u64> = blocks
        .iter()
        .map(|b| per_mille(b.normal.ref_time, limit.ref_time))
        .collect();
    let ps: Vec<u64> = blocks
        .iter()
        .map(|b| per_mille(b.normal.proof_size, limit.proof_size))
        .collect();
    let len: Vec<u64> = blocks
        .iter()
        .map(|b| per_mille(b.signed_len(), length))
        .collect();
    let count: Vec<u64> = blocks.iter().map(|b| b.signed() as u64).collect();
    let pcts = |v: &[u64]| {
        format!(
            "{} | {} | {}",
            pct(percentile(v, 50)),
            pct(percentile(v, 95)),
            pct(percentile(v, 100))
        )
    };
    // Each block's `BlockWeight` against the sum of its transactions' `ExtrinsicSuccess`
    // weights and lengths (frame-system's CheckWeight adds each one's encoded length to its
    // proof_size).
    let agree = blocks
        .iter()
        .filter(|b| {
            let (rt, ps) = b
                .exts
                .iter()
                .filter(|x| x.signed)
                .filter_map(|x| Some((x.weight?, x.len)))
                .fold((0u64, 0u64), |(r, p), (w, len)| {
                    (r + w.ref_time, p + w.proof_size + len)
                });
            (rt, ps) == (b.normal.ref_time, b.normal.proof_size)
        })
        .count();
    let _ = writeln!(md, "## Block fullness\n");
    let _ = writeln!(
        md,
        "Each block's `System::BlockWeight` (normal class: every contract call is a Normal \
         dispatch), read in that block's state, against the normal-class limit \
         `per_class.normal.max_total` from the runtime constant `System::BlockWeights`: \
         ref_time {}, proof_size {}{} (75% of `max_block`, ref_time {}: \
         node/runtime/src/lib.rs, `NORMAL_DISPATCH_RATIO` of the 2 s block); and the signed \
         extrinsics' encoded bytes against `System::BlockLength`'s normal class, {} bytes. \
         Over the load's {} blocks (#{}–#{}). In {agree} of them the `BlockWeight` equals \
         exactly the sum over the block's transactions of their `ExtrinsicSuccess` weight \
         plus their encoded length as proof_size (frame-system's `CheckWeight` counts a \
         transaction's length as proof).\n",
        limit.ref_time,
        limit.proof_size,
        if limit.proof_size > u64::MAX / 2 {
            " (75% of u64::MAX: this solo chain sets no proof-size limit)"
        } else {
            ""
        },
        m.limits.max_block.ref_time,
        length,
        blocks.len(),
        blocks[0].number,
        blocks[blocks.len() - 1].number,
    );
    let _ = writeln!(md, "| per block | p50 | p95 | max |\n|---|---:|---:|---:|");
    let _ = writeln!(
        md,
        "| **normal ref_time, % of the limit** | {} |",
        pcts(&rt)
    );
    let _ = writeln!(md, "| normal proof_size, % of the limit | {} |", pcts(&ps));
    let _ = writeln!(
        md,
        "| signed bytes, % of the normal length | {} |",
        pcts(&len)
    );
    let _ = writeln!(md, "| signed extrinsics | {} |\n", spread(&count, ""));
}

fn bottleneck_section(
    md: &mut String,
    a: &Args,
    m: &Measured,
    (lo, hi): (usize, usize),
    window: Option<(usize, usize)>,
) {
    let blocks = &m.scanned.blocks;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (from_ms, to_ms, what) = match window {
        Some((f, l)) => (
            blocks[f - 1].timestamp,
            blocks[l].timestamp,
            "the steady window",
        ),
        None => (
            blocks[lo.saturating_sub(1)].timestamp,
            blocks[hi].timestamp,
            "the whole load",
        ),
    };
    let _ = writeln!(md, "## Where the bottleneck is\n");
    let cpu = cpu_use(&m.cpu, from_ms, to_ms);
    let max_rt = blocks[lo..=hi]
        .iter()
        .map(|b| per_mille(b.normal.ref_time, m.limits.normal.ref_time))
        .max()
        .unwrap_or(0);
    if let Some(c) = &cpu {
        let total: f64 = c.nodes.iter().sum::<f64>() + c.bench;
        let _ = writeln!(
            md,
            "CPU over {what} ({:.0} s between the two samples inside it; /proc/PID/stat utime + \
             stime, sampled every second, in cores: 1.00 = one core busy throughout; the \
             machine's share from /proc/stat, every process included):\n",
            c.seconds
        );
        let _ = writeln!(md, "| process | cores |\n|---|---:|");
        for (i, n) in c.nodes.iter().enumerate() {
            let name = m.scanned.authorities.get(i).cloned().unwrap_or_default();
            let _ = writeln!(md, "| node {i} ({name}) | {n:.2} |");
        }
        let _ = writeln!(md, "| the bench | {:.2} |", c.bench);
        let _ = writeln!(md, "| **nodes + bench** | **{total:.2} of {cores}** |");
        let _ = writeln!(
            md,
            "| the whole machine, busy | {} of {cores} cores |\n",
            pct(c.machine_per_mille)
        );
    }
    let pools: Vec<&PoolSample> = m
        .pools
        .samples
        .iter()
        .filter(|p| p.at_ms >= from_ms && p.at_ms <= to_ms)
        .collect();
    let pool_p50: Vec<u64> = (0..m.nodes)
        .map(|i| {
            let v: Vec<u64> = pools
                .iter()
                .filter_map(|p| p.sizes.get(i).map(|n| *n as u64))
                .collect();
            percentile(&v, 50)
        })
        .collect();
    if !pools.is_empty() {
        let _ = writeln!(
            md,
            "Transaction pools over {what}: each node's `author_pendingExtrinsics` (ready and \
             future transactions), read every {} ms, {} readings; a transaction is in every \
             node's pool once gossiped, until a block includes it.\n",
            POOL_EVERY.as_millis(),
            pools.len()
        );
        let _ = writeln!(md, "| node | p50 | p95 | max |\n|---|---:|---:|---:|");
        for i in 0..m.nodes {
            let v: Vec<u64> = pools
                .iter()
                .filter_map(|p| p.sizes.get(i).map(|n| *n as u64))
                .collect();
            let name = m.scanned.authorities.get(i).cloned().unwrap_or_default();
            let _ = writeln!(md, "| node {i} ({name}) | {} |", spread(&v, ""));
        }
        md.push('\n');
    }
    // Missed slots, by the slot's author (Aura: authorities[slot mod n]).
    let auth = m.scanned.authorities.len().max(1) as u64;
    let (f, l) = window.unwrap_or((lo.max(1), hi));
    let first_slot = blocks[f - 1].slot + 1;
    let last_slot = blocks[l].slot;
    let mut assigned = vec![0u64; auth as usize];
    let mut authored = vec![0u64; auth as usize];
    for s in first_slot..=last_slot {
        assigned[(s % auth) as usize] += 1;
    }
    for b in &blocks[f..=l] {
        authored[(b.slot % auth) as usize] += 1;
    }
    let elapsed: u64 = assigned.iter().sum();
    let made: u64 = authored.iter().sum();
    let _ = writeln!(
        md,
        "Slots over {what}: {elapsed} elapsed, {made} blocks authored in the finalized chain, \
         **{} missed** (a slot's author is `authorities[slot mod {auth}]`; a missed slot is \
         one whose author made no block that was finalized: it did not author in time, or \
         its block lost a fork).\n",
        elapsed - made
    );
    let _ = writeln!(
        md,
        "| author | slots | blocks | missed |\n|---|---:|---:|---:|"
    );
    for (i, name) in m.scanned.authorities.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} |",
            assigned[i],
            authored[i],
            assigned[i] - authored[i]
        );
    }
    md.push('\n');
    // The verdict, from the figures above.
    let deal_ms: Vec<u64> = m
        .load
        .deals
        .iter()
        .map(|d| d.closed_ms.saturating_sub(d.started_ms))
        .collect();
    let median_deal_s = percentile(&deal_ms, 50) as f64 / 1000.0;
    let little = a.concurrency as f64 / median_deal_s.max(0.001);
    let _ = writeln!(md, "What the figures say:\n");
    let _ = writeln!(
        md,
        "- The chain's weight limit: the fullest block used {} of the normal-class ref_time{}.",
        pct(max_rt),
        if max_rt >= 900 {
            ": **blocks were full, the weight limit binds**"
        } else {
            ", so the weight limit did not bind"
        }
    );
    if let Some(c) = &cpu {
        let total: f64 = c.nodes.iter().sum::<f64>() + c.bench;
        let saturated = c.machine_per_mille >= 900;
        let _ = writeln!(
            md,
            "- This machine: the {} node processes and the bench used {total:.2} of its {cores} \
             cores, the machine as a whole was {} busy{}; {} of {elapsed} slots were missed.",
            m.nodes,
            pct(c.machine_per_mille),
            if saturated {
                ": **the CPU was saturated, it is the bottleneck**"
            } else {
                ", so the CPU was not saturated"
            },
            elapsed - made
        );
    }
    let pool = pool_p50.iter().copied().max().unwrap_or(0);
    let included: Vec<u64> = blocks[f..=l]
        .iter()
        .map(|b| ours_per_block(m).get(&b.number).copied().unwrap_or(0))
        .collect();
    let per_block = percentile(&included, 50);
    let _ = writeln!(
        md,
        "- The pools: the fullest node's pool held {pool} transactions (median of its readings) \
         while blocks included {per_block} of the load's (median){}.",
        if pool > per_block.saturating_mul(3) / 2 {
            ": **a backlog of more than a block: blocks took in less than was waiting**"
        } else {
            ": no backlog beyond the next block, blocks took in what reached the pools"
        }
    );
    let waited = percentile(&split_waits(m).0, 50);
    let d = decompose(m);
    let in_pool = percentile(&d.in_pool, 50);
    let _ = writeln!(
        md,
        "- A transaction waited {waited} ms (median) from the worker handing it to \
         `sign_submit_wait` to the start of the block that holds it (a slot is {SLOT_MS} ms): \
         medians {} ms until its node's pool had it (the client: signing lock, nonce and era \
         reads, signing, submission), {} ms until the pool of the node that included it had \
         it (gossip), {in_pool} ms there until that block began (readings every {} ms; {} \
         transactions seen in both pools). {}",
        percentile(&d.client, 50),
        percentile(&d.gossip, 50),
        POOL_EVERY.as_millis(),
        d.covered,
        if in_pool > SLOT_MS {
            format!(
                "Waiting more than a slot in a pool that had it means earlier slots' \
                 authors did not include it; of the {} transactions some pool showed at \
                 least 1000 ms before their block began, {} ({}) never showed up in at least \
                 one node's pool.",
                d.waited,
                d.missing_somewhere,
                pct(per_mille(d.missing_somewhere as u64, d.waited as u64))
            )
        } else {
            "Transactions were included within a slot of reaching a pool.".to_string()
        }
    );
    let step_s = median_deal_s / STEPS as f64;
    let _ = writeln!(
        md,
        "- The load itself: a deal's steps are sequential and each waits for its block, so a \
         deal took {median_deal_s:.1} s (median; {step_s:.1} s, {:.1} slots, a step) and {} \
         deals in flight can close at most about {} / {median_deal_s:.1} s = {little:.2} \
         deals/s (Little's law) whatever the chain could take.\n",
        step_s * 1000.0 / SLOT_MS as f64,
        a.concurrency,
        a.concurrency
    );
    let machine = cpu.as_ref().map_or(0, |c| c.machine_per_mille);
    let verdict = if max_rt >= 900 {
        "the chain's weight limit: blocks were full".to_string()
    } else if machine >= 900 || (elapsed - made) * 20 > elapsed {
        format!(
            "this machine: its CPU was {} busy and {} of {elapsed} slots were missed, with \
             blocks at most {} full",
            pct(machine),
            elapsed - made,
            pct(max_rt)
        )
    } else if in_pool > SLOT_MS {
        format!(
            "neither the weight limit (blocks at most {} full) nor this machine ({} busy): \
             the pace of {} deals in flight, each step waiting for a block, and a step's \
             transaction waiting a median {in_pool} ms ({:.1} slots) in the pool of the node \
             that included it, {} of them absent from at least one node's pool",
            pct(max_rt),
            pct(machine),
            a.concurrency,
            in_pool as f64 / SLOT_MS as f64,
            pct(per_mille(d.missing_somewhere as u64, d.waited as u64))
        )
    } else {
        format!(
            "neither the weight limit (blocks at most {} full) nor this machine ({} busy): \
             the load's own pace, {} deals in flight each waiting for a block per step",
            pct(max_rt),
            pct(machine),
            a.concurrency
        )
    };
    let _ = writeln!(md, "**The bottleneck in this run: {verdict}.**\n");
}

fn limit_section(md: &mut String, m: &Measured, (lo, hi): (usize, usize), sustained: f64) {
    let costs = deal_costs(m);
    let _ = writeln!(md, "## The physical limit: reference deals per block\n");
    if costs.is_empty() {
        let _ = writeln!(md, "No deal completed: no deal's weight to measure.\n");
        return;
    }
    let median =
        |f: &dyn Fn(&DealCost) -> u64| percentile(&costs.iter().map(f).collect::<Vec<_>>(), 50);
    let weight = Weight {
        ref_time: median(&|c| c.weight.ref_time),
        proof_size: median(&|c| c.weight.proof_size),
    };
    let gas = Weight {
        ref_time: median(&|c| c.gas.ref_time),
        proof_size: median(&|c| c.gas.proof_size),
    };
    let len = median(&|c| c.len);
    let (lo_rt, hi_rt) = (
        costs.iter().map(|c| c.weight.ref_time).min().unwrap_or(0),
        costs.iter().map(|c| c.weight.ref_time).max().unwrap_or(0),
    );
    let length = u64::from(m.scanned.normal_length);
    let (per_block, binds) = fits(m.limits.normal, length, weight, len);
    let limit_rate = per_block as f64 / (SLOT_MS as f64 / 1000.0);
    let peak_rt = m.scanned.blocks[lo..=hi]
        .iter()
        .map(|b| b.normal.ref_time)
        .max()
        .unwrap_or(0);
    let peak_deals = peak_rt as f64 / weight.ref_time.max(1) as f64;
    let peak_rate = peak_deals / (SLOT_MS as f64 / 1000.0);
    let share = |r: f64| r / limit_rate.max(f64::MIN_POSITIVE) * 100.0;
    let _ = writeln!(
        md,
        "A deal's weight is the sum of its {STEPS} transactions' `ExtrinsicSuccess` weights in \
         the finalized chain (what each took from its block's normal-class budget: the \
         actual weight of `Contracts.call`, the contract's gas included, plus the base \
         extrinsic weight) plus their encoded lengths as proof_size (as `CheckWeight` \
         counts them), median over the {} completed deals (ref_time from {lo_rt} to \
         {hi_rt}): **ref_time {}, proof_size {}**, {len} bytes of extrinsics. (The same \
         deals' dry-run `gas_consumed`, the contract alone: ref_time {}, proof_size {}.)\n",
        costs.len(),
        weight.ref_time,
        weight.proof_size,
        gas.ref_time,
        gas.proof_size
    );
    let _ = writeln!(
        md,
        "- **At most {per_block} reference deals fit in one block** ({binds} binds: \
         ref_time {} / {}, proof_size {} / {}, length {length} / {len}), so the chain can \
         carry at most **{limit_rate:.1} deals/s** (one block per {} s slot, every slot \
         authored).",
        m.limits.normal.ref_time,
        weight.ref_time,
        m.limits.normal.proof_size,
        weight.proof_size,
        SLOT_MS / 1000
    );
    let _ = writeln!(
        md,
        "- This run sustained {sustained:.3} deals/s, **{:.2}% of that limit**; its busiest \
         block by weight (normal ref_time {peak_rt}) held {peak_deals:.1} deals' worth, \
         {peak_rate:.2} deals/s over its slot, **{:.2}% of the limit**.\n",
        share(sustained),
        share(peak_rate)
    );
}

fn blocks_section(md: &mut String, m: &Measured, (lo, hi): (usize, usize)) {
    let ours = ours_per_block(m);
    let closes = closes_per_block(m);
    let auth = m.scanned.authorities.len().max(1) as u64;
    let _ = writeln!(
        md,
        "<details><summary>Every block of the load (#{}–#{})</summary>\n",
        m.scanned.blocks[lo].number, m.scanned.blocks[hi].number
    );
    let _ = writeln!(
        md,
        "| block | slot | author | signed extrinsics | of the load | deals closed | normal ref_time | % | normal proof_size | % | bytes | authored → imported by node 0 |\n\
         |---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for b in &m.scanned.blocks[lo..=hi] {
        let author = m
            .scanned
            .authorities
            .get((b.slot % auth) as usize)
            .cloned()
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "| #{} | {} | {author} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            b.number,
            b.slot,
            b.signed(),
            ours.get(&b.number).copied().unwrap_or(0),
            closes.get(&b.number).copied().unwrap_or(0),
            b.normal.ref_time,
            pct(per_mille(b.normal.ref_time, m.limits.normal.ref_time)),
            b.normal.proof_size,
            pct(per_mille(b.normal.proof_size, m.limits.normal.proof_size)),
            b.signed_len(),
            first_at_or_above(&m.heads.best, b.number).map_or("–".into(), |at| format!(
                "{} ms",
                at.saturating_sub(b.timestamp)
            )),
        );
    }
    let _ = writeln!(md, "\n</details>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use subxt::utils::H256;

    fn block(number: u32, slot: u64, timestamp: u64) -> BlockInfo {
        BlockInfo {
            number,
            hash: H256::zero(),
            slot,
            timestamp,
            normal: Weight::default(),
            exts: Vec::new(),
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let xs: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile(&xs, 50), 10);
        assert_eq!(percentile(&xs, 95), 19);
        assert_eq!(percentile(&xs, 100), 20);
        assert_eq!(percentile(&[], 50), 0);
    }

    #[test]
    fn the_steady_window_is_the_blocks_authored_inside_it_and_counts_empty_slots() {
        // Slots 10..=16; slot 13 missed.
        let blocks = [
            block(1, 10, 30_000),
            block(2, 11, 33_000),
            block(3, 12, 36_000),
            block(4, 14, 42_000),
            block(5, 15, 45_000),
            block(6, 16, 48_000),
        ];
        assert_eq!(steady(&blocks, 34_000, 45_500), Some((2, 4)));
        // Blocks #3..=#5, slots 12..=15 (from the slot after #2's): 4 slots, 3 blocks.
        assert_eq!(slots(&blocks, 2, 4), 4);
        // The window never starts at the first block: its slots count from the one before.
        assert_eq!(steady(&blocks, 0, 40_000), Some((1, 2)));
        assert_eq!(steady(&blocks, 46_000, 47_000), None);
    }

    #[test]
    fn deals_per_block_is_bound_by_the_scarcest_resource() {
        let w = |ref_time, proof_size| Weight {
            ref_time,
            proof_size,
        };
        assert_eq!(
            fits(w(1_500, 1_000), 10_000, w(100, 10), 10),
            (15, "ref_time")
        );
        assert_eq!(
            fits(w(1_500, 50), 10_000, w(100, 10), 10),
            (5, "proof_size")
        );
        assert_eq!(
            fits(w(1_500, 1_000), 40, w(100, 10), 10),
            (4, "block length")
        );
    }

    #[test]
    fn rates_count_slots_of_three_seconds() {
        assert_eq!(rate(30, 10), 1.0);
        assert_eq!(pct(per_mille(1, 3)), "33.3%");
    }

    #[test]
    fn cpu_use_is_the_difference_between_the_samples_inside_the_window() {
        let tps = ticks_per_second();
        let s = |at_ms, node, bench, busy, total| CpuSample {
            at_ms,
            nodes: vec![node],
            bench,
            machine_busy: busy,
            machine_total: total,
        };
        let samples = [
            s(0, 0, 0, 0, 0),
            s(1_000, tps, 0, 100, 200),
            s(3_000, 3 * tps, tps, 400, 600),
            s(9_000, 9 * tps, tps, 500, 1_000),
        ];
        let c = cpu_use(&samples, 500, 3_500).expect("two samples inside");
        assert_eq!(c.seconds, 2.0);
        assert_eq!(c.nodes, vec![1.0]);
        assert_eq!(c.bench, 0.5);
        assert_eq!(c.machine_per_mille, 750);
        assert!(cpu_use(&samples, 500, 1_500).is_none());
    }
}
