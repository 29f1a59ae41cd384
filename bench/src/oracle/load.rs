//! Load: one service watching many open milestones: what a pass costs (feed requests, time,
//! CPU, memory), then how long a burst of events that arrive together takes to attest.

use std::time::{Duration, Instant};

use escrow_test_support::{
    carrier::{equipment_event, CarrierSim},
    chain::tick,
};
use subxt_signer::sr25519::dev;

use crate::{
    deals::{self, write_doc, CODES, LOCATION},
    latency::{check_health, inclusion_times, refusal, AttestClock},
    service::{Launch, Line, Memory, Service},
    session::Bench,
    Res,
};

/// How long the service may take to start and finish its first pass.
const FIRST_PASS: Duration = Duration::from_secs(300);
/// How long one more pass may take to end.
const PASS: Duration = Duration::from_secs(300);
/// How long the burst may take to be attested.
const BURST: Duration = Duration::from_secs(900);

/// One pass, from the health line before it to its own.
#[derive(Debug, Clone)]
pub struct Pass {
    /// From its start to its health line (see `Service::next`).
    pub duration: Duration,
    /// Feed requests, as the health line counts them.
    pub requests_logged: u64,
    /// Feed requests, as the simulator counted them.
    pub requests_served: u64,
    /// The service's CPU time (user + system) since the previous health line.
    pub cpu: Duration,
    /// Attestations in the pass.
    pub attested: u64,
}

/// What the burst of events that arrive together took.
pub struct Burst {
    pub n: usize,
    /// Last publication → first `condition_holds` line (the wait for the next pass and its
    /// reads and feed requests).
    pub to_first_holds: Duration,
    /// Last publication → the n-th `attested` line.
    pub to_all_attested: Duration,
    /// First `condition_holds` → the n-th `attested` line.
    pub attest_phase: Duration,
    /// Per attestation (see `AttestClock`).
    pub attest: Vec<Duration>,
    /// Per attestation: its block's timestamp → its `attested` line.
    pub inclusion: Vec<Duration>,
    /// The passes from the publication to the last attestation.
    pub passes: Vec<Pass>,
}

/// What the load run measured.
pub struct Load {
    pub deals: usize,
    pub milestones: usize,
    /// Deals, documents and the service's first pass.
    pub setup: Duration,
    /// CPU time of the start and the first pass (connection, every deal read, every
    /// document's events fetched).
    pub first_pass_cpu: Duration,
    /// Steady passes with every milestone waiting and no event, the chain idle (no block
    /// between passes: the node answers from warm caches).
    pub passes: Vec<Pass>,
    /// The same with a block sealed (a remark by //Alice) during each wait, as on a chain
    /// that makes blocks: every pass reads at a new block.
    pub passes_new_block: Vec<Pass>,
    /// After the steady passes.
    pub memory: Memory,
    pub burst: Burst,
    /// After the burst.
    pub memory_after: Memory,
}

/// The counters read at a health line.
struct Mark {
    line: Line,
    served: u64,
    cpu: Duration,
}

impl Mark {
    fn take(line: Line, sim: &CarrierSim, svc: &Service) -> Res<Mark> {
        Ok(Mark {
            line,
            served: sim.requests(),
            cpu: svc.cpu()?,
        })
    }

    /// The pass that ended at `self`, the previous pass having ended at `before`.
    fn since(&self, before: &Mark) -> Pass {
        Pass {
            duration: self.line.pass.unwrap_or_default(),
            requests_logged: self.line.u64("requests").unwrap_or(0),
            requests_served: self.served.saturating_sub(before.served),
            cpu: self.cpu.saturating_sub(before.cpu),
            attested: self.line.u64("attested").unwrap_or(0),
        }
    }
}

async fn health(svc: &mut Service, within: Duration) -> Res<Line> {
    let line = svc
        .until(Instant::now() + within, "a health line", |l| {
            refusal(l).is_err() || l.event() == "health"
        })
        .await?;
    refusal(&line)?;
    Ok(line)
}

pub async fn run(
    b: &Bench,
    sim: &CarrierSim,
    l: &Launch,
    n: usize,
    burst: usize,
    passes: usize,
) -> Res<Load> {
    let started = Instant::now();
    std::fs::create_dir_all(&l.conditions).map_err(|e| e.to_string())?;
    let reference = |d: usize| format!("LOAD-{d:04}");
    let docs = (0..n)
        .map(|d| {
            CODES
                .iter()
                .map(|code| write_doc(&l.conditions, &reference(d), code))
                .collect::<Res<Vec<_>>>()
        })
        .collect::<Res<Vec<_>>>()?;
    let ids = deals::open(b, &docs).await?;
    let milestones = n * CODES.len();
    let mut svc = Service::start(l)?;
    let first = health(&mut svc, FIRST_PASS).await?;
    check_health(&first, milestones)?;
    let setup = started.elapsed();
    eprintln!(
        "escrow-oracle-bench: load: {milestones} milestones waiting after {:.0} s; {passes} \
         passes on an idle chain, {passes} with a block before each",
        setup.as_secs_f64()
    );
    let mut mark = Mark::take(first, sim, &svc)?;
    let first_pass_cpu = mark.cpu;
    let mut steady = Vec::with_capacity(passes);
    let mut new_block = Vec::with_capacity(passes);
    for round in 0..2 * passes {
        let sealing = round >= passes;
        if sealing {
            // Right after a health line: the block is in before the next pass starts.
            tick(&b.chain, &dev::alice())
                .await
                .map_err(|e| format!("sealing a block between passes: {e}"))?;
        }
        let line = health(&mut svc, PASS).await?;
        check_health(&line, milestones)?;
        let now = Mark::take(line, sim, &svc)?;
        if sealing { &mut new_block } else { &mut steady }.push(now.since(&mark));
        mark = now;
    }
    let memory = svc.memory()?;

    // Right after a health line: the events arrive while the service waits for its next
    // pass, which finds them all.
    eprintln!("escrow-oracle-bench: load: publishing {burst} events at once");
    for d in 0..burst {
        sim.publish(equipment_event("ACT", CODES[0], LOCATION, &reference(d)));
    }
    let published = Instant::now();
    let deadline = published + BURST;
    let burst_deals: Vec<u64> = ids[..burst].iter().map(|d| d.0).collect();
    let mut clock = AttestClock::default();
    let mut attest = Vec::with_capacity(burst);
    let mut first_holds = None;
    let mut last_attested = published;
    let mut burst_passes = Vec::new();
    while attest.len() < burst {
        let line = svc.next(deadline).await?;
        refusal(&line)?;
        if line.event() == "health" {
            let now = Mark::take(line, sim, &svc)?;
            burst_passes.push(now.since(&mark));
            mark = now;
            continue;
        }
        if let Some((deal, milestone)) = line.milestone() {
            if milestone != 0 || !burst_deals.contains(&deal) {
                return Err(format!(
                    "a line about a milestone without an event: {}",
                    line.v
                ));
            }
        }
        if line.event() == "condition_holds" {
            first_holds.get_or_insert(line.at);
        }
        if let Some(took) = clock.take(&line)? {
            attest.push(took);
            last_attested = line.at;
        }
    }
    // The pass that made the last attestation ends with its health line.
    if mark.line.at < last_attested {
        let line = health(&mut svc, PASS).await?;
        let now = Mark::take(line, sim, &svc)?;
        burst_passes.push(now.since(&mark));
    }
    let memory_after = svc.memory()?;
    let inclusion = inclusion_times(&b.chain, &svc.seen).await?;
    svc.stop().await?;
    let first_holds = first_holds.ok_or("no condition_holds line in the burst")?;
    Ok(Load {
        deals: n,
        milestones,
        setup,
        first_pass_cpu,
        passes: steady,
        passes_new_block: new_block,
        memory,
        burst: Burst {
            n: burst,
            to_first_holds: first_holds.saturating_duration_since(published),
            to_all_attested: last_attested.saturating_duration_since(published),
            attest_phase: last_attested.saturating_duration_since(first_holds),
            attest,
            inclusion,
            passes: burst_passes,
        },
        memory_after,
    })
}
