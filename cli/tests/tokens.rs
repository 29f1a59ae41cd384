//! Token deals (issue 15) with the real `escrow` binary against a real `escrow-node`: the
//! reference stablecoin deployed and recorded with `escrow token deploy`, a deal proposed in
//! it by symbol, accepted with `--fund` (the approval path: approve exactly the deposit,
//! accept, fund_tokens), a receivable assigned to a factor who is then paid, exact token
//! balances of every account; and what is refused before anything is signed: a missing
//! approval with `--no-approve`, an address that is not a token, a token without metadata,
//! an amount with more decimals than the token has. Skipped (with a message) when the
//! node, the escrow's bundle or the stablecoin's bundle is not built.

use escrow_client::token::Psp22;
use escrow_test_support::{
    accounts::{dev_account, dev_keypair, ALICE, BOB},
    artifacts::{chain_and_stablecoin_available, stablecoin_bundle},
    block_on,
    chain::instantiate_foreign,
    exit, Chain, Escrow, TestNode,
};
use scale::Encode;
use subxt::utils::AccountId32;

/// One USDT in its smallest unit (6 decimals).
const USDT: u128 = 1_000_000;

/// Deploys the escrow (1% fee to Alice) and, as Alice, the stablecoin USDT with a supply of
/// 1,000,000 USDT; mints `mint` USDT to each of `to`. Returns the runner and the token.
fn escrow_and_usdt(node: &TestNode, to: &[&str], mint: &str) -> (Escrow, AccountId32) {
    let mut e = Escrow::new(node.url());
    e.deploy("//Alice", 100, ALICE);
    let bundle = stablecoin_bundle();
    let r = e.run(&[
        "--suri",
        "//Alice",
        "--json",
        "token",
        "deploy",
        "--bundle",
        bundle.to_str().expect("UTF-8 path"),
        "--name",
        "Tether USD",
        "--symbol",
        "USDT",
        "--supply",
        "1000000",
    ]);
    let v = r.json();
    assert_eq!(
        (v["recorded"].clone(), v["decimals"].clone()),
        (serde_json::json!(true), serde_json::json!(6)),
        "{r:#?}"
    );
    let token: AccountId32 = v["contract"]
        .as_str()
        .expect("token address")
        .parse()
        .expect("SS58");
    let list = e.run(&["token", "list"]);
    assert!(
        list.ok()
            .contains(&format!("USDT          6 decimals  {token}  Tether USD")),
        "{list:#?}"
    );
    for who in to {
        let tx = e.tx(
            "//Alice",
            &["token", "mint", "--token", "USDT", "--to", who, mint],
        );
        assert_eq!(tx.json["message"], "mint_to", "{:#?}", tx.run);
    }
    (e, token)
}

/// `who`'s balance of `token`, read from the chain.
fn balance(e: &Escrow, token: &AccountId32, who: &AccountId32) -> u128 {
    block_on(async {
        let chain = std::sync::Arc::new(Chain::connect(&e.url).await?);
        let (best, _) = chain.best().await?;
        let (t, _) = Psp22::load(chain, token.clone(), best).await?;
        t.balance_of(best, who).await
    })
    .unwrap_or_else(|err| panic!("balance of {who}: {err}"))
}

/// What `spender` may take of `owner`'s `token`.
fn allowance(e: &Escrow, token: &AccountId32, owner: &AccountId32, spender: &AccountId32) -> u128 {
    block_on(async {
        let chain = std::sync::Arc::new(Chain::connect(&e.url).await?);
        let (best, _) = chain.best().await?;
        let (t, _) = Psp22::load(chain, token.clone(), best).await?;
        t.allowance(best, owner, spender).await
    })
    .unwrap_or_else(|err| panic!("allowance of {owner} to {spender}: {err}"))
}

/// Asserts the USDT balance of every `(label, account, expected)` to the smallest unit.
fn assert_balances(e: &Escrow, token: &AccountId32, expected: &[(&str, &AccountId32, u128)]) {
    for (label, who, want) in expected {
        assert_eq!(balance(e, token, who), *want, "USDT balance of {label}");
    }
}

#[test]
fn a_stablecoin_deal_accepted_with_fund_approves_exactly_the_deposit_and_pays_the_assignee() {
    if !chain_and_stablecoin_available() {
        return;
    }
    let node = TestNode::start();
    let (e, token) = escrow_and_usdt(&node, &["//Bob"], "5000");
    let escrow = e.contract_account();
    let (alice, bob, charlie, ferdie) = (
        dev_account("//Alice"),
        dev_account("//Bob"),
        dev_account("//Charlie"),
        dev_account("//Ferdie"),
    );

    // The seller proposes 1,000 USDT in 30/40/30 with an advance, naming the asset by symbol.
    let id = e.propose(
        "//Charlie",
        &[
            "--buyer",
            "//Bob",
            "--arbiter",
            "//Dave",
            "--total",
            "1000 USDT",
            "--split",
            "30,40,30",
            "--advance",
            "--asset",
            "USDT",
        ],
    );
    let shown = e.deal(id);
    assert_eq!(shown["asset"]["symbol"], "USDT", "{shown}");
    assert_eq!(shown["asset"]["address"], token.to_string(), "{shown}");
    assert_eq!(
        shown["deal"]["deal"]["asset"]["Psp22"],
        token.to_string(),
        "{shown}"
    );
    assert_eq!(shown["deal"]["deal"]["total"], (1_000 * USDT).to_string());
    let human = e.run(&["deal", "show", &id.to_string()]);
    assert!(
        human.ok().contains(&format!(
            "asset        USDT (PSP22 token {token}, 6 decimals)"
        )) && human.out.contains("#1 400 USDT Pending"),
        "{human:#?}"
    );

    // The buyer accepts and funds it all: approve exactly 1,000 USDT, accept, fund_tokens.
    let nonce = node.nonce("//Bob");
    let tx = e.accept("//Bob", id, &["--fund", "all"]);
    assert_eq!(
        tx.steps(),
        ["approve", "accept", "fund_tokens"],
        "{:#?}",
        tx.run
    );
    assert_eq!(tx.json["steps"][0]["contract"], token.to_string());
    assert_eq!(tx.json["steps"][1]["contract"], escrow.to_string());
    assert_eq!(
        tx.events(),
        ["DealAccepted", "DealFunded", "MilestoneReleased"],
        "{:#?}",
        tx.run
    );
    let advance = &tx.events_named("MilestoneReleased")[0];
    assert_eq!(advance["amount"], (297 * USDT).to_string());
    assert_eq!(advance["fee"], (3 * USDT).to_string());
    assert_eq!(advance["payee"], charlie.to_string());
    assert!(
        tx.run.err.contains(&format!(
            "approving the escrow {escrow} for exactly 1000 USDT on the token {token} (allowance 0 USDT is short)"
        )),
        "{:#?}",
        tx.run
    );
    assert_eq!(
        node.nonce("//Bob"),
        nonce + 3,
        "three transactions, once each"
    );
    assert_eq!(
        allowance(&e, &token, &bob, &escrow),
        0,
        "exactly the deposit"
    );
    assert_balances(
        &e,
        &token,
        &[
            ("buyer", &bob, 4_000 * USDT),
            ("seller", &charlie, 297 * USDT),
            ("fee recipient", &alice, 1_000_000 * USDT + 3 * USDT),
            ("escrow", &escrow, 700 * USDT),
        ],
    );

    // The seller assigns milestones 1 and 2 to a factor; only the unsettled ones change.
    let id_s = id.to_string();
    let tx = e.tx(
        "//Charlie",
        &["deal", "assign", &id_s, "--from", "0", "--to", "//Ferdie"],
    );
    assert_eq!(tx.events(), ["ReceivableAssigned"], "{:#?}", tx.run);
    assert_eq!(tx.ret(), 2);
    assert!(
        tx.run.err.contains(&format!(
            "#1 400 USDT: paid {charlie} until now, {ferdie} from now on"
        )) && !tx.run.err.contains("#0 "),
        "{:#?}",
        tx.run
    );
    // Nobody else may assign: the seller no longer can either.
    e.run(&[
        "--suri",
        "//Charlie",
        "deal",
        "assign",
        &id_s,
        "--from",
        "1",
        "--to",
        "//Eve",
    ])
    .fails(exit::REJECTED, &["CallerIsNotPayee"]);
    let evidence = format!("0x{}", "a1".repeat(32));
    e.tx(
        "//Charlie",
        &["deal", "submit", &id_s, "1", "--evidence-hash", &evidence],
    );
    let tx = e.tx("//Bob", &["deal", "approve", &id_s, "1"]);
    let paid = &tx.events_named("MilestoneReleased")[0];
    assert_eq!(paid["payee"], ferdie.to_string(), "{:#?}", tx.run);
    assert_eq!(paid["amount"], (396 * USDT).to_string());
    assert_balances(
        &e,
        &token,
        &[
            ("buyer", &bob, 4_000 * USDT),
            ("seller", &charlie, 297 * USDT),
            ("factor", &ferdie, 396 * USDT),
            ("fee recipient", &alice, 1_000_000 * USDT + 7 * USDT),
            ("escrow", &escrow, 300 * USDT),
        ],
    );
    let human = e.run(&["deal", "show", &id_s]);
    assert!(
        human
            .ok()
            .contains(&format!("pays {ferdie} (receivable assigned)")),
        "{human:#?}"
    );
    let acct = e.run(&["--json", "account", "show", "//Ferdie"]).json();
    assert_eq!(acct["tokens"][0]["symbol"], "USDT", "{acct}");
    assert_eq!(acct["tokens"][0]["balance"], (396 * USDT).to_string());
    assert_eq!(acct["tokens"][0]["claimable"], "0");
    let lines = e.run(&["--json", "events", "--deal", &id_s]);
    for line in lines.ok().lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert_eq!(v["asset_info"]["symbol"], "USDT", "{line}");
    }
    let events = e.run(&["events", "--deal", &id_s]);
    assert!(
        events.ok().contains("MilestoneReleased amount=396USDT")
            && events.out.contains(&format!(
                "USDT (PSP22 token {token}, 6 decimals): 7 event(s): deposited 1000 USDT, \
                 released 693 USDT, fees 7 USDT, refunded 0 USDT"
            )),
        "{events:#?}"
    );
    let audit = e.run(&["audit", "--best", &id_s]);
    assert!(
        audit.ok().contains("audit ok") && audit.out.contains("milestone 2 payee"),
        "{audit:#?}"
    );
    let list = e.run(&["deal", "list"]);
    assert!(
        list.ok().contains("USDT") && list.out.contains("1000 USDT"),
        "{list:#?}"
    );
    // A native deal next to it stays in UNIT.
    let native = e.propose("//Bob", &["--seller", "//Charlie", "--milestone", "5"]);
    assert_eq!(e.deal(native)["asset"]["kind"], "native");
}

/// Instantiates the stablecoin bundle with a name but no symbol, straight through
/// `Contracts` (the CLI refuses to deploy a token without metadata); returns its address.
fn token_without_symbol(url: &str) -> AccountId32 {
    block_on(async {
        let chain = Chain::connect(url).await?;
        let args = (Some("Nameless".to_string()), None::<String>, 6u8, 0u128).encode();
        let signer = dev_keypair("//Alice");
        instantiate_foreign(&chain, &signer, &stablecoin_bundle(), &args).await
    })
    .unwrap_or_else(|err| panic!("instantiate a token without a symbol: {err}"))
}

#[test]
fn a_missing_approval_and_unusable_tokens_are_refused_before_anything_is_signed() {
    if !chain_and_stablecoin_available() {
        return;
    }
    let node = TestNode::start();
    let (e, token) = escrow_and_usdt(&node, &["//Bob"], "100");
    let escrow = e.contract_account();
    let bob = dev_account("//Bob");
    let id = e.propose(
        "//Charlie",
        &["--buyer", "//Bob", "--milestone", "100", "--asset", "USDT"],
    );
    let id_s = id.to_string();
    let hash = e.terms_hash(id);
    // An allowance short of the deposit (an approval replaces the one before).
    e.tx("//Bob", &["token", "approve", "--token", "USDT", "50"]);
    assert_eq!(allowance(&e, &token, &bob, &escrow), 50 * USDT);
    let tx = e.tx("//Bob", &["token", "approve", "--token", "USDT", "40"]);
    assert_eq!(tx.json["message"], "approve", "{:#?}", tx.run);
    assert_eq!(allowance(&e, &token, &bob, &escrow), 40 * USDT);

    let nonce = node.nonce("//Bob");
    let r = e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "accept",
        &id_s,
        "--terms-hash",
        &hash,
        "--fund",
        "all",
        "--no-approve",
    ]);
    r.fails(
        exit::REJECTED,
        &[
            &format!("missing approval: the escrow may not pull this deposit from {bob}"),
            &format!("token      {token} (USDT)"),
            &format!("spender    {escrow} (the escrow)"),
            "needed     100 USDT",
            "allowance  40 USDT",
            "nothing was submitted",
        ],
    );
    assert!(!r.err.contains("submitting tx"), "{r:#?}");
    assert_eq!(node.nonce("//Bob"), nonce, "nothing signed");
    assert_eq!(e.deal_status(id), "Proposed");
    assert_eq!(allowance(&e, &token, &bob, &escrow), 40 * USDT);
    assert_eq!(balance(&e, &token, &bob), 100 * USDT);

    // `deal fund` on the accepted deal: the allowance covers 40 USDT (one transaction), a
    // further 60 USDT needs an approval: refused with --no-approve, approved for exactly 60
    // USDT without it.
    e.accept("//Bob", id, &[]);
    let nonce = node.nonce("//Bob");
    let tx = e.tx("//Bob", &["deal", "fund", &id_s, "40"]);
    assert_eq!(tx.events(), ["DealFunded"], "{:#?}", tx.run);
    assert!(tx.json.get("steps").is_none(), "{:#?}", tx.run);
    assert_eq!(node.nonce("//Bob"), nonce + 1);
    e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "fund",
        &id_s,
        "60",
        "--no-approve",
    ])
    .fails(
        exit::REJECTED,
        &[
            "missing approval",
            "needed     60 USDT",
            "allowance  0 USDT",
        ],
    );
    assert_eq!(node.nonce("//Bob"), nonce + 1, "nothing signed");
    // On a terminal the whole plan is shown and confirmed once; "n" cancels it all.
    let (code, shown) = e.run_tty(&["--suri", "//Bob", "deal", "fund", &id_s, "60"], "n\n");
    assert_eq!(code, exit::CANCELLED, "{shown}");
    for needle in [
        format!("sign these transactions as {bob}:"),
        format!("1. approve the escrow {escrow} for exactly 60 USDT on the token {token}"),
        format!("2. fund_tokens: deposit 60 USDT into deal {id}"),
        "submit? [y/N]".to_string(),
    ] {
        assert!(shown.contains(&needle), "lacks {needle:?}: {shown}");
    }
    assert_eq!(node.nonce("//Bob"), nonce + 1, "nothing signed");
    let tx = e.tx("//Bob", &["deal", "fund", &id_s, "60 USDT"]);
    assert_eq!(tx.steps(), ["approve", "fund_tokens"], "{:#?}", tx.run);
    assert_eq!(tx.events(), ["DealFunded"]);
    assert_eq!(node.nonce("//Bob"), nonce + 3);
    assert_eq!(balance(&e, &token, &bob), 0);
    assert_eq!(balance(&e, &token, &escrow), 100 * USDT);
    assert_eq!(allowance(&e, &token, &bob, &escrow), 0);
    // No token payout was refused: nothing to withdraw in USDT.
    e.run(&["--suri", "//Bob", "withdraw", "--token", "USDT"])
        .fails(exit::REJECTED, &["NothingToWithdraw"]);

    // More than the buyer holds: named, nothing signed.
    e.tx(
        "//Alice",
        &["token", "mint", "--token", "USDT", "--to", "//Bob", "100"],
    );
    let nonce = node.nonce("//Bob");
    let id2 = e.propose(
        "//Charlie",
        &[
            "--buyer",
            "//Bob",
            "--milestone",
            "100.000001",
            "--asset",
            "USDT",
        ],
    );
    let hash2 = e.terms_hash(id2);
    let r = e.run(&[
        "--suri",
        "//Bob",
        "deal",
        "accept",
        &id2.to_string(),
        "--terms-hash",
        &hash2,
        "--fund",
        "all",
    ]);
    r.fails(
        exit::REJECTED,
        &[&format!(
            "{bob} holds 100 USDT of the token {token} (USDT), less than the 100.000001 USDT to deposit"
        )],
    );
    assert_eq!(node.nonce("//Bob"), nonce, "nothing signed");

    // Bad input, exit 2, nothing signed: an amount with more decimals than the token has,
    // an address that is no contract, a contract that is not a token, a token without a
    // symbol.
    let charlie_nonce = node.nonce("//Charlie");
    let propose = |asset: &str, amount: &str| {
        e.run(&[
            "--suri",
            "//Charlie",
            "deal",
            "propose",
            "--buyer",
            "//Bob",
            "--milestone",
            amount,
            "--asset",
            asset,
        ])
    };
    propose("USDT", "1.0000001").fails(
        exit::BAD_INPUT,
        &["--milestone 0: '1.0000001': too many decimals (7 given, USDT has 6)"],
    );
    propose(BOB, "1").fails(
        exit::BAD_INPUT,
        &[&format!(
            "{BOB} is not a usable PSP22 token: there is no contract at this address"
        )],
    );
    propose(&escrow.to_string(), "1").fails(
        exit::BAD_INPUT,
        &[&format!(
            "{escrow} is not a usable PSP22 token: it is not a PSP22 token contract: its \
             PSP22Metadata::token_name read failed: the contract has no such message \
             (CouldNotReadInput)"
        )],
    );
    let nameless = token_without_symbol(&e.url);
    propose(&nameless.to_string(), "1").fails(
        exit::BAD_INPUT,
        &[&format!(
            "{nameless} is not a usable PSP22 token: it has no metadata: token_symbol is None"
        )],
    );
    e.run(&["token", "add", &nameless.to_string()])
        .fails(exit::BAD_INPUT, &["token_symbol is None"]);
    // Withdrawing types no amount: a token without metadata is named by address, with a
    // warning, and the contract decides (it holds nothing here).
    e.run(&[
        "--suri",
        "//Charlie",
        "withdraw",
        "--token",
        &nameless.to_string(),
    ])
    .fails(
        exit::REJECTED,
        &[
            &format!("warning: {nameless} is not a usable PSP22 token: it has no metadata"),
            "the amount is shown in its smallest unit",
            "NothingToWithdraw",
        ],
    );
    // A recorded symbol the token no longer answers with is refused, naming both.
    let path = e.home.path().join("config.json");
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("config.json")).expect("JSON");
    cfg["tokens"][e.url.as_str()]
        .as_array_mut()
        .expect("the tokens recorded for the node")
        .push(serde_json::json!({
            "address": token.to_string(), "symbol": "EURC", "name": "Euro", "decimals": 6
        }));
    std::fs::write(&path, cfg.to_string()).expect("write config.json");
    propose("EURC", "1").fails(
        exit::BAD_INPUT,
        &[&format!(
            "--asset EURC: the token registry names {token} EURC, but the token's symbol is \
             now USDT"
        )],
    );
    assert_eq!(node.nonce("//Charlie"), charlie_nonce, "nothing signed");
    assert!(
        !e.run(&["token", "list"])
            .ok()
            .contains(&nameless.to_string()),
        "a token without metadata is not recorded"
    );
}
