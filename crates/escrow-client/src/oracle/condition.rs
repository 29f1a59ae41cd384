//! The condition document of a milestone (format v1): what carrier tracking events must have
//! happened for the oracle service to attest the milestone, its canonical form and its hash.
//!
//! # Format v1
//!
//! A JSON object; field names are camelCase like DCSA's. Unknown fields are refused, naming
//! the field.
//!
//! ```json
//! {
//!   "format": "milestone-escrow/condition/v1",
//!   "description": "Container loaded on board at Mundra",
//!   "transportDocumentReference": "MUN-HAM-0042",
//!   "events": [
//!     {"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD", "location": "INMUN",
//!      "equipmentReference": "MSKU1234567"},
//!     {"eventType": "TRANSPORT", "transportEventTypeCode": "ARRI", "location": "DEHAM"},
//!     {"eventType": "SHIPMENT", "shipmentEventTypeCode": "ISSU", "documentTypeCode": "TRD"}
//!   ],
//!   "notBefore": "2026-12-01T00:00:00Z",
//!   "notAfter": "2027-03-01T00:00:00Z"
//! }
//! ```
//!
//! - `format` (required): exactly [`FORMAT_V1`].
//! - `description` (optional): free text, at most 256 characters.
//! - `transportDocumentReference` (required): the transport document (bill of lading) the
//!   events must refer to, 1 to 20 characters (DCSA's maximum).
//! - `events` (required): 1 to 8 requirements, *all* of which must hold. Each names its
//!   `eventType` and that type's code, validated against the DCSA Track & Trace 2.2 lists
//!   ([`EventType::codes`]). EQUIPMENT takes an optional `location` (UN/LOCODE) and
//!   `equipmentReference`; TRANSPORT an optional `location`; SHIPMENT a required
//!   `documentTypeCode` ([`DOCUMENT_TYPE_CODES`]). Each type takes only its own fields.
//! - `notBefore` / `notAfter` (optional, RFC 3339): the matching events' `eventDateTime`
//!   must lie in this window, both ends included.
//!
//! Only *actual* (`ACT`) events ever satisfy a requirement; there is no field to change that.
//! The document holds only strings, arrays and objects: numbers, booleans and `null` are
//! refused. So are duplicate keys and control characters in strings.
//!
//! # Canonical form and hash
//!
//! The milestone's terms hash is BLAKE2b-256 ([`crate::units::blake2_256`]) of the
//! document's canonical form: the RFC 8785 (JCS) serialization of the JSON value *as parsed
//! from the input* (after validation, so no defaults are injected) — object keys sorted by
//! their UTF-16 code units, no insignificant whitespace, strings escaped as JCS says (`\"`,
//! `\\`, `\b \f \n \r \t`, other control characters as `\u00xx`, everything else as is).
//! As the document has no numbers, JCS's number rules never apply. Reformatting the file or
//! reordering its keys keeps the hash; any change of content changes it.

use std::{fmt, path::Path};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::units;

/// The `format` of a version-1 condition document.
pub const FORMAT_V1: &str = "milestone-escrow/condition/v1";

/// The most requirements (`events`) one document may hold.
pub const MAX_EVENTS: usize = 8;

/// The longest `description`, in characters.
pub const MAX_DESCRIPTION: usize = 256;

/// The longest `transportDocumentReference`, in characters (DCSA's maximum).
pub const MAX_DOCUMENT_REFERENCE: usize = 20;

/// The longest `equipmentReference`, in characters (DCSA's maximum).
pub const MAX_EQUIPMENT_REFERENCE: usize = 15;

/// The largest document accepted, in bytes (a full document is well under 4 KiB).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// DCSA 2.2 `documentTypeCode`s, which a SHIPMENT requirement names.
pub const DOCUMENT_TYPE_CODES: &[&str] = &[
    "CBR", "BKG", "SHI", "SRM", "TRD", "ARN", "VGM", "CAS", "CUS", "DGD", "OOG",
];

const EQUIPMENT_CODES: &[&str] = &[
    "LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP", "PICK", "DROP", "INSP", "RSEA", "RMVD",
];
const TRANSPORT_CODES: &[&str] = &["ARRI", "DEPA"];
const SHIPMENT_CODES: &[&str] = &[
    "RECE", "DRFT", "PENA", "PENU", "REJE", "APPR", "ISSU", "SURR", "SUBM", "VOID", "CONF", "REQS",
    "CMPL", "HOLD", "RELS",
];

const TOP_FIELDS: &[&str] = &[
    "format",
    "description",
    "transportDocumentReference",
    "events",
    "notBefore",
    "notAfter",
];

/// A parsed, validated condition document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Free text for people (`description`), at most 256 characters.
    pub description: Option<String>,
    /// The transport document the events must refer to (`transportDocumentReference`).
    pub transport_document_reference: String,
    /// The requirements (`events`), 1 to 8; all must hold.
    pub events: Vec<Requirement>,
    /// `notBefore` in ms since the epoch: a matching event's `eventDateTime` is at or after it.
    pub not_before: Option<u64>,
    /// `notAfter` in ms since the epoch: a matching event's `eventDateTime` is at or before it.
    pub not_after: Option<u64>,
}

/// One required event: an `ACT` event of this type and code (and, where named, at this
/// location, of this equipment, about this document type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The DCSA event type.
    pub event_type: EventType,
    /// The type's event code (`LOAD`, `ARRI`, `ISSU`…), one of [`EventType::codes`].
    pub code: String,
    /// A UN/LOCODE the event must have happened at (EQUIPMENT and TRANSPORT only).
    pub location: Option<String>,
    /// The container the event must be about (EQUIPMENT only).
    pub equipment_reference: Option<String>,
    /// The document type of a SHIPMENT event (always set for SHIPMENT, never otherwise).
    pub document_type_code: Option<String>,
}

/// A DCSA Track & Trace event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// `EQUIPMENT`: something happened to a container (loaded, discharged, gated in…).
    Equipment,
    /// `TRANSPORT`: a vessel (or other transport) arrived or departed.
    Transport,
    /// `SHIPMENT`: something happened to a shipment document (issued, surrendered…).
    Shipment,
}

impl EventType {
    /// All event types, in DCSA's order.
    pub const ALL: [EventType; 3] = [
        EventType::Equipment,
        EventType::Transport,
        EventType::Shipment,
    ];

    /// The DCSA name: `EQUIPMENT`, `TRANSPORT` or `SHIPMENT`.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::Equipment => "EQUIPMENT",
            EventType::Transport => "TRANSPORT",
            EventType::Shipment => "SHIPMENT",
        }
    }

    /// The event type with this DCSA name, if any.
    pub fn from_dcsa(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The field that carries this type's code (`equipmentEventTypeCode`…).
    pub fn code_field(&self) -> &'static str {
        match self {
            EventType::Equipment => "equipmentEventTypeCode",
            EventType::Transport => "transportEventTypeCode",
            EventType::Shipment => "shipmentEventTypeCode",
        }
    }

    /// The DCSA 2.2 codes of this type.
    pub fn codes(&self) -> &'static [&'static str] {
        match self {
            EventType::Equipment => EQUIPMENT_CODES,
            EventType::Transport => TRANSPORT_CODES,
            EventType::Shipment => SHIPMENT_CODES,
        }
    }

    /// The fields a requirement of this type may have.
    fn fields(&self) -> &'static [&'static str] {
        match self {
            EventType::Equipment => &[
                "eventType",
                "equipmentEventTypeCode",
                "location",
                "equipmentReference",
            ],
            EventType::Transport => &["eventType", "transportEventTypeCode", "location"],
            EventType::Shipment => &["eventType", "shipmentEventTypeCode", "documentTypeCode"],
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition document: the validated condition, its canonical form and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The condition it states.
    pub condition: Condition,
    /// The canonical (JCS) form of the document, which is what is hashed.
    pub canonical: Vec<u8>,
    /// BLAKE2b-256 of `canonical`: the milestone's terms hash.
    pub hash: [u8; 32],
}

impl Document {
    /// Parses and validates a condition document.
    ///
    /// # Errors
    /// One line naming the field (`events[1].location: …`) or the position (for JSON that
    /// does not parse) and what was expected.
    pub fn parse(bytes: &[u8]) -> Result<Document, String> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "the document is {} bytes, at most {MAX_DOCUMENT_BYTES}",
                bytes.len()
            ));
        }
        let json: Json = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
        let condition = validate(&json)?;
        let mut canonical = Vec::new();
        json.write_canonical(&mut canonical);
        let hash = units::blake2_256(&canonical);
        Ok(Document {
            condition,
            canonical,
            hash,
        })
    }

    /// Reads and parses the condition document in `path`.
    ///
    /// # Errors
    /// As [`Document::parse`], prefixed with the file's name; or the file cannot be read.
    pub fn read(path: &Path) -> Result<Document, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Document::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Condition {
    /// One line for people: the requirements joined by "; " (`ACT LOAD at INMUN of
    /// MUN-HAM-0042`, `ACT ISSU TRD of MUN-HAM-0042`, with `, equipment MSKU1234567` when
    /// one is named), then the window if any (`; window 2026-12-01T00:00:00Z to
    /// 2027-03-01T00:00:00Z`, `; window from …`, `; window until …`).
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .events
            .iter()
            .map(|r| self.requirement_line(r))
            .collect();
        let window = match (self.not_before, self.not_after) {
            (Some(a), Some(b)) => Some(format!(
                "window {} to {}",
                units::format_time(a),
                units::format_time(b)
            )),
            (Some(a), None) => Some(format!("window from {}", units::format_time(a))),
            (None, Some(b)) => Some(format!("window until {}", units::format_time(b))),
            (None, None) => None,
        };
        parts.extend(window);
        parts.join("; ")
    }

    fn requirement_line(&self, r: &Requirement) -> String {
        let mut s = format!("ACT {}", r.code);
        if let Some(t) = &r.document_type_code {
            s.push_str(&format!(" {t}"));
        }
        if let Some(l) = &r.location {
            s.push_str(&format!(" at {l}"));
        }
        s.push_str(&format!(" of {}", self.transport_document_reference));
        if let Some(e) = &r.equipment_reference {
            s.push_str(&format!(", equipment {e}"));
        }
        s
    }
}

// ---------------------------------------------------------------------------------------
// The JSON tree as parsed: keys in input order, duplicates refused.

/// A JSON value as read from the input. Numbers keep their text (they are refused by
/// validation anyway); objects keep their keys in input order.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// The key serde_json uses to pass a number through `visit_map` when built with
/// `arbitrary_precision` (as it is in this workspace).
const ARBITRARY_PRECISION_TOKEN: &str = "$serde_json::private::Number";

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.to_string()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.to_string()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(Json::Number(n.to_string()))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if entries.is_empty() && key == ARBITRARY_PRECISION_TOKEN {
                let text: String = map.next_value()?;
                return Ok(Json::Number(text));
            }
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("duplicate field \"{key}\"")));
            }
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

impl Json {
    /// What kind of value this is, for errors ("a number").
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// Appends the RFC 8785 (JCS) serialization. Validation leaves only strings, arrays and
    /// objects; `null` and booleans are written as JCS writes them, and numbers (never
    /// present after validation) as they were read.
    fn write_canonical(&self, out: &mut Vec<u8>) {
        match self {
            Json::Null => out.extend_from_slice(b"null"),
            Json::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Json::Number(n) => out.extend_from_slice(n.as_bytes()),
            Json::String(s) => write_jcs_string(s, out),
            Json::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_canonical(out);
                }
                out.push(b']');
            }
            Json::Object(entries) => write_canonical_object(entries, out),
        }
    }
}

fn write_canonical_object(entries: &[(String, Json)], out: &mut Vec<u8>) {
    let mut sorted: Vec<&(String, Json)> = entries.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.push(b'{');
    for (i, (key, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_jcs_string(key, out);
        out.push(b':');
        value.write_canonical(out);
    }
    out.push(b'}');
}

/// A string as JCS writes it. serde_json escapes exactly what JCS does (`"`, `\`, and
/// U+0000..U+001F, with the short forms `\b \t \n \f \r` and lowercase `\u00xx` otherwise)
/// and writes everything else as UTF-8; the unit tests pin this.
fn write_jcs_string(s: &str, out: &mut Vec<u8>) {
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

// ---------------------------------------------------------------------------------------
// Validation.

fn validate(json: &Json) -> Result<Condition, String> {
    let Json::Object(fields) = json else {
        return Err(format!(
            "the condition document must be a JSON object, found {}",
            json.kind()
        ));
    };
    refuse_unknown(fields, TOP_FIELDS, "", |name| {
        format!(
            "{name}: unknown field (the fields are {})",
            TOP_FIELDS.join(", ")
        )
    })?;
    check_format(fields)?;
    let description = optional_string(fields, "description", "")?;
    if let Some(d) = &description {
        let n = d.chars().count();
        if n > MAX_DESCRIPTION {
            return Err(format!(
                "description: {n} characters, at most {MAX_DESCRIPTION}"
            ));
        }
    }
    let reference = document_reference(fields)?;
    let events = requirements(fields)?;
    let not_before = optional_time(fields, "notBefore")?;
    let not_after = optional_time(fields, "notAfter")?;
    if let (Some(a), Some(b)) = (not_before, not_after) {
        if a > b {
            return Err(format!(
                "notBefore ({}) is after notAfter ({})",
                units::format_time(a),
                units::format_time(b)
            ));
        }
    }
    Ok(Condition {
        description,
        transport_document_reference: reference,
        events,
        not_before,
        not_after,
    })
}

fn get<'a>(fields: &'a [(String, Json)], name: &str) -> Option<&'a Json> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn refuse_unknown(
    fields: &[(String, Json)],
    allowed: &[&str],
    prefix: &str,
    message: impl Fn(String) -> String,
) -> Result<(), String> {
    match fields.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        Some((k, _)) => Err(message(format!("{prefix}{}", printable(k)))),
        None => Ok(()),
    }
}

/// A name or value from the input, quoted for an error message (escaped, cut at 40 chars).
fn quoted(s: &str) -> String {
    let cut: String = s.chars().take(40).collect();
    let more = if cut.len() < s.len() { "…" } else { "" };
    format!("{cut:?}{more}")
}

/// A key from the input for a path in an error message: as is when plain, else quoted.
fn printable(key: &str) -> String {
    if !key.is_empty() && key.len() <= 40 && key.chars().all(|c| c.is_ascii_alphanumeric()) {
        key.to_owned()
    } else {
        quoted(key)
    }
}

fn optional_string(
    fields: &[(String, Json)],
    name: &str,
    prefix: &str,
) -> Result<Option<String>, String> {
    match get(fields, name) {
        None => Ok(None),
        Some(Json::String(s)) => {
            if s.chars().any(char::is_control) {
                return Err(format!("{prefix}{name}: contains a control character"));
            }
            Ok(Some(s.clone()))
        }
        Some(other) => Err(format!(
            "{prefix}{name}: expected a string, found {}",
            other.kind()
        )),
    }
}

fn check_format(fields: &[(String, Json)]) -> Result<(), String> {
    match optional_string(fields, "format", "")? {
        None => Err(format!("format: missing (expected \"{FORMAT_V1}\")")),
        Some(f) if f == FORMAT_V1 => Ok(()),
        Some(f) => Err(format!(
            "format: {} is not a supported format (expected \"{FORMAT_V1}\")",
            quoted(&f)
        )),
    }
}

fn document_reference(fields: &[(String, Json)]) -> Result<String, String> {
    let name = "transportDocumentReference";
    let Some(r) = optional_string(fields, name, "")? else {
        return Err(format!(
            "{name}: missing (the transport document the events refer to, 1 to \
             {MAX_DOCUMENT_REFERENCE} characters)"
        ));
    };
    let n = r.chars().count();
    if n == 0 || n > MAX_DOCUMENT_REFERENCE {
        return Err(format!(
            "{name}: {n} characters, expected 1 to {MAX_DOCUMENT_REFERENCE}"
        ));
    }
    Ok(r)
}

fn optional_time(fields: &[(String, Json)], name: &str) -> Result<Option<u64>, String> {
    let Some(s) = optional_string(fields, name, "")? else {
        return Ok(None);
    };
    let t = chrono::DateTime::parse_from_rfc3339(&s).map_err(|e| {
        format!(
            "{name}: {} is not an RFC 3339 time ({e}); e.g. 2026-12-01T00:00:00Z",
            quoted(&s)
        )
    })?;
    u64::try_from(t.timestamp_millis())
        .map(Some)
        .map_err(|_| format!("{name}: {} is before 1970", quoted(&s)))
}

fn requirements(fields: &[(String, Json)]) -> Result<Vec<Requirement>, String> {
    let items = match get(fields, "events") {
        None => {
            return Err(format!(
                "events: missing (1 to {MAX_EVENTS} required events, all of which must hold)"
            ))
        }
        Some(Json::Array(items)) => items,
        Some(other) => return Err(format!("events: expected an array, found {}", other.kind())),
    };
    if items.is_empty() {
        return Err(format!("events: empty (1 to {MAX_EVENTS} required events)"));
    }
    if items.len() > MAX_EVENTS {
        return Err(format!(
            "events: {} entries, at most {MAX_EVENTS}",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| requirement(&format!("events[{i}]"), item))
        .collect()
}

fn requirement(path: &str, item: &Json) -> Result<Requirement, String> {
    let Json::Object(fields) = item else {
        return Err(format!("{path}: expected an object, found {}", item.kind()));
    };
    let event_type = event_type(path, fields)?;
    let allowed = event_type.fields();
    refuse_unknown(fields, allowed, &format!("{path}."), |name| {
        format!(
            "{name}: not a field of {} {event_type} event (its fields are {})",
            article(event_type),
            allowed.join(", ")
        )
    })?;
    let prefix = format!("{path}.");
    let code = event_code(&prefix, fields, event_type)?;
    let location = optional_string(fields, "location", &prefix)?;
    if let Some(l) = &location {
        check_locode(&prefix, l)?;
    }
    let equipment_reference = optional_string(fields, "equipmentReference", &prefix)?;
    if let Some(e) = &equipment_reference {
        check_equipment_reference(&prefix, e)?;
    }
    let document_type_code = document_type(&prefix, fields, event_type)?;
    Ok(Requirement {
        event_type,
        code,
        location,
        equipment_reference,
        document_type_code,
    })
}

fn article(t: EventType) -> &'static str {
    match t {
        EventType::Equipment => "an",
        EventType::Transport | EventType::Shipment => "a",
    }
}

fn event_type(path: &str, fields: &[(String, Json)]) -> Result<EventType, String> {
    let prefix = format!("{path}.");
    match optional_string(fields, "eventType", &prefix)? {
        None => Err(format!(
            "{path}.eventType: missing (EQUIPMENT, TRANSPORT or SHIPMENT)"
        )),
        Some(t) => EventType::from_dcsa(&t).ok_or_else(|| {
            format!(
                "{path}.eventType: {} is not EQUIPMENT, TRANSPORT or SHIPMENT",
                quoted(&t)
            )
        }),
    }
}

fn event_code(prefix: &str, fields: &[(String, Json)], t: EventType) -> Result<String, String> {
    let field = t.code_field();
    let codes = t.codes().join(" ");
    match optional_string(fields, field, prefix)? {
        None => Err(format!(
            "{prefix}{field}: missing ({} {t} event needs its code: {codes})",
            article(t)
        )),
        Some(c) if t.codes().contains(&c.as_str()) => Ok(c),
        Some(c) => Err(format!(
            "{prefix}{field}: {} is not {} {t} event code ({codes})",
            quoted(&c),
            article(t)
        )),
    }
}

fn document_type(
    prefix: &str,
    fields: &[(String, Json)],
    t: EventType,
) -> Result<Option<String>, String> {
    let codes = DOCUMENT_TYPE_CODES.join(" ");
    match optional_string(fields, "documentTypeCode", prefix)? {
        // Only SHIPMENT allows the field (checked by `refuse_unknown`), and requires it.
        None if t == EventType::Shipment => Err(format!(
            "{prefix}documentTypeCode: missing (a SHIPMENT event needs the document type: \
             {codes})"
        )),
        None => Ok(None),
        Some(c) if DOCUMENT_TYPE_CODES.contains(&c.as_str()) => Ok(Some(c)),
        Some(c) => Err(format!(
            "{prefix}documentTypeCode: {} is not a document type code ({codes})",
            quoted(&c)
        )),
    }
}

/// Whether `s` is a UN/LOCODE: `[A-Z]{2}[A-Z2-9]{3}`.
pub fn is_locode(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'9').contains(c))
}

fn check_locode(prefix: &str, s: &str) -> Result<(), String> {
    if is_locode(s) {
        Ok(())
    } else {
        Err(format!(
            "{prefix}location: {} is not a UN/LOCODE (5 characters: 2-letter country, \
             3-character place)",
            quoted(s)
        ))
    }
}

fn check_equipment_reference(prefix: &str, s: &str) -> Result<(), String> {
    let n = s.chars().count();
    if (1..=MAX_EQUIPMENT_REFERENCE).contains(&n) && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(format!(
            "{prefix}equipmentReference: {} is not an equipment reference (1 to \
             {MAX_EQUIPMENT_REFERENCE} letters and digits, e.g. MSKU1234567)",
            quoted(s)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
      "format": "milestone-escrow/condition/v1",
      "description": "Container loaded on board at Mundra",
      "transportDocumentReference": "MUN-HAM-0042",
      "events": [
        {"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD", "location": "INMUN",
         "equipmentReference": "MSKU1234567"},
        {"eventType": "TRANSPORT", "transportEventTypeCode": "ARRI", "location": "DEHAM"},
        {"eventType": "SHIPMENT", "shipmentEventTypeCode": "ISSU", "documentTypeCode": "TRD"}
      ],
      "notBefore": "2026-12-01T00:00:00Z",
      "notAfter": "2027-03-01T00:00:00Z"
    }"#;

    fn parse(s: &str) -> Result<Document, String> {
        Document::parse(s.as_bytes())
    }

    /// The minimal valid document with `events` replaced by `events`.
    fn with_events(events: &str) -> String {
        format!(
            r#"{{"format":"{FORMAT_V1}","transportDocumentReference":"MUN-HAM-0042","events":{events}}}"#
        )
    }

    fn err(s: &str) -> String {
        parse(s).expect_err("the document should be refused")
    }

    #[test]
    fn parse_reads_every_field() {
        let d = parse(DOC).unwrap();
        let c = &d.condition;
        assert_eq!(
            c.description.as_deref(),
            Some("Container loaded on board at Mundra")
        );
        assert_eq!(c.transport_document_reference, "MUN-HAM-0042");
        assert_eq!(c.not_before, Some(1_796_083_200_000));
        assert_eq!(c.not_after, Some(1_803_859_200_000));
        assert_eq!(
            c.events,
            vec![
                Requirement {
                    event_type: EventType::Equipment,
                    code: "LOAD".into(),
                    location: Some("INMUN".into()),
                    equipment_reference: Some("MSKU1234567".into()),
                    document_type_code: None,
                },
                Requirement {
                    event_type: EventType::Transport,
                    code: "ARRI".into(),
                    location: Some("DEHAM".into()),
                    equipment_reference: None,
                    document_type_code: None,
                },
                Requirement {
                    event_type: EventType::Shipment,
                    code: "ISSU".into(),
                    location: None,
                    equipment_reference: None,
                    document_type_code: Some("TRD".into()),
                },
            ]
        );
        assert_eq!(d.hash, units::blake2_256(&d.canonical));
    }

    #[test]
    fn canonical_form_sorts_keys_and_drops_whitespace() {
        let d = parse(&with_events(
            r#"[ {"location":"INMUN", "equipmentEventTypeCode":"LOAD", "eventType":"EQUIPMENT"} ]"#,
        ))
        .unwrap();
        assert_eq!(
            String::from_utf8(d.canonical).unwrap(),
            r#"{"events":[{"equipmentEventTypeCode":"LOAD","eventType":"EQUIPMENT","location":"INMUN"}],"format":"milestone-escrow/condition/v1","transportDocumentReference":"MUN-HAM-0042"}"#
        );
    }

    #[test]
    fn reordered_keys_and_whitespace_keep_the_hash() {
        let a = parse(DOC).unwrap();
        let b = parse(
            r#"{"notAfter":"2027-03-01T00:00:00Z","notBefore":"2026-12-01T00:00:00Z",
            "events":[{"equipmentReference":"MSKU1234567","location":"INMUN",
            "equipmentEventTypeCode":"LOAD","eventType":"EQUIPMENT"},
            {"location":"DEHAM","transportEventTypeCode":"ARRI","eventType":"TRANSPORT"},
            {"documentTypeCode":"TRD","shipmentEventTypeCode":"ISSU","eventType":"SHIPMENT"}],
            "transportDocumentReference":"MUN-HAM-0042",
            "description":"Container loaded on board at Mundra",
            "format":"milestone-escrow/condition/v1"}"#,
        )
        .unwrap();
        assert_eq!(a.canonical, b.canonical);
        assert_eq!(a.hash, b.hash);
    }

    #[test]
    fn a_changed_location_changes_the_hash() {
        let a = parse(DOC).unwrap();
        let b = parse(&DOC.replace("DEHAM", "NLRTM")).unwrap();
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn a_changed_description_changes_the_hash() {
        let a = parse(DOC).unwrap();
        let b = parse(&DOC.replace("at Mundra", "at Mundra.")).unwrap();
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn the_order_of_requirements_is_content() {
        let one = r#"{"eventType":"TRANSPORT","transportEventTypeCode":"ARRI"}"#;
        let two = r#"{"eventType":"TRANSPORT","transportEventTypeCode":"DEPA"}"#;
        let a = parse(&with_events(&format!("[{one},{two}]"))).unwrap();
        let b = parse(&with_events(&format!("[{two},{one}]"))).unwrap();
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn hash_is_blake2b_256_of_the_canonical_form() {
        let d = parse(&with_events(
            r#"[{"eventType":"TRANSPORT","transportEventTypeCode":"ARRI"}]"#,
        ))
        .unwrap();
        let expected = units::blake2_256(
            br#"{"events":[{"eventType":"TRANSPORT","transportEventTypeCode":"ARRI"}],"format":"milestone-escrow/condition/v1","transportDocumentReference":"MUN-HAM-0042"}"#,
        );
        assert_eq!(d.hash, expected);
    }

    #[test]
    fn jcs_string_escaping_matches_rfc_8785() {
        let mut out = Vec::new();
        write_jcs_string(
            "a\u{0}\u{8}\t\n\u{c}\r\u{1f}\"\\/\u{7f}é€😀\u{2028}",
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\u0000\\b\\t\\n\\f\\r\\u001f\\\"\\\\/\u{7f}é€😀\u{2028}\""
        );
    }

    #[test]
    fn jcs_sorts_keys_by_utf16_code_units() {
        // U+FB01 sorts after U+1F600 in UTF-8 byte order but before it in UTF-16.
        let json: Json = serde_json::from_str(r#"{"😀":"a","ﬁ":"b","a":"c"}"#).unwrap();
        let mut out = Vec::new();
        json.write_canonical(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":"c","😀":"a","ﬁ":"b"}"#
        );
    }

    #[test]
    fn non_ascii_and_escaped_input_canonicalize_the_same() {
        let a = parse(&DOC.replace("at Mundra", "à Mundra")).unwrap();
        let b = parse(&DOC.replace("at Mundra", "\\u00e0 Mundra")).unwrap();
        assert_eq!(a.hash, b.hash);
        let text = String::from_utf8(a.canonical).unwrap();
        assert!(text.contains("board à Mundra\""), "{text}");
    }

    #[test]
    fn unknown_top_level_field_is_refused() {
        let doc = DOC.replace("\"notAfter\"", "\"deadline\": \"x\", \"notAfter\"");
        assert_eq!(
            err(&doc),
            "deadline: unknown field (the fields are format, description, \
             transportDocumentReference, events, notBefore, notAfter)"
        );
    }

    #[test]
    fn a_field_of_another_event_type_is_refused() {
        let e = err(&with_events(
            r#"[{"eventType":"EQUIPMENT","equipmentEventTypeCode":"LOAD","transportEventTypeCode":"ARRI"}]"#,
        ));
        assert_eq!(
            e,
            "events[0].transportEventTypeCode: not a field of an EQUIPMENT event (its fields \
             are eventType, equipmentEventTypeCode, location, equipmentReference)"
        );
    }

    #[test]
    fn location_on_a_shipment_requirement_is_refused() {
        let e = err(&with_events(
            r#"[{"eventType":"SHIPMENT","shipmentEventTypeCode":"ISSU","documentTypeCode":"TRD","location":"INMUN"}]"#,
        ));
        assert_eq!(
            e,
            "events[0].location: not a field of a SHIPMENT event (its fields are eventType, \
             shipmentEventTypeCode, documentTypeCode)"
        );
    }

    #[test]
    fn wrong_code_for_the_event_type_is_refused() {
        let e = err(&with_events(
            r#"[{"eventType":"TRANSPORT","transportEventTypeCode":"ARRI"},{"eventType":"EQUIPMENT","equipmentEventTypeCode":"ARRI"}]"#,
        ));
        assert_eq!(
            e,
            "events[1].equipmentEventTypeCode: \"ARRI\" is not an EQUIPMENT event code (LOAD \
             DISC GTIN GTOT STUF STRP PICK DROP INSP RSEA RMVD)"
        );
    }

    #[test]
    fn missing_code_is_refused() {
        let e = err(&with_events(r#"[{"eventType":"TRANSPORT"}]"#));
        assert_eq!(
            e,
            "events[0].transportEventTypeCode: missing (a TRANSPORT event needs its code: ARRI \
             DEPA)"
        );
    }

    #[test]
    fn unknown_event_type_is_refused() {
        let e = err(&with_events(r#"[{"eventType":"VESSEL"}]"#));
        assert_eq!(
            e,
            "events[0].eventType: \"VESSEL\" is not EQUIPMENT, TRANSPORT or SHIPMENT"
        );
    }

    #[test]
    fn bad_locode_is_refused() {
        for bad in ["INMU", "inmun", "IN MUN", "IN1UN", "INMUN1"] {
            let e = err(&with_events(&format!(
                r#"[{{"eventType":"TRANSPORT","transportEventTypeCode":"ARRI"}},{{"eventType":"TRANSPORT","transportEventTypeCode":"DEPA","location":"{bad}"}}]"#
            )));
            assert_eq!(
                e,
                format!(
                    "events[1].location: \"{bad}\" is not a UN/LOCODE (5 characters: 2-letter \
                     country, 3-character place)"
                )
            );
        }
    }

    #[test]
    fn locodes_with_digits_2_to_9_in_the_place_are_accepted() {
        assert!(is_locode("DE2HM"));
        assert!(is_locode("USNYC"));
        assert!(!is_locode("DE1HM"));
        assert!(!is_locode("D2HAM"));
    }

    #[test]
    fn bad_equipment_reference_is_refused() {
        let e = err(&with_events(
            r#"[{"eventType":"EQUIPMENT","equipmentEventTypeCode":"LOAD","equipmentReference":"MSKU 1234567"}]"#,
        ));
        assert_eq!(
            e,
            "events[0].equipmentReference: \"MSKU 1234567\" is not an equipment reference (1 to \
             15 letters and digits, e.g. MSKU1234567)"
        );
    }

    #[test]
    fn a_number_value_is_refused() {
        let doc = DOC.replace("\"2026-12-01T00:00:00Z\"", "1796083200000");
        assert_eq!(err(&doc), "notBefore: expected a string, found a number");
    }

    #[test]
    fn a_number_inside_a_requirement_is_refused() {
        let e = err(&with_events(
            r#"[{"eventType":"TRANSPORT","transportEventTypeCode":7}]"#,
        ));
        assert_eq!(
            e,
            "events[0].transportEventTypeCode: expected a string, found a number"
        );
    }

    #[test]
    fn booleans_and_null_are_refused() {
        let doc = DOC.replace("\"Container loaded on board at Mundra\"", "null");
        assert_eq!(err(&doc), "description: expected a string, found null");
        let doc = DOC.replace("\"Container loaded on board at Mundra\"", "true");
        assert_eq!(err(&doc), "description: expected a string, found a boolean");
    }

    #[test]
    fn empty_events_are_refused() {
        assert_eq!(
            err(&with_events("[]")),
            "events: empty (1 to 8 required events)"
        );
    }

    #[test]
    fn more_than_eight_events_are_refused() {
        let one = r#"{"eventType":"TRANSPORT","transportEventTypeCode":"ARRI"}"#;
        let nine = [one; 9].join(",");
        assert_eq!(
            err(&with_events(&format!("[{nine}]"))),
            "events: 9 entries, at most 8"
        );
        let eight = [one; 8].join(",");
        assert_eq!(
            parse(&with_events(&format!("[{eight}]")))
                .unwrap()
                .condition
                .events
                .len(),
            8
        );
    }

    #[test]
    fn missing_events_are_refused() {
        let e = err(&format!(
            r#"{{"format":"{FORMAT_V1}","transportDocumentReference":"MUN-HAM-0042"}}"#
        ));
        assert_eq!(
            e,
            "events: missing (1 to 8 required events, all of which must hold)"
        );
    }

    #[test]
    fn a_requirement_that_is_not_an_object_is_refused() {
        assert_eq!(
            err(&with_events(r#"["LOAD"]"#)),
            "events[0]: expected an object, found a string"
        );
    }

    #[test]
    fn missing_document_type_code_on_shipment_is_refused() {
        let e = err(&with_events(
            r#"[{"eventType":"SHIPMENT","shipmentEventTypeCode":"ISSU"}]"#,
        ));
        assert_eq!(
            e,
            "events[0].documentTypeCode: missing (a SHIPMENT event needs the document type: CBR \
             BKG SHI SRM TRD ARN VGM CAS CUS DGD OOG)"
        );
    }

    #[test]
    fn unknown_document_type_code_is_refused() {
        let e = err(&with_events(
            r#"[{"eventType":"SHIPMENT","shipmentEventTypeCode":"ISSU","documentTypeCode":"BOL"}]"#,
        ));
        assert_eq!(
            e,
            "events[0].documentTypeCode: \"BOL\" is not a document type code (CBR BKG SHI SRM TRD \
             ARN VGM CAS CUS DGD OOG)"
        );
    }

    #[test]
    fn not_before_after_not_after_is_refused() {
        let doc = DOC.replace("2026-12-01T00:00:00Z", "2027-03-02T00:00:00Z");
        assert_eq!(
            err(&doc),
            "notBefore (2027-03-02T00:00:00Z) is after notAfter (2027-03-01T00:00:00Z)"
        );
    }

    #[test]
    fn an_empty_window_of_one_instant_is_accepted() {
        let doc = DOC.replace("2026-12-01T00:00:00Z", "2027-03-01T00:00:00Z");
        let c = parse(&doc).unwrap().condition;
        assert_eq!(c.not_before, c.not_after);
    }

    #[test]
    fn a_time_that_is_not_rfc_3339_is_refused() {
        let doc = DOC.replace("2027-03-01T00:00:00Z", "2027-03-01");
        assert_eq!(
            err(&doc),
            "notAfter: \"2027-03-01\" is not an RFC 3339 time (premature end of input); e.g. \
             2026-12-01T00:00:00Z"
        );
    }

    #[test]
    fn times_with_offsets_are_read_as_instants() {
        let doc = DOC.replace("2026-12-01T00:00:00Z", "2026-12-01T05:30:00+05:30");
        assert_eq!(
            parse(&doc).unwrap().condition.not_before,
            Some(1_796_083_200_000)
        );
    }

    #[test]
    fn wrong_format_string_is_refused() {
        let doc = DOC.replace("condition/v1", "condition/v2");
        assert_eq!(
            err(&doc),
            "format: \"milestone-escrow/condition/v2\" is not a supported format (expected \
             \"milestone-escrow/condition/v1\")"
        );
    }

    #[test]
    fn missing_format_is_refused() {
        let doc = DOC.replace("\"format\": \"milestone-escrow/condition/v1\",", "");
        assert_eq!(
            err(&doc),
            "format: missing (expected \"milestone-escrow/condition/v1\")"
        );
    }

    #[test]
    fn document_reference_longer_than_20_is_refused() {
        let doc = DOC.replace("MUN-HAM-0042", "MUN-HAM-0042-0000-000");
        assert_eq!(
            err(&doc),
            "transportDocumentReference: 21 characters, expected 1 to 20"
        );
        let doc = DOC.replace("MUN-HAM-0042", "");
        assert_eq!(
            err(&doc),
            "transportDocumentReference: 0 characters, expected 1 to 20"
        );
    }

    #[test]
    fn missing_document_reference_is_refused() {
        let doc = DOC.replace("\"transportDocumentReference\": \"MUN-HAM-0042\",", "");
        assert_eq!(
            err(&doc),
            "transportDocumentReference: missing (the transport document the events refer to, \
             1 to 20 characters)"
        );
    }

    #[test]
    fn control_characters_in_strings_are_refused() {
        let doc = DOC.replace("MUN-HAM-0042", "MUN\\nHAM");
        assert_eq!(
            err(&doc),
            "transportDocumentReference: contains a control character"
        );
    }

    #[test]
    fn description_longer_than_256_characters_is_refused() {
        let long = "é".repeat(257);
        let doc = DOC.replace("Container loaded on board at Mundra", &long);
        assert_eq!(err(&doc), "description: 257 characters, at most 256");
        let ok = "é".repeat(256);
        assert!(parse(&DOC.replace("Container loaded on board at Mundra", &ok)).is_ok());
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let doc = DOC.replace(
            "\"notAfter\": \"2027-03-01T00:00:00Z\"",
            "\"notAfter\": \"2027-03-01T00:00:00Z\", \"notAfter\": \"2027-04-01T00:00:00Z\"",
        );
        assert_eq!(
            err(&doc),
            "not JSON: duplicate field \"notAfter\" at line 12 column 52"
        );
    }

    #[test]
    fn a_document_that_is_not_json_is_refused_with_its_position() {
        assert_eq!(
            err("{\"format\": }"),
            "not JSON: expected value at line 1 column 12"
        );
    }

    #[test]
    fn a_document_that_is_not_an_object_is_refused() {
        assert_eq!(
            err("[]"),
            "the condition document must be a JSON object, found an array"
        );
    }

    #[test]
    fn an_oversized_document_is_refused() {
        let doc = format!("{DOC}{}", " ".repeat(MAX_DOCUMENT_BYTES));
        assert_eq!(
            err(&doc),
            format!("the document is {} bytes, at most 65536", doc.len())
        );
    }

    #[test]
    fn read_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("load.json");
        std::fs::write(&path, "[]").unwrap();
        assert_eq!(
            Document::read(&path).unwrap_err(),
            format!(
                "{}: the condition document must be a JSON object, found an array",
                path.display()
            )
        );
        std::fs::write(&path, DOC).unwrap();
        assert_eq!(Document::read(&path).unwrap(), parse(DOC).unwrap());
        let missing = dir.path().join("missing.json");
        assert!(Document::read(&missing)
            .unwrap_err()
            .starts_with(&format!("cannot read {}: ", missing.display())));
    }

    #[test]
    fn summary_lists_each_requirement_and_the_window() {
        let c = parse(DOC).unwrap().condition;
        assert_eq!(
            c.summary(),
            "ACT LOAD at INMUN of MUN-HAM-0042, equipment MSKU1234567; ACT ARRI at DEHAM of \
             MUN-HAM-0042; ACT ISSU TRD of MUN-HAM-0042; window 2026-12-01T00:00:00Z to \
             2027-03-01T00:00:00Z"
        );
    }

    #[test]
    fn summary_of_a_single_requirement_without_window() {
        let c = parse(&with_events(
            r#"[{"eventType":"EQUIPMENT","equipmentEventTypeCode":"LOAD","location":"INMUN"}]"#,
        ))
        .unwrap()
        .condition;
        assert_eq!(c.summary(), "ACT LOAD at INMUN of MUN-HAM-0042");
    }

    #[test]
    fn summary_with_a_half_open_window() {
        let c = parse(&DOC.replace("\"notBefore\": \"2026-12-01T00:00:00Z\",", ""))
            .unwrap()
            .condition;
        assert!(
            c.summary().ends_with("; window until 2027-03-01T00:00:00Z"),
            "{}",
            c.summary()
        );
    }
}
