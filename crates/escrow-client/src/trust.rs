//! Which code an escrow address must run before a client signs a call to it or believes a
//! read from it.
//!
//! Why: an address is just 32 bytes. A buyer pointed at the wrong one — a plain account, a
//! look-alike contract with a drain message — would fund it, or read made-up deal terms from
//! it. So the code hash on chain is compared with hashes the *user* vouched for, from three
//! places only:
//!
//! 1. `--code-hash`: a hash, or a `.contract` bundle the user names ([`TrustedCode`]);
//! 2. else the hash `escrow deploy` recorded for this address in `config.json`;
//! 3. else every hash `escrow deploy` recorded (another instance of code deployed here).
//!
//! Never from whatever a build cache happens to hold: a checkout can put any bundle there.
//! With nothing to compare with, the check refuses and says how to fix it.

use std::path::Path;

use subxt::utils::AccountId32;

use crate::{
    accounts::parse_account,
    artifacts::read_bundle,
    config::Config,
    error::{ClientError, Result},
    units,
};

/// A code hash the user vouched for (`--code-hash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedCode(pub [u8; 32]);

impl TrustedCode {
    /// 0x-hex, or the path of a `.contract` bundle (the hash of its code).
    pub fn parse(s: &str) -> std::result::Result<TrustedCode, String> {
        if s.starts_with("0x") {
            return units::parse_hash(s).map(TrustedCode);
        }
        let (code, _) = read_bundle(Path::new(s))
            .map_err(|e| format!("neither a 0x code hash nor a readable .contract bundle: {e}"))?;
        Ok(TrustedCode(units::blake2_256(&code)))
    }
}

/// The code hashes the contract at `contract` may have (see the module docs for the
/// order). Empty: nothing to check against.
pub fn expected_code_hashes(
    config: &Config,
    named: Option<TrustedCode>,
    contract: &AccountId32,
) -> Vec<[u8; 32]> {
    if let Some(h) = named {
        return vec![h.0];
    }
    let parse = |h: &str| units::parse_hash(h).ok();
    let recorded_here = config
        .deployments
        .values()
        .filter(|d| parse_account(&d.contract).ok().as_ref() == Some(contract))
        .filter_map(|d| parse(&d.code_hash))
        .collect::<Vec<_>>();
    if !recorded_here.is_empty() {
        return recorded_here;
    }
    let mut hashes: Vec<[u8; 32]> = config
        .deployments
        .values()
        .filter_map(|d| parse(&d.code_hash))
        .collect();
    hashes.sort();
    hashes.dedup();
    hashes
}

/// Refuses unless `found` (the code hash at `contract`; `None`: no contract there) is one of
/// `expected`. `url` names the node in the advice when nothing is expected.
pub fn check_code_hash(
    contract: &AccountId32,
    found: Option<[u8; 32]>,
    expected: &[[u8; 32]],
    url: &str,
) -> Result<()> {
    let not_escrow = |detail: String| ClientError::NotEscrow {
        address: contract.to_string(),
        detail,
    };
    match found {
        None => Err(not_escrow("there is no contract at this address".into())),
        Some(_) if expected.is_empty() => Err(ClientError::input(format!(
            "cannot check that {contract} is a milestone-escrow contract: no deployment is \
             remembered for {url}; pass --code-hash with the code hash `escrow deploy` printed \
             (0x…) or the .contract bundle you trust"
        ))),
        Some(h) if expected.contains(&h) => Ok(()),
        Some(h) => Err(not_escrow(format!(
            "its code hash is {}, expected {}",
            units::hex0x(&h),
            expected
                .iter()
                .map(|e| units::hex0x(e))
                .collect::<Vec<_>>()
                .join(" or ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::Deployment, error::exit};

    #[test]
    fn code_hash_check_refuses_accounts_and_other_contracts() {
        let a = AccountId32([7; 32]);
        let (ours, other) = ([1u8; 32], [2u8; 32]);
        assert!(check_code_hash(&a, Some(ours), &[other, ours], "ws://x").is_ok());
        let e = check_code_hash(&a, Some(other), &[ours], "ws://x").unwrap_err();
        assert_eq!(e.exit_code(), exit::BAD_INPUT);
        assert_eq!(
            e.to_string().lines().next().unwrap(),
            format!(
                "{a} is not a milestone-escrow contract: its code hash is 0x{}, expected 0x{}",
                "02".repeat(32),
                "01".repeat(32)
            )
        );
        assert!(e.to_string().ends_with("nothing was submitted"), "{e}");
        let e = check_code_hash(&a, None, &[ours], "ws://x").unwrap_err();
        assert_eq!(e.exit_code(), exit::BAD_INPUT);
        assert!(
            e.to_string().contains(
                "is not a milestone-escrow contract: there is no contract at this address"
            ),
            "{e}"
        );
        // Nothing to compare with: refuse, and say how to fix it.
        let e = check_code_hash(&a, Some(ours), &[], "ws://x").unwrap_err();
        assert_eq!(e.exit_code(), exit::BAD_INPUT);
        assert!(e.to_string().contains("pass --code-hash"), "{e}");
    }

    #[test]
    fn expected_code_hashes_prefer_the_remembered_deployment() {
        let (a, b, c) = (
            AccountId32([0xaa; 32]),
            AccountId32([0xbb; 32]),
            AccountId32([0xcc; 32]),
        );
        let mut cfg = Config::default();
        for (url, addr, h) in [("ws://one", &a, [1u8; 32]), ("ws://two", &b, [2u8; 32])] {
            cfg.deployments.insert(
                url.into(),
                Deployment {
                    contract: addr.to_string(),
                    code_hash: units::hex0x(&h),
                },
            );
        }
        // The deployment recorded for this address: exactly its hash.
        assert_eq!(expected_code_hashes(&cfg, None, &a), [[1u8; 32]]);
        // Another address: any hash `escrow deploy` recorded will do.
        assert_eq!(expected_code_hashes(&cfg, None, &c), [[1u8; 32], [2u8; 32]]);
        // A hash the user names decides alone.
        let h3 = TrustedCode::parse(&format!("0x{}", "03".repeat(32))).unwrap();
        assert_eq!(expected_code_hashes(&cfg, Some(h3), &a), [[3u8; 32]]);
        // So does a bundle the user names: its code's hash.
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("trusted.contract");
        std::fs::write(
            &bundle,
            r#"{"source":{"wasm":"0x0061736d01000000"},"spec":{"constructors":[]}}"#,
        )
        .unwrap();
        let named = TrustedCode::parse(bundle.to_str().unwrap()).unwrap();
        assert_eq!(
            expected_code_hashes(&cfg, Some(named), &a),
            [units::blake2_256(b"\0asm\x01\0\0\0")]
        );
        let e = TrustedCode::parse("/no/such.contract").unwrap_err();
        assert!(
            e.starts_with("neither a 0x code hash nor a readable .contract bundle"),
            "{e}"
        );
    }

    /// Regression: trust never comes from a build cache. With nothing recorded and no
    /// hash named there is nothing to trust, whatever release bundle the machine holds.
    #[test]
    fn nothing_recorded_means_nothing_trusted() {
        assert!(
            expected_code_hashes(&Config::default(), None, &AccountId32([0xaa; 32])).is_empty()
        );
    }
}
