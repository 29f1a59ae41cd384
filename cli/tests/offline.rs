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

/// A config with two tokens recorded for the offline runner's URL, both called USDT, and
/// one EURC.
fn with_tokens(e: &Escrow) -> (String, String, String) {
    // Dev accounts' addresses stand in for token contracts: nothing here reaches a chain.
    let (a, b, c) = (
        "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y", // //Charlie
        "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy", // //Dave
        "5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw", // //Eve
    );
    let url = escrow_test_support::cli::NO_NODE_URL;
    let token = |addr: &str, symbol: &str| {
        format!(r#"{{"address":"{addr}","symbol":"{symbol}","name":"{symbol} coin","decimals":6}}"#)
    };
    e.file(
        "config.json",
        &format!(
            r#"{{"deployments":{{}},"tokens":{{"{url}":[{},{},{}]}}}}"#,
            token(a, "USDT"),
            token(b, "USDT"),
            token(c, "EURC")
        ),
    );
    (a.to_string(), b.to_string(), c.to_string())
}

#[test]
fn token_list_shows_the_tokens_recorded_for_the_url() {
    let e = Escrow::offline();
    let r = e.run(&["token", "list"]);
    assert!(
        r.ok().contains("no tokens recorded for ws://127.0.0.1:1"),
        "{r:#?}"
    );
    let (a, _, c) = with_tokens(&e);
    let r = e.run(&["token", "list"]);
    let out = r.ok();
    assert!(
        out.contains(&format!("USDT          6 decimals  {a}  USDT coin")),
        "{r:#?}"
    );
    assert!(
        out.contains(&format!("EURC          6 decimals  {c}  EURC coin")),
        "{r:#?}"
    );
    let v = e.run(&["--json", "token", "list"]).json();
    assert_eq!(v["tokens"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["tokens"][2]["symbol"], "EURC");
}

/// A stale entry (a redeployed stablecoin, say) can be forgotten without a node: by its
/// address, or by its symbol once only one recorded token has it.
#[test]
fn token_remove_forgets_a_recorded_token_and_refuses_what_it_cannot_name() {
    let e = Escrow::offline();
    let (a, b, c) = with_tokens(&e);
    e.run(&["token", "remove", "USDT"]).fails(
        exit::BAD_INPUT,
        &["token remove: ambiguous asset 'USDT'", &a, &b],
    );
    e.run(&["token", "remove", "GBPT"])
        .fails(exit::BAD_INPUT, &["token remove: unknown asset 'GBPT'"]);
    e.run(&["token", "remove", "native"])
        .fails(exit::BAD_INPUT, &["'native' is the native token"]);
    let r = e.run(&["token", "remove", &a]);
    assert!(r.ok().contains(&format!("removed USDT ({a})")), "{r:#?}");
    // Now the symbol names one token, and it goes too.
    let v = e.run(&["--json", "token", "remove", "usdt"]).json();
    assert_eq!(v["removed"]["address"], b.as_str(), "{v}");
    let v = e.run(&["--json", "token", "list"]).json();
    assert_eq!(v["tokens"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["tokens"][0]["address"], c.as_str());
}

#[test]
fn an_unknown_or_ambiguous_asset_symbol_is_bad_input_before_connecting() {
    let e = Escrow::offline();
    let (a, b, _) = with_tokens(&e);
    let propose = |asset: &str| {
        e.run(&[
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
            "--asset",
            asset,
        ])
    };
    // No node: had it got that far, the exit would be 3.
    let r = propose("GBPT");
    r.fails(
        exit::BAD_INPUT,
        &[
            "--asset: unknown asset 'GBPT'",
            "(known: USDT, USDT, EURC)",
            "escrow token add ADDRESS",
        ],
    );
    let r = propose("usdt");
    r.fails(
        exit::BAD_INPUT,
        &["--asset: ambiguous asset 'usdt'", &a, &b, "by its address"],
    );
    // A known symbol, `native` or an address goes on to the node.
    for ok in ["EURC", "native", &a] {
        propose(ok).fails(exit::UNREACHABLE, &["no node reachable"]);
    }
    e.run(&[
        "--suri",
        "//Alice",
        "--contract",
        ALICE,
        "withdraw",
        "--token",
        "GBPT",
    ])
    .fails(exit::BAD_INPUT, &["--token: unknown asset 'GBPT'"]);
    e.run(&[
        "--suri",
        "//Alice",
        "--contract",
        ALICE,
        "withdraw",
        "--token",
        "native",
    ])
    .fails(
        exit::BAD_INPUT,
        &["native payouts are withdrawn without --token"],
    );
    e.run(&[
        "--suri", "//Alice", "token", "mint", "--token", "USDT", "--to", "//Bob", "5",
    ])
    .fails(exit::BAD_INPUT, &["--token: ambiguous asset 'USDT'"]);
}

#[test]
fn token_deploy_refuses_metadata_it_could_not_show_and_amounts_beyond_its_decimals() {
    let e = Escrow::offline();
    let deploy = |extra: &[&str]| {
        let mut args = vec!["--suri", "//Alice", "token", "deploy"];
        args.extend_from_slice(extra);
        e.run(&args)
    };
    deploy(&["--name", "US Dollar", "--symbol", "US D"]).fails(
        exit::BAD_INPUT,
        &["token_symbol \"US D\" contains spaces or control characters"],
    );
    deploy(&[
        "--name",
        "US Dollar",
        "--symbol",
        "USDT",
        "--decimals",
        "39",
    ])
    .fails(exit::BAD_INPUT, &["token_decimals is 39"]);
    deploy(&[
        "--name",
        "US Dollar",
        "--symbol",
        "USDT",
        "--supply",
        "1.0000001",
    ])
    .fails(
        exit::BAD_INPUT,
        &["--supply: '1.0000001': too many decimals (7 given, USDT has 6)"],
    );
    deploy(&[
        "--name",
        "US Dollar",
        "--symbol",
        "USDT",
        "--bundle",
        "/nonexistent/stablecoin.contract",
    ])
    .fails(
        exit::BAD_INPUT,
        &[
            "cannot read the contract bundle /nonexistent/stablecoin.contract",
            "scripts/build-contract.sh contracts/stablecoin --release",
        ],
    );
}

#[test]
fn token_add_and_deal_assign_name_the_bad_argument() {
    let e = Escrow::offline();
    e.run(&["token", "add", "USDT"]).fails(
        exit::BAD_INPUT,
        &["token add: 'USDT'", "give the token's address"],
    );
    e.run(&["token", "add", ALICE])
        .fails(exit::UNREACHABLE, &["no node reachable"]);
    let assign = |to: &str| {
        e.run(&[
            "--suri",
            "//Charlie",
            "--contract",
            ALICE,
            "deal",
            "assign",
            "0",
            "--from",
            "1",
            "--to",
            to,
        ])
    };
    assign("nobody").fails(exit::BAD_INPUT, &["'nobody' is not an account"]);
    assign("//Ferdie").fails(exit::UNREACHABLE, &["no node reachable"]);
    e.run(&["deal", "assign", "0", "--to", "//Ferdie"])
        .fails(exit::BAD_INPUT, &["--from <FROM>"]);
}

#[test]
fn help_documents_assets_approvals_assignment_and_tokens() {
    let e = Escrow::offline();
    let r = e.run(&["deal", "propose", "--help"]);
    assert!(r.ok().contains("--asset <native|ADDRESS|SYMBOL>"), "{r:#?}");
    assert!(r.out.contains("[default: native]"), "{r:#?}");
    let r = e.run(&["deal", "accept", "--help"]);
    for needle in [
        "--no-approve",
        "approved for exactly the amount deposited",
        "naming the token, the\nspender (the escrow), the amount needed and the current allowance",
    ] {
        assert!(
            r.ok().contains(needle),
            "accept --help lacks {needle:?}: {r:#?}"
        );
    }
    assert!(e
        .run(&["deal", "fund", "--help"])
        .ok()
        .contains("--no-approve"));
    let r = e.run(&["deal", "assign", "--help"]);
    assert!(
        r.ok().contains("--from <FROM>") && r.out.contains("--to <TO>"),
        "{r:#?}"
    );
    let r = e.run(&["token", "--help"]);
    for verb in ["deploy", "mint", "approve", "add", "list", "remove"] {
        assert!(r.ok().contains(verb), "token --help lacks {verb}: {r:#?}");
    }
    assert!(e
        .run(&["withdraw", "--help"])
        .ok()
        .contains("--token <ADDRESS|SYMBOL>"));
}
