//! A background `escrow` run read line by line as it prints, for what a test must watch
//! happen (a transaction hash before the node is killed, `events --follow` output).

use std::{
    io::{BufRead, BufReader, Read},
    process::Child,
    sync::mpsc,
    time::{Duration, Instant},
};

use crate::{Escrow, Run};

/// A background `escrow` whose output lines arrive on channels; killed when dropped.
pub struct Streaming {
    child: Child,
    args: Vec<String>,
    out: mpsc::Receiver<String>,
    err: mpsc::Receiver<String>,
    /// The stdout lines seen so far.
    pub out_seen: Vec<String>,
    /// The stderr lines seen so far.
    pub err_seen: Vec<String>,
}

/// Which output of the process to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pipe {
    /// stdout.
    Out,
    /// stderr.
    Err,
}

fn pipe_lines(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Streaming {
    /// Starts `escrow args…` with `e`'s environment.
    pub fn start(e: &Escrow, args: &[&str]) -> Streaming {
        let mut child = e.spawn(args);
        let out = pipe_lines(child.stdout.take().expect("stdout is piped"));
        let err = pipe_lines(child.stderr.take().expect("stderr is piped"));
        Streaming {
            child,
            args: args.iter().map(|s| s.to_string()).collect(),
            out,
            err,
            out_seen: Vec::new(),
            err_seen: Vec::new(),
        }
    }

    /// Waits until a line on `pipe` contains `needle`; returns it.
    pub fn wait_line(&mut self, pipe: Pipe, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (rx, seen) = match pipe {
                Pipe::Out => (&self.out, &mut self.out_seen),
                Pipe::Err => (&self.err, &mut self.err_seen),
            };
            match rx.recv_timeout(left) {
                Ok(line) => {
                    seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?} on {pipe:?} within {within:?}; stdout {:#?}, \
                     stderr {:#?}",
                    self.out_seen, self.err_seen
                ),
            }
        }
    }

    /// Waits for the process to exit (at most `within`); returns its code and all output.
    pub fn finish(mut self, within: Duration) -> Run {
        let deadline = Instant::now() + within;
        let code = loop {
            if let Some(s) = self.child.try_wait().expect("poll escrow") {
                break s.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "escrow still running after {within:?}: stdout {:#?}, stderr {:#?}",
                    self.out_seen, self.err_seen
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The pipes close with the process: drain them.
        let mut out = std::mem::take(&mut self.out_seen);
        out.extend(self.out.iter());
        let mut err = std::mem::take(&mut self.err_seen);
        err.extend(self.err.iter());
        Run {
            args: std::mem::take(&mut self.args),
            code,
            out: out.join("\n"),
            err: err.join("\n"),
        }
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
