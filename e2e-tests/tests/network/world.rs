//! What the network tests share: four validators, the escrow deployed through node 0, the
//! CLI runner, a ledger read through node 0 (which no test kills), and the steps of the
//! reference deal, each signed through the next live node in turn and waited on until final.

use std::time::Duration;

use escrow_test_support::{
    accounts::dev_account, artifacts::escrow_bundle, chain::block_hash, cli::assert_released,
    ledger::fee_split, units, Chain, Escrow, Ledger, Result, TestNetwork, Tx,
};
use subxt::utils::AccountId32;

/// Validators of every test's network: finality needs three of them.
pub const VALIDATORS: usize = 4;
/// The platform fee of the deployment: 1%.
pub const FEE_BPS: u128 = 100;

/// Who plays what (as in the scenarios). The labels are the ledger's; the SURIs are
/// `escrow --suri` values. The arbiter is named by the deal but never acts, so it is not
/// tracked.
pub const BUYER: (&str, &str) = ("buyer", "//Bob");
pub const SELLER: (&str, &str) = ("seller", "//Charlie");
pub const ORACLE: (&str, &str) = ("oracle", "//Ferdie");
pub const ARBITER: &str = "//Dave";
/// The fee recipient: an account nobody else uses, so it starts empty.
pub const FEES: (&str, &str) = ("fees", "//Fees");
/// Deploys the contract; not tracked.
pub const OPERATOR: &str = "//Alice";

/// The reference deal (README's quickstart, docs/bench.md): 1,000 UNIT from the buyer to
/// the seller in three milestones, 30/40/30, the first an advance; one oracle, an arbiter.
pub const TOTAL: u128 = 1_000;
pub const REFERENCE_DEAL: [&str; 13] = [
    "deal",
    "propose",
    "--buyer",
    BUYER.1,
    "--oracle",
    ORACLE.1,
    "--arbiter",
    ARBITER,
    "--total",
    "1000",
    "--split",
    "30,40,30",
    "--advance",
];

/// How long a node may take to have a block final that another node already finalized.
pub const CATCH_UP: Duration = Duration::from_secs(120);
/// `--timeout` of a step's `--wait finalized`: one slot to be included, a GRANDPA round or
/// two to be final, with a wide margin for two loaded cores.
const STEP_TIMEOUT: &str = "120s";

/// A network, a deployed escrow, the CLI runner and a ledger.
pub struct NetWorld {
    pub net: TestNetwork,
    pub cli: Escrow,
    /// Node 0, where the ledger and the checks read.
    pub chain: Chain,
    pub ledger: Ledger,
    /// The accounts the ledger follows: the roles, the fee recipient and the contract.
    pub tracked: Vec<(String, AccountId32)>,
    /// The nodes steps are signed through, in turn.
    live: Vec<usize>,
    turn: usize,
    /// The block of the last step (final).
    pub last: u32,
}

impl NetWorld {
    /// Starts the network, deploys the escrow through node 0 with a 1% fee to `//Fees`
    /// (waiting until final), and snapshots the balances of the buyer, the seller, the
    /// oracle, the fee recipient and the contract.
    pub async fn start() -> Result<Self> {
        let net = TestNetwork::start(VALIDATORS);
        let mut cli = Escrow::new(net.url(0));
        let bundle = escrow_bundle();
        let fee = format!("{FEE_BPS}bps");
        let run = cli.run(&[
            "--suri",
            OPERATOR,
            "--json",
            "--wait",
            "finalized",
            "--timeout",
            STEP_TIMEOUT,
            "deploy",
            "--bundle",
            bundle.to_str().expect("UTF-8 path"),
            "--fee",
            &fee,
            "--fee-recipient",
            FEES.1,
        ]);
        let deployed = run.json();
        let contract = deployed["contract"]
            .as_str()
            .unwrap_or_else(|| panic!("no contract address: {run:#?}"))
            .to_string();
        let last = block_of(&deployed, &run);
        cli.contract = Some(contract);
        let chain = Chain::connect(&net.url(0)).await?;
        let tracked: Vec<(&str, AccountId32)> = [BUYER, SELLER, ORACLE, FEES]
            .iter()
            .map(|(label, suri)| (*label, dev_account(suri)))
            .chain([("contract", cli.contract_account())])
            .collect();
        let ledger = Ledger::snapshot(&chain, &tracked).await?;
        Ok(Self {
            net,
            cli,
            chain,
            ledger,
            tracked: tracked
                .into_iter()
                .map(|(label, account)| (label.to_string(), account))
                .collect(),
            live: (0..VALIDATORS).collect(),
            turn: 0,
            last,
        })
    }

    /// Points the CLI at node `i` once that node has the last step's block final. A node
    /// signs with the nonce it knows and dry-runs on the state it has: GRANDPA finalizes a
    /// block once three of four validators have it, not necessarily this one.
    pub fn on(&mut self, i: usize) -> Result<()> {
        let last = self.last;
        self.net.wait_for(
            i,
            &format!("block #{last} final before signing through it"),
            CATCH_UP,
            |_, finalized| finalized >= last,
        )?;
        self.cli.url = self.net.url(i);
        Ok(())
    }

    /// `escrow --suri SIGNER --json --wait finalized args…` through the next live node in
    /// turn, which must succeed. Then node 0 must have finalized the same block.
    pub async fn step(&mut self, signer: &str, args: &[&str]) -> Result<Tx> {
        let node = self.live[self.turn % self.live.len()];
        self.turn += 1;
        self.on(node)?;
        let mut full = vec!["--wait", "finalized", "--timeout", STEP_TIMEOUT];
        full.extend_from_slice(args);
        let tx = self.cli.tx(signer, &full);
        let block = block_of(&tx.json, &tx.run);
        self.net.wait_for(
            0,
            &format!("block #{block} final (node {node} reported it final)"),
            CATCH_UP,
            |_, finalized| finalized >= block,
        )?;
        assert_eq!(
            Some(format!("{:?}", block_hash(&self.chain, block).await?).as_str()),
            tx.json["block_hash"].as_str(),
            "node 0 finalized another block #{block} than node {node} reported: {:#?}",
            tx.run
        );
        eprintln!(
            "{signer} {:?} through node {node}: final in block #{block}",
            &args[..2]
        );
        self.last = block;
        Ok(tx)
    }

    /// Kills node `i`; later steps skip it.
    pub fn kill(&mut self, i: usize) {
        self.net.kill(i);
        self.live.retain(|&n| n != i);
    }

    /// The seller proposes the reference deal; returns its id.
    pub async fn propose(&mut self) -> Result<u64> {
        let tx = self.step(SELLER.1, &REFERENCE_DEAL).await?;
        assert_eq!(tx.events(), ["DealProposed"], "{:#?}", tx.run);
        Ok(tx
            .ret()
            .as_u64()
            .unwrap_or_else(|| panic!("no deal id: {:#?}", tx.run)))
    }

    /// The buyer accepts deal `id` (naming the terms hash `deal show` shows) and funds all
    /// of it, which pays the advance: 300 UNIT gross. Declared to the ledger and checked.
    pub async fn accept_and_fund(&mut self, id: u64) -> Result<()> {
        let (id_s, hash) = (id.to_string(), self.cli.terms_hash(id));
        let tx = self
            .step(
                BUYER.1,
                &[
                    "deal",
                    "accept",
                    &id_s,
                    "--terms-hash",
                    &hash,
                    "--fund",
                    "all",
                ],
            )
            .await?;
        assert_eq!(
            tx.events(),
            ["DealAccepted", "DealFunded", "MilestoneReleased"],
            "{:#?}",
            tx.run
        );
        self.funded();
        let (net, fee) = self.released(units(300));
        assert_eq!((net, fee), (units(297), units(3)));
        assert_released(&tx, 0, net, fee, "Advance");
        self.check("after the advance").await
    }

    /// The rest of the reference deal `id` after the advance: the seller submits milestone
    /// 1 and the oracle attests it (400 UNIT released), the seller submits milestone 2 and
    /// the buyer approves it (300 UNIT released), the buyer records the closure. Balances
    /// checked after each release; the deal audited through node 0.
    pub async fn finish(&mut self, id: u64) -> Result<()> {
        let id_s = id.to_string();
        self.submit(&id_s, "1", "b1").await?;
        let tx = self.step(ORACLE.1, &["deal", "attest", &id_s, "1"]).await?;
        assert_eq!(tx.events(), ["MilestoneAttested", "MilestoneReleased"]);
        let (net, fee) = self.released(units(400));
        assert_released(&tx, 1, net, fee, "Oracles");
        self.check("after the shipment").await?;
        self.submit(&id_s, "2", "c1").await?;
        let tx = self.step(BUYER.1, &["deal", "approve", &id_s, "2"]).await?;
        assert_eq!(tx.events(), ["MilestoneReleased"]);
        let (net, fee) = self.released(units(300));
        assert_released(&tx, 2, net, fee, "Buyer");
        self.check("after the delivery").await?;
        let tx = self.step(BUYER.1, &["deal", "close", &id_s]).await?;
        assert_eq!(tx.events(), ["DealClosed"]);
        self.on(0)?;
        assert_eq!(self.cli.deal_status(id), "Closed");
        self.cli.assert_final_audit_ok(id);
        self.check("after the closure").await
    }

    /// The seller submits milestone `index` with the evidence hash of the byte
    /// `evidence_byte` (hex) 32 times.
    async fn submit(&mut self, id: &str, index: &str, evidence_byte: &str) -> Result<()> {
        let evidence = format!("0x{}", evidence_byte.repeat(32));
        let tx = self
            .step(
                SELLER.1,
                &["deal", "submit", id, index, "--evidence-hash", &evidence],
            )
            .await?;
        assert_eq!(tx.events(), ["MilestoneSubmitted"]);
        Ok(())
    }

    /// Declares the buyer's deposit of the whole deal.
    pub fn funded(&mut self) {
        self.ledger.pay(BUYER.0, "contract", units(TOTAL));
    }

    /// Declares a release of `gross` to the seller: net to the seller, the fee to the fee
    /// recipient, both out of the contract. Returns (net, fee).
    pub fn released(&mut self, gross: u128) -> (u128, u128) {
        let (net, fee) = fee_split(gross, FEE_BPS);
        self.ledger.pay("contract", SELLER.0, net);
        self.ledger.pay("contract", FEES.0, fee);
        (net, fee)
    }

    /// Asserts every tracked balance to the unit through node 0: at its best block against
    /// the ledger, and at its finalized block (which must hold the last step) equal to
    /// that. Run with no transaction in flight, so the blocks between the two hold none
    /// of the tracked accounts' transactions.
    pub async fn check(&mut self, when: &str) -> Result<()> {
        self.ledger.assert_balances(&self.chain, when).await?;
        let at_best = self.ledger.balances(&self.chain).await?;
        let finalized = self.chain.rpc.chain_get_finalized_head().await?;
        let number = self
            .chain
            .rpc
            .chain_get_header(Some(finalized))
            .await?
            .ok_or("no header for the finalized head")?
            .number;
        assert!(
            number >= self.last,
            "node 0's finalized #{number} is before the last step's block #{}",
            self.last
        );
        for (label, account) in &self.tracked {
            assert_eq!(
                self.chain.free_balance(account, finalized).await?,
                at_best[label],
                "{label}'s balance {when}: finalized block #{number} and the best block differ"
            );
        }
        Ok(())
    }

    /// The nonce of `suri`'s account at node 0's best block: how many of its transactions
    /// are in blocks (pooled ones do not count).
    pub async fn nonce(&self, suri: &str) -> Result<u64> {
        let (best, _) = self.chain.best().await?;
        let nonce = self.chain.account_nonce(&dev_account(suri), best).await?;
        Ok(u64::from(nonce))
    }
}

/// The `block` number of a transaction's `--json` report.
fn block_of(json: &serde_json::Value, run: &escrow_test_support::Run) -> u32 {
    json["block"]
        .as_u64()
        .and_then(|b| u32::try_from(b).ok())
        .unwrap_or_else(|| panic!("no block number: {run:#?}"))
}

/// The extrinsic hash and the block it was signed at, from the line `escrow` prints on
/// stderr before it waits: `submitting tx 0x… (nonce N, mortal for 64 blocks from #B)`.
pub fn submitted(stderr: &str) -> (String, String) {
    let line = stderr
        .lines()
        .find_map(|l| l.split("submitting tx ").nth(1))
        .unwrap_or_else(|| panic!("no `submitting tx` line in:\n{stderr}"));
    let hash = line.split_whitespace().next().unwrap_or_default();
    let from = line
        .rsplit("from #")
        .next()
        .map(|b| b.trim_end_matches(')'))
        .unwrap_or_default();
    assert!(
        hash.len() == 66 && hash.starts_with("0x") && from.parse::<u32>().is_ok(),
        "not `submitting tx 0x<64 hex> (… from #N)`: {line}"
    );
    (hash.to_string(), from.to_string())
}
