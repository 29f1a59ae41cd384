//! # Hostile token
//!
//! ## Warning
//!
//! TEST ONLY. A token that misbehaves on purpose; never deploy it anywhere but a test
//! chain.
//!
//! ## Overview
//!
//! A PSP22 token (same message selectors as the standard, `"PSP22::transfer"`, …) whose
//! `transfer` and `transfer_from` misbehave in a chosen [`Mode`](hostile_token::Mode), so
//! that milestone-escrow's tests can check that a token cannot hurt other deals: the
//! escrow must refuse a deposit that was not delivered in full, and must leave a payout
//! claimable when the token's `transfer` fails, reverts, traps or calls back into the
//! escrow.
//!
//! Balances, allowances and the total supply are honest (the `psp22` crate's
//! [`PSP22Data`](psp22::PSP22Data)); every other message (`approve`, the allowance
//! messages, the reads, the metadata) behaves as in any PSP22 token, in every mode. In
//! [`Mode::Honest`](hostile_token::Mode::Honest) the token passes the `psp22` crate's own
//! test suite.
//!
//! ## Modes
//!
//! What `transfer(to, value, data)` and `transfer_from(from, to, value, data)` do:
//!
//! | Mode | Effect |
//! |---|---|
//! | `Honest` | the standard transfer |
//! | `Refuse` | returns `Err(PSP22Error::Custom("hostile token: refused"))`; ink! reverts the call and the caller decodes the error |
//! | `Revert` | exits with the REVERT flag and an empty answer (no `MessageResult` to decode): an ink! 5.1 caller's `try_invoke` gets `Err(ink::env::Error::Decode(_))` |
//! | `Trap` | panics, i.e. traps: the caller's `try_invoke` gets `Err(ink::env::Error::ReturnError(ReturnErrorCode::CalleeTrapped))` |
//! | `Lie` | returns `Ok(())` and moves nothing (no allowance spent, no event) |
//! | `DeliverLess { bps }` | moves `value` out of the sender (spending `value` of allowance), credits `to` with `value - fee` and burns `fee = floor(value * min(bps, 10_000) / 10_000)`: a fee-on-transfer token |
//! | `Reenter { target, selector, input }` | first calls `target` with `selector ++ input`, records the outcome, then transfers honestly |
//!
//! `Refuse`, `Revert`, `Trap` and `Lie` check nothing first (not even the balance), and a
//! no-op transfer (`value == 0`, or to oneself) is a no-op in `DeliverLess` too (no burn).
//!
//! ### Re-entry
//!
//! The nested call carries no value, all the remaining gas, the raw input bytes (SCALE
//! arguments, as the target's message expects them) and no call flags: `ALLOW_REENTRY` is
//! not set, and no flag of this token could lift a caller's protection anyway, since
//! pallet-contracts checks the flags of the frame being re-entered. Its outcome is stored:
//! [`last_reentry`](hostile_token::HostileToken::last_reentry) is `Some(true)` if the
//! target ran and its ink! dispatcher answered (whatever the message's own return value, an
//! `Err` included: those bytes are kept in
//! [`last_reentry_output`](hostile_token::HostileToken::last_reentry_output)),
//! `Some(false)` if the runtime reported a failure (the target trapped, is no contract,
//! reverted with an undecodable answer, or rejected the selector with a `LangError`).
//!
//! When the target is a contract already on the call stack that did not allow re-entry —
//! the escrow calling this token's `transfer` or `transfer_from` — pallet-contracts 38
//! refuses the nested call with `ReentranceDenied`, which it does not report as a return
//! code: this token's call traps, its caller sees `CalleeTrapped`, and nothing of the call
//! is kept (`last_reentry` keeps its previous value).
//!
//! ## Interface
//!
//! - `new(mode: Mode, total_supply: u128)`: mints `total_supply` to the caller.
//! - `set_mode(mode: Mode)`, `mode() -> Mode`: anyone may change the mode.
//! - `mint_to(to: AccountId, value: u128) -> Result<(), PSP22Error>`: anyone may mint.
//! - `last_reentry() -> Option<bool>`, `last_reentry_output() -> Vec<u8>`.
//! - PSP22 and PSP22Metadata (`"Hostile Test Token"`, `"HOSTILE"`, 6 decimals).
#![cfg_attr(not(feature = "std"), no_std, no_main)]

#[ink::contract]
pub mod hostile_token {
    use ink::{
        env::{
            call::{build_call, ExecutionInput, Selector},
            CallFlags, DefaultEnvironment, ReturnFlags,
        },
        prelude::{string::String, vec, vec::Vec},
        scale,
    };
    use psp22::{PSP22Data, PSP22Error, PSP22Event, PSP22Metadata, PSP22};

    /// The text of the `PSP22Error::Custom` that `Refuse` returns.
    pub const REFUSED: &str = "hostile token: refused";
    /// The panic message of `Trap` (on chain, only a debug build records it).
    pub const TRAPPED: &str = "hostile token: trap";
    /// The whole of a transfer, in basis points: `DeliverLess` burns at most this.
    pub const MAX_BPS: u16 = 10_000;

    /// How `transfer` and `transfer_from` misbehave (see the crate docs, "Modes").
    // parity-scale-codec's derive writes each data-carrying variant's index as `<usize> as u8`;
    // cargo-contract's build runs clippy with `-D clippy::cast_possible_truncation`, which then
    // rejects the derived code. The indices are 0 to 6, so the cast is exact.
    #[allow(clippy::cast_possible_truncation)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    #[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub enum Mode {
        /// The standard transfer.
        #[default]
        Honest,
        /// Returns `Err(PSP22Error::Custom(REFUSED))`.
        Refuse,
        /// Exits with the REVERT flag and an empty answer.
        Revert,
        /// Panics (traps).
        Trap,
        /// Returns `Ok(())` and moves nothing.
        Lie,
        /// Burns `floor(value * min(bps, 10_000) / 10_000)` of every transfer out of what
        /// the recipient would get.
        DeliverLess {
            /// The fee, in basis points of the value.
            bps: u16,
        },
        /// Calls `target` with `selector` and the raw `input` first, then transfers
        /// honestly.
        Reenter {
            /// The contract to call.
            target: AccountId,
            /// The message's selector.
            selector: [u8; 4],
            /// The message's SCALE-encoded arguments, sent as they are.
            input: Vec<u8>,
        },
    }

    /// The token's storage.
    #[ink(storage)]
    pub struct HostileToken {
        /// Balances, allowances and the total supply: always honest.
        data: PSP22Data,
        /// The current misbehaviour.
        mode: Mode,
        /// The outcome of the last re-entrant call, `None` before the first.
        last_reentry_ok: Option<bool>,
        /// The target's answer to the last re-entrant call (empty if it failed).
        last_reentry_output: Vec<u8>,
    }

    /// Arguments sent as they are (already SCALE-encoded by the test).
    struct RawInput<'a>(&'a [u8]);

    impl scale::Encode for RawInput<'_> {
        fn size_hint(&self) -> usize {
            self.0.len()
        }

        fn encode_to<T: scale::Output + ?Sized>(&self, dest: &mut T) {
            dest.write(self.0);
        }
    }

    /// Whatever the target answered, kept as bytes: the rest of its output after the
    /// `LangError` wrapper.
    struct RawAnswer(Vec<u8>);

    impl scale::Decode for RawAnswer {
        fn decode<I: scale::Input>(input: &mut I) -> Result<Self, scale::Error> {
            let len = input
                .remaining_len()?
                .ok_or("the answer's length is unknown")?;
            let mut bytes = vec![0; len];
            input.read(&mut bytes)?;
            Ok(Self(bytes))
        }
    }

    /// The fee `DeliverLess { bps }` burns from a transfer of `value`:
    /// `floor(value * min(bps, 10_000) / 10_000)`, exact for every `u128` value.
    pub fn fee(value: u128, bps: u16) -> u128 {
        let bps = u128::from(bps.min(MAX_BPS));
        let whole = u128::from(MAX_BPS);
        // value = q * 10_000 + r, so value * bps / 10_000 = q * bps + r * bps / 10_000 with
        // neither product above `value` or 10_000²: nothing saturates.
        let (q, r) = (
            value.checked_div(whole).unwrap_or_default(),
            value.checked_rem(whole).unwrap_or_default(),
        );
        q.saturating_mul(bps)
            .saturating_add(r.saturating_mul(bps).checked_div(whole).unwrap_or_default())
    }

    impl HostileToken {
        /// Creates the token in `mode` and mints `total_supply` to the caller.
        #[ink(constructor)]
        pub fn new(mode: Mode, total_supply: u128) -> Self {
            // Cannot panic: minting into an empty token cannot pass `u128::MAX`.
            let (data, events) = PSP22Data::new(total_supply, Self::env().caller());
            let token = Self {
                data,
                mode,
                last_reentry_ok: None,
                last_reentry_output: Vec::new(),
            };
            token.emit_events(events);
            token
        }

        /// Switches to `mode`.
        ///
        /// # Access
        ///
        /// Anyone: this is a test token.
        #[ink(message)]
        pub fn set_mode(&mut self, mode: Mode) {
            self.mode = mode;
        }

        /// The current mode.
        #[ink(message)]
        pub fn mode(&self) -> Mode {
            self.mode.clone()
        }

        /// Mints `value` new tokens to `to`.
        ///
        /// # Errors
        ///
        /// `PSP22Error::Custom("Max PSP22 supply exceeded. …")` past `u128::MAX`.
        ///
        /// # Access
        ///
        /// Anyone: this is a test token.
        #[ink(message)]
        pub fn mint_to(&mut self, to: AccountId, value: u128) -> Result<(), PSP22Error> {
            let events = self.data.mint(to, value)?;
            self.emit_events(events);
            Ok(())
        }

        /// The outcome of the last re-entrant call: `None` before the first, `Some(true)` if
        /// the target answered, `Some(false)` if the runtime reported a failure (crate
        /// docs, "Re-entry").
        #[ink(message)]
        pub fn last_reentry(&self) -> Option<bool> {
            self.last_reentry_ok
        }

        /// The target's answer to the last re-entrant call, without the `LangError`
        /// wrapper (e.g. the SCALE of a `Result<T, Error>`); empty if it failed.
        #[ink(message)]
        pub fn last_reentry_output(&self) -> Vec<u8> {
            self.last_reentry_output.clone()
        }

        /// What the mode does before the move: `Ok(true)` to move, `Ok(false)` to move
        /// nothing and answer `Ok` (`Lie`); `Refuse` errs, `Revert` and `Trap` never return.
        fn misbehave(&mut self) -> Result<bool, PSP22Error> {
            match self.mode.clone() {
                Mode::Honest | Mode::DeliverLess { .. } => Ok(true),
                Mode::Refuse => Err(PSP22Error::Custom(String::from(REFUSED))),
                Mode::Revert => ink::env::return_value(ReturnFlags::REVERT, &()),
                Mode::Trap => panic!("{}", TRAPPED),
                Mode::Lie => Ok(false),
                Mode::Reenter {
                    target,
                    selector,
                    input,
                } => {
                    self.reenter(target, selector, &input);
                    Ok(true)
                }
            }
        }

        /// Calls `target` with `selector ++ input` and records the outcome.
        fn reenter(&mut self, target: AccountId, selector: [u8; 4], input: &[u8]) {
            let outcome = build_call::<DefaultEnvironment>()
                .call(target)
                // No ALLOW_REENTRY: the protection being tested is the caller's own.
                .call_flags(CallFlags::empty())
                .exec_input(ExecutionInput::new(Selector::new(selector)).push_arg(RawInput(input)))
                .returns::<RawAnswer>()
                .try_invoke();
            let (ok, output) = match outcome {
                Ok(Ok(RawAnswer(bytes))) => (true, bytes),
                Ok(Err(_)) | Err(_) => (false, Vec::new()),
            };
            self.last_reentry_ok = Some(ok);
            self.last_reentry_output = output;
        }

        /// `DeliverLess`'s burn after a move of `value` to `to` (none if nothing moved).
        fn burn_fee(
            &mut self,
            to: AccountId,
            value: u128,
            moved: bool,
        ) -> Result<Vec<PSP22Event>, PSP22Error> {
            match self.mode {
                // `to` just received `value >= fee`: the burn cannot fail.
                Mode::DeliverLess { bps } if moved => self.data.burn(to, fee(value, bps)),
                _ => Ok(Vec::new()),
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

    /// The standard's messages; only `transfer` and `transfer_from` depend on the mode.
    impl PSP22 for HostileToken {
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
            if !self.misbehave()? {
                return Ok(());
            }
            let caller = self.env().caller();
            let mut events = self.data.transfer(caller, to, value)?;
            events.extend(self.burn_fee(to, value, caller != to && value != 0)?);
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
            if !self.misbehave()? {
                return Ok(());
            }
            let mut events = self
                .data
                .transfer_from(self.env().caller(), from, to, value)?;
            events.extend(self.burn_fee(to, value, from != to && value != 0)?);
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

    impl PSP22Metadata for HostileToken {
        #[ink(message)]
        fn token_name(&self) -> Option<String> {
            Some(String::from("Hostile Test Token"))
        }

        #[ink(message)]
        fn token_symbol(&self) -> Option<String> {
            Some(String::from("HOSTILE"))
        }

        #[ink(message)]
        fn token_decimals(&self) -> u8 {
            6
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use ink::env::test::{
            default_accounts, recorded_events, set_caller, DefaultAccounts, EmittedEvent,
        };
        use psp22::Transfer;
        use std::panic::{catch_unwind, AssertUnwindSafe};

        // The psp22 crate's own suite, in Honest mode.
        psp22::tests!(
            HostileToken,
            (|total_supply| HostileToken::new(Mode::Honest, total_supply))
        );

        const SUPPLY: u128 = 1_000_000;

        fn accounts() -> DefaultAccounts<DefaultEnvironment> {
            default_accounts::<DefaultEnvironment>()
        }

        /// A token in `mode` whose supply alice holds, with bob approved for 10,000 of it;
        /// the caller is left as alice.
        fn token(mode: Mode) -> HostileToken {
            let acc = accounts();
            set_caller::<DefaultEnvironment>(acc.alice);
            let mut token = HostileToken::new(Mode::Honest, SUPPLY);
            assert_eq!(token.approve(acc.bob, 10_000), Ok(()));
            token.set_mode(mode);
            token
        }

        /// Every balance and allowance the tests touch, the supply, and how many events
        /// were emitted so far.
        fn state(token: &HostileToken) -> ([u128; 5], usize) {
            let acc = accounts();
            (
                [
                    token.balance_of(acc.alice),
                    token.balance_of(acc.bob),
                    token.balance_of(acc.charlie),
                    token.allowance(acc.alice, acc.bob),
                    token.total_supply(),
                ],
                recorded_events().count(),
            )
        }

        fn transfer_event(event: &EmittedEvent) -> Transfer {
            <Transfer as ink::scale::Decode>::decode(&mut &event.data[..])
                .expect("a Transfer event")
        }

        /// The panic message of `f`, which must panic.
        fn panic_message(f: impl FnOnce()) -> String {
            let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("a panic");
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| String::from(*s)))
                .expect("a text panic")
        }

        #[ink::test]
        fn new_mints_the_supply_to_the_caller_in_the_given_mode() {
            // given
            let acc = accounts();
            set_caller::<DefaultEnvironment>(acc.django);
            // when
            let token = HostileToken::new(Mode::Lie, 500);
            // then
            assert_eq!(token.mode(), Mode::Lie);
            assert_eq!(token.balance_of(acc.django), 500);
            assert_eq!(token.total_supply(), 500);
            assert_eq!(token.last_reentry(), None);
            assert_eq!(token.last_reentry_output(), Vec::<u8>::new());
        }

        #[ink::test]
        fn metadata_names_a_six_decimal_test_token() {
            let token = token(Mode::Honest);
            assert_eq!(token.token_name(), Some(String::from("Hostile Test Token")));
            assert_eq!(token.token_symbol(), Some(String::from("HOSTILE")));
            assert_eq!(token.token_decimals(), 6);
        }

        #[ink::test]
        fn set_mode_works_for_anyone() {
            // given
            let acc = accounts();
            let mut token = token(Mode::Honest);
            let reenter = Mode::Reenter {
                target: acc.frank,
                selector: [1, 2, 3, 4],
                input: vec![5, 6],
            };
            set_caller::<DefaultEnvironment>(acc.eve);
            // when
            token.set_mode(reenter.clone());
            // then
            assert_eq!(token.mode(), reenter);
            assert_eq!(token.last_reentry(), None);
        }

        #[ink::test]
        fn mint_to_works_for_anyone() {
            // given
            let acc = accounts();
            let mut token = token(Mode::Lie);
            set_caller::<DefaultEnvironment>(acc.eve);
            // when
            let result = token.mint_to(acc.charlie, 42);
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(acc.charlie), 42);
            assert_eq!(token.total_supply(), SUPPLY + 42);
        }

        #[ink::test]
        fn mint_to_fails_when_the_supply_would_overflow() {
            let acc = accounts();
            let mut token = token(Mode::Honest);
            assert_eq!(
                token.mint_to(acc.charlie, u128::MAX - SUPPLY + 1),
                Err(PSP22Error::Custom(String::from(
                    "Max PSP22 supply exceeded. Max supply limited to 2^128-1."
                )))
            );
            assert_eq!(token.total_supply(), SUPPLY);
        }

        #[ink::test]
        fn honest_mode_transfers_and_spends_the_allowance() {
            // given
            let acc = accounts();
            let mut token = token(Mode::Honest);
            // when
            assert_eq!(token.transfer(acc.charlie, 100, Vec::new()), Ok(()));
            set_caller::<DefaultEnvironment>(acc.bob);
            assert_eq!(
                token.transfer_from(acc.alice, acc.bob, 1_000, Vec::new()),
                Ok(())
            );
            // then
            assert_eq!(token.balance_of(acc.alice), SUPPLY - 1_100);
            assert_eq!(token.balance_of(acc.bob), 1_000);
            assert_eq!(token.balance_of(acc.charlie), 100);
            assert_eq!(token.allowance(acc.alice, acc.bob), 9_000);
            assert_eq!(token.total_supply(), SUPPLY);
        }

        #[ink::test]
        fn refuse_mode_errs_and_moves_nothing() {
            // given
            let acc = accounts();
            let mut token = token(Mode::Refuse);
            let before = state(&token);
            // when
            let transfer = token.transfer(acc.charlie, 100, Vec::new());
            set_caller::<DefaultEnvironment>(acc.bob);
            let transfer_from = token.transfer_from(acc.alice, acc.bob, 1_000, Vec::new());
            // then
            let refused = Err(PSP22Error::Custom(String::from("hostile token: refused")));
            assert_eq!(transfer, refused);
            assert_eq!(transfer_from, refused);
            assert_eq!(state(&token), before);
        }

        #[ink::test]
        fn revert_mode_exits_with_the_revert_flag_and_moves_nothing() {
            // given
            let acc = accounts();
            let mut token = token(Mode::Revert);
            let before = state(&token);
            // when: off chain, `return_value` panics instead of exiting (on chain: the
            // REVERT flag and an empty answer)
            let transfer = panic_message(|| {
                let _ = token.transfer(acc.charlie, 100, Vec::new());
            });
            set_caller::<DefaultEnvironment>(acc.bob);
            let transfer_from = panic_message(|| {
                let _ = token.transfer_from(acc.alice, acc.bob, 1_000, Vec::new());
            });
            // then
            let exited = "not implemented: the off-chain env does not implement `return_value`";
            assert_eq!(transfer, exited);
            assert_eq!(transfer_from, exited);
            assert_eq!(state(&token), before);
        }

        #[ink::test]
        fn trap_mode_panics_and_moves_nothing() {
            // given
            let acc = accounts();
            let mut token = token(Mode::Trap);
            let before = state(&token);
            // when
            let transfer = panic_message(|| {
                let _ = token.transfer(acc.charlie, 100, Vec::new());
            });
            set_caller::<DefaultEnvironment>(acc.bob);
            let transfer_from = panic_message(|| {
                let _ = token.transfer_from(acc.alice, acc.bob, 1_000, Vec::new());
            });
            // then
            assert_eq!(transfer, "hostile token: trap");
            assert_eq!(transfer_from, "hostile token: trap");
            assert_eq!(state(&token), before);
        }

        #[ink::test]
        fn lie_mode_answers_ok_and_moves_nothing() {
            // given
            let acc = accounts();
            let mut token = token(Mode::Lie);
            let before = state(&token);
            // when
            let transfer = token.transfer(acc.charlie, 100, Vec::new());
            set_caller::<DefaultEnvironment>(acc.bob);
            let transfer_from = token.transfer_from(acc.alice, acc.bob, 1_000, Vec::new());
            // then: Ok, yet no balance, allowance, supply or event changed
            assert_eq!(transfer, Ok(()));
            assert_eq!(transfer_from, Ok(()));
            assert_eq!(state(&token), before);
        }

        #[ink::test]
        fn lie_mode_answers_ok_even_without_balance() {
            // given: charlie holds nothing
            let acc = accounts();
            let mut token = token(Mode::Lie);
            set_caller::<DefaultEnvironment>(acc.charlie);
            // when
            let result = token.transfer(acc.bob, 5_000, Vec::new());
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(acc.charlie), 0);
            assert_eq!(token.balance_of(acc.bob), 0);
        }

        #[ink::test]
        fn deliver_less_mode_transfer_burns_the_fee_from_the_recipient() {
            // given: a 2.5% fee
            let acc = accounts();
            let mut token = token(Mode::DeliverLess { bps: 250 });
            let start = recorded_events().count();
            // when
            let result = token.transfer(acc.charlie, 1_000, Vec::new());
            // then: alice pays 1,000, charlie gets 975, 25 are burnt
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(acc.alice), SUPPLY - 1_000);
            assert_eq!(token.balance_of(acc.charlie), 975);
            assert_eq!(token.total_supply(), SUPPLY - 25);
            let events: Vec<EmittedEvent> = recorded_events().skip(start).collect();
            assert_eq!(events.len(), 2);
            let (moved, burnt) = (transfer_event(&events[0]), transfer_event(&events[1]));
            assert_eq!(
                (moved.from, moved.to, moved.value),
                (Some(acc.alice), Some(acc.charlie), 1_000)
            );
            assert_eq!(
                (burnt.from, burnt.to, burnt.value),
                (Some(acc.charlie), None, 25)
            );
        }

        #[ink::test]
        fn deliver_less_mode_transfer_from_spends_the_whole_allowance_for_less() {
            // given: a 10% fee
            let acc = accounts();
            let mut token = token(Mode::DeliverLess { bps: 1_000 });
            set_caller::<DefaultEnvironment>(acc.bob);
            // when: bob pulls 4,000 of alice's tokens to charlie (as the escrow pulls a deposit)
            let result = token.transfer_from(acc.alice, acc.charlie, 4_000, Vec::new());
            // then
            assert_eq!(result, Ok(()));
            assert_eq!(token.balance_of(acc.alice), SUPPLY - 4_000);
            assert_eq!(token.balance_of(acc.charlie), 3_600);
            assert_eq!(token.balance_of(acc.bob), 0);
            assert_eq!(token.allowance(acc.alice, acc.bob), 6_000);
            assert_eq!(token.total_supply(), SUPPLY - 400);
        }

        #[ink::test]
        fn deliver_less_mode_keeps_the_standard_errors() {
            // given
            let acc = accounts();
            let mut token = token(Mode::DeliverLess { bps: 1_000 });
            let before = state(&token);
            set_caller::<DefaultEnvironment>(acc.bob);
            // when / then
            assert_eq!(
                token.transfer_from(acc.alice, acc.charlie, 10_001, Vec::new()),
                Err(PSP22Error::InsufficientAllowance)
            );
            assert_eq!(
                token.transfer(acc.charlie, 1, Vec::new()),
                Err(PSP22Error::InsufficientBalance)
            );
            assert_eq!(state(&token), before);
        }

        #[ink::test]
        fn deliver_less_mode_burns_nothing_on_a_no_op() {
            // given
            let acc = accounts();
            let mut token = token(Mode::DeliverLess { bps: 5_000 });
            let before = state(&token);
            // when: zero value, and a transfer to oneself
            assert_eq!(token.transfer(acc.charlie, 0, Vec::new()), Ok(()));
            assert_eq!(token.transfer(acc.alice, 1_000, Vec::new()), Ok(()));
            set_caller::<DefaultEnvironment>(acc.bob);
            assert_eq!(
                token.transfer_from(acc.alice, acc.alice, 1_000, Vec::new()),
                Ok(())
            );
            // then
            assert_eq!(state(&token), before);
        }

        #[ink::test]
        fn deliver_less_mode_of_the_whole_value_delivers_nothing() {
            // given: 100%, and then a rate above it, which counts as 100%
            let acc = accounts();
            let mut token = token(Mode::DeliverLess { bps: MAX_BPS });
            // when
            let at_max = token.transfer(acc.charlie, 700, Vec::new());
            token.set_mode(Mode::DeliverLess { bps: u16::MAX });
            let above_max = token.transfer(acc.charlie, 300, Vec::new());
            // then: alice paid 1,000, charlie got nothing, all of it was burnt
            assert_eq!(at_max, Ok(()));
            assert_eq!(above_max, Ok(()));
            assert_eq!(token.balance_of(acc.alice), SUPPLY - 1_000);
            assert_eq!(token.balance_of(acc.charlie), 0);
            assert_eq!(token.total_supply(), SUPPLY - 1_000);
        }

        #[ink::test]
        fn deliver_less_mode_rounds_the_fee_down() {
            // given: 1 bp of 9,999 is 0.9999
            let acc = accounts();
            let mut token = token(Mode::DeliverLess { bps: 1 });
            // when
            assert_eq!(token.transfer(acc.charlie, 9_999, Vec::new()), Ok(()));
            assert_eq!(token.transfer(acc.bob, 10_000, Vec::new()), Ok(()));
            // then
            assert_eq!(token.balance_of(acc.charlie), 9_999);
            assert_eq!(token.balance_of(acc.bob), 9_999);
            assert_eq!(token.total_supply(), SUPPLY - 1);
        }

        #[ink::test]
        fn set_mode_back_to_honest_restores_the_standard_transfer() {
            // given
            let acc = accounts();
            let mut token = token(Mode::Lie);
            assert_eq!(token.transfer(acc.charlie, 100, Vec::new()), Ok(()));
            // when
            token.set_mode(Mode::Honest);
            // then
            assert_eq!(token.transfer(acc.charlie, 100, Vec::new()), Ok(()));
            assert_eq!(token.balance_of(acc.charlie), 100);
            assert_eq!(token.balance_of(acc.alice), SUPPLY - 100);
        }

        #[ink::test]
        fn approvals_ignore_the_mode() {
            // given
            let acc = accounts();
            let mut token = token(Mode::Honest);
            for mode in [Mode::Refuse, Mode::Revert, Mode::Trap, Mode::Lie] {
                token.set_mode(mode);
                // when
                assert_eq!(token.approve(acc.charlie, 5), Ok(()));
                assert_eq!(token.increase_allowance(acc.charlie, 3), Ok(()));
                assert_eq!(token.decrease_allowance(acc.charlie, 2), Ok(()));
                // then
                assert_eq!(token.allowance(acc.alice, acc.charlie), 6);
            }
        }

        #[test]
        fn fee_is_the_exact_floor_of_the_share() {
            assert_eq!(fee(0, 5_000), 0);
            assert_eq!(fee(1_000, 0), 0);
            assert_eq!(fee(1_000, 250), 25);
            assert_eq!(fee(19_999, 1), 1);
            assert_eq!(fee(10_000, 10_000), 10_000);
            assert_eq!(fee(77, 20_000), 77);
            assert_eq!(fee(u128::MAX, MAX_BPS), u128::MAX);
            assert_eq!(fee(u128::MAX, 5_000), u128::MAX / 2);
            // against the plain formula wherever it does not overflow
            for value in [1u128, 3, 9_999, 10_001, 123_456_789, u128::MAX / 10_000] {
                for bps in [1u16, 7, 333, 5_000, 9_999] {
                    assert_eq!(fee(value, bps), value * u128::from(bps) / 10_000);
                }
            }
        }
    }
}
