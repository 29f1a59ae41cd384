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
//! 1. first, the *reference deal* (issue 12: the whole deal is the cost unit): 30/40/30 with
//!    an advance, an oracle and an arbiter, from proposal to closure; its total against the
//!    floor (`bare_pay::pay` × the transfers the deal makes) and how many such deals fit in a
//!    block at the chain's own limits;
//! 2. every mutating message along a deal's life (each dry-run in the exact state it is then
//!    submitted in), as ref_time and proof_size, as multiples of the bare pay, and against
//!    the same message at 861cbb3 (`baseline`);
//! 3. both again after `--deals N` more deals were proposed (default 10,000), to show no
//!    message's cost grows with the number of deals in the contract;
//! 4. fund/approve on a 1-milestone against a 16-milestone deal (cost must not grow with
//!    milestones a message doesn't touch);
//! 5. optimized `.wasm` sizes and the storage deposit of a deal;
//! 6. the reference deal paid in the stablecoin (issue 15), step by step, against the same
//!    deal in the native token.
//!
//! It deploys the instance the way `escrow deploy` does: the bundle's code instantiated
//! through its constructor `new`.
//!
//! Output: a markdown report on stdout (and to `--out FILE`). Exit codes: 0 measured, flat and
//! within 2% of 861cbb3; 1 a cost grew with the deal count or milestone count by more than
//! 1%, or a message or the whole deal costs more than 2% over 861cbb3 (the report marks it);
//! 2 bad arguments or a failed step (a message the bench expected to succeed failed).

mod baseline;
mod report;
mod scenarios;
mod session;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use escrow_client::{
    artifacts::read_bundle,
    contract::{self, DryRun, EscrowEvent, Weight},
    submit::{self, SubmitOpts, WaitFor},
    Chain,
};
use escrow_types::{DealId, DealView};
use subxt_signer::sr25519::dev;

use crate::{
    report::{Measured, Verdict},
    scenarios::ink_id,
    session::{deploy, Bench},
};

/// 10^12 plancks: the local chain's UNIT.
const UNIT: u128 = 1_000_000_000_000;
/// The instance fee the bench deploys with (1%), so every release pays a fee.
const FEE_BPS: u16 = 100;
/// The stablecoin's supply in the bench (in its 10^-6 units): plenty for the deal.
const STABLECOIN_SUPPLY: u128 = 1_000_000_000 * UNIT;
/// Proposals per `Utility.batch_all` when filling the contract with deals.
const FILL_BATCH: usize = 250;
/// Largest growth (in per mille) tolerated before the bench calls a cost "not flat".
const FLAT_TOLERANCE_PER_MILLE: u64 = 10;

type Res<T> = Result<T, String>;

struct Args {
    url: String,
    escrow_bundle: PathBuf,
    bare_bundle: PathBuf,
    stablecoin_bundle: PathBuf,
    deals: u32,
    out: Option<PathBuf>,
}

const USAGE: &str = "usage: escrow-bench [--url ws://127.0.0.1:9944] [--escrow-bundle FILE] \
[--bare-bundle FILE] [--stablecoin-bundle FILE] [--deals N] [--out FILE]";

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
        stablecoin_bundle: bundle("stablecoin"),
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
            "--stablecoin-bundle" => a.stablecoin_bundle = value()?.into(),
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

async fn run(a: Args) -> Res<(String, Verdict)> {
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
    // The stablecoin (6 decimals), its supply minted to Alice, who deploys it.
    let usd_args = (
        Some("US Dollar".to_string()),
        Some("USD".to_string()),
        6u8,
        STABLECOIN_SUPPLY,
    );
    let (usd, stablecoin_size) =
        deploy(&chain, opts.clone(), &a.stablecoin_bundle, usd_args, 0).await?;
    let b = Bench {
        chain,
        escrow,
        opts,
    };
    let limits = b.block_limits()?;
    // The baseline: one storage write and one transfer to an existing account.
    let pay = contract::call_data("pay", &(ferdie, UNIT));
    let base = b
        .exec::<()>(&dev::alice(), &bare, 0, "bare pay", pay)
        .await?;
    let base = base.dry.gas_consumed;

    eprintln!("escrow-bench: the reference deal, then the lifecycle, on a fresh instance");
    let reference = b.reference_deal().await?;
    let (small, deposit) = b.lifecycle().await?;
    let one = b.touch_first_of(1).await?;
    // The buyer's stablecoin, then the reference deal paid in it.
    let to_bob = contract::call_data(
        "PSP22::transfer",
        &(ink_id(&dev::bob()), STABLECOIN_SUPPLY / 2, Vec::<u8>::new()),
    );
    b.exec::<()>(&dev::alice(), &usd, 0, "stablecoin to the buyer", to_bob)
        .await?;
    let stablecoin = b.stablecoin_deal(&usd).await?;
    let sixteen = b.touch_first_of(16).await?;
    eprintln!("escrow-bench: proposing {} more deals", a.deals);
    let fill_started = std::time::Instant::now();
    b.fill(a.deals).await?;
    let fill_secs = fill_started.elapsed().as_secs_f64();
    let count = b.deal_count().await?;
    eprintln!(
        "escrow-bench: {count} deals after {fill_secs:.0} s; reference deal and lifecycle again"
    );
    let reference_large = b.reference_deal().await?;
    let (large, _) = b.lifecycle().await?;
    // The parties' own deal lists grew by `deals` too: reading one must still be bounded.
    let last: Option<DealView> = b.read("deal", (DealId(count),)).await?;
    if last.is_none() {
        return Err(format!("deal {count} is not readable"));
    }
    report::render(&Measured {
        base,
        limits,
        reference,
        reference_large,
        small,
        large,
        count,
        one,
        sixteen,
        escrow_size,
        bare_size,
        stablecoin,
        stablecoin_size,
        deposit,
        deals: a.deals,
        fill_secs,
    })
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
    let (md, verdict) = match run(args).await {
        Ok(done) => done,
        Err(e) => {
            eprintln!("escrow-bench: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{md}");
    if let Some(path) = out {
        if let Err(e) = std::fs::write(&path, &md) {
            eprintln!("escrow-bench: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if !verdict.flat {
        eprintln!("escrow-bench: a cost grew by more than {FLAT_TOLERANCE_PER_MILLE}‰ with the deal or milestone count (see the growth columns)");
    }
    if !verdict.within_baseline {
        eprintln!(
            "escrow-bench: a message or the whole deal costs more than {}‰ over {} (see the bold figures)",
            baseline::TOLERANCE_PER_MILLE,
            baseline::COMMIT
        );
    }
    if verdict.flat && verdict.within_baseline {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
