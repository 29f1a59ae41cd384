//! The service under test: the release `escrow oracle run` as a child process with its own
//! state directory, its JSON log lines read as they are printed (each stamped with the
//! instant the bench read it), and its CPU time and memory read from /proc.

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use escrow_client::units;
use escrow_test_support::{chain::wall_ms, cli::CLEARED_ENV};
use serde_json::Value;
use subxt::utils::AccountId32;
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
    sync::mpsc,
};

use crate::Res;

/// How one service is started.
pub struct Launch {
    /// What the bench calls it (in errors).
    pub name: String,
    pub bin: PathBuf,
    pub url: String,
    pub contract: AccountId32,
    /// The escrow's code hash, passed as `--code-hash` (no deploy record in its home).
    pub code_hash: [u8; 32],
    /// The feed's base URL.
    pub feed: String,
    /// Its `--conditions` directory.
    pub conditions: PathBuf,
    /// Its `ESCROW_HOME`.
    pub home: PathBuf,
    pub poll: Duration,
    /// Where to keep the service's stdout lines, each after the wall-clock ms at which the
    /// bench read it (`--logs DIR`); `None`: nowhere.
    pub log: Option<PathBuf>,
}

/// One stdout line of the service and when the bench read it.
#[derive(Debug, Clone)]
pub struct Line {
    pub at: Instant,
    /// The same instant by the wall clock (ms since the epoch), to compare with block
    /// timestamps.
    pub wall_ms: u64,
    pub v: Value,
    /// For a `health` line: how long the pass it ends took (see [`Service::next`]).
    pub pass: Option<Duration>,
}

impl Line {
    pub fn event(&self) -> &str {
        self.v["event"].as_str().unwrap_or("")
    }

    pub fn u64(&self, key: &str) -> Option<u64> {
        self.v[key].as_u64()
    }

    /// The (deal, milestone) a decision line is about.
    pub fn milestone(&self) -> Option<(u64, u64)> {
        Some((self.u64("deal")?, self.u64("milestone")?))
    }
}

/// The service's resident memory, in KiB (/proc/PID/status).
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// `VmRSS`: now.
    pub rss_kib: u64,
    /// `VmHWM`: the peak so far.
    pub hwm_kib: u64,
}

/// A running service; killed when dropped.
pub struct Service {
    name: String,
    log: Option<PathBuf>,
    child: Child,
    pid: u32,
    lines: mpsc::UnboundedReceiver<Line>,
    /// Every stdout line read so far.
    pub seen: Vec<Line>,
    stderr: Arc<Mutex<Vec<String>>>,
    passes: PassClock,
}

/// Times the service's passes from its lines: it starts its first pass as it prints
/// `started`, and each next one `next_pass_ms` after the previous one started, or at once
/// when that pass ran longer.
#[derive(Debug, Default)]
pub struct PassClock {
    /// When the next pass starts (known from the `started` line on).
    next: Option<Instant>,
}

impl PassClock {
    /// Takes a line; a `health` line gets the duration of the pass it ends.
    pub fn take(&mut self, line: &mut Line) {
        match line.event() {
            "started" => self.next = Some(line.at),
            "health" => {
                let start = self.next.unwrap_or(line.at);
                line.pass = Some(line.at.saturating_duration_since(start));
                let wait = Duration::from_millis(line.u64("next_pass_ms").unwrap_or(0));
                self.next = Some((start + wait).max(line.at));
            }
            _ => {}
        }
    }
}

impl Service {
    /// `escrow --url U --suri //Ferdie --contract C --code-hash H oracle run --feed F
    /// --conditions DIR --poll P --log-format json`, with `ESCROW_HOME` = `l.home`.
    pub fn start(l: &Launch) -> Res<Service> {
        std::fs::create_dir_all(&l.home)
            .map_err(|e| format!("creating {}: {e}", l.home.display()))?;
        let poll = format!("{}ms", l.poll.as_millis());
        let mut cmd = Command::new(&l.bin);
        cmd.args(["--url", &l.url, "--suri", "//Ferdie"])
            .args(["--contract", &l.contract.to_string()])
            .args(["--code-hash", &units::hex0x(&l.code_hash)])
            .args(["oracle", "run", "--feed", &l.feed, "--poll", &poll])
            .arg("--conditions")
            .arg(&l.conditions)
            .args(["--log-format", "json"])
            .env("ESCROW_HOME", &l.home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // The service gets --url and the rest from its arguments, never from the
        // developer's own `ESCROW_*` settings.
        for var in CLEARED_ENV.iter().chain(&["ESCROW_URL"]) {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("starting {}: {e}", l.bin.display()))?;
        let pid = child.id().ok_or("the service exited at once")?;
        let (tx, lines) = mpsc::unbounded_channel();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(text)) = reader.next_line().await {
                let (at, wall_ms) = (Instant::now(), wall_ms());
                let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
                let pass = None;
                if tx
                    .send(Line {
                        at,
                        wall_ms,
                        v,
                        pass,
                    })
                    .is_err()
                {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        keep_tail(
            child.stderr.take().ok_or("no stderr pipe")?,
            Arc::clone(&stderr),
        );
        Ok(Service {
            name: l.name.clone(),
            log: l.log.clone(),
            child,
            pid,
            lines,
            seen: Vec::new(),
            stderr,
            passes: PassClock::default(),
        })
    }

    /// The next stdout line, read before `deadline`; a `health` line with the duration of
    /// the pass it ends ([`PassClock`]).
    pub async fn next(&mut self, deadline: Instant) -> Res<Line> {
        match tokio::time::timeout_at(deadline.into(), self.lines.recv()).await {
            Ok(Some(mut line)) => {
                self.passes.take(&mut line);
                self.seen.push(line.clone());
                Ok(line)
            }
            Ok(None) => {
                let status = self.child.wait().await.map_err(|e| e.to_string())?;
                Err(self.failure(&format!("exited ({status})")))
            }
            Err(_) => Err(self.failure("printed nothing more in time")),
        }
    }

    /// Reads lines until one satisfies `want` (before `deadline`); returns it.
    pub async fn until(
        &mut self,
        deadline: Instant,
        what: &str,
        mut want: impl FnMut(&Line) -> bool,
    ) -> Res<Line> {
        loop {
            let line = self
                .next(deadline)
                .await
                .map_err(|e| format!("waiting for {what}: {e}"))?;
            if want(&line) {
                return Ok(line);
            }
        }
    }

    /// The service's CPU time so far, user and system (/proc/PID/stat `utime` + `stime`).
    pub fn cpu(&self) -> Res<Duration> {
        let path = format!("/proc/{}/stat", self.pid);
        let stat = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        // The fields after the command name, which is in parentheses and may hold spaces:
        // state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let tick = |i: usize| -> Res<u64> {
            fields
                .get(i)
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| format!("{path}: no field {}", i + 3))
        };
        let ticks = tick(11)? + tick(12)?;
        // SAFETY: sysconf only reads a configuration value.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let per_second = u64::try_from(per_second)
            .ok()
            .filter(|t| *t > 0)
            .ok_or("sysconf(_SC_CLK_TCK) failed")?;
        Ok(Duration::from_nanos(ticks * 1_000_000_000 / per_second))
    }

    /// The service's resident memory now and at its peak.
    pub fn memory(&self) -> Res<Memory> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let kib = |key: &str| -> Res<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| format!("{path}: no {key}"))
        };
        Ok(Memory {
            rss_kib: kib("VmRSS:")?,
            hwm_kib: kib("VmHWM:")?,
        })
    }

    /// Stops the service (SIGKILL: it keeps nothing but the chain, which has it all) and
    /// writes the lines it printed to its log file, if it has one.
    pub async fn stop(mut self) -> Res<()> {
        let _ = self.child.kill().await;
        let Some(path) = &self.log else {
            return Ok(());
        };
        let text: String = self
            .seen
            .iter()
            .map(|l| format!("{} {}\n", l.wall_ms, l.v))
            .collect();
        std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
    }

    /// An error naming the service, with the end of its output.
    fn failure(&self, what: &str) -> String {
        let tail = |lines: Vec<String>| lines[lines.len().saturating_sub(8)..].join("\n  ");
        let out = tail(self.seen.iter().map(|l| l.v.to_string()).collect());
        let err = tail(self.stderr.lock().map(|e| e.clone()).unwrap_or_default());
        format!(
            "the {} service {what}; last stdout lines:\n  {out}\nlast stderr lines:\n  {err}",
            self.name
        )
    }
}

/// Keeps the last lines of `pipe` in `tail` (for error messages).
fn keep_tail(pipe: impl AsyncRead + Unpin + Send + 'static, tail: Arc<Mutex<Vec<String>>>) {
    tokio::spawn(async move {
        let mut reader = BufReader::new(pipe).lines();
        while let Ok(Some(text)) = reader.next_line().await {
            if let Ok(mut t) = tail.lock() {
                t.push(text);
                let excess = t.len().saturating_sub(64);
                t.drain(..excess);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn passes_start_every_interval_or_at_once_after_a_longer_one() {
        let t = Instant::now();
        let ms = Duration::from_millis;
        let line = |at: Duration, v: Value| Line {
            at: t + at,
            wall_ms: 0,
            v,
            pass: None,
        };
        let health = |at| line(ms(at), json!({"event": "health", "next_pass_ms": 5_000}));
        let mut clock = PassClock::default();
        let mut timed = |mut l: Line| {
            clock.take(&mut l);
            l.pass
        };
        assert_eq!(timed(line(ms(0), json!({"event": "started"}))), None);
        assert_eq!(timed(health(300)), Some(ms(300)));
        // Started at 5 000 ms, 5 000 ms after the first.
        assert_eq!(timed(health(5_020)), Some(ms(20)));
        // Started at 10 000, ran past 15 000: the next starts at once.
        assert_eq!(timed(health(16_000)), Some(ms(6_000)));
        assert_eq!(timed(health(16_040)), Some(ms(40)));
        assert_eq!(timed(health(21_100)), Some(ms(100)));
    }
}
