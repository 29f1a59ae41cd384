//! Bad inputs: each exits with its documented code, names the bad input, and changes
//! nothing on chain; the same for token input (token deals); and regressions of bad-input
//! handling.

use std::collections::BTreeMap;

use escrow_test_support::{
    accounts::{dev_account, dev_keypair},
    artifacts::{bare_pay_bundle, chain_and_stablecoin_available},
    chain::instantiate_foreign,
    chain_available,
    cli::NO_NODE_URL,
    exit, units, Result,
};
use serde_json::Value as Json;
use subxt::utils::H256;

use crate::world::{World, ARBITER, BUYER, OPERATOR, SELLER};

/// One bad input: the command line, extra environment, the documented exit code, and what
/// stderr must say (at least the bad value or the name of the problem).
struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    code: i32,
    needles: Vec<String>,
}

fn case(name: &'static str, args: &[&str], code: i32, needles: &[&str]) -> Case {
    Case {
        name,
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        code,
        needles: needles.iter().map(|s| s.to_string()).collect(),
    }
}

/// What must not change: the best block (no transaction was included), the deal as the
/// contract reports it, the free balances of every tracked account, and their USD balances
/// when the stablecoin is deployed.
#[derive(Debug, PartialEq)]
struct Snapshot {
    best: H256,
    deal: Json,
    balances: BTreeMap<String, u128>,
    usd: Option<BTreeMap<String, u128>>,
}

/// Runs one case; returns what was wrong with the outcome, if anything.
fn run_case(w: &World, c: &Case) -> Option<String> {
    let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = c.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = w.cli.run_env(&args, &env);
    let mut problems = Vec::new();
    if run.code != c.code {
        problems.push(format!("exit {} instead of {}", run.code, c.code));
    }
    for needle in &c.needles {
        if !run.err.contains(needle.as_str()) {
            problems.push(format!("stderr lacks {needle:?}"));
        }
    }
    eprintln!(
        "bad input {:<40} exit {} {}",
        c.name,
        run.code,
        run.err
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or_default()
    );
    (!problems.is_empty()).then(|| format!("{}: {}\n{run:#?}", c.name, problems.join("; ")))
}

async fn snapshot(w: &World, deal: u64) -> Result<Snapshot> {
    let (best, _) = w.chain.best().await?;
    let usd = match &w.usd {
        Some(usd) => Some(usd.balances().await?),
        None => None,
    };
    Ok(Snapshot {
        best,
        deal: w.cli.deal(deal),
        balances: w.ledger.balances(&w.chain).await?,
        usd,
    })
}

/// Runs every case, asserting after each that nothing changed (deal `deal` included);
/// fails listing every case whose outcome was not as documented.
async fn run_cases(w: &World, deal: u64, cases: &[Case]) -> Result<()> {
    let mut failures = Vec::new();
    for c in cases {
        let before = snapshot(w, deal).await?;
        failures.extend(run_case(w, c));
        let after = snapshot(w, deal).await?;
        assert_eq!(before, after, "{}: the chain changed", c.name);
    }
    eprintln!("{} bad inputs checked", cases.len());
    assert!(
        failures.is_empty(),
        "{} bad input(s) not handled as documented:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    Ok(())
}

/// Every bad input exits with its documented code, names the problem, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_exit_with_their_code_name_the_input_and_change_nothing() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, ARBITER], false).await?;
    // given: an active, fully funded deal 0 (100 UNIT, 30/40/30)
    let id = w.cli.propose(
        SELLER.1,
        &["--buyer", BUYER.1, "--total", "100", "--split", "30,40,30"],
    );
    assert_eq!(id, 0);
    w.cli.accept(BUYER.1, 0, &["--fund", "all"]);
    w.ledger.pay(BUYER.0, "contract", units(100));
    // a keystore account "buyer" (//Bob) with the password "secret"
    let phrase = w.cli.file("phrase.txt", "//Bob");
    w.cli
        .run_env(
            &["account", "import", "buyer", "--phrase-file", &phrase],
            &[("ESCROW_PASSWORD", "secret")],
        )
        .ok();
    // a contract that is not the escrow, and an account that is no contract at all
    let foreign = instantiate_foreign(&w.chain, &dev_keypair(OPERATOR), &bare_pay_bundle()?, &[])
        .await?
        .to_string();
    let not_a_contract = dev_account(ARBITER.1).to_string();
    w.check("before the bad inputs").await?;

    const BAD_SS58: &str = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694tX";
    const U128_MAX_PLUS_1: &str = "340282366920938463463374607431768211456planck";
    // u128::MAX is about 3.4e26 UNIT (12 decimals).
    const U128_MAX_UNITS: &str = "340282366920938463463374607432";
    let propose = |extra: &[&str]| -> Vec<String> {
        let mut v = vec!["--suri", SELLER.1, "deal", "propose"];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect()
    };
    let p = |name, extra: &[&str], code, needles: &[&str]| Case {
        args: propose(extra),
        ..case(name, &[], code, needles)
    };
    let fund = |amount: &str| -> Vec<String> {
        ["--suri", BUYER.1, "deal", "fund", "0", amount]
            .map(String::from)
            .to_vec()
    };
    let cases = vec![
        // malformed addresses
        p(
            "malformed SS58 address",
            &["--buyer", BAD_SS58, "--total", "100", "--split", "30,40,30"],
            exit::BAD_INPUT,
            &[BAD_SS58, "is not an account"],
        ),
        p(
            "hex address of the wrong length",
            &["--buyer", "0x1234", "--total", "100", "--split", "30,40,30"],
            exit::BAD_INPUT,
            &["'0x1234'"],
        ),
        p(
            "oracle that is no account",
            &["--buyer", BUYER.1, "--oracle", "ferdie", "--milestone", "5"],
            exit::BAD_INPUT,
            &["'ferdie'"],
        ),
        // zero, negative and overflowing amounts
        Case {
            args: fund("0"),
            ..case(
                "zero deposit",
                &[],
                exit::BAD_INPUT,
                &["amount", "more than zero"],
            )
        },
        p(
            "zero milestone",
            &["--buyer", BUYER.1, "--milestone", "0", "--milestone", "5"],
            exit::BAD_INPUT,
            &["--milestone 0", "more than zero"],
        ),
        p(
            "zero total",
            &["--buyer", BUYER.1, "--total", "0", "--split", "30,40,30"],
            exit::BAD_INPUT,
            &["--split 30,40,30", "would get nothing"],
        ),
        Case {
            args: fund("-5"),
            ..case("negative deposit", &[], exit::BAD_INPUT, &["'-5'"])
        },
        p(
            "negative total",
            &["--buyer", BUYER.1, "--total=-5", "--split", "30,40,30"],
            exit::BAD_INPUT,
            &["'-5'", "negative"],
        ),
        p(
            "total above u128::MAX",
            &[
                "--buyer",
                BUYER.1,
                "--total",
                U128_MAX_UNITS,
                "--split",
                "50,50",
            ],
            exit::BAD_INPUT,
            &["--total", U128_MAX_UNITS, "too large"],
        ),
        p(
            "total above u128::MAX, in planck",
            &[
                "--buyer",
                BUYER.1,
                "--total",
                U128_MAX_PLUS_1,
                "--split",
                "50,50",
            ],
            exit::BAD_INPUT,
            &["--total", U128_MAX_PLUS_1],
        ),
        Case {
            args: fund("400000000000000000000000000 UNIT"),
            ..case(
                "deposit above u128::MAX",
                &[],
                exit::BAD_INPUT,
                &["400000000000000000000000000", "too large"],
            )
        },
        Case {
            args: fund("1.0000000000001"),
            ..case(
                "more decimals than the token has",
                &[],
                exit::BAD_INPUT,
                &["1.0000000000001", "too many decimals"],
            )
        },
        Case {
            args: fund("1"),
            ..case(
                "deposit beyond the deal total",
                &[],
                exit::REJECTED,
                &["OverFunded"],
            )
        },
        // splits that do not add up to 100
        p(
            "split adding up to 90",
            &["--buyer", BUYER.1, "--total", "100", "--split", "30,40,20"],
            exit::BAD_INPUT,
            &["--split 30,40,20", "add up to 90, not 100"],
        ),
        p(
            "split adding up to 110",
            &["--buyer", BUYER.1, "--total", "100", "--split", "60,50"],
            exit::BAD_INPUT,
            &["--split 60,50", "110"],
        ),
        // times
        p(
            "ship-by in the past",
            &["--buyer", BUYER.1, "--milestone", "5@2020-01-01T00:00:00Z"],
            exit::REJECTED,
            &["ShipByInPast"],
        ),
        p(
            "ship-by that is no time",
            &["--buyer", BUYER.1, "--milestone", "5@tomorrow"],
            exit::BAD_INPUT,
            &["'tomorrow'"],
        ),
        p(
            "review window that is no duration",
            &["--buyer", BUYER.1, "--milestone", "5", "--review", "7x"],
            exit::BAD_INPUT,
            &["7x"],
        ),
        p(
            "funding deadline in the past",
            &[
                "--buyer",
                BUYER.1,
                "--milestone",
                "5",
                "--fund-by",
                "2020-01-01T00:00:00Z",
            ],
            exit::REJECTED,
            &["FundByInPast"],
        ),
        p(
            "funding deadline that is no time",
            &["--buyer", BUYER.1, "--milestone", "5", "--fund-by", "soon"],
            exit::BAD_INPUT,
            &["--fund-by", "'soon'"],
        ),
        p(
            "ship-by spacing that is no duration",
            &["--buyer", BUYER.1, "--milestone", "5", "--ship-every", "1w"],
            exit::BAD_INPUT,
            &["--ship-every", "1w"],
        ),
        // acceptances that do not name what they accept
        case(
            "accept in a script without the terms hash",
            &["--suri", BUYER.1, "deal", "accept", "0"],
            exit::BAD_INPUT,
            &[
                "--terms-hash",
                "stdin is not a terminal",
                "nothing was read or submitted",
            ],
        ),
        case(
            "accept-offer without the share accepted",
            &["--suri", BUYER.1, "deal", "accept-offer", "0", "0"],
            exit::BAD_INPUT,
            &["<SELLER_AMOUNT>"],
        ),
        case(
            "accept-amendment naming a duration, not the date",
            &[
                "--suri",
                BUYER.1,
                "deal",
                "accept-amendment",
                "0",
                "0",
                "+1d",
            ],
            exit::BAD_INPUT,
            &["'+1d'", "not a duration"],
        ),
        // a deposit by someone the terms do not name
        case(
            "deposit by neither the buyer nor the named funder",
            &["--suri", ARBITER.1, "deal", "fund", "0", "1"],
            exit::REJECTED,
            &["CallerIsNotFunder"],
        ),
        // unknown deal and milestone
        case(
            "unknown deal (transaction)",
            &["--suri", BUYER.1, "deal", "fund", "7", "1"],
            exit::REJECTED,
            &["DealNotFound"],
        ),
        case(
            "unknown deal (read)",
            &["deal", "show", "7"],
            exit::REJECTED,
            &["DealNotFound"],
        ),
        case(
            "unknown milestone",
            &["--suri", BUYER.1, "deal", "approve", "0", "9"],
            exit::REJECTED,
            &["MilestoneNotFound"],
        ),
        // keystore
        Case {
            env: vec![("ESCROW_PASSWORD", "wrong".to_string())],
            ..case(
                "wrong keystore password",
                &["--account", "buyer", "deal", "fund", "0", "1"],
                exit::BAD_INPUT,
                &["--account buyer", "wrong password"],
            )
        },
        Case {
            env: vec![("ESCROW_PASSWORD", "secret".to_string())],
            ..case(
                "unknown keystore account",
                &["--account", "nobody", "deal", "fund", "0", "1"],
                exit::BAD_INPUT,
                &["nobody"],
            )
        },
        // contract address
        case(
            "malformed contract address",
            &[
                "--contract",
                BAD_SS58,
                "--suri",
                BUYER.1,
                "deal",
                "fund",
                "0",
                "1",
            ],
            exit::BAD_INPUT,
            &["--contract", BAD_SS58],
        ),
        // The CLI checks the code hash at the address before anything else: a wrong
        // address is a configuration error (exit 2), not a contract rejection.
        case(
            "no contract at the address",
            &[
                "--contract",
                &not_a_contract,
                "--suri",
                BUYER.1,
                "deal",
                "approve",
                "0",
                "0",
            ],
            exit::BAD_INPUT,
            &[&not_a_contract, "no contract at this address"],
        ),
        case(
            "a contract that is not the escrow",
            &[
                "--contract",
                &foreign,
                "--suri",
                BUYER.1,
                "deal",
                "approve",
                "0",
                "0",
            ],
            exit::BAD_INPUT,
            &[&foreign, "not a milestone-escrow contract"],
        ),
        // the node
        case(
            "no node at the URL",
            &[
                "--url",
                NO_NODE_URL,
                "--suri",
                BUYER.1,
                "deal",
                "approve",
                "0",
                "0",
            ],
            exit::UNREACHABLE,
            &[NO_NODE_URL, "nothing was submitted"],
        ),
    ];

    let mut failures = Vec::new();
    for c in &cases {
        let before = snapshot(&w, 0).await?;
        failures.extend(run_case(&w, c));
        let after = snapshot(&w, 0).await?;
        assert_eq!(before, after, "{}: the chain changed", c.name);
    }

    // a truncated keystore file
    let file = w.cli.home.path().join("keystore/buyer.json");
    let full = std::fs::read(&file)?;
    std::fs::write(&file, &full[..full.len() / 3])?;
    let truncated = Case {
        env: vec![("ESCROW_PASSWORD", "secret".to_string())],
        ..case(
            "truncated keystore file",
            &["--account", "buyer", "deal", "fund", "0", "1"],
            exit::BAD_INPUT,
            &["buyer.json", "corrupt"],
        )
    };
    let before = snapshot(&w, 0).await?;
    failures.extend(run_case(&w, &truncated));
    assert_eq!(
        before,
        snapshot(&w, 0).await?,
        "truncated keystore: the chain changed"
    );
    std::fs::write(&file, &full)?;
    eprintln!("{} bad inputs checked", cases.len() + 1);

    assert!(
        failures.is_empty(),
        "{} bad input(s) not handled as documented:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // The ledger agrees too: nothing but the setup moved money.
    w.check("after the bad inputs").await
}

/// Bad token input, in the commands cli/tests/tokens.rs does not already cover with it:
/// an address that is no PSP22 token (a contract that is not one, an account without a
/// contract) where a token is named, an amount with more decimals than the token has (6),
/// an amount in another asset's unit, and a malformed token address. Each exits 2, names
/// the input, and signs nothing: no block, no deal, native or USD balance changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_inputs_exit_with_their_code_name_the_input_and_sign_nothing() -> Result<()> {
    if !chain_and_stablecoin_available() {
        return Ok(());
    }
    let mut w = World::start(&[BUYER, SELLER, ARBITER], false).await?;
    w.stablecoin().await?;
    // given: deal 0, 100 USD in 30/40/30, accepted and funded; deal 1, proposed in USD
    let usd_deal = ["--buyer", BUYER.1, "--arbiter", ARBITER.1, "--asset", "USD"];
    let id = w.cli.propose(
        SELLER.1,
        &[
            &usd_deal[..],
            &["--total", "100 USD", "--split", "30,40,30"],
        ]
        .concat(),
    );
    assert_eq!(id, 0);
    w.cli.accept(BUYER.1, 0, &["--fund", "all"]);
    w.usd().pay(BUYER.0, "contract", 100_000_000);
    let proposed = w
        .cli
        .propose(SELLER.1, &[&usd_deal[..], &["--milestone", "5"]].concat());
    let proposed_hash = w.cli.terms_hash(proposed);
    // a contract that is no token, and an account that is no contract at all
    let foreign = instantiate_foreign(&w.chain, &dev_keypair(OPERATOR), &bare_pay_bundle()?, &[])
        .await?
        .to_string();
    let not_a_contract = dev_account(ARBITER.1).to_string();
    w.check("before the bad inputs").await?;

    let not_psp22 =
        format!("{foreign} is not a usable PSP22 token: it is not a PSP22 token contract");
    let no_contract = format!(
        "{not_a_contract} is not a usable PSP22 token: there is no contract at this address"
    );
    let cases = vec![
        // an address that is not a PSP22 token, wherever a token is named
        case(
            "deal in a contract that is no token",
            &[
                "--suri",
                SELLER.1,
                "deal",
                "propose",
                "--buyer",
                BUYER.1,
                "--milestone",
                "5",
                "--asset",
                &foreign,
            ],
            exit::BAD_INPUT,
            &[&not_psp22, "nothing was submitted"],
        ),
        case(
            "record a contract that is no token",
            &["token", "add", &foreign],
            exit::BAD_INPUT,
            &[&not_psp22],
        ),
        case(
            "mint a contract that is no token",
            &[
                "--suri", OPERATOR, "token", "mint", "--token", &foreign, "--to", BUYER.1, "1",
            ],
            exit::BAD_INPUT,
            &[&not_psp22],
        ),
        case(
            "approve on an account that is no contract",
            &[
                "--suri",
                BUYER.1,
                "token",
                "approve",
                "--token",
                &not_a_contract,
                "1",
            ],
            exit::BAD_INPUT,
            &[&no_contract],
        ),
        case(
            "malformed token address",
            &[
                "--suri",
                SELLER.1,
                "deal",
                "propose",
                "--buyer",
                BUYER.1,
                "--milestone",
                "5",
                "--asset",
                "0x1234",
            ],
            exit::BAD_INPUT,
            &["--asset: unknown asset '0x1234'"],
        ),
        // amounts with more decimals than USD has, in every command that takes one
        case(
            "deposit with 7 decimals",
            &["--suri", BUYER.1, "deal", "fund", "0", "1.0000001"],
            exit::BAD_INPUT,
            &["amount: '1.0000001': too many decimals (7 given, USD has 6)"],
        ),
        case(
            "acceptance funding 7 decimals",
            &[
                "--suri",
                BUYER.1,
                "deal",
                "accept",
                &proposed.to_string(),
                "--terms-hash",
                &proposed_hash,
                "--fund",
                "4.0000001",
            ],
            exit::BAD_INPUT,
            &["--fund: '4.0000001': too many decimals (7 given, USD has 6)"],
        ),
        case(
            "settlement offer with 7 decimals",
            &["--suri", SELLER.1, "deal", "offer", "0", "2", "0.0000001"],
            exit::BAD_INPUT,
            &["seller share: '0.0000001': too many decimals (7 given, USD has 6)"],
        ),
        case(
            "ruling with 7 decimals",
            &[
                "--suri",
                ARBITER.1,
                "deal",
                "resolve",
                "0",
                "2",
                "1.0000001 USD",
            ],
            exit::BAD_INPUT,
            &["seller share: '1.0000001 USD': too many decimals (7 given, USD has 6)"],
        ),
        case(
            "mint with 7 decimals",
            &[
                "--suri",
                OPERATOR,
                "token",
                "mint",
                "--token",
                "USD",
                "--to",
                BUYER.1,
                "0.0000001",
            ],
            exit::BAD_INPUT,
            &["amount: '0.0000001': too many decimals (7 given, USD has 6)"],
        ),
        case(
            "approval with 7 decimals",
            &[
                "--suri",
                BUYER.1,
                "token",
                "approve",
                "--token",
                "USD",
                "1.0000001",
            ],
            exit::BAD_INPUT,
            &["amount: '1.0000001': too many decimals (7 given, USD has 6)"],
        ),
        // an amount in the native unit for a USD deal
        case(
            "deposit in UNIT into a USD deal",
            &["--suri", BUYER.1, "deal", "fund", "0", "1 UNIT"],
            exit::BAD_INPUT,
            &["'1 UNIT': unknown unit 'UNIT' (this amount is in USD)"],
        ),
    ];
    run_cases(&w, 0, &cases).await?;
    // The ledgers agree too: nothing but the setup moved money.
    w.check("after the bad token inputs").await
}

/// Regression: milestones whose amounts add up past u128::MAX must be a bad input (exit 2),
/// like a single amount that is too large. The CLI sums them unchecked in
/// `cli/src/commands/propose.rs` and panics ("attempt to add with overflow", exit 101)
/// before submitting anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regress_propose_with_milestones_overflowing_u128_is_bad_input() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let w = World::start(&[BUYER, SELLER], false).await?;
    let (before, _) = w.chain.best().await?;
    w.cli
        .run(&[
            "--suri",
            SELLER.1,
            "deal",
            "propose",
            "--buyer",
            BUYER.1,
            "--milestone",
            "340282366920938463463374607431768211455planck",
            "--milestone",
            "1planck",
        ])
        .fails(exit::BAD_INPUT, &["too large"]);
    assert_eq!(w.chain.best().await?.0, before);
    Ok(())
}

/// Regression: a read (`deal show`) against a contract that is not the escrow must say so
/// and name the address, like transactions do (exit 2). It used to exit 1 with "rejected:
/// the read reverted", which named neither the address nor the cause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regress_read_against_a_foreign_contract_names_it() -> Result<()> {
    if !chain_available() {
        return Ok(());
    }
    let w = World::start(&[BUYER, SELLER], false).await?;
    let foreign = instantiate_foreign(&w.chain, &dev_keypair(OPERATOR), &bare_pay_bundle()?, &[])
        .await?
        .to_string();
    w.cli
        .run(&["--contract", &foreign, "deal", "show", "0"])
        .fails(
            exit::BAD_INPUT,
            &[&foreign, "not a milestone-escrow contract"],
        );
    Ok(())
}
