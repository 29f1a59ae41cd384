//! PSP22 tokens (the ink! token standard), as the escrow's token deals use them: reads
//! (metadata, balances, allowances) and the token messages a client signs (`approve`,
//! `transfer`, and the reference stablecoin's `mint_to`).
//!
//! Tokens are called by the selectors in [`escrow_types::psp22`] (ink!'s trait selectors,
//! `"PSP22::approve"`, …), the same ones the escrow calls them by.
//!
//! Why a token is *loaded* ([`Psp22::load`]) before anything is parsed, shown or signed: an
//! amount means nothing without the token's decimals, and an address is just 32 bytes. So
//! an address is refused, naming it ([`ClientError::NotToken`], exit 2), when there is no
//! contract there, when the contract does not answer the PSP22 reads with values of their
//! types (decoded exactly: no bytes left over), or when it has no metadata (a name and a
//! symbol, which amounts are shown in) or metadata no terminal should print (control
//! characters, a symbol with spaces, more decimals than a `u128` holds).
//!
//! Nothing about a token is trusted beyond what it answers: the metadata is read from the
//! chain each run, never from the CLI's registry ([`crate::config::KnownToken`] only names
//! addresses).

use std::sync::Arc;

use escrow_types::{psp22, psp22::PSP22Error, Balance};
use scale::{DecodeAll, Encode};
use subxt::utils::{AccountId32, H256};
use subxt_signer::sr25519::Keypair;

use crate::{
    accounts::ink_account,
    chain::Chain,
    contract::{selector, DryRun, REVERT},
    error::{ClientError, Result},
    submit::{self, Included, SubmitOpts},
    units::{self, Token},
};

/// The longest symbol accepted (the registry and the tables show it).
pub const MAX_SYMBOL_LEN: usize = 32;
/// The longest name accepted.
pub const MAX_NAME_LEN: usize = 128;
/// The most decimals a `u128` amount can have (10^38 < 2^128 < 10^39).
pub const MAX_DECIMALS: u8 = 38;

/// A PSP22 token's identity and units, as its metadata answered at one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The token contract.
    pub address: AccountId32,
    /// `PSP22Metadata::token_name`.
    pub name: String,
    /// `PSP22Metadata::token_symbol`.
    pub symbol: String,
    /// `PSP22Metadata::token_decimals`.
    pub decimals: u8,
}

impl TokenInfo {
    /// Its units, for parsing and formatting amounts.
    pub fn units(&self) -> Token {
        Token {
            symbol: self.symbol.clone(),
            decimals: self.decimals,
        }
    }

    /// Parses an amount in the token's decimals ("1200.5", "1200.5 USDT"); more decimals
    /// than the token has are refused, naming the amount and the token's decimals.
    pub fn parse(&self, input: &str) -> std::result::Result<Balance, String> {
        self.units().parse(input)
    }

    /// Formats an amount: "1200.5 USDT".
    pub fn format(&self, v: Balance) -> String {
        self.units().format(v)
    }

    /// "USDT (PSP22 token 5F…, 6 decimals)": what a preview shows as a deal's asset.
    pub fn label(&self) -> String {
        format!(
            "{} (PSP22 token {}, {} decimals)",
            self.symbol, self.address, self.decimals
        )
    }
}

/// Checks metadata as read: a name and a symbol, printable, and decimals a `u128` holds.
/// `Err` is the detail of a [`ClientError::NotToken`].
pub fn check_metadata(
    name: Option<String>,
    symbol: Option<String>,
    decimals: u8,
) -> std::result::Result<(String, String), String> {
    let Some(symbol) = symbol else {
        return Err(
            "it has no metadata: token_symbol is None (amounts are shown and typed \
                    in a token's symbol and decimals, so the CLI needs a name, a symbol and \
                    decimals)"
                .into(),
        );
    };
    let Some(name) = name else {
        return Err(
            "it has no metadata: token_name is None (amounts are shown and typed in \
                    a token's symbol and decimals, so the CLI needs a name, a symbol and \
                    decimals)"
                .into(),
        );
    };
    if symbol.trim().is_empty() {
        return Err("its metadata is unusable: token_symbol is empty".into());
    }
    if symbol.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "its metadata is unusable: token_symbol {symbol:?} contains spaces or control \
             characters"
        ));
    }
    if symbol.chars().count() > MAX_SYMBOL_LEN {
        return Err(format!(
            "its metadata is unusable: token_symbol is {} characters long (at most \
             {MAX_SYMBOL_LEN})",
            symbol.chars().count()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "its metadata is unusable: token_name {name:?} contains control characters"
        ));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(format!(
            "its metadata is unusable: token_name is {} characters long (at most \
             {MAX_NAME_LEN})",
            name.chars().count()
        ));
    }
    if decimals > MAX_DECIMALS {
        return Err(format!(
            "its metadata is unusable: token_decimals is {decimals}, more than the \
             {MAX_DECIMALS} a 128-bit amount can hold"
        ));
    }
    Ok((name, symbol))
}

/// A PSP22 token call the signer makes (every one returns `Result<(), PSP22Error>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCall {
    /// The message's name, for messages and prompts.
    pub name: &'static str,
    /// Selector followed by the SCALE-encoded arguments.
    pub data: Vec<u8>,
}

impl TokenCall {
    fn new(name: &'static str, sel: [u8; 4], args: impl Encode) -> Self {
        let mut data = sel.to_vec();
        args.encode_to(&mut data);
        TokenCall { name, data }
    }
}

/// `PSP22::approve(spender, value)`: sets (not raises) `spender`'s allowance to `value`.
pub fn approve(spender: &AccountId32, value: Balance) -> TokenCall {
    TokenCall::new("approve", psp22::APPROVE, (ink_account(spender), value))
}

/// `PSP22::transfer(to, value, data)` with empty `data`.
pub fn transfer(to: &AccountId32, value: Balance) -> TokenCall {
    TokenCall::new(
        "transfer",
        psp22::TRANSFER,
        (ink_account(to), value, Vec::<u8>::new()),
    )
}

/// The reference stablecoin's `mint_to(to, value)` (its owner only).
pub fn mint_to(to: &AccountId32, value: Balance) -> TokenCall {
    TokenCall::new("mint_to", selector("mint_to"), (ink_account(to), value))
}

/// The stablecoin's constructor input, `new(name, symbol, decimals, total_supply)`, under
/// the bundle's constructor `selector`.
pub fn new_stablecoin(
    selector: [u8; 4],
    name: &str,
    symbol: &str,
    decimals: u8,
    total_supply: Balance,
) -> Vec<u8> {
    let mut data = selector.to_vec();
    (
        Some(name.to_string()),
        Some(symbol.to_string()),
        decimals,
        total_supply,
    )
        .encode_to(&mut data);
    data
}

/// Decodes a token read's return data, `Result<T, LangError>`, exactly: bytes left over
/// mean the contract answered with another type, so it is not the message we called.
pub fn decode_read<T: scale::Decode>(data: &[u8]) -> std::result::Result<T, String> {
    match <std::result::Result<T, ink::LangError>>::decode_all(&mut &data[..]) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(lang)) => Err(format!("the contract has no such message ({lang:?})")),
        Err(e) => Err(format!(
            "its answer does not decode as the PSP22 type ({e})"
        )),
    }
}

/// Decodes a token call's dry-run return data, `Result<Result<(), PSP22Error>, LangError>`.
pub fn decode_call(
    data: &[u8],
) -> std::result::Result<std::result::Result<(), PSP22Error>, String> {
    match <std::result::Result<std::result::Result<(), PSP22Error>, ink::LangError>>::decode_all(
        &mut &data[..],
    ) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(lang)) => Err(format!("the contract has no such message ({lang:?})")),
        Err(e) => Err(format!(
            "its answer does not decode as a PSP22 result ({e})"
        )),
    }
}

/// Why a read reverted: ink! reverts a call to a selector the contract does not have with
/// `Err(LangError::CouldNotReadInput)`.
fn reverted(data: &[u8]) -> String {
    match <std::result::Result<(), ink::LangError>>::decode_all(&mut &data[..]) {
        Ok(Err(lang)) => format!("the contract has no such message ({lang:?})"),
        _ => "the call reverted".into(),
    }
}

/// A PSP22 token contract on one chain.
#[derive(Clone)]
pub struct Psp22 {
    chain: Arc<Chain>,
    address: AccountId32,
}

impl Psp22 {
    /// The token at `address`, with its metadata read at block `at`. Refused
    /// ([`ClientError::NotToken`], naming the address) unless a contract is there that
    /// answers the PSP22 and PSP22Metadata reads with usable metadata.
    pub async fn load(
        chain: Arc<Chain>,
        address: AccountId32,
        at: H256,
    ) -> Result<(Psp22, TokenInfo)> {
        let not_token = |detail: String| ClientError::NotToken {
            address: address.to_string(),
            detail,
        };
        if chain.code_hash_of(&address).await?.is_none() {
            return Err(not_token(
                "there is no contract at this address (a PSP22 token is a contract)".into(),
            ));
        }
        let token = Psp22 {
            chain,
            address: address.clone(),
        };
        let not_psp22 = |what: &str, e: String| {
            not_token(format!(
                "it is not a PSP22 token contract: its {what} read failed: {e}"
            ))
        };
        let name: Option<String> = token
            .read_raw(at, psp22::TOKEN_NAME.to_vec())
            .await?
            .and_then(|d| decode_read(&d))
            .map_err(|e| not_psp22("PSP22Metadata::token_name", e))?;
        let symbol: Option<String> = token
            .read_raw(at, psp22::TOKEN_SYMBOL.to_vec())
            .await?
            .and_then(|d| decode_read(&d))
            .map_err(|e| not_psp22("PSP22Metadata::token_symbol", e))?;
        let decimals: u8 = token
            .read_raw(at, psp22::TOKEN_DECIMALS.to_vec())
            .await?
            .and_then(|d| decode_read(&d))
            .map_err(|e| not_psp22("PSP22Metadata::token_decimals", e))?;
        let _supply: Balance = token
            .read_raw(at, psp22::TOTAL_SUPPLY.to_vec())
            .await?
            .and_then(|d| decode_read(&d))
            .map_err(|e| not_psp22("PSP22::total_supply", e))?;
        let (name, symbol) = check_metadata(name, symbol, decimals).map_err(not_token)?;
        let info = TokenInfo {
            address,
            name,
            symbol,
            decimals,
        };
        Ok((token, info))
    }

    /// The token at `address`, unchecked: for reading the balance of a token a deal already
    /// names (the auditor's solvency check).
    pub fn at(chain: Arc<Chain>, address: AccountId32) -> Psp22 {
        Psp22 { chain, address }
    }

    /// The token contract's address.
    pub fn address(&self) -> &AccountId32 {
        &self.address
    }

    /// A read's return data at block `at`, or why there is none (a failed or reverted
    /// dry-run). Node errors are not folded in: they stay `Unreachable`.
    async fn read_raw(
        &self,
        at: H256,
        data: Vec<u8>,
    ) -> Result<std::result::Result<Vec<u8>, String>> {
        let dry = self
            .chain
            .dry_run_call(at, &self.address, &self.address, 0, data)
            .await?;
        Ok(match dry.result {
            Err(raw) => Err(self.chain.dispatch_error(&raw).to_string()),
            Ok((flags, data)) if flags & REVERT != 0 => Err(reverted(&data)),
            Ok((_, data)) => Ok(data),
        })
    }

    async fn read_amount(&self, at: H256, what: &str, data: Vec<u8>) -> Result<Balance> {
        let raw = self.read_raw(at, data).await?;
        raw.and_then(|d| decode_read::<Balance>(&d)).map_err(|e| {
            ClientError::Rejected(format!(
                "the token {} did not answer {what}: {e}",
                self.address
            ))
        })
    }

    /// `PSP22::balance_of(owner)` at block `at`.
    pub async fn balance_of(&self, at: H256, owner: &AccountId32) -> Result<Balance> {
        let mut data = psp22::BALANCE_OF.to_vec();
        ink_account(owner).encode_to(&mut data);
        self.read_amount(at, "PSP22::balance_of", data).await
    }

    /// `PSP22::allowance(owner, spender)` at block `at`.
    pub async fn allowance(
        &self,
        at: H256,
        owner: &AccountId32,
        spender: &AccountId32,
    ) -> Result<Balance> {
        let mut data = psp22::ALLOWANCE.to_vec();
        (ink_account(owner), ink_account(spender)).encode_to(&mut data);
        self.read_amount(at, "PSP22::allowance", data).await
    }

    /// Dry-runs `call` as `origin` at the best block; the token's refusal (a
    /// `PSP22Error`) is an error naming the token and the message, so nothing failing is
    /// ever signed.
    pub async fn dry_run(&self, origin: &AccountId32, call: &TokenCall) -> Result<DryRun> {
        let (best, _) = self.chain.best().await?;
        let dry = self
            .chain
            .dry_run_call(best, origin, &self.address, 0, call.data.clone())
            .await?;
        let data = match &dry.result {
            Err(raw) => return Err(self.chain.dispatch_error(raw)),
            Ok((_, data)) => data,
        };
        match decode_call(data) {
            Ok(Ok(())) => Ok(dry),
            Ok(Err(e)) => Err(ClientError::Rejected(format!(
                "the token {} refused {}: {e:?}\nnothing was submitted",
                self.address, call.name
            ))),
            Err(e) => Err(ClientError::Rejected(format!(
                "the token {} could not run {}: {e}\nnothing was submitted",
                self.address, call.name
            ))),
        }
    }

    /// Signs `call` with the dry-run's figures, submits it once and waits
    /// ([`crate::submit`]: never re-submitted).
    pub async fn submit(
        &self,
        signer: &Keypair,
        call: TokenCall,
        dry: &DryRun,
        opts: SubmitOpts,
    ) -> Result<Included> {
        let tx = submit::call_tx(&self.address, 0, dry, call.data);
        submit::sign_submit_wait(&self.chain, &tx, signer, Some(&self.address), opts).await
    }
}

/// "1200.5 USDT" of `v` in `info`'s units, or the raw smallest unit when the token's
/// metadata is unknown.
pub fn format_or_raw(info: Option<&TokenInfo>, v: Balance) -> String {
    match info {
        Some(i) => i.format(v),
        None => units::format_amount(v, 0, "(smallest unit)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn token_calls_carry_the_psp22_selectors_and_arguments() {
        let spender = AccountId32([5; 32]);
        let c = approve(&spender, 7);
        assert_eq!(c.name, "approve");
        assert_eq!(c.data[..4], psp22::APPROVE);
        assert_eq!(c.data[4..], ([5u8; 32], 7u128).encode()[..]);
        let c = transfer(&spender, 9);
        assert_eq!(c.data[..4], psp22::TRANSFER);
        assert_eq!(
            c.data[4..],
            ([5u8; 32], 9u128, Vec::<u8>::new()).encode()[..]
        );
        let c = mint_to(&spender, 11);
        assert_eq!(c.data[..4], selector("mint_to"));
        assert_eq!(c.data[4..], ([5u8; 32], 11u128).encode()[..]);
        let d = new_stablecoin([1, 2, 3, 4], "US Dollar", "USDT", 6, 1_000);
        assert_eq!(d[..4], [1, 2, 3, 4]);
        assert_eq!(
            d[4..],
            (some("US Dollar"), some("USDT"), 6u8, 1_000u128).encode()[..]
        );
    }

    /// Cross-checks `mint_to` against the stablecoin's metadata, when it was built.
    #[test]
    fn mint_to_selector_matches_the_stablecoin_build_when_built() {
        let path = crate::artifacts::last_build_metadata("stablecoin");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: no {}", path.display());
            return;
        };
        let meta: serde_json::Value = serde_json::from_str(&text).unwrap();
        let sel = |label: &str| {
            meta["spec"]["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["label"] == label)
                .map(|m| m["selector"].as_str().unwrap().to_string())
        };
        assert_eq!(sel("mint_to"), Some(units::hex0x(&selector("mint_to"))));
        assert_eq!(sel("PSP22::approve"), Some(units::hex0x(&psp22::APPROVE)));
    }

    #[test]
    fn reads_decode_exactly_or_name_what_went_wrong() {
        let ok: std::result::Result<Option<String>, ink::LangError> = Ok(some("USDT"));
        assert_eq!(
            decode_read::<Option<String>>(&ok.encode()),
            Ok(some("USDT"))
        );
        let dec: std::result::Result<u8, ink::LangError> = Ok(6);
        assert_eq!(decode_read::<u8>(&dec.encode()), Ok(6));
        // A u128 answer read as a u8: bytes left over, so not the message we called.
        let wide: std::result::Result<u128, ink::LangError> = Ok(6);
        let e = decode_read::<u8>(&wide.encode()).unwrap_err();
        assert!(
            e.starts_with("its answer does not decode as the PSP22 type"),
            "{e}"
        );
        // An unknown selector: the contract says it could not read the input.
        let lang: std::result::Result<u8, ink::LangError> = Err(ink::LangError::CouldNotReadInput);
        assert_eq!(
            decode_read::<u8>(&lang.encode()),
            Err("the contract has no such message (CouldNotReadInput)".to_string())
        );
        let refused: std::result::Result<std::result::Result<(), PSP22Error>, ink::LangError> =
            Ok(Err(PSP22Error::InsufficientAllowance));
        assert_eq!(
            decode_call(&refused.encode()),
            Ok(Err(PSP22Error::InsufficientAllowance))
        );
        assert!(decode_call(&[0]).is_err());
    }

    #[test]
    fn a_revert_for_an_unknown_selector_says_so() {
        let lang: std::result::Result<(), ink::LangError> = Err(ink::LangError::CouldNotReadInput);
        assert_eq!(
            reverted(&lang.encode()),
            "the contract has no such message (CouldNotReadInput)"
        );
        assert_eq!(reverted(&[0, 1, 2]), "the call reverted");
    }

    #[test]
    fn metadata_without_a_name_or_symbol_is_refused() {
        assert_eq!(
            check_metadata(some("US Dollar"), some("USDT"), 6),
            Ok(("US Dollar".to_string(), "USDT".to_string()))
        );
        let e = check_metadata(some("US Dollar"), None, 6).unwrap_err();
        assert!(
            e.starts_with("it has no metadata: token_symbol is None"),
            "{e}"
        );
        let e = check_metadata(None, some("USDT"), 6).unwrap_err();
        assert!(
            e.starts_with("it has no metadata: token_name is None"),
            "{e}"
        );
    }

    #[test]
    fn metadata_a_terminal_should_not_print_is_refused() {
        let e = check_metadata(some("x"), some("US DT"), 6).unwrap_err();
        assert!(e.contains("contains spaces or control characters"), "{e}");
        let e = check_metadata(some("x"), some("USD\u{1b}[2J"), 6).unwrap_err();
        assert!(e.contains("control characters"), "{e}");
        let e = check_metadata(some("a\u{7}b"), some("USDT"), 6).unwrap_err();
        assert!(e.contains("token_name"), "{e}");
        let e = check_metadata(some("x"), some(""), 6).unwrap_err();
        assert!(e.contains("token_symbol is empty"), "{e}");
        let long = "X".repeat(MAX_SYMBOL_LEN + 1);
        let e = check_metadata(some("x"), Some(long), 6).unwrap_err();
        assert!(e.contains("33 characters long"), "{e}");
        assert_eq!(
            check_metadata(some("x"), some("BIG"), 39),
            Err(
                "its metadata is unusable: token_decimals is 39, more than the 38 a 128-bit \
                 amount can hold"
                    .to_string()
            )
        );
        assert!(check_metadata(some("x"), some("BIG"), 38).is_ok());
    }

    #[test]
    fn a_token_formats_and_labels_in_its_own_units() {
        let t = TokenInfo {
            address: AccountId32([9; 32]),
            name: "US Dollar".into(),
            symbol: "USDT".into(),
            decimals: 6,
        };
        assert_eq!(t.format(1_234_500_000), "1234.5 USDT");
        assert_eq!(t.parse("0.5"), Ok(500_000));
        assert_eq!(
            t.parse("0.0000001"),
            Err("'0.0000001': too many decimals (7 given, USDT has 6)".to_string())
        );
        assert_eq!(
            t.label(),
            format!("USDT (PSP22 token {}, 6 decimals)", AccountId32([9; 32]))
        );
        assert_eq!(format_or_raw(None, 15), "15 (smallest unit)");
    }
}
