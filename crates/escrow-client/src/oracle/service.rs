//! The oracle service: one oracle account watching the chain and a tracking feed, attesting
//! each milestone whose committed condition the carrier's events satisfy.
//!
//! A pass ([`Service::pass`]):
//! 1. reads, at the best block, every deal that names this account (the contract's
//!    per-account index), and keeps the milestones that wait for *this* oracle's attestation
//!    ([`standing`]: deal active, oracles may release, milestone pending or submitted and
//!    funded, ship-by not passed, this oracle's bit not set);
//! 2. looks up each milestone's condition document by its on-chain terms hash; a milestone
//!    whose terms hash no document has is refused, loudly, once;
//! 3. fetches the events of each transport document once ([`Query::for_condition`]) and
//!    evaluates the conditions ([`evaluate`]); a malformed event is logged with its id and
//!    skipped; a feed failure means no attestation for those milestones this pass;
//! 4. attests the milestones whose condition holds, one at a time, under the oracle's lock.
//!
//! **The chain is its memory.** Nothing about attestations is kept between passes or on
//! disk. Before signing, under a per-account lock held until the transaction is in a block,
//! the service (a) refuses to sign while one of this account's transactions is still in the
//! pool (`system_accountNextIndex` above the account's nonce at the best block), (b) reads
//! the milestone's attestation bits at the best block and (c) dry-runs `attest`. So a
//! restart, a crash or a second copy on the same state directory never sends a second
//! attestation of a milestone to the pool.
//!
//! Errors never end the service: an unreachable node drops the connection and the next
//! pass reconnects; a feed error is retried. Either doubles the interval to the next pass
//! (from the poll interval up to [`Options::max_backoff`]), and the pass's health line says
//! which side is down.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    io::Write,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use escrow_types::{
    check_oracle, Deal, DealId, DealStatus, Digest, Error, MilestoneStatus, MilestoneView,
    Timestamp,
};
use futures::{stream, StreamExt};
use serde_json::{json, Map, Value};
use subxt::utils::{AccountId32, H256};
use subxt_signer::sr25519::Keypair;

use super::{
    condition::{Condition, Document},
    dcsa::{evaluate_excluding, parse_event, retraction_of, Event},
    feed::{Feed, Query},
    store,
};
use crate::{
    accounts::ink_account,
    chain::Chain,
    contract::EscrowEvent,
    error::{ClientError, Result},
    escrow::Reads,
    keystore, lock, messages,
    submit::SubmitOpts,
    Escrow,
};

/// How many reads or feed requests a pass has in flight at once.
const CONCURRENCY: usize = 8;

/// How the service runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The node's URL.
    pub url: String,
    /// The escrow's address.
    pub contract: AccountId32,
    /// The code hashes the escrow may have (checked at every (re)connection).
    pub trusted: Vec<[u8; 32]>,
    /// Time from one pass's start to the next one's.
    pub poll: Duration,
    /// The longest wait between passes while the node or the feed fails.
    pub max_backoff: Duration,
    /// How attestations are submitted (wait, timeout, signing lock).
    pub submit: SubmitOpts,
    /// Where the oracle's own lock lives (held from the attestation-bit read until the
    /// transaction is in a block); `None`: no lock.
    pub oracle_lock_dir: Option<PathBuf>,
    /// Log lines as JSON objects instead of text.
    pub json: bool,
    /// The directory of condition documents (every `*.json` in it).
    pub conditions: PathBuf,
}

/// Where one milestone stands for one oracle. Decided from chain state only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// It waits for this oracle's attestation (the oracle's bit in `attestations`).
    Waiting(u8),
    /// This oracle has attested it.
    Attested,
    /// The deal does not name this account as an oracle.
    NotAnOracle,
    /// The deal's release rule does not let oracles release.
    RuleForbidsOracles,
    /// The deal is not active.
    DealNotActive(DealStatus),
    /// The milestone is disputed or final.
    NotReleasable(MilestoneStatus),
    /// The deposits do not cover it yet.
    NotFunded,
    /// Unsubmitted after its ship-by: the buyer's refund clock has run out.
    ShipByPassed,
}

/// Where milestone `m` of `deal` stands for oracle `me` at `now`: the contract's own checks
/// of `attest` ([`check_oracle`], [`escrow_types::Milestone::check_attestable`]) on the deal and the
/// milestone as read, so the service only dry-runs what can succeed. This oracle's own bit
/// is looked at first: a milestone it attested that has since been released is `Attested`.
pub fn standing(deal: &Deal, m: &MilestoneView, me: &AccountId32, now: Timestamp) -> Standing {
    let bit = match check_oracle(&deal.oracles, deal.release_rule, &ink_account(me)) {
        Ok(bit) => bit,
        Err(Error::RuleForbidsOracles) => return Standing::RuleForbidsOracles,
        Err(_) => return Standing::NotAnOracle,
    };
    if deal.status != DealStatus::Active {
        return Standing::DealNotActive(deal.status);
    }
    let ms = &m.milestone;
    if ms.attestations & bit != 0 {
        return Standing::Attested;
    }
    match ms.check_attestable(m.covered == ms.amount, bit, now) {
        Ok(()) => Standing::Waiting(bit),
        Err(Error::WrongMilestoneState { found }) => Standing::NotReleasable(found),
        Err(Error::MilestoneNotFunded) => Standing::NotFunded,
        Err(Error::ShipByPassed) => Standing::ShipByPassed,
        // `AlreadyAttested`, the one error left, was looked at above.
        Err(_) => Standing::Attested,
    }
}

/// Whether a deal in `status` can never again wait for an attestation.
fn deal_is_over(status: DealStatus) -> bool {
    matches!(
        status,
        DealStatus::Closed | DealStatus::Cancelled | DealStatus::Withdrawn
    )
}

/// Read every deal again at least this often, whatever the events said (a bound on how
/// long anything the events did not show could stay unseen).
pub const FULL_READ_EVERY: Duration = Duration::from_secs(300);
/// Catch up through at most this many new blocks' events; further behind, read everything.
pub const MAX_CATCH_UP: u32 = 256;

/// What the service knows of the chain: the deals naming this oracle, as of one block.
struct Known {
    block: H256,
    number: u32,
    /// How much of the account's deal index was read (the next new deal is at this position).
    indexed: u32,
    /// The deals that may still wait for this oracle, with their milestones.
    deals: BTreeMap<DealId, (Deal, Vec<MilestoneView>)>,
    /// When every deal was last read.
    full_at: Instant,
}

/// How a pass brings what the service knows up to the best block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catch {
    /// The best block is the one already read: nothing to read.
    Same,
    /// Read the contract's events of blocks `from..=to`, then the deals they name and the
    /// deals new in the account's index.
    Events {
        /// First new block.
        from: u32,
        /// The best block.
        to: u32,
    },
    /// Read every deal naming the account.
    Full,
}

/// The catch-up for a pass at best block `best` (`best_is_known`: the block already read),
/// given what is known: the number of the block last read, whether it is still on the best
/// chain, and the time since the last full read. Every state change of the contract is an
/// event naming its deal (docs/rules.md), so a deal no event named is as it was; time-driven
/// standings (a ship-by passing) are recomputed at the new block's time.
pub fn catch_up(known: Option<(u32, bool, Duration)>, best: u32, best_is_known: bool) -> Catch {
    let Some((number, canonical, age)) = known else {
        return Catch::Full;
    };
    if best_is_known && canonical {
        return Catch::Same;
    }
    if !canonical || best <= number || best - number > MAX_CATCH_UP || age >= FULL_READ_EVERY {
        return Catch::Full;
    }
    Catch::Events {
        from: number + 1,
        to: best,
    }
}

/// One milestone that waits for this oracle.
#[derive(Debug, Clone)]
struct Waiting {
    deal: DealId,
    index: u8,
    terms_hash: Digest,
}

/// What one pass saw and did (also the health line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// The best block the pass read.
    pub block: Option<u32>,
    /// Deals watched: naming this account, and not over.
    pub deals: usize,
    /// Deals read from the chain this pass (all of them on a full read; after that, only
    /// those that new blocks' events named, and new ones).
    pub read: usize,
    /// Milestones waiting for this oracle.
    pub waiting: usize,
    /// Of those, milestones with no condition document matching their terms hash.
    pub unmatched: usize,
    /// Feed requests made.
    pub requests: u32,
    /// Feed failures (one per failed query).
    pub feed_errors: Vec<String>,
    /// Why the chain could not be read or written, if it could not.
    pub chain_error: Option<String>,
    /// Milestones attested, with the block they landed in.
    pub attested: Vec<(DealId, u8, u32)>,
}

impl PassReport {
    /// Whether the pass reached both the chain and the feed.
    pub fn healthy(&self) -> bool {
        self.chain_error.is_none() && self.feed_errors.is_empty()
    }
}

/// The service's state between passes: the connection, the documents, what was already
/// said. Nothing about attestations (the chain has those).
pub struct Service {
    opts: Options,
    signer: Keypair,
    me: AccountId32,
    feed: Feed,
    documents: HashMap<Digest, Document>,
    /// When the documents' directory last changed, as last read.
    stamp: Option<std::time::SystemTime>,
    /// Files of the directory refused and not yet logged.
    refused: Vec<(PathBuf, String)>,
    escrow: Option<Escrow>,
    /// Deals that can never wait for this oracle again (over, or not naming it).
    done: BTreeSet<DealId>,
    /// Warnings already logged (a warning is logged once, not every pass).
    said: BTreeSet<String>,
    /// The deals naming this oracle as of the last block a pass read (`None`: nothing read
    /// yet, or the connection was lost).
    known: Option<Known>,
    failures: u32,
}

impl Service {
    /// A service signing with `signer`, reading `feed`, checking milestones against the
    /// condition documents in `opts.conditions` (by their hash). A directory that cannot be
    /// listed is refused, naming it; a missing one holds no documents (yet).
    pub fn new(opts: Options, signer: Keypair, feed: Feed) -> Result<Service, String> {
        let me = keystore::address_of(&signer);
        let mut service = Service {
            opts,
            signer,
            me,
            feed,
            documents: HashMap::new(),
            stamp: None,
            escrow: None,
            done: BTreeSet::new(),
            said: BTreeSet::new(),
            refused: Vec::new(),
            known: None,
            failures: 0,
        };
        service.stamp = dir_stamp(&service.opts.conditions);
        let loaded = store::load_dir(&service.opts.conditions)?;
        service.take(loaded);
        Ok(service)
    }

    /// Keeps the documents of `loaded`, and its refused files to log.
    fn take(&mut self, loaded: store::Loaded) {
        self.documents = loaded
            .by_hash
            .into_values()
            .map(|(_, d)| (d.hash, d))
            .collect();
        self.refused = loaded.refused;
    }

    /// Loads the documents again if the directory changed since (a file added, removed or
    /// renamed: `escrow condition add` writes a new file and renames it into place), so a
    /// running service learns the conditions of deals proposed after it started. Logs the
    /// files refused, each once.
    fn reload(&mut self, out: &mut dyn Write) {
        let stamp = dir_stamp(&self.opts.conditions);
        if stamp != self.stamp {
            self.stamp = stamp;
            match store::load_dir(&self.opts.conditions) {
                Ok(loaded) => {
                    self.take(loaded);
                    self.log(
                        out,
                        "info",
                        "documents_loaded",
                        json!({ "documents": self.documents.len(),
                                "dir": self.opts.conditions.display().to_string() }),
                    );
                }
                Err(why) => self.refused.push((self.opts.conditions.clone(), why)),
            }
        }
        for (path, why) in std::mem::take(&mut self.refused) {
            if self
                .said
                .insert(format!("refused {} {why}", path.display()))
            {
                self.log(
                    out,
                    "error",
                    "document_refused",
                    json!({ "file": path.display().to_string(), "why": why }),
                );
            }
        }
    }

    /// The oracle's account.
    pub fn account(&self) -> &AccountId32 {
        &self.me
    }

    /// Runs passes until the process ends (or one pass with `once`). Returns the last
    /// pass's report.
    pub async fn run(&mut self, once: bool, out: &mut dyn Write) -> PassReport {
        self.reload(out);
        self.log(
            out,
            "info",
            "started",
            json!({
                "oracle": self.me.to_string(),
                "contract": self.opts.contract.to_string(),
                "documents": self.documents.len(),
                "poll_ms": millis(self.opts.poll),
            }),
        );
        loop {
            // Passes start every poll interval (start to start), so an event waits at most
            // one interval for the pass that fetches it, however long the passes take.
            let started = tokio::time::Instant::now();
            let report = self.pass(out).await;
            self.health(out, &report);
            if once {
                return report;
            }
            tokio::time::sleep_until(started + self.next_wait(&report)).await;
        }
    }

    /// The time from this pass's start to the next one's: the poll interval, doubled per
    /// failed pass in a row up to `max_backoff`.
    fn next_wait(&mut self, report: &PassReport) -> Duration {
        if report.healthy() {
            self.failures = 0;
            return self.opts.poll;
        }
        self.failures = self.failures.saturating_add(1);
        backoff(self.opts.poll, self.opts.max_backoff, self.failures)
    }

    /// One pass (see the module docs). Never fails: what went wrong is in the report.
    pub async fn pass(&mut self, out: &mut dyn Write) -> PassReport {
        let mut report = PassReport::default();
        self.reload(out);
        if let Err(e) = self.pass_inner(out, &mut report).await {
            // The connection may be dead: open a fresh one next pass.
            self.escrow = None;
            self.known = None;
            report.chain_error = Some(e.to_string());
        }
        report
    }

    async fn pass_inner(&mut self, out: &mut dyn Write, report: &mut PassReport) -> Result<()> {
        let escrow = self.connect().await?;
        let waiting = self.waiting(&escrow, report).await?;
        report.waiting = waiting.len();
        let mut by_document: BTreeMap<String, Vec<(Waiting, Condition)>> = BTreeMap::new();
        for w in waiting {
            match self.documents.get(&w.terms_hash) {
                Some(doc) => by_document
                    .entry(doc.condition.transport_document_reference.clone())
                    .or_default()
                    .push((w, doc.condition.clone())),
                None => {
                    report.unmatched += 1;
                    self.refuse_unmatched(out, &w);
                }
            }
        }
        let holding = self.holding(out, by_document, report).await;
        for w in holding {
            if let Some(block) = self.attest(&escrow, out, &w).await? {
                report.attested.push((w.deal, w.index, block));
            }
        }
        Ok(())
    }

    /// The checked escrow instance, connecting (again) if needed.
    async fn connect(&mut self) -> Result<Escrow> {
        if let Some(e) = &self.escrow {
            return Ok(e.clone());
        }
        let chain = Arc::new(Chain::connect(&self.opts.url).await?);
        let escrow = Escrow::open(chain, self.opts.contract.clone(), &self.opts.trusted).await?;
        self.escrow = Some(escrow.clone());
        Ok(escrow)
    }

    /// The milestones waiting for this oracle as of the best block: what the service knew,
    /// brought up to that block ([`catch_up`]).
    async fn waiting(&mut self, escrow: &Escrow, report: &mut PassReport) -> Result<Vec<Waiting>> {
        let chain = escrow.chain();
        let (best, number) = chain.best().await?;
        report.block = Some(number);
        let known = match &self.known {
            Some(k) => {
                let canonical = chain
                    .rpc
                    .chain_get_block_hash(Some(k.number.into()))
                    .await
                    .map_err(|e| crate::chain::node_unreachable(&chain.url, e))?;
                Some((k.number, canonical == Some(k.block), k.full_at.elapsed()))
            }
            None => None,
        };
        let reads = escrow.reads_at(best);
        let count = match catch_up(
            known,
            number,
            self.known.as_ref().map(|k| k.block) == Some(best),
        ) {
            Catch::Same => None,
            Catch::Full => {
                let count = reads.deal_count_of(&self.me).await?;
                let ids = reads.deal_ids_between(&self.me, 0, count).await?;
                self.known = Some(Known {
                    block: best,
                    number,
                    indexed: 0,
                    deals: BTreeMap::new(),
                    full_at: Instant::now(),
                });
                report.read = self.read_deals(&reads, ids).await?;
                Some(count)
            }
            Catch::Events { from, to } => {
                let events = chain.scan_events(escrow.address(), from, to).await?;
                let touched: BTreeSet<DealId> =
                    events.iter().filter_map(|e| e.event.deal_id()).collect();
                let count = reads.deal_count_of(&self.me).await?;
                let indexed = self.known.as_ref().map_or(0, |k| k.indexed);
                let mut ids = reads.deal_ids_between(&self.me, indexed, count).await?;
                if let Some(k) = &self.known {
                    ids.extend(touched.iter().filter(|id| k.deals.contains_key(id)));
                }
                report.read = self.read_deals(&reads, ids).await?;
                Some(count)
            }
        };
        let known = self
            .known
            .as_mut()
            .expect("a pass that read knows the chain");
        if let Some(count) = count {
            known.block = best;
            known.number = number;
            known.indexed = count;
        }
        report.deals = known.deals.len();
        let now = reads.now().await?;
        let mut waiting = Vec::new();
        for (id, (deal, milestones)) in &known.deals {
            for m in milestones {
                if let Standing::Waiting(_) = standing(deal, m, &self.me, now) {
                    waiting.push(Waiting {
                        deal: *id,
                        index: m.index,
                        terms_hash: m.milestone.terms_hash,
                    });
                }
            }
        }
        Ok(waiting)
    }

    /// Reads deals `ids` (and their milestones) and keeps those that may still wait for this
    /// oracle; returns how many were read.
    async fn read_deals(&mut self, reads: &Reads<'_>, ids: Vec<DealId>) -> Result<usize> {
        let ids: Vec<DealId> = ids
            .into_iter()
            .filter(|id| !self.done.contains(id))
            .collect();
        let read = ids.len();
        let deals: Vec<_> = stream::iter(ids)
            .map(|id| async move { (id, reads.deal_with_milestones(id).await) })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        let known = self
            .known
            .as_mut()
            .expect("read_deals runs on a known chain");
        for (id, result) in deals {
            let (view, milestones) = result?;
            let over = milestones
                .iter()
                .any(|m| match standing(&view.deal, m, &self.me, 0) {
                    Standing::NotAnOracle | Standing::RuleForbidsOracles => true,
                    Standing::DealNotActive(s) => deal_is_over(s),
                    _ => false,
                })
                || milestones.is_empty();
            if over {
                self.done.insert(id);
                known.deals.remove(&id);
            } else {
                known.deals.insert(id, (view.deal, milestones));
            }
        }
        Ok(read)
    }

    /// Logs, once per milestone, that no document hashes to its terms hash: an error, unless
    /// the milestone has no terms document at all (an all-zero terms hash: a person attests
    /// it, and there is nothing for this service to check).
    fn refuse_unmatched(&mut self, out: &mut dyn Write, w: &Waiting) {
        let key = format!("unmatched {} {}", w.deal.0, w.index);
        if !self.said.insert(key) {
            return;
        }
        if w.terms_hash == [0; 32] {
            self.log(
                out,
                "info",
                "no_condition",
                json!({ "deal": w.deal.0, "milestone": w.index,
                        "why": "the milestone has no terms document; not attesting" }),
            );
            return;
        }
        self.log(
            out,
            "error",
            "condition_refused",
            json!({
                "deal": w.deal.0,
                "milestone": w.index,
                "terms_hash": hex_digest(&w.terms_hash),
                "why": format!(
                    "no condition document given to this service hashes to the milestone's \
                     on-chain terms hash (it has {} document(s)); not attesting",
                    self.documents.len()
                ),
            }),
        );
    }

    /// Fetches each transport document's events once and returns the milestones whose
    /// condition holds.
    async fn holding(
        &mut self,
        out: &mut dyn Write,
        by_document: BTreeMap<String, Vec<(Waiting, Condition)>>,
        report: &mut PassReport,
    ) -> Vec<Waiting> {
        let feed = &self.feed;
        let fetched: Vec<_> = stream::iter(by_document)
            .map(|(reference, group)| async move {
                let query = merged_query(&reference, &group);
                (reference, group, feed.events(&query).await)
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        let mut holding = Vec::new();
        for (reference, group, result) in fetched {
            let fetched = match result {
                Ok(f) => f,
                Err(e) => {
                    report.requests = report.requests.saturating_add(1);
                    report
                        .feed_errors
                        .push(format!("transport document {reference}: {e}"));
                    continue;
                }
            };
            report.requests = report.requests.saturating_add(fetched.requests);
            let (events, retracted) = self.parse_all(out, &fetched.events);
            for (w, condition) in group {
                let verdict = evaluate_excluding(&condition, &events, &retracted);
                if verdict.holds {
                    self.log(
                        out,
                        "info",
                        "condition_holds",
                        json!({
                            "deal": w.deal.0,
                            "milestone": w.index,
                            "condition": condition.summary(),
                            "events": verdict.matched,
                        }),
                    );
                    holding.push(w);
                }
            }
        }
        holding
    }

    /// The well-formed events, and the ids that malformed events retract (a retraction
    /// still retracts when the rest of its event cannot be read). Each malformed event is
    /// logged once (with its id) and skipped.
    fn parse_all(&mut self, out: &mut dyn Write, raw: &[Value]) -> (Vec<Event>, HashSet<String>) {
        let mut events = Vec::with_capacity(raw.len());
        let mut retracted = HashSet::new();
        for v in raw {
            match parse_event(v) {
                Ok(e) => events.push(e),
                Err(m) => {
                    retracted.extend(retraction_of(v));
                    let id = m.id.clone().unwrap_or_else(|| "(no eventID)".into());
                    if self.said.insert(format!("malformed {id} {}", m.why)) {
                        self.log(
                            out,
                            "warn",
                            "event_skipped",
                            json!({ "event_id": id, "why": m.why }),
                        );
                    }
                }
            }
        }
        (events, retracted)
    }

    /// Attests one milestone unless the chain says not to; returns the block it landed in.
    /// A refusal by the contract is logged and skips the milestone; a chain failure is an
    /// error (the pass ends and the next one reconnects).
    async fn attest(
        &mut self,
        escrow: &Escrow,
        out: &mut dyn Write,
        w: &Waiting,
    ) -> Result<Option<u32>> {
        let _lock = match &self.opts.oracle_lock_dir {
            Some(dir) => Some(lock::acquire(dir, &self.me, self.opts.submit.timeout, true).await?),
            None => None,
        };
        if let Some(pending) = self.pending(escrow.chain()).await? {
            self.log(
                out,
                "info",
                "attest_deferred",
                json!({
                    "deal": w.deal.0, "milestone": w.index,
                    "why": format!("{pending} transaction(s) of this oracle still in the pool; \
                                    the next pass decides once they are in a block"),
                }),
            );
            return Ok(None);
        }
        let reads = escrow.reads_at_best().await?;
        let m = reads.milestone(w.deal, w.index).await?;
        let deal = reads.deal(w.deal).await?;
        if standing(&deal.deal, &m, &self.me, reads.now().await?) == Standing::Attested {
            self.log(
                out,
                "info",
                "already_attested",
                json!({ "deal": w.deal.0, "milestone": w.index }),
            );
            return Ok(None);
        }
        let msg = messages::attest(w.deal, w.index);
        let dried = match escrow.dry_run(&self.me, &msg).await {
            Ok(d) => d,
            Err(ClientError::Contract(e)) => {
                self.log(
                    out,
                    "warn",
                    "attest_refused",
                    json!({ "deal": w.deal.0, "milestone": w.index,
                            "error": crate::error::error_name(&e), "hint": crate::error::hint(&e) }),
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let included = escrow
            .submit(&self.signer, msg, &dried.dry, self.opts.submit.clone())
            .await?;
        let (attestations, threshold) = included
            .events
            .iter()
            .find_map(|e| match e {
                EscrowEvent::MilestoneAttested(a) => Some((a.attestations, a.threshold)),
                _ => None,
            })
            .unwrap_or((0, 0));
        let released = included
            .events
            .iter()
            .any(|e| matches!(e, EscrowEvent::MilestoneReleased(_)));
        self.log(
            out,
            "info",
            "attested",
            json!({
                "deal": w.deal.0, "milestone": w.index,
                "block": included.block_number, "tx": format!("{:?}", included.tx_hash),
                "attestations": attestations, "threshold": threshold, "released": released,
            }),
        );
        Ok(Some(included.block_number))
    }

    /// How many of this oracle's transactions are still in the pool (`None`: none).
    async fn pending(&self, chain: &Chain) -> Result<Option<u64>> {
        let next = chain
            .rpc
            .system_account_next_index(&self.me)
            .await
            .map_err(|e| crate::chain::node_unreachable(&chain.url, e))?;
        let (best, _) = chain.best().await?;
        let nonce = u64::from(chain.account_nonce(&self.me, best).await?);
        Ok(next.checked_sub(nonce).filter(|n| *n > 0))
    }

    /// The pass's health line.
    fn health(&mut self, out: &mut dyn Write, r: &PassReport) {
        let chain = match &r.chain_error {
            Some(e) => json!({ "status": "down", "error": e }),
            None => json!({ "status": "ok", "block": r.block }),
        };
        let feed = match r.feed_errors.first() {
            Some(e) => json!({ "status": "down", "errors": r.feed_errors.len(), "error": e }),
            None => json!({ "status": "ok" }),
        };
        let level = if r.healthy() { "info" } else { "warn" };
        let retry_in = if r.healthy() {
            self.opts.poll
        } else {
            backoff(
                self.opts.poll,
                self.opts.max_backoff,
                self.failures.saturating_add(1),
            )
        };
        self.log(
            out,
            level,
            "health",
            json!({
                "chain": chain, "feed": feed, "deals": r.deals, "read": r.read, "waiting": r.waiting,
                "unmatched": r.unmatched, "requests": r.requests,
                "attested": r.attested.len(), "next_pass_ms": millis(retry_in),
            }),
        );
    }

    /// Writes one log line (text or JSON) and flushes it.
    fn log(&self, out: &mut dyn Write, level: &str, event: &str, fields: Value) {
        let line = log_line(self.opts.json, level, event, fields);
        // A closed output must not stop the service: the chain is its record.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// One query per transport document, covering every waiting milestone's event types.
fn merged_query(reference: &str, group: &[(Waiting, Condition)]) -> Query {
    let mut query = Query::for_condition(&group[0].1);
    for (_, c) in &group[1..] {
        let q = Query::for_condition(c);
        for t in q.event_types {
            if !query.event_types.contains(&t) {
                query.event_types.push(t);
            }
        }
        if q.equipment_reference != query.equipment_reference {
            query.equipment_reference = None;
        }
    }
    query.transport_document_reference = reference.to_string();
    query
}

/// `poll` × 2^failures, at most `max` (and never less than `poll`).
pub fn backoff(poll: Duration, max: Duration, failures: u32) -> Duration {
    let factor = 1u32.checked_shl(failures.min(16)).unwrap_or(u32::MAX);
    poll.checked_mul(factor).unwrap_or(max).min(max).max(poll)
}

/// A log line: `TIME LEVEL EVENT key=value…` or a JSON object with `ts`, `level`, `event`
/// and the fields.
pub fn log_line(json_format: bool, level: &str, event: &str, fields: Value) -> String {
    let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    if json_format {
        let mut line = Map::new();
        line.insert("ts".into(), Value::String(ts));
        line.insert("level".into(), Value::String(level.into()));
        line.insert("event".into(), Value::String(event.into()));
        if let Value::Object(f) = fields {
            for (k, v) in f {
                // A field never overwrites the line's own keys.
                line.entry(k).or_insert(v);
            }
        }
        return Value::Object(line).to_string();
    }
    let mut text = format!("{ts} {:<5} {event}", level.to_uppercase());
    if let Value::Object(f) = fields {
        for (k, v) in f {
            match v {
                Value::String(s) if !s.contains(' ') => text.push_str(&format!(" {k}={s}")),
                other => text.push_str(&format!(" {k}={other}")),
            }
        }
    }
    text
}

/// When `dir` last changed (`None`: it does not exist or cannot be read).
fn dir_stamp(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(dir).and_then(|m| m.modified()).ok()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn hex_digest(d: &Digest) -> String {
    format!("0x{}", hex::encode(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_types::{Asset, Milestone, ReleaseRule, Role};

    const ME: AccountId32 = AccountId32([7; 32]);
    const SHIP_BY: Timestamp = 10_000;

    fn deal(oracles: &[AccountId32], rule: ReleaseRule, status: DealStatus) -> Deal {
        Deal {
            buyer: [1; 32].into(),
            seller: [2; 32].into(),
            oracles: oracles.iter().map(ink_account).collect(),
            oracle_threshold: 1,
            arbiter: None,
            release_rule: rule,
            review_window: 1,
            arbitration_window: 1,
            fallback_seller_bps: 0,
            advance: false,
            agreement_hash: [0; 32],
            funder: None,
            fund_by: 1_000,
            asset: Asset::Native,
            terms_hash: [0; 32],
            milestone_count: 1,
            total: 100,
            proposer: Role::Seller,
            status,
            proposed_at: 0,
            accepted_at: Some(1),
            deposited: 100,
            released: 0,
            fees: 0,
            refunded: 0,
            settled_count: 0,
            funding_closed: false,
            cancel_proposed_by: None,
            closure_recorded: false,
            last_event_block: 0,
        }
    }

    fn milestone(status: MilestoneStatus, covered: u128, attestations: u8) -> MilestoneView {
        MilestoneView {
            index: 0,
            milestone: Milestone {
                amount: 100,
                terms_hash: [5; 32],
                ship_by: SHIP_BY,
                funded_from: 0,
                status,
                evidence_hash: None,
                submitted_at: None,
                attestations,
                dispute: None,
                amendment: None,
                outcome: None,
                last_event_block: 0,
            },
            payee: [2; 32].into(),
            covered,
            review_ends: None,
            arbitration_ends: None,
        }
    }

    fn active(oracles: &[AccountId32]) -> Deal {
        deal(oracles, ReleaseRule::Oracles, DealStatus::Active)
    }

    #[test]
    fn a_funded_pending_milestone_waits_for_the_oracles_own_bit() {
        let other = AccountId32([8; 32]);
        let d = active(&[other.clone(), ME]);
        let m = milestone(MilestoneStatus::Pending, 100, 0b01);
        assert_eq!(standing(&d, &m, &ME, SHIP_BY), Standing::Waiting(0b10));
        assert_eq!(standing(&d, &m, &other, SHIP_BY), Standing::Attested);
        let submitted = milestone(MilestoneStatus::Submitted, 100, 0);
        // A submitted milestone has no ship-by clock left to race.
        assert_eq!(
            standing(&d, &submitted, &ME, SHIP_BY + 1),
            Standing::Waiting(0b10)
        );
    }

    #[test]
    fn the_chain_state_decides_every_other_standing() {
        let m = milestone(MilestoneStatus::Pending, 100, 0);
        let cases = [
            (
                active(&[AccountId32([8; 32])]),
                m.clone(),
                SHIP_BY,
                Standing::NotAnOracle,
            ),
            (
                deal(&[ME], ReleaseRule::Buyer, DealStatus::Active),
                m.clone(),
                SHIP_BY,
                Standing::RuleForbidsOracles,
            ),
            (
                deal(&[ME], ReleaseRule::BuyerOrOracles, DealStatus::Proposed),
                m.clone(),
                SHIP_BY,
                Standing::DealNotActive(DealStatus::Proposed),
            ),
            (
                active(&[ME]),
                milestone(MilestoneStatus::Disputed, 100, 0),
                SHIP_BY,
                Standing::NotReleasable(MilestoneStatus::Disputed),
            ),
            (
                active(&[ME]),
                milestone(MilestoneStatus::Released, 100, 0),
                SHIP_BY,
                Standing::NotReleasable(MilestoneStatus::Released),
            ),
            (
                active(&[ME]),
                milestone(MilestoneStatus::Pending, 99, 0),
                SHIP_BY,
                Standing::NotFunded,
            ),
            (
                active(&[ME]),
                m.clone(),
                SHIP_BY + 1,
                Standing::ShipByPassed,
            ),
            (
                active(&[ME]),
                milestone(MilestoneStatus::Released, 100, 1),
                SHIP_BY,
                Standing::Attested,
            ),
        ];
        for (d, m, now, want) in cases {
            assert_eq!(standing(&d, &m, &ME, now), want, "{d:?} {m:?} at {now}");
        }
    }

    #[test]
    fn only_closed_cancelled_and_withdrawn_deals_are_over() {
        for (s, over) in [
            (DealStatus::Proposed, false),
            (DealStatus::Active, false),
            (DealStatus::Cancelled, true),
            (DealStatus::Closed, true),
            (DealStatus::Withdrawn, true),
        ] {
            assert_eq!(deal_is_over(s), over, "{s:?}");
        }
    }

    #[test]
    fn a_pass_reads_only_what_new_blocks_changed_and_everything_when_unsure() {
        let fresh = Duration::from_secs(1);
        let cases = [
            (None, 7, false, Catch::Full),
            (Some((7, true, fresh)), 7, true, Catch::Same),
            (
                Some((7, true, fresh)),
                8,
                false,
                Catch::Events { from: 8, to: 8 },
            ),
            (
                Some((7, true, fresh)),
                7 + MAX_CATCH_UP,
                false,
                Catch::Events {
                    from: 8,
                    to: 7 + MAX_CATCH_UP,
                },
            ),
            // Too far behind: one full read is cheaper than the blocks' events.
            (Some((7, true, fresh)), 8 + MAX_CATCH_UP, false, Catch::Full),
            // The block read left the best chain (a reorganisation): what it showed is void.
            (Some((7, false, fresh)), 9, false, Catch::Full),
            // The best block went back (a node restarted on another chain).
            (Some((7, true, fresh)), 5, false, Catch::Full),
            // A full read at least every FULL_READ_EVERY.
            (Some((7, true, FULL_READ_EVERY)), 8, false, Catch::Full),
            (Some((7, true, FULL_READ_EVERY)), 7, true, Catch::Same),
        ];
        for (known, best, best_is_known, want) in cases {
            assert_eq!(
                catch_up(known, best, best_is_known),
                want,
                "{known:?} at #{best}"
            );
        }
    }

    #[test]
    fn backoff_doubles_from_the_poll_interval_up_to_the_cap() {
        let s = Duration::from_secs;
        let got: Vec<_> = (0..6).map(|n| backoff(s(1), s(10), n)).collect();
        assert_eq!(got, [s(1), s(2), s(4), s(8), s(10), s(10)]);
        assert_eq!(backoff(s(5), s(60), u32::MAX), s(60));
        // A cap below the poll interval never shortens the poll.
        assert_eq!(backoff(s(5), s(1), 3), s(5));
    }

    #[test]
    fn log_lines_are_text_or_one_json_object() {
        let fields = json!({ "deal": 3, "why": "two words", "tx": "0xab" });
        let text = log_line(false, "warn", "attest_refused", fields.clone());
        let (_, rest) = text.split_once(' ').expect("a timestamp first");
        assert_eq!(
            rest,
            "WARN  attest_refused deal=3 tx=0xab why=\"two words\""
        );
        let line: Value =
            serde_json::from_str(&log_line(true, "warn", "attest_refused", fields)).expect("JSON");
        assert_eq!(line["level"], "warn");
        assert_eq!(line["event"], "attest_refused");
        assert_eq!(line["deal"], 3);
        assert_eq!(line["why"], "two words");
        assert!(
            line["ts"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{line}"
        );
    }

    #[test]
    fn a_field_never_overwrites_the_json_lines_own_keys() {
        let fields = json!({ "event": "garbled-1", "level": "x", "ts": "y", "why": "w" });
        let line: Value =
            serde_json::from_str(&log_line(true, "warn", "event_skipped", fields)).expect("JSON");
        assert_eq!(line["event"], "event_skipped");
        assert_eq!(line["level"], "warn");
        assert_ne!(line["ts"], "y");
        assert_eq!(line["why"], "w");
    }
}
