//! Helpers for the end-to-end tests: a local chain per test ([`TestNode`]), the few chain
//! operations the tests share ([`chain`]), and the real `escrow` binary with a balance
//! ledger for the scenario tests ([`cli`]).
//!
//! Each test starts its own `escrow-node` on a port the OS picks (`--rpc-port 0`, the port
//! is read back from the node's log) so tests never collide with each other or with a
//! developer's node on 9944, and a dropped [`TestNode`] always takes its process with it.

pub mod chain;
pub mod cli;

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{mpsc, Arc, Mutex},
    time::{Duration, Instant},
};

/// How long a node may take from spawn to a listening RPC server.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a node may take to exit after SIGTERM before it gets SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// Log lines kept for the error message when a node fails.
const LOG_TAIL: usize = 40;

/// The `escrow-node` binary: `$ESCROW_NODE`, else `$CARGO_TARGET_DIR/release/escrow-node`,
/// else the shared cache the scripts use (`$HOME/.cache/milestone-escrow/target`).
pub fn node_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ESCROW_NODE") {
        return PathBuf::from(path);
    }
    target_dir().join("release/escrow-node")
}

/// `$CARGO_TARGET_DIR`, else the shared cache the scripts use
/// (`$HOME/.cache/milestone-escrow/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_default();
            PathBuf::from(home).join(".cache/milestone-escrow/target")
        })
}

/// The repository root (the parent of this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e-tests lives inside the repository")
        .to_path_buf()
}

/// A running `escrow-node --dev`, killed when dropped.
pub struct TestNode {
    child: Option<Child>,
    port: u16,
    ready_after: Duration,
    log: Arc<Mutex<Vec<String>>>,
}

impl TestNode {
    /// Starts a node and waits until its RPC server listens.
    ///
    /// Without `base_path` the chain lives in a temporary directory (`--tmp`) and is gone
    /// after [`TestNode::stop`]; with it the chain persists there across restarts.
    pub fn spawn(base_path: Option<&Path>) -> Result<Self, String> {
        let binary = node_binary();
        if !binary.is_file() {
            return Err(format!(
                "{} not found: build it with scripts/build-node.sh (or set ESCROW_NODE)",
                binary.display()
            ));
        }
        let mut cmd = Command::new(&binary);
        cmd.args(["--dev", "--rpc-port", "0", "--port", "0", "--no-prometheus"])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        match base_path {
            Some(path) => cmd.arg("--base-path").arg(path),
            None => cmd.arg("--tmp"),
        };
        kill_with_parent(&mut cmd);

        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stderr = child.stderr.take().expect("stderr is piped");

        // The node logs to stderr. One thread reads it for the whole life of the node: it
        // reports the RPC port once, keeps a tail for error messages, and keeps the pipe
        // drained so the node never blocks on a full pipe.
        let log = Arc::new(Mutex::new(Vec::new()));
        let (port_tx, port_rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut port_tx = Some(port_tx);
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(port) = rpc_port_from_log(&line) {
                        if let Some(tx) = port_tx.take() {
                            let _ = tx.send(port);
                        }
                    }
                    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                    if log.len() == LOG_TAIL {
                        log.remove(0);
                    }
                    log.push(line);
                }
            });
        }

        let mut node = Self {
            child: Some(child),
            port: 0,
            ready_after: Duration::ZERO,
            log,
        };
        match port_rx.recv_timeout(READY_TIMEOUT) {
            Ok(port) => {
                node.port = port;
                node.ready_after = started.elapsed();
                Ok(node)
            }
            Err(_) => {
                let status = node
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                let _ = node.stop();
                Err(format!(
                    "escrow-node did not report its RPC server within {READY_TIMEOUT:?} \
                     (exit status: {status:?}); last log lines:\n{}",
                    node.log_tail()
                ))
            }
        }
    }

    /// The WebSocket URL of the node's RPC server.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The HTTP URL of the node's RPC server (same port as [`TestNode::url`]).
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Time from spawn until the RPC server listened.
    pub fn ready_after(&self) -> Duration {
        self.ready_after
    }

    /// The last lines the node logged.
    pub fn log_tail(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n")
    }

    /// Stops the node: SIGTERM, then SIGKILL if it is still running after 20 s. Waits for
    /// the exit, so the base path is free for a restart. Stopping twice is a no-op.
    pub fn stop(&mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            return Ok(());
        }
        let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
        // SAFETY: plain syscall on the pid of a child we spawned and have not reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if child.try_wait().map_err(|e| e.to_string())?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.kill().map_err(|e| e.to_string())?;
        child.wait().map_err(|e| e.to_string())?;
        Err(format!(
            "escrow-node ignored SIGTERM for {STOP_TIMEOUT:?} and was killed"
        ))
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("warning: stopping escrow-node: {e}");
        }
    }
}

/// The IPv4 port from `Running JSON-RPC server: addr=127.0.0.1:40123,[::1]:40124`.
fn rpc_port_from_log(line: &str) -> Option<u16> {
    let addrs = line.split("Running JSON-RPC server: addr=").nth(1)?;
    addrs
        .split(',')
        .find_map(|addr| addr.trim().strip_prefix("127.0.0.1:"))
        .and_then(|port| port.split_whitespace().next()?.parse().ok())
}

/// Makes the node die with the thread that spawned it (Linux `PR_SET_PDEATHSIG`). A test
/// that is killed (a timeout, Ctrl-C) never runs its `Drop`s; this keeps it from leaving a
/// node behind. Tests spawn from their own thread, which lives as long as the test.
fn kill_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: `prctl` is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::rpc_port_from_log;

    #[test]
    fn rpc_port_from_log_reads_the_ipv4_port() {
        let line = "2026-05-20 12:00:00 Running JSON-RPC server: addr=127.0.0.1:40123,[::1]:40555";
        assert_eq!(rpc_port_from_log(line), Some(40123));
    }

    #[test]
    fn rpc_port_from_log_ignores_other_lines() {
        assert_eq!(rpc_port_from_log("🏷  Node name: foo"), None);
        assert_eq!(
            rpc_port_from_log("Running JSON-RPC server: addr=[::1]:9944"),
            None
        );
    }
}
