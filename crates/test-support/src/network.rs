//! A local network of validators (`escrow-node --chain local-N`) as real processes, for what
//! only a network shows: a block every Aura slot, finality by GRANDPA (which needs more than
//! two thirds of the validators), a validator that dies, stays away or comes back.
//!
//! # How the nodes find each other
//!
//! Through `--bootnodes` only (`--no-mdns`): each node is given every other node's
//! `/ip4/127.0.0.1/tcp/PORT/p2p/PEER_ID`, so a test's network never meets another test's, or
//! a developer's. A bootnode address needs the peer id and the p2p port *before* the other
//! nodes start, so both are fixed in advance: the node key is generated into the node's base
//! path (`escrow-node key generate-node-key`, which prints the peer id; a validator must have
//! one before it starts), and the p2p port is one the OS hands out for `127.0.0.1:0`, released
//! just before the nodes start. A restarted node keeps its base path, keys and both ports, so
//! the other nodes' bootnodes, and the URLs a test handed out, stay valid.
//!
//! The RPC port is the one each node picks and logs (`--rpc-port 0`), as for
//! [`crate::TestNode`] (see [`crate::node`] for why), and asked for again on a restart.
//!
//! # Reading the nodes
//!
//! Heights, peers and pools are read with JSON-RPC over plain HTTP (the node serves HTTP and
//! WebSocket on the one RPC port): a blocking request works the same from a plain test and
//! from inside an async one (no runtime to nest), and a killed node is a refused connection
//! at once, not a subscription that hangs.
//!
//! # The processes
//!
//! Spawned, logged and killed like [`crate::TestNode`]'s: they die with the thread that
//! started them (call [`TestNetwork::start`] and [`TestNetwork::restart`] from the test's
//! own thread) and with the [`TestNetwork`] when it is dropped.

use std::{
    io::{Read, Write},
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::PathBuf,
    time::{Duration, Instant},
};

use serde_json::{json, Value as Json};
use subxt::config::{substrate::BlakeTwo256, Hasher};

use crate::node::{node_command, NodeProcess};

/// The dev validators of `--chain local-N`, in order: the first N validate.
const VALIDATORS: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
/// How long a fresh network may take until every node has a peer and a finalized block;
/// also how long a node may take to listen on RPC. A node alone listens after about 5 s
/// (most of it compiling its runtime); four starting together on two cores busy with other
/// builds were ready after 43 to 64 s.
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// How long one JSON-RPC request may take.
const RPC_TIMEOUT: Duration = Duration::from_secs(10);
/// How often [`TestNetwork::wait_for`] and [`TestNetwork::start`] read the nodes.
const POLL: Duration = Duration::from_millis(250);

/// One validator: its identity and ports, fixed for the network's life, and its process.
struct Validator {
    /// `alice`, `bob`, …: its `--alice`-style flag, which gives it that dev validator's keys.
    name: &'static str,
    base: PathBuf,
    peer_id: String,
    p2p_port: u16,
    rpc_port: u16,
    process: NodeProcess,
}

/// N validator processes of `--chain local-N`, each on its own base path and ports, killed
/// when dropped.
pub struct TestNetwork {
    chain: String,
    validators: Vec<Validator>,
    _dir: tempfile::TempDir,
}

impl TestNetwork {
    /// Starts `validators` nodes (1 to 6: Alice, Bob, … as in `--chain local-N`) and returns
    /// once every node's RPC answers, each has a peer (unless it is alone) and each has
    /// finalized a block past genesis. Panics with every node's state and last log lines
    /// otherwise.
    pub fn start(validators: usize) -> TestNetwork {
        assert!(
            (1..=VALIDATORS.len()).contains(&validators),
            "a local network has 1 to {} validators, not {validators}",
            VALIDATORS.len()
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let chain = format!("local-{validators}");
        let mut net = TestNetwork {
            validators: VALIDATORS[..validators]
                .iter()
                .map(|name| {
                    let base = dir.path().join(name);
                    Validator {
                        name,
                        peer_id: generate_node_key(&base, &chain),
                        base,
                        p2p_port: free_port(),
                        rpc_port: 0,
                        process: NodeProcess::new(&format!("validator {name} ({chain})")),
                    }
                })
                .collect(),
            chain,
            _dir: dir,
        };
        // All at once, so that where there are cores to spare the start-ups (each compiles
        // the runtime) overlap instead of queueing.
        let reported: Vec<_> = (0..validators).map(|i| net.spawn(i)).collect();
        for (v, reported) in net.validators.iter_mut().zip(&reported) {
            v.rpc_port = v
                .process
                .await_port(reported, 0, START_TIMEOUT)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        net.await_ready();
        net
    }

    /// Spawns validator `i` on its base path and ports (its RPC port: 0 the first time, so
    /// the OS picks, then the same); the receiver gets the RPC port it reports.
    fn spawn(&mut self, i: usize) -> std::sync::mpsc::Receiver<u16> {
        let bootnodes: Vec<String> = self
            .validators
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, v)| format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", v.p2p_port, v.peer_id))
            .collect();
        let v = &mut self.validators[i];
        let mut cmd = node_command();
        cmd.args(["--chain", &self.chain, &format!("--{}", v.name)])
            .arg("--base-path")
            .arg(&v.base)
            .args(["--port", &v.p2p_port.to_string()])
            .args(["--rpc-port", &v.rpc_port.to_string()])
            .args(["--no-mdns", "--no-prometheus", "--no-telemetry"]);
        for addr in &bootnodes {
            cmd.args(["--bootnodes", addr]);
        }
        if bootnodes.is_empty() {
            // Aura does not author without peers unless told to.
            cmd.arg("--force-authoring");
        }
        v.process.spawn(cmd).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Waits until every node has a peer (unless alone) and a finalized block past genesis.
    fn await_ready(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        let want_peers = u64::from(self.len() > 1);
        loop {
            let states: Vec<Result<(u64, u32), String>> = (0..self.len())
                .map(|i| {
                    let port = self.port(i)?;
                    let health = rpc(port, "system_health", json!([]))?;
                    let peers = health["peers"]
                        .as_u64()
                        .ok_or_else(|| format!("system_health without peers: {health}"))?;
                    Ok((peers, self.heights(i)?.1))
                })
                .collect();
            let ready = states.iter().all(
                |s| matches!(s, Ok((peers, finalized)) if *peers >= want_peers && *finalized > 0),
            );
            if ready {
                return;
            }
            if Instant::now() > deadline {
                let report: Vec<String> = states
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        format!(
                            "--- {} (peers, finalized): {s:?}; last log lines:\n{}",
                            self.validators[i].process_name(),
                            self.log_tail(i)
                        )
                    })
                    .collect();
                panic!(
                    "the {}-validator network is not ready after {START_TIMEOUT:?} (every \
                     node needs {want_peers}+ peers and a finalized block past genesis):\n{}",
                    self.len(),
                    report.join("\n")
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// How many validators the network has (running or not).
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Always false: a network has at least one validator.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// The WebSocket URL of node `i`'s RPC server (the same after a restart).
    pub fn url(&self, i: usize) -> String {
        format!("ws://127.0.0.1:{}", self.validators[i].rpc_port)
    }

    /// The dev validator node `i` runs as (`alice`, `bob`, …).
    pub fn name(&self, i: usize) -> &'static str {
        self.validators[i].name
    }

    /// Kills node `i` at once (SIGKILL: no clean shutdown, as in a crash) and waits until
    /// it is gone.
    pub fn kill(&mut self, i: usize) {
        self.validators[i].process.kill();
    }

    /// Starts node `i` again, stopping it first if it still runs: the same base path (its
    /// chain, node key and validator keys) and the same p2p and RPC ports. Returns once its
    /// RPC server listens; it may still be catching up (see [`TestNetwork::wait_for`]).
    pub fn restart(&mut self, i: usize) {
        if let Err(e) = self.validators[i].process.stop() {
            eprintln!("warning: stopping {} for a restart: {e}", self.name(i));
        }
        let reported = self.spawn(i);
        let v = &mut self.validators[i];
        v.process
            .await_port(&reported, v.rpc_port, START_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Node `i`'s best and finalized block numbers; an error if it is not running or does
    /// not answer.
    pub fn heights(&self, i: usize) -> Result<(u32, u32), String> {
        let port = self.port(i)?;
        let best = rpc(port, "chain_getHeader", json!([]))?;
        let finalized_hash = rpc(port, "chain_getFinalizedHead", json!([]))?;
        let finalized = rpc(port, "chain_getHeader", json!([finalized_hash]))?;
        Ok((header_number(&best)?, header_number(&finalized)?))
    }

    /// Reads node `i`'s heights until `cond(best, finalized)` holds; returns those heights.
    /// An error names `what` was awaited, the last reading and the node's last log lines if
    /// it does not hold within `timeout` (a node that does not answer yet, e.g. restarting,
    /// is read again until then).
    pub fn wait_for(
        &self,
        i: usize,
        what: &str,
        timeout: Duration,
        cond: impl Fn(u32, u32) -> bool,
    ) -> Result<(u32, u32), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let reading = self.heights(i);
            if let Ok((best, finalized)) = reading {
                if cond(best, finalized) {
                    return Ok((best, finalized));
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{}: {what}: not within {timeout:?}; last (best, finalized): {reading:?}; \
                     last log lines:\n{}",
                    self.validators[i].process_name(),
                    self.log_tail(i)
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    /// The hashes (`0x…`, as the CLI prints them) of the transactions in node `i`'s pool
    /// (`author_pendingExtrinsics`). Panics if the node does not answer.
    pub fn pending_extrinsics(&self, i: usize) -> Vec<String> {
        let pending = self
            .port(i)
            .and_then(|port| rpc(port, "author_pendingExtrinsics", json!([])))
            .unwrap_or_else(|e| {
                panic!(
                    "{}: author_pendingExtrinsics: {e}",
                    self.validators[i].process_name()
                )
            });
        pending
            .as_array()
            .unwrap_or_else(|| panic!("author_pendingExtrinsics answered {pending}"))
            .iter()
            .map(|xt| {
                let hex = xt
                    .as_str()
                    .unwrap_or_else(|| panic!("not a hex extrinsic: {xt}"));
                let bytes = hex::decode(hex.trim_start_matches("0x"))
                    .unwrap_or_else(|e| panic!("not a hex extrinsic ({e}): {hex}"));
                format!("{:?}", BlakeTwo256.hash(&bytes))
            })
            .collect()
    }

    /// The last lines node `i` logged (over all its starts).
    pub fn log_tail(&self, i: usize) -> String {
        self.validators[i].process.log_tail()
    }

    /// Node `i`'s RPC port, or an error if it is not running.
    fn port(&self, i: usize) -> Result<u16, String> {
        let v = &self.validators[i];
        if v.process.is_running() {
            Ok(v.rpc_port)
        } else {
            Err(format!("{} is not running", v.process_name()))
        }
    }
}

impl Validator {
    fn process_name(&self) -> String {
        format!("validator {} (rpc {})", self.name, self.rpc_port)
    }
}

impl Drop for TestNetwork {
    fn drop(&mut self) {
        // Nothing survives the network (its base paths are removed with it), so no node
        // needs a clean shutdown.
        for v in &mut self.validators {
            v.process.kill();
        }
    }
}

/// Generates a node key into `base` for `chain`; returns its peer id (printed on stderr).
fn generate_node_key(base: &std::path::Path, chain: &str) -> String {
    let output = node_command()
        .args(["key", "generate-node-key", "--base-path"])
        .arg(base)
        .args(["--chain", chain])
        .output()
        .unwrap_or_else(|e| panic!("cannot run escrow-node key generate-node-key: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "escrow-node key generate-node-key --base-path {} --chain {chain} failed \
         ({}):\n{stderr}",
        base.display(),
        output.status
    );
    stderr
        .lines()
        .map(str::trim)
        .rfind(|l| l.starts_with("12D3KooW"))
        .unwrap_or_else(|| panic!("no peer id in generate-node-key's output:\n{stderr}"))
        .to_string()
}

/// A TCP port nobody listens on now: the one the OS assigns to `127.0.0.1:0`, released.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// One JSON-RPC call over HTTP/1.0 (one request per connection, a body of known length, no
/// chunking) to the node at `port`; its `result`, or an error naming the method.
fn rpc(port: u16, method: &str, params: Json) -> Result<Json, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{method} on 127.0.0.1:{port}: {e}");
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, RPC_TIMEOUT).map_err(|e| fail(&e))?;
    stream
        .set_read_timeout(Some(RPC_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(RPC_TIMEOUT)))
        .map_err(|e| fail(&e))?;
    write!(
        stream,
        "POST / HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| fail(&e))?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|e| fail(&e))?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| fail(&format!("not an HTTP response: {response:?}")))?;
    if head.split_whitespace().nth(1) != Some("200") {
        return Err(fail(&format!("HTTP {head:?}: {body}")));
    }
    let answer: Json = serde_json::from_str(body).map_err(|e| fail(&e))?;
    if let Some(error) = answer.get("error") {
        return Err(fail(&error));
    }
    answer
        .get("result")
        .cloned()
        .ok_or_else(|| fail(&format!("no result in {answer}")))
}

/// The block number of a header from `chain_getHeader` (`"number": "0x1a"`).
fn header_number(header: &Json) -> Result<u32, String> {
    header["number"]
        .as_str()
        .and_then(|n| u32::from_str_radix(n.trim_start_matches("0x"), 16).ok())
        .ok_or_else(|| format!("no block number in the header {header}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_number_reads_the_hex_number() {
        assert_eq!(header_number(&json!({"number": "0x1a"})), Ok(26));
        assert_eq!(header_number(&json!({"number": "0x0"})), Ok(0));
        assert_eq!(
            header_number(&json!({"parentHash": "0x00"})),
            Err(r#"no block number in the header {"parentHash":"0x00"}"#.to_string())
        );
    }
}
