//! What every scenario shares: who plays what, and a [`World`] of a node, a deployed
//! escrow, the CLI runner and a ledger; for token deals, the reference stablecoin
//! (`scripts/stablecoin.sh`) and a ledger of its balances.

use escrow_test_support::{
    accounts::{dev_account, dev_keypair},
    artifacts::stablecoin_bundle,
    chain::wait_past,
    ledger::fee_split,
    units, Chain, Escrow, Ledger, Result, TestNode, TokenLedger, Tx,
};
use serde_json::Value as Json;
use subxt::utils::AccountId32;

pub use escrow_test_support::cli::assert_released;

/// The platform fee every scenario deploys with: 1%.
pub const FEE_BPS: u128 = 100;

/// Who plays what. The labels are the ledger's; the SURIs are `escrow --suri` values.
pub const BUYER: (&str, &str) = ("buyer", "//Bob");
pub const SELLER: (&str, &str) = ("seller", "//Charlie");
pub const ARBITER: (&str, &str) = ("arbiter", "//Dave");
pub const STRANGER: (&str, &str) = ("stranger", "//Eve");
pub const ORACLE: (&str, &str) = ("oracle", "//Ferdie");
/// The second and third oracles of a quorum (with [`ORACLE`] first); scenarios that track
/// them do not track [`ARBITER`] and [`STRANGER`], the same accounts.
pub const ORACLE2: (&str, &str) = ("oracle2", "//Dave");
pub const ORACLE3: (&str, &str) = ("oracle3", "//Eve");
/// The fee recipient: an account nobody else uses, so it starts empty.
pub const FEES: (&str, &str) = ("fees", "//Fees");
/// Deploys the contract and seals "tick" blocks; not tracked.
pub const OPERATOR: &str = "//Alice";
/// A factor that buys a seller's receivable: an account nobody else uses, starting empty.
pub const FACTOR: (&str, &str) = ("factor", "//Factor");

/// One USD, the reference stablecoin's unit, in its smallest unit (6 decimals).
pub const USD: u128 = 1_000_000;

/// `n` whole USD in the smallest unit.
pub const fn usd(n: u128) -> u128 {
    n * USD
}

/// What `scripts/stablecoin.sh` gives each dev account (Alice..Ferdie) by default.
pub const DEV_USD: u128 = usd(1_000_000);

/// A node, a connection, a deployed contract, the CLI runner and a ledger; after
/// [`World::stablecoin`], the USD token and a ledger of its balances.
pub struct World {
    pub node: TestNode,
    pub chain: Chain,
    pub cli: Escrow,
    pub ledger: Ledger,
    /// The accounts the ledgers follow: the roles, the fee recipient and the contract.
    pub tracked: Vec<(String, AccountId32)>,
    /// The USD token's balances of the tracked accounts, once deployed.
    pub usd: Option<TokenLedger>,
}

impl World {
    /// Starts a node (on a base path that survives a restart when `persistent`, else a
    /// throw-away chain), deploys the escrow with a 1% fee to `//Fees`, and snapshots the
    /// balances of `roles`, the fee recipient and the contract.
    pub async fn start(roles: &[(&str, &str)], persistent: bool) -> Result<Self> {
        let node = if persistent {
            TestNode::start_persistent()
        } else {
            TestNode::start()
        };
        let chain = Chain::connect(&node.url()).await?;
        let mut cli = Escrow::new(node.url());
        let fee = u16::try_from(FEE_BPS)?;
        cli.deploy(OPERATOR, fee, FEES.1);
        let mut tracked: Vec<(&str, _)> = roles
            .iter()
            .map(|(label, suri)| (*label, dev_account(suri)))
            .collect();
        tracked.push((FEES.0, dev_account(FEES.1)));
        tracked.push(("contract", cli.contract_account()));
        let ledger = Ledger::snapshot(&chain, &tracked).await?;
        let tracked = tracked
            .into_iter()
            .map(|(label, account)| (label.to_string(), account))
            .collect();
        Ok(Self {
            node,
            chain,
            cli,
            ledger,
            tracked,
            usd: None,
        })
    }

    /// Runs `scripts/stablecoin.sh` against the node, as the demo does: it deploys the
    /// reference stablecoin (US Dollar, USD, 6 decimals) as `//Alice`, records it in the
    /// CLI's state, and mints [`DEV_USD`] to each dev account. Snapshots the USD balances of
    /// the tracked accounts; returns the token's address, the last line the script prints.
    /// The script's transactions are `//Alice`'s ([`OPERATOR`], not tracked).
    pub async fn stablecoin(&mut self) -> Result<String> {
        let bundle = stablecoin_bundle();
        let run = self.cli.run_script(
            "scripts/stablecoin.sh",
            &[],
            &[(
                "ESCROW_STABLECOIN_BUNDLE",
                bundle.to_str().expect("UTF-8 path"),
            )],
        );
        run.ok();
        let token = run
            .out
            .lines()
            .last()
            .unwrap_or_else(|| panic!("scripts/stablecoin.sh printed no address: {run:#?}"))
            .to_string();
        let address: AccountId32 = token
            .parse()
            .unwrap_or_else(|e| panic!("not an address: {token:?} ({e:?}): {run:#?}"));
        let tracked: Vec<(&str, AccountId32)> = self
            .tracked
            .iter()
            .map(|(label, account)| (label.as_str(), account.clone()))
            .collect();
        let ledger = TokenLedger::snapshot(&self.cli.url, &address, &tracked).await?;
        let info = ledger.info();
        assert_eq!(
            (info.name.as_str(), info.symbol.as_str(), info.decimals),
            ("US Dollar", "USD", 6),
            "{run:#?}"
        );
        self.usd = Some(ledger);
        Ok(token)
    }

    /// The USD ledger (after [`World::stablecoin`]).
    pub fn usd(&mut self) -> &mut TokenLedger {
        self.usd.as_mut().expect("World::stablecoin ran")
    }

    /// Asserts every tracked balance to the unit: the native ones, and the USD ones once
    /// the stablecoin is deployed.
    pub async fn check(&mut self, when: &str) -> Result<()> {
        self.ledger.assert_balances(&self.chain, when).await?;
        if let Some(usd) = &self.usd {
            usd.assert_balances(when).await?;
        }
        Ok(())
    }

    /// Declares a release of `gross` USD to `payee` (the seller, or the assignee of the
    /// receivable): net to the payee, the fee to the fee recipient, both out of the
    /// contract. Returns (net, fee).
    pub fn released_usd(&mut self, gross: u128, payee: &str) -> (u128, u128) {
        let (net, fee) = fee_split(gross, FEE_BPS);
        let usd = self.usd();
        usd.pay("contract", payee, net);
        usd.pay("contract", FEES.0, fee);
        (net, fee)
    }

    /// Declares a release of `gross` to the seller: net to the seller, the fee to the fee
    /// recipient, both out of the contract. Returns (net, fee).
    pub fn released(&mut self, gross: u128) -> (u128, u128) {
        let (net, fee) = fee_split(gross, FEE_BPS);
        self.ledger.pay("contract", SELLER.0, net);
        self.ledger.pay("contract", FEES.0, fee);
        (net, fee)
    }

    /// The buyer proposes (`args` name the seller and the milestones), the seller accepts
    /// (naming the terms hash `deal show` shows), and the buyer funds `total` whole tokens
    /// (declared to the ledger). Returns the deal id and the funding transaction.
    pub fn buyer_proposes_and_funds(&mut self, args: &[&str], total: u128) -> (u64, Tx) {
        let id = self.cli.propose(BUYER.1, args);
        let id_s = id.to_string();
        self.cli.accept(SELLER.1, id, &[]);
        let fund = self
            .cli
            .tx(BUYER.1, &["deal", "fund", &id_s, &total.to_string()]);
        self.ledger.pay(BUYER.0, "contract", units(total));
        (id, fund)
    }

    /// The seller proposes (`args` name the buyer and the milestones), and the buyer
    /// accepts (naming the terms hash) and funds all of it at once, `total` whole tokens
    /// (declared to the ledger). Returns the deal id and the acceptance.
    pub fn seller_proposes_buyer_funds(&mut self, args: &[&str], total: u128) -> (u64, Tx) {
        let id = self.cli.propose(SELLER.1, args);
        let accept = self.cli.accept(BUYER.1, id, &["--fund", "all"]);
        self.ledger.pay(BUYER.0, "contract", units(total));
        (id, accept)
    }

    /// The seller submits milestone `index` of deal `id` with the evidence hash `0xBBBB…`
    /// (the byte `evidence_byte`, in hex, 32 times).
    pub fn submit(&self, id: &str, index: &str, evidence_byte: &str) -> Tx {
        let evidence = format!("0x{}", evidence_byte.repeat(32));
        self.cli.tx(
            SELLER.1,
            &["deal", "submit", id, index, "--evidence-hash", &evidence],
        )
    }

    /// The nonce of `suri`'s account at the best block: how many of its transactions are
    /// in blocks (those still in the pool do not count). The async form of
    /// `TestNode::nonce`, for async tests (it reads through [`World::chain`], so reconnect
    /// that after a node restart).
    pub async fn nonce(&self, suri: &str) -> Result<u64> {
        let (best, _) = self.chain.best().await?;
        let nonce = self.chain.account_nonce(&dev_account(suri), best).await?;
        Ok(u64::from(nonce))
    }

    /// Seals a block after the wall clock passed `ms`, so the chain's time is past it.
    pub async fn wait_past(&self, ms: u64) -> Result<u64> {
        wait_past(&self.chain, &dev_keypair(OPERATOR), ms).await
    }
}

/// The ship-by (ms) of milestone `index` of deal `id`, from `deal show --json`.
pub fn ship_by(deal: &Json, index: usize) -> u64 {
    deal["milestones"][index]["milestone"]["ship_by"]
        .as_u64()
        .unwrap_or_else(|| panic!("milestone {index} has no ship-by: {deal}"))
}

/// The end of milestone `index`'s review window (ms), from `deal show --json`.
pub fn review_ends(deal: &Json, index: usize) -> u64 {
    deal["milestones"][index]["review_ends"]
        .as_u64()
        .unwrap_or_else(|| panic!("milestone {index} has no review window: {deal}"))
}
