//! Generic tools drive what `escrow deploy` deploys, and `escrow` drives what they deploy:
//! cargo-contract 5.0.3 works from the `.contract` bundle alone, with no knowledge of our
//! CLI. This is the promise of one deployment: the instance is the ink! contract, created
//! through its constructor `new`, so anything that reads ink! metadata can call it.
//!
//! Needs the node, the bundle and the `escrow` binary, and cargo-contract on PATH: an optional
//! install (`scripts/setup.sh --with-cargo-contract`); without it the tests say so and return
//! (`chain_and_cargo_contract_available`).

use std::process::Command;

use escrow_test_support::{
    accounts::{dev_account, ALICE, BOB},
    artifacts::{chain_and_cargo_contract_available, escrow_bundle},
    chain::wall_ms,
    Escrow, TestNode, UNIT,
};

/// `cargo contract <args…> <bundle>`: returns stdout, panicking with both streams on failure.
fn cargo_contract(args: &[&str]) -> String {
    let bundle = escrow_bundle();
    let output = Command::new("cargo-contract")
        .arg("contract")
        .args(args)
        .arg(&bundle)
        .output()
        .expect("cargo-contract runs");
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(
        output.status.success(),
        "cargo contract {args:?} failed ({}):\nstdout: {out}\nstderr: {err}",
        output.status
    );
    out
}

/// The terms of a one-milestone deal, 10 UNIT, from `//Charlie` (seller) to `//Bob`, written
/// as cargo-contract's argument syntax for `DealTerms`: funded by the buyer alone within 7
/// days, shipped within 37 (the CLI's default deadlines).
fn terms_arg() -> String {
    const DAY: u64 = 86_400_000;
    let zero = format!("0x{}", "00".repeat(32));
    let fund_by = wall_ms() + 7 * DAY;
    format!(
        "DealTerms {{ buyer: {BOB}, seller: {}, oracles: [], oracle_threshold: 0, arbiter: None, \
         release_rule: Buyer, review_window: 604800000, arbitration_window: 1209600000, \
         fallback_seller_bps: 5000, advance: false, agreement_hash: {zero}, funder: None, \
         fund_by: {fund_by}, asset: Native, milestones: [MilestoneTerms {{ amount: {}, terms_hash: {zero}, \
         ship_by: {} }}] }}",
        dev_account("//Charlie"),
        10 * UNIT,
        fund_by + 30 * DAY
    )
}

#[test]
fn cargo_contract_drives_an_instance_escrow_deployed() {
    if !chain_and_cargo_contract_available() {
        return;
    }
    let node = TestNode::start();
    let url = node.url();
    let mut cli = Escrow::new(url.clone());
    let contract = cli.deploy("//Alice", 100, ALICE);
    let call = |suri: &str, message: &str, args: &[&str], extra: &[&str]| {
        let mut full = vec![
            "call",
            "--url",
            &url,
            "--suri",
            suri,
            "--contract",
            &contract,
            "--message",
            message,
        ];
        if !args.is_empty() {
            full.push("--args");
            full.extend_from_slice(args);
        }
        full.extend_from_slice(extra);
        cargo_contract(&full)
    };
    // Given a deal proposed and accepted-with-funds through cargo-contract alone,
    let terms = terms_arg();
    call("//Charlie", "propose", &[&terms], &["-x", "--skip-confirm"]);
    let shown = cli.run(&["--json", "deal", "show", "0"]).json();
    let terms_hash = shown["deal"]["deal"]["terms_hash"]
        .as_str()
        .unwrap_or_else(|| panic!("no terms hash: {shown:#}"))
        .to_string();
    let value = (10 * UNIT).to_string();
    call(
        "//Bob",
        "accept",
        &["DealId(0)", &terms_hash],
        &["--value", &value, "-x", "--skip-confirm"],
    );
    // when the buyer approves the milestone through cargo-contract,
    call(
        "//Bob",
        "approve",
        &["DealId(0)", "0"],
        &["-x", "--skip-confirm"],
    );
    // then cargo-contract's own dry-run read sees the deal,
    let count = call("//Alice", "deal_count", &[], &[]);
    assert!(count.contains("Ok(1)"), "deal_count: {count}");
    // and the escrow CLI sees a closed deal whose events rebuild it exactly.
    let shown = cli.run(&["--json", "deal", "show", "0"]).json();
    assert_eq!(shown["deal"]["deal"]["status"], "Closed", "{shown:#}");
    assert!(cli.run(&["audit", "--best", "0"]).ok().contains("audit ok"));
}

#[test]
fn escrow_drives_an_instance_cargo_contract_instantiated() {
    if !chain_and_cargo_contract_available() {
        return;
    }
    let node = TestNode::start();
    let url = node.url();
    // Given an instance created by `cargo contract instantiate` through `new`,
    let out = cargo_contract(&[
        "instantiate",
        "--url",
        &url,
        "--suri",
        "//Alice",
        "--constructor",
        "new",
        "--args",
        ALICE,
        "0",
        "-x",
        "--skip-confirm",
        "--output-json",
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("cargo-contract's JSON: {e}: {out}"));
    let contract = v["contract"]
        .as_str()
        .expect("contract address")
        .to_string();
    let cli = Escrow::new(url);
    let bundle = escrow_bundle();
    let trusted = [
        "--contract",
        &contract,
        "--code-hash",
        bundle.to_str().unwrap(),
    ];
    // the escrow CLI, trusting the bundle the user names, runs a whole deal on it,
    let run = |signer: &str, args: &[&str]| {
        let mut full = vec!["--suri", signer];
        full.extend_from_slice(&trusted);
        full.extend_from_slice(args);
        cli.run(&full).ok().to_string()
    };
    run(
        "//Bob",
        &[
            "deal",
            "propose",
            "--seller",
            "//Charlie",
            "--milestone",
            "10",
        ],
    );
    // (the seller names the terms hash it reviewed with `deal show`: a script must)
    let mut show = trusted.to_vec();
    show.extend_from_slice(&["--json", "deal", "show", "0"]);
    let shown = cli.run(&show).json();
    let hash = shown["deal"]["deal"]["terms_hash"]
        .as_str()
        .unwrap_or_else(|| panic!("no terms hash: {shown:#}"))
        .to_string();
    run("//Charlie", &["deal", "accept", "0", "--terms-hash", &hash]);
    run("//Bob", &["deal", "fund", "0", "10"]);
    run("//Bob", &["deal", "approve", "0", "0"]);
    // and the deal reads back closed and audits clean.
    let shown = cli.run(&show).json();
    assert_eq!(shown["deal"]["deal"]["status"], "Closed", "{shown:#}");
    let mut audit = trusted.to_vec();
    audit.extend_from_slice(&["audit", "--best", "0"]);
    assert!(cli.run(&audit).ok().contains("audit ok"));
    // Without the bundle named, nothing vouches for this instance: refused, named.
    let r = cli.run(&[
        "--suri",
        "//Bob",
        "--contract",
        &contract,
        "deal",
        "fund",
        "0",
        "1",
    ]);
    r.fails(2, &["cannot check that", &contract]);
}
