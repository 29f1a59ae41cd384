//! The markdown report: the setup, each figure and how it was measured.

use std::{fmt::Write, time::Duration};

use escrow_client::units;

use crate::{
    latency::Latency,
    load::{Load, Pass},
    run_facts,
};

/// Everything one run measured.
pub struct Run {
    pub poll: Duration,
    pub seed: u64,
    pub latency: Latency,
    pub load: Load,
    pub took: Duration,
}

/// The nearest-rank percentile `p` (0..=100) of `xs`.
pub fn percentile(xs: &[Duration], p: usize) -> Duration {
    let mut v = xs.to_vec();
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * v.len()).div_ceil(100).clamp(1, v.len());
    v[rank - 1]
}

fn median(xs: &[Duration]) -> Duration {
    percentile(xs, 50)
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn median_u64(xs: impl IntoIterator<Item = u64>) -> u64 {
    let mut v: Vec<u64> = xs.into_iter().collect();
    v.sort();
    v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The report.
pub fn render(r: &Run) -> String {
    let mut md = String::new();
    let poll = r.poll;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let _ = writeln!(md, "# Oracle service benchmark\n");
    let _ = writeln!(
        md,
        "Written by `scripts/bench.sh --oracle` (`escrow-oracle-bench`) at {} on commit {}; \
         the run took {}.\n",
        units::format_time(wall),
        run_facts::commit(),
        secs(r.took)
    );
    let _ = writeln!(md, "## Setup\n");
    let _ = writeln!(
        md,
        "- Machine: {cores} cores ({}), load average {} at the end of the run (other \
         builds may share the cores).",
        run_facts::cpu_model(),
        run_facts::load_average()
    );
    let _ = writeln!(
        md,
        "- Node: `escrow-node --dev --tmp` (instant seal: a block is sealed as soon as a \
         transaction reaches the pool), on a free port."
    );
    let _ = writeln!(
        md,
        "- Service: the release `escrow --suri //Ferdie --contract ADDR --code-hash 0x… \
         oracle run --feed URL --conditions DIR --poll {} --log-format json`, its own \
         `ESCROW_HOME`, as a child process of the bench, which reads its log lines as they \
         are printed. It prints `attested` once the attestation is in a block.",
        units::format_duration(poll.as_millis() as u64)
    );
    let _ = writeln!(
        md,
        "- Feed: the carrier simulator (`escrow-test-support`'s `CarrierSim`) in the bench's \
         process on 127.0.0.1; one HTTP/1.1 connection per request."
    );
    let _ = writeln!(
        md,
        "- Deals: seller //Charlie, buyer //Bob, oracle //Ferdie alone (rule Oracles, \
         threshold 1), every milestone funded and committed to its own condition document \
         (\"ACT <code> at INMUN of <transport document>\"), proposed and accepted in \
         `Utility.batch_all`s; a fresh escrow instance (deployed by //Alice) for each part.\n"
    );
    latency_section(&mut md, r);
    load_section(&mut md, r);
    md
}

fn latency_section(md: &mut String, r: &Run) {
    let l = &r.latency;
    let block = median(&l.inclusion);
    let goal = r.poll + block;
    let poll = units::format_duration(r.poll.as_millis() as u64);
    let _ = writeln!(
        md,
        "## Latency: the ACT event in the feed → the attestation in a block\n"
    );
    let _ = writeln!(
        md,
        "{} deals of one milestone, each with its own transport document. While the service \
         ran, the bench published their ACT LOAD events one at a time, event k at a random \
         instant of the window [k·{w}, (k+1)·{w}) (two poll intervals; SplitMix64, seed {}); \
         a latency starts at the instant the simulator recorded the event and ends when the \
         bench reads the service's `attested` line for that milestone, which the service \
         prints once the attestation is in a block.\n",
        l.n,
        r.seed,
        w = units::format_duration(l.window.as_millis() as u64),
    );
    let _ = writeln!(md, "| {} milestones | p50 | p95 | max |", l.n);
    let _ = writeln!(md, "|---|---:|---:|---:|");
    let rows: [(&str, &[Duration]); 4] = [
        ("**event in the feed → `attested` (in a block)**", &l.total),
        (
            "event in the feed → `condition_holds` (the wait for the next pass, then its reads \
             and requests)",
            &l.to_holds,
        ),
        (
            "attest step: `condition_holds` → `attested` (pool check, bit read, dry-run, \
             signing, submission, inclusion)",
            &l.attest,
        ),
        (
            "of which inclusion: the block's timestamp → `attested` (sealing, import, the \
             service seeing it in a block)",
            &l.inclusion,
        ),
    ];
    for (name, xs) in rows {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} |",
            ms(median(xs)),
            ms(percentile(xs, 95)),
            ms(percentile(xs, 100))
        );
    }
    let verdict = |d: Duration| if d <= goal { "met" } else { "**not met**" };
    let (p50, p95, max) = (
        median(&l.total),
        percentile(&l.total, 95),
        percentile(&l.total, 100),
    );
    let _ = writeln!(
        md,
        "\nGoal: ≤ poll interval + one block = {poll} + {} = {} (one block under instant \
         seal: the median inclusion time above). p50 {} ({}), **p95 {} ({})**, max {} ({}).\n",
        ms(block),
        ms(goal),
        ms(p50),
        verdict(p50),
        ms(p95),
        verdict(p95),
        ms(max),
        verdict(max),
    );
    let _ = writeln!(
        md,
        "Why: a pass starts every {poll} (start to start), so an event waits up to one \
         interval for the next pass to start; that pass's chain reads and feed requests \
         come before its attestations. A pass that attested nothing took {} (median of {}, \
         with {}–{} milestones still waiting; a pass timed from its start, which the \
         bench derives from the `started` line and each health line's `next_pass_ms`): \
         after a new block, the contract's events of the new blocks and a read of each \
         deal they name (at the same best block the service reads nothing again), and \
         one feed request per waiting \
         milestone's transport document (the first pass, all {} waiting: {} requests). \
         Measuring took {}; setting up (deals, documents, the service's first pass) {}.\n",
        ms(median(&l.idle_passes)),
        l.idle_passes.len(),
        l.idle_waiting.0,
        l.idle_waiting.1,
        l.n,
        l.first_requests,
        secs(l.measured),
        secs(l.setup),
    );
}

fn pass_table<'a>(md: &mut String, rows: impl IntoIterator<Item = (String, &'a Pass)>) {
    let _ = writeln!(
        md,
        "| pass | duration | requests (logged) | requests (served) | CPU | attested |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
    for (name, p) in rows {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} |",
            ms(p.duration),
            p.requests_logged,
            p.requests_served,
            ms(p.cpu),
            p.attested
        );
    }
    md.push('\n');
}

/// One line summing up steady passes.
fn pass_summary(md: &mut String, what: &str, passes: &[Pass], poll: Duration) {
    let durations: Vec<Duration> = passes.iter().map(|p| p.duration).collect();
    let cpu = median(&passes.iter().map(|p| p.cpu).collect::<Vec<_>>());
    // Passes start every poll interval, or at once after a longer pass.
    let cycle = poll.max(median(&durations));
    let _ = writeln!(
        md,
        "- {what} (median of {}): **{} requests**, **{}**, **{:.2} CPU seconds** per pass \
         ({:.1}% of one core over the {} between pass starts).",
        passes.len(),
        median_u64(passes.iter().map(|p| p.requests_served)),
        ms(median(&durations)),
        cpu.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / cycle.as_secs_f64(),
        ms(cycle),
    );
}

fn load_section(md: &mut String, r: &Run) {
    let l = &r.load;
    let b = &l.burst;
    let _ = writeln!(
        md,
        "## Load: one service watching {} open milestones\n",
        l.milestones
    );
    let _ = writeln!(
        md,
        "{} deals × {} funded milestones, one transport document per deal, each milestone \
         a different requirement (ten equipment codes), so {} distinct documents by hash. \
         Per pass, from the service's health lines: its duration (from its start, every \
         poll interval, to its health line), the feed requests it logged and the ones the \
         simulator served, and the service's CPU time (/proc/PID/stat utime + stime, in \
         clock ticks of 10 ms, between two health lines: the pass plus its idle wait). \
         First with the chain idle (no block between passes: the service sees the same \
         best block and reads nothing from the node again, so a pass is its feed requests), \
         then with a block sealed (a remark by //Alice) during each wait, as on a chain \
         that makes blocks: a pass reads that block's events (none of the escrow's) and \
         the oracle's deal count, and no deal (docs/oracle.md, the pass).\n",
        l.deals,
        l.milestones / l.deals.max(1),
        l.milestones
    );
    let n = l.passes.len();
    let rows = l
        .passes
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("{} (idle chain)", i + 2), p));
    let sealed = l.passes_new_block.iter().enumerate();
    let sealed = sealed.map(|(i, p)| (format!("{} (new block)", i + n + 2), p));
    pass_table(md, rows.chain(sealed));
    pass_summary(md, "Idle chain", &l.passes, r.poll);
    pass_summary(
        md,
        "A new block before each pass",
        &l.passes_new_block,
        r.poll,
    );
    let sealed =
        |f: fn(&Pass) -> Duration| median(&l.passes_new_block.iter().map(f).collect::<Vec<_>>());
    let _ = writeln!(
        md,
        "- Of a pass after a new block ({}), the service's own CPU is {}: the rest is \
         waiting for the node (the block's events; {} deals watched, none read again); \
         the {} feed requests alone take the idle chain's {}.",
        ms(sealed(|p| p.duration)),
        ms(sealed(|p| p.cpu)),
        l.deals,
        median_u64(l.passes.iter().map(|p| p.requests_served)),
        ms(median(
            &l.passes.iter().map(|p| p.duration).collect::<Vec<_>>()
        )),
    );
    let _ = writeln!(
        md,
        "- Start and first pass: {:.2} CPU seconds (setting up the deals before it: {}).",
        l.first_pass_cpu.as_secs_f64(),
        secs(l.setup),
    );
    let _ = writeln!(
        md,
        "- Memory (/proc/PID/status): **VmRSS {}**, VmHWM {} after the steady passes; VmRSS \
         {}, VmHWM {} after the burst.\n",
        mib(l.memory.rss_kib),
        mib(l.memory.hwm_kib),
        mib(l.memory_after.rss_kib),
        mib(l.memory_after.hwm_kib),
    );
    let _ = writeln!(md, "### {} events at once\n", b.n);
    let _ = writeln!(
        md,
        "Right after a health line, the bench published the ACT LOAD events of milestone 0 \
         of {} deals (one per transport document) at once, and read the service's lines \
         until all {} were attested.\n",
        b.n, b.n
    );
    let rate = b.n as f64 / b.attest_phase.as_secs_f64().max(f64::EPSILON);
    let overall = b.n as f64 / b.to_all_attested.as_secs_f64().max(f64::EPSILON);
    let spread = |xs: &[Duration]| {
        format!(
            "{} / {} / {}",
            ms(median(xs)),
            ms(percentile(xs, 95)),
            ms(percentile(xs, 100))
        )
    };
    let rows = [
        (
            "published → first `condition_holds` (the wait for the next pass, its reads and \
             requests)"
                .to_string(),
            secs(b.to_first_holds),
        ),
        (
            format!("**published → all {} attested (in blocks)**", b.n),
            format!("**{}**", secs(b.to_all_attested)),
        ),
        (
            "first `condition_holds` → last `attested`".into(),
            secs(b.attest_phase),
        ),
        (
            "attestations per second while attesting".into(),
            format!("**{rate:.1}**"),
        ),
        (
            "attestations per second from publication".into(),
            format!("{overall:.1}"),
        ),
        (
            "one attest step (p50 / p95 / max)".into(),
            spread(&b.attest),
        ),
        (
            "of which inclusion (p50 / p95 / max)".into(),
            spread(&b.inclusion),
        ),
    ];
    let _ = writeln!(md, "| | |");
    let _ = writeln!(md, "|---|---:|");
    for (name, value) in rows {
        let _ = writeln!(md, "| {name} | {value} |");
    }
    let _ = writeln!(
        md,
        "\nThe service attests one milestone at a time and waits for each one's block (it \
         checks the pool and reads the attestation bit before each), so a burst costs one \
         attest step per milestone. The passes until the last attestation:\n"
    );
    let rows = b
        .passes
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("burst {}", i + 1), p));
    pass_table(md, rows);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let xs: Vec<Duration> = (1..=20).rev().map(Duration::from_millis).collect();
        let at = |p| percentile(&xs, p).as_millis();
        assert_eq!((at(50), at(95), at(100), at(1)), (10, 19, 20, 1));
        assert_eq!(percentile(&[], 95), Duration::ZERO);
        assert_eq!(median_u64([3, 1, 2]), 2);
    }
}
