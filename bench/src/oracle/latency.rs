//! Latency: from the instant an ACT event is in the feed to the instant the service's
//! `attested` line for its milestone is read (the service prints it once the attestation is
//! in a block).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use escrow_client::Chain;
use escrow_test_support::{
    carrier::{equipment_event, CarrierSim},
    chain::block_hash,
};

use crate::{
    deals::{self, write_doc, LOCATION},
    service::{Launch, Line, Service},
    session::Bench,
    Res,
};

/// How long the service may take to start and finish its first pass.
const FIRST_PASS: Duration = Duration::from_secs(180);
/// How long after the last publication every attestation must be in.
const GRACE: Duration = Duration::from_secs(120);

/// What the latency run measured.
pub struct Latency {
    /// Milestones measured.
    pub n: usize,
    /// Each event was published at a random instant of its own window this long.
    pub window: Duration,
    /// Per milestone: publication → `attested` line read.
    pub total: Vec<Duration>,
    /// Per milestone: publication → `condition_holds` line read (the wait for the next
    /// pass and that pass's reads and feed requests).
    pub to_holds: Vec<Duration>,
    /// Per attestation: its `condition_holds` line (or the previous `attested` line, when
    /// the same pass attested another milestone first) → its `attested` line: the pool
    /// check, the attestation-bit read, the dry-run, the submission and the wait for the
    /// block.
    pub attest: Vec<Duration>,
    /// Per attestation: its block's timestamp (the node stamps a block with the wall clock
    /// when it starts authoring it; under instant seal, as soon as the transaction arrives)
    /// → its `attested` line: the inclusion time.
    pub inclusion: Vec<Duration>,
    /// Passes that attested nothing (see [`Service::next`] for how a pass is timed).
    pub idle_passes: Vec<Duration>,
    /// The fewest and most milestones waiting in those passes.
    pub idle_waiting: (u64, u64),
    /// Feed requests of the first pass (every milestone waiting).
    pub first_requests: u64,
    /// Deals, documents and the service's first pass.
    pub setup: Duration,
    /// The measured part.
    pub measured: Duration,
}

/// A fixed-seed PRNG (SplitMix64), so that two runs publish at the same offsets.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Fails unless a health line says the pass reached node and feed and saw exactly
/// `waiting` milestones, each matched to a document.
pub fn check_health(line: &Line, waiting: usize) -> Res<()> {
    let v = &line.v;
    let ok = v["chain"]["status"] == "ok"
        && v["feed"]["status"] == "ok"
        && line.u64("waiting") == Some(waiting as u64)
        && line.u64("unmatched") == Some(0);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the service's pass should reach node and feed and see {waiting} waiting \
             milestones, all matched; its health line: {v}"
        ))
    }
}

/// A line the bench never expects from its own deals and documents.
pub fn refusal(line: &Line) -> Res<()> {
    match line.event() {
        "attest_refused" | "condition_refused" | "document_refused" | "event_skipped" => {
            Err(format!("the service refused: {}", line.v))
        }
        _ => Ok(()),
    }
}

/// Per-attestation times from a service's lines: each `attested` line against its own
/// `condition_holds` or the previous `attested` line, whichever is later.
#[derive(Default)]
pub struct AttestClock {
    holds: HashMap<(u64, u64), Instant>,
    last: Option<Instant>,
}

impl AttestClock {
    /// Takes a line; for an `attested` line returns how long its attestation took.
    pub fn take(&mut self, line: &Line) -> Res<Option<Duration>> {
        let Some(key) = line.milestone() else {
            return Ok(None);
        };
        match line.event() {
            "condition_holds" => {
                self.holds.insert(key, line.at);
                Ok(None)
            }
            "attested" => {
                if line.v["released"] != true {
                    return Err(format!("an attestation that did not release: {}", line.v));
                }
                let holds = self.holds.get(&key).copied().ok_or_else(|| {
                    format!("`attested` without `condition_holds` first: {}", line.v)
                })?;
                let from = self.last.map_or(holds, |last| last.max(holds));
                self.last = Some(line.at);
                Ok(Some(line.at.saturating_duration_since(from)))
            }
            _ => Ok(None),
        }
    }
}

/// How long each pass that attested nothing took.
pub fn idle_pass_durations(health: &[Line]) -> Vec<Duration> {
    health
        .iter()
        .skip(1)
        .filter(|h| h.u64("attested") == Some(0))
        .filter_map(|h| h.pass)
        .collect()
}

/// For each `attested` line of `lines`: from its block's timestamp to the line.
pub async fn inclusion_times(chain: &Chain, lines: &[Line]) -> Res<Vec<Duration>> {
    let mut times = Vec::new();
    for line in lines.iter().filter(|l| l.event() == "attested") {
        let number = line
            .u64("block")
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("an `attested` line without its block: {}", line.v))?;
        let hash = block_hash(chain, number)
            .await
            .map_err(|e| format!("block #{number}: {e}"))?;
        let authored = chain
            .timestamp(hash)
            .await
            .map_err(|e| format!("block #{number}'s timestamp: {e}"))?;
        times.push(Duration::from_millis(line.wall_ms.saturating_sub(authored)));
    }
    Ok(times)
}

/// The fewest and most milestones waiting in the passes [`idle_pass_durations`] times.
fn idle_waiting(health: &[Line]) -> (u64, u64) {
    let waiting = health
        .iter()
        .skip(1)
        .filter(|h| h.u64("attested") == Some(0))
        .filter_map(|h| h.u64("waiting"));
    waiting.fold((u64::MAX, 0), |(lo, hi), w| (lo.min(w), hi.max(w)))
}

pub async fn run(b: &Bench, sim: &CarrierSim, l: &Launch, n: usize, seed: u64) -> Res<Latency> {
    let started = Instant::now();
    std::fs::create_dir_all(&l.conditions).map_err(|e| e.to_string())?;
    let docs = (0..n)
        .map(|i| {
            Ok(vec![write_doc(
                &l.conditions,
                &format!("LAT-{i:04}"),
                "LOAD",
            )?])
        })
        .collect::<Res<Vec<_>>>()?;
    let ids = deals::open(b, &docs).await?;
    let index: HashMap<u64, usize> = ids.iter().enumerate().map(|(i, d)| (d.0, i)).collect();
    let mut svc = Service::start(l)?;
    let first = svc
        .until(Instant::now() + FIRST_PASS, "the first health line", |l| {
            l.event() == "health"
        })
        .await?;
    check_health(&first, n)?;
    let setup = started.elapsed();
    eprintln!(
        "escrow-oracle-bench: latency: {n} milestones waiting after {:.0} s; publishing",
        setup.as_secs_f64()
    );

    let window = l.poll * 2;
    let mut rng = SplitMix64(seed);
    let start = Instant::now();
    let schedule: Vec<Instant> = (0..n)
        .map(|k| start + window * k as u32 + window.mul_f64(rng.unit()))
        .collect();
    let deadline = start + window * n as u32 + GRACE;
    let mut published: Vec<Option<Instant>> = vec![None; n];
    let mut holds: Vec<Option<Instant>> = vec![None; n];
    let mut attested: Vec<Option<Instant>> = vec![None; n];
    let mut clock = AttestClock::default();
    let mut attest = Vec::with_capacity(n);
    let mut health = vec![first];
    let mut next = 0;
    while attested.iter().any(Option::is_none) {
        let due = schedule.get(next).copied();
        tokio::select! {
            _ = tokio::time::sleep_until(due.unwrap_or(deadline).into()), if due.is_some() => {
                let event = equipment_event("ACT", "LOAD", LOCATION, &docs[next][0].reference);
                let id = event["eventID"].as_str().unwrap_or_default().to_string();
                sim.publish(event);
                published[next] = Some(sim.published_at(&id).ok_or("an event without its publication time")?);
                next += 1;
            }
            line = svc.next(deadline) => {
                let line = line?;
                refusal(&line)?;
                if line.event() == "health" {
                    health.push(line);
                    continue;
                }
                let Some((deal, milestone)) = line.milestone() else { continue };
                let k = *index.get(&deal).filter(|_| milestone == 0).ok_or_else(|| {
                    format!("a line about a milestone the bench did not open: {}", line.v)
                })?;
                if published[k].is_none() {
                    return Err(format!("the service acted before the event was published: {}", line.v));
                }
                if let Some(took) = clock.take(&line)? {
                    attest.push(took);
                    attested[k] = Some(line.at);
                } else if line.event() == "condition_holds" {
                    holds[k] = Some(line.at);
                }
            }
        }
    }
    let measured = start.elapsed();
    let inclusion = inclusion_times(&b.chain, &svc.seen).await?;
    svc.stop().await?;
    let since = |to: &[Option<Instant>]| -> Vec<Duration> {
        published
            .iter()
            .zip(to)
            .filter_map(|(p, t)| Some(t.as_ref()?.saturating_duration_since((*p)?)))
            .collect()
    };
    Ok(Latency {
        n,
        window,
        total: since(&attested),
        to_holds: since(&holds),
        attest,
        inclusion,
        idle_passes: idle_pass_durations(&health),
        idle_waiting: idle_waiting(&health),
        first_requests: health[0].u64("requests").unwrap_or(0),
        setup,
        measured,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn line(at: Instant, v: serde_json::Value) -> Line {
        Line {
            at,
            wall_ms: 0,
            v,
            pass: None,
        }
    }

    #[test]
    fn splitmix_is_fixed_by_its_seed_and_stays_in_the_unit_interval() {
        let draw = |seed| {
            let mut r = SplitMix64(seed);
            (0..1000).map(|_| r.unit()).collect::<Vec<_>>()
        };
        assert_eq!(draw(16), draw(16));
        assert_ne!(draw(16), draw(17));
        assert!(draw(16).iter().all(|u| (0.0..1.0).contains(u)));
        // The reference SplitMix64 output for seed 0.
        assert_eq!(SplitMix64(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn an_attestation_is_timed_from_its_holds_line_or_the_previous_attestation() {
        let t = Instant::now();
        let ms = Duration::from_millis;
        let mut clock = AttestClock::default();
        let holds = |deal| json!({"event": "condition_holds", "deal": deal, "milestone": 0});
        let attested =
            |deal| json!({"event": "attested", "deal": deal, "milestone": 0, "released": true});
        assert_eq!(clock.take(&line(t, holds(1))).unwrap(), None);
        assert_eq!(clock.take(&line(t, holds(2))).unwrap(), None);
        let first = clock.take(&line(t + ms(100), attested(1))).unwrap();
        let second = clock.take(&line(t + ms(250), attested(2))).unwrap();
        assert_eq!((first, second), (Some(ms(100)), Some(ms(150))));
        // A later pass: timed from its own holds line.
        clock.take(&line(t + ms(5_000), holds(3))).unwrap();
        let third = clock.take(&line(t + ms(5_080), attested(3))).unwrap();
        assert_eq!(third, Some(ms(80)));
        let never_held = clock.take(&line(t, attested(4))).unwrap_err();
        assert!(
            never_held.contains("without `condition_holds`"),
            "{never_held}"
        );
    }

    #[test]
    fn idle_passes_are_the_passes_after_the_first_that_attested_nothing() {
        let t = Instant::now();
        let health = |attested, pass| Line {
            pass: Some(Duration::from_millis(pass)),
            ..line(t, json!({"event": "health", "attested": attested}))
        };
        let lines = [
            health(0, 900),
            health(0, 120),
            health(3, 800),
            health(0, 100),
        ];
        let ms = Duration::from_millis;
        assert_eq!(idle_pass_durations(&lines), [ms(120), ms(100)]);
    }
}
