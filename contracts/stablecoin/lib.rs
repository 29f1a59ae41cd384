//! # Stablecoin
//!
//! ## Warning
//!
//! Not audited, and not money: a token for the local development chain. ink! is no longer
//! developed (the ink! 5.1 line is the last for pallet-contracts).
//!
//! ## Overview
//!
//! A PSP22 token (the ink! equivalent of ERC-20) in which milestone-escrow's token deals
//! are paid. The token logic is the `psp22` crate's ([`PSP22Data`](psp22::PSP22Data):
//! balances, allowances and the total supply, with the standard's events); this crate adds
//! the metadata and an owner who can mint, so that one script can deploy the token and
//! mint to the dev accounts. Its messages have the standard's selectors
//! (`"PSP22::transfer"`, …), the ones `escrow_types::psp22` lists.
//!
//! ## Roles
//!
//! - **owner**: the account that instantiated the token. Receives the initial supply and is
//!   the only one who may [`mint_to`](stablecoin::Stablecoin::mint_to). Fixed for the
//!   token's life.
//! - **holder**: any account with a balance; transfers and approves.
//! - **spender**: any account a holder approved; moves the holder's tokens with
//!   `transfer_from`, within its allowance (the escrow is one, when funding a deal).
//!
//! ## Invariants
//!
//! `total_supply == Σ balance_of(account)`, and only the constructor and `mint_to` raise
//! it (nothing burns). Name, symbol, decimals and owner never change.
//!
//! ## Error handling
//!
//! No message panics; every failure is a [`PSP22Error`](psp22::PSP22Error), returned
//! before anything is written, so a failing message changes nothing (and ink! reverts an
//! `Err` on chain anyway). Besides the standard's `InsufficientBalance` and
//! `InsufficientAllowance`:
//!
//! - `Custom("caller is not the owner")` from `mint_to` called by anyone else;
//! - `Custom("Max PSP22 supply exceeded. Max supply limited to 2^128-1.")` (the `psp22`
//!   crate's text) from `mint_to` if the supply would pass `u128::MAX`.
//!
//! ## Interface
//!
//! - `new(name, symbol, decimals, total_supply)`: mints `total_supply` to the caller, who
//!   becomes the owner (a `Transfer` event from `None`, unless the supply is 0).
//! - PSP22: `total_supply`, `balance_of`, `allowance`, `transfer`, `transfer_from`,
//!   `approve`, `increase_allowance`, `decrease_allowance`.
//! - PSP22Metadata: `token_name`, `token_symbol`, `token_decimals`.
//! - `mint_to(to, value)` (owner only) and `owner()`.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

#[ink::contract]
pub mod stablecoin {
    use ink::prelude::{string::String, vec::Vec};
    use psp22::{PSP22Data, PSP22Error, PSP22Event, PSP22Metadata, PSP22};

    /// The text of the `PSP22Error::Custom` that `mint_to` returns to anyone but the owner.
    pub const NOT_OWNER: &str = "caller is not the owner";

    /// The token's storage: the PSP22 state and the fixed metadata.
    #[ink(storage)]
    pub struct Stablecoin {
        /// Balances, allowances and the total supply.
        data: PSP22Data,
        /// `PSP22Metadata::token_name`.
        name: Option<String>,
        /// `PSP22Metadata::token_symbol`.
        symbol: Option<String>,
        /// `PSP22Metadata::token_decimals`: how many of the smallest units make one token
        /// is `10^decimals` (6 for the local chain's dollar).
        decimals: u8,
        /// The instantiator: the only account that may mint.
        owner: AccountId,
    }

    impl Stablecoin {
        /// Creates the token and mints `total_supply` to the caller, who becomes the owner.
        ///
        /// # Events
        ///
        /// `Transfer { from: None, to: Some(caller), value: total_supply }`, unless
        /// `total_supply` is 0.
        #[ink(constructor)]
        pub fn new(
            name: Option<String>,
            symbol: Option<String>,
            decimals: u8,
            total_supply: u128,
        ) -> Self {
            let owner = Self::env().caller();
            // Cannot panic: `PSP22Data::new` mints into an empty token, and its only failure
            // (which it unwraps) is a supply past `u128::MAX`.
            let (data, events) = PSP22Data::new(total_supply, owner);
            let token = Self {
                data,
                name,
                symbol,
                decimals,
                owner,
            };
            token.emit_events(events);
            token
        }

        /// Mints `value` new tokens to `to`.
        ///
        /// # Errors
        ///
        /// - `PSP22Error::Custom("caller is not the owner")` ([`NOT_OWNER`]) if the caller is
        ///   not the owner.
        /// - `PSP22Error::Custom("Max PSP22 supply exceeded. …")` if the total supply would
        ///   pass `u128::MAX`.
        ///
        /// # Events
        ///
        /// `Transfer { from: None, to: Some(to), value }`; none if `value` is 0.
        ///
        /// # Access
        ///
        /// The owner.
        #[ink(message)]
        pub fn mint_to(&mut self, to: AccountId, value: u128) -> Result<(), PSP22Error> {
            self.ensure_owner()?;
            let events = self.data.mint(to, value)?;
            self.emit_events(events);
            Ok(())
        }

        /// The owner: the account that instantiated the token and alone may mint.
        #[ink(message)]
        pub fn owner(&self) -> AccountId {
            self.owner
        }

        /// `Ok` if the caller is the owner.
        fn ensure_owner(&self) -> Result<(), PSP22Error> {
            if self.env().caller() == self.owner {
                Ok(())
            } else {
                Err(PSP22Error::Custom(String::from(NOT_OWNER)))
            }
        }

        /// Emits the events a `PSP22Data` operation returned, in order.
        fn emit_events(&self, events: Vec<PSP22Event>) {
            for event in events {
                match event {
                    PSP22Event::Transfer(e) => self.env().emit_event(e),
                    PSP22Event::Approval(e) => self.env().emit_event(e),
                }
            }
        }
    }

    /// The standard's messages, each one `PSP22Data` operation plus its events (see the
    /// trait's docs for the exact semantics: a zero value or a transfer to oneself is a
    /// successful no-op without events).
    impl PSP22 for Stablecoin {
        #[ink(message)]
        fn total_supply(&self) -> u128 {
            self.data.total_supply()
        }

        #[ink(message)]
        fn balance_of(&self, owner: AccountId) -> u128 {
            self.data.balance_of(owner)
        }

        #[ink(message)]
        fn allowance(&self, owner: AccountId, spender: AccountId) -> u128 {
            self.data.allowance(owner, spender)
        }

        #[ink(message)]
        fn transfer(
            &mut self,
            to: AccountId,
            value: u128,
            data: Vec<u8>,
        ) -> Result<(), PSP22Error> {
            // The standard's free-form data: unused.
            let _ = data;
            let events = self.data.transfer(self.env().caller(), to, value)?;
            self.emit_events(events);
            Ok(())
        }

        #[ink(message)]
        fn transfer_from(
            &mut self,
            from: AccountId,
            to: AccountId,
            value: u128,
            data: Vec<u8>,
        ) -> Result<(), PSP22Error> {
            // The standard's free-form data: unused.
            let _ = data;
            let events = self
                .data
                .transfer_from(self.env().caller(), from, to, value)?;
            self.emit_events(events);
            Ok(())
        }

        #[ink(message)]
        fn approve(&mut self, spender: AccountId, value: u128) -> Result<(), PSP22Error> {
            let events = self.data.approve(self.env().caller(), spender, value)?;
            self.emit_events(events);
            Ok(())
        }

        #[ink(message)]
        fn increase_allowance(
            &mut self,
            spender: AccountId,
            delta_value: u128,
        ) -> Result<(), PSP22Error> {
            let events = self
                .data
                .increase_allowance(self.env().caller(), spender, delta_value)?;
            self.emit_events(events);
            Ok(())
        }

        #[ink(message)]
        fn decrease_allowance(
            &mut self,
            spender: AccountId,
            delta_value: u128,
        ) -> Result<(), PSP22Error> {
            let events = self
                .data
                .decrease_allowance(self.env().caller(), spender, delta_value)?;
            self.emit_events(events);
            Ok(())
        }
    }

    impl PSP22Metadata for Stablecoin {
        #[ink(message)]
        fn token_name(&self) -> Option<String> {
            self.name.clone()
        }

        #[ink(message)]
        fn token_symbol(&self) -> Option<String> {
            self.symbol.clone()
        }

        #[ink(message)]
        fn token_decimals(&self) -> u8 {
            self.decimals
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use ink::env::{
            test::{default_accounts, recorded_events, set_caller, EmittedEvent},
            DefaultEnvironment,
        };
        use psp22::Transfer;

        // The psp22 crate's own suite (balances, allowances, events, no-ops) on this token.
        psp22::tests!(
            Stablecoin,
            (|total_supply| Stablecoin::new(None, None, 6, total_supply))
        );

        const SUPPLY: u128 = 1_000_000_000;

        /// The local chain's dollar as the deploy script creates it, by alice.
        fn usd() -> Stablecoin {
            set_caller::<DefaultEnvironment>(default_accounts::<DefaultEnvironment>().alice);
            Stablecoin::new(Some("Local Dollar".into()), Some("lUSD".into()), 6, SUPPLY)
        }

        fn transfer_event(event: &EmittedEvent) -> Transfer {
            <Transfer as ink::scale::Decode>::decode(&mut &event.data[..])
                .expect("a Transfer event")
        }

        #[ink::test]
        fn metadata_is_what_the_constructor_was_given() {
            // given / when
            let token = usd();
            // then
            assert_eq!(token.token_name(), Some(String::from("Local Dollar")));
            assert_eq!(token.token_symbol(), Some(String::from("lUSD")));
            assert_eq!(token.token_decimals(), 6);
        }

        #[ink::test]
        fn metadata_may_be_absent() {
            // given / when
            let token = Stablecoin::new(None, None, 0, SUPPLY);
            // then
            assert_eq!(token.token_name(), None);
            assert_eq!(token.token_symbol(), None);
            assert_eq!(token.token_decimals(), 0);
        }

        #[ink::test]
        fn new_makes_the_caller_owner_and_holder_of_the_supply() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            set_caller::<DefaultEnvironment>(accounts.bob);
            // when
            let token = Stablecoin::new(None, None, 6, SUPPLY);
            // then
            assert_eq!(token.owner(), accounts.bob);
            assert_eq!(token.total_supply(), SUPPLY);
            assert_eq!(token.balance_of(accounts.bob), SUPPLY);
            assert_eq!(token.balance_of(accounts.alice), 0);
        }

        #[ink::test]
        fn mint_to_works() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let mut token = usd();
            let start = recorded_events().count();
            // when
            let result = token.mint_to(accounts.bob, 250_000_000);
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(accounts.bob), 250_000_000);
            assert_eq!(token.balance_of(accounts.alice), SUPPLY);
            assert_eq!(token.total_supply(), SUPPLY + 250_000_000);
            let events: Vec<EmittedEvent> = recorded_events().skip(start).collect();
            assert_eq!(events.len(), 1);
            let event = transfer_event(&events[0]);
            assert_eq!(event.from, None);
            assert_eq!(event.to, Some(accounts.bob));
            assert_eq!(event.value, 250_000_000);
        }

        #[ink::test]
        fn mint_to_adds_to_an_existing_balance() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let mut token = usd();
            assert_eq!(token.transfer(accounts.charlie, 7, Vec::new()), Ok(()));
            // when
            let result = token.mint_to(accounts.charlie, 5);
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(accounts.charlie), 12);
            assert_eq!(token.balance_of(accounts.alice), SUPPLY - 7);
            assert_eq!(token.total_supply(), SUPPLY + 5);
        }

        #[ink::test]
        fn mint_to_the_owner_works() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let mut token = usd();
            // when
            let result = token.mint_to(accounts.alice, 1);
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(accounts.alice), SUPPLY + 1);
            assert_eq!(token.total_supply(), SUPPLY + 1);
        }

        #[ink::test]
        fn mint_to_of_zero_is_a_no_op() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let mut token = usd();
            let start = recorded_events().count();
            // when
            let result = token.mint_to(accounts.bob, 0);
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(accounts.bob), 0);
            assert_eq!(token.total_supply(), SUPPLY);
            assert_eq!(recorded_events().count(), start);
        }

        #[ink::test]
        fn mint_to_rejects_anyone_but_the_owner() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let mut token = usd();
            let start = recorded_events().count();
            for caller in [accounts.bob, accounts.charlie, accounts.eve] {
                set_caller::<DefaultEnvironment>(caller);
                // when
                let result = token.mint_to(caller, 1);
                // then: refused, nothing minted, no event
                assert_eq!(
                    result,
                    Err(PSP22Error::Custom(String::from("caller is not the owner")))
                );
                assert_eq!(token.balance_of(caller), 0);
            }
            assert_eq!(token.balance_of(accounts.alice), SUPPLY);
            assert_eq!(token.total_supply(), SUPPLY);
            assert_eq!(recorded_events().count(), start);
        }

        #[ink::test]
        fn mint_to_rejects_a_former_holder_of_the_whole_supply() {
            // given: bob holds every token, yet alice stays the owner
            let accounts = default_accounts::<DefaultEnvironment>();
            let mut token = usd();
            assert_eq!(token.transfer(accounts.bob, SUPPLY, Vec::new()), Ok(()));
            set_caller::<DefaultEnvironment>(accounts.bob);
            // when
            let result = token.mint_to(accounts.bob, 1);
            // then
            assert_eq!(result, Err(PSP22Error::Custom(String::from(NOT_OWNER))));
            assert_eq!(token.owner(), accounts.alice);
            assert_eq!(token.balance_of(accounts.bob), SUPPLY);
            assert_eq!(token.total_supply(), SUPPLY);
        }

        #[ink::test]
        fn mint_to_fails_when_the_supply_would_overflow() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let mut token = usd();
            let start = recorded_events().count();
            // when
            let result = token.mint_to(accounts.bob, u128::MAX - SUPPLY + 1);
            // then
            assert_eq!(
                result,
                Err(PSP22Error::Custom(String::from(
                    "Max PSP22 supply exceeded. Max supply limited to 2^128-1."
                )))
            );
            assert_eq!(token.balance_of(accounts.bob), 0);
            assert_eq!(token.total_supply(), SUPPLY);
            assert_eq!(recorded_events().count(), start);
        }

        #[ink::test]
        fn mint_to_up_to_the_maximum_supply_works() {
            // given
            let accounts = default_accounts::<DefaultEnvironment>();
            let mut token = usd();
            // when
            let result = token.mint_to(accounts.bob, u128::MAX - SUPPLY);
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(accounts.bob), u128::MAX - SUPPLY);
            assert_eq!(token.total_supply(), u128::MAX);
        }

        #[ink::test]
        fn minted_tokens_can_be_spent_by_an_approved_spender() {
            // given: bob's minted tokens, approved to charlie (as a buyer approves the escrow)
            let accounts = default_accounts::<DefaultEnvironment>();
            let mut token = usd();
            assert_eq!(token.mint_to(accounts.bob, 1_000), Ok(()));
            set_caller::<DefaultEnvironment>(accounts.bob);
            assert_eq!(token.approve(accounts.charlie, 600), Ok(()));
            set_caller::<DefaultEnvironment>(accounts.charlie);
            // when
            let result = token.transfer_from(accounts.bob, accounts.django, 600, Vec::new());
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(accounts.bob), 400);
            assert_eq!(token.balance_of(accounts.django), 600);
            assert_eq!(token.allowance(accounts.bob, accounts.charlie), 0);
            assert_eq!(token.total_supply(), SUPPLY + 1_000);
        }
    }
}
