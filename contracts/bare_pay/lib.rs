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

    /// End-to-end tests against the local chain (`escrow-node`): run with
    /// `CONTRACTS_NODE=$CARGO_TARGET_DIR/release/escrow-node cargo test -p bare_pay
    /// --features e2e-tests -- --test-threads=1`.
    #[cfg(all(test, feature = "e2e-tests"))]
    mod e2e_tests {
        use super::*;
        use ink_e2e::{ChainBackend, ContractsBackend};

        // ink_e2e's macro reads CONTRACTS_NODE_URL at expansion, untracked by cargo: naming
        // it here rebuilds these tests when it changes (see milestone_escrow's e2e_tests).
        const _: Option<&str> = option_env!("CONTRACTS_NODE_URL");

        type E2EResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

        /// One unit of the chain's token (12 decimals).
        const UNIT: Balance = 1_000_000_000_000;

        /// An account no test has used: 32 bytes from the clock and a per-process counter.
        fn fresh_account() -> AccountId {
            use std::sync::atomic::{AtomicU64, Ordering};
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock after 1970")
                .as_nanos();
            let mut bytes = [0xBA; 32];
            bytes[..16].copy_from_slice(&nanos.to_le_bytes());
            bytes[16..24].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
            AccountId::from(bytes)
        }

        #[ink_e2e::test]
        async fn pay_transfers_exact_amount_to_fresh_account<Client: E2EBackend>(
            mut client: Client,
        ) -> E2EResult<()> {
            // given: a contract endowed with 10 UNIT and a payee that does not exist yet
            let endowment = 10 * UNIT;
            let amount = 3 * UNIT;
            let mut constructor = BarePayRef::new();
            let contract = client
                .instantiate("bare_pay", &ink_e2e::alice(), &mut constructor)
                .value(endowment)
                .submit()
                .await
                .expect("instantiate failed");
            let mut call_builder = contract.call_builder::<BarePay>();
            let payee = fresh_account();
            assert_eq!(client.free_balance(payee).await?, 0);
            let contract_before = client.free_balance(contract.account_id).await?;

            // when
            let pay = call_builder.pay(payee, amount);
            let result = client
                .call(&ink_e2e::bob(), &pay)
                .submit()
                .await
                .expect("pay failed");

            // then
            assert_eq!(result.return_value(), Ok(()));
            assert_eq!(client.free_balance(payee).await?, amount);
            assert_eq!(
                client.free_balance(contract.account_id).await?,
                contract_before - amount
            );
            let count = call_builder.count();
            let count = client.call(&ink_e2e::bob(), &count).dry_run().await?;
            assert_eq!(count.return_value(), 1);
            Ok(())
        }

        #[ink_e2e::test]
        async fn pay_fails_when_amount_exceeds_balance<Client: E2EBackend>(
            mut client: Client,
        ) -> E2EResult<()> {
            // given
            let endowment = UNIT;
            let mut constructor = BarePayRef::new();
            let contract = client
                .instantiate("bare_pay", &ink_e2e::alice(), &mut constructor)
                .value(endowment)
                .submit()
                .await
                .expect("instantiate failed");
            let mut call_builder = contract.call_builder::<BarePay>();
            let payee = fresh_account();

            // when
            let pay = call_builder.pay(payee, 2 * endowment);
            let dry_run = client.call(&ink_e2e::bob(), &pay).dry_run().await?;

            // then: the typed error, the counter reverted, nothing moved
            assert_eq!(dry_run.return_value(), Err(Error::TransferFailed));
            assert_eq!(client.free_balance(payee).await?, 0);
            let count = call_builder.count();
            let count = client.call(&ink_e2e::bob(), &count).dry_run().await?;
            assert_eq!(count.return_value(), 0);
            Ok(())
        }
    }
}
