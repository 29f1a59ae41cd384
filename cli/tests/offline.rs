//! The `escrow` binary without a chain: bad input (exit 2), no node (exit 3), keystore.

use escrow_test_support::{accounts::ALICE, exit, Escrow};

#[test]
fn no_node_exits_3_and_says_nothing_was_submitted() {
    let e = Escrow::offline();
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
    r.fails(exit::UNREACHABLE, &["no node reachable"]);
    assert!(r.err.contains("nothing was submitted"), "{r:#?}");
    assert!(r.err.contains("scripts/node.sh"), "{r:#?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let r = e.run(&["--contract", ALICE, "deal", "show", "0"]);
    r.fails(exit::UNREACHABLE, &["no node reachable"]);
    let r = e.run(&["--contract", ALICE, "events"]);
    r.fails(exit::UNREACHABLE, &["no node reachable"]);
}

#[test]
fn bad_input_exits_2_naming_the_argument() {
    let e = Escrow::offline();
    e.run(&["deal", "propose", "--seller", ALICE, "--review", "7w"])
        .fails(exit::BAD_INPUT, &["unknown unit"]);
    e.run(&["deal", "propose", "--seller", ALICE, "--fallback", "120%"])
        .fails(exit::BAD_INPUT, &["at most 100"]);
    e.run(&["deal", "show", "seven"])
        .fails(exit::BAD_INPUT, &["invalid digit"]);
    e.run(&["--timeout", "soon", "withdraw"])
        .fails(exit::BAD_INPUT, &["--timeout"]);
    e.run(&["--suri", "//Alice", "--contract", "5Grw", "withdraw"])
        .fails(exit::BAD_INPUT, &["--contract"]);
    e.run(&[
        "--suri",
        "not a valid uri phrase",
        "--contract",
        ALICE,
        "withdraw",
    ])
    .fails(exit::BAD_INPUT, &["--suri"]);
    e.run(&["--suri", "//Alice", "withdraw"])
        .fails(exit::BAD_INPUT, &["no contract known"]);
    e.run(&["withdraw", "--contract", ALICE])
        .fails(exit::BAD_INPUT, &["pass --suri"]);
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
    .fails(exit::BAD_INPUT, &["add up to 90"]);
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
    .fails(exit::BAD_INPUT, &["'nobody' is not an account"]);
    e.run(&[
        "--suri",
        "//Alice",
        "deploy",
        "--bundle",
        "/nonexistent.contract",
    ])
    .fails(exit::BAD_INPUT, &["cannot read the contract bundle"]);
    e.run(&[
        "--url",
        "http://x",
        "--suri",
        "//Alice",
        "--contract",
        ALICE,
        "withdraw",
    ])
    .fails(exit::BAD_INPUT, &["--url"]);
}

#[test]
fn help_documents_exit_codes() {
    let r = Escrow::offline().run(&["--help"]);
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
    let e = Escrow::offline();
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
    r.fails(exit::BAD_INPUT, &["wrong password"]);
    // Right password, no node: unreachable.
    let r = e.run_env(
        &["--account", "alice", "--contract", ALICE, "withdraw"],
        &pw,
    );
    r.fails(exit::UNREACHABLE, &["no node reachable"]);
    e.run_env(
        &["account", "import", "alice", "--phrase-file", &phrase],
        &pw,
    )
    .fails(exit::BAD_INPUT, &["exists already"]);
}
