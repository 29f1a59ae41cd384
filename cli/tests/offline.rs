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
    // Not on a terminal: the mnemonic goes to a 0600 file (see tests/secrets.rs).
    let mnemonic = e.home.path().join("fresh.mnemonic");
    let m = mnemonic.to_str().unwrap();
    let r = e.run_env(
        &["account", "new", "fresh", "--json", "--mnemonic-file", m],
        &pw,
    );
    let v = r.json();
    assert_eq!(v["mnemonic_file"], m, "{r:#?}");
    let written = std::fs::read_to_string(&mnemonic).unwrap();
    assert_eq!(written.trim_end().split(' ').count(), 12);
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

#[test]
fn accept_in_a_script_without_terms_hash_exits_2_before_contacting_the_node() {
    // No node at the URL: had it read or signed anything, the exit would be 3.
    let e = Escrow::offline();
    for extra in [&[][..], &["--yes"], &["--fund", "all"]] {
        let mut args = vec![
            "--suri",
            "//Bob",
            "--contract",
            ALICE,
            "deal",
            "accept",
            "4",
        ];
        args.extend_from_slice(extra);
        let r = e.run(&args);
        r.fails(
            exit::BAD_INPUT,
            &[
                "deal accept without --terms-hash",
                "stdin is not a terminal",
                "--terms-hash 0x",
                "escrow deal show 4",
                "nothing was read or submitted",
            ],
        );
        assert!(!r.err.contains("no node reachable"), "{r:#?}");
    }
    // With the hash it goes on to the node (and finds none).
    let hash = format!("0x{}", "ab".repeat(32));
    e.run(&[
        "--suri",
        "//Bob",
        "--contract",
        ALICE,
        "deal",
        "accept",
        "4",
        "--terms-hash",
        &hash,
    ])
    .fails(exit::UNREACHABLE, &["no node reachable"]);
}

#[test]
fn accept_offer_and_accept_amendment_require_the_value_accepted() {
    let e = Escrow::offline();
    let base = ["--suri", "//Bob", "--contract", ALICE, "deal"];
    let run = |args: &[&str]| {
        let mut full = base.to_vec();
        full.extend_from_slice(args);
        e.run(&full)
    };
    run(&["accept-offer", "0", "1"]).fails(exit::BAD_INPUT, &["required", "<SELLER_AMOUNT>"]);
    run(&["accept-amendment", "0", "1"]).fails(exit::BAD_INPUT, &["required", "<NEW_SHIP_BY>"]);
    // A duration from now names no date on record: refused before anything is read.
    run(&["accept-amendment", "0", "1", "+14d"]).fails(
        exit::BAD_INPUT,
        &["'+14d'", "name the exact date you accept", "not a duration"],
    );
    run(&["accept-amendment", "0", "1", "next week"])
        .fails(exit::BAD_INPUT, &["'next week'", "RFC 3339"]);
    // An exact date (RFC 3339 with milliseconds, or ms) parses, and goes on to the node.
    for date in ["2027-01-30T12:00:00.250Z", "1801310400250"] {
        run(&["accept-amendment", "0", "1", date]).fails(exit::UNREACHABLE, &["no node reachable"]);
    }
    run(&["accept-offer", "0", "1", "18 UNIT"]).fails(exit::UNREACHABLE, &["no node reachable"]);
}

#[test]
fn propose_with_a_funding_deadline_that_is_no_time_is_bad_input_before_connecting() {
    Escrow::offline()
        .run(&[
            "--suri",
            "//Alice",
            "--contract",
            ALICE,
            "deal",
            "propose",
            "--seller",
            "//Bob",
            "--milestone",
            "1",
            "--fund-by",
            "soon",
        ])
        .fails(exit::BAD_INPUT, &["--fund-by", "'soon'"]);
}

#[test]
fn withdraw_to_an_account_that_is_none_is_bad_input() {
    let e = Escrow::offline();
    e.run(&[
        "--suri",
        "//Alice",
        "--contract",
        ALICE,
        "withdraw",
        "--to",
        "nobody",
    ])
    .fails(exit::BAD_INPUT, &["'nobody' is not an account"]);
    e.run(&[
        "--suri",
        "//Alice",
        "--contract",
        ALICE,
        "withdraw",
        "--to",
        "//Ferdie",
    ])
    .fails(exit::UNREACHABLE, &["no node reachable"]);
}

#[test]
fn help_documents_the_deadline_defaults_and_what_accepting_names() {
    let e = Escrow::offline();
    let r = e.run(&["deal", "propose", "--help"]);
    for needle in [
        "--fund-by <FUND_BY>",
        "[default: +7d]",
        "--ship-every <SHIP_EVERY>",
        "[default: 30d]",
        "--funder <FUNDER>",
        "fund-by + (n+1) x --ship-every",
        "ships by 37 days from now, milestone 1 by 67 days",
    ] {
        assert!(
            r.ok().contains(needle),
            "propose --help lacks {needle:?}: {r:#?}"
        );
    }
    let r = e.run(&["deal", "accept", "--help"]);
    for needle in [
        "--terms-hash <TERMS_HASH>",
        "Every term is printed before anything is signed",
        "in a script (stdin not a terminal), or with --yes, it refuses (exit 2)",
    ] {
        assert!(
            r.ok().contains(needle),
            "accept --help lacks {needle:?}: {r:#?}"
        );
    }
    let r = e.run(&["deal", "--help"]);
    for verb in ["withdraw-cancel", "withdraw-amendment"] {
        assert!(r.ok().contains(verb), "deal --help lacks {verb}: {r:#?}");
    }
    assert!(e.run(&["withdraw", "--help"]).ok().contains("--to <TO>"));
}
