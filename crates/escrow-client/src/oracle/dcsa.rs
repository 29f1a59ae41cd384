//! DCSA Track & Trace 2.2 events, and whether a set of them satisfies a condition.
//!
//! The feed returns flat JSON event objects. [`parse_event`] reads what the oracle needs
//! from one, ignoring any other field, and refuses (as [`Malformed`]) an event that lacks
//! what it needs: `eventID`, `eventType`, `eventClassifierCode`, the type's code,
//! `eventDateTime` and `eventCreatedDateTime`.
//!
//! [`evaluate`] decides whether a condition holds. It trusts nothing about the server's
//! filtering:
//! - only *actual* (`ACT`) events count; `EST`, `PLN` and `REQ` never do;
//! - an event counts for a requirement only if it **refers to the condition's document**
//!   (its `documentReferences` hold `{TRD, <reference>}`, or it is a SHIPMENT event with
//!   `documentTypeCode` `TRD` and `documentID` `<reference>`), lies in the condition's
//!   window (`eventDateTime`, both ends included) and matches the requirement's type, code
//!   and, where the requirement names them, location, equipment and document type;
//! - an event's **location** is `eventLocation.UNLocationCode`, else
//!   `transportCall.UNLocationCode`;
//! - **retractions (extension).** DCSA 2.2 has no retraction; we accept DCSA 3.0's
//!   `retractedEventID` on a flat event: an event naming `retractedEventID: X` retracts
//!   (supersedes) event X. A retracted event never counts; the retracting event counts only
//!   on its own fields. A malformed event still retracts what it names (see
//!   [`retraction_of`] and [`evaluate_excluding`]): refusing to attest is the safe side;
//! - the same event twice (same `eventID`) is harmless.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::condition::{Condition, EventType, Requirement};

/// The longest `eventID` accepted, in characters (DCSA's are UUIDs: 36).
pub const MAX_EVENT_ID: usize = 100;

/// The DCSA 2.2 event classifier codes.
pub const CLASSIFIER_CODES: &[&str] = &["ACT", "PLN", "EST", "REQ"];

/// The document type a transport document reference is of.
const TRANSPORT_DOCUMENT: &str = "TRD";

/// What the oracle reads from one DCSA event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `eventID`.
    pub id: String,
    /// `eventType`.
    pub event_type: EventType,
    /// `eventClassifierCode`: `ACT`, `PLN`, `EST` or `REQ`.
    pub classifier: String,
    /// The type's code (`equipmentEventTypeCode`, `transportEventTypeCode` or
    /// `shipmentEventTypeCode`), one of [`EventType::codes`].
    pub code: String,
    /// `eventDateTime` in ms since the epoch: when it happened (or is planned to).
    pub event_at: u64,
    /// `eventCreatedDateTime` in ms since the epoch: when the carrier recorded it.
    pub created_at: u64,
    /// `eventLocation.UNLocationCode`, else `transportCall.UNLocationCode`.
    pub location: Option<String>,
    /// `equipmentReference`.
    pub equipment_reference: Option<String>,
    /// `documentTypeCode` (SHIPMENT events).
    pub document_type_code: Option<String>,
    /// `documentReferences` as (`documentReferenceType`, `documentReferenceValue`) pairs.
    pub document_refs: Vec<(String, String)>,
    /// `documentID` (SHIPMENT events).
    pub document_id: Option<String>,
    /// `retractedEventID` (extension): the event this one retracts.
    pub retracts: Option<String>,
}

/// An event the oracle cannot read: logged with its id (when it has a usable one) and
/// skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Its `eventID`, if it has a usable one.
    pub id: Option<String>,
    /// What is wrong, naming the field (`eventDateTime: "yesterday" is not an RFC 3339
    /// date-time`). Values from the feed are quoted and cut at 40 characters.
    pub why: String,
}

/// Whether a condition holds, and on which events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Every requirement is satisfied.
    pub holds: bool,
    /// Per requirement, in order: the id of the event that satisfies it (the earliest by
    /// `eventDateTime`, then `eventCreatedDateTime`, then id), if any.
    pub matched: Vec<Option<String>>,
    /// When it holds: the latest `eventDateTime` among the matched events, i.e. when the
    /// condition became true.
    pub latest_event_at: Option<u64>,
}

/// Reads one DCSA event.
///
/// Lenient about fields it does not need (they are ignored) and strict about those it
/// does; `null` counts as absent for the optional ones.
///
/// # Errors
/// [`Malformed`], with the event's id when it has a usable one.
pub fn parse_event(v: &Value) -> Result<Event, Malformed> {
    let Some(obj) = v.as_object() else {
        return Err(Malformed {
            id: None,
            why: format!("expected a JSON object, found {}", kind(v)),
        });
    };
    let id = event_id(obj).map_err(|why| Malformed { id: None, why })?;
    parse_fields(obj, id.clone()).map_err(|why| Malformed { id: Some(id), why })
}

/// The `retractedEventID` a raw event names, if it is a string — read even from an event
/// [`parse_event`] refuses, so that a malformed retraction still keeps the event it
/// retracts from counting (pass these to [`evaluate_excluding`]).
pub fn retraction_of(v: &Value) -> Option<String> {
    v.get("retractedEventID")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Whether `condition` holds on `events`: see the [module documentation](self) for the
/// rules. Duplicates (same `eventID` twice) are harmless; retracted events never count;
/// only `ACT` counts; the event must refer to the condition's document and lie in the
/// window.
pub fn evaluate(condition: &Condition, events: &[Event]) -> Verdict {
    evaluate_excluding(condition, events, &HashSet::new())
}

/// As [`evaluate`], with the event ids in `retracted` treated as retracted as well (the
/// retractions named by malformed events: [`retraction_of`]).
pub fn evaluate_excluding(
    condition: &Condition,
    events: &[Event],
    retracted: &HashSet<String>,
) -> Verdict {
    let mut gone: HashSet<&str> = retracted.iter().map(String::as_str).collect();
    gone.extend(events.iter().filter_map(|e| e.retracts.as_deref()));
    let usable: Vec<&Event> = events
        .iter()
        .filter(|e| e.classifier == "ACT" && !gone.contains(e.id.as_str()))
        .filter(|e| refers_to(e, &condition.transport_document_reference))
        .filter(|e| in_window(condition, e.event_at))
        .collect();
    let chosen: Vec<Option<&Event>> = condition
        .events
        .iter()
        .map(|r| earliest(usable.iter().copied().filter(|e| satisfies(e, r))))
        .collect();
    let holds = chosen.iter().all(Option::is_some);
    let latest_event_at = if holds {
        chosen.iter().flatten().map(|e| e.event_at).max()
    } else {
        None
    };
    Verdict {
        holds,
        matched: chosen.iter().map(|e| e.map(|e| e.id.clone())).collect(),
        latest_event_at,
    }
}

/// Whether `e` refers to the transport document `reference`.
pub fn refers_to(e: &Event, reference: &str) -> bool {
    let by_reference = e
        .document_refs
        .iter()
        .any(|(t, v)| t == TRANSPORT_DOCUMENT && v == reference);
    let by_shipment = e.event_type == EventType::Shipment
        && e.document_type_code.as_deref() == Some(TRANSPORT_DOCUMENT)
        && e.document_id.as_deref() == Some(reference);
    by_reference || by_shipment
}

fn in_window(c: &Condition, at: u64) -> bool {
    c.not_before.is_none_or(|t| at >= t) && c.not_after.is_none_or(|t| at <= t)
}

/// Whether `e` matches the requirement's type, code and named details.
fn satisfies(e: &Event, r: &Requirement) -> bool {
    fn named(wanted: &Option<String>, got: &Option<String>) -> bool {
        wanted.is_none() || wanted == got
    }
    e.event_type == r.event_type
        && e.code == r.code
        && named(&r.location, &e.location)
        && named(&r.equipment_reference, &e.equipment_reference)
        && named(&r.document_type_code, &e.document_type_code)
}

fn earliest<'a>(candidates: impl Iterator<Item = &'a Event>) -> Option<&'a Event> {
    candidates
        .min_by(|a, b| (a.event_at, a.created_at, &a.id).cmp(&(b.event_at, b.created_at, &b.id)))
}

// ---------------------------------------------------------------------------------------
// Parsing.

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value from the feed, quoted for a message (escaped, cut at 40 characters).
fn quoted(s: &str) -> String {
    let cut: String = s.chars().take(40).collect();
    let more = if cut.len() < s.len() { "…" } else { "" };
    format!("{cut:?}{more}")
}

fn event_id(obj: &Map<String, Value>) -> Result<String, String> {
    let id = required_str(obj, "eventID")?;
    let n = id.chars().count();
    if n == 0 || n > MAX_EVENT_ID {
        return Err(format!(
            "eventID: {n} characters, expected 1 to {MAX_EVENT_ID}"
        ));
    }
    if id.chars().any(char::is_control) {
        return Err("eventID: contains a control character".into());
    }
    Ok(id.to_owned())
}

fn parse_fields(obj: &Map<String, Value>, id: String) -> Result<Event, String> {
    let type_name = required_str(obj, "eventType")?;
    let event_type = EventType::from_dcsa(type_name).ok_or_else(|| {
        format!(
            "eventType: {} is not EQUIPMENT, TRANSPORT or SHIPMENT",
            quoted(type_name)
        )
    })?;
    let classifier = required_str(obj, "eventClassifierCode")?;
    if !CLASSIFIER_CODES.contains(&classifier) {
        return Err(format!(
            "eventClassifierCode: {} is not ACT, PLN, EST or REQ",
            quoted(classifier)
        ));
    }
    let code = type_code(obj, event_type)?;
    Ok(Event {
        id,
        event_type,
        classifier: classifier.to_owned(),
        code,
        event_at: time(obj, "eventDateTime")?,
        created_at: time(obj, "eventCreatedDateTime")?,
        location: location(obj)?,
        equipment_reference: optional_str(obj, "equipmentReference", "")?,
        document_type_code: optional_str(obj, "documentTypeCode", "")?,
        document_refs: document_refs(obj)?,
        document_id: optional_str(obj, "documentID", "")?,
        retracts: optional_str(obj, "retractedEventID", "")?,
    })
}

fn required_str<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Err(format!("{name}: missing")),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!("{name}: expected a string, found {}", kind(other))),
    }
}

fn optional_str(
    obj: &Map<String, Value>,
    name: &str,
    prefix: &str,
) -> Result<Option<String>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "{prefix}{name}: expected a string, found {}",
            kind(other)
        )),
    }
}

fn type_code(obj: &Map<String, Value>, t: EventType) -> Result<String, String> {
    let field = t.code_field();
    let code = required_str(obj, field)?;
    if t.codes().contains(&code) {
        Ok(code.to_owned())
    } else {
        Err(format!(
            "{field}: {} is not a DCSA {t} event code",
            quoted(code)
        ))
    }
}

fn time(obj: &Map<String, Value>, name: &str) -> Result<u64, String> {
    let s = required_str(obj, name)?;
    let t = chrono::DateTime::parse_from_rfc3339(s)
        .map_err(|_| format!("{name}: {} is not an RFC 3339 date-time", quoted(s)))?;
    u64::try_from(t.timestamp_millis()).map_err(|_| format!("{name}: {} is before 1970", quoted(s)))
}

/// `eventLocation.UNLocationCode`, else `transportCall.UNLocationCode`.
fn location(obj: &Map<String, Value>) -> Result<Option<String>, String> {
    for holder in ["eventLocation", "transportCall"] {
        let found = match obj.get(holder) {
            None | Some(Value::Null) => None,
            Some(Value::Object(inner)) => {
                optional_str(inner, "UNLocationCode", &format!("{holder}."))?
            }
            Some(other) => {
                return Err(format!(
                    "{holder}: expected an object, found {}",
                    kind(other)
                ))
            }
        };
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

fn document_refs(obj: &Map<String, Value>) -> Result<Vec<(String, String)>, String> {
    let items = match obj.get("documentReferences") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(format!(
                "documentReferences: expected an array, found {}",
                kind(other)
            ))
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| document_ref(i, item))
        .collect()
}

fn document_ref(i: usize, item: &Value) -> Result<(String, String), String> {
    let path = format!("documentReferences[{i}]");
    let Some(r) = item.as_object() else {
        return Err(format!("{path}: expected an object, found {}", kind(item)));
    };
    let field = |name: &str| {
        required_str(r, name)
            .map(str::to_owned)
            .map_err(|e| format!("{path}.{e}"))
    };
    Ok((
        field("documentReferenceType")?,
        field("documentReferenceValue")?,
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::oracle::condition::Document;

    const REF: &str = "MUN-HAM-0042";
    const DAY: u64 = 86_400_000;
    /// 2026-12-02T10:00:00Z
    const T0: u64 = 1_796_205_600_000;

    fn condition(events: Value) -> Condition {
        condition_with(events, json!({}))
    }

    fn condition_with(events: Value, extra: Value) -> Condition {
        let mut doc = json!({
            "format": "milestone-escrow/condition/v1",
            "transportDocumentReference": REF,
            "events": events,
        });
        if let (Some(d), Some(x)) = (doc.as_object_mut(), extra.as_object()) {
            d.extend(x.clone());
        }
        Document::parse(doc.to_string().as_bytes())
            .unwrap()
            .condition
    }

    fn load_at_inmun() -> Condition {
        condition(json!([
            {"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD", "location": "INMUN"}
        ]))
    }

    fn iso(ms: u64) -> String {
        crate::units::format_time(ms)
    }

    /// A raw ACT LOAD of MSKU1234567 at INMUN for REF at `at`.
    fn raw_load(id: &str, at: u64) -> Value {
        json!({
            "eventID": id, "eventType": "EQUIPMENT", "eventClassifierCode": "ACT",
            "eventCreatedDateTime": iso(at + 5_000), "eventDateTime": iso(at),
            "equipmentEventTypeCode": "LOAD", "equipmentReference": "MSKU1234567",
            "emptyIndicatorCode": "LADEN",
            "eventLocation": {"UNLocationCode": "INMUN"},
            "transportCall": {"UNLocationCode": "INMUN", "transportCallID": "tc-1",
                              "modeOfTransport": "VESSEL"},
            "documentReferences": [
                {"documentReferenceType": "TRD", "documentReferenceValue": REF},
                {"documentReferenceType": "BKG", "documentReferenceValue": "BKG-77"}
            ]
        })
    }

    fn load(id: &str, at: u64) -> Event {
        parse_event(&raw_load(id, at)).unwrap()
    }

    fn with(mut v: Value, key: &str, value: Value) -> Value {
        if let Some(o) = v.as_object_mut() {
            o.insert(key.into(), value);
        }
        v
    }

    fn without(mut v: Value, key: &str) -> Value {
        if let Some(o) = v.as_object_mut() {
            o.remove(key);
        }
        v
    }

    fn ev(v: Value) -> Event {
        parse_event(&v).unwrap()
    }

    #[test]
    fn parse_event_reads_the_fields_it_needs() {
        let e = load("e1", T0);
        assert_eq!(
            e,
            Event {
                id: "e1".into(),
                event_type: EventType::Equipment,
                classifier: "ACT".into(),
                code: "LOAD".into(),
                event_at: T0,
                created_at: T0 + 5_000,
                location: Some("INMUN".into()),
                equipment_reference: Some("MSKU1234567".into()),
                document_type_code: None,
                document_refs: vec![("TRD".into(), REF.into()), ("BKG".into(), "BKG-77".into())],
                document_id: None,
                retracts: None,
            }
        );
    }

    #[test]
    fn location_falls_back_to_the_transport_call() {
        let e = ev(without(raw_load("e1", T0), "eventLocation"));
        assert_eq!(e.location.as_deref(), Some("INMUN"));
        let e = ev(with(
            raw_load("e1", T0),
            "eventLocation",
            json!({"UNLocationCode": "DEHAM"}),
        ));
        assert_eq!(e.location.as_deref(), Some("DEHAM"));
        let e = ev(without(
            without(raw_load("e1", T0), "eventLocation"),
            "transportCall",
        ));
        assert_eq!(e.location, None);
    }

    #[test]
    fn estimated_planned_and_requested_events_never_count() {
        let c = load_at_inmun();
        for classifier in ["EST", "PLN", "REQ"] {
            let e = ev(with(
                raw_load("e1", T0),
                "eventClassifierCode",
                json!(classifier),
            ));
            let v = evaluate(&c, &[e]);
            assert_eq!(
                v,
                Verdict {
                    holds: false,
                    matched: vec![None],
                    latest_event_at: None
                },
                "{classifier}"
            );
        }
    }

    #[test]
    fn an_actual_event_satisfies_its_requirement() {
        let v = evaluate(&load_at_inmun(), &[load("e1", T0)]);
        assert_eq!(
            v,
            Verdict {
                holds: true,
                matched: vec![Some("e1".into())],
                latest_event_at: Some(T0)
            }
        );
    }

    #[test]
    fn an_actual_event_at_the_wrong_location_does_not_count() {
        let e = ev(with(
            raw_load("e1", T0),
            "eventLocation",
            json!({"UNLocationCode": "INNSA"}),
        ));
        assert!(!evaluate(&load_at_inmun(), &[e]).holds);
    }

    #[test]
    fn a_requirement_without_location_accepts_any_location() {
        let c = condition(json!([{"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD"}]));
        let e = ev(with(
            raw_load("e1", T0),
            "eventLocation",
            json!({"UNLocationCode": "INNSA"}),
        ));
        assert!(evaluate(&c, &[e]).holds);
    }

    #[test]
    fn the_wrong_equipment_does_not_count() {
        let c = condition(
            json!([{"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD",
                                  "equipmentReference": "MSKU7654321"}]),
        );
        assert!(!evaluate(&c, &[load("e1", T0)]).holds);
        let e = ev(with(
            raw_load("e2", T0),
            "equipmentReference",
            json!("MSKU7654321"),
        ));
        assert!(evaluate(&c, &[load("e1", T0), e]).holds);
    }

    #[test]
    fn the_wrong_code_does_not_count() {
        let e = ev(with(
            raw_load("e1", T0),
            "equipmentEventTypeCode",
            json!("DISC"),
        ));
        assert!(!evaluate(&load_at_inmun(), &[e]).holds);
    }

    #[test]
    fn a_retracted_actual_event_does_not_count() {
        let retraction = ev(with(
            with(raw_load("e2", T0), "retractedEventID", json!("e1")),
            "eventClassifierCode",
            json!("EST"),
        ));
        let v = evaluate(&load_at_inmun(), &[load("e1", T0), retraction]);
        assert_eq!(
            v,
            Verdict {
                holds: false,
                matched: vec![None],
                latest_event_at: None
            }
        );
    }

    #[test]
    fn a_retraction_listed_before_the_event_still_retracts_it() {
        let retraction = ev(with(
            with(raw_load("e2", T0), "retractedEventID", json!("e1")),
            "eventClassifierCode",
            json!("EST"),
        ));
        assert!(!evaluate(&load_at_inmun(), &[retraction, load("e1", T0)]).holds);
    }

    #[test]
    fn a_retracting_event_counts_on_its_own() {
        let correction = ev(with(
            raw_load("e2", T0 + 60_000),
            "retractedEventID",
            json!("e1"),
        ));
        let v = evaluate(&load_at_inmun(), &[load("e1", T0), correction]);
        assert_eq!(
            v,
            Verdict {
                holds: true,
                matched: vec![Some("e2".into())],
                latest_event_at: Some(T0 + 60_000)
            }
        );
    }

    #[test]
    fn a_retracted_retraction_still_counts_only_on_its_own_fields() {
        // e2 retracts e1; e3 retracts e2. e1 stays retracted (retractions are not undone).
        let e2 = ev(with(
            with(raw_load("e2", T0), "retractedEventID", json!("e1")),
            "eventClassifierCode",
            json!("EST"),
        ));
        let e3 = ev(with(
            with(raw_load("e3", T0), "retractedEventID", json!("e2")),
            "eventClassifierCode",
            json!("EST"),
        ));
        assert!(!evaluate(&load_at_inmun(), &[load("e1", T0), e2, e3]).holds);
    }

    #[test]
    fn a_malformed_retraction_excludes_the_event_it_names() {
        let bad = with(
            with(raw_load("e2", T0), "retractedEventID", json!("e1")),
            "eventDateTime",
            json!("soon"),
        );
        assert_eq!(
            parse_event(&bad),
            Err(Malformed {
                id: Some("e2".into()),
                why: "eventDateTime: \"soon\" is not an RFC 3339 date-time".into()
            })
        );
        let retracted: HashSet<String> = retraction_of(&bad).into_iter().collect();
        assert_eq!(retracted, HashSet::from(["e1".to_string()]));
        let v = evaluate_excluding(&load_at_inmun(), &[load("e1", T0)], &retracted);
        assert!(!v.holds);
    }

    #[test]
    fn duplicate_event_ids_are_harmless() {
        let v = evaluate(
            &load_at_inmun(),
            &[load("e1", T0), load("e1", T0), load("e1", T0)],
        );
        assert_eq!(
            v,
            Verdict {
                holds: true,
                matched: vec![Some("e1".into())],
                latest_event_at: Some(T0)
            }
        );
    }

    #[test]
    fn the_earliest_matching_event_is_chosen() {
        let v = evaluate(
            &load_at_inmun(),
            &[load("late", T0 + DAY), load("early", T0)],
        );
        assert_eq!(v.matched, vec![Some("early".into())]);
        assert_eq!(v.latest_event_at, Some(T0));
    }

    #[test]
    fn an_event_for_another_document_does_not_count_even_if_served() {
        let other = ev(with(
            raw_load("e1", T0),
            "documentReferences",
            json!([{"documentReferenceType": "TRD", "documentReferenceValue": "OTHER-1"}]),
        ));
        assert!(!evaluate(&load_at_inmun(), &[other]).holds);
    }

    #[test]
    fn a_booking_reference_equal_to_the_document_does_not_count() {
        let e = ev(with(
            raw_load("e1", T0),
            "documentReferences",
            json!([{"documentReferenceType": "BKG", "documentReferenceValue": REF}]),
        ));
        assert!(!evaluate(&load_at_inmun(), &[e]).holds);
    }

    #[test]
    fn an_event_without_document_references_does_not_count() {
        let e = ev(without(raw_load("e1", T0), "documentReferences"));
        assert!(!evaluate(&load_at_inmun(), &[e]).holds);
    }

    #[test]
    fn the_window_bounds_are_inclusive() {
        let c = condition_with(
            json!([{"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD"}]),
            json!({"notBefore": iso(T0), "notAfter": iso(T0 + DAY)}),
        );
        assert!(evaluate(&c, &[load("at-start", T0)]).holds);
        assert!(evaluate(&c, &[load("at-end", T0 + DAY)]).holds);
        assert!(!evaluate(&c, &[load("before", T0 - 1)]).holds);
        assert!(!evaluate(&c, &[load("after", T0 + DAY + 1)]).holds);
    }

    #[test]
    fn the_window_applies_to_the_event_time_not_the_creation_time() {
        let c = condition_with(
            json!([{"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD"}]),
            json!({"notAfter": iso(T0)}),
        );
        // Recorded five seconds after the window closed, but happened inside it.
        assert!(evaluate(&c, &[load("e1", T0)]).holds);
    }

    fn arrival(id: &str, at: u64) -> Value {
        json!({
            "eventID": id, "eventType": "TRANSPORT", "eventClassifierCode": "ACT",
            "eventCreatedDateTime": iso(at), "eventDateTime": iso(at),
            "transportEventTypeCode": "ARRI",
            "transportCall": {"UNLocationCode": "DEHAM", "modeOfTransport": "VESSEL"},
            "documentReferences": [{"documentReferenceType": "TRD", "documentReferenceValue": REF}]
        })
    }

    fn issued(id: &str, at: u64) -> Value {
        json!({
            "eventID": id, "eventType": "SHIPMENT", "eventClassifierCode": "ACT",
            "eventCreatedDateTime": iso(at), "eventDateTime": iso(at),
            "shipmentEventTypeCode": "ISSU", "documentTypeCode": "TRD", "documentID": REF
        })
    }

    fn three_requirements() -> Condition {
        condition(json!([
            {"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD", "location": "INMUN"},
            {"eventType": "TRANSPORT", "transportEventTypeCode": "ARRI", "location": "DEHAM"},
            {"eventType": "SHIPMENT", "shipmentEventTypeCode": "ISSU", "documentTypeCode": "TRD"}
        ]))
    }

    #[test]
    fn all_requirements_are_needed() {
        let c = three_requirements();
        let v = evaluate(&c, &[load("l", T0), ev(arrival("a", T0 + DAY))]);
        assert_eq!(
            v,
            Verdict {
                holds: false,
                matched: vec![Some("l".into()), Some("a".into()), None],
                latest_event_at: None
            }
        );
        let all = [
            load("l", T0),
            ev(arrival("a", T0 + 2 * DAY)),
            ev(issued("i", T0 + DAY)),
        ];
        let v = evaluate(&c, &all);
        assert_eq!(
            v,
            Verdict {
                holds: true,
                matched: vec![Some("l".into()), Some("a".into()), Some("i".into())],
                latest_event_at: Some(T0 + 2 * DAY)
            }
        );
    }

    #[test]
    fn shipment_issu_trd_refers_to_the_document_by_its_document_id() {
        let c = condition(json!([
            {"eventType": "SHIPMENT", "shipmentEventTypeCode": "ISSU", "documentTypeCode": "TRD"}
        ]));
        assert!(evaluate(&c, &[ev(issued("i", T0))]).holds);
        let other = ev(with(issued("i", T0), "documentID", json!("OTHER-1")));
        assert!(!evaluate(&c, &[other]).holds);
        // A booking document with the same id is not the transport document.
        let booking = ev(with(issued("i", T0), "documentTypeCode", json!("BKG")));
        assert!(!evaluate(&c, &[booking]).holds);
    }

    #[test]
    fn a_transport_event_located_by_its_transport_call_counts() {
        let c = condition(json!([
            {"eventType": "TRANSPORT", "transportEventTypeCode": "ARRI", "location": "DEHAM"}
        ]));
        assert!(evaluate(&c, &[ev(arrival("a", T0))]).holds);
    }

    #[test]
    fn extra_fields_are_ignored() {
        let e = ev(with(
            raw_load("e1", T0),
            "somethingNew",
            json!({"x": [1, 2.5, null]}),
        ));
        assert_eq!(e, load("e1", T0));
    }

    fn malformed(v: Value) -> Malformed {
        parse_event(&v).unwrap_err()
    }

    #[test]
    fn an_event_without_event_id_is_malformed_without_id() {
        assert_eq!(
            malformed(without(raw_load("e1", T0), "eventID")),
            Malformed {
                id: None,
                why: "eventID: missing".into()
            }
        );
        assert_eq!(
            malformed(with(raw_load("e1", T0), "eventID", json!(7))),
            Malformed {
                id: None,
                why: "eventID: expected a string, found a number".into()
            }
        );
        assert_eq!(
            malformed(with(raw_load("e1", T0), "eventID", json!("x".repeat(101)))),
            Malformed {
                id: None,
                why: "eventID: 101 characters, expected 1 to 100".into()
            }
        );
        assert_eq!(
            malformed(with(raw_load("e1", T0), "eventID", json!("a\nb"))),
            Malformed {
                id: None,
                why: "eventID: contains a control character".into()
            }
        );
    }

    #[test]
    fn an_event_that_is_not_an_object_is_malformed() {
        assert_eq!(
            malformed(json!("LOAD")),
            Malformed {
                id: None,
                why: "expected a JSON object, found a string".into()
            }
        );
    }

    #[test]
    fn an_event_with_a_bad_date_is_malformed_with_its_id() {
        assert_eq!(
            malformed(with(
                raw_load("e1", T0),
                "eventDateTime",
                json!("2026-12-02 10:00")
            )),
            Malformed {
                id: Some("e1".into()),
                why: "eventDateTime: \"2026-12-02 10:00\" is not an RFC 3339 date-time".into()
            }
        );
        assert_eq!(
            malformed(without(raw_load("e1", T0), "eventCreatedDateTime")),
            Malformed {
                id: Some("e1".into()),
                why: "eventCreatedDateTime: missing".into()
            }
        );
    }

    #[test]
    fn an_event_with_a_bad_type_classifier_or_code_is_malformed() {
        let cases = [
            (
                with(raw_load("e1", T0), "eventType", json!("VESSEL")),
                "eventType: \"VESSEL\" is not EQUIPMENT, TRANSPORT or SHIPMENT",
            ),
            (
                with(raw_load("e1", T0), "eventClassifierCode", json!("act")),
                "eventClassifierCode: \"act\" is not ACT, PLN, EST or REQ",
            ),
            (
                without(raw_load("e1", T0), "equipmentEventTypeCode"),
                "equipmentEventTypeCode: missing",
            ),
            (
                with(raw_load("e1", T0), "equipmentEventTypeCode", json!("ARRI")),
                "equipmentEventTypeCode: \"ARRI\" is not a DCSA EQUIPMENT event code",
            ),
            (
                with(raw_load("e1", T0), "eventType", json!("TRANSPORT")),
                "transportEventTypeCode: missing",
            ),
        ];
        for (v, why) in cases {
            assert_eq!(
                malformed(v),
                Malformed {
                    id: Some("e1".into()),
                    why: why.into()
                }
            );
        }
    }

    #[test]
    fn an_event_with_malformed_references_or_location_is_malformed() {
        let cases = [
            (
                with(
                    raw_load("e1", T0),
                    "documentReferences",
                    json!({"TRD": REF}),
                ),
                "documentReferences: expected an array, found an object",
            ),
            (
                with(
                    raw_load("e1", T0),
                    "documentReferences",
                    json!([{"documentReferenceType": "TRD"}]),
                ),
                "documentReferences[0].documentReferenceValue: missing",
            ),
            (
                with(raw_load("e1", T0), "eventLocation", json!("INMUN")),
                "eventLocation: expected an object, found a string",
            ),
            (
                with(
                    raw_load("e1", T0),
                    "eventLocation",
                    json!({"UNLocationCode": 5}),
                ),
                "eventLocation.UNLocationCode: expected a string, found a number",
            ),
            (
                with(raw_load("e1", T0), "retractedEventID", json!(["e0"])),
                "retractedEventID: expected a string, found an array",
            ),
        ];
        for (v, why) in cases {
            assert_eq!(
                malformed(v),
                Malformed {
                    id: Some("e1".into()),
                    why: why.into()
                }
            );
        }
    }

    #[test]
    fn long_feed_values_are_cut_in_messages() {
        let m = malformed(with(
            raw_load("e1", T0),
            "eventType",
            json!("X".repeat(100)),
        ));
        assert_eq!(
            m.why,
            format!(
                "eventType: \"{}\"… is not EQUIPMENT, TRANSPORT or SHIPMENT",
                "X".repeat(40)
            )
        );
    }
}
