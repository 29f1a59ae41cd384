//! `escrow-bench`: what the milestone-escrow contract costs its users, measured on a node.
//!
//! Why this exists: users pay every message as a fee (weight) and every record as a storage
//! deposit, so the figures that matter are the chain's own, read from `ContractsApi` dry-runs
//! (`gas_consumed`, `storage_deposit`) of the release builds that are actually deployed. Every
//! figure is set against a baseline measured in the same run on the same node: `bare_pay`, a
//! contract whose `pay(to, amount)` does one storage write and one transfer. Ratios survive a
//! change of node or weights; absolute numbers don't.
//!
//! What it measures, in one run:
//! 1. every mutating message along a deal's life (each dry-run in the exact state it is then
//!    submitted in), as ref_time and proof_size and as multiples of the bare pay;
//! 2. the same messages again after `--deals N` more deals were proposed (default 10,000), to
//!    show no message's cost grows with the number of deals in the contract;
//! 3. approve/fund on a 1-milestone against a 16-milestone deal (cost must not grow with
//!    milestones a message doesn't touch);
//! 4. optimized `.wasm` sizes and the storage deposit of a deal.
//!
//! It deploys the instance the way `escrow deploy` does: the bundle's code instantiated
//! through its constructor `new`.
//!
//! Output: a markdown report on stdout (and to `--out FILE`). Exit codes: 0 measured and flat;
//! 1 a message's cost grew with the deal count or milestone count by more than 1%; 2 bad
//! arguments or a failed step (a message the bench expected to succeed failed).

use std::{path::PathBuf, process::ExitCode, time::Duration};

use escrow_cli::{
    client::Chain,
    commands::deploy::read_bundle,
    contract::{self, DryRun, Weight},
    submit::{self, SubmitOpts, WaitFor},
};
use escrow_types::{DealId, DealTerms, DealView, Digest, MilestoneTerms, ReleaseRule};
use ink::primitives::AccountId;
use scale::{Decode, Encode};
use subxt::{dynamic::Value, utils::AccountId32};
use subxt_signer::sr25519::{dev, Keypair};

/// 10^12 plancks: the local chain's UNIT.
const UNIT: u128 = 1_000_000_000_000;
/// The instance fee the bench deploys with (1%), so every release pays a fee.
const FEE_BPS: u16 = 100;
/// Proposals per `Utility.batch_all` when filling the contract with deals.
const FILL_BATCH: usize = 250;
/// Largest growth (in per mille) tolerated before the bench calls a cost "not flat".
const FLAT_TOLERANCE_PER_MILLE: u64 = 10;

type Res<T> = Result<T, String>;

struct Args {
    url: String,
    escrow_bundle: PathBuf,
    bare_bundle: PathBuf,
    deals: u32,
    out: Option<PathBuf>,
}

const USAGE: &str = "usage: escrow-bench [--url ws://127.0.0.1:9944] [--escrow-bundle FILE] \
[--bare-bundle FILE] [--deals N] [--out FILE]";

fn parse_args() -> Res<Args> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| {
        format!(
            "{}/.cache/milestone-escrow/target",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let bundle =
        |c: &str| PathBuf::from(&target).join(format!("ink/{c}/by-mode/release/{c}.contract"));
    let mut a = Args {
        url: "ws://127.0.0.1:9944".into(),
        escrow_bundle: bundle("milestone_escrow"),
        bare_bundle: bundle("bare_pay"),
        deals: 10_000,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))
        };
        match flag.as_str() {
            "--url" => a.url = value()?,
            "--escrow-bundle" => a.escrow_bundle = value()?.into(),
            "--bare-bundle" => a.bare_bundle = value()?.into(),
            "--deals" => {
                let v = value()?;
                a.deals = v
                    .parse()
                    .map_err(|_| format!("--deals: '{v}' is not a whole number"))?
            }
            "--out" => a.out = Some(value()?.into()),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument '{other}'; {USAGE}")),
        }
    }
    Ok(a)
}

/// One measured message.
struct Row {
    name: &'static str,
    gas: Weight,
}

fn ink_id(k: &Keypair) -> AccountId {
    AccountId::from(k.public_key().0)
}

fn chain_id(k: &Keypair) -> AccountId32 {
    k.public_key().into()
}

struct Bench {
    chain: Chain,
    escrow: AccountId32,
    opts: SubmitOpts,
}

impl Bench {
    /// Dry-runs a message; fails unless it returns `Ok(Ok(_))`.
    async fn dry<R: Decode>(
        &self,
        who: &Keypair,
        dest: &AccountId32,
        value: u128,
        data: &[u8],
    ) -> Res<(R, DryRun)> {
        let best = self.chain.best().await.map_err(|e| e.to_string())?;
        let dry = self
            .chain
            .dry_run_call(best.0, &chain_id(who), dest, value, data.to_vec())
            .await
            .map_err(|e| e.to_string())?;
        let ret = match &dry.result {
            Err(_) => return Err("dispatch error".into()),
            Ok((_, ret)) => match contract::decode_message_return::<R>(ret)? {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => return Err(format!("contract error {e:?}")),
                Err(l) => return Err(format!("language error {l:?}")),
            },
        };
        Ok((ret, dry))
    }

    /// Dry-runs then submits a message, waiting for its block; returns what it returned
    /// and its dry-run figures.
    async fn exec<R: Decode>(
        &self,
        who: &Keypair,
        dest: &AccountId32,
        value: u128,
        name: &str,
        data: Vec<u8>,
    ) -> Res<(R, DryRun)> {
        let (ret, dry) = self
            .dry::<R>(who, dest, value, &data)
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        let tx = submit::call_tx(dest, value, &dry, data);
        submit::sign_submit_wait(&self.chain, &tx, who, None, self.opts.clone())
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        Ok((ret, dry))
    }

    /// A read-only message.
    async fn read<R: Decode>(&self, name: &str, args: impl Encode) -> Res<R> {
        let best = self.chain.best().await.map_err(|e| e.to_string())?;
        let dry = self
            .chain
            .dry_run_call(
                best.0,
                &chain_id(&dev::alice()),
                &self.escrow,
                0,
                contract::call_data(name, &args),
            )
            .await
            .map_err(|e| e.to_string())?;
        match &dry.result {
            Ok((_, ret)) => contract::decode_read_return::<R>(ret)?
                .map_err(|l| format!("{name}: language error {l:?}")),
            Err(_) => Err(format!("{name}: dispatch error")),
        }
    }

    /// Calls a message on the escrow contract and records its cost under `name`.
    async fn measure<R: Decode>(
        &self,
        rows: &mut Vec<Row>,
        name: &'static str,
        who: &Keypair,
        value: u128,
        data: Vec<u8>,
    ) -> Res<(R, DryRun)> {
        let (r, dry) = self
            .exec::<R>(who, &self.escrow.clone(), value, name, data)
            .await?;
        rows.push(Row {
            name,
            gas: dry.gas_consumed,
        });
        Ok((r, dry))
    }

    async fn now_ms(&self) -> Res<u64> {
        let best = self.chain.best().await.map_err(|e| e.to_string())?;
        self.chain
            .timestamp(best.0)
            .await
            .map_err(|e| e.to_string())
    }

    /// Seals a block (a remark) so the chain's clock reads the current time.
    async fn tick(&self) -> Res<()> {
        let tx = subxt::dynamic::tx(
            "System",
            "remark",
            vec![("remark", Value::from_bytes(b"tick"))],
        );
        submit::sign_submit_wait(&self.chain, &tx, &dev::ferdie(), None, self.opts.clone())
            .await
            .map(|_| ())
            .map_err(|e| format!("tick: {e}"))
    }

    async fn terms_hash(&self, terms: &DealTerms) -> Res<Digest> {
        self.read("terms_hash", (terms,)).await
    }

    /// Every mutating message along deals' lives, each measured in the state it is then
    /// submitted in.
    async fn lifecycle(&self) -> Res<(Vec<Row>, u128)> {
        let (seller, buyer, oracle, arbiter, funder) = (
            dev::charlie(),
            dev::bob(),
            dev::dave(),
            dev::eve(),
            dev::alice(),
        );
        let now = self.now_ms().await?;
        let mut terms = seed_terms(now);
        terms.review_window = 2_000;
        let total: u128 = terms.milestones.iter().map(|m| m.amount).sum();
        let hash = self.terms_hash(&terms).await?;
        let mut rows = Vec::new();
        let propose = contract::call_data("propose", &(terms.clone(),));

        let (d0, _) = self
            .exec::<DealId>(&seller, &self.escrow, 0, "propose", propose.clone())
            .await?;
        self.measure::<()>(
            &mut rows,
            "withdraw_proposal",
            &seller,
            0,
            contract::call_data("withdraw_proposal", &(d0,)),
        )
        .await?;
        let (deal, dry) = self
            .measure::<DealId>(
                &mut rows,
                "propose (5 milestones)",
                &seller,
                0,
                propose.clone(),
            )
            .await?;
        let deposit = dry.storage_deposit.limit();
        self.measure::<()>(
            &mut rows,
            "accept + fund",
            &buyer,
            1_000 * UNIT,
            contract::call_data("accept", &(deal, hash)),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "fund",
            &funder,
            total - 1_000 * UNIT,
            contract::call_data("fund", &(deal,)),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "approve (release + fee)",
            &buyer,
            0,
            contract::call_data("approve", &(deal, 0u8)),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "submit",
            &seller,
            0,
            contract::call_data("submit", &(deal, 1u8, [1u8; 32])),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "attest (quorum → release)",
            &oracle,
            0,
            contract::call_data("attest", &(deal, 1u8)),
        )
        .await?;
        let new_ship_by = self.now_ms().await? + 900_000;
        self.measure::<()>(
            &mut rows,
            "propose_amendment",
            &seller,
            0,
            contract::call_data("propose_amendment", &(deal, 3u8, new_ship_by)),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "accept_amendment",
            &buyer,
            0,
            contract::call_data("accept_amendment", &(deal, 3u8, new_ship_by)),
        )
        .await?;
        self.exec::<()>(
            &seller,
            &self.escrow,
            0,
            "submit",
            contract::call_data("submit", &(deal, 2u8, [2u8; 32])),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "dispute",
            &buyer,
            0,
            contract::call_data("dispute", &(deal, 2u8, [3u8; 32])),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "offer_settlement",
            &seller,
            0,
            contract::call_data("offer_settlement", &(deal, 2u8, 150 * UNIT)),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "accept_settlement (split)",
            &buyer,
            0,
            contract::call_data("accept_settlement", &(deal, 2u8, 150 * UNIT)),
        )
        .await?;
        self.exec::<()>(
            &seller,
            &self.escrow,
            0,
            "submit",
            contract::call_data("submit", &(deal, 3u8, [4u8; 32])),
        )
        .await?;
        self.exec::<()>(
            &seller,
            &self.escrow,
            0,
            "dispute",
            contract::call_data("dispute", &(deal, 3u8, [5u8; 32])),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "resolve_dispute (split)",
            &arbiter,
            0,
            contract::call_data("resolve_dispute", &(deal, 3u8, 50 * UNIT)),
        )
        .await?;
        self.exec::<()>(
            &seller,
            &self.escrow,
            0,
            "submit",
            contract::call_data("submit", &(deal, 4u8, [6u8; 32])),
        )
        .await?;
        // The review window is 2 s: let it pass, then seal a block so the clock moves.
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        self.tick().await?;
        self.measure::<()>(
            &mut rows,
            "settle_milestone (timeout release)",
            &funder,
            0,
            contract::call_data("settle_milestone", &(deal, 4u8)),
        )
        .await?;
        // Every milestone of the deal is settled now: anyone records its closure.
        self.measure::<()>(
            &mut rows,
            "close_deal",
            &funder,
            0,
            contract::call_data("close_deal", &(deal,)),
        )
        .await?;

        // Batch approval and mutual cancellation on another deal.
        let (d2, _) = self
            .exec::<DealId>(&seller, &self.escrow, 0, "propose", propose.clone())
            .await?;
        self.exec::<()>(
            &buyer,
            &self.escrow,
            total,
            "accept",
            contract::call_data("accept", &(d2, hash)),
        )
        .await?;
        self.measure::<u8>(
            &mut rows,
            "approve_through (3 milestones)",
            &buyer,
            0,
            contract::call_data("approve_through", &(d2, 2u8)),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "propose_cancel",
            &buyer,
            0,
            contract::call_data("propose_cancel", &(d2,)),
        )
        .await?;
        self.measure::<()>(
            &mut rows,
            "accept_cancel (2 refunds)",
            &seller,
            0,
            contract::call_data("accept_cancel", &(d2,)),
        )
        .await?;
        Ok((rows, deposit))
    }

    /// approve and fund on a deal of `n` milestones (the first one only).
    async fn touch_first_of(&self, n: u8) -> Res<(Weight, Weight)> {
        let (seller, buyer) = (dev::charlie(), dev::bob());
        let now = self.now_ms().await?;
        let mut terms = seed_terms(now);
        terms.milestones = (0..n)
            .map(|i| MilestoneTerms {
                amount: 10 * UNIT,
                terms_hash: [i; 32],
                ship_by: None,
            })
            .collect();
        let hash = self.terms_hash(&terms).await?;
        let (deal, _) = self
            .exec::<DealId>(
                &seller,
                &self.escrow,
                0,
                "propose",
                contract::call_data("propose", &(terms,)),
            )
            .await?;
        self.exec::<()>(
            &buyer,
            &self.escrow,
            0,
            "accept",
            contract::call_data("accept", &(deal, hash)),
        )
        .await?;
        let (_, fund) = self
            .exec::<()>(
                &buyer,
                &self.escrow,
                10 * UNIT,
                "fund",
                contract::call_data("fund", &(deal,)),
            )
            .await?;
        let (_, approve) = self
            .exec::<()>(
                &buyer,
                &self.escrow,
                0,
                "approve",
                contract::call_data("approve", &(deal, 0u8)),
            )
            .await?;
        Ok((fund.gas_consumed, approve.gas_consumed))
    }

    /// Proposes `n` one-milestone deals between the same parties, in batches.
    async fn fill(&self, n: u32) -> Res<()> {
        let seller = dev::charlie();
        let now = self.now_ms().await?;
        let mut terms = seed_terms(now);
        terms.milestones.truncate(1);
        let data = contract::call_data("propose", &(terms,));
        let (_, dry) = self.dry::<DealId>(&seller, &self.escrow, 0, &data).await?;
        // Headroom: later proposals write to slightly longer index lists.
        let gas = Weight {
            ref_time: dry.gas_required.ref_time * 2,
            proof_size: dry.gas_required.proof_size * 2,
        };
        let call = Value::unnamed_variant(
            "Contracts",
            [Value::named_variant(
                "call",
                submit::call_fields(&self.escrow, 0, gas, dry.storage_deposit.limit() * 2, data),
            )],
        );
        let before: u64 = self.read("deal_count", ()).await?;
        let mut left = n as usize;
        while left > 0 {
            let k = left.min(FILL_BATCH);
            let calls = Value::unnamed_composite(std::iter::repeat_n(call.clone(), k));
            let tx = subxt::dynamic::tx("Utility", "batch_all", vec![("calls", calls)]);
            submit::sign_submit_wait(&self.chain, &tx, &seller, None, self.opts.clone())
                .await
                .map_err(|e| format!("filling deals: {e}"))?;
            left -= k;
        }
        let after: u64 = self.read("deal_count", ()).await?;
        if after != before + u64::from(n) {
            return Err(format!(
                "filling deals: deal_count went from {before} to {after}, expected +{n}"
            ));
        }
        Ok(())
    }
}

/// The seed's deal (30/40/30, oracle Dave, arbiter Eve) plus two milestones: one with a
/// ship-by deadline (amendments need one) and one more for a timeout release.
fn seed_terms(now: u64) -> DealTerms {
    let m = |amount, tag: u8, ship_by| MilestoneTerms {
        amount,
        terms_hash: [tag; 32],
        ship_by,
    };
    DealTerms {
        buyer: ink_id(&dev::bob()),
        seller: ink_id(&dev::charlie()),
        oracles: vec![ink_id(&dev::dave())],
        oracle_threshold: 1,
        arbiter: Some(ink_id(&dev::eve())),
        release_rule: ReleaseRule::BuyerOrOracles,
        review_window: 7 * 24 * 3600 * 1000,
        arbitration_window: 14 * 24 * 3600 * 1000,
        fallback_seller_bps: 5_000,
        advance: false,
        agreement_hash: [0xAA; 32],
        milestones: vec![
            m(300 * UNIT, 1, None),
            m(400 * UNIT, 2, None),
            m(300 * UNIT, 3, None),
            m(100 * UNIT, 4, Some(now + 600_000)),
            m(100 * UNIT, 5, None),
        ],
    }
}

/// Uploads and instantiates a bundle's `new` constructor with `args`.
async fn deploy(
    chain: &Chain,
    opts: SubmitOpts,
    bundle: &PathBuf,
    args: impl Encode,
    value: u128,
) -> Res<(AccountId32, usize)> {
    let (code, sel) = read_bundle(bundle).map_err(|e| e.to_string())?;
    instantiate(chain, opts, bundle, code, sel, args, value).await
}

async fn instantiate(
    chain: &Chain,
    opts: SubmitOpts,
    what: &PathBuf,
    code: Vec<u8>,
    sel: [u8; 4],
    args: impl Encode,
    value: u128,
) -> Res<(AccountId32, usize)> {
    let bundle = what;
    let size = code.len();
    let mut data = sel.to_vec();
    args.encode_to(&mut data);
    let alice = dev::alice();
    let best = chain.best().await.map_err(|e| e.to_string())?;
    let salt = best.0 .0[..8].to_vec();
    let dry = chain
        .dry_run_instantiate(
            best.0,
            &chain_id(&alice),
            value,
            &code,
            data.clone(),
            salt.clone(),
        )
        .await
        .map_err(|e| e.to_string())?;
    if let Err(_) | Ok((contract::REVERT, _)) = &dry.result {
        return Err(format!(
            "instantiating {}: the dry-run failed",
            bundle.display()
        ));
    }
    let tx = submit::instantiate_tx(value, &dry, code, data, salt);
    let inc = submit::sign_submit_wait(chain, &tx, &alice, None, opts)
        .await
        .map_err(|e| e.to_string())?;
    let addr = inc
        .instantiated
        .or(dry.account_id.map(AccountId32))
        .ok_or("no Instantiated event")?;
    Ok((addr, size))
}

fn ratio(a: u64, b: u64) -> String {
    format!("{:.2}", a as f64 / b as f64)
}

/// Growth of `after` over `before`, in per mille (negative: cheaper).
fn growth_per_mille(before: u64, after: u64) -> i64 {
    (after as i64 - before as i64) * 1000 / before.max(1) as i64
}

async fn run(a: Args) -> Res<(String, bool)> {
    let opts = SubmitOpts {
        wait: WaitFor::InBlock,
        timeout: Duration::from_secs(120),
        quiet: true,
        // One process signs here; no cross-process nonce lock needed.
        lock_dir: None,
    };
    let chain = Chain::connect(&a.url).await.map_err(|e| e.to_string())?;
    eprintln!("escrow-bench: connected to {}", a.url);
    let (bare, bare_size) = deploy(&chain, opts.clone(), &a.bare_bundle, (), 10 * UNIT).await?;
    let ferdie = ink_id(&dev::ferdie());
    let (escrow, escrow_size) =
        deploy(&chain, opts.clone(), &a.escrow_bundle, (ferdie, FEE_BPS), 0).await?;
    let b = Bench {
        chain,
        escrow,
        opts,
    };
    // The baseline: one storage write and one transfer to an existing account.
    let (_, base) = b
        .exec::<()>(
            &dev::alice(),
            &bare,
            0,
            "bare pay",
            contract::call_data("pay", &(ferdie, UNIT)),
        )
        .await?;
    let base = base.gas_consumed;

    eprintln!(
        "escrow-bench: lifecycle with {} deals in the contract",
        b.read::<u64>("deal_count", ()).await?
    );
    let (small, deposit) = b.lifecycle().await?;
    let (fund1, approve1) = b.touch_first_of(1).await?;
    let (fund16, approve16) = b.touch_first_of(16).await?;
    eprintln!("escrow-bench: proposing {} more deals", a.deals);
    let fill_started = std::time::Instant::now();
    b.fill(a.deals).await?;
    let fill_secs = fill_started.elapsed().as_secs_f64();
    let count: u64 = b.read("deal_count", ()).await?;
    eprintln!("escrow-bench: {count} deals after {fill_secs:.0} s; lifecycle again");
    let (large, _) = b.lifecycle().await?;
    // The parties' own deal lists grew by `deals` too: reading one must still be bounded.
    let last: Option<DealView> = b.read("deal", (DealId(count),)).await?;
    if last.is_none() {
        return Err(format!("deal {count} is not readable"));
    }

    let messages = large.len();
    let mut flat = true;
    let mut md = String::new();
    md.push_str(
        "## Per-message cost (dry-run gas_consumed, release builds, same node, same run)\n\n",
    );
    md.push_str(
        "The instance is deployed as `escrow deploy` does: the bundle's code through its constructor `new`.\n\n",
    );
    md.push_str(&format!(
        "Baseline `bare_pay::pay` (one storage write, one transfer): ref_time {}, proof_size {}.\n\n",
        base.ref_time, base.proof_size
    ));
    md.push_str(&format!(
        "| message | ref_time | proof_size | × bare ref_time | × bare proof_size | ref_time with {count} deals | proof_size with {count} deals | growth |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"
    ));
    for (s, l) in small.iter().zip(&large) {
        let g = growth_per_mille(s.gas.ref_time, l.gas.ref_time)
            .max(growth_per_mille(s.gas.proof_size, l.gas.proof_size));
        if g > FLAT_TOLERANCE_PER_MILLE as i64 {
            flat = false;
        }
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:+.1}% |\n",
            s.name,
            s.gas.ref_time,
            s.gas.proof_size,
            ratio(s.gas.ref_time, base.ref_time),
            ratio(s.gas.proof_size, base.proof_size),
            l.gas.ref_time,
            l.gas.proof_size,
            g as f64 / 10.0
        ));
    }
    md.push_str("\n## Cost against milestones a message doesn't touch\n\n");
    md.push_str("| message | 1-milestone deal (ref_time / proof_size) | 16-milestone deal | growth |\n|---|---:|---:|---:|\n");
    for (name, one, sixteen) in [
        ("fund (milestone 0)", fund1, fund16),
        ("approve (milestone 0)", approve1, approve16),
    ] {
        let g = growth_per_mille(one.ref_time, sixteen.ref_time)
            .max(growth_per_mille(one.proof_size, sixteen.proof_size));
        if g > FLAT_TOLERANCE_PER_MILLE as i64 {
            flat = false;
        }
        md.push_str(&format!(
            "| {name} | {} / {} | {} / {} | {:+.1}% |\n",
            one.ref_time,
            one.proof_size,
            sixteen.ref_time,
            sixteen.proof_size,
            g as f64 / 10.0
        ));
    }
    md.push_str("\n## Code size and deposits\n\n");
    md.push_str(&format!(
        "- milestone_escrow optimized .wasm: {escrow_size} bytes ({} messages measured here; see the README for bytes per message)\n- bare_pay optimized .wasm: {bare_size} bytes\n- storage deposit charged for proposing a 5-milestone deal: {deposit} plancks ({:.4} UNIT)\n- filling the contract with {} deals took {:.0} s ({FILL_BATCH} proposals per `Utility.batch_all`)\n",
        messages,
        deposit as f64 / UNIT as f64,
        a.deals,
        fill_secs
    ));
    Ok((md, flat))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("escrow-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let out = args.out.clone();
    match run(args).await {
        Ok((md, flat)) => {
            print!("{md}");
            if let Some(path) = out {
                if let Err(e) = std::fs::write(&path, &md) {
                    eprintln!("escrow-bench: cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            if flat {
                ExitCode::SUCCESS
            } else {
                eprintln!("escrow-bench: a message's cost grew by more than {FLAT_TOLERANCE_PER_MILLE}‰ (see the growth columns)");
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("escrow-bench: {e}");
            ExitCode::from(2)
        }
    }
}
