//! Accounts as people type them, and the two account types the client meets: subxt's
//! `AccountId32` (the chain's) and ink!'s `AccountId` (the contract's ABI).

use std::str::FromStr;

use subxt::utils::AccountId32;

use crate::keystore;

/// Parses SS58, 0x-hex (32 bytes) or a `//Dev` SURI into an account.
pub fn parse_account(s: &str) -> Result<AccountId32, String> {
    let s = s.trim();
    if s.starts_with("//") {
        return keystore::keypair_from_suri(s).map(|k| keystore::address_of(&k));
    }
    if let Some(h) = s.strip_prefix("0x") {
        let b = hex::decode(h).map_err(|_| format!("'{s}': not hex"))?;
        let b: [u8; 32] = b.try_into().map_err(|_| format!("'{s}': not 32 bytes"))?;
        return Ok(AccountId32(b));
    }
    AccountId32::from_str(s).map_err(|e| format!("'{s}': not an SS58 address ({e})"))
}

/// The contract ABI's account type (ink!'s `AccountId`), for clients that do not depend on
/// ink! themselves.
pub use ink::primitives::AccountId as InkAccountId;

/// The ink! account type of an address.
pub fn ink_account(a: &AccountId32) -> ink::primitives::AccountId {
    ink::primitives::AccountId::from(a.0)
}

/// The chain address of an ink! account: [`ink_account`]'s inverse.
pub fn chain_account(a: &ink::primitives::AccountId) -> AccountId32 {
    let bytes: &[u8; 32] = a.as_ref();
    AccountId32(*bytes)
}

/// The SS58 address of an ink! account.
pub fn ss58(a: &ink::primitives::AccountId) -> String {
    chain_account(a).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_parse() {
        let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
        assert_eq!(parse_account(alice).unwrap().to_string(), alice);
        assert_eq!(parse_account("//Alice").unwrap().to_string(), alice);
        let hex = format!("0x{}", hex::encode(parse_account(alice).unwrap().0));
        assert_eq!(parse_account(&hex).unwrap().to_string(), alice);
        assert!(parse_account("5Grw").is_err());
        assert!(parse_account("0x1234").is_err());
        assert_eq!(ss58(&ink_account(&parse_account(alice).unwrap())), alice);
    }
}
