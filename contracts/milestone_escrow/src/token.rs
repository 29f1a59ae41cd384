//! Calls to a deal's PSP22 token: the only code that talks to another contract.
//!
//! Each call reports success as a plain `bool` or `Option`: a token that returns an error,
//! reverts, traps, runs out of its gas limit, answers in an unexpected encoding or tries to
//! call back into the escrow (pallet-contracts refuses re-entry, as ink!'s default call
//! flags ask) is a failed call, nothing more. What a failure means is the caller's rule:
//! a refused deposit fails the message, a refused payout is credited to the payee's
//! claimable balance (`steps.rs`).
//!
//! Unit tests run in ink!'s off-chain engine, which cannot call contracts; there the same
//! functions use [`mock`], an in-memory PSP22 ledger with the failure modes the on-chain
//! hostile tokens have. The money rules that use them are the same code in both.
use escrow_types::Balance;
use ink::primitives::AccountId;

#[cfg(not(test))]
pub(crate) use chain::{balance_of, transfer, transfer_from};
#[cfg(test)]
pub(crate) use mock::{balance_of, transfer, transfer_from};

#[cfg(not(test))]
mod chain {
    use super::*;
    use escrow_types::psp22;
    use ink::{
        env::{
            call::{build_call, ExecutionInput, Selector},
            DefaultEnvironment,
        },
        prelude::vec::Vec,
    };
    use scale::{Decode, Encode, Input, Output};

    /// Gas a payout's `transfer` may use: a PSP22 transfer needs a small fraction of it, and
    /// the limit keeps a token that burns all the gas it is given from failing the release
    /// (or refund) that pays out of it. Such a payout is deferred instead.
    const PAYOUT_REF_TIME: u64 = 25_000_000_000;
    /// Proof size a payout's `transfer` may use (bytes), for the same reason.
    const PAYOUT_PROOF_SIZE: u64 = 256 * 1024;

    /// A message's SCALE-encoded arguments, sent as they are.
    struct RawArgs(Vec<u8>);

    impl Encode for RawArgs {
        fn size_hint(&self) -> usize {
            self.0.len()
        }
        fn encode_to<T: Output + ?Sized>(&self, dest: &mut T) {
            dest.write(&self.0);
        }
    }

    /// The first 16 bytes of a message's answer and its length; the rest is read and
    /// dropped. One answer type and one call path for every token message keeps ink!'s
    /// call code in the contract once (every byte of code is paid for by every message,
    /// docs/cost-model.md §1), and decoding no `PSP22Error` keeps its strings out.
    struct Answer {
        head: [u8; 16],
        len: usize,
    }

    impl Decode for Answer {
        fn decode<I: Input>(input: &mut I) -> Result<Self, scale::Error> {
            let len = input.remaining_len()?.unwrap_or(0);
            let mut head = [0u8; 16];
            let mut chunk = [0u8; 16];
            let mut left = len;
            let mut first = true;
            while left > 0 {
                let n = left.min(16);
                let buf = if first { &mut head } else { &mut chunk };
                input.read(buf.get_mut(..n).ok_or("chunk")?)?;
                left = left.saturating_sub(n);
                first = false;
            }
            Ok(Answer { head, len })
        }
    }

    /// Calls `selector` on `token` with `args` within the given limits (0: no limit);
    /// the answer, or `None` if the call failed in any way.
    #[inline(never)]
    fn invoke(
        token: AccountId,
        selector: [u8; 4],
        args: Vec<u8>,
        ref_time: u64,
        proof_size: u64,
    ) -> Option<Answer> {
        build_call::<DefaultEnvironment>()
            .call(token)
            .ref_time_limit(ref_time)
            .proof_size_limit(proof_size)
            .exec_input(ExecutionInput::new(Selector::new(selector)).push_arg(RawArgs(args)))
            .returns::<Answer>()
            .try_invoke()
            .ok()?
            .ok()
    }

    /// Whether an answer is `Ok(())` of a `Result<(), PSP22Error>`.
    fn is_ok_unit(answer: Option<Answer>) -> bool {
        matches!(
            answer,
            Some(Answer {
                head: [0, ..],
                len: 1
            })
        )
    }

    /// `token.balance_of(owner)`, or `None` if the call failed.
    pub(crate) fn balance_of(token: AccountId, owner: AccountId) -> Option<Balance> {
        let answer = invoke(token, psp22::BALANCE_OF, owner.encode(), 0, 0)?;
        (answer.len == 16).then(|| Balance::from_le_bytes(answer.head))
    }

    /// `token.transfer(to, amount, [])` from the escrow, within the payout gas limits;
    /// whether it returned `Ok(())`.
    pub(crate) fn transfer(token: AccountId, to: AccountId, amount: Balance) -> bool {
        let args = (to, amount, Vec::<u8>::new()).encode();
        is_ok_unit(invoke(
            token,
            psp22::TRANSFER,
            args,
            PAYOUT_REF_TIME,
            PAYOUT_PROOF_SIZE,
        ))
    }

    /// `token.transfer_from(from, to, amount, [])`, the escrow spending `from`'s allowance;
    /// whether it returned `Ok(())`.
    pub(crate) fn transfer_from(
        token: AccountId,
        from: AccountId,
        to: AccountId,
        amount: Balance,
    ) -> bool {
        let args = (from, to, amount, Vec::<u8>::new()).encode();
        is_ok_unit(invoke(token, psp22::TRANSFER_FROM, args, 0, 0))
    }
}

/// An in-memory PSP22 ledger per token address for the off-chain unit tests, with the
/// behaviours of the hostile tokens the on-chain tests deploy.
#[cfg(test)]
pub(crate) mod mock {
    use super::*;
    use std::{cell::RefCell, collections::BTreeMap};

    /// How a mock token behaves on `transfer` and `transfer_from`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Mode {
        /// Moves exactly what is asked, if balance and allowance allow.
        Honest,
        /// Every transfer fails, as a revert, a trap or a refused re-entry does.
        Revert,
        /// Reports success and moves nothing.
        Lie,
        /// Moves what is asked but delivers `bps` basis points less (fee-on-transfer).
        DeliverLess(u16),
    }

    /// One token's state.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) struct Ledger {
        pub(crate) mode: Mode,
        pub(crate) balances: BTreeMap<AccountId, Balance>,
        pub(crate) allowances: BTreeMap<(AccountId, AccountId), Balance>,
    }

    thread_local! {
        static TOKENS: RefCell<BTreeMap<AccountId, Ledger>> = const { RefCell::new(BTreeMap::new()) };
    }

    /// Creates (or resets) token `token` with behaviour `mode` and no balances.
    pub(crate) fn install(token: AccountId, mode: Mode) {
        TOKENS.with(|t| {
            t.borrow_mut().insert(
                token,
                Ledger {
                    mode,
                    balances: BTreeMap::new(),
                    allowances: BTreeMap::new(),
                },
            )
        });
    }

    /// Changes the behaviour of an installed token.
    pub(crate) fn set_mode(token: AccountId, mode: Mode) {
        TOKENS.with(|t| {
            if let Some(l) = t.borrow_mut().get_mut(&token) {
                l.mode = mode;
            }
        });
    }

    /// Mints `amount` to `to`.
    pub(crate) fn mint(token: AccountId, to: AccountId, amount: Balance) {
        TOKENS.with(|t| {
            let mut t = t.borrow_mut();
            let l = t.get_mut(&token).expect("mock token installed");
            *l.balances.entry(to).or_default() += amount;
        });
    }

    /// `owner` approves `spender` for `amount` (replacing any earlier allowance).
    pub(crate) fn approve(token: AccountId, owner: AccountId, spender: AccountId, amount: Balance) {
        TOKENS.with(|t| {
            let mut t = t.borrow_mut();
            let l = t.get_mut(&token).expect("mock token installed");
            l.allowances.insert((owner, spender), amount);
        });
    }

    /// `spender`'s allowance from `owner`.
    pub(crate) fn allowance(token: AccountId, owner: AccountId, spender: AccountId) -> Balance {
        TOKENS.with(|t| {
            t.borrow()
                .get(&token)
                .and_then(|l| l.allowances.get(&(owner, spender)).copied())
                .unwrap_or(0)
        })
    }

    /// Every token's state: the harness saves it before a call and puts it back when the
    /// call fails, as the chain's revert of the whole call tree does.
    pub(crate) fn save() -> BTreeMap<AccountId, Ledger> {
        TOKENS.with(|t| t.borrow().clone())
    }

    /// Restores what [`save`] returned.
    pub(crate) fn restore(saved: BTreeMap<AccountId, Ledger>) {
        TOKENS.with(|t| *t.borrow_mut() = saved);
    }

    /// `token.balance_of(owner)`; `None` for a token that was never installed (no contract).
    pub(crate) fn balance_of(token: AccountId, owner: AccountId) -> Option<Balance> {
        TOKENS.with(|t| {
            t.borrow()
                .get(&token)
                .map(|l| l.balances.get(&owner).copied().unwrap_or(0))
        })
    }

    fn escrow() -> AccountId {
        ink::env::account_id::<ink::env::DefaultEnvironment>()
    }

    /// Moves `amount` from `from` to `to` by `mode`'s rules; `false` if it fails.
    fn move_tokens(token: AccountId, from: AccountId, to: AccountId, amount: Balance) -> bool {
        TOKENS.with(|t| {
            let mut t = t.borrow_mut();
            let Some(l) = t.get_mut(&token) else {
                return false;
            };
            let delivered = match l.mode {
                Mode::Revert => return false,
                Mode::Lie => return true,
                Mode::Honest => amount,
                Mode::DeliverLess(bps) => amount - amount * u128::from(bps) / 10_000,
            };
            let have = l.balances.get(&from).copied().unwrap_or(0);
            if have < amount {
                return false;
            }
            l.balances.insert(from, have - amount);
            *l.balances.entry(to).or_default() += delivered;
            true
        })
    }

    /// `transfer` from the escrow's own account.
    pub(crate) fn transfer(token: AccountId, to: AccountId, amount: Balance) -> bool {
        move_tokens(token, escrow(), to, amount)
    }

    /// `transfer_from` spending `from`'s allowance to the escrow.
    pub(crate) fn transfer_from(
        token: AccountId,
        from: AccountId,
        to: AccountId,
        amount: Balance,
    ) -> bool {
        let spender = escrow();
        let allowed = allowance(token, from, spender);
        let mode = TOKENS.with(|t| t.borrow().get(&token).map(|l| l.mode));
        if mode != Some(Mode::Revert) && mode != Some(Mode::Lie) && allowed < amount {
            return false;
        }
        if !move_tokens(token, from, to, amount) {
            return false;
        }
        if mode != Some(Mode::Lie) {
            approve(token, from, spender, allowed - amount);
        }
        true
    }
}
