//! The tracking-feed client: DCSA Track & Trace 2.2 `GET /events`.
//!
//! `GET {base}/events?transportDocumentReference=R&eventType=EQUIPMENT,TRANSPORT&limit=100`
//! `[&equipmentReference=E][&cursor=C]`, following DCSA's `Next-Page-Cursor` response header
//! until it is absent (at most [`MAX_PAGES`] pages). Query values are percent-encoded.
//!
//! - `base` is `http://host[:port][/path]`; https is not supported yet (a real carrier
//!   integration also needs authentication).
//! - One HTTP/1.1 connection per request (`Connection: close`): the oracle polls a few
//!   documents every few seconds, so keeping connections alive buys nothing worth the state.
//! - Each request (connect, send, read the whole body) has its own timeout.
//! - Events are returned raw, so the caller can log the malformed ones
//!   ([`super::dcsa::parse_event`]); the client only checks that each page is a JSON array.
//! - All pages or nothing: a failure on any page fails the fetch, because a missing page
//!   could hide a retraction.

use std::{collections::HashSet, fmt, time::Duration};

use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper::{body::Bytes, header, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::condition::{Condition, EventType};

/// The `limit` asked for per page.
pub const PAGE_LIMIT: u32 = 100;

/// The most pages followed for one query.
pub const MAX_PAGES: u32 = 100;

/// The largest response body read, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The most characters of an error response's body kept in [`FeedError::Status`].
pub const MAX_ERROR_BODY: usize = 200;

/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A tracking feed: where it is and how long to wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// Host name or IP address (IPv6 without brackets).
    host: String,
    port: u16,
    /// The base path without a trailing slash ("" or "/v2").
    path: String,
    timeout: Duration,
}

/// What to ask the feed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `transportDocumentReference`.
    pub transport_document_reference: String,
    /// `eventType` (comma-separated); none means the parameter is left out (all types).
    pub event_types: Vec<EventType>,
    /// `equipmentReference`, to narrow the answer to one container.
    pub equipment_reference: Option<String>,
}

/// The events of every page.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The events as served, pages concatenated in order.
    pub events: Vec<Value>,
    /// HTTP requests made (pages).
    pub requests: u32,
}

/// Why a fetch failed. Any failure means no attestation on this pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedError {
    /// Returned if the connection could not be made or broke (refused, reset, DNS).
    Unreachable(String),
    /// Returned if the feed answered with a status other than 2xx; `body` holds its first
    /// 200 characters, control characters replaced by spaces.
    Status {
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// Returned if a page is not a JSON array (or is larger than 16 MiB).
    NotJson(String),
    /// Returned if a request did not complete within the timeout.
    Timeout,
    /// Returned if the pages did not end: more than [`MAX_PAGES`], a cursor served twice,
    /// or a `Next-Page-Cursor` that is not text.
    Paging(String),
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::Unreachable(why) => write!(f, "the feed is unreachable: {why}"),
            FeedError::Status { status, body } if body.is_empty() => {
                write!(f, "the feed answered HTTP {status}")
            }
            FeedError::Status { status, body } => {
                write!(f, "the feed answered HTTP {status}: {body}")
            }
            FeedError::NotJson(why) => {
                write!(f, "the feed's answer is not a JSON array of events: {why}")
            }
            FeedError::Timeout => f.write_str("the feed did not answer in time"),
            FeedError::Paging(why) => write!(f, "the feed's pages did not end: {why}"),
        }
    }
}

impl std::error::Error for FeedError {}

impl Query {
    /// The query covering what `c` needs: its document; its event types, deduplicated (in
    /// DCSA's order: EQUIPMENT, TRANSPORT, SHIPMENT); and `equipmentReference` only when every
    /// requirement is an EQUIPMENT one naming the same container (a server filtering on it
    /// would drop TRANSPORT and SHIPMENT events, which carry none).
    pub fn for_condition(c: &Condition) -> Query {
        let event_types = EventType::ALL
            .into_iter()
            .filter(|t| c.events.iter().any(|r| r.event_type == *t))
            .collect();
        let first = c.events.first().and_then(|r| r.equipment_reference.clone());
        let same = c
            .events
            .iter()
            .all(|r| r.event_type == EventType::Equipment && r.equipment_reference == first);
        Query {
            transport_document_reference: c.transport_document_reference.clone(),
            event_types,
            equipment_reference: if same { first } else { None },
        }
    }

    /// The query string (without `?`) for one page.
    fn to_query_string(&self, cursor: Option<&str>) -> String {
        let mut q = format!(
            "transportDocumentReference={}",
            percent_encode(&self.transport_document_reference)
        );
        if !self.event_types.is_empty() {
            let types: Vec<&str> = self.event_types.iter().map(|t| t.as_str()).collect();
            q.push_str(&format!("&eventType={}", types.join(",")));
        }
        q.push_str(&format!("&limit={PAGE_LIMIT}"));
        if let Some(e) = &self.equipment_reference {
            q.push_str(&format!("&equipmentReference={}", percent_encode(e)));
        }
        if let Some(c) = cursor {
            q.push_str(&format!("&cursor={}", percent_encode(c)));
        }
        q
    }
}

/// Percent-encodes a query value: RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`)
/// pass, every other byte of the UTF-8 becomes `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Feed {
    /// A feed at `base` (`http://host[:port][/path]`), with a per-request `timeout`.
    ///
    /// # Errors
    /// The base is not an http:// URL (https is refused: "https is not supported yet: …"),
    /// carries credentials, a query or a fragment, or has a bad host or port.
    pub fn new(base: &str, timeout: Duration) -> Result<Feed, String> {
        let base = base.trim();
        let (scheme, rest) = base.split_once("://").unwrap_or(("", base));
        let authority_end = rest.find('/').unwrap_or(rest.len());
        if rest[..authority_end].contains('@') {
            return Err("the feed URL must not carry credentials (user:password@)".into());
        }
        if scheme.eq_ignore_ascii_case("https") {
            return Err(format!("https is not supported yet: {base}"));
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(format!(
                "{base:?}: not an http:// URL (expected http://host:port/path)"
            ));
        }
        if rest.contains(['?', '#']) {
            return Err(format!(
                "{base:?}: the base URL must not have a query or fragment"
            ));
        }
        let (host, port) =
            host_port(&rest[..authority_end]).map_err(|e| format!("{base:?}: {e}"))?;
        let path = rest[authority_end..].trim_end_matches('/').to_owned();
        Ok(Feed {
            host,
            port,
            path,
            timeout,
        })
    }

    /// The base URL, as `http://host:port/path`.
    pub fn base(&self) -> String {
        format!("http://{}{}", self.authority(), self.path)
    }

    /// Fetches every page of events for `q`.
    ///
    /// # Errors
    /// [`FeedError`] from the first page that fails; nothing is returned from the others.
    pub async fn events(&self, q: &Query) -> Result<Fetched, FeedError> {
        let mut events = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut cursor: Option<String> = None;
        for page in 1..=MAX_PAGES {
            let target = format!(
                "{}/events?{}",
                self.path,
                q.to_query_string(cursor.as_deref())
            );
            let (mut items, next) = self.page(&target).await?;
            events.append(&mut items);
            match next {
                None => {
                    return Ok(Fetched {
                        events,
                        requests: page,
                    })
                }
                Some(c) if !seen.insert(c.clone()) => {
                    return Err(FeedError::Paging(format!(
                        "the cursor {:?} was served twice",
                        shorten(&c)
                    )))
                }
                Some(c) => cursor = Some(c),
            }
        }
        Err(FeedError::Paging(format!("more than {MAX_PAGES} pages")))
    }

    /// One page: its events and the next cursor, within the timeout.
    async fn page(&self, target: &str) -> Result<(Vec<Value>, Option<String>), FeedError> {
        tokio::time::timeout(self.timeout, self.request(target))
            .await
            .unwrap_or(Err(FeedError::Timeout))
    }

    async fn request(&self, target: &str) -> Result<(Vec<Value>, Option<String>), FeedError> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| FeedError::Unreachable(format!("{}: {e}", self.authority())))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| self.unreachable(e))?;
        let _conn = AbortOnDrop(tokio::spawn(conn));
        let request = Request::get(target)
            .header(header::HOST, self.authority())
            .header(header::ACCEPT, "application/json")
            .header(header::CONNECTION, "close")
            .header(header::USER_AGENT, "milestone-escrow-oracle")
            .body(Empty::<Bytes>::new())
            .map_err(|e| FeedError::Unreachable(format!("cannot build the request: {e}")))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let next = next_cursor(response.headers())?;
        let body = self.body(response.into_body()).await?;
        if !status.is_success() {
            return Err(status_error(status, &body));
        }
        Ok((json_array(&body)?, next))
    }

    async fn body(&self, body: hyper::body::Incoming) -> Result<Bytes, FeedError> {
        match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(FeedError::NotJson(
                format!("the response is larger than {} MiB", MAX_BODY_BYTES >> 20),
            )),
            Err(e) => Err(FeedError::Unreachable(format!(
                "{}: reading the response: {e}",
                self.authority()
            ))),
        }
    }

    fn unreachable(&self, e: hyper::Error) -> FeedError {
        FeedError::Unreachable(format!("{}: {e}", self.authority()))
    }

    /// `host:port`, with brackets around an IPv6 address.
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Aborts the connection task when the request is done or abandoned (timeout), so no
/// socket outlives its request.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn host_port(authority: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed '[' in the host")?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    let port = match port {
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("{p:?} is not a port"))?,
    };
    Ok((host.to_owned(), port))
}

fn next_cursor(headers: &hyper::HeaderMap) -> Result<Option<String>, FeedError> {
    let Some(v) = headers.get("Next-Page-Cursor") else {
        return Ok(None);
    };
    let c = v
        .to_str()
        .map_err(|_| FeedError::Paging("the Next-Page-Cursor header is not text".into()))?
        .trim();
    Ok((!c.is_empty()).then(|| c.to_owned()))
}

fn status_error(status: StatusCode, body: &[u8]) -> FeedError {
    let text = String::from_utf8_lossy(body);
    let body = text
        .chars()
        .take(MAX_ERROR_BODY)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned();
    FeedError::Status {
        status: status.as_u16(),
        body,
    }
}

fn json_array(body: &[u8]) -> Result<Vec<Value>, FeedError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(Value::Object(_)) => Err(FeedError::NotJson("found an object".into())),
        Ok(other) => Err(FeedError::NotJson(
            format!("found {other}").chars().take(60).collect(),
        )),
        Err(e) => Err(FeedError::NotJson(e.to_string())),
    }
}

/// A value from the feed, cut at 40 characters for a message.
fn shorten(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use std::{
        io::{Read, Write},
        net::TcpListener,
        sync::mpsc,
        thread,
    };

    use serde_json::json;

    use super::*;
    use crate::oracle::condition::Document;

    /// A canned answer: status line and extra headers, and body.
    struct Answer {
        status: &'static str,
        headers: Vec<String>,
        body: String,
        delay: Duration,
    }

    fn ok(body: &str) -> Answer {
        Answer {
            status: "200 OK",
            headers: vec![],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// Serves `answers`, one connection each, on 127.0.0.1:0; returns the base URL and a
    /// channel of the request heads received.
    fn serve(answers: Vec<Answer>) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for answer in answers {
                let Ok((mut socket, _)) = listener.accept() else {
                    return;
                };
                let head = read_head(&mut socket);
                let _ = tx.send(head);
                thread::sleep(answer.delay);
                let mut text = format!(
                    "HTTP/1.1 {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                    answer.status,
                    answer.body.len()
                );
                for h in &answer.headers {
                    text.push_str(&format!("{h}\r\n"));
                }
                text.push_str(&format!("\r\n{}", answer.body));
                let _ = socket.write_all(text.as_bytes());
            }
        });
        (format!("http://127.0.0.1:{port}/v2"), rx)
    }

    fn read_head(socket: &mut std::net::TcpStream) -> String {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match socket.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
        String::from_utf8_lossy(&head).into_owned()
    }

    fn request_line(head: &str) -> &str {
        head.lines().next().unwrap_or("")
    }

    fn query() -> Query {
        Query {
            transport_document_reference: "MUN-HAM-0042".into(),
            event_types: vec![EventType::Equipment, EventType::Transport],
            equipment_reference: None,
        }
    }

    fn feed(base: &str) -> Feed {
        Feed::new(base, Duration::from_secs(5)).unwrap()
    }

    #[tokio::test]
    async fn events_sends_the_dcsa_query_and_returns_the_array() {
        let (base, heads) = serve(vec![ok(r#"[{"eventID":"e1"},{"eventID":"e2"}]"#)]);
        let fetched = feed(&base).events(&query()).await.unwrap();
        assert_eq!(
            fetched,
            Fetched {
                events: vec![json!({"eventID":"e1"}), json!({"eventID":"e2"})],
                requests: 1
            }
        );
        let head = heads.recv().unwrap();
        assert_eq!(
            request_line(&head),
            "GET /v2/events?transportDocumentReference=MUN-HAM-0042&eventType=EQUIPMENT,TRANSPORT&limit=100 HTTP/1.1"
        );
        let lower = head.to_ascii_lowercase();
        assert!(lower.contains("\r\nconnection: close\r\n"), "{head}");
        assert!(
            lower.contains(&format!("\r\nhost: {}\r\n", &base[7..base.len() - 3])),
            "{head}"
        );
    }

    #[tokio::test]
    async fn query_values_are_percent_encoded() {
        let (base, heads) = serve(vec![ok("[]")]);
        let q = Query {
            transport_document_reference: "MUN/HAM 42&x=ü".into(),
            event_types: vec![EventType::Equipment],
            equipment_reference: Some("MSKU1234567".into()),
        };
        feed(&base).events(&q).await.unwrap();
        assert_eq!(
            request_line(&heads.recv().unwrap()),
            "GET /v2/events?transportDocumentReference=MUN%2FHAM%2042%26x%3D%C3%BC&eventType=EQUIPMENT&limit=100&equipmentReference=MSKU1234567 HTTP/1.1"
        );
    }

    #[tokio::test]
    async fn pages_are_followed_by_next_page_cursor() {
        let mut first = ok(r#"[{"eventID":"e1"}]"#);
        first.headers.push("Next-Page-Cursor: c/2=".into());
        let mut second = ok(r#"[{"eventID":"e2"}]"#);
        second.headers.push("Next-Page-Cursor: c3".into());
        let third = ok(r#"[{"eventID":"e3"}]"#);
        let (base, heads) = serve(vec![first, second, third]);
        let fetched = feed(&base).events(&query()).await.unwrap();
        assert_eq!(fetched.requests, 3);
        assert_eq!(
            fetched.events,
            vec![
                json!({"eventID":"e1"}),
                json!({"eventID":"e2"}),
                json!({"eventID":"e3"})
            ]
        );
        let lines: Vec<String> = heads.iter().map(|h| request_line(&h).to_owned()).collect();
        let q = "transportDocumentReference=MUN-HAM-0042&eventType=EQUIPMENT,TRANSPORT&limit=100";
        assert_eq!(
            lines,
            vec![
                format!("GET /v2/events?{q} HTTP/1.1"),
                format!("GET /v2/events?{q}&cursor=c%2F2%3D HTTP/1.1"),
                format!("GET /v2/events?{q}&cursor=c3 HTTP/1.1"),
            ]
        );
    }

    #[tokio::test]
    async fn a_cursor_served_twice_is_a_paging_error() {
        let mut first = ok("[]");
        first.headers.push("Next-Page-Cursor: same".into());
        let mut second = ok("[]");
        second.headers.push("Next-Page-Cursor: same".into());
        let (base, _heads) = serve(vec![first, second]);
        assert_eq!(
            feed(&base).events(&query()).await,
            Err(FeedError::Paging(
                "the cursor \"same\" was served twice".into()
            ))
        );
    }

    #[tokio::test]
    async fn a_5xx_answer_is_a_status_error_with_the_start_of_its_body() {
        let answer = Answer {
            status: "503 Service Unavailable",
            headers: vec![],
            body: format!("down\nfor maintenance {}", "x".repeat(300)),
            delay: Duration::ZERO,
        };
        let (base, _heads) = serve(vec![answer]);
        let err = feed(&base).events(&query()).await.unwrap_err();
        let body: String = format!("down for maintenance {}", "x".repeat(300))
            .chars()
            .take(200)
            .collect();
        assert_eq!(
            err,
            FeedError::Status {
                status: 503,
                body: body.clone()
            }
        );
        assert_eq!(
            err.to_string(),
            format!("the feed answered HTTP 503: {body}")
        );
    }

    #[tokio::test]
    async fn a_failing_later_page_fails_the_whole_fetch() {
        let mut first = ok(r#"[{"eventID":"e1"}]"#);
        first.headers.push("Next-Page-Cursor: c2".into());
        let second = Answer {
            status: "502 Bad Gateway",
            headers: vec![],
            body: String::new(),
            delay: Duration::ZERO,
        };
        let (base, _heads) = serve(vec![first, second]);
        let err = feed(&base).events(&query()).await.unwrap_err();
        assert_eq!(
            err,
            FeedError::Status {
                status: 502,
                body: String::new()
            }
        );
        assert_eq!(err.to_string(), "the feed answered HTTP 502");
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_is_not_json() {
        let (base, _heads) = serve(vec![ok("<html>oops</html>")]);
        assert_eq!(
            feed(&base).events(&query()).await,
            Err(FeedError::NotJson(
                "expected value at line 1 column 1".into()
            ))
        );
    }

    #[tokio::test]
    async fn a_json_object_instead_of_an_array_is_not_json() {
        let (base, _heads) = serve(vec![ok(r#"{"events":[]}"#)]);
        let err = feed(&base).events(&query()).await.unwrap_err();
        assert_eq!(err, FeedError::NotJson("found an object".into()));
        assert_eq!(
            err.to_string(),
            "the feed's answer is not a JSON array of events: found an object"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = feed(&format!("http://127.0.0.1:{port}/v2"))
            .events(&query())
            .await
            .unwrap_err();
        match &err {
            FeedError::Unreachable(why) => {
                assert!(why.starts_with(&format!("127.0.0.1:{port}: ")), "{why}")
            }
            other => panic!("expected Unreachable, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_slow_server_times_out() {
        let mut slow = ok("[]");
        slow.delay = Duration::from_secs(2);
        let (base, _heads) = serve(vec![slow]);
        let feed = Feed::new(&base, Duration::from_millis(200)).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(feed.events(&query()).await, Err(FeedError::Timeout));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn https_is_refused() {
        assert_eq!(
            Feed::new("https://tracking.example.com/v2", DEFAULT_TIMEOUT),
            Err("https is not supported yet: https://tracking.example.com/v2".into())
        );
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_echoing_them() {
        let err = Feed::new("http://user:s3cret@example.com/v2", DEFAULT_TIMEOUT).unwrap_err();
        assert_eq!(
            err,
            "the feed URL must not carry credentials (user:password@)"
        );
    }

    #[test]
    fn bad_base_urls_are_refused() {
        let cases = [
            (
                "ftp://example.com",
                "\"ftp://example.com\": not an http:// URL (expected http://host:port/path)",
            ),
            (
                "example.com/v2",
                "\"example.com/v2\": not an http:// URL (expected http://host:port/path)",
            ),
            (
                "http://example.com/v2?x=1",
                "\"http://example.com/v2?x=1\": the base URL must not have a query or fragment",
            ),
            ("http://:8080/v2", "\"http://:8080/v2\": no host"),
            (
                "http://example.com:99999",
                "\"http://example.com:99999\": \"99999\" is not a port",
            ),
        ];
        for (base, expected) in cases {
            assert_eq!(
                Feed::new(base, DEFAULT_TIMEOUT),
                Err(expected.to_string()),
                "{base}"
            );
        }
    }

    #[test]
    fn base_urls_are_normalized() {
        assert_eq!(
            feed("http://127.0.0.1:8080/v2/").base(),
            "http://127.0.0.1:8080/v2"
        );
        assert_eq!(feed("HTTP://example.com").base(), "http://example.com:80");
        assert_eq!(
            feed("http://[::1]:9000/dcsa/v2").base(),
            "http://[::1]:9000/dcsa/v2"
        );
    }

    #[test]
    fn percent_encode_passes_unreserved_characters_only() {
        assert_eq!(percent_encode("Az09-._~"), "Az09-._~");
        assert_eq!(percent_encode("a b+c,d/é"), "a%20b%2Bc%2Cd%2F%C3%A9");
    }

    fn condition(events: Value) -> Condition {
        let doc = json!({
            "format": "milestone-escrow/condition/v1",
            "transportDocumentReference": "MUN-HAM-0042",
            "events": events,
        });
        Document::parse(doc.to_string().as_bytes())
            .unwrap()
            .condition
    }

    #[test]
    fn for_condition_deduplicates_event_types_in_dcsa_order() {
        let c = condition(json!([
            {"eventType": "SHIPMENT", "shipmentEventTypeCode": "ISSU", "documentTypeCode": "TRD"},
            {"eventType": "TRANSPORT", "transportEventTypeCode": "ARRI"},
            {"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD", "equipmentReference": "MSKU1234567"},
            {"eventType": "TRANSPORT", "transportEventTypeCode": "DEPA"}
        ]));
        assert_eq!(
            Query::for_condition(&c),
            Query {
                transport_document_reference: "MUN-HAM-0042".into(),
                event_types: vec![
                    EventType::Equipment,
                    EventType::Transport,
                    EventType::Shipment
                ],
                equipment_reference: None,
            }
        );
    }

    #[test]
    fn for_condition_narrows_to_the_container_only_when_all_requirements_name_it() {
        let load = json!({"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD",
                          "equipmentReference": "MSKU1234567"});
        let disc = json!({"eventType": "EQUIPMENT", "equipmentEventTypeCode": "DISC",
                          "equipmentReference": "MSKU1234567"});
        let q = Query::for_condition(&condition(json!([load, disc])));
        assert_eq!(q.equipment_reference.as_deref(), Some("MSKU1234567"));

        let other = json!({"eventType": "EQUIPMENT", "equipmentEventTypeCode": "DISC",
                           "equipmentReference": "MSKU7654321"});
        assert_eq!(
            Query::for_condition(&condition(json!([load, other]))).equipment_reference,
            None
        );

        let unnamed = json!({"eventType": "EQUIPMENT", "equipmentEventTypeCode": "DISC"});
        assert_eq!(
            Query::for_condition(&condition(json!([load, unnamed]))).equipment_reference,
            None
        );

        let arrival = json!({"eventType": "TRANSPORT", "transportEventTypeCode": "ARRI"});
        assert_eq!(
            Query::for_condition(&condition(json!([load, arrival]))).equipment_reference,
            None
        );
    }
}
