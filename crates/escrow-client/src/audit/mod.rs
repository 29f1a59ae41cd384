//! # The auditor
//!
//! Checks deals and the contract's solvency from the chain alone, at one block (the
//! finalized one unless told otherwise), after checking the contract's code hash there.
//!
//! - [`store`]: the records, read from the contract's storage in batches.
//! - [`walk`]: the deal's events, found by walking back along their trails (each record keeps
//!   its latest event's block, each event the previous one's), so the cost follows the deal,
//!   not the chain.
//! - [`rebuild`] and [`compare`]: each deal rebuilt from its events and compared with storage
//!   (conservation: deposited = released + fees + refunded + locked).
//! - [`rules`]: every release, refund, split and deposit against the deal's rules and clocks,
//!   and every payment against the chain's own transfer events.
//!
//! What it finds is a list of [`Finding`]s, each naming its deal, milestone, block and event.

pub mod compare;
pub mod rebuild;
pub mod rules;
pub mod store;
pub mod walk;

#[cfg(test)]
mod fixtures;

use std::collections::{BTreeMap, BTreeSet};

use escrow_types::{
    Asset, Claim, Config, DealId, DealRecord, DealView, MilestoneRecord, MilestoneStatus,
    MilestoneView, Totals, Trail,
};
use ink::primitives::AccountId;
use subxt::utils::{AccountId32, H256};

use crate::{
    contract::EscrowEvent,
    error::{ClientError, Result},
    escrow::Escrow,
    token::Psp22,
    trust::check_code_hash,
};

pub use rebuild::{rebuild, Rebuilt};
use walk::Walk;

/// The block an audit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The latest finalized block (the default: nothing read can be reverted).
    Finalized,
    /// The best block.
    Best,
    /// Block number `n` of the best chain.
    Number(u32),
}

/// What to audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One deal.
    Deal(DealId),
    /// Every deal, the claimable balances and the contract's solvency.
    All,
}

/// What kind of rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The events and storage disagree, or a deal's money does not add up.
    Conservation,
    /// A release, refund, split or deposit the deal's rules or clocks did not allow.
    Rule,
    /// A payment the contract's events announce and the chain's transfers do not show (or
    /// the other way round).
    Transfer,
    /// A trail's links do not match the events found.
    Trail,
    /// Deferred payouts less withdrawals do not make a claimable balance.
    Claims,
    /// The contract holds less than it owes.
    Solvency,
}

impl Kind {
    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Conservation => "conservation",
            Kind::Rule => "rule",
            Kind::Transfer => "transfer",
            Kind::Trail => "trail",
            Kind::Claims => "claims",
            Kind::Solvency => "solvency",
        }
    }
}

/// A violation, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Its kind.
    pub kind: Kind,
    /// The deal, if it concerns one.
    pub deal: Option<DealId>,
    /// The milestone, if it concerns one.
    pub milestone: Option<u8>,
    /// The block of the event it concerns.
    pub block: Option<u32>,
    /// The event it concerns.
    pub event: Option<&'static str>,
    /// What is wrong.
    pub detail: String,
}

/// One deal as audited.
#[derive(Debug, Clone)]
pub struct DealAudit {
    /// The deal as storage holds it (the contract's own `deal` read, worked out the same way).
    pub view: DealView,
    /// Its milestones as storage holds them.
    pub milestones: Vec<MilestoneView>,
    /// Its events, in chain order: block, extrinsic, event.
    pub events: Vec<(u32, Option<u32>, EscrowEvent)>,
    /// The deal as its events tell it.
    pub rebuilt: Rebuilt,
}

/// A claimable balance as audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimAudit {
    /// Whose.
    pub account: AccountId,
    /// In what.
    pub asset: Asset,
    /// Sum of its `PayoutDeferred`.
    pub deferred: u128,
    /// Sum of its `Withdrawn`.
    pub withdrawn: u128,
    /// What storage says is claimable.
    pub claimable: u128,
}

/// One asset's books.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solvency {
    /// The asset.
    pub asset: Asset,
    /// What the contract can pay out in it: its token balance, or its free native balance
    /// less the existential deposit it must keep.
    pub held: u128,
    /// Σ locked over the deals paid in it.
    pub locked: u128,
    /// Σ claimable balances in it.
    pub claimable: u128,
}

impl Solvency {
    /// `held ≥ locked + claimable`.
    pub fn ok(&self) -> bool {
        self.locked
            .checked_add(self.claimable)
            .is_some_and(|owed| self.held >= owed)
    }
}

/// An audit's result.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The block read.
    pub block: u32,
    /// Its hash.
    pub hash: H256,
    /// The contract's code hash there (one of the trusted ones).
    pub code_hash: [u8; 32],
    /// The instance's configuration.
    pub config: Config,
    /// The deals audited.
    pub deals: Vec<DealAudit>,
    /// The claimable balances the deals' events name.
    pub claims: Vec<ClaimAudit>,
    /// Per asset, with [`Scope::All`].
    pub solvency: Vec<Solvency>,
    /// Everything wrong.
    pub findings: Vec<Finding>,
    /// Blocks read to find the events.
    pub blocks_read: usize,
}

/// The deal and milestone views the contract's `deal` and `milestone` reads return, worked
/// out from the records the same way.
pub fn views(
    id: DealId,
    record: DealRecord,
    ms: &[MilestoneRecord],
) -> (DealView, Vec<MilestoneView>) {
    let mut totals = Totals::default();
    for m in ms {
        let _ = totals.add(&m.milestone);
    }
    let arbitration_window = record.arbitration_window;
    let deposited = record.deposited;
    let deal = record.into_view(totals);
    let milestones = ms
        .iter()
        .enumerate()
        .map(|(i, m)| MilestoneView {
            index: u8::try_from(i).unwrap_or(u8::MAX),
            covered: m.covered_by(deposited),
            payee: m.context.payee,
            review_ends: m.submitted_at.map(|_| m.review_end()),
            arbitration_ends: (m.status == MilestoneStatus::Disputed).then(|| {
                m.dispute
                    .map(|d| d.opened_at)
                    .unwrap_or(0)
                    .saturating_add(arbitration_window)
            }),
            milestone: m.milestone.clone(),
        })
        .collect();
    (
        DealView {
            id,
            locked: deal.locked(),
            deal,
        },
        milestones,
    )
}

/// Audits `scope` of the escrow at block `at`, trusting only code hashes in `trusted`.
pub async fn audit(escrow: &Escrow, trusted: &[[u8; 32]], at: At, scope: Scope) -> Result<Audit> {
    let chain = escrow.chain();
    let (hash, number) = match at {
        At::Finalized => chain.finalized().await?,
        At::Best => chain.best().await?,
        At::Number(n) => (chain.block_hash(n).await?, n),
    };
    let address = escrow.address();
    let info = chain.contract_info(address, Some(hash)).await?;
    if info.is_none() {
        let hint = if at == At::Finalized && number == 0 {
            "; this chain has finalized nothing (a development chain?): audit its best block \
             with --best"
        } else {
            ""
        };
        return Err(ClientError::NotEscrow {
            address: address.to_string(),
            detail: format!("there is no contract at this address at block #{number}{hint}"),
        });
    }
    check_code_hash(address, info.as_ref().map(|i| i.1), trusted, &chain.url)?;
    let (trie_id, code_hash) = info.unwrap_or_default();
    let reads = escrow.reads_at(hash);
    let (config, count) = tokio::try_join!(reads.config(), reads.deal_count())?;
    let ids: Vec<DealId> = match scope {
        Scope::Deal(id) if id.0 < count => vec![id],
        Scope::Deal(_) => return Err(ClientError::Contract(escrow_types::Error::DealNotFound)),
        Scope::All => (0..count).map(DealId).collect(),
    };
    let store = store::Store::new(chain, &trie_id, hash);
    let records = store.deals(&ids).await?;
    let mut deals: BTreeMap<DealId, (DealRecord, Vec<MilestoneRecord>)> = BTreeMap::new();
    for (id, r) in ids.iter().zip(records) {
        let r = r.ok_or_else(|| {
            ClientError::Rejected(format!("deal {} has no record below the deal count", id.0))
        })?;
        deals.insert(*id, r);
    }
    let tokens: BTreeSet<[u8; 32]> = deals
        .values()
        .filter_map(|(d, _)| match d.asset {
            Asset::Psp22(t) => Some(*t.as_ref()),
            Asset::Native => None,
        })
        .collect();

    // The deals' trails, from their records' latest blocks.
    let mut walk = Walk::default();
    let heads: Vec<u32> = deals
        .values()
        .flat_map(|(d, ms)| {
            std::iter::once(d.last_event_block).chain(ms.iter().map(|m| m.last_event_block))
        })
        .collect();
    let audited = |t: &Trail| match t {
        Trail::Deal(id) | Trail::Milestone(id, _) => deals.contains_key(id),
        Trail::Claim(..) => false,
    };
    walk.extend(chain, address, &tokens, heads, number, audited)
        .await?;
    // Then the claimable balances those deals deferred payouts to.
    let claim_of: BTreeSet<(AccountId, Asset)> = walk
        .events()
        .filter_map(|(_, _, e)| match e {
            EscrowEvent::PayoutDeferred(p) if deals.contains_key(&p.deal_id) => {
                Some((p.account, p.asset))
            }
            _ => None,
        })
        .collect();
    let mut claim_of = claim_of;
    if scope == Scope::All {
        // Every entry in storage, not only those the deals' events name.
        claim_of.extend(store.all_claims().await?);
    }
    let claim_of: Vec<(AccountId, Asset)> = claim_of.into_iter().collect();
    let claim_records: Vec<Claim> = store
        .claims(&claim_of)
        .await?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    let claim_set: BTreeSet<(AccountId, Asset)> = claim_of.iter().copied().collect();
    let followed = |t: &Trail| match t {
        Trail::Claim(a, s) => claim_set.contains(&(*a, *s)),
        t => audited(t),
    };
    let claim_heads: Vec<u32> = claim_records.iter().map(|c| c.last_event_block).collect();
    walk.extend(chain, address, &tokens, claim_heads, number, followed)
        .await?;

    let mut findings = Vec::new();
    // Every followed trail's links match the events found, and its record's latest block.
    let mut lasts: BTreeMap<Trail, u32> = BTreeMap::new();
    for (id, (d, ms)) in &deals {
        lasts.insert(Trail::Deal(*id), d.last_event_block);
        for (i, m) in ms.iter().enumerate() {
            lasts.insert(
                Trail::Milestone(*id, u8::try_from(i).unwrap_or(u8::MAX)),
                m.last_event_block,
            );
        }
    }
    for (k, c) in claim_of.iter().zip(&claim_records) {
        lasts.insert(Trail::Claim(k.0, k.1), c.last_event_block);
    }
    findings.extend(rules::trails(&walk, &lasts));

    // Each deal: rebuilt, its rules, its views.
    let mut out = Vec::with_capacity(deals.len());
    for (id, (record, ms)) in &deals {
        let events: Vec<(u32, Option<u32>, EscrowEvent)> = walk
            .events()
            .filter(|(_, _, e)| e.deal_id() == Some(*id))
            .map(|(b, x, e)| (b.number, x, e.clone()))
            .collect();
        let rebuilt = rebuild(events.iter().map(|(_, _, e)| e));
        findings.extend(rules::deal_rules(*id, &events, &walk, &config));
        let (view, milestones) = views(*id, record.clone(), ms);
        out.push(DealAudit {
            view,
            milestones,
            events,
            rebuilt,
        });
    }
    let parties: BTreeMap<DealId, (Asset, AccountId)> = deals
        .iter()
        .map(|(id, (d, _))| (*id, (d.asset, d.buyer)))
        .collect();
    findings.extend(rules::transfers(&walk, &parties, &config, address));

    // Claimable balances: deferred less withdrawn is what storage holds.
    let (claims, wrong) = rules::claims(&walk, &claim_of, &claim_records);
    findings.extend(wrong);

    let solvency = match scope {
        Scope::All => solvency(escrow, hash, &out, &claims).await?,
        Scope::Deal(_) => Vec::new(),
    };
    for s in solvency.iter().filter(|s| !s.ok()) {
        findings.push(Finding {
            kind: Kind::Solvency,
            deal: None,
            milestone: None,
            block: Some(number),
            event: None,
            detail: format!(
                "{:?}: the contract holds {} but owes {} locked + {} claimable",
                s.asset, s.held, s.locked, s.claimable
            ),
        });
    }
    findings.sort_by_key(|f| (f.deal, f.milestone, f.block, f.kind));
    Ok(Audit {
        block: number,
        hash,
        code_hash,
        config,
        deals: out,
        claims,
        solvency,
        findings,
        blocks_read: walk.blocks.len(),
    })
}

/// Per asset: what the contract holds against Σ locked + Σ claimable.
async fn solvency(
    escrow: &Escrow,
    at: H256,
    deals: &[DealAudit],
    claims: &[ClaimAudit],
) -> Result<Vec<Solvency>> {
    let mut books: BTreeMap<Asset, (u128, u128)> = BTreeMap::new();
    books.entry(Asset::Native).or_default();
    for d in deals {
        let b = books.entry(d.view.deal.asset).or_default();
        b.0 = b.0.saturating_add(d.view.locked);
    }
    for c in claims {
        let b = books.entry(c.asset).or_default();
        b.1 = b.1.saturating_add(c.claimable);
    }
    let chain = escrow.chain();
    let mut out = Vec::new();
    for (asset, (locked, claimable)) in books {
        let held = match asset {
            Asset::Native => chain
                .free_balance(escrow.address(), at)
                .await?
                .saturating_sub(chain.existential_deposit()?),
            Asset::Psp22(t) => {
                Psp22::at(chain.clone(), AccountId32(*t.as_ref()))
                    .balance_of(at, escrow.address())
                    .await?
            }
        };
        out.push(Solvency {
            asset,
            held,
            locked,
            claimable,
        });
    }
    Ok(out)
}
