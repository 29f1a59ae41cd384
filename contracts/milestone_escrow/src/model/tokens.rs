//! The tokens in the model: the PSP22 ledgers the contract's token deals pay in, and the
//! token moves the escrow makes, written from the token modes' documented behaviour
//! (`crate::token::mock::Mode`: honest, reverting, lying, delivering less), not from the
//! mock's code. The harness compares these ledgers with the mock's after every step.
use super::*;
use crate::token::mock::Mode;

/// The honest token: its mode never changes.
pub(super) fn token_a() -> AccountId {
    AccountId::from([0x7A; 32])
}
/// The moody token: sequences flip it between honest, reverting, lying and delivering less.
pub(super) fn token_b() -> AccountId {
    AccountId::from([0x7B; 32])
}
/// An address with no token contract behind it (a plain account): proposing a deal in it is
/// allowed, funding it fails (`TransferFailed`).
pub(super) fn token_none() -> AccountId {
    AccountId::from([0x7C; 32])
}
/// The installed tokens.
pub(super) fn installed() -> [AccountId; 2] {
    [token_a(), token_b()]
}
/// Every token address a deal may name and the test tracks (claimables, balances).
pub(super) fn all_tokens() -> [AccountId; 3] {
    [token_a(), token_b(), token_none()]
}

/// Token balance every pool account starts with, except the last one ([`POOR_TOKENS`]: its
/// deposits run short of balance).
pub(super) const START_TOKENS: Balance = 1_000_000;
pub(super) const POOR_TOKENS: Balance = 300;

pub(super) fn start_tokens(i: usize) -> Balance {
    if i == POOL - 1 {
        POOR_TOKENS
    } else {
        START_TOKENS
    }
}

/// One token's state in the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MToken {
    pub(super) mode: Mode,
    pub(super) balances: BTreeMap<AccountId, Balance>,
    /// `(owner, spender)` → allowance.
    pub(super) allowances: BTreeMap<(AccountId, AccountId), Balance>,
}

impl MToken {
    pub(super) fn new() -> MToken {
        MToken {
            mode: Mode::Honest,
            balances: (0..POOL).map(|i| (acct(i), start_tokens(i))).collect(),
            allowances: BTreeMap::new(),
        }
    }

    pub(super) fn bal(&self, who: AccountId) -> Balance {
        self.balances.get(&who).copied().unwrap_or(0)
    }

    pub(super) fn allowance(&self, owner: AccountId, spender: AccountId) -> Balance {
        self.allowances.get(&(owner, spender)).copied().unwrap_or(0)
    }

    /// What a transfer of `amount` delivers to the recipient, if it moves anything:
    /// `None` if it fails, `Some(None)` if it reports success and moves nothing (a lie).
    fn delivery(&self, from: AccountId, amount: Balance) -> Option<Option<Balance>> {
        let delivered = match self.mode {
            Mode::Revert => return None,
            Mode::Lie => return Some(None),
            Mode::Honest => amount,
            Mode::DeliverLess(bps) => amount - amount * Balance::from(bps) / 10_000,
        };
        (self.bal(from) >= amount).then_some(Some(delivered))
    }

    /// Takes `amount` from `from`, credits what the mode delivers to `to`; whether the
    /// token reported success.
    fn transfer(&mut self, from: AccountId, to: AccountId, amount: Balance) -> bool {
        match self.delivery(from, amount) {
            None => false,
            Some(None) => true,
            Some(Some(delivered)) => {
                let from_bal = self.bal(from) - amount;
                self.balances.insert(from, from_bal);
                *self.balances.entry(to).or_default() += delivered;
                true
            }
        }
    }

    /// `transfer_from(from, to, amount)` by `spender`: needs the allowance (a lying token
    /// checks nothing and spends none of it).
    fn transfer_from(
        &mut self,
        spender: AccountId,
        from: AccountId,
        to: AccountId,
        amount: Balance,
    ) -> bool {
        let allowed = self.allowance(from, spender);
        if matches!(self.mode, Mode::Honest | Mode::DeliverLess(_)) && allowed < amount {
            return false;
        }
        if !self.transfer(from, to, amount) {
            return false;
        }
        if self.mode != Mode::Lie {
            self.allowances.insert((from, spender), allowed - amount);
        }
        true
    }
}

impl Model {
    /// The escrow pays `amount` of `token` to `to` with the token's `transfer`; whether the
    /// token reported success. Whatever a successful payout leaves in the escrow's balance
    /// (all of it for a lie, all of it when paying the escrow itself) is surplus: tokens no
    /// deal or claimable accounts for.
    pub(super) fn token_pay(&mut self, token: AccountId, to: AccountId, amount: Balance) -> bool {
        let Some(t) = self.tokens.get_mut(&token) else {
            return false;
        };
        let before = t.bal(contract_acct());
        if !t.transfer(contract_acct(), to, amount) {
            return false;
        }
        let left = amount - (before - t.bal(contract_acct()));
        *self.surplus.entry(token).or_default() += left;
        true
    }

    /// The escrow pulls a deposit of `amount` from `from` and measures it (`fund_tokens`'
    /// documented rule): credited only if its own balance rose by exactly `amount`.
    pub(super) fn token_pull(
        &mut self,
        token: AccountId,
        from: AccountId,
        amount: Balance,
    ) -> Result<(), Error> {
        let t = self.tokens.get_mut(&token).ok_or(Error::TransferFailed)?;
        let before = t.bal(contract_acct());
        if !t.transfer_from(contract_acct(), from, contract_acct(), amount) {
            return Err(Error::TransferFailed);
        }
        let after = t.bal(contract_acct());
        let received = after.saturating_sub(before);
        if received != amount {
            return Err(Error::DepositMismatch { received });
        }
        Ok(())
    }
}
