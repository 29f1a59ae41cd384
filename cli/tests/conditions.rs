//! Milestone conditions (issue 16, item 1) with the real `escrow` binary: a deal proposed
//! with `--milestone-condition 1=FILE` on a real `escrow-node` commits the document's hash
//! as milestone 1's terms hash; `deal show` (text and JSON) and `deal accept` name the
//! condition for that milestone only, from the proposer's store, from `--conditions DIR`,
//! or after `escrow condition add` on the other party's side; `escrow condition show`
//! gives the same hash for a reformatted copy. And, without a chain, what is refused.
//! The chain test is skipped (with a message) when the node or the bundle is not built.

use escrow_client::units::blake2_256;
use escrow_test_support::{
    accounts::ALICE, artifacts::escrow_bundle, chain_available, exit, Escrow, TestNode,
};
use serde_json::{json, Value as Json};

/// The condition of the issue's example, as a person writes it.
const LOAD: &str = r#"{
  "format": "milestone-escrow/condition/v1",
  "description": "Container loaded on board at Mundra",
  "transportDocumentReference": "MUN-HAM-0042",
  "events": [
    {"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD", "location": "INMUN"}
  ]
}
"#;

/// The same document, keys reordered and reformatted: the same content.
const LOAD_REFORMATTED: &str = r#"{"events":[{"location":"INMUN",
    "equipmentEventTypeCode":"LOAD","eventType":"EQUIPMENT"}],
  "transportDocumentReference" : "MUN-HAM-0042",   "description":"Container loaded on board at Mundra",
  "format":"milestone-escrow/condition/v1"}"#;

/// Another condition (arrival at Hamburg).
const ARRI: &str = r#"{"format": "milestone-escrow/condition/v1",
  "transportDocumentReference": "MUN-HAM-0042",
  "events": [{"eventType": "TRANSPORT", "transportEventTypeCode": "ARRI", "location": "DEHAM"}]}"#;

const LOAD_SUMMARY: &str = "ACT LOAD at INMUN of MUN-HAM-0042";

/// `escrow --json condition show FILE`.
fn condition_show(e: &Escrow, file: &str) -> Json {
    e.run(&["--json", "condition", "show", file]).json()
}

/// The line of milestone `index` in `deal show ID`'s text.
fn milestone_line(show: &str, index: usize) -> String {
    show.lines()
        .find(|l| l.trim_start().starts_with(&format!("#{index} ")))
        .unwrap_or_else(|| panic!("no milestone {index} in {show}"))
        .to_string()
}

#[test]
fn condition_show_gives_the_same_hash_for_a_reformatted_copy_and_another_for_other_content() {
    let e = Escrow::offline();
    let load = e.file("load.json", LOAD);
    let copy = e.file("copy.json", LOAD_REFORMATTED);
    let arri = e.file("arri.json", ARRI);
    let v = condition_show(&e, &load);
    let hash = v["hash"].as_str().expect("hash").to_string();
    assert_eq!(hash.len(), 66, "{v}");
    assert_eq!(v["summary"], LOAD_SUMMARY, "{v}");
    assert_eq!(v["format"], "milestone-escrow/condition/v1", "{v}");
    assert_eq!(v["file"], load.as_str(), "{v}");
    assert_eq!(
        v["description"], "Container loaded on board at Mundra",
        "{v}"
    );
    // The hash is BLAKE2b-256 of the canonical form, which the JSON shows.
    let canonical = v["canonical"].as_str().expect("canonical");
    assert_eq!(
        format!("0x{}", hex::encode(blake2_256(canonical.as_bytes()))),
        hash
    );
    assert_eq!(condition_show(&e, &copy)["hash"], hash.as_str());
    assert_ne!(condition_show(&e, &arri)["hash"], hash.as_str());

    let text = e.run(&["condition", "show", &copy]);
    let text = text.ok();
    for needle in [
        format!("condition    {LOAD_SUMMARY}"),
        "description  Container loaded on board at Mundra".to_string(),
        format!("hash         {hash} (the terms hash of a milestone released on it)"),
        "format       milestone-escrow/condition/v1".to_string(),
    ] {
        assert!(text.contains(&needle), "lacks {needle:?}:\n{text}");
    }
}

#[test]
fn an_invalid_condition_document_is_bad_input_naming_the_file() {
    let e = Escrow::offline();
    let bad = e.file("bad.json", &LOAD.replace("\"LOAD\"", "\"LOAF\""));
    for cmd in ["show", "add"] {
        e.run(&["condition", cmd, &bad]).fails(
            exit::BAD_INPUT,
            &[&format!("{bad} is not a valid condition document: ")],
        );
    }
    let missing = format!("{}/none.json", e.home.path().display());
    e.run(&["condition", "show", &missing])
        .fails(exit::BAD_INPUT, &[&format!("cannot read {missing}: ")]);
    // Nothing was saved.
    assert!(!e.home.path().join("conditions").exists());
}

#[test]
fn propose_refuses_a_bad_milestone_condition_before_connecting() {
    let e = Escrow::offline();
    let load = e.file("load.json", LOAD);
    let propose = |extra: &[&str]| {
        let mut args = vec![
            "--suri",
            "//Charlie",
            "--contract",
            ALICE,
            "deal",
            "propose",
            "--buyer",
            "//Bob",
            "--milestone",
            "10",
            "--milestone",
            "20",
        ];
        args.extend_from_slice(extra);
        e.run(&args)
    };
    let two = format!("2={load}");
    propose(&["--milestone-condition", &two]).fails(
        exit::BAD_INPUT,
        &[&format!(
            "--milestone-condition {two}: there is no milestone 2: the deal has 2 \
             milestone(s), numbered from 0"
        )],
    );
    let one = format!("1={load}");
    let x = format!("0x{}", "ab".repeat(32));
    propose(&[
        "--milestone-terms",
        &format!("-,{x}"),
        "--milestone-condition",
        &one,
    ])
    .fails(
        exit::BAD_INPUT,
        &["milestone 1 also gets a terms hash from --milestone-terms"],
    );
}

#[test]
fn a_milestone_condition_is_the_milestones_terms_hash_and_deal_show_names_it() {
    if !chain_available() {
        return;
    }
    let node = TestNode::start();
    let mut seller = Escrow::new(node.url());
    seller.deploy("//Alice", 100, ALICE);
    let load = seller.file("load.json", LOAD);
    let arri = seller.file("arri.json", ARRI);
    let hash = condition_show(&seller, &load)["hash"]
        .as_str()
        .expect("hash")
        .to_string();
    let arri_hash = condition_show(&seller, &arri)["hash"]
        .as_str()
        .expect("hash")
        .to_string();
    let store = seller.home.path().join("conditions");
    let saved = store.join(format!("{hash}.json"));

    // A dry-run saves nothing.
    let cond_arg = format!("1={load}");
    let args = [
        "deal",
        "propose",
        "--buyer",
        "//Bob",
        "--oracle",
        "//Ferdie",
        "--milestone",
        "10",
        "--milestone",
        "20",
        "--milestone",
        "30",
        "--milestone-condition",
        &cond_arg,
    ];
    let mut dry = vec!["--suri", "//Charlie", "--dry-run"];
    dry.extend_from_slice(&args);
    let arri_arg = format!("2={arri}");
    dry.extend_from_slice(&["--milestone-condition", &arri_arg]);
    let r = seller.run(&dry);
    r.ok();
    assert!(
        r.err
            .contains(&format!("; condition: {LOAD_SUMMARY} ({hash})")),
        "the terms shown before signing name the condition: {r:#?}"
    );
    assert!(
        r.err.contains(&format!(
            "; condition: ACT ARRI at DEHAM of MUN-HAM-0042 ({arri_hash})"
        )),
        "{r:#?}"
    );
    assert!(!store.exists(), "a dry-run saved a document: {r:#?}");

    // The seller proposes 60 UNIT in three milestones, milestone 1 on the LOAD condition.
    let id = seller.propose("//Charlie", &args[2..]);
    let id_s = id.to_string();
    assert!(
        saved.is_file(),
        "the document is saved in the store as {}",
        saved.display()
    );
    // The saved file is the canonical form: its own hash is the terms hash.
    let bytes = std::fs::read(&saved).expect("saved document");
    assert_eq!(format!("0x{}", hex::encode(blake2_256(&bytes))), hash);

    // On chain, milestone 1's terms hash is the document's; the others have none.
    let v = seller.deal(id);
    let ms = v["milestones"].as_array().expect("milestones");
    assert_eq!(ms.len(), 3, "{v}");
    assert_eq!(ms[1]["milestone"]["terms_hash"], hash.as_str(), "{v}");
    assert_eq!(
        ms[1]["condition"],
        json!({"hash": hash, "summary": LOAD_SUMMARY, "file": saved.display().to_string()}),
        "{v}"
    );
    for i in [0, 2] {
        assert_eq!(
            ms[i]["milestone"]["terms_hash"],
            format!("0x{}", "00".repeat(32))
        );
        assert_eq!(ms[i]["condition"], Json::Null, "milestone {i}: {v}");
    }
    let show = seller.run(&["deal", "show", &id_s]);
    let show = show.ok();
    let m1 = milestone_line(show, 1);
    assert!(
        m1.contains(&format!("; terms {hash}; condition: {LOAD_SUMMARY}")),
        "{m1}"
    );
    for i in [0, 2] {
        let line = milestone_line(show, i);
        assert!(!line.contains("condition"), "{line}");
    }

    // The buyer has not got the document: the hash alone, unchanged output. (The buyer's
    // own state directory: it trusts the contract's code by the bundle.)
    let mut buyer = Escrow::new(node.url());
    buyer.contract = seller.contract.clone();
    let bundle = escrow_bundle();
    let bundle = bundle.to_str().expect("UTF-8 path");
    let buyer_run = |args: &[&str]| {
        let mut full = vec!["--code-hash", bundle];
        full.extend_from_slice(args);
        buyer.run(&full)
    };
    let buyer_deal = || buyer_run(&["--json", "deal", "show", &id_s]).json();
    let v = buyer_deal();
    assert_eq!(v["milestones"][1]["condition"], Json::Null, "{v}");
    assert_eq!(v["milestones"][1]["milestone"]["terms_hash"], hash.as_str());
    let m1 = milestone_line(buyer_run(&["deal", "show", &id_s]).ok(), 1);
    assert!(m1.contains(&format!("; terms {hash}")), "{m1}");
    assert!(!m1.contains("condition"), "{m1}");

    // Given a directory holding a reformatted copy, under any name, it finds it.
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("from-the-seller.json");
    std::fs::write(&copy, LOAD_REFORMATTED).expect("write copy");
    std::fs::write(dir.path().join("notes.json"), "{\"not\": \"a condition\"}").expect("write");
    let dir_s = dir.path().to_str().expect("UTF-8 path");
    let r = buyer_run(&["--json", "deal", "show", &id_s, "--conditions", dir_s]);
    let v = r.json();
    assert_eq!(
        v["milestones"][1]["condition"],
        json!({"hash": hash, "summary": LOAD_SUMMARY, "file": copy.display().to_string()}),
        "{v}"
    );
    assert_eq!(v["milestones"][0]["condition"], Json::Null, "{v}");
    assert!(
        r.err.contains(&format!(
            "warning: {}/notes.json is not a condition document, skipped: ",
            dir.path().display()
        )),
        "{r:#?}"
    );
    buyer
        .run(&["deal", "show", &id_s, "--conditions", "/no/such/dir"])
        .fails(
            exit::BAD_INPUT,
            &["--conditions /no/such/dir: not a directory"],
        );

    // The buyer adds the copy: saved under its hash, in canonical form.
    let copy_s = copy.to_str().expect("UTF-8 path");
    let added = buyer.run(&["--json", "condition", "add", copy_s]).json();
    let buyer_saved = buyer
        .home
        .path()
        .join("conditions")
        .join(format!("{hash}.json"));
    assert_eq!(
        added,
        json!({"file": buyer_saved.display().to_string(), "hash": hash, "summary": LOAD_SUMMARY})
    );
    assert_eq!(std::fs::read(&buyer_saved).expect("saved"), bytes);
    let v = buyer_deal();
    assert_eq!(
        v["milestones"][1]["condition"]["file"],
        buyer_saved.display().to_string()
    );
    assert_eq!(v["milestones"][2]["condition"], Json::Null, "{v}");

    // The terms the buyer reviews before accepting name it too.
    let r = buyer_run(&["--suri", "//Bob", "--dry-run", "deal", "accept", &id_s]);
    r.ok();
    assert!(
        r.err
            .contains(&format!("; condition: {LOAD_SUMMARY} ({hash})")),
        "{r:#?}"
    );
}
