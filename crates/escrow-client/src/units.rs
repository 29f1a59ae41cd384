//! Human units: amounts in an asset's decimals and symbol (the chain's native token, from
//! `system_properties`, or a PSP22 token, from its metadata: [`crate::token::TokenInfo`]),
//! percentage splits, durations, dates and hashes. Pure functions, so every rule is
//! unit-tested here.
//!
//! Amounts are parsed exactly (no floating point): "1200.5 UNIT" with 12 decimals is
//! `1_200_500_000_000_000`. Splits compute each share with `escrow_types::bps_of` (rounded
//! down, never overflowing) and give the remainder to the last milestone, so the parts
//! always add up to the total to the last unit.

use chrono::{DateTime, SecondsFormat, Utc};
use escrow_types::{bps_of, Balance, Digest, BPS_DENOMINATOR};

/// An asset's units: symbol and decimals. The chain's native token (from
/// `system_properties`), or a PSP22 token's (its metadata, [`crate::token::TokenInfo::units`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// e.g. "UNIT".
    pub symbol: String,
    /// e.g. 12.
    pub decimals: u8,
}

impl Default for Token {
    fn default() -> Self {
        Token {
            symbol: "UNIT".into(),
            decimals: 12,
        }
    }
}

impl Token {
    /// Parses "1200.5", "1200.5 UNIT", "1_200.5UNIT" or a raw "1200500000000000planck".
    pub fn parse(&self, input: &str) -> Result<Balance, String> {
        parse_amount(input, self.decimals, &self.symbol)
    }

    /// Formats as "1200.5 UNIT".
    pub fn format(&self, v: Balance) -> String {
        format_amount(v, self.decimals, &self.symbol)
    }
}

/// Parses a token amount. See [`Token::parse`].
pub fn parse_amount(input: &str, decimals: u8, symbol: &str) -> Result<Balance, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty amount".into());
    }
    if s.starts_with('-') {
        return Err(format!("'{input}': amounts cannot be negative"));
    }
    if let Some(raw) = s.strip_suffix("planck") {
        let raw = raw.trim().replace('_', "");
        return raw
            .parse::<u128>()
            .map_err(|_| format!("'{input}': not a whole number of planck"));
    }
    let number = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(pos) => {
            let unit = s[pos..].trim();
            if !unit.eq_ignore_ascii_case(symbol) {
                return Err(format!(
                    "'{input}': unknown unit '{unit}' (this amount is in {symbol})"
                ));
            }
            s[..pos].trim()
        }
        None => s,
    };
    let number = number.replace('_', "");
    let (int, frac) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number.as_str(), ""),
    };
    if int.is_empty() && frac.is_empty() {
        return Err(format!("'{input}': no digits"));
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "'{input}': not a number (expected e.g. 1200.5 {symbol})"
        ));
    }
    if frac.len() > usize::from(decimals) {
        return Err(format!(
            "'{input}': too many decimals ({} given, {symbol} has {decimals})",
            frac.len()
        ));
    }
    let scale = 10u128
        .checked_pow(u32::from(decimals))
        .ok_or_else(|| format!("{decimals} decimals are more than a u128 can hold"))?;
    let overflow = || format!("'{input}': too large");
    let int_part: u128 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| overflow())?
    };
    let mut frac_digits = frac.to_string();
    while frac_digits.len() < usize::from(decimals) {
        frac_digits.push('0');
    }
    let frac_part: u128 = if frac_digits.is_empty() {
        0
    } else {
        frac_digits.parse().map_err(|_| overflow())?
    };
    int_part
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac_part))
        .ok_or_else(overflow)
}

/// Formats an amount: "1200.5 UNIT", "0 UNIT", "0.000000000001 UNIT".
pub fn format_amount(v: Balance, decimals: u8, symbol: &str) -> String {
    let scale = 10u128.pow(u32::from(decimals.min(38)));
    let int = v / scale;
    let frac = v % scale;
    let mut s = int.to_string();
    if frac > 0 {
        let f = format!("{frac:0width$}", width = usize::from(decimals));
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    if symbol.is_empty() {
        s
    } else {
        format!("{s} {symbol}")
    }
}

/// Parses a percentage ("30", "30%", "12.5", "33.33%") into basis points.
pub fn parse_percent(input: &str) -> Result<u16, String> {
    let s = input.trim().trim_end_matches('%').trim();
    let v = parse_amount(s, 2, "").map_err(|e| format!("percentage {e}"))?;
    if v > u128::from(BPS_DENOMINATOR) {
        return Err(format!("'{input}': a percentage is at most 100"));
    }
    u16::try_from(v).map_err(|_| format!("'{input}': out of range"))
}

/// Parses a basis-point value: "250bps", "2.5%", or "250" (bps).
pub fn parse_bps(input: &str) -> Result<u16, String> {
    let s = input.trim();
    if s.ends_with('%') {
        return parse_percent(s);
    }
    let n = s.trim_end_matches("bps").trim();
    let v: u16 = n
        .parse()
        .map_err(|_| format!("'{input}': expected e.g. 250bps or 2.5%"))?;
    if v > BPS_DENOMINATOR {
        return Err(format!("'{input}': at most 10000 bps"));
    }
    Ok(v)
}

/// Splits `total` by percentages ("30,40,30"), which must add up to exactly 100. Each
/// share is rounded down; the last takes the remainder, so the parts sum to `total`.
pub fn split_total(total: Balance, split: &str) -> Result<Vec<Balance>, String> {
    let parts: Vec<u16> = split
        .split(',')
        .map(parse_percent)
        .collect::<Result<_, _>>()?;
    if parts.is_empty() {
        return Err("--split needs at least one percentage".into());
    }
    let sum: u32 = parts.iter().map(|&p| u32::from(p)).sum();
    if sum != u32::from(BPS_DENOMINATOR) {
        return Err(format!(
            "--split {split}: percentages add up to {}, not 100",
            format_amount(u128::from(sum), 2, "")
        ));
    }
    let mut out = Vec::with_capacity(parts.len());
    let mut allotted: Balance = 0;
    for (i, &bps) in parts.iter().enumerate() {
        let amount = if i + 1 == parts.len() {
            total - allotted
        } else {
            bps_of(total, bps).ok_or("percentage out of range")?
        };
        if amount == 0 {
            return Err(format!("--split {split}: milestone {i} would get nothing"));
        }
        allotted += amount;
        out.push(amount);
    }
    Ok(out)
}

/// Parses a duration: "7d", "36h", "90m", "30s", "500ms", or combinations like "1d12h".
/// Returns milliseconds; zero is rejected.
pub fn parse_duration(input: &str) -> Result<u64, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("'{input}': expected e.g. 7d, 36h, 90m, 30s"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("'{input}': too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = rest[..unit_len].trim();
        rest = rest[unit_len..].trim_start();
        let ms: u64 = match unit {
            "d" => 86_400_000,
            "h" => 3_600_000,
            "m" => 60_000,
            "s" => 1_000,
            "ms" => 1,
            "" => return Err(format!("'{input}': missing unit (d, h, m, s or ms)")),
            u => return Err(format!("'{input}': unknown unit '{u}' (d, h, m, s or ms)")),
        };
        total = n
            .checked_mul(ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("'{input}': too large"))?;
    }
    if total == 0 {
        return Err(format!("'{input}': must be longer than zero"));
    }
    Ok(total)
}

/// Formats a duration in ms with its two largest units: "2d 3h", "5m 10s", "0s".
pub fn format_duration(ms: u64) -> String {
    let units = [
        ("d", 86_400_000u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ];
    let mut parts = Vec::new();
    let mut rest = ms;
    for (name, size) in units {
        let n = rest / size;
        rest %= size;
        if !parts.is_empty() {
            if n > 0 {
                parts.push(format!("{n}{name}"));
            }
            break;
        }
        if n > 0 {
            parts.push(format!("{n}{name}"));
        }
    }
    match (parts.is_empty(), ms) {
        (true, 0) => "0s".into(),
        (true, ms) => format!("{ms}ms"),
        _ => parts.join(" "),
    }
}

/// The time "+7d" counts from: the later of the wall clock and the best block's timestamp,
/// rounded up to a whole second (so deadlines read "…T12:00:05Z", never earlier than
/// asked). On an instant-seal chain the best block can be minutes old; counting from it
/// would put a short deadline in the past by the time the transaction is sealed.
pub fn from_now_base(block_ms: u64) -> u64 {
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let now = wall.max(block_ms);
    now.checked_next_multiple_of(1_000).unwrap_or(now)
}

/// Parses a point in time: RFC 3339 ("2026-12-01T12:00:00Z"), or "+7d" relative to `now_ms`.
pub fn parse_time(input: &str, now_ms: u64) -> Result<u64, String> {
    let s = input.trim();
    if let Some(rel) = s.strip_prefix('+') {
        let d = parse_duration(rel)?;
        return now_ms
            .checked_add(d)
            .ok_or_else(|| format!("'{input}': too far"));
    }
    let t = DateTime::parse_from_rfc3339(s).map_err(|e| {
        format!("'{input}': not an RFC 3339 date ({e}); e.g. 2026-12-01T12:00:00Z or +7d")
    })?;
    u64::try_from(t.timestamp_millis()).map_err(|_| format!("'{input}': before 1970"))
}

/// Formats ms since the epoch as RFC 3339 UTC, with the milliseconds when there are any
/// ("2026-12-01T12:00:00Z", "2026-12-01T12:00:00.250Z"): exact, so a time shown can be
/// typed back where the contract compares it (`deal accept-amendment`).
pub fn format_time(ms: u64) -> String {
    match i64::try_from(ms)
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
    {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => format!("{ms}ms"),
    }
}

/// "in 2d 3h" / "3h ago" relative to `now`.
pub fn relative(t: u64, now: u64) -> String {
    if t >= now {
        format!("in {}", format_duration(t - now))
    } else {
        format!("{} ago", format_duration(now - t))
    }
}

/// Parses an exact point in time, for a value the contract compares with the one it holds
/// (an amendment's new ship-by): RFC 3339 as `format_time` prints it (milliseconds
/// included), or ms since the epoch as `--json` prints it. A relative "+7d" is refused: it
/// would name whatever time it is now plus seven days, not the date on record.
pub fn parse_exact_time(input: &str) -> Result<u64, String> {
    let s = input.trim();
    if s.starts_with('+') {
        return Err(format!(
            "'{input}': name the exact date you accept (RFC 3339, as `escrow deal show` prints \
             it, or ms since the epoch), not a duration from now"
        ));
    }
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s
            .parse::<u64>()
            .map_err(|_| format!("'{input}': too large for ms since the epoch"));
    }
    parse_time(s, 0)
}

/// Parses a 32-byte hash given as 0x-prefixed (or bare) hex.
pub fn parse_hash(input: &str) -> Result<Digest, String> {
    let s = input.trim().trim_start_matches("0x");
    let bytes = hex::decode(s).map_err(|_| format!("'{input}': not hex"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("'{input}': {} bytes, expected 32", b.len()))
}

/// BLAKE2b-256, the hash the contract uses for terms (and we use for documents).
pub fn blake2_256(data: &[u8]) -> Digest {
    use blake2::{digest::consts::U32, Blake2b, Digest as _};
    let mut h = Blake2b::<U32>::new();
    h.update(data);
    h.finalize().into()
}

/// Hashes a file's contents with BLAKE2b-256.
pub fn hash_file(path: &std::path::Path) -> Result<Digest, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(blake2_256(&data))
}

/// "0x…" hex of bytes.
pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: u128 = 1_000_000_000_000;

    fn t() -> Token {
        Token::default()
    }

    #[test]
    fn parse_amount_accepts_humane_forms() {
        assert_eq!(t().parse("1200.5 UNIT"), Ok(1_200 * U + U / 2));
        assert_eq!(t().parse("1200.5UNIT"), Ok(1_200 * U + U / 2));
        assert_eq!(t().parse("1_200.5 unit"), Ok(1_200 * U + U / 2));
        assert_eq!(t().parse("1200"), Ok(1_200 * U));
        assert_eq!(t().parse(".5"), Ok(U / 2));
        assert_eq!(t().parse("0.000000000001"), Ok(1));
        assert_eq!(t().parse("42planck"), Ok(42));
    }

    fn usdt() -> Token {
        Token {
            symbol: "USDT".into(),
            decimals: 6,
        }
    }

    #[test]
    fn a_six_decimal_token_parses_and_formats_in_its_own_units() {
        assert_eq!(usdt().parse("1234.5 USDT"), Ok(1_234_500_000));
        assert_eq!(usdt().parse("1234.5usdt"), Ok(1_234_500_000));
        assert_eq!(usdt().parse("0.000001"), Ok(1));
        assert_eq!(usdt().format(1_234_500_000), "1234.5 USDT");
        assert_eq!(usdt().format(1), "0.000001 USDT");
        for v in [0, 1, 999_999, 1_000_000, u128::MAX] {
            assert_eq!(usdt().parse(&usdt().format(v)), Ok(v));
        }
    }

    #[test]
    fn an_amount_with_more_decimals_than_the_token_has_is_refused_naming_both() {
        assert_eq!(
            usdt().parse("1.0000001"),
            Err("'1.0000001': too many decimals (7 given, USDT has 6)".to_string())
        );
        assert_eq!(
            usdt().parse("5 UNIT"),
            Err("'5 UNIT': unknown unit 'UNIT' (this amount is in USDT)".to_string())
        );
    }

    #[test]
    fn parse_amount_zero_is_zero() {
        assert_eq!(t().parse("0"), Ok(0));
        assert_eq!(t().parse("0.0 UNIT"), Ok(0));
    }

    #[test]
    fn parse_amount_rejects_bad_input() {
        assert!(t().parse("-1").unwrap_err().contains("negative"));
        assert!(t()
            .parse("1.0000000000001")
            .unwrap_err()
            .contains("too many decimals"));
        assert!(t().parse("1e5").is_err());
        assert!(t().parse("1 DOT").unwrap_err().contains("unknown unit"));
        assert!(t().parse("").is_err());
        assert!(t().parse(".").is_err());
        assert!(t().parse("1.2.3").is_err());
        assert!(t().parse("abc").is_err());
    }

    #[test]
    fn parse_amount_rejects_overflow() {
        // u128::MAX / 10^12 ≈ 3.4e26: one more digit overflows.
        assert!(t()
            .parse("340282366920938463463374608")
            .unwrap_err()
            .contains("too large"));
        assert_eq!(
            t().parse("340282366920938463463374607.431768211455"),
            Ok(u128::MAX)
        );
        assert!(t()
            .parse("340282366920938463463374607.431768211456")
            .unwrap_err()
            .contains("too large"));
        assert!(t()
            .parse("999999999999999999999999999999999999999999")
            .unwrap_err()
            .contains("too large"));
        assert_eq!(parse_amount(&u128::MAX.to_string(), 0, "X"), Ok(u128::MAX));
        assert!(parse_amount("340282366920938463463374607431768211456", 0, "X").is_err());
    }

    #[test]
    fn format_amount_trims_and_round_trips() {
        assert_eq!(t().format(1_200 * U + U / 2), "1200.5 UNIT");
        assert_eq!(t().format(0), "0 UNIT");
        assert_eq!(t().format(1), "0.000000000001 UNIT");
        assert_eq!(
            t().format(u128::MAX),
            "340282366920938463463374607.431768211455 UNIT"
        );
        for v in [0, 1, 10, U, 123_456_789 * U + 987, u128::MAX] {
            assert_eq!(t().parse(&t().format(v)), Ok(v));
        }
    }

    #[test]
    fn split_handles_remainder_exactly() {
        assert_eq!(
            split_total(10_000, "30,40,30"),
            Ok(vec![3_000, 4_000, 3_000])
        );
        let parts = split_total(100, "33.33,33.33,33.34").unwrap();
        assert_eq!(parts, vec![33, 33, 34]);
        let parts = split_total(10, "33.33,33.33,33.34").unwrap();
        assert_eq!(parts.iter().sum::<u128>(), 10);
        let parts = split_total(u128::MAX, "50,50").unwrap();
        assert_eq!(parts[0].checked_add(parts[1]), Some(u128::MAX));
    }

    #[test]
    fn split_rejects_percentages_not_summing_to_100() {
        assert!(split_total(100, "30,40,20")
            .unwrap_err()
            .contains("add up to 90"));
        assert!(split_total(100, "60,60")
            .unwrap_err()
            .contains("add up to 120"));
        assert!(split_total(100, "30,x").is_err());
        assert!(split_total(100, "101").is_err());
        assert!(split_total(1, "50,50")
            .unwrap_err()
            .contains("would get nothing"));
    }

    #[test]
    fn percent_and_bps() {
        assert_eq!(parse_percent("30"), Ok(3_000));
        assert_eq!(parse_percent("12.5%"), Ok(1_250));
        assert!(parse_percent("100.01").is_err());
        assert!(parse_percent("12.555").is_err());
        assert_eq!(parse_bps("250bps"), Ok(250));
        assert_eq!(parse_bps("2.5%"), Ok(250));
        assert_eq!(parse_bps("250"), Ok(250));
        assert!(parse_bps("10001").is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("7d"), Ok(7 * 86_400_000));
        assert_eq!(parse_duration("36h"), Ok(36 * 3_600_000));
        assert_eq!(parse_duration("90m"), Ok(90 * 60_000));
        assert_eq!(parse_duration("30s"), Ok(30_000));
        assert_eq!(parse_duration("1d12h"), Ok(36 * 3_600_000));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert!(parse_duration("7").unwrap_err().contains("missing unit"));
        assert!(parse_duration("7w").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("0s")
            .unwrap_err()
            .contains("longer than zero"));
        assert!(parse_duration("-1d").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn durations_format() {
        assert_eq!(
            format_duration(2 * 86_400_000 + 3 * 3_600_000 + 5_000),
            "2d 3h"
        );
        assert_eq!(format_duration(5 * 60_000 + 10_000), "5m 10s");
        assert_eq!(format_duration(3_600_000), "1h");
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(250), "250ms");
        assert_eq!(relative(10_000, 4_000), "in 6s");
        assert_eq!(relative(4_000, 10_000), "6s ago");
    }

    #[test]
    fn dates_parse_and_format() {
        let t = parse_time("2026-12-01T12:00:00Z", 0).unwrap();
        assert_eq!(t, 1_796_126_400_000);
        assert_eq!(format_time(t), "2026-12-01T12:00:00Z");
        assert_eq!(parse_time("2026-12-01T14:00:00+02:00", 0), Ok(t));
        assert_eq!(parse_time("+1h", 1_000), Ok(3_601_000));
        assert!(parse_time("2026-13-01", 0)
            .unwrap_err()
            .contains("RFC 3339"));
        assert!(parse_time("1960-01-01T00:00:00Z", 0).is_err());
    }

    #[test]
    fn times_with_milliseconds_round_trip_exactly() {
        let t = 1_796_126_400_250;
        assert_eq!(format_time(t), "2026-12-01T12:00:00.250Z");
        assert_eq!(parse_time(&format_time(t), 0), Ok(t));
        assert_eq!(parse_exact_time(&format_time(t)), Ok(t));
        assert_eq!(parse_exact_time("1796126400250"), Ok(t));
    }

    #[test]
    fn exact_times_refuse_a_duration_from_now() {
        let e = parse_exact_time("+14d").unwrap_err();
        assert!(
            e.contains("exact date") && e.contains("not a duration"),
            "{e}"
        );
        assert!(parse_exact_time("tomorrow")
            .unwrap_err()
            .contains("RFC 3339"));
        assert_eq!(
            parse_exact_time("99999999999999999999999"),
            Err("'99999999999999999999999': too large for ms since the epoch".to_string())
        );
    }

    #[test]
    fn relative_times_count_from_a_whole_second() {
        let base = from_now_base(u64::MAX - 5);
        assert_eq!(base, u64::MAX - 5, "no overflow at the end of time");
        let base = from_now_base(0);
        assert_eq!(base % 1_000, 0);
    }

    #[test]
    fn hashes() {
        let h = blake2_256(b"");
        assert_eq!(
            hex0x(&h),
            "0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        );
        assert_eq!(parse_hash(&hex0x(&h)), Ok(h));
        assert!(parse_hash("0x1234").unwrap_err().contains("expected 32"));
        assert!(parse_hash("zz").is_err());
    }
}
