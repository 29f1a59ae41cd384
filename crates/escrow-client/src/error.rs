//! One error type for the client and the `escrow` CLI over it, with a human `Display` and
//! the exit code the CLI documents.
//!
//! Why the exit codes live in the library: a caller (the CLI, a script around it, the tests)
//! must tell "rejected, nothing happened" from "submitted, outcome unknown" — the one case
//! where retrying blindly could pay twice. The distinction is made where the error is made,
//! so it lives here, with one table every user shares.
//!
//! Every failure a user can act on names what went wrong and what to do next: a contract
//! error by its `escrow_types::Error` variant with a hint, a chain dispatch error decoded
//! from the node's metadata, an unreachable node with the command that starts one, or the
//! argument that could not be parsed.

use std::fmt;

/// Exit codes (documented in `escrow --help` and the README section of `cli/`).
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The contract or the chain rejected the request (dry-run or on-chain), or an audit
    /// found a mismatch.
    pub const REJECTED: i32 = 1;
    /// Bad input: an argument, a file, the keystore or the config.
    pub const BAD_INPUT: i32 = 2;
    /// No node at the URL (or it went away before anything was submitted).
    pub const UNREACHABLE: i32 = 3;
    /// A transaction was submitted but its outcome is unknown (disconnect, timeout, dropped).
    pub const UNKNOWN_STATUS: i32 = 4;
    /// The user answered no at the confirmation prompt; nothing was submitted.
    pub const CANCELLED: i32 = 5;
}

/// Everything that can go wrong.
#[derive(Debug)]
pub enum ClientError {
    /// Bad input, with the argument and why.
    BadInput(String),
    /// The contract returned one of its errors (found by the dry-run).
    Contract(escrow_types::Error),
    /// The contract could not decode the call: wrong contract or stale metadata.
    Lang(String),
    /// The chain refused the call (dry-run dispatch error or on-chain failure).
    Dispatch {
        /// `Pallet::Variant` or a plain description.
        name: String,
        /// The metadata's docs for the error.
        docs: String,
    },
    /// Something else the chain or contract rejected.
    Rejected(String),
    /// No node at the URL.
    Unreachable {
        /// The URL tried.
        url: String,
        /// What the connection attempt said.
        detail: String,
    },
    /// Submitted, outcome unknown.
    UnknownStatus {
        /// The extrinsic hash, printed before waiting.
        hash: String,
        /// What happened.
        detail: String,
    },
    /// An audit found differences between events and storage.
    AuditMismatch(usize),
    /// The address is not a milestone-escrow contract (no contract, or another code hash).
    NotEscrow {
        /// The address.
        address: String,
        /// What is there instead.
        detail: String,
    },
    /// The address given as a token is not a usable PSP22 token: no contract there, a
    /// contract that does not answer the PSP22 reads, or one without the metadata (name,
    /// symbol, decimals) amounts are parsed and shown in.
    NotToken {
        /// The address.
        address: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The user declined at the confirmation prompt.
    Cancelled,
}

impl ClientError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            ClientError::BadInput(_)
            | ClientError::NotEscrow { .. }
            | ClientError::NotToken { .. } => exit::BAD_INPUT,
            ClientError::Cancelled => exit::CANCELLED,
            ClientError::Unreachable { .. } => exit::UNREACHABLE,
            ClientError::UnknownStatus { .. } => exit::UNKNOWN_STATUS,
            ClientError::Contract(_)
            | ClientError::Lang(_)
            | ClientError::Dispatch { .. }
            | ClientError::Rejected(_)
            | ClientError::AuditMismatch(_) => exit::REJECTED,
        }
    }

    /// A bad-input error.
    pub fn input(msg: impl Into<String>) -> Self {
        ClientError::BadInput(msg.into())
    }
}

/// The name of a contract error variant, without its fields (`WrongDealState`).
pub fn error_name(e: &escrow_types::Error) -> String {
    let dbg = format!("{e:?}");
    dbg.split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// What to do about each contract error.
pub fn hint(e: &escrow_types::Error) -> &'static str {
    use escrow_types::Error::*;
    match e {
        DealNotFound => "check the deal id with `escrow deal list`, and --contract",
        MilestoneNotFound => "milestones are numbered from 0; see `escrow deal show ID`",
        CallerIsNotBuyer => "sign as the deal's buyer (--suri/--account)",
        CallerIsNotSeller => "sign as the deal's seller (--suri/--account)",
        CallerIsNotParty => "sign as the deal's buyer or seller (--suri/--account)",
        CallerIsNotOracle => "sign as one of the deal's oracles (--suri/--account)",
        CallerIsNotArbiter => "sign as the deal's arbiter; a deal without one ends disputes by settlement or fallback",
        CallerIsNotProposer => "only the party that made the proposal (deal, cancellation or amendment) may withdraw it",
        CannotAcceptOwnProposal => "the other party must accept this",
        WrongDealState { .. } => "the deal is not in a state that allows this; see `escrow deal show ID`",
        WrongMilestoneState { .. } => "the milestone is not in a state that allows this; see `escrow deal show ID`",
        TermsHashMismatch => "the terms changed or differ from what you reviewed; re-read them with `escrow deal show ID`",
        NoMilestones => "give at least one milestone (--milestone or --total/--split)",
        TooManyMilestones => "a deal has at most 16 milestones",
        ZeroAmount => "every milestone must pay more than zero",
        TooManyOracles => "a deal names at most 5 oracles",
        InvalidThreshold => "--threshold must be between 1 and the number of oracles, and rules with oracles need some",
        DuplicateRole => "buyer, seller, arbiter and oracles must all be different accounts",
        ZeroAccount => "an account is the all-zero address",
        InvalidBps => "--fallback must be at most 100%",
        InvalidWindow => "windows must be > 0 and at most 366 days",
        ShipByInPast => "ship-by dates must be in the future",
        FundByInPast => "the funding deadline (--fund-by) must be in the future",
        AmountOverflow => "amounts add up beyond what the chain can represent",
        FeeTooHigh => "the fee is at most 500 bps (5%)",
        ZeroDeposit => "deposit more than zero",
        OverFunded { .. } => "deposit at most the remaining amount (see `escrow deal show ID`)",
        FundingClosed => "the deal takes no more deposits (cancelled, or a milestone lapsed unfunded)",
        UnexpectedValue => "only the buyer may send funds with an acceptance; drop --fund",
        CallerIsNotFunder => "only the buyer, or the funder the terms name, may deposit; see `escrow deal show ID`",
        FundingDeadlinePassed => "the deal's funding deadline has passed: no deposit or acceptance after it; lapsed deposits go back to the buyer with `escrow deal settle-due ID`",
        MilestoneNotFunded => "fund the deal first (`escrow deal fund ID AMOUNT`)",
        ShipByPassed => "the ship-by time has passed: the buyer's refund is due (`escrow deal settle ID INDEX`); an amendment is only possible before it",
        RuleForbidsBuyerRelease => "this deal's release rule is Oracles: the buyer cannot release",
        RuleForbidsOracles => "this deal's release rule is Buyer: oracles cannot release",
        AlreadyAttested => "this oracle already attested this milestone",
        ReviewWindowClosed => "the review window has ended; the milestone can be settled with `escrow deal settle`",
        ReviewWindowOpen => "the review window still runs; wait, or have the buyer approve",
        ArbitrationWindowOpen => "the arbitration window still runs; settle, or wait for the arbiter",
        ArbitrationWindowClosed => "the arbitration window has ended: no settlement or ruling now, only the fallback split (`escrow deal settle ID INDEX`)",
        ShipByNotPassed => "the ship-by time (and, for an unfunded milestone, the funding deadline) has not passed yet",
        NothingDue => "no clock has run out in this deal yet",
        MilestoneDisputed => "a milestone in the range is disputed; approve a shorter range",
        NothingToRelease => "every milestone in the range is already settled",
        NoOffer => "no settlement offer is on record; make one with `escrow deal offer`",
        OfferMismatch => "the offer on record differs; re-read it with `escrow deal show ID`",
        SplitExceedsAmount => "the seller's share cannot exceed the milestone amount",
        CancellationAlreadyProposed => "a cancellation is already pending; the other party accepts it with `escrow deal accept-cancel`",
        NoCancellationPending => "no cancellation is pending (never proposed, withdrawn, or voided by a later submission or attestation); propose one with `escrow deal cancel ID`",
        NoAmendmentPending => "propose one first with `escrow deal amend`",
        AmendmentMismatch => "the amendment on record differs; re-read it with `escrow deal show ID`",
        NotAnExtension => "an amendment must move the ship-by later",
        NothingToWithdraw => "this account has no claimable balance",
        TransferFailed => "the chain or the deal's token refused the transfer: for a token deposit, the funder's token balance or its allowance to the escrow is short (`escrow account show`; `escrow deal fund` approves exactly what it deposits); for a payout, try again once the account can receive it, or pull it to another account with `escrow withdraw --to ACCOUNT` (`--token T` for a token)",
        ContractBalanceTooLow => "the contract holds less than it owes: an accounting fault, please report it; nothing was paid or credited",
        FeeRecipientIsContract => "the fee recipient cannot be the contract itself; pass another --fee-recipient",
        WrongAsset => "the deal is paid in another asset: a token deal is funded with `fund_tokens` (`escrow deal fund` picks it from the deal's asset) and accepted without value; a native deal with `fund`",
        InvalidAsset => "the asset must be a token contract other than the escrow itself and the all-zero account (`--asset native|ADDRESS|SYMBOL`)",
        DepositMismatch { .. } => "the token delivered another amount than asked for (a fee-on-transfer or misbehaving token): the deposit was refused and nothing changed; this deal's token cannot be used for deposits",
        CallerIsNotPayee => "sign as the current payee of every unsettled milestone in the range (the seller, or the account it assigned them to); see `escrow deal show ID`",
        NothingToAssign => "every milestone from --from on is already settled: nothing left to assign",
        AssigneeIsContract => "a receivable cannot be assigned to the escrow contract itself; name another --to account",
        ClosureAlreadyRecorded => "nothing to do: this deal's closure is already on chain (DealClosed)",
    }
}

/// Hints for pallet errors people hit in practice.
pub fn dispatch_hint(name: &str) -> Option<&'static str> {
    Some(match name {
        "Contracts::ContractNotFound" => {
            "no contract at this address: deploy with `escrow deploy` or pass --contract"
        }
        "Contracts::CodeRejected" => {
            "the chain rejected the wasm: rebuild it with scripts/build-contract.sh"
        }
        "Contracts::StorageDepositLimitExhausted" => {
            "the storage deposit grew since the dry-run; retry"
        }
        "Contracts::StorageDepositNotEnoughFunds" => {
            "the signer cannot pay the storage deposit; fund the account"
        }
        "Contracts::OutOfGas" => {
            "the call ran out of gas; retry (state changed since the dry-run?)"
        }
        "Contracts::ContractTrapped" => {
            "the contract trapped: this is a contract bug, please report it"
        }
        "Contracts::ContractReverted" => {
            "the contract rejected the call; run it again to see the dry-run's error"
        }
        "Contracts::TransferFailed"
        | "Balances::InsufficientBalance"
        | "Token::FundsUnavailable" => "the signer has not enough free balance",
        "Contracts::DuplicateContract" => {
            "a contract with this code and salt exists; use another --salt"
        }
        _ => return None,
    })
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::BadInput(m) => write!(f, "bad input: {m}"),
            ClientError::Contract(e) => {
                write!(f, "the contract rejected the call: {e:?}\nhint: {}", hint(e))?;
                write!(f, "\nnothing was submitted")
            }
            ClientError::Lang(m) => write!(
                f,
                "the contract could not decode the call ({m}): the address is not a milestone-escrow \
                 contract or its metadata is stale\nhint: check --contract / `escrow deploy`"
            ),
            ClientError::Dispatch { name, docs } => {
                write!(f, "the chain rejected the call: {name}")?;
                if !docs.is_empty() {
                    write!(f, " ({docs})")?;
                }
                if let Some(h) = dispatch_hint(name) {
                    write!(f, "\nhint: {h}")?;
                }
                Ok(())
            }
            ClientError::Rejected(m) => write!(f, "rejected: {m}"),
            ClientError::Unreachable { url, detail } => write!(
                f,
                "no node reachable at {url} ({detail})\nhint: start one with ./scripts/node.sh \
                 --background, or pass --url / ESCROW_URL\nnothing was submitted"
            ),
            ClientError::UnknownStatus { hash, detail } => write!(
                f,
                "transaction {hash} was submitted but its outcome is unknown: {detail}\n\
                 it was NOT re-submitted. check the outcome before retrying: \
                 `escrow tx-status {hash} --from <block it was signed at>`, \
                 `escrow deal show ID` or `escrow events --from <block>`"
            ),
            ClientError::AuditMismatch(n) => write!(f, "audit found {n} mismatch(es)"),
            ClientError::NotEscrow { address, detail } => write!(
                f,
                "{address} is not a milestone-escrow contract: {detail}\nhint: check --contract / \
                 ESCROW_CONTRACT (or deploy one with `escrow deploy`); for another build of the \
                 contract pass its --code-hash\nnothing was submitted"
            ),
            ClientError::NotToken { address, detail } => write!(
                f,
                "{address} is not a usable PSP22 token: {detail}\nhint: a deal's asset is \
                 `native` or a PSP22 token contract with metadata (name, symbol, decimals); \
                 `escrow token list` shows the tokens this CLI knows\nnothing was submitted"
            ),
            ClientError::Cancelled => write!(f, "cancelled at the prompt; nothing was submitted"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Result alias.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_types::{DealStatus, Error};

    #[test]
    fn every_contract_error_renders_its_name_and_a_hint() {
        let e = ClientError::Contract(Error::WrongDealState {
            found: DealStatus::Proposed,
        });
        let s = e.to_string();
        assert!(s.contains("WrongDealState"), "{s}");
        assert!(s.contains("hint:"), "{s}");
        assert_eq!(e.exit_code(), exit::REJECTED);
        assert_eq!(
            error_name(&Error::OverFunded { remaining: 5 }),
            "OverFunded"
        );
        assert_eq!(error_name(&Error::CallerIsNotBuyer), "CallerIsNotBuyer");
    }

    #[test]
    fn exit_codes_follow_the_documented_table() {
        assert_eq!(ClientError::input("x").exit_code(), 2);
        assert_eq!(
            ClientError::Unreachable {
                url: "u".into(),
                detail: "d".into()
            }
            .exit_code(),
            3
        );
        assert_eq!(
            ClientError::UnknownStatus {
                hash: "h".into(),
                detail: "d".into()
            }
            .exit_code(),
            4
        );
        assert_eq!(ClientError::Rejected("r".into()).exit_code(), 1);
        assert_eq!(
            ClientError::NotEscrow {
                address: "a".into(),
                detail: "d".into()
            }
            .exit_code(),
            2
        );
        assert_eq!(
            ClientError::NotToken {
                address: "a".into(),
                detail: "d".into()
            }
            .exit_code(),
            2
        );
        assert_eq!(ClientError::Cancelled.exit_code(), 5);
    }

    #[test]
    fn module_errors_have_distinct_hints() {
        let names = [
            "Contracts::ContractNotFound",
            "Contracts::CodeRejected",
            "Contracts::StorageDepositLimitExhausted",
            "Contracts::StorageDepositNotEnoughFunds",
            "Contracts::OutOfGas",
            "Contracts::ContractTrapped",
            "Contracts::ContractReverted",
        ];
        let hints: std::collections::BTreeSet<_> =
            names.iter().map(|n| dispatch_hint(n).unwrap()).collect();
        assert_eq!(hints.len(), names.len());
    }
}
