//! The slice of the PSP22 token standard (the ink! equivalent of ERC-20) that the escrow and
//! its clients call: message selectors and the standard's error type.
//!
//! The escrow calls tokens by selector rather than through the `psp22` crate's trait, so
//! that it compiles none of that crate's code, and clients (the CLI, tests) use the same
//! selectors. A PSP22 message's selector is the first four bytes of BLAKE2b-256 of
//! `"<Trait>::<message>"`, as ink! computes it for trait messages.

use alloc::string::String;

/// `PSP22::total_supply() -> u128`.
pub const TOTAL_SUPPLY: [u8; 4] = ink::selector_bytes!("PSP22::total_supply");
/// `PSP22::balance_of(owner) -> u128`.
pub const BALANCE_OF: [u8; 4] = ink::selector_bytes!("PSP22::balance_of");
/// `PSP22::allowance(owner, spender) -> u128`.
pub const ALLOWANCE: [u8; 4] = ink::selector_bytes!("PSP22::allowance");
/// `PSP22::transfer(to, value, data) -> Result<(), PSP22Error>`.
pub const TRANSFER: [u8; 4] = ink::selector_bytes!("PSP22::transfer");
/// `PSP22::transfer_from(from, to, value, data) -> Result<(), PSP22Error>`.
pub const TRANSFER_FROM: [u8; 4] = ink::selector_bytes!("PSP22::transfer_from");
/// `PSP22::approve(spender, value) -> Result<(), PSP22Error>`: sets the allowance.
pub const APPROVE: [u8; 4] = ink::selector_bytes!("PSP22::approve");
/// `PSP22Metadata::token_name() -> Option<String>`.
pub const TOKEN_NAME: [u8; 4] = ink::selector_bytes!("PSP22Metadata::token_name");
/// `PSP22Metadata::token_symbol() -> Option<String>`.
pub const TOKEN_SYMBOL: [u8; 4] = ink::selector_bytes!("PSP22Metadata::token_symbol");
/// `PSP22Metadata::token_decimals() -> u8`.
pub const TOKEN_DECIMALS: [u8; 4] = ink::selector_bytes!("PSP22Metadata::token_decimals");

/// The PSP22 standard's error, as its messages return it (same variants, same order, so the
/// same SCALE encoding).
// The derive's `<usize> as u8` variant index: see `crate::Error`.
#[allow(clippy::cast_possible_truncation)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PSP22Error {
    /// A token-specific error.
    Custom(String),
    /// The sender's balance is too low.
    InsufficientBalance,
    /// The spender's allowance is too low.
    InsufficientAllowance,
    /// The recipient is the zero account.
    ZeroRecipientAddress,
    /// The sender is the zero account.
    ZeroSenderAddress,
    /// A receiving contract refused the transfer.
    SafeTransferCheckFailed(String),
}
