//! The contract's ABI, off-chain: selectors, call data, dry-run results and events.
//!
//! Selectors follow ink!'s rule (first 4 bytes of BLAKE2b-256 of the message name; a unit
//! test checks them against the build's metadata when it exists). Return values and events
//! are decoded with the `escrow_types` types themselves: a message returns
//! `Result<Result<T, escrow_types::Error>, ink::LangError>`, a read `Result<T, LangError>`,
//! and an event's data is its struct, recognised by its first topic (ink!'s signature topic).

use escrow_types::*;
use scale::{Decode, Encode};

use crate::units::blake2_256;

/// ink!'s selector for a message or constructor named `name`.
pub fn selector(name: &str) -> [u8; 4] {
    let h = blake2_256(name.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// Selector followed by the SCALE-encoded arguments (a tuple encodes as its fields in order).
pub fn call_data<A: Encode>(name: &str, args: &A) -> Vec<u8> {
    let mut data = selector(name).to_vec();
    args.encode_to(&mut data);
    data
}

/// `sp_weights::Weight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Default, serde::Serialize)]
pub struct Weight {
    /// Computation time.
    #[codec(compact)]
    pub ref_time: u64,
    /// Proof size.
    #[codec(compact)]
    pub proof_size: u64,
}

/// `pallet_contracts::StorageDeposit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum StorageDeposit {
    /// Storage freed: refunded to the origin.
    Refund(Balance),
    /// Storage used: charged to the origin.
    Charge(Balance),
}

impl StorageDeposit {
    /// The limit to sign: the charge, or 0 for a refund.
    pub fn limit(self) -> Balance {
        match self {
            StorageDeposit::Charge(c) => c,
            StorageDeposit::Refund(_) => 0,
        }
    }
}

/// What a `ContractsApi` dry-run reported.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// Gas the call used (what fee and benchmark figures are based on).
    pub gas_consumed: Weight,
    /// Gas to sign with.
    pub gas_required: Weight,
    /// Storage deposit charge or refund.
    pub storage_deposit: StorageDeposit,
    /// `Ok((flags, data))` or the raw SCALE `DispatchError` (followed by more bytes).
    pub result: Result<(u32, Vec<u8>), Vec<u8>>,
    /// The new contract's address (instantiate dry-runs).
    pub account_id: Option<[u8; 32]>,
}

/// ReturnFlags::REVERT.
pub const REVERT: u32 = 1;

#[derive(Decode)]
struct Prefix {
    gas_consumed: Weight,
    gas_required: Weight,
    storage_deposit: StorageDeposit,
    _debug_message: Vec<u8>,
}

/// Decodes a `ContractExecResult` / `ContractInstantiateResult` far enough: the fields
/// before `result`, and `result` itself (the trailing `events` are not needed).
pub fn decode_dry_run(bytes: &[u8], instantiate: bool) -> Result<DryRun, String> {
    let input = &mut &bytes[..];
    let p = Prefix::decode(input).map_err(|e| format!("undecodable dry-run result: {e}"))?;
    let tag = u8::decode(input).map_err(|e| format!("undecodable dry-run result: {e}"))?;
    let (result, account_id) = match tag {
        0 => {
            let flags = u32::decode(input).map_err(|e| e.to_string())?;
            let data = Vec::<u8>::decode(input).map_err(|e| e.to_string())?;
            let account = if instantiate {
                Some(<[u8; 32]>::decode(input).map_err(|e| e.to_string())?)
            } else {
                None
            };
            (Ok((flags, data)), account)
        }
        1 => (Err(dispatch_error_prefix(input).to_vec()), None),
        t => return Err(format!("undecodable dry-run result: tag {t}")),
    };
    Ok(DryRun {
        gas_consumed: p.gas_consumed,
        gas_required: p.gas_required,
        storage_deposit: p.storage_deposit,
        result,
        account_id,
    })
}

/// The bytes of the SCALE `sp_runtime::DispatchError` at the start of `bytes` (the dry-run
/// result continues with its events, which a metadata-driven decoder would take as part of
/// a `Module` error): the variant byte plus its fields.
pub fn dispatch_error_prefix(bytes: &[u8]) -> &[u8] {
    let len = match bytes.first() {
        // Module(ModuleError { index: u8, error: [u8; 4] })
        Some(3) => 6,
        // Token(TokenError), Arithmetic(ArithmeticError), Transactional(TransactionalError),
        // Trie(TrieError): one byte each.
        Some(7) | Some(8) | Some(9) | Some(14) => 2,
        _ => 1,
    };
    &bytes[..len.min(bytes.len())]
}

/// A message's return data: `Result<Result<T, Error>, LangError>`.
pub fn decode_message_return<T: Decode>(
    data: &[u8],
) -> Result<Result<Result<T, Error>, ink::LangError>, String> {
    Decode::decode(&mut &data[..]).map_err(|e| format!("undecodable return value: {e}"))
}

/// A read's return data: `Result<T, LangError>`.
pub fn decode_read_return<T: Decode>(data: &[u8]) -> Result<Result<T, ink::LangError>, String> {
    Decode::decode(&mut &data[..]).map_err(|e| format!("undecodable return value: {e}"))
}

macro_rules! events {
    ($($name:ident),* $(,)?) => {
        /// Every event the contract emits, decoded with the `escrow_types` structs.
        #[allow(clippy::large_enum_variant)] // DealProposed carries the terms; events are few.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum EscrowEvent {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                $name($name),
            )*
        }

        impl EscrowEvent {
            /// Decodes an event from its topics and data. `None` if the first topic is not
            /// one of our signature topics (another contract's event).
            pub fn decode(topics: &[[u8; 32]], data: &[u8]) -> Option<Result<EscrowEvent, String>> {
                let first = topics.first()?;
                $(
                    if Some(*first) == <$name as ink::env::Event>::SIGNATURE_TOPIC {
                        return Some(
                            <$name as Decode>::decode(&mut &data[..])
                                .map(EscrowEvent::$name)
                                .map_err(|e| format!("undecodable {}: {e}", stringify!($name))),
                        );
                    }
                )*
                None
            }

            /// The trail it is on and the block of the previous event on that trail
            /// (`escrow_types::Trail`).
            pub fn trail(&self) -> (escrow_types::Trail, escrow_types::BlockNumber) {
                use escrow_types::OnTrail;
                match self {
                    $(EscrowEvent::$name(e) => (e.trail(), e.prev_block()),)*
                }
            }

            /// The event's name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(EscrowEvent::$name(_) => stringify!($name),)*
                }
            }

            /// The event's field layout (ink!'s event metadata: events carry no `TypeInfo`
            /// of their own) and its SCALE-encoded fields: what a renderer needs to show any
            /// event, including fields added later, without naming its type.
            pub fn spec_and_data(&self) -> (ink::metadata::EventSpec, Vec<u8>) {
                match self {
                    $(EscrowEvent::$name(e) => (
                        <$name as ink::metadata::EventMetadata>::event_spec(),
                        e.encode(),
                    ),)*
                }
            }

            /// Every signature topic we know, with its event name.
            pub fn signature_topics() -> Vec<(&'static str, [u8; 32])> {
                vec![$((stringify!($name), <$name as ink::env::Event>::SIGNATURE_TOPIC.unwrap_or_default()),)*]
            }
        }
    };
}

events!(
    DealProposed,
    DealWithdrawn,
    DealAccepted,
    DealFunded,
    MilestoneSubmitted,
    MilestoneAttested,
    MilestoneReleased,
    MilestoneRefunded,
    MilestoneDisputed,
    SettlementOffered,
    DisputeResolved,
    CancellationProposed,
    CancellationWithdrawn,
    DealCancelled,
    AmendmentProposed,
    AmendmentAccepted,
    AmendmentWithdrawn,
    PayoutDeferred,
    Withdrawn,
    ReceivableAssigned,
    DealClosed,
);

impl EscrowEvent {
    /// The deal it concerns (`Withdrawn` concerns an account, not a deal).
    pub fn deal_id(&self) -> Option<DealId> {
        use EscrowEvent::*;
        Some(match self {
            DealProposed(e) => e.deal_id,
            DealWithdrawn(e) => e.deal_id,
            DealAccepted(e) => e.deal_id,
            DealFunded(e) => e.deal_id,
            MilestoneSubmitted(e) => e.deal_id,
            MilestoneAttested(e) => e.deal_id,
            MilestoneReleased(e) => e.deal_id,
            MilestoneRefunded(e) => e.deal_id,
            MilestoneDisputed(e) => e.deal_id,
            SettlementOffered(e) => e.deal_id,
            DisputeResolved(e) => e.deal_id,
            CancellationProposed(e) => e.deal_id,
            CancellationWithdrawn(e) => e.deal_id,
            DealCancelled(e) => e.deal_id,
            AmendmentProposed(e) => e.deal_id,
            AmendmentAccepted(e) => e.deal_id,
            AmendmentWithdrawn(e) => e.deal_id,
            PayoutDeferred(e) => e.deal_id,
            ReceivableAssigned(e) => e.deal_id,
            DealClosed(e) => e.deal_id,
            Withdrawn(_) => return None,
        })
    }
}

/// Terms hash as the contract computes it: BLAKE2b-256 of the SCALE-encoded terms.
pub fn terms_hash(terms: &DealTerms) -> Digest {
    blake2_256(&terms.encode())
}

/// Rebuilds the proposed terms from a deal's stored record and its milestones (terms are
/// immutable while a deal is `Proposed`, so this is exactly what was proposed).
pub fn terms_of(deal: &Deal, milestones: &[MilestoneView]) -> DealTerms {
    DealTerms {
        buyer: deal.buyer,
        seller: deal.seller,
        oracles: deal.oracles.clone(),
        oracle_threshold: deal.oracle_threshold,
        arbiter: deal.arbiter,
        release_rule: deal.release_rule,
        review_window: deal.review_window,
        arbitration_window: deal.arbitration_window,
        fallback_seller_bps: deal.fallback_seller_bps,
        advance: deal.advance,
        agreement_hash: deal.agreement_hash,
        funder: deal.funder,
        fund_by: deal.fund_by,
        asset: deal.asset,
        milestones: milestones
            .iter()
            .map(|m| MilestoneTerms {
                amount: m.milestone.amount,
                terms_hash: m.milestone.terms_hash,
                ship_by: m.milestone.ship_by,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_follow_inks_rule() {
        // ink! 5's documented example: `flip` → 0x633aa551.
        assert_eq!(selector("flip"), [0x63, 0x3a, 0xa5, 0x51]);
        assert_eq!(call_data("fund", &(DealId(7),))[4..], 7u64.encode()[..]);
    }

    /// Cross-checks every selector against the metadata of a contract build, if there is one.
    #[test]
    fn selectors_match_build_metadata_when_built() {
        let path = std::env::var("ESCROW_METADATA").unwrap_or_else(|_| {
            crate::artifacts::last_build_metadata("milestone_escrow")
                .display()
                .to_string()
        });
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: no {path}");
            return;
        };
        let meta: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut n = 0;
        for kind in ["messages", "constructors"] {
            for m in meta["spec"][kind].as_array().unwrap() {
                let label = m["label"].as_str().unwrap();
                let sel = m["selector"].as_str().unwrap();
                assert_eq!(crate::units::hex0x(&selector(label)), sel, "{label}");
                n += 1;
            }
        }
        assert!(n > 20);
    }

    #[test]
    fn dry_run_result_decodes() {
        let mut bytes = Vec::new();
        Weight {
            ref_time: 1,
            proof_size: 2,
        }
        .encode_to(&mut bytes);
        Weight {
            ref_time: 300,
            proof_size: 400,
        }
        .encode_to(&mut bytes);
        StorageDeposit::Charge(55).encode_to(&mut bytes);
        Vec::<u8>::new().encode_to(&mut bytes);
        0u8.encode_to(&mut bytes);
        REVERT.encode_to(&mut bytes);
        let ret: Result<Result<(), Error>, ink::LangError> = Ok(Err(Error::CallerIsNotBuyer));
        ret.encode().encode_to(&mut bytes);
        bytes.extend_from_slice(&[0, 1, 2]); // trailing events
        let d = decode_dry_run(&bytes, false).unwrap();
        assert_eq!(
            d.gas_required,
            Weight {
                ref_time: 300,
                proof_size: 400
            }
        );
        assert_eq!(d.storage_deposit.limit(), 55);
        let (flags, data) = d.result.unwrap();
        assert_eq!(flags, REVERT);
        assert_eq!(
            decode_message_return::<()>(&data).unwrap(),
            Ok(Err(Error::CallerIsNotBuyer))
        );
    }

    #[test]
    fn dispatch_errors_are_cut_from_the_trailing_events() {
        let mut bytes = vec![3, 8, 5, 0, 0, 0];
        bytes.extend_from_slice(&[1, 4, 9, 9]);
        assert_eq!(dispatch_error_prefix(&bytes), &[3, 8, 5, 0, 0, 0]);
        assert_eq!(dispatch_error_prefix(&[7, 1, 0, 0]), &[7, 1]);
        assert_eq!(dispatch_error_prefix(&[2, 1, 0]), &[2]);
        assert_eq!(dispatch_error_prefix(&[]), &[] as &[u8]);
    }

    #[test]
    fn events_decode_by_signature_topic() {
        let ev = DealFunded {
            deal_id: DealId(3),
            funder: [1u8; 32].into(),
            amount: 5,
            deposited: 9,
            prev_block: 0,
        };
        let topic = <DealFunded as ink::env::Event>::SIGNATURE_TOPIC.unwrap();
        let decoded = EscrowEvent::decode(&[topic], &ev.encode())
            .unwrap()
            .unwrap();
        assert_eq!(decoded, EscrowEvent::DealFunded(ev));
        assert_eq!(decoded.deal_id(), Some(DealId(3)));
        assert!(EscrowEvent::decode(&[[0u8; 32]], &[]).is_none());
        let topics = EscrowEvent::signature_topics();
        let distinct: std::collections::BTreeSet<_> = topics.iter().map(|t| t.1).collect();
        assert_eq!(distinct.len(), 21);
    }
}
