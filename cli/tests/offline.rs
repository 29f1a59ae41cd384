//! The `escrow` binary without a chain: bad input (exit 2), no node (exit 3), keystore.

mod common;

use common::{free_port, Escrow};

const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

fn nowhere() -> Escrow {
    Escrow::new(format!("ws://127.0.0.1:{}", free_port()))
}

#[test]
fn no_node_exits_3_and_says_nothing_was_submitted() {
    let e = nowhere();
    let started = std::time::Instant::now();
    let r = e.run(&[
        "--suri",
        "//Alice",
        "--contract",
        ALICE,
        "deal",
        "fund",
        "0",
        "1",
    ]);
    r.fails(3, "no node reachable");
    assert!(r.err.contains("nothing was submitted"), "{r:#?}");
    assert!(r.err.contains("scripts/node.sh"), "{r:#?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let r = e.run(&["--contract", ALICE, "deal", "show", "0"]);
    r.fails(3, "no node reachable");
    let r = e.run(&["--contract", ALICE, "events"]);
    r.fails(3, "no node reachable");
}

#[test]
fn bad_input_exits_2_naming_the_argument() {
    let e = nowhere();
    e.run(&["deal", "propose", "--seller", ALICE, "--review", "7w"])
        .fails(2, "unknown unit");
    e.run(&["deal", "propose", "--seller", ALICE, "--fallback", "120%"])
        .fails(2, "at most 100");
    e.run(&["deal", "show", "seven"]).fails(2, "invalid digit");
    e.run(&["--timeout", "soon", "withdraw"])
        .fails(2, "--timeout");
    e.run(&["--suri", "//Alice", "--contract", "5Grw", "withdraw"])
        .fails(2, "--contract");
    e.run(&[
        "--suri",
        "not a valid uri phrase",
        "--contract",
        ALICE,
        "withdraw",
    ])
    .fails(2, "--suri");
    e.run(&["--suri", "//Alice", "withdraw"])
        .fails(2, "no contract known");
    e.run(&["withdraw", "--contract", ALICE])
        .fails(2, "pass --suri");
    e.run(&[
        "--suri",
        "//Alice",
        "--contract",
        ALICE,
        "deal",
        "propose",
        "--seller",
        "//Bob",
        "--total",
        "100",
        "--split",
        "30,40,20",
    ])
    .fails(2, "add up to 90");
    e.run(&[
        "--suri",
        "//Alice",
        "--contract",
        ALICE,
        "deal",
        "propose",
        "--seller",
        "nobody",
        "--milestone",
        "1",
    ])
    .fails(2, "'nobody' is not an account");
    e.run(&[
        "--suri",
        "//Alice",
        "deploy",
        "--bundle",
        "/nonexistent.contract",
    ])
    .fails(2, "cannot read the contract bundle");
    e.run(&[
        "--url",
        "http://x",
        "--suri",
        "//Alice",
        "--contract",
        ALICE,
        "withdraw",
    ])
    .fails(2, "--url");
}

#[test]
fn help_documents_exit_codes() {
    let r = nowhere().run(&["--help"]);
    assert!(r.ok().contains("Exit codes:"));
    assert!(r
        .out
        .contains("4  transaction submitted but its outcome is unknown"));
    assert!(
        r.out
            .contains("5  cancelled at the confirmation prompt (nothing was submitted)"),
        "{r:#?}"
    );
    assert!(r.out.contains("-y, --yes"), "{r:#?}");
    assert!(r.out.contains("--code-hash <CODE_HASH>"), "{r:#?}");
}

#[test]
fn keystore_import_list_show_and_wrong_password() {
    let e = nowhere();
    let phrase = e.file(
        "phrase.txt",
        "bottom drive obey lake curtain smoke basket hold race lonely fit walk//Alice\n",
    );
    let pw = [("ESCROW_PASSWORD", "correct horse")];
    let r = e.run_env(
        &["account", "import", "alice", "--phrase-file", &phrase],
        &pw,
    );
    assert!(r.ok().contains(ALICE), "{r:#?}");
    let r = e.run_env(&["account", "new", "fresh", "--json"], &pw);
    let v = r.json();
    assert_eq!(v["mnemonic"].as_str().unwrap().split(' ').count(), 12);
    let r = e.run(&["account", "list"]);
    assert!(
        r.ok().contains("alice") && r.out.contains("fresh"),
        "{r:#?}"
    );
    let raw = std::fs::read_to_string(e.home.path().join("keystore/alice.json")).unwrap();
    assert!(!raw.contains("bottom drive"), "secret stored in clear");
    // Offline, show still prints the address.
    let r = e.run(&["account", "show", "alice"]);
    assert!(r.ok().contains(ALICE), "{r:#?}");
    // Wrong password: bad input, before any connection.
    let r = e.run_env(
        &["--account", "alice", "--contract", ALICE, "withdraw"],
        &[("ESCROW_PASSWORD", "wrong")],
    );
    r.fails(2, "wrong password");
    // Right password, no node: unreachable.
    let r = e.run_env(
        &["--account", "alice", "--contract", ALICE, "withdraw"],
        &pw,
    );
    r.fails(3, "no node reachable");
    e.run_env(
        &["account", "import", "alice", "--phrase-file", &phrase],
        &pw,
    )
    .fails(2, "exists already");
}
