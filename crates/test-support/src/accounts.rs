//! The development accounts (`//Alice` … `//Ferdie`, or any `//Name`): funded at genesis
//! on `escrow-node --dev` when they are one of the well-known six.

use subxt::utils::AccountId32;
/// A development account's key pair (sr25519), as `escrow --suri` signs with it.
pub use subxt_signer::sr25519::Keypair;

/// `//Alice`'s address.
pub const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
/// `//Bob`'s address.
pub const BOB: &str = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";

/// A development account from a secret URI such as `//Bob` or `//Fees`, derived exactly
/// as `escrow --suri` derives it.
pub fn dev_keypair(suri: &str) -> Keypair {
    escrow_client::keystore::keypair_from_suri(suri)
        .unwrap_or_else(|e| panic!("no keypair for {suri}: {e}"))
}

/// The address of a development account.
pub fn dev_account(suri: &str) -> AccountId32 {
    dev_keypair(suri).public_key().into()
}

/// An account nobody has used: the public key of a random sr25519 secret.
pub fn fresh_account() -> AccountId32 {
    let mut seed = [0u8; 32];
    // /dev/urandom keeps the crate free of an RNG dependency.
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
        .expect("read /dev/urandom");
    Keypair::from_secret_key(seed)
        .expect("any 32 bytes are a valid secret")
        .public_key()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_accounts_match_the_well_known_addresses() {
        assert_eq!(dev_account("//Alice").to_string(), ALICE);
        assert_eq!(dev_account("//Bob").to_string(), BOB);
    }
}
