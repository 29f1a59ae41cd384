//! # Escrow fast path
//!
//! ## Overview
//!
//! A small contract that sits in front of the `milestone_escrow` ink! contract's code and
//! serves the instance's address. It runs the three messages that release a milestone —
//! `approve`, `attest` and `settle_milestone` (timeout) — itself, and hands every other
//! call, and every call its checks do not pass, to the ink! contract's code by
//! `delegate_call` with the caller's own input (`CLONE_INPUT | TAIL_CALL`): that code runs
//! in this contract's storage, as the same caller, and its output (and revert) is returned
//! unchanged. dApps and the CLI therefore use the ink! contract's metadata as they are.
//!
//! ## Why
//!
//! The cost target is a release at ≤ 2× a bare contract's `pay` (one storage write,
//! one transfer). On pallet-contracts every storage access costs ~10.3 KB of proof and the
//! whole code blob is loaded into the proof on every call (docs/cost-model.md). ink!'s
//! dispatch alone reads and writes the root cell, and the ink! contract is 53 KB. Here a
//! release reads and writes exactly one record (its [`MilestoneRecord`], which carries what
//! the release needs), as bytes patched in place ([`record`]), and the blob is 11.6 KB: a
//! release costs 1.8× the bare transfer in both ref_time and proof_size (docs/bench.md).
//!
//! ## One set of rules
//!
//! The checks, the release bookkeeping and the payouts are `escrow_types` functions that
//! the ink! contract calls too, on the same storage layout (`escrow_types::keys`). This
//! contract adds no rule: a call it cannot finish for certain goes to the ink! contract,
//! which then returns the exact error. The on-chain tests run every scenario on both
//! deployments and compare events and state.
//!
//! ## Instantiation
//!
//! `deploy` takes the ink! constructor `new`'s selector and arguments followed by the ink!
//! contract's code hash. It writes the same root cell `new` would, stores the code hash and
//! locks it (`lock_delegate_dependency`), so the code it delegates to can never be removed
//! or changed. There is no message to change it: like the ink! contract, no admin.
#![cfg_attr(not(feature = "std"), no_std, no_main)]
// The exports exist only in the wasm build; natively the crate only type-checks.
#![cfg_attr(feature = "std", allow(dead_code))]

#[cfg(not(feature = "std"))]
use escrow_types::Instance;
use escrow_types::{
    keys, payout, DealId, Error, MilestoneAttested, MilestoneRecord, MilestoneReleased, Outcome,
    ReleaseVia,
};
use record::{Parsed, MAX_RECORD};

mod record;
#[cfg(not(feature = "std"))]
use ink::primitives::AccountId;
use ink::{
    env::{
        call::{build_call, ExecutionInput, Selector},
        CallFlags, DefaultEnvironment as Env, ReturnFlags,
    },
    primitives::{Hash, LangError},
};

/// Selectors of the ink! contract's messages this contract serves (ink! derives them from
/// the message names).
const APPROVE: [u8; 4] = ink::selector_bytes!("approve");
const ATTEST: [u8; 4] = ink::selector_bytes!("attest");
const SETTLE_MILESTONE: [u8; 4] = ink::selector_bytes!("settle_milestone");
/// The ink! contract's constructor.
const NEW: [u8; 4] = ink::selector_bytes!("new");

/// A call this contract may serve itself, or `Other`.
enum Fast {
    Approve(DealId, u8),
    Attest(DealId, u8),
    SettleMilestone(DealId, u8),
    Other,
}

impl scale::Decode for Fast {
    fn decode<I: scale::Input>(input: &mut I) -> Result<Self, scale::Error> {
        let make = match <[u8; 4]>::decode(input)? {
            APPROVE => Fast::Approve,
            ATTEST => Fast::Attest,
            SETTLE_MILESTONE => Fast::SettleMilestone,
            _ => return Ok(Fast::Other),
        };
        let deal_id = DealId::decode(input)?;
        let index = u8::decode(input)?;
        // Trailing bytes: leave the verdict to ink!'s own decoding.
        if input.remaining_len()? != Some(0) {
            return Ok(Fast::Other);
        }
        Ok(make(deal_id, index))
    }
}

#[cfg(not(feature = "std"))]
#[no_mangle]
extern "C" fn call() {
    let fast = ink::env::decode_input::<Fast>().unwrap_or(Fast::Other);
    // ink! refuses value sent to a non-payable message (none of these is payable); leave
    // that, too, to the ink! contract.
    let paid = ink::env::transferred_value::<Env>() != 0;
    match fast {
        Fast::Approve(deal_id, index) if !paid => approve(deal_id, index),
        Fast::Attest(deal_id, index) if !paid => attest(deal_id, index),
        Fast::SettleMilestone(deal_id, index) if !paid => settle_milestone(deal_id, index),
        _ => {}
    }
    delegate()
}

#[cfg(not(feature = "std"))]
#[no_mangle]
extern "C" fn deploy() {
    let Ok((selector, fee_recipient, fee_bps, library)) =
        ink::env::decode_input::<([u8; 4], AccountId, u16, Hash)>()
    else {
        refuse_input()
    };
    if selector != NEW {
        refuse_input()
    }
    // Like ink!'s constructor `new`, which is not payable: refuse value (a trap, as ink! does).
    if ink::env::transferred_value::<Env>() != 0 {
        panic!("paid an unpayable constructor")
    }
    match Instance::new(fee_recipient, fee_bps) {
        Err(e) => finish(Err(e)),
        Ok(instance) => {
            ink::env::set_contract_storage(&keys::ROOT, &instance);
            ink::env::set_contract_storage(&keys::LIBRARY, &library);
            ink::env::lock_delegate_dependency::<Env>(&library);
            finish(Ok(()))
        }
    }
}

/// `approve`, when the record shows the caller is the buyer and the milestone releasable.
/// Returns only if the ink! contract must handle the call.
///
/// Each message opens with the same four lines rather than a helper that returns the buffer:
/// the record's buffer lives in this frame because moving 522 bytes costs ~4 M ref_time
/// (docs/cost-model.md §6).
#[inline(never)]
fn approve(deal_id: DealId, index: u8) {
    let key = milestone_key(deal_id, index);
    let mut bytes = [0u8; MAX_RECORD];
    let Some((parsed, mut record)) = load(&key, &mut bytes, false) else {
        return;
    };
    let caller = ink::env::caller::<Env>();
    if record.check_buyer_release(&caller).is_ok() && record.check_releasable().is_ok() {
        release(
            deal_id,
            index,
            &key,
            &mut bytes,
            &parsed,
            &mut record,
            ReleaseVia::Buyer,
        )
    }
}

/// `attest`, when the record shows the caller is an oracle that may attest it now.
#[inline(never)]
fn attest(deal_id: DealId, index: u8) {
    let key = milestone_key(deal_id, index);
    let mut bytes = [0u8; MAX_RECORD];
    let Some((parsed, mut record)) = load(&key, &mut bytes, true) else {
        return;
    };
    let caller = ink::env::caller::<Env>();
    let now = ink::env::block_timestamp::<Env>();
    let Ok(bit) = record.check_oracle(&caller) else {
        return;
    };
    if record.check_attestable(bit, now).is_err() {
        return;
    }
    record.attestations |= bit;
    let attestations = record.attestation_count();
    let threshold = record.context.oracle_threshold;
    let outcome = if attestations >= threshold {
        let Ok(outcome) = record.release() else {
            return;
        };
        Some(outcome)
    } else {
        None
    };
    // Everything that could send the call to the ink! contract is decided: effects now.
    let Some(len) = parsed.patch(&mut bytes, &record) else {
        return;
    };
    ink::env::emit_event::<Env, _>(MilestoneAttested {
        deal_id,
        oracle: caller,
        index,
        attestations,
        threshold,
    });
    write_storage(&key, &bytes[..len]);
    match outcome {
        Some(outcome) => finish(pay_release(
            deal_id,
            index,
            &record,
            outcome,
            ReleaseVia::Oracles,
        )),
        None => finish(Ok(())),
    }
}

/// `settle_milestone`, when it is a release after the review window; refunds and fallback
/// splits need the deal record and go to the ink! contract.
#[inline(never)]
fn settle_milestone(deal_id: DealId, index: u8) {
    let key = milestone_key(deal_id, index);
    let mut bytes = [0u8; MAX_RECORD];
    let Some((parsed, mut record)) = load(&key, &mut bytes, false) else {
        return;
    };
    if record.timeout_release_due(ink::env::block_timestamp::<Env>()) {
        release(
            deal_id,
            index,
            &key,
            &mut bytes,
            &parsed,
            &mut record,
            ReleaseVia::Timeout,
        )
    }
}

/// Releases the milestone: books it, writes the record, emits `MilestoneReleased`, pays.
/// Returns (having changed nothing) only if the record cannot be written in place.
fn release(
    deal_id: DealId,
    index: u8,
    key: &[u8],
    bytes: &mut [u8; MAX_RECORD],
    parsed: &Parsed,
    record: &mut MilestoneRecord,
    via: ReleaseVia,
) {
    let Ok(outcome) = record.release() else {
        return;
    };
    let Some(len) = parsed.patch(bytes, record) else {
        return;
    };
    write_storage(key, &bytes[..len]);
    finish(pay_release(deal_id, index, record, outcome, via))
}

/// The release's event and payouts, after its record is written.
fn pay_release(
    deal_id: DealId,
    index: u8,
    record: &MilestoneRecord,
    outcome: Outcome,
    via: ReleaseVia,
) -> Result<(), Error> {
    emit_released(&MilestoneReleased {
        deal_id,
        seller: record.context.seller,
        index,
        amount: outcome.to_seller,
        fee: outcome.fee,
        via,
    });
    payout::pay::<Env>(deal_id, record.context.seller, outcome.to_seller)?;
    payout::pay::<Env>(deal_id, record.context.fee_recipient, outcome.fee)
}

/// Reads the stored record under `key` into `bytes`; returns where its fields are and the
/// part of it the rules read (see [`record`]).
fn load(
    key: &[u8],
    bytes: &mut [u8; MAX_RECORD],
    with_oracles: bool,
) -> Option<(Parsed, MilestoneRecord)> {
    let len = read_storage(key, bytes)?;
    let parsed = Parsed::new(bytes.get(..len)?)?;
    let record = parsed.partial(&bytes[..], with_oracles)?;
    Some((parsed, record))
}

/// The storage key ink!'s `Mapping` uses for `(deal_id, index)` in the milestones mapping:
/// `SCALE((keys::MILESTONES, (deal_id, index)))`.
fn milestone_key(deal_id: DealId, index: u8) -> [u8; 13] {
    let mut key = [0u8; 13];
    key[..4].copy_from_slice(&keys::MILESTONES.to_le_bytes());
    key[4..12].copy_from_slice(&deal_id.0.to_le_bytes());
    key[12] = index;
    key
}

/// The raw value under `key` (the host function ink!'s `get_contract_storage` calls).
#[cfg(not(feature = "std"))]
fn read_storage(key: &[u8], into: &mut [u8; MAX_RECORD]) -> Option<usize> {
    use pallet_contracts_uapi::{HostFn, HostFnImpl};
    let mut out = &mut into[..];
    HostFnImpl::get_storage_v1(key, &mut out).ok()?;
    Some(out.len())
}

#[cfg(feature = "std")]
fn read_storage(key: &[u8], into: &mut [u8; MAX_RECORD]) -> Option<usize> {
    let _ = (key, into);
    None
}

/// Stores `value` under `key` (the host function ink!'s `set_contract_storage` calls).
#[cfg(not(feature = "std"))]
fn write_storage(key: &[u8], value: &[u8]) {
    use pallet_contracts_uapi::{HostFn, HostFnImpl};
    HostFnImpl::set_storage_v2(key, value);
}

#[cfg(feature = "std")]
fn write_storage(key: &[u8], value: &[u8]) {
    let _ = (key, value);
}

/// Deposits `MilestoneReleased` exactly as ink!'s `emit_event` does — topics: the signature
/// topic, then the `#[ink(topic)]` fields in order, each SCALE-encoded and zero-padded to 32
/// bytes (both fit); data: the whole event, SCALE-encoded — without ink!'s generic topics
/// builder, ~0.8 KB of code every release would compile. The on-chain tests decode these
/// events with ink!'s own types.
#[cfg(not(feature = "std"))]
fn emit_released(event: &MilestoneReleased) {
    use pallet_contracts_uapi::{HostFn, HostFnImpl};
    use scale::Encode;
    let signature = <MilestoneReleased as ink::env::Event>::SIGNATURE_TOPIC
        .unwrap_or_else(|| panic!("MilestoneReleased is not anonymous"));
    // `Vec<Hash>` of three: compact length 3, then 3 × 32 bytes.
    let mut topics = [0u8; 1 + 3 * 32];
    topics[0] = 3 << 2;
    topics[1..33].copy_from_slice(&signature);
    topics[33..41].copy_from_slice(&event.deal_id.0.to_le_bytes());
    topics[65..97].copy_from_slice(event.seller.as_ref());
    let mut data = Buffer::default();
    event.encode_to(&mut data);
    HostFnImpl::deposit_event(&topics, data.as_slice());
}

#[cfg(feature = "std")]
fn emit_released(event: &MilestoneReleased) {
    ink::env::emit_event::<Env, _>(event.clone());
}

/// A fixed-size SCALE output: `MilestoneReleased` encodes to 74 bytes.
struct Buffer {
    bytes: [u8; 96],
    len: usize,
}

impl Default for Buffer {
    fn default() -> Self {
        Self {
            bytes: [0; 96],
            len: 0,
        }
    }
}

impl Buffer {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl scale::Output for Buffer {
    fn write(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        self.bytes[self.len..end].copy_from_slice(bytes);
        self.len = end;
    }
}

/// Returns what the ink! message would: `Ok(result)` of `MessageResult<Result<(), Error>>`,
/// reverting on an error so that nothing it wrote stays.
fn finish(result: Result<(), Error>) -> ! {
    match result {
        // `Ok(Ok(()))`, spelled out: encoding it through the generic `Result<Result<(),
        // Error>, LangError>` would compile the whole `Error` encoder on every release
        // (pallet-contracts' wasmi charges each call for compiling the code it reaches).
        Ok(()) => ink::env::return_value::<[u8; 2]>(ReturnFlags::empty(), &[0, 0]),
        Err(e) => fail(e),
    }
}

/// The error arm of [`finish`], compiled only when a release fails.
#[inline(never)]
fn fail(e: Error) -> ! {
    ink::env::return_value::<Result<Result<(), Error>, LangError>>(ReturnFlags::REVERT, &Ok(Err(e)))
}

/// What ink! returns for input it cannot decode.
fn refuse_input() -> ! {
    ink::env::return_value::<Result<(), LangError>>(
        ReturnFlags::REVERT,
        &Err(LangError::CouldNotReadInput),
    )
}

/// Hands the call to the ink! contract's code. With `TAIL_CALL` its output ends this call;
/// control comes back only if that code trapped, and then this call traps too.
#[inline(never)]
fn delegate() -> ! {
    let library = ink::env::get_contract_storage::<u32, Hash>(&keys::LIBRARY)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no library code hash"));
    let _ = build_call::<Env>()
        .delegate(library)
        .call_flags(CallFlags::CLONE_INPUT | CallFlags::TAIL_CALL)
        .exec_input(ExecutionInput::new(Selector::new([0; 4])))
        .returns::<()>()
        .try_invoke();
    panic!("the library trapped")
}

#[cfg(test)]
mod tests {
    use super::*;
    use scale::Encode;

    #[test]
    fn milestone_key_is_the_mappings_key() {
        for (deal, index) in [
            (0u64, 0u8),
            (1, 15),
            (u64::MAX, 255),
            (0x0102_0304_0506_0708, 7),
        ] {
            assert_eq!(
                milestone_key(DealId(deal), index).to_vec(),
                (keys::MILESTONES, (DealId(deal), index)).encode()
            );
        }
    }

    #[test]
    fn selectors_are_the_ink_messages() {
        use scale::Decode;
        let input = [APPROVE.to_vec(), DealId(3).encode(), vec![2]].concat();
        assert!(matches!(
            Fast::decode(&mut &input[..]),
            Ok(Fast::Approve(DealId(3), 2))
        ));
        let trailing = [input.clone(), vec![0]].concat();
        assert!(matches!(Fast::decode(&mut &trailing[..]), Ok(Fast::Other)));
        let other = [ink::selector_bytes!("fund").to_vec(), DealId(3).encode()].concat();
        assert!(matches!(Fast::decode(&mut &other[..]), Ok(Fast::Other)));
    }
}
