//! What the oracle scenarios and the demo's share: a running oracle service (`escrow oracle
//! run --log-format json`) whose log lines a test reads in order, and the chain reads that
//! check what it did.

use std::time::{Duration, Instant};

use escrow_test_support::{
    accounts::dev_account,
    carrier::CarrierSim,
    stream::{Pipe, Streaming},
};
use serde_json::Value as Json;

use crate::world::World;

/// How long a test waits for a log line it expects.
pub const WAIT: Duration = Duration::from_secs(30);

/// The events the service logs (docs/oracle.md, "Logs").
const LOG_EVENTS: [&str; 12] = [
    "started",
    "documents_loaded",
    "document_refused",
    "condition_refused",
    "no_condition",
    "event_skipped",
    "condition_holds",
    "attest_deferred",
    "already_attested",
    "attest_refused",
    "attested",
    "health",
];

/// The lines of `out`, each a JSON object.
pub fn json_lines(out: &str) -> Vec<Json> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

/// One JSON log line of the service: an object with `ts`, `level` and one of the
/// documented `event`s.
pub fn log_line(line: &str) -> Json {
    let v: Json =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
    assert!(
        LOG_EVENTS.iter().any(|e| v["event"] == *e),
        "not a documented log event: {line}"
    );
    assert!(
        ["info", "warn", "error"].iter().any(|l| v["level"] == *l) && v["ts"].is_string(),
        "no ts or level: {line}"
    );
    v
}

/// Whether a log line is about milestone `index` of deal `id`.
pub fn about(line: &Json, id: u64, index: u64) -> bool {
    line["deal"] == id && line["milestone"] == index
}

/// Milestone `index` of deal `id` on chain: its status and attestation bits.
pub fn milestone_state(w: &World, id: u64, index: usize) -> (String, u64) {
    let deal = w.cli.deal(id);
    let m = &deal["milestones"][index]["milestone"];
    let status = m["status"]
        .as_str()
        .unwrap_or_else(|| panic!("milestone {index} has no status: {deal}"))
        .to_string();
    let bits = m["attestations"]
        .as_u64()
        .unwrap_or_else(|| panic!("milestone {index} has no attestation bits: {deal}"));
    (status, bits)
}

/// Deal `id`'s contract events on chain, as `escrow --json events --deal ID` lists them.
pub fn deal_events(w: &World, id: u64) -> Vec<Json> {
    let run = w.cli.run(&["--json", "events", "--deal", &id.to_string()]);
    json_lines(run.ok())
}

/// `--suri WHO oracle run --feed FEED --log-format json extra…`: the arguments of an oracle
/// service.
pub fn oracle_args<'a>(who: &'a str, feed: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--suri",
        who,
        "oracle",
        "run",
        "--feed",
        feed,
        "--log-format",
        "json",
    ];
    args.extend_from_slice(extra);
    args
}

/// A running oracle service (`escrow oracle run`, JSON logs) whose log lines the test
/// reads in order; killed (SIGKILL) when dropped.
pub struct OracleService {
    /// The oracle's SURI.
    pub who: &'static str,
    /// The process, and every line it printed so far.
    pub process: Streaming,
    /// The log lines already looked at ([`OracleService::next`] returns lines after these).
    cursor: usize,
}

impl OracleService {
    /// Starts the service of oracle `who` on the simulator's feed, polling every `poll`,
    /// with `extra` arguments; waits for its `started` line.
    pub fn start(
        w: &World,
        who: &'static str,
        sim: &CarrierSim,
        poll: &str,
        extra: &[&str],
    ) -> OracleService {
        let feed = sim.base_url();
        let mut args = vec!["--poll", poll];
        args.extend_from_slice(extra);
        let args = oracle_args(who, &feed, &args);
        let mut s = OracleService {
            who,
            process: Streaming::start(&w.cli, &args),
            cursor: 0,
        };
        let started = s.next("started", |_| true);
        assert_eq!(started["oracle"], dev_account(who).to_string(), "{started}");
        s
    }

    /// The next log line (after the last one returned) whose `event` is `event` and that
    /// `want` accepts; waits up to [`WAIT`].
    pub fn next(&mut self, event: &str, want: impl Fn(&Json) -> bool) -> Json {
        self.next_within(event, want, WAIT)
    }

    /// [`OracleService::next`], waiting up to `within`.
    pub fn next_within(
        &mut self,
        event: &str,
        want: impl Fn(&Json) -> bool,
        within: Duration,
    ) -> Json {
        let deadline = Instant::now() + within;
        loop {
            while let Some(line) = self.process.out_seen.get(self.cursor) {
                self.cursor += 1;
                let v = log_line(line);
                if v["event"] == event && want(&v) {
                    return v;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{}: no {event:?} line as expected within {within:?}; stdout {:#?}, stderr {:#?}",
                self.who,
                self.process.out_seen,
                self.process.err_seen
            );
            // Any line: the loop above decides.
            self.process.wait_line(Pipe::Out, "", left);
        }
    }

    /// Waits for the next `n` health lines (one per pass); returns them.
    pub fn passes(&mut self, n: usize) -> Vec<Json> {
        (0..n).map(|_| self.next("health", |_| true)).collect()
    }

    /// Every line logged so far whose `event` is `event` (read or not yet returned).
    pub fn seen(&self, event: &str) -> Vec<Json> {
        self.process
            .out_seen
            .iter()
            .map(|l| log_line(l))
            .filter(|v| v["event"] == event)
            .collect()
    }
}
