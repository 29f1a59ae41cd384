//! What the bench watches while the load runs: when node 0 reported each block as best and
//! as finalized, and the CPU time of the node processes, of the bench and of the machine.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use subxt::utils::H256;

use tokio::{sync::watch, task::JoinHandle};

use crate::{Chain, Res};

/// Milliseconds since the epoch, by the wall clock (the clock block timestamps use: the
/// validators run on this machine).
pub fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A head as a subscription reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub number: u32,
    pub at_ms: u64,
}

/// The heads node 0 reported, in order.
#[derive(Debug, Default, Clone)]
pub struct Heads {
    pub best: Vec<Seen>,
    pub finalized: Vec<Seen>,
}

/// The first time a head at or above `number` was reported: a finalized head finalizes its
/// ancestors, and a subscription may skip blocks finalized together.
pub fn first_at_or_above(seen: &[Seen], number: u32) -> Option<u64> {
    seen.iter()
        .filter(|s| s.number >= number)
        .map(|s| s.at_ms)
        .min()
}

/// Node 0's best and finalized heads, recorded as they arrive; the best height is also
/// published on a watch channel (the workers' staggered start waits on it).
pub struct HeadWatch {
    heads: Arc<Mutex<Heads>>,
    pub best: watch::Receiver<u32>,
    tasks: Vec<JoinHandle<()>>,
}

impl HeadWatch {
    pub async fn start(chain: Arc<Chain>) -> Res<HeadWatch> {
        let heads = Arc::new(Mutex::new(Heads::default()));
        let (best_tx, best) = watch::channel(0u32);
        let mut new_heads = chain
            .rpc
            .chain_subscribe_new_heads()
            .await
            .map_err(|e| format!("subscribing to node 0's best heads: {e}"))?;
        let mut finalized_heads = chain
            .rpc
            .chain_subscribe_finalized_heads()
            .await
            .map_err(|e| format!("subscribing to node 0's finalized heads: {e}"))?;
        let h = heads.clone();
        let best_task = tokio::spawn(async move {
            while let Some(Ok(header)) = new_heads.next().await {
                let seen = Seen {
                    number: header.number,
                    at_ms: wall_ms(),
                };
                h.lock().unwrap_or_else(|e| e.into_inner()).best.push(seen);
                best_tx.send_replace(seen.number);
            }
        });
        let h = heads.clone();
        let finalized_task = tokio::spawn(async move {
            while let Some(Ok(header)) = finalized_heads.next().await {
                let seen = Seen {
                    number: header.number,
                    at_ms: wall_ms(),
                };
                h.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .finalized
                    .push(seen);
            }
        });
        Ok(HeadWatch {
            heads,
            best,
            tasks: vec![best_task, finalized_task],
        })
    }

    /// What was seen so far.
    pub fn heads(&self) -> Heads {
        self.heads.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The highest finalized head seen so far.
    pub fn finalized(&self) -> u32 {
        self.heads()
            .finalized
            .iter()
            .map(|s| s.number)
            .max()
            .unwrap_or(0)
    }

    /// Stops watching; returns what was seen.
    pub fn stop(self) -> Heads {
        for t in &self.tasks {
            t.abort();
        }
        self.heads()
    }
}

/// One CPU reading: clock ticks (user + system) of each node, of the bench, and of the
/// machine (busy, total) from /proc/stat.
#[derive(Debug, Clone)]
pub struct CpuSample {
    pub at_ms: u64,
    pub nodes: Vec<u64>,
    pub bench: u64,
    pub machine_busy: u64,
    pub machine_total: u64,
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
pub fn ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(t).ok().filter(|t| *t > 0).unwrap_or(100)
}

/// utime + stime of `pid` in clock ticks (/proc/PID/stat fields 14 and 15).
fn process_ticks(pid: &str) -> Res<u64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    // The fields after the command name, which is in parentheses and may hold spaces:
    // state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| -> Res<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("{path}: no field {}", i + 3))
    };
    Ok(field(11)? + field(12)?)
}

/// The machine's (busy, total) ticks over all CPUs: the first line of /proc/stat (user
/// nice system idle iowait irq softirq steal …); idle and iowait are not busy.
fn machine_ticks() -> Res<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").map_err(|e| format!("/proc/stat: {e}"))?;
    let line = stat.lines().next().unwrap_or("");
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|f| f.parse().ok())
        .collect();
    if v.len() < 8 {
        return Err(format!("/proc/stat: unexpected first line '{line}'"));
    }
    let total: u64 = v.iter().sum();
    Ok((total - v[3] - v[4], total))
}

fn sample(pids: &[u32]) -> Res<CpuSample> {
    let nodes = pids
        .iter()
        .map(|p| process_ticks(&p.to_string()))
        .collect::<Res<Vec<_>>>()?;
    let (machine_busy, machine_total) = machine_ticks()?;
    Ok(CpuSample {
        at_ms: wall_ms(),
        nodes,
        bench: process_ticks("self")?,
        machine_busy,
        machine_total,
    })
}

/// Samples CPU every second until stopped.
pub struct CpuWatch {
    samples: Arc<Mutex<Vec<CpuSample>>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Res<()>>,
}

impl CpuWatch {
    pub fn start(pids: Vec<u32>) -> Res<CpuWatch> {
        let samples = Arc::new(Mutex::new(vec![sample(&pids)?]));
        let (stop, mut stopped) = watch::channel(false);
        let s = samples.clone();
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stopped.changed() => break,
                }
                let reading = sample(&pids)?;
                s.lock().unwrap_or_else(|e| e.into_inner()).push(reading);
            }
            let reading = sample(&pids)?;
            s.lock().unwrap_or_else(|e| e.into_inner()).push(reading);
            Ok(())
        });
        Ok(CpuWatch {
            samples,
            stop,
            task,
        })
    }

    pub async fn stop(self) -> Res<Vec<CpuSample>> {
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|e| format!("the CPU sampler: {e}"))?
            .map_err(|e| format!("the CPU sampler: {e}"))?;
        Ok(self
            .samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone())
    }
}

/// How many transactions each node's pool held (`author_pendingExtrinsics`: ready and
/// future), at one instant.
#[derive(Debug, Clone)]
pub struct PoolSample {
    pub at_ms: u64,
    pub sizes: Vec<usize>,
}

/// What the pool readings saw: their sizes, and per node the first reading that showed
/// each transaction (by extrinsic hash).
#[derive(Debug, Clone, Default)]
pub struct Pools {
    pub samples: Vec<PoolSample>,
    pub first_seen: Vec<HashMap<H256, u64>>,
}

/// How often the pools are read: the resolution of "when did a node have it".
pub const POOL_EVERY: Duration = Duration::from_millis(500);

/// Reads every node's pool every [`POOL_EVERY`] until stopped, over connections of its own.
pub struct PoolWatch {
    pools: Arc<Mutex<Pools>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Res<()>>,
}

impl PoolWatch {
    pub async fn start(urls: &[String]) -> Res<PoolWatch> {
        use subxt::{
            backend::rpc::RpcClient,
            config::{substrate::BlakeTwo256, Hasher},
            ext::subxt_rpcs::{client::RpcParams, methods::legacy::Bytes},
        };
        let mut clients = Vec::new();
        for url in urls {
            let c = RpcClient::from_url(url)
                .await
                .map_err(|e| format!("connecting to {url}: {e}"))?;
            clients.push(c);
        }
        let pools = Arc::new(Mutex::new(Pools {
            samples: Vec::new(),
            first_seen: vec![HashMap::new(); urls.len()],
        }));
        let (stop, mut stopped) = watch::channel(false);
        let shared = pools.clone();
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(POOL_EVERY);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stopped.changed() => return Ok(()),
                }
                let mut sizes = Vec::new();
                for (i, c) in clients.iter().enumerate() {
                    let pending: Vec<Bytes> = c
                        .request("author_pendingExtrinsics", RpcParams::new())
                        .await
                        .map_err(|e| format!("author_pendingExtrinsics: {e}"))?;
                    let at_ms = wall_ms();
                    sizes.push(pending.len());
                    let mut p = shared.lock().unwrap_or_else(|e| e.into_inner());
                    for x in &pending {
                        p.first_seen[i]
                            .entry(BlakeTwo256.hash(&x.0))
                            .or_insert(at_ms);
                    }
                }
                let at_ms = wall_ms();
                shared
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .samples
                    .push(PoolSample { at_ms, sizes });
            }
        });
        Ok(PoolWatch { pools, stop, task })
    }

    pub async fn stop(self) -> Res<Pools> {
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|e| format!("the pool sampler: {e}"))?
            .map_err(|e| format!("the pool sampler: {e}"))?;
        Ok(std::mem::take(
            &mut *self.pools.lock().unwrap_or_else(|e| e.into_inner()),
        ))
    }
}

/// The validator a node process runs as: its `--alice` … `--ferdie` flag (the harness
/// starts node i as the i-th of them).
fn validator_index(cmdline: &[String]) -> Option<usize> {
    const NAMES: [&str; 6] = [
        "--alice",
        "--bob",
        "--charlie",
        "--dave",
        "--eve",
        "--ferdie",
    ];
    cmdline
        .iter()
        .find_map(|a| NAMES.iter().position(|n| a == n))
}

/// The pids of this process's `escrow-node` children, in validator order (the harness
/// starts them from this process; its API does not expose them).
pub fn node_pids(n: usize) -> Res<Vec<u32>> {
    let mut found: Vec<Option<u32>> = vec![None; n];
    let tasks =
        std::fs::read_dir("/proc/self/task").map_err(|e| format!("/proc/self/task: {e}"))?;
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for pid in children.split_whitespace() {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() != "escrow-node" {
                continue;
            }
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if let (Some(i), Ok(pid)) = (validator_index(&args), pid.parse::<u32>()) {
                if i < n {
                    found[i] = Some(pid);
                }
            }
        }
    }
    found
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.ok_or_else(|| format!("no escrow-node child process runs validator {i}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finalized_head_finalizes_the_blocks_below_it() {
        let seen = [
            Seen {
                number: 3,
                at_ms: 100,
            },
            Seen {
                number: 6,
                at_ms: 200,
            },
        ];
        assert_eq!(first_at_or_above(&seen, 2), Some(100));
        assert_eq!(first_at_or_above(&seen, 4), Some(200));
        assert_eq!(first_at_or_above(&seen, 7), None);
    }

    #[test]
    fn the_validator_flag_names_the_node() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            validator_index(&args(&["escrow-node", "--chain", "local-4", "--charlie"])),
            Some(2)
        );
        assert_eq!(validator_index(&args(&["escrow-node", "--dev"])), None);
    }
}
