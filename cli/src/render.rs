//! Renders any `escrow_types` value (events, deal views) as JSON or `key=value` text,
//! driven by the type's own `TypeInfo`: the value is SCALE-encoded and decoded back into a
//! `scale_value::Value` whose nodes carry their type ids. So the output follows the shared
//! types automatically, and a new field shows up without touching the CLI.
//!
//! JSON conventions (stable, documented in `escrow --help`): accounts are SS58 strings,
//! 32-byte hashes `0x…` hex, `u128` amounts decimal *strings* (they exceed JSON's safe
//! integers), other integers numbers, `Option` `null` or the value, unit enum variants
//! their name, newtypes (`DealId`) their inner value.

use scale::Encode;
use scale_info::{form::PortableForm, PortableRegistry, TypeDef, TypeDefPrimitive};
use serde_json::{json, Map, Value as Json};
use subxt::ext::scale_value::{self, Composite, Primitive, Value, ValueDef};
use subxt::utils::AccountId32;

use std::collections::BTreeMap;

use escrow_client::{
    accounts::ss58,
    contract::EscrowEvent,
    token::TokenInfo,
    units::{self, Token},
};
use escrow_types::{Asset, Config, DealId, DealTerms, ReleaseRule};

/// What rendering needs to know about the chain: the units amounts are shown in.
#[derive(Debug, Clone, Default)]
pub struct RenderCtx {
    /// The units of the amounts rendered: the chain's native token, unless narrowed to a
    /// deal's asset ([`RenderCtx::for_asset`]). Fees and storage deposits are always native.
    pub token: Token,
    /// The chain's native token (fees, storage deposits, balances).
    pub native: Token,
    /// PSP22 tokens whose metadata was read, by address.
    pub tokens: BTreeMap<[u8; 32], TokenInfo>,
    /// The assets of the deals seen, by deal.
    pub deal_assets: BTreeMap<DealId, Asset>,
}

/// The units of a token whose metadata is unknown: its smallest unit.
pub fn raw_units() -> Token {
    Token {
        symbol: "(raw)".into(),
        decimals: 0,
    }
}

/// The asset an event names itself: a proposal's terms, a deferred payout's or a
/// withdrawal's asset.
pub fn own_asset(e: &EscrowEvent) -> Option<Asset> {
    match e {
        EscrowEvent::DealProposed(p) => Some(p.terms.asset),
        EscrowEvent::PayoutDeferred(p) => Some(p.asset),
        EscrowEvent::Withdrawn(w) => Some(w.asset),
        _ => None,
    }
}

impl RenderCtx {
    /// A context for the chain's token `native`, knowing no token or deal yet.
    pub fn native_only(native: Token) -> Self {
        RenderCtx {
            token: native.clone(),
            native,
            tokens: BTreeMap::new(),
            deal_assets: BTreeMap::new(),
        }
    }

    /// The token's metadata, if it was read.
    pub fn token_info(&self, asset: &Asset) -> Option<&TokenInfo> {
        let t = asset.token()?;
        let bytes: &[u8; 32] = t.as_ref();
        self.tokens.get(bytes)
    }

    /// The units `asset`'s amounts are shown in: the native token's, a token's from its
    /// metadata, or its raw smallest unit when that is unknown.
    pub fn units(&self, asset: &Asset) -> Token {
        match asset {
            Asset::Native => self.native.clone(),
            Asset::Psp22(_) => self
                .token_info(asset)
                .map(TokenInfo::units)
                .unwrap_or_else(raw_units),
        }
    }

    /// This context with amounts in `asset`'s units.
    pub fn for_asset(&self, asset: &Asset) -> RenderCtx {
        RenderCtx {
            token: self.units(asset),
            ..self.clone()
        }
    }

    /// The asset of an event: its own, or its deal's (if known).
    pub fn event_asset(&self, e: &EscrowEvent) -> Option<Asset> {
        own_asset(e).or_else(|| self.deal_assets.get(&e.deal_id()?).copied())
    }

    /// This context with amounts in `e`'s asset's units: raw units when the asset is
    /// unknown (never another asset's units).
    pub fn for_event(&self, e: &EscrowEvent) -> RenderCtx {
        match self.event_asset(e) {
            Some(a) => self.for_asset(&a),
            None => RenderCtx {
                token: raw_units(),
                ..self.clone()
            },
        }
    }

    /// "UNIT (the chain's native token)", "USDT (PSP22 token 5F…, 6 decimals)", or the
    /// address of a token whose metadata is unknown.
    pub fn asset_label(&self, asset: &Asset) -> String {
        match asset {
            Asset::Native => format!("{} (the chain's native token)", self.native.symbol),
            Asset::Psp22(t) => match self.token_info(asset) {
                Some(info) => info.label(),
                None => format!(
                    "PSP22 token {} (its metadata is unreadable: amounts in its smallest unit)",
                    ss58(t)
                ),
            },
        }
    }

    /// The short name of `asset` for tables: its symbol, or the token's address.
    pub fn asset_symbol(&self, asset: &Asset) -> String {
        match asset {
            Asset::Native => self.native.symbol.clone(),
            Asset::Psp22(t) => self
                .token_info(asset)
                .map(|i| i.symbol.clone())
                .unwrap_or_else(|| ss58(t)),
        }
    }
}

/// `asset` as JSON: `{"kind": "native", "symbol", "decimals"}` or `{"kind": "psp22",
/// "address", "name", "symbol", "decimals"}` (metadata `null` when unreadable).
pub fn asset_json(asset: &Asset, ctx: &RenderCtx) -> Json {
    match asset {
        Asset::Native => json!({
            "kind": "native",
            "symbol": ctx.native.symbol,
            "decimals": ctx.native.decimals,
        }),
        Asset::Psp22(t) => {
            let info = ctx.token_info(asset);
            json!({
                "kind": "psp22",
                "address": ss58(t),
                "name": info.map(|i| i.name.clone()),
                "symbol": info.map(|i| i.symbol.clone()),
                "decimals": info.map(|i| i.decimals),
            })
        }
    }
}

fn decode<T: scale_info::TypeInfo + Encode + 'static>(
    v: &T,
) -> Option<(Value<u32>, PortableRegistry)> {
    let mut reg = scale_info::Registry::new();
    let id = reg.register_type(&scale_info::meta_type::<T>()).id;
    let portable: PortableRegistry = reg.into();
    let bytes = v.encode();
    let value = scale_value::scale::decode_as_type(&mut &bytes[..], id, &portable).ok()?;
    Some((value, portable))
}

/// JSON of a value.
pub fn to_json<T: scale_info::TypeInfo + Encode + 'static>(v: &T) -> Json {
    match decode(v) {
        Some((value, reg)) => value_json(&value, &reg),
        None => Json::Null,
    }
}

fn ty(reg: &PortableRegistry, id: u32) -> Option<&scale_info::Type<PortableForm>> {
    reg.resolve(id)
}

fn bytes_of(v: &Value<u32>) -> Option<Vec<u8>> {
    match &v.value {
        ValueDef::Composite(c) => {
            let vals: Vec<_> = c.values().collect();
            if vals.len() == 1 {
                if let ValueDef::Composite(_) = vals[0].value {
                    return bytes_of(vals[0]);
                }
            }
            vals.iter()
                .map(|b| b.as_u128().and_then(|b| u8::try_from(b).ok()))
                .collect()
        }
        _ => None,
    }
}

fn is_account(reg: &PortableRegistry, id: u32) -> bool {
    ty(reg, id).is_some_and(|t| t.path.segments.last().is_some_and(|s| s == "AccountId"))
}

fn is_hash(reg: &PortableRegistry, id: u32) -> bool {
    ty(reg, id).is_some_and(|t| match &t.type_def {
        TypeDef::Array(a) => {
            a.len == 32
                && matches!(
                    ty(reg, a.type_param.id).map(|t| &t.type_def),
                    Some(TypeDef::Primitive(TypeDefPrimitive::U8))
                )
        }
        _ => false,
    })
}

fn composite_json(c: &Composite<u32>, reg: &PortableRegistry) -> Json {
    match c {
        Composite::Named(fields) => {
            let mut m = Map::new();
            for (k, v) in fields {
                m.insert(k.clone(), value_json(v, reg));
            }
            Json::Object(m)
        }
        Composite::Unnamed(vals) if vals.len() == 1 => value_json(&vals[0], reg),
        Composite::Unnamed(vals) => Json::Array(vals.iter().map(|v| value_json(v, reg)).collect()),
    }
}

/// JSON of a decoded value.
pub fn value_json(v: &Value<u32>, reg: &PortableRegistry) -> Json {
    if is_account(reg, v.context) {
        if let Some(b) = bytes_of(v).and_then(|b| <[u8; 32]>::try_from(b).ok()) {
            return json!(AccountId32(b).to_string());
        }
    }
    if is_hash(reg, v.context) {
        if let Some(b) = bytes_of(v) {
            return json!(units::hex0x(&b));
        }
    }
    match &v.value {
        ValueDef::Composite(c) => composite_json(c, reg),
        ValueDef::Variant(var) => {
            let empty = var.values.is_empty();
            match (var.name.as_str(), empty) {
                ("None", true) => Json::Null,
                ("Some", false) => composite_json(&var.values, reg),
                (name, true) => json!(name),
                (name, false) => json!({ name: composite_json(&var.values, reg) }),
            }
        }
        ValueDef::Primitive(p) => match p {
            Primitive::Bool(b) => json!(b),
            Primitive::U128(n) => match ty(reg, v.context).map(|t| &t.type_def) {
                Some(TypeDef::Primitive(TypeDefPrimitive::U128)) => json!(n.to_string()),
                _ => json!(*n as u64),
            },
            Primitive::I128(n) => json!(n.to_string()),
            Primitive::String(s) => json!(s),
            Primitive::Char(c) => json!(c.to_string()),
            other => json!(format!("{other:?}")),
        },
        ValueDef::BitSequence(_) => Json::Null,
    }
}

/// JSON of an event's fields, typed by the event's own metadata
/// (`ink::metadata::EventMetadata`; events carry no `TypeInfo` of their own).
pub fn event_fields_json(e: &EscrowEvent) -> Json {
    let (spec, bytes) = e.spec_and_data();
    let mut reg = scale_info::Registry::new();
    let fields: Vec<(String, u32)> = spec
        .args()
        .iter()
        .map(|a| (a.label().to_string(), reg.register_type(a.ty().ty()).id))
        .collect();
    let portable: PortableRegistry = reg.into();
    let input = &mut &bytes[..];
    let mut m = Map::new();
    for (label, id) in fields {
        match scale_value::scale::decode_as_type(input, id, &portable) {
            Ok(value) => m.insert(label, value_json(&value, &portable)),
            Err(_) => return Json::Null,
        };
    }
    Json::Object(m)
}

/// An event as a JSON object `{event, ...fields}`.
pub fn event_json(e: &EscrowEvent) -> Json {
    let mut v = event_fields_json(e);
    if let Json::Object(m) = &mut v {
        m.insert("event".into(), json!(e.name()));
    }
    v
}

/// Human `key=value` text of an event's fields, amounts in the event's asset (its own,
/// or its deal's as `ctx` knows it; raw units when unknown).
pub fn event_fields_human(e: &EscrowEvent, ctx: &RenderCtx) -> String {
    json_to_human(event_fields_json(e), &ctx.for_event(e))
}

/// Human `key=value` text of a JSON object: amounts with the token, times as RFC 3339,
/// windows as durations.
pub fn json_to_human(j: Json, ctx: &RenderCtx) -> String {
    let Json::Object(m) = j else {
        return j.to_string();
    };
    m.iter()
        .map(|(k, v)| format!("{k}={}", human_field(k, v, ctx)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One field, humanly.
pub fn human_field(key: &str, v: &Json, ctx: &RenderCtx) -> String {
    if key == "asset" {
        if let Some(a) = asset_of_json(v) {
            return ctx.asset_symbol(&a);
        }
    }
    match v {
        Json::String(s) if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() => s
            .parse::<u128>()
            .map(|n| ctx.token.format(n).replace(' ', ""))
            .unwrap_or_else(|_| s.clone()),
        Json::Number(n)
            if matches!(
                key,
                "at" | "review_ends" | "arbitration_ends" | "new_ship_by" | "ship_by" | "fund_by"
            ) =>
        {
            n.as_u64()
                .map(units::format_time)
                .unwrap_or_else(|| n.to_string())
        }
        Json::Number(n) if key.ends_with("_window") => n
            .as_u64()
            .map(units::format_duration)
            .unwrap_or_else(|| n.to_string()),
        Json::String(s) => s.clone(),
        Json::Object(o) if key == "terms" => {
            let total: u128 = o["milestones"]
                .as_array()
                .map(|ms| {
                    ms.iter()
                        .filter_map(|m| m["amount"].as_str()?.parse::<u128>().ok())
                        .sum()
                })
                .unwrap_or(0);
            let n = o["milestones"].as_array().map_or(0, |m| m.len());
            format!(
                "{{{n} milestones, total {}}}",
                ctx.token.format(total).replace(' ', "")
            )
        }
        other => other.to_string(),
    }
}

/// An `Asset` back from its JSON (`"Native"`, `{"Psp22": "5F…"}`).
fn asset_of_json(v: &Json) -> Option<Asset> {
    match v {
        Json::String(s) if s == "Native" => Some(Asset::Native),
        Json::Object(o) => {
            let addr = o.get("Psp22")?.as_str()?;
            let a = escrow_client::accounts::parse_account(addr).ok()?;
            Some(Asset::Psp22(escrow_client::accounts::ink_account(&a)))
        }
        _ => None,
    }
}

/// "12.5%" of basis points.
pub fn percent(bps: u16) -> String {
    format!("{}%", units::format_amount(u128::from(bps), 2, ""))
}

/// "2026-12-01T12:00:00Z (in 6d 23h)" / "… (3h ago)".
fn when(t: u64, now: u64) -> String {
    format!("{} ({})", units::format_time(t), units::relative(t, now))
}

/// The summaries of known condition documents ([`escrow_client::oracle::condition`]), by
/// their hash: the terms hash of each milestone released on that condition.
pub type ConditionSummaries = BTreeMap<[u8; 32], String>;

/// Every term of a deal, one line each, for review before anything is signed (`deal
/// propose` shows what it will propose, `deal accept` what it will accept): the asset
/// (amounts are shown in its units, `ctx` knowing its token's metadata), parties,
/// funder, oracles and threshold, release rule, arbiter, fallback split, advance, windows,
/// the funding deadline, every milestone's amount and ship-by, the agreement, and the
/// instance's fee when known. `ship_notes[i]`, when given, follows milestone `i`'s ship-by
/// (how a default was derived). A milestone whose terms hash is in `conditions` shows
/// `condition: <summary> (0x<hash>)` instead of `terms 0x<hash>`.
pub fn terms_lines(
    t: &DealTerms,
    fee: Option<&Config>,
    now: u64,
    ctx: &RenderCtx,
    ship_notes: &[Option<String>],
    conditions: &ConditionSummaries,
) -> Vec<String> {
    let tok = &ctx.units(&t.asset);
    let n_oracles = t.oracles.len();
    let quorum = format!(
        "{} of {n_oracles} oracle attestation(s)",
        t.oracle_threshold
    );
    let release = match t.release_rule {
        ReleaseRule::Buyer => "the buyer's approval".to_string(),
        ReleaseRule::Oracles => quorum,
        ReleaseRule::BuyerOrOracles => format!("the buyer's approval or {quorum}"),
    };
    let total = t
        .milestones
        .iter()
        .try_fold(0u128, |s, m| s.checked_add(m.amount));
    let mut lines = vec![
        format!(
            "  asset        {}: every amount below is in it",
            ctx.asset_label(&t.asset)
        ),
        format!("  buyer        {}", ss58(&t.buyer)),
        format!("  seller       {}", ss58(&t.seller)),
        match &t.funder {
            Some(f) => format!(
                "  funder       {} may deposit besides the buyer (refunds go to the buyer)",
                ss58(f)
            ),
            None => "  funder       none: only the buyer deposits".to_string(),
        },
        if t.oracles.is_empty() {
            "  oracles      none".to_string()
        } else {
            format!(
                "  oracles      {} (threshold {} of {n_oracles})",
                t.oracles.iter().map(ss58).collect::<Vec<_>>().join(", "),
                t.oracle_threshold
            )
        },
        format!("  release      by {release}"),
        match &t.arbiter {
            Some(a) => format!("  arbiter      {}", ss58(a)),
            None => {
                "  arbiter      none: disputes end by settlement or the fallback split".to_string()
            }
        },
        format!(
            "  fallback     {} of a disputed milestone to the seller if the arbitration window \
             ends without a settlement or ruling",
            percent(t.fallback_seller_bps)
        ),
        if t.advance {
            "  advance      milestone 0 is paid to the seller as soon as it is funded".to_string()
        } else {
            "  advance      none".to_string()
        },
        format!(
            "  windows      review {} after each submission; arbitration {} after each dispute",
            units::format_duration(t.review_window),
            units::format_duration(t.arbitration_window)
        ),
        format!(
            "  fund by      {}: no deposit or acceptance after it; milestones not fully funded \
             by then lapse and their deposits go back to the buyer",
            when(t.fund_by, now)
        ),
        format!(
            "  milestones   {}, total {}",
            t.milestones.len(),
            total.map_or_else(|| "beyond 2^128-1 planck".into(), |v| tok.format(v))
        ),
    ];
    for (i, m) in t.milestones.iter().enumerate() {
        let mut line = format!(
            "    #{i} {}, ship by {}",
            tok.format(m.amount),
            when(m.ship_by, now)
        );
        if let Some(Some(note)) = ship_notes.get(i) {
            line.push_str(&format!(" [{note}]"));
        }
        if let Some(summary) = conditions.get(&m.terms_hash) {
            line.push_str(&format!(
                "; condition: {summary} ({})",
                units::hex0x(&m.terms_hash)
            ));
        } else if m.terms_hash != [0u8; 32] {
            line.push_str(&format!("; terms {}", units::hex0x(&m.terms_hash)));
        }
        lines.push(line);
    }
    lines.push(format!(
        "  agreement    {}",
        units::hex0x(&t.agreement_hash)
    ));
    if let Some(c) = fee {
        lines.push(format!(
            "  fee          {} ({} bps) of every payment to the seller, to {} (this instance's; in the deal's asset)",
            percent(c.fee_bps),
            c.fee_bps,
            ss58(&c.fee_recipient)
        ));
    }
    lines
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use escrow_types::*;

    #[test]
    fn json_follows_the_documented_conventions() {
        let ev = DealFunded {
            deal_id: DealId(3),
            funder: [0xd4; 32].into(),
            amount: u128::MAX,
            deposited: 9,
            prev_block: 0,
        };
        let j = event_json(&EscrowEvent::DealFunded(ev));
        assert_eq!(j["event"], json!("DealFunded"));
        assert_eq!(j["deal_id"], json!(3));
        assert_eq!(j["amount"], json!(u128::MAX.to_string()));
        assert!(j["funder"].as_str().unwrap().starts_with('5'));
        let ev = MilestoneRefunded {
            deal_id: DealId(1),
            buyer: [1; 32].into(),
            index: 2,
            amount: 0,
            reason: RefundReason::ShipByMissed,
            prev_block: 0,
        };
        let j = event_fields_json(&EscrowEvent::MilestoneRefunded(ev));
        assert_eq!(j["reason"], json!("ShipByMissed"));
        let ev = MilestoneSubmitted {
            deal_id: DealId(1),
            seller: [1; 32].into(),
            index: 0,
            evidence_hash: [0xab; 32],
            review_ends: 1_796_126_400_000,
            prev_block: 0,
        };
        let ev = EscrowEvent::MilestoneSubmitted(ev);
        let j = event_fields_json(&ev);
        assert_eq!(j["evidence_hash"], json!(format!("0x{}", "ab".repeat(32))));
        let h = event_fields_human(&ev, &RenderCtx::default());
        assert!(h.contains("review_ends=2026-12-01T12:00:00Z"), "{h}");
    }

    fn terms() -> DealTerms {
        DealTerms {
            buyer: [1; 32].into(),
            seller: [2; 32].into(),
            oracles: vec![[3; 32].into(), [4; 32].into()],
            oracle_threshold: 2,
            arbiter: None,
            release_rule: ReleaseRule::BuyerOrOracles,
            review_window: 7 * 86_400_000,
            arbitration_window: 14 * 86_400_000,
            fallback_seller_bps: 3_350,
            advance: true,
            agreement_hash: [0xaa; 32],
            funder: None,
            fund_by: 1_796_126_400_000,
            asset: Asset::Native,
            milestones: vec![
                MilestoneTerms {
                    amount: 1_000_000_000_000,
                    terms_hash: [0; 32],
                    ship_by: 1_798_718_400_000,
                },
                MilestoneTerms {
                    amount: 2_500_000_000_000,
                    terms_hash: [0xcc; 32],
                    ship_by: 1_801_310_400_250,
                },
            ],
        }
    }

    #[test]
    fn options_render_as_null_or_value() {
        let t = terms();
        let j = to_json(&t);
        assert_eq!(j["funder"], Json::Null);
        assert_eq!(j["fund_by"], json!(1_796_126_400_000u64));
        let t = DealTerms {
            funder: Some([5; 32].into()),
            ..t
        };
        assert!(to_json(&t)["funder"].as_str().unwrap().starts_with('5'));
        let m = &t.milestones[0];
        assert_eq!(to_json(m)["ship_by"], json!(1_798_718_400_000u64));
        let h = json_to_human(to_json(m), &RenderCtx::default());
        assert!(
            h.contains("amount=1UNIT") && h.contains("ship_by=2026-12-31T12:00:00Z"),
            "{h}"
        );
    }

    #[test]
    fn terms_lines_show_every_term_and_the_fee() {
        let t = DealTerms {
            funder: Some([5; 32].into()),
            arbiter: Some([6; 32].into()),
            ..terms()
        };
        let fee = Config {
            fee_recipient: [7; 32].into(),
            fee_bps: 100,
            max_milestones: 16,
            max_oracles: 5,
        };
        let notes = [None, Some("default: fund-by + 2 × 30d".to_string())];
        let text = terms_lines(
            &t,
            Some(&fee),
            1_796_004_000_000,
            &RenderCtx::default(),
            &notes,
            &ConditionSummaries::new(),
        )
        .join("\n");
        let acc = |b: u8| ss58(&[b; 32].into());
        for needle in [
            format!("buyer        {}", acc(1)),
            format!("seller       {}", acc(2)),
            format!("funder       {} may deposit", acc(5)),
            format!("{}, {} (threshold 2 of 2)", acc(3), acc(4)),
            "by the buyer's approval or 2 of 2 oracle attestation(s)".into(),
            format!("arbiter      {}", acc(6)),
            "fallback     33.5% of a disputed milestone".into(),
            "milestone 0 is paid to the seller as soon as it is funded".into(),
            "review 7d after each submission; arbitration 14d after each dispute".into(),
            "fund by      2026-12-01T12:00:00Z (in 1d 10h)".into(),
            "milestones   2, total 3.5 UNIT".into(),
            "#0 1 UNIT, ship by 2026-12-31T12:00:00Z".into(),
            "#1 2.5 UNIT, ship by 2027-01-30T12:00:00.250Z".into(),
            "[default: fund-by + 2 × 30d]".into(),
            format!("terms 0x{}", "cc".repeat(32)),
            format!("agreement    0x{}", "aa".repeat(32)),
            format!(
                "fee          1% (100 bps) of every payment to the seller, to {}",
                acc(7)
            ),
        ] {
            assert!(text.contains(&needle), "lacks {needle:?}:\n{text}");
        }
        assert!(
            text.contains(
                "asset        UNIT (the chain's native token): every amount below is in it"
            ),
            "{text}"
        );
        let bare = terms_lines(
            &terms(),
            None,
            0,
            &RenderCtx::default(),
            &[],
            &ConditionSummaries::new(),
        )
        .join("\n");
        assert!(
            bare.contains("funder       none: only the buyer deposits"),
            "{bare}"
        );
        assert!(bare.contains("arbiter      none"), "{bare}");
        assert!(!bare.contains("fee "), "{bare}");
    }

    #[test]
    fn terms_lines_name_a_milestones_condition_by_summary_and_hash() {
        let cc = format!("0x{}", "cc".repeat(32));
        let known: ConditionSummaries =
            [([0xcc; 32], "ACT LOAD at INMUN of MUN-HAM-0042".to_string())].into();
        let text = terms_lines(&terms(), None, 0, &RenderCtx::default(), &[], &known);
        let m1 = text
            .iter()
            .find(|l| l.contains("#1 "))
            .expect("milestone 1");
        assert!(
            m1.ends_with(&format!(
                "; condition: ACT LOAD at INMUN of MUN-HAM-0042 ({cc})"
            )),
            "{m1}"
        );
        assert!(!m1.contains("; terms "), "{m1}");
        // Milestone 0 has no terms hash: nothing about it.
        let m0 = text
            .iter()
            .find(|l| l.contains("#0 "))
            .expect("milestone 0");
        assert!(!m0.contains("condition") && !m0.contains("terms"), "{m0}");
    }

    /// A render context that knows the 6-decimal token USDT at `[9; 32]`.
    pub(crate) fn usdt_ctx() -> RenderCtx {
        let mut rc = RenderCtx::default();
        rc.tokens.insert(
            [9; 32],
            TokenInfo {
                address: AccountId32([9; 32]),
                name: "US Dollar".into(),
                symbol: "USDT".into(),
                decimals: 6,
            },
        );
        rc
    }

    #[test]
    fn a_token_deals_terms_show_its_asset_and_amounts_in_its_units() {
        let usdt = Asset::Psp22([9; 32].into());
        let t = DealTerms {
            asset: usdt,
            milestones: vec![
                MilestoneTerms {
                    amount: 300_000_000,
                    terms_hash: [0; 32],
                    ship_by: 1_798_718_400_000,
                },
                MilestoneTerms {
                    amount: 700_500_000,
                    terms_hash: [0; 32],
                    ship_by: 1_801_310_400_000,
                },
            ],
            ..terms()
        };
        let text =
            terms_lines(&t, None, 0, &usdt_ctx(), &[], &ConditionSummaries::new()).join("\n");
        for needle in [
            format!(
                "asset        USDT (PSP22 token {}, 6 decimals): every amount below is in it",
                AccountId32([9; 32])
            ),
            "milestones   2, total 1000.5 USDT".to_string(),
            "#0 300 USDT, ship by".to_string(),
            "#1 700.5 USDT, ship by".to_string(),
        ] {
            assert!(text.contains(&needle), "lacks {needle:?}:\n{text}");
        }
        // A token whose metadata is unknown: its address, amounts in raw units.
        let raw = terms_lines(
            &t,
            None,
            0,
            &RenderCtx::default(),
            &[],
            &ConditionSummaries::new(),
        )
        .join("\n");
        assert!(raw.contains("its metadata is unreadable"), "{raw}");
        assert!(raw.contains("#0 300000000 (raw)"), "{raw}");
    }

    #[test]
    fn events_show_amounts_in_their_deals_asset_never_another_ones() {
        let usdt = Asset::Psp22([9; 32].into());
        let mut rc = usdt_ctx();
        rc.deal_assets.insert(DealId(1), usdt);
        rc.deal_assets.insert(DealId(2), Asset::Native);
        let funded = |id| {
            EscrowEvent::DealFunded(DealFunded {
                deal_id: DealId(id),
                funder: [1; 32].into(),
                amount: 2_500_000,
                deposited: 2_500_000,
                prev_block: 0,
            })
        };
        let h = event_fields_human(&funded(1), &rc);
        assert!(h.contains("amount=2.5USDT"), "{h}");
        let h = event_fields_human(&funded(2), &rc);
        assert!(h.contains("amount=0.0000025UNIT"), "{h}");
        // A deal whose asset is unknown: raw units, not the chain's.
        let h = event_fields_human(&funded(3), &rc);
        assert!(h.contains("amount=2500000(raw)"), "{h}");
        // An event naming its own asset.
        let w = EscrowEvent::Withdrawn(Withdrawn {
            account: [1; 32].into(),
            to: [1; 32].into(),
            asset: usdt,
            amount: 1_000_000,
            prev_block: 0,
        });
        let h = event_fields_human(&w, &rc);
        assert!(
            h.contains("asset=USDT") && h.contains("amount=1USDT"),
            "{h}"
        );
        assert_eq!(
            event_json(&w)["asset"]["Psp22"],
            json!(ss58(&[9; 32].into()))
        );
    }

    #[test]
    fn asset_json_names_kind_address_and_metadata() {
        let rc = usdt_ctx();
        let j = asset_json(&Asset::Psp22([9; 32].into()), &rc);
        assert_eq!(j["kind"], "psp22");
        assert_eq!(j["symbol"], "USDT");
        assert_eq!(j["decimals"], 6);
        assert_eq!(j["address"], json!(AccountId32([9; 32]).to_string()));
        let j = asset_json(&Asset::Native, &rc);
        assert_eq!(
            (j["kind"].clone(), j["symbol"].clone()),
            (json!("native"), json!("UNIT"))
        );
        let unknown = asset_json(&Asset::Psp22([8; 32].into()), &rc);
        assert_eq!(unknown["symbol"], Json::Null);
    }
}
