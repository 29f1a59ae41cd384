//! A carrier simulator: a small HTTP/1.1 server shaped like a DCSA Track & Trace v2.2
//! carrier API, for the oracle service's tests, its bench and the demo.
//!
//! It serves `GET /v2/events` from a list of entries kept in publish order. An entry is a
//! well-formed event (published with [`CarrierSim::publish`], usually built by
//! [`equipment_event`], [`transport_event`], [`shipment_event`] or [`retraction_of`]) or a
//! malformed one ([`CarrierSim::publish_raw`]) that is written verbatim as an element of
//! the answer's JSON array, so the answer is then not valid JSON, as a broken carrier
//! feed would be.
//!
//! # `GET /v2/events`
//!
//! - `transportDocumentReference=R`: an event matches if its `documentReferences` holds
//!   `{"documentReferenceType":"TRD","documentReferenceValue":R}`, or it is a `SHIPMENT`
//!   event with `documentTypeCode` `TRD` and `documentID` R.
//! - `eventType=EQUIPMENT,TRANSPORT`: a comma list of `EQUIPMENT`, `TRANSPORT`, `SHIPMENT`.
//! - `equipmentReference=E`: the event's `equipmentReference` is E (so events without
//!   one, TRANSPORT and SHIPMENT events, never match this filter).
//! - `limit`: 1..=1000, [`DEFAULT_LIMIT`] when absent.
//! - `cursor`: the opaque value of a previous answer's `Next-Page-Cursor` header, which is
//!   set when more matching entries remain after the page. A cursor this server did not
//!   issue is refused with 400.
//!
//! Malformed entries (raw text, or a published value that is not a JSON object) match
//! every filter: a server cannot filter what it cannot read. Query values are
//! percent-decoded (`+` is a space); an unknown or repeated parameter is refused with 400
//! naming it, so a client asking for a filter this simulator lacks finds out at once.
//! Every answer carries `API-Version: 2.2.0`, `Content-Type: application/json`,
//! `Content-Length` and `Connection: close`; errors have a small DCSA-style JSON body
//! `{"statusCode":…,"statusCodeText":…,"errors":[{"reason":…,"message":…}]}`.
//!
//! # Faults
//!
//! [`CarrierSim::fail_next`] makes the next N `GET /v2/events` answer a status (a 5xx
//! outage); [`CarrierSim::set_delay`] makes every answer wait first (a slow carrier). An
//! `EST` event that later turns `ACT`, or a retracted one, are just events published in
//! that order.
//!
//! # Control from another process
//!
//! For the demo script and load runs, which do not share the test's process:
//!
//! - `POST /sim/events`: the body is one event object or an array of them, published in
//!   order; answers `{"published":K,"total":M}`.
//! - `POST /sim/raw`: the body is one raw entry, published verbatim.
//! - `POST /sim/fault`: `{"status":503,"count":3}` (count defaults to 1; `count: 0`
//!   clears) and/or `{"delayMs":200}`; answers the fault state
//!   `{"failNext":N,"failStatus":S,"delayMs":D}`.
//! - `GET /sim/stats`: `{"requests":N,"published":M}`.
//!
//! The `carrier-sim` binary serves the same simulator, optionally playing a [`Scenario`]
//! file (timed events, raw entries and faults).

use std::{
    collections::HashMap,
    io::{ErrorKind, Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    path::Path,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

/// The DCSA Track & Trace version the simulator claims, in every answer's `API-Version`.
pub const API_VERSION: &str = "2.2.0";
/// Entries per page when the request names no `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest `limit` a request may ask for.
pub const MAX_LIMIT: usize = 1000;
/// The container the event builders put in `equipmentReference` (overwrite the field for
/// another one).
pub const EQUIPMENT_REFERENCE: &str = "MSKU1234567";

/// Largest request head (request line and headers) read.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body read (a `POST /sim/events` of a few thousand events).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// How long a connection may take to send its request, or to take its answer.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest sleep of a scenario thread between two looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(50);
/// What a cursor's text starts with before it is hex-encoded.
const CURSOR_PREFIX: &str = "sim-cursor:";

/// One entry of the feed, in publish order.
enum Entry {
    /// A JSON object: filtered on its fields; `text` is what is served.
    Event { value: Value, text: String },
    /// Served verbatim and matched by every filter.
    Raw(String),
}

impl Entry {
    fn text(&self) -> &str {
        match self {
            Entry::Event { text, .. } => text,
            Entry::Raw(text) => text,
        }
    }
}

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    /// When each event id was first published.
    published_at: HashMap<String, Instant>,
    /// The next `fail_left` requests answer `fail_status`.
    fail_left: u32,
    fail_status: u16,
    delay: Duration,
    requests: u64,
}

impl State {
    fn publish(&mut self, value: Value) {
        if !value.is_object() {
            self.entries.push(Entry::Raw(value.to_string()));
            return;
        }
        if let Some(id) = value.get("eventID").and_then(Value::as_str) {
            self.published_at
                .entry(id.to_string())
                .or_insert_with(Instant::now);
        }
        let text = value.to_string();
        self.entries.push(Entry::Event { value, text });
    }

    fn publish_raw(&mut self, text: String) {
        self.entries.push(Entry::Raw(text));
    }

    fn apply(&mut self, fault: &Fault) {
        if let Some(status) = fault.status {
            self.fail_status = status;
            self.fail_left = fault.count;
        }
        if let Some(delay) = fault.delay {
            self.delay = delay;
        }
    }

    fn fault_state(&self) -> Value {
        json!({
            "failNext": self.fail_left,
            "failStatus": if self.fail_left > 0 { json!(self.fail_status) } else { Value::Null },
            "delayMs": u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX),
        })
    }
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent across a panicking holder (each change is one step).
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running carrier simulator on 127.0.0.1; the server stops when this is dropped.
pub struct CarrierSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

impl CarrierSim {
    /// Starts a simulator on a port the OS picks.
    pub fn start() -> std::io::Result<CarrierSim> {
        CarrierSim::start_on(0)
    }

    /// Starts a simulator on 127.0.0.1:`port` (0: a port the OS picks).
    pub fn start_on(port: u16) -> std::io::Result<CarrierSim> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
        });
        let server = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name(format!("carrier-sim-{}", addr.port()))
            .spawn(move || accept_loop(listener, server))?;
        Ok(CarrierSim {
            shared,
            addr,
            accept: Some(accept),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The DCSA base URL, `http://127.0.0.1:PORT/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// Appends an event; served from now on. A value that is not a JSON object is a
    /// malformed entry, served verbatim and matched by every filter.
    pub fn publish(&self, event: Value) {
        self.shared.lock().publish(event);
    }

    /// Appends a malformed entry, written verbatim as an element of the answer's array.
    pub fn publish_raw(&self, text: &str) {
        self.shared.lock().publish_raw(text.to_string());
    }

    /// The next `n` `GET /v2/events` answer `status` with a small JSON error body
    /// (`n = 0` clears a pending fault).
    pub fn fail_next(&self, n: u32, status: u16) {
        self.shared.lock().apply(&Fault {
            status: Some(status),
            count: n,
            delay: None,
        });
    }

    /// Every answer (of any path) waits `d` before it is computed and sent.
    pub fn set_delay(&self, d: Duration) {
        self.shared.lock().delay = d;
    }

    /// The `GET /v2/events` requests served so far, faulted and refused ones included.
    pub fn requests(&self) -> u64 {
        self.shared.lock().requests
    }

    /// The entries published so far (events and malformed ones).
    pub fn published(&self) -> usize {
        self.shared.lock().entries.len()
    }

    /// When the event with this `eventID` was first published.
    pub fn published_at(&self, event_id: &str) -> Option<Instant> {
        self.shared.lock().published_at.get(event_id).copied()
    }

    /// Plays `scenario` on a background thread: each step is applied `after` the call,
    /// in time order, and `on_step` is told of it once applied. The thread stops early
    /// when the simulator is dropped.
    pub fn play(
        &self,
        scenario: Scenario,
        mut on_step: impl FnMut(&Step) + Send + 'static,
    ) -> std::io::Result<JoinHandle<()>> {
        let shared = Arc::clone(&self.shared);
        let started = Instant::now();
        std::thread::Builder::new()
            .name("carrier-sim-scenario".into())
            .spawn(move || {
                for step in scenario.steps {
                    let due = started + step.after;
                    loop {
                        if shared.stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let left = due.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        std::thread::sleep(left.min(STOP_POLL));
                    }
                    {
                        let mut state = shared.lock();
                        match &step.action {
                            Action::Events(events) => {
                                for event in events {
                                    state.publish(event.clone());
                                }
                            }
                            Action::Raw(text) => state.publish_raw(text.clone()),
                            Action::Fault(fault) => state.apply(fault),
                        }
                    }
                    on_step(&step);
                }
            })
    }
}

impl Drop for CarrierSim {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, which sees the flag and returns, closing the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match conn {
            Ok(stream) => {
                let shared = Arc::clone(&shared);
                let spawned = std::thread::Builder::new()
                    .name("carrier-sim-conn".into())
                    .spawn(move || serve(&shared, stream));
                if spawned.is_err() {
                    // Out of threads: the client sees its connection closed and retries.
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            // Out of file descriptors and the like: back off instead of spinning.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

struct Request {
    method: String,
    path: String,
    query: String,
    body: Vec<u8>,
}

struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Response {
    fn json(status: u16, body: Value) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// A DCSA-style error answer.
    fn error(status: u16, reason: &str, message: impl Into<String>) -> Response {
        Response::json(
            status,
            json!({
                "statusCode": status,
                "statusCodeText": reason_phrase(status),
                "errors": [{"reason": reason, "message": message.into()}],
            }),
        )
    }

    fn bad_request(message: impl Into<String>) -> Response {
        Response::error(400, "invalidQuery", message)
    }

    fn method_not_allowed(allow: &'static str) -> Response {
        let mut r = Response::error(
            405,
            "methodNotAllowed",
            format!("this path accepts only {allow}"),
        );
        r.headers.push(("Allow", allow.to_string()));
        r
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

fn serve(shared: &Shared, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let response = match read_request(&mut stream) {
        Ok(request) => {
            let delay = shared.lock().delay;
            if !delay.is_zero() {
                std::thread::sleep(delay);
            }
            route(shared, &request)
        }
        Err(response) => response,
    };
    let _ = write_response(&mut stream, &response);
    let _ = stream.shutdown(Shutdown::Write);
    // Read what the client may still send until it closes, so that closing with unread
    // bytes does not reset the connection before the client has read the answer.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut sink = [0u8; 4096];
    let mut drained = 0usize;
    while let Ok(n) = stream.read(&mut sink) {
        if n == 0 || drained > MAX_BODY {
            break;
        }
        drained = drained.saturating_add(n);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn read_request(stream: &mut TcpStream) -> Result<Request, Response> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err(Response::error(
                431,
                "headersTooLarge",
                format!("the request head is over {MAX_HEAD} bytes"),
            ));
        }
        match stream.read(&mut chunk) {
            Ok(0) => {
                return Err(Response::error(
                    400,
                    "badRequest",
                    "the connection closed before the end of the request head",
                ))
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Response::error(
                    408,
                    "requestTimeout",
                    format!("reading the request failed: {e}"),
                ))
            }
        }
    };
    let head = std::str::from_utf8(&buf[..head_end])
        .map_err(|_| Response::error(400, "badRequest", "the request head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Response::error(
            400,
            "badRequest",
            format!("malformed request line {request_line:?}"),
        ));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Response::error(
            505,
            "badRequest",
            format!("unsupported protocol {version:?}"),
        ));
    }
    let mut content_length = 0usize;
    let mut expect_continue = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(Response::error(
                400,
                "badRequest",
                format!("malformed header line {line:?}"),
            ));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse().map_err(|_| {
                Response::error(400, "badRequest", format!("bad Content-Length {value:?}"))
            })?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Response::error(
                501,
                "notImplemented",
                "chunked request bodies are not supported; send Content-Length",
            ));
        } else if name.eq_ignore_ascii_case("expect") && value.eq_ignore_ascii_case("100-continue")
        {
            expect_continue = true;
        }
    }
    if content_length > MAX_BODY {
        return Err(Response::error(
            413,
            "payloadTooLarge",
            format!("the body is over {MAX_BODY} bytes"),
        ));
    }
    // The head and its blank line take head_end + 4 bytes; the rest is body.
    let mut body = buf[head_end.saturating_add(4)..].to_vec();
    if expect_continue && body.len() < content_length {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    while body.len() < content_length {
        match stream.read(&mut chunk) {
            Ok(0) => {
                return Err(Response::error(
                    400,
                    "badRequest",
                    format!(
                        "the connection closed after {} of {content_length} body bytes",
                        body.len()
                    ),
                ))
            }
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Response::error(
                    408,
                    "requestTimeout",
                    format!("reading the request body failed: {e}"),
                ))
            }
        }
    }
    body.truncate(content_length);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        body,
    })
}

fn write_response(stream: &mut TcpStream, r: &Response) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nAPI-Version: {API_VERSION}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        r.status,
        reason_phrase(r.status),
        r.body.len()
    );
    for (name, value) in &r.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(r.body.as_bytes())?;
    stream.flush()
}

fn route(shared: &Shared, request: &Request) -> Response {
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/v2/events") => events(shared, &request.query),
        (_, "/v2/events") => Response::method_not_allowed("GET"),
        ("POST", "/sim/events") => sim_events(shared, &request.body),
        ("POST", "/sim/raw") => sim_raw(shared, &request.body),
        ("POST", "/sim/fault") => sim_fault(shared, &request.body),
        ("GET", "/sim/stats") => {
            let state = shared.lock();
            Response::json(
                200,
                json!({"requests": state.requests, "published": state.entries.len()}),
            )
        }
        (_, "/sim/events" | "/sim/raw" | "/sim/fault") => Response::method_not_allowed("POST"),
        (_, "/sim/stats") => Response::method_not_allowed("GET"),
        (_, path) => Response::error(
            404,
            "notFound",
            format!("no such path {path:?}; this simulator serves GET /v2/events and /sim/*"),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// GET /v2/events
// ---------------------------------------------------------------------------------------

/// The query parameters `GET /v2/events` understands.
const PARAMETERS: [&str; 5] = [
    "transportDocumentReference",
    "eventType",
    "equipmentReference",
    "limit",
    "cursor",
];
/// The event types of DCSA T&T 2.2.
const EVENT_TYPES: [&str; 3] = ["EQUIPMENT", "TRANSPORT", "SHIPMENT"];

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes a query component (`+` is a space); `None` if it is not valid
/// percent-encoding of UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex_digit(*bytes.get(i + 1)?)?;
                let lo = hex_digit(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The query's parameters; refuses unknown, repeated and badly encoded ones.
fn parse_query(query: &str) -> Result<HashMap<&'static str, String>, String> {
    let mut params = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(raw_name).ok_or_else(|| {
            format!("query parameter name {raw_name:?} is not valid percent-encoding")
        })?;
        let Some(known) = PARAMETERS.iter().find(|p| **p == name) else {
            return Err(format!(
                "unsupported query parameter {name:?}; this simulator supports {}",
                PARAMETERS.join(", ")
            ));
        };
        let value = percent_decode(raw_value).ok_or_else(|| {
            format!("query parameter {name} is not valid percent-encoding: {raw_value:?}")
        })?;
        if params.insert(*known, value).is_some() {
            return Err(format!("query parameter {name} is given twice"));
        }
    }
    Ok(params)
}

fn encode_cursor(offset: usize) -> String {
    hex::encode(format!("{CURSOR_PREFIX}{offset}"))
}

/// The entry offset a cursor stands for, if this server could have issued it.
fn decode_cursor(cursor: &str, entries: usize) -> Option<usize> {
    let text = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    let offset: usize = text.strip_prefix(CURSOR_PREFIX)?.parse().ok()?;
    (offset <= entries).then_some(offset)
}

struct Filter {
    document: Option<String>,
    types: Option<Vec<String>>,
    equipment: Option<String>,
}

impl Filter {
    fn matches(&self, entry: &Entry) -> bool {
        let Entry::Event { value, .. } = entry else {
            return true;
        };
        let field = |name: &str| value.get(name).and_then(Value::as_str);
        if let Some(types) = &self.types {
            if !field("eventType").is_some_and(|t| types.iter().any(|x| x == t)) {
                return false;
            }
        }
        if let Some(equipment) = &self.equipment {
            if field("equipmentReference") != Some(equipment.as_str()) {
                return false;
            }
        }
        if let Some(document) = &self.document {
            let by_reference = value
                .get("documentReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| {
                    refs.iter().any(|r| {
                        r.get("documentReferenceType").and_then(Value::as_str) == Some("TRD")
                            && r.get("documentReferenceValue").and_then(Value::as_str)
                                == Some(document.as_str())
                    })
                });
            let by_shipment = field("eventType") == Some("SHIPMENT")
                && field("documentTypeCode") == Some("TRD")
                && field("documentID") == Some(document.as_str());
            if !(by_reference || by_shipment) {
                return false;
            }
        }
        true
    }
}

fn events(shared: &Shared, query: &str) -> Response {
    let mut state = shared.lock();
    state.requests += 1;
    if state.fail_left > 0 {
        state.fail_left -= 1;
        let status = state.fail_status;
        let left = state.fail_left;
        return Response::error(
            status,
            "injectedFault",
            format!("carrier-sim: injected fault ({left} more to come)"),
        );
    }
    let mut params = match parse_query(query) {
        Ok(params) => params,
        Err(message) => return Response::bad_request(message),
    };
    let limit = match params.remove("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Response::bad_request(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}, got {text:?}"
                ))
            }
        },
    };
    let types = match params.remove("eventType") {
        None => None,
        Some(list) => {
            let mut types = Vec::new();
            for t in list.split(',') {
                if !EVENT_TYPES.contains(&t) {
                    return Response::bad_request(format!(
                        "eventType {t:?} is not one of {}",
                        EVENT_TYPES.join(", ")
                    ));
                }
                types.push(t.to_string());
            }
            Some(types)
        }
    };
    let start = match params.remove("cursor") {
        None => 0,
        Some(cursor) => match decode_cursor(&cursor, state.entries.len()) {
            Some(offset) => offset,
            None => {
                return Response::bad_request(format!(
                    "cursor {cursor:?} is not one this server issued"
                ))
            }
        },
    };
    let filter = Filter {
        document: params.remove("transportDocumentReference"),
        types,
        equipment: params.remove("equipmentReference"),
    };
    let mut body = String::from("[");
    let mut served = 0usize;
    let mut next = None;
    for (offset, entry) in state.entries.iter().enumerate().skip(start) {
        if !filter.matches(entry) {
            continue;
        }
        if served == limit {
            // A further match exists: the next page resumes at it.
            next = Some(offset);
            break;
        }
        if served > 0 {
            body.push(',');
        }
        body.push_str(entry.text());
        served += 1;
    }
    body.push(']');
    let mut response = Response {
        status: 200,
        headers: Vec::new(),
        body,
    };
    if let Some(offset) = next {
        response
            .headers
            .push(("Next-Page-Cursor", encode_cursor(offset)));
    }
    response
}

// ---------------------------------------------------------------------------------------
// /sim/*
// ---------------------------------------------------------------------------------------

fn sim_events(shared: &Shared, body: &[u8]) -> Response {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            return Response::error(
                400,
                "invalidBody",
                format!("the body is not JSON ({e}); send raw entries to /sim/raw"),
            )
        }
    };
    let events = match value {
        Value::Object(_) => vec![value],
        Value::Array(events) => {
            if let Some(i) = events.iter().position(|e| !e.is_object()) {
                return Response::error(
                    400,
                    "invalidBody",
                    format!(
                        "element {i} of the array is not a JSON object; send raw entries to /sim/raw"
                    ),
                );
            }
            events
        }
        _ => {
            return Response::error(
                400,
                "invalidBody",
                "the body must be an event object or an array of them",
            )
        }
    };
    let published = events.len();
    let mut state = shared.lock();
    for event in events {
        state.publish(event);
    }
    Response::json(
        200,
        json!({"published": published, "total": state.entries.len()}),
    )
}

fn sim_raw(shared: &Shared, body: &[u8]) -> Response {
    let Ok(text) = std::str::from_utf8(body) else {
        return Response::error(400, "invalidBody", "a raw entry must be UTF-8 text");
    };
    let mut state = shared.lock();
    state.publish_raw(text.to_string());
    Response::json(200, json!({"published": 1, "total": state.entries.len()}))
}

fn sim_fault(shared: &Shared, body: &[u8]) -> Response {
    let fault = serde_json::from_slice::<Value>(body)
        .map_err(|e| format!("the body is not JSON: {e}"))
        .and_then(|v| Fault::parse(&v));
    match fault {
        Ok(fault) => {
            let mut state = shared.lock();
            state.apply(&fault);
            Response::json(200, state.fault_state())
        }
        Err(message) => Response::error(400, "invalidBody", message),
    }
}

/// A fault to inject: the next `count` requests answer `status`, and/or every answer
/// waits `delay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The status the next `count` `GET /v2/events` answer.
    pub status: Option<u16>,
    /// How many requests fail (with `status`).
    pub count: u32,
    /// The delay of every answer from now on.
    pub delay: Option<Duration>,
}

impl Fault {
    /// Reads `{"status":503,"count":3}` (count defaults to 1) and/or `{"delayMs":200}`.
    pub fn parse(v: &Value) -> Result<Fault, String> {
        let Some(object) = v.as_object() else {
            return Err(
                r#"a fault must be an object like {"status":503,"count":3} or {"delayMs":200}"#
                    .into(),
            );
        };
        if let Some(unknown) = object
            .keys()
            .find(|k| !["status", "count", "delayMs"].contains(&k.as_str()))
        {
            return Err(format!(
                "unknown fault field {unknown:?}; expected status, count, delayMs"
            ));
        }
        let status = match object.get("status") {
            None => None,
            Some(s) => match s.as_u64().and_then(|s| u16::try_from(s).ok()) {
                Some(s) if (100..=599).contains(&s) => Some(s),
                _ => {
                    return Err(format!(
                        "fault status must be an HTTP status 100..=599, got {s}"
                    ))
                }
            },
        };
        let count = match object.get("count") {
            None => 1,
            Some(_) if status.is_none() => {
                return Err("fault count needs a status to answer".into())
            }
            Some(c) => c
                .as_u64()
                .and_then(|c| u32::try_from(c).ok())
                .ok_or_else(|| format!("fault count must be a whole number, got {c}"))?,
        };
        let delay = match object.get("delayMs") {
            None => None,
            Some(d) => Some(Duration::from_millis(d.as_u64().ok_or_else(|| {
                format!("fault delayMs must be a whole number of ms, got {d}")
            })?)),
        };
        if status.is_none() && delay.is_none() {
            return Err("a fault needs a status or a delayMs".into());
        }
        Ok(Fault {
            status,
            count,
            delay,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------

/// A timed script for the simulator, read from JSON:
///
/// ```json
/// {"steps":[{"afterMs":0,"event":{…}},
///           {"afterMs":500,"fault":{"status":503,"count":2}},
///           {"afterMs":2000,"raw":"{not json"},
///           {"afterMs":3000,"events":[{…},{…}]}]}
/// ```
///
/// `afterMs` counts from the start of the play; each step has exactly one of `event`,
/// `events`, `raw`, `fault` (the fault shape of `POST /sim/fault`). Steps apply in time
/// order (file order among equal times).
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The steps, in time order.
    pub steps: Vec<Step>,
}

/// One step of a [`Scenario`].
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// When, from the start of the play.
    pub after: Duration,
    /// What.
    pub action: Action,
}

/// What a [`Step`] does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Publishes these events, in order (`event` is a list of one).
    Events(Vec<Value>),
    /// Publishes a malformed entry, verbatim.
    Raw(String),
    /// Injects a fault.
    Fault(Fault),
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "+{} ms ", self.after.as_millis())?;
        match &self.action {
            Action::Events(events) => {
                let described: Vec<String> = events
                    .iter()
                    .map(|e| {
                        let field = |name: &str| e.get(name).and_then(Value::as_str).unwrap_or("?");
                        let code = [
                            "equipmentEventTypeCode",
                            "transportEventTypeCode",
                            "shipmentEventTypeCode",
                        ]
                        .iter()
                        .find_map(|c| e.get(*c).and_then(Value::as_str))
                        .unwrap_or("?");
                        format!(
                            "{} {} {} {}",
                            field("eventType"),
                            field("eventClassifierCode"),
                            code,
                            field("eventID")
                        )
                    })
                    .collect();
                write!(f, "published {}", described.join("; "))
            }
            Action::Raw(text) => {
                let shown: String = text.chars().take(60).collect();
                write!(f, "published a raw entry {shown:?}")
            }
            Action::Fault(fault) => {
                write!(f, "fault")?;
                if let Some(status) = fault.status {
                    write!(f, ": the next {} requests answer {status}", fault.count)?;
                }
                if let Some(delay) = fault.delay {
                    write!(f, ": every answer waits {} ms", delay.as_millis())?;
                }
                Ok(())
            }
        }
    }
}

impl Scenario {
    /// Parses a scenario; the error names the step and field at fault.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let Some(object) = v.as_object() else {
            return Err(r#"a scenario must be an object {"steps":[…]}"#.into());
        };
        if let Some(unknown) = object.keys().find(|k| k.as_str() != "steps") {
            return Err(format!(
                "unknown scenario field {unknown:?}; expected steps"
            ));
        }
        let Some(raw_steps) = object.get("steps").and_then(Value::as_array) else {
            return Err("a scenario needs a \"steps\" array".into());
        };
        let mut steps = Vec::with_capacity(raw_steps.len());
        for (i, raw) in raw_steps.iter().enumerate() {
            steps.push(Step::parse(raw).map_err(|e| format!("step {i}: {e}"))?);
        }
        // Stable: file order among equal times.
        steps.sort_by_key(|s| s.after);
        Ok(Scenario { steps })
    }

    /// Reads a scenario file; the error names the file.
    pub fn read(path: &Path) -> Result<Scenario, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read scenario {}: {e}", path.display()))?;
        Scenario::parse(&text).map_err(|e| format!("scenario {}: {e}", path.display()))
    }
}

impl Step {
    fn parse(v: &Value) -> Result<Step, String> {
        let Some(object) = v.as_object() else {
            return Err("a step must be an object".into());
        };
        const ACTIONS: [&str; 4] = ["event", "events", "raw", "fault"];
        if let Some(unknown) = object
            .keys()
            .find(|k| k.as_str() != "afterMs" && !ACTIONS.contains(&k.as_str()))
        {
            return Err(format!(
                "unknown field {unknown:?}; expected afterMs and one of {}",
                ACTIONS.join(", ")
            ));
        }
        let after = match object.get("afterMs") {
            None => return Err("afterMs is missing".into()),
            Some(ms) => Duration::from_millis(
                ms.as_u64()
                    .ok_or_else(|| format!("afterMs must be a whole number of ms, got {ms}"))?,
            ),
        };
        let present: Vec<&str> = ACTIONS
            .iter()
            .copied()
            .filter(|a| object.contains_key(*a))
            .collect();
        let [action] = present.as_slice() else {
            return Err(format!(
                "a step needs exactly one of {}, found {}",
                ACTIONS.join(", "),
                if present.is_empty() {
                    "none".to_string()
                } else {
                    present.join(", ")
                }
            ));
        };
        let value = &object[*action];
        let action = match *action {
            "event" if value.is_object() => Action::Events(vec![value.clone()]),
            "event" => {
                return Err("event must be a JSON object (use raw for malformed entries)".into())
            }
            "events" => match value.as_array() {
                Some(events) if events.iter().all(Value::is_object) => {
                    Action::Events(events.clone())
                }
                _ => return Err("events must be an array of JSON objects".into()),
            },
            "raw" => match value.as_str() {
                Some(text) => Action::Raw(text.to_string()),
                None => return Err("raw must be a string (the entry's text)".into()),
            },
            _ => Action::Fault(Fault::parse(value)?),
        };
        Ok(Step { after, action })
    }
}

// ---------------------------------------------------------------------------------------
// Event builders
// ---------------------------------------------------------------------------------------

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id, unique in this process: `sim-{kind}-{n}`.
fn next_id(kind: &str) -> String {
    format!("sim-{kind}-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn trd(transport_document: &str) -> Value {
    json!([{"documentReferenceType": "TRD", "documentReferenceValue": transport_document}])
}

fn transport_call(location: &str) -> Value {
    json!({
        "UNLocationCode": location,
        "transportCallID": next_id("call"),
        "modeOfTransport": "VESSEL",
    })
}

/// A DCSA 2.2 equipment event of container [`EQUIPMENT_REFERENCE`] (laden) at `location`
/// for `transport_document`, happening now: `equipment_event("ACT", "LOAD", "INMUN",
/// "MUN-HAM-0042")`.
pub fn equipment_event(
    classifier: &str,
    code: &str,
    location: &str,
    transport_document: &str,
) -> Value {
    let now = now_rfc3339();
    json!({
        "eventID": next_id("equipment"),
        "eventType": "EQUIPMENT",
        "eventClassifierCode": classifier,
        "eventCreatedDateTime": now,
        "eventDateTime": now,
        "equipmentEventTypeCode": code,
        "equipmentReference": EQUIPMENT_REFERENCE,
        "emptyIndicatorCode": "LADEN",
        "eventLocation": {"UNLocationCode": location},
        "transportCall": transport_call(location),
        "documentReferences": trd(transport_document),
    })
}

/// A DCSA 2.2 transport event (`ARRI`, `DEPA`) of the vessel's call at `location` for
/// `transport_document`, happening now. Like DCSA's, it has no `eventLocation`: its
/// location is `transportCall.UNLocationCode`.
pub fn transport_event(
    classifier: &str,
    code: &str,
    location: &str,
    transport_document: &str,
) -> Value {
    let now = now_rfc3339();
    json!({
        "eventID": next_id("transport"),
        "eventType": "TRANSPORT",
        "eventClassifierCode": classifier,
        "eventCreatedDateTime": now,
        "eventDateTime": now,
        "transportEventTypeCode": code,
        "transportCall": transport_call(location),
        "documentReferences": trd(transport_document),
    })
}

/// A DCSA 2.2 shipment event about document `document_id` of type `document_type`
/// (`TRD`, `BKG`, …), happening now; it refers to the transport document through
/// `documentTypeCode`/`documentID` only (no `documentReferences`).
pub fn shipment_event(
    classifier: &str,
    code: &str,
    document_type: &str,
    document_id: &str,
) -> Value {
    let now = now_rfc3339();
    json!({
        "eventID": next_id("shipment"),
        "eventType": "SHIPMENT",
        "eventClassifierCode": classifier,
        "eventCreatedDateTime": now,
        "eventDateTime": now,
        "shipmentEventTypeCode": code,
        "documentTypeCode": document_type,
        "documentID": document_id,
    })
}

/// `replacement` with a new id and `"retractedEventID"`: `event`'s id (the DCSA 3.0
/// retraction, which the oracle accepts on a flat 2.2 event).
///
/// # Panics
///
/// If `event` has no string `eventID` or `replacement` is not an object (a test bug).
pub fn retraction_of(event: &Value, replacement: Value) -> Value {
    let retracted = event
        .get("eventID")
        .and_then(Value::as_str)
        .expect("the retracted event has a string eventID")
        .to_string();
    let mut retraction = replacement;
    let object = retraction
        .as_object_mut()
        .expect("the replacement event is a JSON object");
    object.insert("eventID".into(), Value::String(next_id("retraction")));
    object.insert("retractedEventID".into(), Value::String(retracted));
    retraction
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as the client saw it.
    #[derive(Debug)]
    struct Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Answer {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }

        fn json(&self) -> Value {
            serde_json::from_str(&self.body)
                .unwrap_or_else(|e| panic!("body {:?} is not JSON: {e}", self.body))
        }

        /// The eventIDs of a JSON-array answer, in order.
        fn ids(&self) -> Vec<String> {
            self.json()
                .as_array()
                .expect("an array")
                .iter()
                .map(|e| e["eventID"].as_str().expect("an eventID").to_string())
                .collect()
        }
    }

    /// Sends `raw` as is and reads the answer to the end.
    fn send(sim: &CarrierSim, raw: &[u8]) -> Answer {
        let mut stream = TcpStream::connect(sim.addr()).expect("connects");
        stream.write_all(raw).expect("writes");
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).expect("reads");
        let text = String::from_utf8(bytes).expect("UTF-8 answer");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .expect("a status line")
            .split(' ')
            .nth(1)
            .expect("a status");
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(": ").expect("a header");
                (n.to_string(), v.to_string())
            })
            .collect();
        let answer = Answer {
            status: status.parse().expect("a numeric status"),
            headers,
            body: body.to_string(),
        };
        assert_eq!(
            answer.header("Content-Length"),
            Some(answer.body.len().to_string().as_str()),
            "Content-Length matches the body"
        );
        answer
    }

    fn get(sim: &CarrierSim, target: &str) -> Answer {
        send(
            sim,
            format!("GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", sim.addr()).as_bytes(),
        )
    }

    fn post(sim: &CarrierSim, path: &str, body: &str) -> Answer {
        send(
            sim,
            format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n{body}",
                sim.addr(),
                body.len()
            )
            .as_bytes(),
        )
    }

    fn id(event: &Value) -> String {
        event["eventID"].as_str().expect("an eventID").to_string()
    }

    fn error_body(status: u16, reason: &str, message: &str) -> Value {
        json!({"statusCode": status, "statusCodeText": reason_phrase(status),
               "errors": [{"reason": reason, "message": message}]})
    }

    #[test]
    fn events_are_served_in_publish_order_with_dcsa_headers() {
        let sim = CarrierSim::start().unwrap();
        assert_eq!(
            sim.base_url(),
            format!("http://127.0.0.1:{}/v2", sim.addr().port())
        );
        let a = equipment_event("ACT", "LOAD", "INMUN", "MUN-HAM-0042");
        let b = transport_event("ACT", "DEPA", "INMUN", "MUN-HAM-0042");
        sim.publish(a.clone());
        sim.publish(b.clone());

        let answer = get(&sim, "/v2/events");

        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("API-Version"), Some("2.2.0"));
        assert_eq!(answer.header("Content-Type"), Some("application/json"));
        assert_eq!(answer.header("Connection"), Some("close"));
        assert_eq!(answer.header("Next-Page-Cursor"), None);
        assert_eq!(answer.json(), json!([a, b]));
        assert_eq!(sim.requests(), 1);
    }

    #[test]
    fn an_empty_feed_answers_an_empty_array() {
        let sim = CarrierSim::start().unwrap();
        let answer = get(&sim, "/v2/events?transportDocumentReference=MUN-HAM-0042");
        assert_eq!((answer.status, answer.body.as_str()), (200, "[]"));
    }

    #[test]
    fn document_filter_matches_trd_references_and_trd_shipment_documents() {
        let sim = CarrierSim::start().unwrap();
        let load = equipment_event("ACT", "LOAD", "INMUN", "MUN-HAM-0042");
        let other_document = equipment_event("ACT", "LOAD", "INMUN", "MUN-HAM-0043");
        let issued = shipment_event("ACT", "ISSU", "TRD", "MUN-HAM-0042");
        let booking_same_id = shipment_event("ACT", "CONF", "BKG", "MUN-HAM-0042");
        let mut booking_ref_only = equipment_event("ACT", "GTIN", "INMUN", "X");
        booking_ref_only["documentReferences"] =
            json!([{"documentReferenceType": "BKG", "documentReferenceValue": "MUN-HAM-0042"}]);
        let arrival = transport_event("ACT", "ARRI", "DEHAM", "MUN-HAM-0042");
        for e in [
            &load,
            &other_document,
            &issued,
            &booking_same_id,
            &booking_ref_only,
            &arrival,
        ] {
            sim.publish(e.clone());
        }

        let answer = get(&sim, "/v2/events?transportDocumentReference=MUN-HAM-0042");

        assert_eq!(answer.status, 200);
        assert_eq!(answer.ids(), vec![id(&load), id(&issued), id(&arrival)]);
    }

    #[test]
    fn event_type_filter_takes_a_comma_list() {
        let sim = CarrierSim::start().unwrap();
        let load = equipment_event("ACT", "LOAD", "INMUN", "D1");
        let issued = shipment_event("ACT", "ISSU", "TRD", "D1");
        let departed = transport_event("ACT", "DEPA", "INMUN", "D1");
        for e in [&load, &issued, &departed] {
            sim.publish(e.clone());
        }

        let both = get(&sim, "/v2/events?eventType=EQUIPMENT,TRANSPORT");
        let encoded_comma = get(&sim, "/v2/events?eventType=TRANSPORT%2CSHIPMENT");
        let shipment = get(
            &sim,
            "/v2/events?eventType=SHIPMENT&transportDocumentReference=D1",
        );

        assert_eq!(both.ids(), vec![id(&load), id(&departed)]);
        assert_eq!(encoded_comma.ids(), vec![id(&issued), id(&departed)]);
        assert_eq!(shipment.ids(), vec![id(&issued)]);
    }

    #[test]
    fn unknown_event_type_is_refused_with_400_naming_it() {
        let sim = CarrierSim::start().unwrap();
        let answer = get(&sim, "/v2/events?eventType=EQUIPMENT,VESSEL");
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.json(),
            error_body(
                400,
                "invalidQuery",
                "eventType \"VESSEL\" is not one of EQUIPMENT, TRANSPORT, SHIPMENT"
            )
        );
    }

    #[test]
    fn equipment_reference_filter_keeps_only_that_container() {
        let sim = CarrierSim::start().unwrap();
        let ours = equipment_event("ACT", "LOAD", "INMUN", "D1");
        let mut theirs = equipment_event("ACT", "LOAD", "INMUN", "D1");
        theirs["equipmentReference"] = json!("APZU7654321");
        let departed = transport_event("ACT", "DEPA", "INMUN", "D1");
        for e in [&ours, &theirs, &departed] {
            sim.publish(e.clone());
        }

        let answer = get(
            &sim,
            "/v2/events?transportDocumentReference=D1&equipmentReference=APZU7654321",
        );

        assert_eq!(answer.ids(), vec![id(&theirs)]);
    }

    #[test]
    fn query_values_are_percent_decoded() {
        let sim = CarrierSim::start().unwrap();
        let spaced = equipment_event("ACT", "LOAD", "INMUN", "MUN/HAM 42&b");
        let plain = equipment_event("ACT", "LOAD", "INMUN", "MUN");
        sim.publish(spaced.clone());
        sim.publish(plain);

        let percent = get(
            &sim,
            "/v2/events?transportDocumentReference=MUN%2FHAM%2042%26b",
        );
        let plus = get(
            &sim,
            "/v2/events?transportDocumentReference=MUN%2fHAM+42%26b",
        );
        let broken = get(&sim, "/v2/events?transportDocumentReference=MUN%2");

        assert_eq!(percent.ids(), vec![id(&spaced)]);
        assert_eq!(plus.ids(), vec![id(&spaced)]);
        assert_eq!(broken.status, 400);
        assert_eq!(
            broken.json(),
            error_body(
                400,
                "invalidQuery",
                "query parameter transportDocumentReference is not valid percent-encoding: \"MUN%2\""
            )
        );
    }

    #[test]
    fn pagination_walks_three_pages_with_exact_cursors() {
        let sim = CarrierSim::start().unwrap();
        // Offsets 0..=7; the entries of document D2 (offsets 2, 5, 7) never match.
        let mut ours = Vec::new();
        for offset in 0..8 {
            let document = if [2, 5, 7].contains(&offset) {
                "D2"
            } else {
                "D1"
            };
            let event = equipment_event("ACT", "LOAD", "INMUN", document);
            if document == "D1" {
                ours.push(id(&event));
            }
            sim.publish(event);
        }
        let query = "/v2/events?transportDocumentReference=D1&limit=2";

        let first = get(&sim, query);
        let second_cursor = first
            .header("Next-Page-Cursor")
            .expect("a second page")
            .to_string();
        let second = get(&sim, &format!("{query}&cursor={second_cursor}"));
        let third_cursor = second
            .header("Next-Page-Cursor")
            .expect("a third page")
            .to_string();
        let third = get(&sim, &format!("{query}&cursor={third_cursor}"));

        // Page 1: offsets 0, 1; it resumes at offset 3 (offset 2 does not match).
        assert_eq!(first.ids(), ours[0..2]);
        assert_eq!(second_cursor, hex::encode("sim-cursor:3"));
        assert_eq!(second_cursor, "73696d2d637572736f723a33");
        // Page 2: offsets 3, 4; it resumes at offset 6.
        assert_eq!(second.ids(), ours[2..4]);
        assert_eq!(third_cursor, encode_cursor(6));
        // Page 3: offset 6; offset 7 does not match, so there is no further page.
        assert_eq!(third.ids(), ours[4..5]);
        assert_eq!(third.header("Next-Page-Cursor"), None);
        assert_eq!(sim.requests(), 3);
    }

    #[test]
    fn limit_defaults_to_100_and_is_bounded_to_1000() {
        let sim = CarrierSim::start().unwrap();
        for _ in 0..101 {
            sim.publish(equipment_event("ACT", "LOAD", "INMUN", "D1"));
        }

        let default = get(&sim, "/v2/events");
        let zero = get(&sim, "/v2/events?limit=0");
        let too_many = get(&sim, "/v2/events?limit=1001");
        let max = get(&sim, "/v2/events?limit=1000");

        assert_eq!(default.ids().len(), 100);
        assert_eq!(
            default.header("Next-Page-Cursor"),
            Some(encode_cursor(100).as_str())
        );
        assert_eq!(max.ids().len(), 101);
        assert_eq!(max.header("Next-Page-Cursor"), None);
        for (answer, text) in [(zero, "0"), (too_many, "1001")] {
            assert_eq!(answer.status, 400);
            assert_eq!(
                answer.json(),
                error_body(
                    400,
                    "invalidQuery",
                    &format!("limit must be a whole number from 1 to 1000, got \"{text}\"")
                )
            );
        }
    }

    #[test]
    fn bad_cursor_is_refused_with_400() {
        let sim = CarrierSim::start().unwrap();
        sim.publish(equipment_event("ACT", "LOAD", "INMUN", "D1"));
        let beyond_the_end = encode_cursor(2);

        let not_hex = get(&sim, "/v2/events?cursor=zz");
        let foreign = get(
            &sim,
            &format!("/v2/events?cursor={}", hex::encode("offset:0")),
        );
        let beyond = get(&sim, &format!("/v2/events?cursor={beyond_the_end}"));
        let at_the_end = get(&sim, &format!("/v2/events?cursor={}", encode_cursor(1)));

        for (answer, cursor) in [
            (not_hex, "zz".to_string()),
            (foreign, hex::encode("offset:0")),
            (beyond, beyond_the_end),
        ] {
            assert_eq!(answer.status, 400);
            assert_eq!(
                answer.json(),
                error_body(
                    400,
                    "invalidQuery",
                    &format!("cursor \"{cursor}\" is not one this server issued")
                )
            );
        }
        assert_eq!((at_the_end.status, at_the_end.body.as_str()), (200, "[]"));
        assert_eq!(sim.requests(), 4);
    }

    #[test]
    fn unknown_or_repeated_query_parameters_are_refused_with_400() {
        let sim = CarrierSim::start().unwrap();

        let unknown = get(&sim, "/v2/events?sort=eventDateTime");
        let repeated = get(&sim, "/v2/events?eventType=EQUIPMENT&eventType=TRANSPORT");

        assert_eq!(unknown.status, 400);
        assert_eq!(
            unknown.json(),
            error_body(
                400,
                "invalidQuery",
                "unsupported query parameter \"sort\"; this simulator supports \
                 transportDocumentReference, eventType, equipmentReference, limit, cursor"
            )
        );
        assert_eq!(repeated.status, 400);
        assert_eq!(
            repeated.json(),
            error_body(
                400,
                "invalidQuery",
                "query parameter eventType is given twice"
            )
        );
    }

    #[test]
    fn fail_next_answers_the_status_then_recovers() {
        let sim = CarrierSim::start().unwrap();
        let load = equipment_event("ACT", "LOAD", "INMUN", "D1");
        sim.publish(load.clone());
        sim.fail_next(2, 503);

        let first = get(&sim, "/v2/events?transportDocumentReference=D1");
        let second = get(&sim, "/v2/events?transportDocumentReference=D1");
        let third = get(&sim, "/v2/events?transportDocumentReference=D1");

        assert_eq!(first.status, 503);
        assert_eq!(first.header("API-Version"), Some("2.2.0"));
        assert_eq!(
            first.json(),
            error_body(
                503,
                "injectedFault",
                "carrier-sim: injected fault (1 more to come)"
            )
        );
        assert_eq!(second.status, 503);
        assert_eq!(
            second.json(),
            error_body(
                503,
                "injectedFault",
                "carrier-sim: injected fault (0 more to come)"
            )
        );
        assert_eq!(third.status, 200);
        assert_eq!(third.json(), json!([load]));
        assert_eq!(sim.requests(), 3);
    }

    #[test]
    fn fail_next_zero_clears_a_pending_fault() {
        let sim = CarrierSim::start().unwrap();
        sim.fail_next(5, 500);
        sim.fail_next(0, 500);
        assert_eq!(get(&sim, "/v2/events").status, 200);
    }

    #[test]
    fn raw_entries_are_served_verbatim_inside_the_array_under_any_filter() {
        let sim = CarrierSim::start().unwrap();
        let load = equipment_event("ACT", "LOAD", "INMUN", "D1");
        sim.publish(load.clone());
        sim.publish_raw("{not json");
        sim.publish(json!("a string, not an event"));

        let answer = get(
            &sim,
            "/v2/events?transportDocumentReference=OTHER&eventType=SHIPMENT&equipmentReference=X",
        );
        let all = get(&sim, "/v2/events");

        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, "[{not json,\"a string, not an event\"]");
        assert_eq!(
            all.body,
            format!("[{load},{{not json,\"a string, not an event\"]")
        );
        assert!(serde_json::from_str::<Value>(&all.body).is_err());
        assert_eq!(sim.published(), 3);
    }

    #[test]
    fn set_delay_delays_every_answer() {
        let sim = CarrierSim::start().unwrap();
        sim.set_delay(Duration::from_millis(300));

        let started = Instant::now();
        let events = get(&sim, "/v2/events");
        let events_took = started.elapsed();
        let started = Instant::now();
        let stats = get(&sim, "/sim/stats");
        let stats_took = started.elapsed();
        sim.set_delay(Duration::ZERO);
        let started = Instant::now();
        get(&sim, "/v2/events");
        let undelayed = started.elapsed();

        assert_eq!((events.status, stats.status), (200, 200));
        assert!(
            events_took >= Duration::from_millis(300),
            "took {events_took:?}"
        );
        assert!(
            stats_took >= Duration::from_millis(300),
            "took {stats_took:?}"
        );
        assert!(undelayed < Duration::from_millis(300), "took {undelayed:?}");
    }

    #[test]
    fn published_at_records_the_first_publication_of_an_event() {
        let sim = CarrierSim::start().unwrap();
        let load = equipment_event("ACT", "LOAD", "INMUN", "D1");
        let before = Instant::now();
        sim.publish(load.clone());
        let after = Instant::now();
        std::thread::sleep(Duration::from_millis(5));
        sim.publish(load.clone());

        let at = sim.published_at(&id(&load)).expect("published");

        assert!(before <= at && at <= after);
        assert_eq!(sim.published_at("sim-never-0"), None);
        assert_eq!(sim.published(), 2);
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        let sim = CarrierSim::start().unwrap();

        let unknown = get(&sim, "/v2/shipments");
        let trailing = get(&sim, "/v2/events/abc");
        let post_events = post(&sim, "/v2/events", "{}");
        let get_fault = get(&sim, "/sim/fault");

        assert_eq!(unknown.status, 404);
        assert_eq!(
            unknown.json(),
            error_body(
                404,
                "notFound",
                "no such path \"/v2/shipments\"; this simulator serves GET /v2/events and /sim/*"
            )
        );
        assert_eq!(trailing.status, 404);
        assert_eq!(post_events.status, 405);
        assert_eq!(post_events.header("Allow"), Some("GET"));
        assert_eq!(get_fault.status, 405);
        assert_eq!(get_fault.header("Allow"), Some("POST"));
    }

    #[test]
    fn sim_events_endpoint_publishes_one_object_or_an_array_in_order() {
        let sim = CarrierSim::start().unwrap();
        let a = equipment_event("EST", "LOAD", "INMUN", "D1");
        let b = equipment_event("ACT", "LOAD", "INMUN", "D1");
        let c = transport_event("ACT", "DEPA", "INMUN", "D1");

        let one = post(&sim, "/sim/events", &a.to_string());
        let many = post(&sim, "/sim/events", &json!([b, c]).to_string());
        let not_object = post(&sim, "/sim/events", &json!([a, 7]).to_string());
        let not_json = post(&sim, "/sim/events", "{nope");

        assert_eq!(
            (one.status, one.json()),
            (200, json!({"published": 1, "total": 1}))
        );
        assert_eq!(
            (many.status, many.json()),
            (200, json!({"published": 2, "total": 3}))
        );
        assert_eq!(not_object.status, 400);
        assert_eq!(
            not_object.json(),
            error_body(
                400,
                "invalidBody",
                "element 1 of the array is not a JSON object; send raw entries to /sim/raw"
            )
        );
        assert_eq!(not_json.status, 400);
        assert_eq!(sim.published(), 3);
        assert_eq!(get(&sim, "/v2/events").json(), json!([a, b, c]));
        assert!(sim.published_at(&id(&b)).is_some());
    }

    #[test]
    fn sim_events_endpoint_takes_a_body_sent_after_100_continue() {
        let sim = CarrierSim::start().unwrap();
        let event = equipment_event("ACT", "LOAD", "INMUN", "D1");
        let body = event.to_string();
        let mut stream = TcpStream::connect(sim.addr()).unwrap();
        write!(
            stream,
            "POST /sim/events HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        let mut interim = [0u8; 25];
        stream.read_exact(&mut interim).unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        stream.write_all(body.as_bytes()).unwrap();
        let mut rest = String::new();
        stream.read_to_string(&mut rest).unwrap();
        assert!(rest.starts_with("HTTP/1.1 200 OK\r\n"), "{rest}");
        assert_eq!(get(&sim, "/v2/events").json(), json!([event]));
    }

    #[test]
    fn sim_raw_endpoint_publishes_a_verbatim_entry() {
        let sim = CarrierSim::start().unwrap();

        let answer = post(&sim, "/sim/raw", "{\"eventID\": broken");

        assert_eq!(
            (answer.status, answer.json()),
            (200, json!({"published": 1, "total": 1}))
        );
        assert_eq!(get(&sim, "/v2/events").body, "[{\"eventID\": broken]");
    }

    #[test]
    fn sim_fault_endpoint_sets_failures_and_delay() {
        let sim = CarrierSim::start().unwrap();

        let fail = post(&sim, "/sim/fault", r#"{"status":502,"count":2}"#);
        let delay = post(&sim, "/sim/fault", r#"{"delayMs":150}"#);
        let first = get(&sim, "/v2/events");
        let started = Instant::now();
        let second = get(&sim, "/v2/events");
        let took = started.elapsed();
        let third = get(&sim, "/v2/events");
        let clear = post(&sim, "/sim/fault", r#"{"delayMs":0}"#);

        assert_eq!(
            (fail.status, fail.json()),
            (200, json!({"failNext": 2, "failStatus": 502, "delayMs": 0}))
        );
        assert_eq!(
            delay.json(),
            json!({"failNext": 2, "failStatus": 502, "delayMs": 150})
        );
        assert_eq!((first.status, second.status, third.status), (502, 502, 200));
        assert!(took >= Duration::from_millis(150), "took {took:?}");
        assert_eq!(
            clear.json(),
            json!({"failNext": 0, "failStatus": null, "delayMs": 0})
        );
    }

    #[test]
    fn sim_fault_endpoint_refuses_a_bad_fault_naming_the_field() {
        let sim = CarrierSim::start().unwrap();
        for (body, message) in [
            (
                r#"{"status":503,"times":2}"#,
                "unknown fault field \"times\"; expected status, count, delayMs",
            ),
            (
                r#"{"status":700}"#,
                "fault status must be an HTTP status 100..=599, got 700",
            ),
            (r#"{"count":2}"#, "fault count needs a status to answer"),
            (
                r#"{"delayMs":-1}"#,
                "fault delayMs must be a whole number of ms, got -1",
            ),
            (r#"{}"#, "a fault needs a status or a delayMs"),
        ] {
            let answer = post(&sim, "/sim/fault", body);
            assert_eq!(answer.status, 400, "{body}");
            assert_eq!(
                answer.json(),
                error_body(400, "invalidBody", message),
                "{body}"
            );
        }
        // Nothing was applied.
        assert_eq!(get(&sim, "/v2/events").status, 200);
    }

    #[test]
    fn sim_fault_endpoint_count_defaults_to_one() {
        let sim = CarrierSim::start().unwrap();
        post(&sim, "/sim/fault", r#"{"status":500}"#);
        assert_eq!(get(&sim, "/v2/events").status, 500);
        assert_eq!(get(&sim, "/v2/events").status, 200);
    }

    #[test]
    fn sim_stats_counts_feed_requests_and_published_entries() {
        let sim = CarrierSim::start().unwrap();
        sim.publish(equipment_event("ACT", "LOAD", "INMUN", "D1"));
        sim.publish_raw("oops");
        sim.fail_next(1, 503);
        get(&sim, "/v2/events");
        get(&sim, "/v2/events?limit=0");
        get(&sim, "/v2/events");

        let stats = get(&sim, "/sim/stats");

        assert_eq!(
            (stats.status, stats.json()),
            (200, json!({"requests": 3, "published": 2}))
        );
        assert_eq!(sim.requests(), 3);
    }

    #[test]
    fn builders_make_dcsa_shaped_events_with_unique_ids() {
        let load = equipment_event("ACT", "LOAD", "INMUN", "MUN-HAM-0042");
        let arrival = transport_event("EST", "ARRI", "DEHAM", "MUN-HAM-0042");
        let issued = shipment_event("ACT", "ISSU", "TRD", "MUN-HAM-0042");

        let ids = [id(&load), id(&arrival), id(&issued)];
        assert!(
            ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
            "{ids:?}"
        );
        assert!(ids[0].starts_with("sim-equipment-"));
        let at = load["eventDateTime"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with('Z'),
            "{at}"
        );
        assert_eq!(load["eventCreatedDateTime"], load["eventDateTime"]);
        assert_eq!(load["eventType"], "EQUIPMENT");
        assert_eq!(load["eventClassifierCode"], "ACT");
        assert_eq!(load["equipmentEventTypeCode"], "LOAD");
        assert_eq!(load["equipmentReference"], EQUIPMENT_REFERENCE);
        assert_eq!(load["emptyIndicatorCode"], "LADEN");
        assert_eq!(load["eventLocation"], json!({"UNLocationCode": "INMUN"}));
        assert_eq!(load["transportCall"]["UNLocationCode"], "INMUN");
        assert_eq!(load["transportCall"]["modeOfTransport"], "VESSEL");
        assert!(load["transportCall"]["transportCallID"].is_string());
        assert_eq!(
            load["documentReferences"],
            json!([{"documentReferenceType": "TRD", "documentReferenceValue": "MUN-HAM-0042"}])
        );
        assert_eq!(arrival["eventType"], "TRANSPORT");
        assert_eq!(arrival["eventClassifierCode"], "EST");
        assert_eq!(arrival["transportEventTypeCode"], "ARRI");
        assert_eq!(arrival["transportCall"]["UNLocationCode"], "DEHAM");
        assert_eq!(arrival.get("eventLocation"), None);
        assert_eq!(issued["eventType"], "SHIPMENT");
        assert_eq!(issued["shipmentEventTypeCode"], "ISSU");
        assert_eq!(issued["documentTypeCode"], "TRD");
        assert_eq!(issued["documentID"], "MUN-HAM-0042");
    }

    #[test]
    fn retraction_of_names_the_retracted_event_under_a_new_id() {
        let est = equipment_event("ACT", "LOAD", "INMUN", "D1");
        let mut replacement = est.clone();
        replacement["eventLocation"] = json!({"UNLocationCode": "INNSA"});

        let retraction = retraction_of(&est, replacement.clone());

        assert_eq!(retraction["retractedEventID"], est["eventID"]);
        assert_ne!(retraction["eventID"], est["eventID"]);
        assert!(id(&retraction).starts_with("sim-retraction-"));
        let mut rest = retraction.clone();
        rest.as_object_mut().unwrap().remove("retractedEventID");
        rest["eventID"] = est["eventID"].clone();
        assert_eq!(rest, replacement);
    }

    #[test]
    fn scenario_steps_apply_in_time_order() {
        let sim = CarrierSim::start().unwrap();
        let est = equipment_event("EST", "LOAD", "INMUN", "D1");
        let act = equipment_event("ACT", "LOAD", "INMUN", "D1");
        let text = json!({"steps": [
            {"afterMs": 300, "event": act},
            {"afterMs": 0, "event": est},
            {"afterMs": 150, "raw": "{broken"},
            {"afterMs": 150, "fault": {"status": 503, "count": 1}},
        ]})
        .to_string();
        let scenario = Scenario::parse(&text).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();

        let player = sim
            .play(scenario, move |step| tx.send(step.to_string()).unwrap())
            .unwrap();
        player.join().unwrap();

        let log: Vec<String> = rx.iter().collect();
        assert_eq!(
            log,
            vec![
                format!("+0 ms published EQUIPMENT EST LOAD {}", id(&est)),
                "+150 ms published a raw entry \"{broken\"".to_string(),
                "+150 ms fault: the next 1 requests answer 503".to_string(),
                format!("+300 ms published EQUIPMENT ACT LOAD {}", id(&act)),
            ]
        );
        assert_eq!(get(&sim, "/v2/events").status, 503);
        assert_eq!(
            get(&sim, "/v2/events").body,
            format!("[{est},{{broken,{act}]")
        );
    }

    #[test]
    fn scenario_parse_refuses_bad_steps_naming_the_step() {
        for (text, message) in [
            ("[]", "a scenario must be an object {\"steps\":[…]}"),
            (r#"{"steps":[],"loop":true}"#, "unknown scenario field \"loop\"; expected steps"),
            (r#"{"steps":[{"event":{}}]}"#, "step 0: afterMs is missing"),
            (
                r#"{"steps":[{"afterMs":0,"raw":"x"},{"afterMs":1,"raw":"x","event":{}}]}"#,
                "step 1: a step needs exactly one of event, events, raw, fault, found event, raw",
            ),
            (
                r#"{"steps":[{"afterMs":0,"evnt":{}}]}"#,
                "step 0: unknown field \"evnt\"; expected afterMs and one of event, events, raw, fault",
            ),
            (r#"{"steps":[{"afterMs":0,"raw":7}]}"#, "step 0: raw must be a string (the entry's text)"),
            (
                r#"{"steps":[{"afterMs":0,"fault":{"status":99}}]}"#,
                "step 0: fault status must be an HTTP status 100..=599, got 99",
            ),
        ] {
            assert_eq!(Scenario::parse(text), Err(message.to_string()), "{text}");
        }
    }

    #[test]
    fn dropping_the_sim_stops_the_server() {
        let sim = CarrierSim::start().unwrap();
        let addr = sim.addr();
        drop(sim);
        let err = TcpStream::connect(addr).expect_err("nobody listens any more");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    }
}
