//! The load: `--concurrency` workers, each running reference deals one after the other
//! until `--deals` have been started, every transaction recorded.
//!
//! A deal's seven steps are sequential (each needs the one before it in a block); the
//! concurrency is across deals, so an account has several transactions in flight at once
//! (see the crate docs for why their nonces never collide). The workers start staggered,
//! worker w once node 0's best block is w mod 7 blocks past the start, so that each block
//! soon carries a mix of all seven steps instead of every deal moving in lockstep.

use std::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Arc, Mutex,
};

use escrow_client::{
    accounts::ink_account,
    messages::{self, Message},
    submit::Included,
    ClientError, Escrow,
};
use escrow_types::{DealId, DealTerms};
use scale::Decode;
use subxt::utils::{AccountId32, H256};
use tokio::sync::watch;

use crate::{
    scenarios::{reference_terms, REFERENCE_STEPS},
    setup::{Cast, Party},
    watch::wall_ms,
    EscrowEvent, SubmitOpts, Weight,
};

/// The steps of a reference deal.
pub const STEPS: usize = REFERENCE_STEPS.len();

/// One transaction of the load, as its worker saw it.
#[derive(Debug, Clone)]
pub struct TxRecord {
    /// The deal (0-based, in launch order) and its step (index into `REFERENCE_STEPS`).
    pub deal: usize,
    pub step: usize,
    pub signer: AccountId32,
    /// The node it was submitted to.
    pub node: usize,
    pub tx_hash: H256,
    /// The number of the block the client reported it in.
    pub block: u32,
    /// Just before `sign_submit_wait` (signing lock, nonce, signing, submission, wait).
    pub submitted_ms: u64,
    /// When `sign_submit_wait` returned: the node reported it in a best block, and the
    /// client had read the block's events and header.
    pub in_block_ms: u64,
    /// The dry-run's `gas_consumed` (the state it was submitted in).
    pub gas_consumed: Weight,
}

/// A deal that went through all its steps.
#[derive(Debug, Clone)]
pub struct DealRecord {
    pub index: usize,
    pub id: DealId,
    pub started_ms: u64,
    pub closed_ms: u64,
}

/// A step that failed: the dry-run refused it, the node refused it, it failed in its block,
/// or its outcome is unknown (nothing is ever submitted again); or a check of the finalized
/// chain that found the load's records wrong (`deal` is `None`).
#[derive(Debug, Clone)]
pub struct Failure {
    pub deal: Option<usize>,
    pub step: &'static str,
    pub signer: String,
    pub node: usize,
    pub error: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client's messages may carry a hint on a second line.
        let error = self.error.replace('\n', "; ");
        match self.deal {
            Some(deal) => write!(
                f,
                "deal {deal} step \"{}\" signed by {} through node {}: {error}",
                self.step, self.signer, self.node
            ),
            None => write!(f, "{}: {error}", self.step),
        }
    }
}

/// What the load did.
#[derive(Debug, Default)]
pub struct Load {
    pub txs: Vec<TxRecord>,
    pub deals: Vec<DealRecord>,
    pub failures: Vec<Failure>,
    /// When the last worker started.
    pub all_started_ms: u64,
    /// When a worker first found no deal left to start: from then on fewer than
    /// `--concurrency` deals are in flight.
    pub drained_ms: u64,
}

/// What the workers share.
pub struct Ctx {
    pub cast: Cast,
    /// One instance handle per node (each on its own connection).
    pub escrows: Vec<Escrow>,
    pub opts: SubmitOpts,
    /// The chain's time when the load began: the deals' deadlines count from it.
    pub terms_now: u64,
    pub deals: usize,
    next: AtomicUsize,
    stop: AtomicBool,
    txs: Mutex<Vec<TxRecord>>,
    done: Mutex<Vec<DealRecord>>,
    failures: Mutex<Vec<Failure>>,
}

impl Ctx {
    pub fn new(
        cast: Cast,
        escrows: Vec<Escrow>,
        opts: SubmitOpts,
        terms_now: u64,
        deals: usize,
    ) -> Ctx {
        Ctx {
            cast,
            escrows,
            opts,
            terms_now,
            deals,
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            txs: Mutex::new(Vec::new()),
            done: Mutex::new(Vec::new()),
            failures: Mutex::new(Vec::new()),
        }
    }

    /// Dry-runs `msg` as `who` through its node, then signs it with the dry-run's figures
    /// (as every client of the library does), submits it once and waits until it
    /// is in a block. Returns it, its dry-run gas and the instant it was handed to
    /// `sign_submit_wait`.
    async fn send<R: Decode>(
        &self,
        who: &Party,
        msg: Message<R>,
    ) -> Result<(Included, Weight, u64), ClientError> {
        let escrow = &self.escrows[who.node];
        let dried = escrow.dry_run(&who.id, &msg).await?;
        let submitted_ms = wall_ms();
        let inc = escrow
            .submit(&who.key, msg, &dried.dry, self.opts.clone())
            .await?;
        Ok((inc, dried.dry.gas_consumed, submitted_ms))
    }

    /// Step `step` of deal `deal`, recorded.
    async fn step<R: Decode>(
        &self,
        deal: usize,
        step: usize,
        who: &Party,
        msg: Message<R>,
    ) -> Result<Included, Failure> {
        let (inc, gas_consumed, submitted_ms) = self
            .send(who, msg)
            .await
            .map_err(|e| self.failure(deal, step, who, e.to_string()))?;
        let record = TxRecord {
            deal,
            step,
            signer: who.id.clone(),
            node: who.node,
            tx_hash: inc.tx_hash,
            block: inc.block_number,
            submitted_ms,
            in_block_ms: wall_ms(),
            gas_consumed,
        };
        self.txs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
        Ok(inc)
    }

    /// Deal `k`: pair k mod pairs and that pair's oracle; the reference deal's terms and
    /// steps (scenarios.rs), the seller closing it.
    async fn deal(&self, k: usize) -> Result<DealRecord, Failure> {
        let p = k % self.cast.pairs.len();
        let (seller, buyer) = &self.cast.pairs[p];
        let oracle = &self.cast.oracles[p];
        let terms = DealTerms {
            buyer: ink_account(&buyer.id),
            seller: ink_account(&seller.id),
            oracles: vec![ink_account(&oracle.id)],
            ..reference_terms(self.terms_now)
        };
        let total = terms
            .milestones
            .iter()
            .try_fold(0u128, |t, m| t.checked_add(m.amount))
            .ok_or_else(|| self.failure(k, 0, seller, "the deal's total overflows".into()))?;
        let started_ms = wall_ms();
        let proposed = self.step(k, 0, seller, messages::propose(terms)).await?;
        // The id the chain gave (another proposal may have landed before the dry-run's).
        let (id, hash) = proposed
            .events
            .iter()
            .find_map(|e| match e {
                EscrowEvent::DealProposed(p) => Some((p.deal_id, p.terms_hash)),
                _ => None,
            })
            .ok_or_else(|| {
                let msg = format!("no DealProposed event in block #{}", proposed.block_number);
                self.failure(k, 0, seller, msg)
            })?;
        self.step(k, 1, buyer, messages::accept(id, hash, total))
            .await?;
        self.step(k, 2, seller, messages::submit(id, 1, [1; 32]))
            .await?;
        self.step(k, 3, oracle, messages::attest(id, 1)).await?;
        self.step(k, 4, seller, messages::submit(id, 2, [2; 32]))
            .await?;
        self.step(k, 5, buyer, messages::approve(id, 2)).await?;
        self.step(k, 6, seller, messages::close_deal(id)).await?;
        Ok(DealRecord {
            index: k,
            id,
            started_ms,
            closed_ms: wall_ms(),
        })
    }

    fn failure(&self, deal: usize, step: usize, who: &Party, error: String) -> Failure {
        Failure {
            deal: Some(deal),
            step: REFERENCE_STEPS[step].name,
            signer: who.suri.clone(),
            node: who.node,
            error,
        }
    }
}

fn take<T>(m: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *m.lock().unwrap_or_else(|e| e.into_inner()))
}

/// When a worker started, and when it found no deal left (or the run stopping).
struct Span {
    started_ms: u64,
    drained_ms: u64,
}

async fn worker(ctx: Arc<Ctx>, mut best: watch::Receiver<u32>, start_at: u32) -> Span {
    // A closed channel (the watcher gone) starts the worker at once.
    let _ = best.wait_for(|h| *h >= start_at).await;
    let started_ms = wall_ms();
    loop {
        if ctx.stop.load(Ordering::SeqCst) {
            break;
        }
        let k = ctx.next.fetch_add(1, Ordering::SeqCst);
        if k >= ctx.deals {
            break;
        }
        match ctx.deal(k).await {
            Ok(d) => ctx.done.lock().unwrap_or_else(|e| e.into_inner()).push(d),
            Err(f) => {
                // Stop launching deals: one failure fails the run.
                ctx.stop.store(true, Ordering::SeqCst);
                eprintln!("escrow-network-bench: {f}");
                ctx.failures
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(f);
            }
        }
    }
    Span {
        started_ms,
        drained_ms: wall_ms(),
    }
}

/// Runs the load: `concurrency` workers, worker w starting once node 0's best block is
/// w mod 7 blocks past the current one.
pub async fn drive(ctx: Arc<Ctx>, concurrency: usize, mut best: watch::Receiver<u32>) -> Load {
    // The subscription's first head (the current best) may not have arrived yet.
    let from = best.wait_for(|h| *h > 0).await.map_or(0, |h| *h);
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..concurrency {
        let offset = u32::try_from(w % STEPS).unwrap_or(0);
        workers.spawn(worker(ctx.clone(), best.clone(), from + offset));
    }
    let mut spans = Vec::new();
    let mut panicked = Vec::new();
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok(span) => spans.push(span),
            Err(e) => panicked.push(Failure {
                deal: None,
                step: "worker",
                signer: String::new(),
                node: 0,
                error: format!("a worker task ended abnormally: {e}"),
            }),
        }
    }
    let mut failures: Vec<Failure> = take(&ctx.failures);
    failures.extend(panicked);
    let mut txs: Vec<TxRecord> = take(&ctx.txs);
    txs.sort_by_key(|t| (t.deal, t.step));
    let mut deals: Vec<DealRecord> = take(&ctx.done);
    deals.sort_by_key(|d| d.index);
    Load {
        txs,
        deals,
        failures,
        all_started_ms: spans.iter().map(|s| s.started_ms).max().unwrap_or(0),
        drained_ms: spans.iter().map(|s| s.drained_ms).min().unwrap_or(0),
    }
}
