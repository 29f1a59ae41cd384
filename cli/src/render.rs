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

use escrow_client::{
    contract::EscrowEvent,
    units::{self, Token},
};

/// What rendering needs to know about the chain.
#[derive(Debug, Clone, Default)]
pub struct RenderCtx {
    /// For amounts in human output.
    pub token: Token,
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

/// Human `key=value` text of an event's fields.
pub fn event_fields_human(e: &EscrowEvent, ctx: &RenderCtx) -> String {
    json_to_human(event_fields_json(e), ctx)
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
    match v {
        Json::String(s) if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() => s
            .parse::<u128>()
            .map(|n| ctx.token.format(n).replace(' ', ""))
            .unwrap_or_else(|_| s.clone()),
        Json::Number(n)
            if matches!(
                key,
                "at" | "review_ends" | "arbitration_ends" | "new_ship_by" | "ship_by"
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

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_types::*;

    #[test]
    fn json_follows_the_documented_conventions() {
        let ev = DealFunded {
            deal_id: DealId(3),
            funder: [0xd4; 32].into(),
            amount: u128::MAX,
            deposited: 9,
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
        };
        let j = event_fields_json(&EscrowEvent::MilestoneRefunded(ev));
        assert_eq!(j["reason"], json!("ShipByMissed"));
        let ev = MilestoneSubmitted {
            deal_id: DealId(1),
            seller: [1; 32].into(),
            index: 0,
            evidence_hash: [0xab; 32],
            review_ends: 1_796_126_400_000,
        };
        let ev = EscrowEvent::MilestoneSubmitted(ev);
        let j = event_fields_json(&ev);
        assert_eq!(j["evidence_hash"], json!(format!("0x{}", "ab".repeat(32))));
        let h = event_fields_human(&ev, &RenderCtx::default());
        assert!(h.contains("review_ends=2026-12-01T12:00:00Z"), "{h}");
    }

    #[test]
    fn options_render_as_null_or_value() {
        let m = MilestoneTerms {
            amount: 1_000_000_000_000,
            terms_hash: [0; 32],
            ship_by: None,
        };
        let j = to_json(&m);
        assert_eq!(j["ship_by"], Json::Null);
        let m = MilestoneTerms {
            ship_by: Some(5),
            ..m
        };
        assert_eq!(to_json(&m)["ship_by"], json!(5));
        assert!(json_to_human(to_json(&m), &RenderCtx::default()).contains("amount=1UNIT"));
    }
}
