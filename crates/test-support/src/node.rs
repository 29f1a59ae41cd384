//! A local `escrow-node --dev` per test.
//!
//! # The port
//!
//! The node binds its RPC server to a port the OS picks (`--rpc-port 0`) and logs it
//! ("Running JSON-RPC server: addr=127.0.0.1:PORT,…"); the harness reads the port from that
//! line, as scripts/test.sh does. So tests never collide with each other or with a
//! developer's node on 9944, and nothing races for a port picked in advance. The line is
//! logged once the server listens, so the harness never polls a port nobody listens on
//! (polling a free port of the ephemeral range from this host can connect the socket to
//! itself, TCP simultaneous open, and look like a node).
//!
//! A node restarted on its base path ([`TestNode::restart`]) asks for the same port again,
//! so the URLs a test handed out, and the deployment `escrow deploy` remembered per URL,
//! stay valid.
//!
//! # The process
//!
//! A dropped [`TestNode`] takes its process with it, and a test that is killed (a timeout,
//! Ctrl-C) never runs its `Drop`s: the node is also told to die with the thread that
//! started it (Linux `PR_SET_PDEATHSIG`). Tests start nodes from their own thread, which
//! lives as long as the test.
//!
//! The validators of a [`crate::network::TestNetwork`] are the same kind of process: spawned,
//! logged, killed and stopped by the same code (`NodeProcess`), so both harnesses behave
//! alike when a node fails or a test dies.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{mpsc, Arc, Mutex},
    time::{Duration, Instant},
};

use crate::{accounts::dev_account, artifacts::node_binary, block_on, Chain};

/// How long a node may take from spawn to a listening RPC server.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a node may take to exit after SIGTERM before it gets SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// Log lines kept for the error message when a node fails.
const LOG_TAIL: usize = 40;

/// A running `escrow-node --dev`, stopped when dropped.
pub struct TestNode {
    process: NodeProcess,
    port: u16,
    ready_after: Duration,
    /// `--base-path` of a chain that survives restarts (`None`: `--tmp`), inside `_dir`.
    base: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

impl TestNode {
    /// Starts a node on a throw-away chain (`--tmp`) and waits until its RPC server
    /// listens. Panics, with the node's last log lines, if it does not come up.
    pub fn start() -> TestNode {
        TestNode::launch(None)
    }

    /// Starts a node whose chain lives in a temporary base path, so that it survives
    /// [`TestNode::kill`] or [`TestNode::stop`] and [`TestNode::restart`].
    pub fn start_persistent() -> TestNode {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut node = TestNode::launch(Some(dir.path().join("chain")));
        node._dir = Some(dir);
        node
    }

    fn launch(base: Option<PathBuf>) -> TestNode {
        let mut node = TestNode {
            process: NodeProcess::new("escrow-node --dev"),
            port: 0,
            ready_after: Duration::ZERO,
            base,
            _dir: None,
        };
        node.spawn(0);
        node
    }

    /// Spawns the node on RPC port `port` (0: the OS picks) and waits for the port it
    /// reports.
    fn spawn(&mut self, port: u16) {
        let mut cmd = node_command();
        cmd.args(["--dev", "--rpc-port", &port.to_string()]).args([
            "--port",
            "0",
            "--no-prometheus",
        ]);
        match &self.base {
            Some(path) => cmd.arg("--base-path").arg(path),
            None => cmd.arg("--tmp"),
        };
        let started = Instant::now();
        self.port = self
            .process
            .start(cmd, port)
            .unwrap_or_else(|e| panic!("{e}"));
        self.ready_after = started.elapsed();
    }

    /// The WebSocket URL of the node's RPC server.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Time from the last spawn until the RPC server listened.
    pub fn ready_after(&self) -> Duration {
        self.ready_after
    }

    /// The last lines the node logged.
    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// Kills the node at once (SIGKILL: no clean shutdown, as in a crash) and waits until
    /// it is gone.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Stops the node: SIGTERM, then SIGKILL if it is still running after 20 s. Waits for
    /// the exit, so the base path is free for a restart. Stopping twice is a no-op; an
    /// error says the node ignored SIGTERM.
    pub fn stop(&mut self) -> Result<(), String> {
        self.process.stop()
    }

    /// Starts the node again on its base path and RPC port, stopping it first if it still
    /// runs. Needs [`TestNode::start_persistent`].
    pub fn restart(&mut self) {
        assert!(
            self.base.is_some(),
            "restart needs TestNode::start_persistent"
        );
        if let Err(e) = self.stop() {
            eprintln!("warning: stopping escrow-node for a restart: {e}");
        }
        self.spawn(self.port);
    }

    /// How many transactions of `suri`'s account the best block includes: its nonce in
    /// that block's state. Transactions still in the pool do not count, so two readings
    /// tell exactly how many were included in between.
    pub fn nonce(&self, suri: &str) -> u64 {
        let who = dev_account(suri);
        block_on(async {
            let chain = Chain::connect(&self.url()).await.expect("connect");
            let (best, _) = chain.best().await.expect("best block");
            u64::from(chain.account_nonce(&who, best).await.expect("nonce"))
        })
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("warning: stopping escrow-node: {e}");
        }
    }
}

/// `escrow-node` ([`node_binary`]) with the environment every node of the tests runs in;
/// panics, saying how to build it, if it is missing.
pub(crate) fn node_command() -> Command {
    let binary = node_binary();
    assert!(
        binary.is_file(),
        "{} not found: build it with scripts/build-node.sh (or set ESCROW_NODE)",
        binary.display()
    );
    let mut cmd = Command::new(&binary);
    cmd.env("RUST_LOG", "info");
    cmd
}

/// One node process at a time (again after a restart), its log kept across restarts: what
/// [`TestNode`] and [`crate::network::TestNetwork`] share.
pub(crate) struct NodeProcess {
    /// Names the node in messages ("escrow-node --dev", "validator 2 (charlie)").
    what: String,
    child: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
}

impl NodeProcess {
    /// A process not started yet, named `what` in messages.
    pub(crate) fn new(what: &str) -> NodeProcess {
        NodeProcess {
            what: what.to_string(),
            child: None,
            log: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Spawns `cmd` (its stdio set here: stdin and stdout null, the log on stderr read by a
    /// thread), told to die with the calling thread (see the module docs), and waits until
    /// it reports its RPC port: `port` if not 0. Returns the port; an error with the exit
    /// status and the log's tail if none is reported within 60 s (the process is stopped).
    pub(crate) fn start(&mut self, cmd: Command, port: u16) -> Result<u16, String> {
        let reported = self.spawn(cmd)?;
        self.await_port(&reported, port, READY_TIMEOUT)
    }

    /// The first half of [`NodeProcess::start`]: spawns the process; the receiver gets the
    /// RPC port it reports. To start several nodes at once, spawn them all, then
    /// [`NodeProcess::await_port`] each.
    pub(crate) fn spawn(&mut self, mut cmd: Command) -> Result<mpsc::Receiver<u16>, String> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        kill_with_parent(&mut cmd);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.what))?;
        let reported = read_log(child.stderr.take().expect("stderr is piped"), &self.log);
        self.child = Some(child);
        Ok(reported)
    }

    /// The second half of [`NodeProcess::start`]: waits up to `timeout` for the port
    /// `reported` by [`NodeProcess::spawn`], which must be `port` if not 0.
    pub(crate) fn await_port(
        &mut self,
        reported: &mpsc::Receiver<u16>,
        port: u16,
        timeout: Duration,
    ) -> Result<u16, String> {
        match reported.recv_timeout(timeout) {
            Ok(reported) if port == 0 || reported == port => Ok(reported),
            Ok(reported) => {
                let _ = self.stop();
                Err(format!(
                    "{} asked for RPC port {port} reported {reported}",
                    self.what
                ))
            }
            Err(_) => {
                let status = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                let _ = self.stop();
                Err(format!(
                    "{} did not report its RPC server within {timeout:?} \
                     (exit status: {status:?}); last log lines:\n{}",
                    self.what,
                    self.log_tail()
                ))
            }
        }
    }

    /// Whether the process was started and has not been killed or stopped.
    pub(crate) fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The last lines the process logged (over all its starts).
    pub(crate) fn log_tail(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n")
    }

    /// SIGKILL (no clean shutdown, as in a crash), and waits until the process is gone.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then SIGKILL if the process still runs after 20 s; waits for the exit.
    /// A no-op if it is not running; an error says it ignored SIGTERM.
    pub(crate) fn stop(&mut self) -> Result<(), String> {
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
            "{} ignored SIGTERM for {STOP_TIMEOUT:?} and was killed",
            self.what
        ))
    }
}

/// Reads the node's stderr (its log) for the whole life of the process: reports the RPC
/// port once, keeps the tail in `log` for error messages, and keeps the pipe drained so the
/// node never blocks on a full pipe.
fn read_log(
    stderr: impl std::io::Read + Send + 'static,
    log: &Arc<Mutex<Vec<String>>>,
) -> mpsc::Receiver<u16> {
    let log = Arc::clone(log);
    let (port_tx, port_rx) = mpsc::channel();
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
    port_rx
}

/// The IPv4 port from `Running JSON-RPC server: addr=127.0.0.1:40123,[::1]:40124`.
fn rpc_port_from_log(line: &str) -> Option<u16> {
    let addrs = line.split("Running JSON-RPC server: addr=").nth(1)?;
    addrs
        .split(',')
        .find_map(|addr| addr.trim().strip_prefix("127.0.0.1:"))
        .and_then(|port| port.split_whitespace().next()?.parse().ok())
}

/// Makes the node die with the thread that spawned it (see the module docs).
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
