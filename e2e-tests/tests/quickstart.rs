//! The quickstarts of README.md and cli/README.md, run exactly as written against a fresh
//! node, so the docs cannot rot.
//!
//! A quickstart is the fenced `sh` block right after a `<!-- quickstart -->` line. Every
//! `escrow …` line in it runs, in order, as the real binary with the same arguments (the
//! block has no quotes, variables or pipes, so splitting on whitespace is what a shell does),
//! and must exit 0. The harness stands in for the other lines: it has built the binary
//! (`cargo install …`) and starts and stops the node (`scripts/node.sh …`). Any other line
//! fails the test, so a quickstart cannot grow a step that is not run here.

use escrow_test_support::{artifacts::repo_root, chain_available, Escrow, TestNode};

/// Lines the harness does itself instead of running them.
const STOOD_IN_FOR: [&str; 3] = [
    "cargo install --locked --path cli",
    "scripts/node.sh --background",
    "scripts/node.sh --stop",
];

/// The lines of the quickstart block in `doc` (a path relative to the repository root).
fn quickstart(doc: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join(doc))
        .unwrap_or_else(|e| panic!("cannot read {doc}: {e}"));
    let mut lines = text.lines();
    lines
        .find(|l| l.trim() == "<!-- quickstart -->")
        .unwrap_or_else(|| panic!("{doc} has no <!-- quickstart --> marker"));
    assert_eq!(
        lines.next().map(str::trim),
        Some("```sh"),
        "{doc}: the quickstart marker must be followed by a ```sh block"
    );
    let block: Vec<String> = lines
        .take_while(|l| l.trim() != "```")
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    assert!(!block.is_empty(), "{doc}: the quickstart block is empty");
    block
}

/// Runs every line of `doc`'s quickstart against a fresh node; returns the node (still
/// running) and the runner.
fn run_quickstart(doc: &str) -> Option<(TestNode, Escrow)> {
    if !chain_available() {
        return None;
    }
    let node = TestNode::start();
    let cli = Escrow::new(node.url());
    let mut ran = 0;
    for line in quickstart(doc) {
        if STOOD_IN_FOR.contains(&line.as_str()) {
            continue;
        }
        let args: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            args.first(),
            Some(&"escrow"),
            "{doc}: quickstart line `{line}` is neither an `escrow` command nor one the test \
             stands in for ({STOOD_IN_FOR:?})"
        );
        assert!(
            !line.contains(['"', '\'', '$', '|', '#']),
            "{doc}: `{line}` needs a shell to mean what it says"
        );
        let run = cli.run(&args[1..]);
        assert_eq!(run.code, 0, "{doc}: `{line}` failed: {run:#?}");
        ran += 1;
    }
    assert!(
        ran >= 5,
        "{doc}: only {ran} escrow commands in the quickstart"
    );
    Some((node, cli))
}

#[test]
fn readme_quickstart_runs_as_written() {
    let Some((_node, cli)) = run_quickstart("README.md") else {
        return;
    };
    // The reference deal ends closed, with its closure recorded, and audits clean.
    let deal = cli.run(&["--json", "deal", "show", "0"]).json();
    assert_eq!(deal["deal"]["deal"]["status"], "Closed", "{deal:#}");
    assert_eq!(deal["deal"]["deal"]["closure_recorded"], true, "{deal:#}");
    assert!(cli.run(&["audit", "--best", "0"]).ok().contains("audit ok"));
}

#[test]
fn cli_readme_quickstart_runs_as_written() {
    let Some((_node, cli)) = run_quickstart("cli/README.md") else {
        return;
    };
    assert!(cli.run(&["audit", "--best", "0"]).ok().contains("audit ok"));
}
