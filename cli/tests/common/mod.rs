//! Test harness: a local `escrow-node` per test (killed on Drop) and a runner for the real
//! `escrow` binary.

#![allow(dead_code)]

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// `$CARGO_TARGET_DIR` (default `$HOME/.cache/milestone-escrow/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/milestone-escrow/target")
        })
}

/// The node binary (`ESCROW_NODE` overrides).
pub fn node_binary() -> PathBuf {
    std::env::var_os("ESCROW_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("release/escrow-node"))
}

/// The contract bundle (`ESCROW_BUNDLE` overrides).
pub fn bundle() -> PathBuf {
    std::env::var_os("ESCROW_BUNDLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            target_dir().join("ink/milestone_escrow/by-mode/release/milestone_escrow.contract")
        })
}

/// Whether the chain tests can run; prints why not. With `ESCROW_REQUIRE_CHAIN=1` (as
/// scripts/test.sh sets) a missing node or bundle fails the test instead of skipping it.
pub fn chain_available() -> bool {
    let (n, b) = (node_binary(), bundle());
    if !n.is_file() || !b.is_file() {
        let why = format!(
            "needs {} (scripts/build-node.sh) and {} (scripts/build-contract.sh contracts/milestone_escrow --release)",
            n.display(),
            b.display()
        );
        if std::env::var("ESCROW_REQUIRE_CHAIN").as_deref() == Ok("1") {
            panic!("ESCROW_REQUIRE_CHAIN=1 but the chain tests cannot run: {why}");
        }
        eprintln!("SKIPPED: {why}");
        return false;
    }
    true
}

/// A port nobody listens on (right now), below Linux's ephemeral range (32768–60999).
///
/// Why not port 0's pick: that is an ephemeral port, and polling a not-yet-listening
/// ephemeral port from this host can connect the socket to itself (TCP simultaneous open:
/// the kernel picks the destination port as the source port). A CI run once saw a node
/// "up" that way before it listened. Below the range, no client socket ever gets that port.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
    for _ in 0..1_000 {
        let offset = seed.wrapping_add(NEXT.fetch_add(7_919, Ordering::Relaxed)) % 20_000;
        let port = 12_000 + offset as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 12000-31999 after 1000 tries");
}

/// Whether a JSON-RPC server answers `system_health` on `port` (an HTTP POST; the node
/// serves HTTP and WebSocket on one port).
fn answers_rpc(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let body = r#"{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.contains("\"result\"")
}

/// A running node.
pub struct Node {
    child: Child,
    /// Its RPC port (kept across restarts, so URLs and remembered deployments stay valid).
    pub port: u16,
    /// Where it logs.
    pub log: PathBuf,
    /// `--base-path` of a node that keeps its state across restarts (`None`: `--tmp`).
    pub base: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

impl Node {
    /// Starts `escrow-node --dev --tmp` on a free RPC port; waits until it accepts connections.
    pub fn start() -> Node {
        Node::launch(false)
    }

    /// Starts `escrow-node --dev --base-path <temp dir>`: its chain survives
    /// [`Node::kill`] + [`Node::restart`].
    pub fn start_persistent() -> Node {
        Node::launch(true)
    }

    fn launch(persistent: bool) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("node.log");
        let base = persistent.then(|| dir.path().join("chain"));
        let port = free_port();
        let child = Node::spawn(port, &log, base.as_deref());
        let mut node = Node {
            child,
            port,
            log,
            base,
            _dir: dir,
        };
        node.wait_until_up();
        node
    }

    fn spawn(port: u16, log: &Path, base: Option<&Path>) -> Child {
        let port = port.to_string();
        let mut args = vec![
            "--dev",
            "--rpc-port",
            &port,
            "--port",
            "0",
            "--no-prometheus",
        ];
        let base_str;
        match base {
            Some(b) => {
                base_str = b.to_string_lossy().into_owned();
                args.extend(["--base-path", &base_str]);
            }
            None => args.push("--tmp"),
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        Command::new(node_binary())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start escrow-node")
    }

    fn wait_until_up(&mut self) {
        let started = Instant::now();
        while !answers_rpc(self.port) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "node exited ({status}) before its RPC answered:\n{}",
                    self.log_tail()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "node not up:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the node at once (SIGKILL: no clean shutdown) and waits until it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the killed node again on the same port and base path.
    pub fn restart(&mut self) {
        assert!(self.base.is_some(), "restart needs Node::start_persistent");
        self.kill();
        self.child = Node::spawn(self.port, &self.log, self.base.as_deref());
        self.wait_until_up();
    }

    /// Its ws URL.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The end of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<_> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The next nonce of `account` (SS58 or //Dev) as the node counts it (pool included).
pub fn nonce(url: &str, account: &str) -> u64 {
    let who = escrow_cli::parse_account(account).unwrap();
    block_on(async {
        let chain = escrow_cli::client::Chain::connect(url).await.unwrap();
        chain.rpc.system_account_next_index(&who).await.unwrap()
    })
}

/// Runs a future on a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// One run of `escrow`.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// stdout.
    pub out: String,
    /// stderr.
    pub err: String,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success, got {self:#?}");
        &self.out
    }

    /// Asserts exit `code` and that stderr mentions `needle`.
    pub fn fails(&self, code: i32, needle: &str) {
        assert_eq!(
            self.code, code,
            "expected exit {code} mentioning {needle:?}, got {self:#?}"
        );
        assert!(
            self.err.contains(needle),
            "stderr lacks {needle:?}: {self:#?}"
        );
    }

    /// stdout as one JSON object.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok().trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }
}

/// Runs `escrow` with a state directory and URL.
pub struct Escrow {
    /// ESCROW_HOME.
    pub home: tempfile::TempDir,
    /// ESCROW_URL.
    pub url: String,
}

impl Escrow {
    /// A fresh state directory against `url`.
    pub fn new(url: String) -> Escrow {
        Escrow {
            home: tempfile::tempdir().unwrap(),
            url,
        }
    }

    /// Runs `escrow args…`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs `escrow args…` with extra environment.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let o = cmd.output().expect("run escrow");
        Run {
            code: o.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&o.stdout).into_owned(),
            err: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// The `escrow` command with this state directory and URL, stdin closed.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_escrow"));
        cmd.args(args)
            .env("ESCROW_HOME", self.home.path())
            .env("ESCROW_URL", &self.url)
            .env_remove("ESCROW_CONTRACT")
            .env_remove("ESCROW_SURI")
            .env_remove("ESCROW_ACCOUNT")
            .env_remove("ESCROW_PASSWORD")
            .env_remove("ESCROW_CODE_HASH")
            .stdin(Stdio::null());
        cmd
    }

    /// Starts `escrow args…` in the background with stdout and stderr piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start escrow")
    }

    /// Runs `escrow args…` with stdin (and stdout/stderr) on a pseudo-terminal, through
    /// util-linux `script`, typing `input`. Returns the exit code and everything the
    /// terminal showed.
    pub fn run_tty(&self, args: &[&str], input: &str) -> (i32, String) {
        use std::io::Write;
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let line = std::iter::once(env!("CARGO_BIN_EXE_escrow"))
            .chain(args.iter().copied())
            .map(quote)
            .collect::<Vec<_>>()
            .join(" ");
        let mut child = Command::new("script")
            .args(["-qefc", &line, "/dev/null"])
            .env("ESCROW_HOME", self.home.path())
            .env("ESCROW_URL", &self.url)
            .env_remove("ESCROW_CONTRACT")
            .env_remove("ESCROW_SURI")
            .env_remove("ESCROW_ACCOUNT")
            .env_remove("ESCROW_PASSWORD")
            .env_remove("ESCROW_CODE_HASH")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run script(1)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let o = child.wait_with_output().expect("script(1)");
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    }

    /// A file in the state directory.
    pub fn file(&self, name: &str, content: &str) -> String {
        let p: &Path = self.home.path();
        let path = p.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_string_lossy().into_owned()
    }
}
