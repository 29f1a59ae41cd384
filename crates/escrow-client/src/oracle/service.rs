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
    time::Duration,
};

use escrow_types::{Deal, DealId, DealStatus, Digest, MilestoneStatus, MilestoneView, Timestamp};
use futures::{stream, StreamExt};
use serde_json::{json, Map, Value};
use subxt::utils::{AccountId32, H256};
use subxt_signer::sr25519::Keypair;

use super::{
    condition::{Condition, Document},
    dcsa::{evaluate_excluding, parse_event, retraction_of, Event},
    feed::{Feed, Query},
};
use crate::{
    accounts::ink_account,
    chain::Chain,
    contract::EscrowEvent,
    error::{ClientError, Result},
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

/// Where milestone `m` of `deal` stands for oracle `me` at `now` (mirrors the contract's
/// checks of `attest`, so the service only dry-runs what can succeed).
pub fn standing(deal: &Deal, m: &MilestoneView, me: &AccountId32, now: Timestamp) -> Standing {
    let me = ink_account(me);
    let Some(position) = deal.oracles.iter().position(|o| *o == me) else {
        return Standing::NotAnOracle;
    };
    if !deal.release_rule.oracles_may_release() {
        return Standing::RuleForbidsOracles;
    }
    if deal.status != DealStatus::Active {
        return Standing::DealNotActive(deal.status);
    }
    // At most MAX_ORACLES (5) oracles: the shift stays inside a u8.
    let bit = 1u8 << (position & 7);
    let ms = &m.milestone;
    if ms.attestations & bit != 0 {
        return Standing::Attested;
    }
    match ms.status {
        MilestoneStatus::Pending | MilestoneStatus::Submitted => {}
        other => return Standing::NotReleasable(other),
    }
    if m.covered < ms.amount {
        return Standing::NotFunded;
    }
    if ms.status == MilestoneStatus::Pending && now > ms.ship_by {
        return Standing::ShipByPassed;
    }
    Standing::Waiting(bit)
}

/// Whether a deal in `status` can never again wait for an attestation.
fn deal_is_over(status: DealStatus) -> bool {
    matches!(
        status,
        DealStatus::Closed | DealStatus::Cancelled | DealStatus::Withdrawn
    )
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
    /// Deals naming this account that were read.
    pub deals: usize,
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
    escrow: Option<Escrow>,
    /// Deals that can never wait for this oracle again (over, or not naming it).
    done: BTreeSet<DealId>,
    /// Warnings already logged (a warning is logged once, not every pass).
    said: BTreeSet<String>,
    /// The last pass's best block, deals read and waiting milestones: the same block has the
    /// same state, so a pass at it reads nothing again (on an instant-seal chain the best
    /// block changes only with a transaction).
    seen: Option<(H256, usize, Vec<Waiting>)>,
    failures: u32,
}

impl Service {
    /// A service signing with `signer`, reading `feed`, checking milestones against
    /// `documents` (by their hash).
    pub fn new(opts: Options, signer: Keypair, feed: Feed, documents: Vec<Document>) -> Service {
        let me = keystore::address_of(&signer);
        Service {
            opts,
            signer,
            me,
            feed,
            documents: documents.into_iter().map(|d| (d.hash, d)).collect(),
            escrow: None,
            done: BTreeSet::new(),
            said: BTreeSet::new(),
            seen: None,
            failures: 0,
        }
    }

    /// The oracle's account.
    pub fn account(&self) -> &AccountId32 {
        &self.me
    }

    /// Runs passes until the process ends (or one pass with `once`). Returns the last
    /// pass's report.
    pub async fn run(&mut self, once: bool, out: &mut dyn Write) -> PassReport {
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
        if let Err(e) = self.pass_inner(out, &mut report).await {
            // The connection may be dead: open a fresh one next pass.
            self.escrow = None;
            self.seen = None;
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

    /// The milestones waiting for this oracle, read at one best block.
    async fn waiting(&mut self, escrow: &Escrow, report: &mut PassReport) -> Result<Vec<Waiting>> {
        let (best, number) = escrow.chain().best().await?;
        report.block = Some(number);
        if let Some((block, deals, waiting)) = &self.seen {
            if *block == best {
                report.deals = *deals;
                return Ok(waiting.clone());
            }
        }
        let reads = escrow.reads_at(best);
        let now = reads.now().await?;
        let ids: Vec<DealId> = reads
            .deal_ids_of(&self.me, u32::MAX)
            .await?
            .into_iter()
            .filter(|id| !self.done.contains(id))
            .collect();
        report.deals = ids.len();
        let reads = &reads;
        let deals: Vec<_> = stream::iter(ids)
            .map(|id| async move { (id, reads.deal_with_milestones(id).await) })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        let mut waiting = Vec::new();
        for (id, read) in deals {
            let (view, milestones) = read?;
            let mut any_over = false;
            for m in &milestones {
                match standing(&view.deal, m, &self.me, now) {
                    Standing::Waiting(_) => waiting.push(Waiting {
                        deal: id,
                        index: m.index,
                        terms_hash: m.milestone.terms_hash,
                    }),
                    Standing::NotAnOracle | Standing::RuleForbidsOracles => any_over = true,
                    Standing::DealNotActive(s) if deal_is_over(s) => any_over = true,
                    _ => {}
                }
            }
            if any_over {
                self.done.insert(id);
            }
        }
        self.seen = Some((best, report.deals, waiting.clone()));
        Ok(waiting)
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
                "chain": chain, "feed": feed, "deals": r.deals, "waiting": r.waiting,
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
