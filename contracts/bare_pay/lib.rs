//! # Bare pay
//!
//! ## Warning
//!
//! Not audited. ink! is no longer developed (the ink! 5.1 line is the last for
//! pallet-contracts); this crate only exists to exercise the toolchain.
//!
//! ## Overview
//!
//! The smallest contract that pays someone: one storage write and one transfer per `pay`.
//! It serves two purposes:
//!
//! - the toolchain smoke test: cargo-contract (release and debug), the wasm feature check,
//!   upload, instantiate and call on the local chain (`e2e-tests/tests/toolchain.rs`);
//! - the benchmark baseline: the gas and storage deposit of a bare transfer, against which
//!   the escrow's release paths are compared.
//!
//! ## Error handling
//!
//! No message panics; every failure is an [`Error`] variant, and an `Err` reverts the
//! message (storage and the transfer).
//!
//! ## Interface
//!
//! - `new()` (payable): the endowment is the contract's balance.
//! - `deposit()` (payable): adds to the balance.
//! - `pay(to, amount)`: counts the payment, then transfers `amount` to `to`.
//! - `count()`: the number of successful payments.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

#[ink::contract]
pub mod bare_pay {
    /// Every failure of a message.
    #[derive(Debug, PartialEq, Eq, Clone, Copy, scale::Encode, scale::Decode)]
    #[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
    pub enum Error {
        /// Returned if the payment counter would overflow `u64`.
        CounterOverflow,
        /// Returned if the transfer failed: the contract lacks the free balance, the
        /// transfer would take it below its minimum balance, or the payee would stay below
        /// the existential deposit.
        TransferFailed,
    }

    /// The contract's whole storage: a single cell.
    #[ink(storage)]
    #[derive(Default)]
    pub struct BarePay {
        /// Successful `pay` calls so far.
        count: u64,
    }

    impl BarePay {
        /// Creates the contract; the transferred value becomes its balance.
        #[ink(constructor, payable)]
        pub fn new() -> Self {
            Self::default()
        }

        /// Adds the transferred value to the contract's balance.
        ///
        /// # Access
        ///
        /// Anyone.
        #[ink(message, payable)]
        pub fn deposit(&self) {}

        /// Pays `amount` from the contract's balance to `to`.
        ///
        /// # Errors
        ///
        /// - [`Error::CounterOverflow`] after `u64::MAX` payments.
        /// - [`Error::TransferFailed`] if the chain refuses the transfer (see the variant).
        ///
        /// # Access
        ///
        /// Anyone: this is a test fixture, not a wallet.
        #[ink(message)]
        pub fn pay(&mut self, to: AccountId, amount: Balance) -> Result<(), Error> {
            // Effects, then the interaction. An `Err` reverts the counter on chain.
            self.count = self.count.checked_add(1).ok_or(Error::CounterOverflow)?;
            self.env()
                .transfer(to, amount)
                .map_err(|_| Error::TransferFailed)
        }

        /// The number of successful `pay` calls.
        #[ink(message)]
        pub fn count(&self) -> u64 {
            self.count
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use ink::env::{
            test::{default_accounts, get_account_balance, set_account_balance, set_callee},
            DefaultEnvironment,
        };

        fn balance_of(account: AccountId) -> Balance {
            get_account_balance::<DefaultEnvironment>(account).unwrap_or_default()
        }

        /// Starting balance: the off-chain engine refuses balances below its 1,000,000
        /// existential deposit in `set_account_balance`.
        const START: Balance = 1_000_000_000;

        /// A contract at `contract_id` holding `balance`.
        fn funded_contract(balance: Balance) -> (BarePay, AccountId) {
            let contract_id = AccountId::from([0xC0; 32]);
            set_callee::<DefaultEnvironment>(contract_id);
            set_account_balance::<DefaultEnvironment>(contract_id, balance);
            (BarePay::new(), contract_id)
        }

        #[ink::test]
        fn new_works() {
            // given / when
            let contract = BarePay::new();
            // then
            assert_eq!(contract.count(), 0);
        }

        #[ink::test]
        fn pay_works() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let (mut contract, contract_id) = funded_contract(START);
            let payee_before = balance_of(accounts.eve);
            // when
            let result = contract.pay(accounts.eve, 300);
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(contract.count(), 1);
            assert_eq!(balance_of(accounts.eve), payee_before + 300);
            assert_eq!(balance_of(contract_id), START - 300);
        }

        #[ink::test]
        fn pay_counts_every_payment() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let (mut contract, contract_id) = funded_contract(START);
            // when
            for _ in 0..3 {
                assert_eq!(contract.pay(accounts.frank, 100), Ok(()));
            }
            // then
            assert_eq!(contract.count(), 3);
            assert_eq!(balance_of(contract_id), START - 300);
        }

        #[ink::test]
        fn pay_fails_when_counter_is_exhausted() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let (mut contract, contract_id) = funded_contract(START);
            contract.count = u64::MAX;
            let payee_before = balance_of(accounts.eve);
            // when
            let result = contract.pay(accounts.eve, 1);
            // then: checks come before the transfer, so nothing moved
            assert_eq!(result, Err(Error::CounterOverflow));
            assert_eq!(balance_of(accounts.eve), payee_before);
            assert_eq!(balance_of(contract_id), START);
        }
    }
}
