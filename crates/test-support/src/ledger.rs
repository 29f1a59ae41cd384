//! The exact free balance of every account a scenario involves, to the smallest unit.
//!
//! Every signer pays a transaction fee, and a message that grows the contract's storage
//! also charges its origin a storage deposit (released again when the storage shrinks).
//! Those costs are the chain's, not the escrow's, but they move balances. The [`Ledger`]
//! reads them from the chain's own events for every block since its snapshot
//! (`TransactionPayment::TransactionFeePaid`, `Contracts::StorageDepositTransferredAndHeld`
//! and `…AndReleased`); the test itself declares every escrow money movement (deposit,
//! payout, fee, refund), computed from the deal's terms. [`Ledger::assert_balances`] then
//! compares expected and actual free balances of every tracked account, the contract
//! included. A wrong payout by even one unit fails the test.
//!
//! A token deal moves a PSP22 token instead: the [`TokenLedger`] follows one token's
//! balances the same way (the chain's costs of a token deal stay in the native token, in
//! the [`Ledger`]).

use std::{collections::BTreeMap, sync::Arc};

use escrow_client::token::{Psp22, TokenInfo};
use subxt::utils::AccountId32;

use crate::{
    chain::{
        block_hash, StorageDepositTransferredAndHeld, StorageDepositTransferredAndReleased,
        TransactionFeePaid,
    },
    Chain, Result,
};

/// The fee the contract takes from a payment to the seller: `gross × bps / 10 000`,
/// rounded down; returns `(to_seller, fee)`.
pub fn fee_split(gross: u128, bps: u128) -> (u128, u128) {
    let fee = gross * bps / 10_000;
    (gross - fee, fee)
}

/// One account the ledger follows.
#[derive(Debug)]
struct Tracked {
    label: String,
    account: AccountId32,
    /// Free balance at the snapshot.
    start: u128,
    /// Escrow money movements the test declared (deposits, payouts, refunds).
    declared: i128,
    /// Transaction fees paid, from `TransactionFeePaid`.
    fees: u128,
    /// Storage deposits paid minus those released back, from the `Contracts` events.
    deposits: i128,
}

/// Expected free balances: the snapshot, plus what the test declares, minus the chain's
/// costs read from events (see the module docs).
#[derive(Debug)]
pub struct Ledger {
    accounts: Vec<Tracked>,
    /// The last block whose costs are applied.
    synced_to: u32,
}

impl Ledger {
    /// Snapshots the free balances of `accounts` (label, account) at the best block.
    pub async fn snapshot(chain: &Chain, accounts: &[(&str, AccountId32)]) -> Result<Self> {
        let (best, number) = chain.best().await?;
        let mut tracked = Vec::new();
        for (label, account) in accounts {
            tracked.push(Tracked {
                label: label.to_string(),
                account: account.clone(),
                start: chain.free_balance(account, best).await?,
                declared: 0,
                fees: 0,
                deposits: 0,
            });
        }
        Ok(Self {
            accounts: tracked,
            synced_to: number,
        })
    }

    fn get(&mut self, label: &str) -> &mut Tracked {
        self.accounts
            .iter_mut()
            .find(|t| t.label == label)
            .unwrap_or_else(|| panic!("the ledger does not track {label}"))
    }

    /// Declares that `amount` moved from `from` to `to` (labels of tracked accounts).
    pub fn pay(&mut self, from: &str, to: &str, amount: u128) {
        let amount = i128::try_from(amount).expect("amount fits i128");
        self.get(from).declared -= amount;
        self.get(to).declared += amount;
    }

    /// Transaction fees `label` paid since the snapshot (as applied so far).
    pub fn fees_of(&mut self, label: &str) -> u128 {
        self.get(label).fees
    }

    /// Applies the chain's costs (fees, storage deposits) of every block after the last
    /// one applied, up to the best block.
    pub async fn sync(&mut self, chain: &Chain) -> Result<()> {
        let (_, best) = chain.best().await?;
        for number in self.synced_to + 1..=best {
            let hash = block_hash(chain, number).await?;
            let events = chain.api.events().at(hash).await?;
            for fee in events.find::<TransactionFeePaid>() {
                let fee = fee?;
                for t in self.accounts.iter_mut().filter(|t| t.account == fee.who) {
                    t.fees += fee.actual_fee + fee.tip;
                }
            }
            for held in events.find::<StorageDepositTransferredAndHeld>() {
                let held = held?;
                let amount = i128::try_from(held.amount)?;
                // The deposit leaves the origin's free balance; at the contract it is
                // held, so the contract's free balance does not change.
                for t in self.accounts.iter_mut().filter(|t| t.account == held.from) {
                    t.deposits += amount;
                }
            }
            for released in events.find::<StorageDepositTransferredAndReleased>() {
                let released = released?;
                let amount = i128::try_from(released.amount)?;
                for t in self
                    .accounts
                    .iter_mut()
                    .filter(|t| t.account == released.to)
                {
                    t.deposits -= amount;
                }
            }
        }
        self.synced_to = best;
        Ok(())
    }

    /// Syncs, then asserts that every tracked account's free balance is exactly
    /// `start + declared − fees − deposits`; on a mismatch, fails with a table of all.
    pub async fn assert_balances(&mut self, chain: &Chain, when: &str) -> Result<()> {
        self.sync(chain).await?;
        let (best, number) = chain.best().await?;
        let mut table = String::new();
        let mut wrong = 0;
        for t in &self.accounts {
            let actual = chain.free_balance(&t.account, best).await?;
            let expected =
                i128::try_from(t.start)? + t.declared - i128::try_from(t.fees)? - t.deposits;
            let ok = i128::try_from(actual)? == expected;
            if !ok {
                wrong += 1;
            }
            table.push_str(&format!(
                "  {:<10} start {:>26} declared {:>+24} fees {:>14} deposits {:>+16} \
                 expected {:>26} actual {:>26} {}\n",
                t.label,
                t.start,
                t.declared,
                t.fees,
                t.deposits,
                expected,
                actual,
                if ok { "ok" } else { "MISMATCH" }
            ));
        }
        assert_eq!(
            wrong, 0,
            "balances {when} (block #{number}) differ from the ledger:\n{table}"
        );
        eprintln!("balances {when} (block #{number}) exact:\n{table}");
        Ok(())
    }

    /// The free balances of all tracked accounts at the best block, by label.
    pub async fn balances(&self, chain: &Chain) -> Result<BTreeMap<String, u128>> {
        let (best, _) = chain.best().await?;
        let mut out = BTreeMap::new();
        for t in &self.accounts {
            out.insert(t.label.clone(), chain.free_balance(&t.account, best).await?);
        }
        Ok(out)
    }
}

/// One account the [`TokenLedger`] follows.
#[derive(Debug)]
struct TokenTracked {
    label: String,
    account: AccountId32,
    /// Token balance at the snapshot.
    start: u128,
    /// Token movements the test declared.
    declared: i128,
}

/// Expected balances of one PSP22 token (a token deal's asset), to its smallest unit: the
/// snapshot plus what the test declares. Nothing else moves a token balance (the chain's
/// fees and storage deposits are paid in the native token, which the [`Ledger`] follows),
/// so any difference is the escrow's or the token's.
pub struct TokenLedger {
    chain: Arc<Chain>,
    token: Psp22,
    info: TokenInfo,
    accounts: Vec<TokenTracked>,
}

impl TokenLedger {
    /// Loads the token at `token` from the node at `url` (refused unless it is a PSP22
    /// token with metadata) and snapshots the balances of `accounts` (label, account) at
    /// the best block.
    pub async fn snapshot(
        url: &str,
        token: &AccountId32,
        accounts: &[(&str, AccountId32)],
    ) -> Result<Self> {
        let chain = Arc::new(Chain::connect(url).await?);
        let (best, _) = chain.best().await?;
        let (psp22, info) = Psp22::load(chain.clone(), token.clone(), best).await?;
        let mut tracked = Vec::new();
        for (label, account) in accounts {
            tracked.push(TokenTracked {
                label: label.to_string(),
                account: account.clone(),
                start: psp22.balance_of(best, account).await?,
                declared: 0,
            });
        }
        Ok(Self {
            chain,
            token: psp22,
            info,
            accounts: tracked,
        })
    }

    /// The token's metadata, as read at the snapshot.
    pub fn info(&self) -> &TokenInfo {
        &self.info
    }

    fn get(&mut self, label: &str) -> &mut TokenTracked {
        self.accounts
            .iter_mut()
            .find(|t| t.label == label)
            .unwrap_or_else(|| panic!("the token ledger does not track {label}"))
    }

    /// The balance of `label` at the snapshot.
    pub fn start_of(&self, label: &str) -> u128 {
        self.accounts
            .iter()
            .find(|t| t.label == label)
            .unwrap_or_else(|| panic!("the token ledger does not track {label}"))
            .start
    }

    /// Declares that `amount` of the token moved from `from` to `to` (labels of tracked
    /// accounts).
    pub fn pay(&mut self, from: &str, to: &str, amount: u128) {
        let amount = i128::try_from(amount).expect("amount fits i128");
        self.get(from).declared -= amount;
        self.get(to).declared += amount;
    }

    /// Asserts that every tracked account's token balance is exactly `start + declared`;
    /// on a mismatch, fails with a table of all.
    pub async fn assert_balances(&self, when: &str) -> Result<()> {
        let (best, number) = self.chain.best().await?;
        let mut table = String::new();
        let mut wrong = 0;
        for t in &self.accounts {
            let actual = self.token.balance_of(best, &t.account).await?;
            let expected = i128::try_from(t.start)? + t.declared;
            let ok = i128::try_from(actual)? == expected;
            if !ok {
                wrong += 1;
            }
            table.push_str(&format!(
                "  {:<10} start {:>22} declared {:>+22} expected {:>22} actual {:>22} {}\n",
                t.label,
                t.start,
                t.declared,
                expected,
                actual,
                if ok { "ok" } else { "MISMATCH" }
            ));
        }
        let symbol = &self.info.symbol;
        assert_eq!(
            wrong, 0,
            "{symbol} balances {when} (block #{number}) differ from the ledger:\n{table}"
        );
        eprintln!("{symbol} balances {when} (block #{number}) exact:\n{table}");
        Ok(())
    }

    /// The token balances of all tracked accounts at the best block, by label.
    pub async fn balances(&self) -> Result<BTreeMap<String, u128>> {
        let (best, _) = self.chain.best().await?;
        let mut out = BTreeMap::new();
        for t in &self.accounts {
            out.insert(
                t.label.clone(),
                self.token.balance_of(best, &t.account).await?,
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units;

    #[test]
    fn fee_split_rounds_the_fee_down() {
        assert_eq!(fee_split(units(6_000), 100), (units(5_940), units(60)));
        assert_eq!(fee_split(199, 100), (198, 1));
        assert_eq!(fee_split(99, 100), (99, 0));
    }
}
