//! The real `escrow` binary as a user runs it ([`Escrow`]), what one run did ([`Run`],
//! [`Tx`]), and the exit codes cli/README.md documents ([`exit`]).

use std::{
    path::PathBuf,
    process::{Child, Command, Output, Stdio},
    str::FromStr,
};

use serde_json::Value as Json;
use subxt::utils::AccountId32;

use crate::artifacts::{escrow_binary, escrow_bundle, repo_root};

/// The documented exit codes of `escrow` (cli/README.md, `escrow --help`). The tests state
/// them here rather than import the CLI's constants: they check the documented contract.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Rejected by the contract or the chain, or an audit mismatch.
    pub const REJECTED: i32 = 1;
    /// Bad input: argument, file, keystore, config, or an address that is not the escrow.
    pub const BAD_INPUT: i32 = 2;
    /// Node unreachable; nothing was submitted.
    pub const UNREACHABLE: i32 = 3;
    /// Submitted, but the outcome is unknown (never re-submitted).
    pub const UNKNOWN_OUTCOME: i32 = 4;
    /// Cancelled at the confirmation prompt; nothing was submitted.
    pub const CANCELLED: i32 = 5;
}

/// A URL where no node listens: port 1 is privileged and unused, so connecting is refused
/// at once.
pub const NO_NODE_URL: &str = "ws://127.0.0.1:1";

/// The environment variables `escrow` reads besides `ESCROW_HOME` and `ESCROW_URL`: a run
/// clears them, so the developer's own settings never leak into a test (or a bench).
pub const CLEARED_ENV: [&str; 6] = [
    "ESCROW_CONTRACT",
    "ESCROW_SURI",
    "ESCROW_ACCOUNT",
    "ESCROW_PASSWORD",
    "ESCROW_CODE_HASH",
    "ESCROW_ORACLE_FEED",
];

/// One run of `escrow`.
#[derive(Debug, Clone)]
pub struct Run {
    /// The command line, for messages.
    pub args: Vec<String>,
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// stdout.
    pub out: String,
    /// stderr.
    pub err: String,
}

impl Run {
    /// The run of `args` that produced `output`.
    pub fn from_output(args: &[&str], output: Output) -> Run {
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: output.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&output.stdout).into_owned(),
            err: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts success; returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, exit::OK, "expected success: {self:#?}");
        &self.out
    }

    /// Asserts exit `code` and that stderr mentions every one of `needles`.
    pub fn fails(&self, code: i32, needles: &[&str]) {
        assert_eq!(
            self.code, code,
            "expected exit {code} mentioning {needles:?}: {self:#?}"
        );
        for needle in needles {
            assert!(
                self.err.contains(needle),
                "stderr lacks {needle:?}: {self:#?}"
            );
        }
    }

    /// stdout as one JSON object (asserts success).
    pub fn json(&self) -> Json {
        serde_json::from_str(self.ok().trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {self:#?}"))
    }

    /// The names of the contract events a `--json` transaction reported, in order.
    pub fn events(&self) -> Vec<String> {
        event_names(&self.json(), self)
    }
}

fn event_names(json: &Json, run: &Run) -> Vec<String> {
    json["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events array: {run:#?}"))
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The outcome of a transaction run with `--json`.
#[derive(Debug, Clone)]
pub struct Tx {
    /// The run.
    pub run: Run,
    /// Its JSON report.
    pub json: Json,
}

impl Tx {
    /// The names of the contract events the transaction emitted, in order.
    pub fn events(&self) -> Vec<String> {
        event_names(&self.json, &self.run)
    }

    /// The messages a multi-step transaction (a token deposit: approve, accept, fund_tokens)
    /// reported as its `steps`, in order.
    pub fn steps(&self) -> Vec<String> {
        self.json["steps"]
            .as_array()
            .unwrap_or_else(|| panic!("no steps array: {:#?}", self.run))
            .iter()
            .map(|s| s["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The events called `name`.
    pub fn events_named(&self, name: &str) -> Vec<Json> {
        self.json["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["event"] == name)
            .cloned()
            .collect()
    }

    /// What the message returned (e.g. a deal id).
    pub fn ret(&self) -> &Json {
        &self.json["return"]
    }
}

/// Asserts one `MilestoneReleased` event for `index` with these amounts and this `via`.
pub fn assert_released(tx: &Tx, index: u64, net: u128, fee: u128, via: &str) {
    let released = tx.events_named("MilestoneReleased");
    assert_eq!(released.len(), 1, "{:#?}", tx.run);
    let e = &released[0];
    assert_eq!(e["index"], index, "{e}");
    assert_eq!(amount(&e["amount"]), net, "{e}");
    assert_eq!(amount(&e["fee"]), fee, "{e}");
    assert_eq!(e["via"], via, "{e}");
}

/// A u128 amount from the CLI's JSON (a decimal string).
pub fn amount(v: &Json) -> u128 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an amount string: {v}"))
}

/// Runs the `escrow` binary with its own state directory (`ESCROW_HOME`, a fresh temporary
/// directory), against one node (`ESCROW_URL`) and, after [`Escrow::deploy`], one contract
/// (`ESCROW_CONTRACT`). Stdin is null, so the CLI never prompts (see [`Escrow::run_tty`]).
pub struct Escrow {
    bin: PathBuf,
    /// `ESCROW_HOME`.
    pub home: tempfile::TempDir,
    /// `ESCROW_URL`.
    pub url: String,
    /// `ESCROW_CONTRACT`, set by [`Escrow::deploy`].
    pub contract: Option<String>,
}

impl Escrow {
    /// A runner with a fresh state directory against `url`.
    pub fn new(url: String) -> Self {
        Self {
            bin: escrow_binary().unwrap_or_else(|e| panic!("{e}")),
            home: tempfile::tempdir().expect("temp dir"),
            url,
            contract: None,
        }
    }

    /// A runner against [`NO_NODE_URL`], for what must fail or succeed without a node.
    pub fn offline() -> Self {
        Self::new(NO_NODE_URL.to_string())
    }

    /// Gives `cmd` this runner's environment: its state directory, URL and contract, with
    /// the developer's own `ESCROW_*` settings cleared.
    fn configure<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env("ESCROW_HOME", self.home.path())
            .env("ESCROW_URL", &self.url);
        for var in CLEARED_ENV {
            cmd.env_remove(var);
        }
        if let Some(c) = &self.contract {
            cmd.env("ESCROW_CONTRACT", c);
        }
        cmd
    }

    /// The `escrow args…` command with this runner's environment and stdin closed.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        self.configure(cmd.args(args)).stdin(Stdio::null());
        cmd
    }

    /// Runs `escrow args…`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs `escrow args…` with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.display()));
        Run::from_output(args, output)
    }

    /// Runs the repository's script `script` (a path from the repository root, e.g.
    /// `scripts/stablecoin.sh`) with `args`, this runner's environment (its state
    /// directory, URL and contract) and `ESCROW_BIN` set to the binary under test, plus
    /// `env`; stdin closed. The run's `out` and `err` are the script's stdout and stderr.
    pub fn run_script(&self, script: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let path = repo_root().join(script);
        let mut cmd = Command::new(&path);
        self.configure(cmd.args(args))
            .env("ESCROW_BIN", &self.bin)
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
        let mut line = vec![script];
        line.extend_from_slice(args);
        Run::from_output(&line, output)
    }

    /// Starts `escrow args…` in the background with stdout and stderr piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()))
    }

    /// Waits for a child of [`Escrow::spawn`] started with `args`; returns its run.
    pub fn wait(child: Child, args: &[&str]) -> Run {
        Run::from_output(args, child.wait_with_output().expect("wait for escrow"))
    }

    /// Runs `escrow args…` with stdin, stdout and stderr on a pseudo-terminal (through
    /// util-linux `script`), typing `input`. Returns the exit code and everything the
    /// terminal showed.
    pub fn run_tty(&self, args: &[&str], input: &str) -> (i32, String) {
        use std::io::Write;
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let line = std::iter::once(self.bin.to_str().expect("UTF-8 path"))
            .chain(args.iter().copied())
            .map(quote)
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = Command::new("script");
        self.configure(cmd.args(["-qefc", &line, "/dev/null"]))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run script(1)");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input.as_bytes())
            .expect("type into script(1)");
        let o = child.wait_with_output().expect("script(1)");
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    }

    /// Writes a file into the state directory (an evidence document, a purchase order);
    /// returns its path.
    pub fn file(&self, name: &str, content: &str) -> String {
        let path = self.home.path().join(name);
        std::fs::write(&path, content).expect("write file");
        path.to_string_lossy().into_owned()
    }

    /// Runs `escrow --suri SIGNER --json args…` as a transaction that must succeed.
    pub fn tx(&self, signer: &str, args: &[&str]) -> Tx {
        let mut full = vec!["--suri", signer, "--json"];
        full.extend_from_slice(args);
        let run = self.run(&full);
        let json = run.json();
        assert_eq!(json["ok"], true, "{run:#?}");
        assert_eq!(json["dry_run"], false, "{run:#?}");
        Tx { run, json }
    }

    /// Deploys the escrow's release bundle as `signer` with a fee of `fee_bps` to
    /// `fee_recipient`; remembers and returns its address.
    pub fn deploy(&mut self, signer: &str, fee_bps: u16, fee_recipient: &str) -> String {
        self.deploy_bundle(&escrow_bundle(), signer, fee_bps, fee_recipient)
    }

    /// `deploy --bundle BUNDLE` (a contract with the escrow's constructor): as [`Self::deploy`].
    pub fn deploy_bundle(
        &mut self,
        bundle: &std::path::Path,
        signer: &str,
        fee_bps: u16,
        fee_recipient: &str,
    ) -> String {
        let fee = format!("{fee_bps}bps");
        let run = self.run(&[
            "--suri",
            signer,
            "--json",
            "deploy",
            "--bundle",
            bundle.to_str().expect("UTF-8 path"),
            "--fee",
            &fee,
            "--fee-recipient",
            fee_recipient,
        ]);
        let json = run.json();
        let contract = json["contract"]
            .as_str()
            .unwrap_or_else(|| panic!("no contract address: {run:#?}"))
            .to_string();
        self.contract = Some(contract.clone());
        contract
    }

    /// `deal propose …` as `signer`; returns the new deal's id.
    pub fn propose(&self, signer: &str, args: &[&str]) -> u64 {
        let mut full = vec!["deal", "propose"];
        full.extend_from_slice(args);
        let tx = self.tx(signer, &full);
        assert_eq!(tx.events(), ["DealProposed"], "{:#?}", tx.run);
        tx.ret()
            .as_u64()
            .unwrap_or_else(|| panic!("no deal id: {:#?}", tx.run))
    }

    /// The terms hash of deal `id` as `deal show --json` shows it: what an acceptor who
    /// reviewed the terms names with `deal accept --terms-hash`.
    pub fn terms_hash(&self, id: u64) -> String {
        self.deal(id)["deal"]["deal"]["terms_hash"]
            .as_str()
            .unwrap_or_else(|| panic!("deal {id} has no terms hash"))
            .to_string()
    }

    /// `deal accept ID --terms-hash H extra…` as `signer`, naming the hash `deal show`
    /// shows (a script must name it); a transaction that must succeed.
    pub fn accept(&self, signer: &str, id: u64, extra: &[&str]) -> Tx {
        let (id_s, hash) = (id.to_string(), self.terms_hash(id));
        let mut args = vec!["deal", "accept", &id_s, "--terms-hash", &hash];
        args.extend_from_slice(extra);
        self.tx(signer, &args)
    }

    /// `deal show ID --json`.
    pub fn deal(&self, id: impl std::fmt::Display) -> Json {
        self.run(&["--json", "deal", "show", &id.to_string()])
            .json()
    }

    /// The status of deal `id` ("Active", "Closed", …).
    pub fn deal_status(&self, id: u64) -> String {
        self.deal(id)["deal"]["deal"]["status"]
            .as_str()
            .expect("deal status")
            .to_string()
    }

    /// The status of milestone `index` of deal `id` ("Pending", "Released", …).
    pub fn milestone_status(&self, id: u64, index: usize) -> String {
        self.deal(id)["milestones"][index]["milestone"]["status"]
            .as_str()
            .expect("milestone status")
            .to_string()
    }

    /// What deal `id` holds as deposited, from `deal show --json`.
    pub fn deposited(&self, id: &str) -> u128 {
        let v = self.run(&["--json", "deal", "show", id]).json();
        amount(&v["deal"]["deal"]["deposited"])
    }

    /// Asserts that `escrow audit ID --best` finds nothing wrong with the deal (the
    /// development chain finalizes nothing, so the audit reads its best block).
    pub fn assert_audit_ok(&self, id: u64) {
        self.audit_finds_nothing(&["--json", "audit", "--best", &id.to_string()]);
    }

    /// Asserts that `escrow audit ID` finds nothing wrong with the deal at the finalized
    /// block (a network).
    pub fn assert_final_audit_ok(&self, id: u64) {
        self.audit_finds_nothing(&["--json", "audit", &id.to_string()]);
    }

    fn audit_finds_nothing(&self, args: &[&str]) {
        let run = self.run(args);
        let v = run.json();
        assert_eq!(v["ok"], true, "{args:?}: {run:#?}");
        assert_eq!(v["findings"], serde_json::json!([]), "{args:?}: {run:#?}");
    }

    /// The contract address (after [`Escrow::deploy`]).
    pub fn contract_account(&self) -> AccountId32 {
        let c = self.contract.as_deref().expect("deployed");
        AccountId32::from_str(c).unwrap_or_else(|e| panic!("contract address {c}: {e}"))
    }
}
