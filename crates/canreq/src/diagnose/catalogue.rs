//! The catalogue of signing mistakes: each one re-signs the request the way a client that makes
//! it would, so that the mistake whose signature is the one the client sent is named.

use crate::canonical::{self, Input, UriEncoding, trim_blanks};
use crate::crypto::{HmacKey, sha256};
use crate::encode;
use crate::settings::{EMPTY_SHA256, is_s3_family, path_rules};

use super::CauseCode;

/// What the catalogue varies: the request as the server reads it, in its parts.
pub(super) struct Subject<'r> {
    pub method: &'r str,
    pub path: &'r str,
    /// The raw query, without `X-Amz-Signature`.
    pub query_pairs: Vec<&'r str>,
    /// The signed headers as sent: names in their case, values untrimmed, in the order sent.
    pub headers: Vec<(&'r str, &'r str)>,
    /// The signed header list as the claim gives it.
    pub signed_list: &'r str,
    pub payload_hash: String,
    /// The session token, when the request carries one in a header.
    pub token: Option<&'r str>,
    pub amz_date: &'r str,
    pub date: &'r str,
    pub region: &'r str,
    pub service: &'r str,
}

/// A canonical request written with a mistake (or none).
pub(super) struct Written {
    pub mistake: Option<CauseCode>,
    pub text: String,
}

impl Subject<'_> {
    /// The canonical request the server computes: the crate's own canonicalizer.
    pub fn canonical(&self) -> crate::Result<String> {
        self.with_headers(&self.headers)
    }

    fn build(
        &self,
        encoding: UriEncoding,
        normalize: bool,
        query: &str,
        headers: &[(&str, &str)],
    ) -> crate::Result<String> {
        let refs: Vec<canonical::HeaderRef<'_>> = headers
            .iter()
            .map(|&(name, value)| canonical::HeaderRef { name, value })
            .collect();
        Ok(canonical::build(&Input {
            method: self.method,
            path: self.path,
            encoding,
            normalize,
            query,
            drop_query_key: &|_| false,
            extra_query: &[],
            headers: &refs,
            payload_hash: &self.payload_hash,
        })?
        .into_string())
    }

    /// Every canonical request a known mistake gives, the correct one first.
    pub fn written(&self) -> crate::Result<Vec<Written>> {
        let correct = self.canonical()?;
        let mut out = vec![Written {
            mistake: None,
            text: correct.clone(),
        }];
        let lines: Vec<&str> = correct.split('\n').collect();
        let n = lines.len();
        let with_line = |index: usize, line: &str| {
            let mut l = lines.clone();
            l[index] = line;
            l.join("\n")
        };
        let mut push = |mistake: CauseCode, text: String| {
            if text != correct && !out.iter().any(|w| w.text == text) {
                out.push(Written {
                    mistake: Some(mistake),
                    text,
                });
            }
        };
        let s3 = is_s3_family(self.service);
        let (encoding, normalize) = path_rules(s3);
        let query = self.query_pairs.join("&");
        // The path.
        if normalize && let Ok(text) = self.build(encoding, false, &query, &self.headers) {
            push(CauseCode::PathNotNormalized, text);
        }
        let once_more = {
            let mut line = String::new();
            encode::uri_encode_str_into(&mut line, lines[1], true);
            line
        };
        push(CauseCode::PathDoubleEncoded, with_line(1, &once_more));
        if !s3 && let Ok(text) = self.build(UriEncoding::Single, normalize, &query, &self.headers) {
            push(CauseCode::PathNotEncoded, text);
        }
        push(CauseCode::PathNotEncoded, with_line(1, self.path));
        // The query.
        let each: Vec<String> = self
            .query_pairs
            .iter()
            .filter_map(|pair| {
                let mut line = String::new();
                canonical::canonical_query(&mut line, pair, &|_| false, &[]).ok()?;
                Some(line)
            })
            .collect();
        push(CauseCode::QueryUnsorted, with_line(2, &each.join("&")));
        if query.contains('+') {
            let mut line = String::new();
            if canonical::canonical_query(&mut line, &query.replace('+', "%20"), &|_| false, &[])
                .is_ok()
            {
                push(CauseCode::QueryPlusAsSpace, with_line(2, &line));
            }
        }
        let mut raw_sorted = self.query_pairs.clone();
        raw_sorted.sort_unstable();
        let raw_sorted: Vec<String> = raw_sorted
            .iter()
            .map(|p| {
                if p.contains('=') {
                    (*p).to_owned()
                } else {
                    format!("{p}=")
                }
            })
            .collect();
        push(
            CauseCode::QueryNotEncoded,
            with_line(2, &raw_sorted.join("&")),
        );
        // The headers: lines 3 .. n - 3, then the blank line, the list and the payload hash.
        let header_end = n.saturating_sub(3);
        let sent_case = |line: &str| -> String {
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            let sent = self
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map_or(name, |(n, _)| *n);
            format!("{sent}:{value}")
        };
        let mut cased = lines.clone();
        let cased_lines: Vec<String> = lines[3..header_end].iter().map(|l| sent_case(l)).collect();
        for (i, line) in cased_lines.iter().enumerate() {
            cased[3 + i] = line;
        }
        push(CauseCode::HeaderNameCase, cased.join("\n"));
        let untrimmed: Vec<String> = lines[3..header_end]
            .iter()
            .map(|l| {
                let name = l.split_once(':').map_or(*l, |(n, _)| n);
                let raw = self
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| *v)
                    .collect::<Vec<_>>()
                    .join(",");
                format!("{name}:{raw}")
            })
            .collect();
        let mut raw_values = lines.clone();
        for (i, line) in untrimmed.iter().enumerate() {
            raw_values[3 + i] = line;
        }
        push(CauseCode::HeaderValueUntrimmed, raw_values.join("\n"));
        self.unsorted_headers(&lines, header_end, &mut push);
        // The blank line after the headers.
        let mut missing = lines.clone();
        missing.remove(header_end);
        push(CauseCode::CanonicalNewline, missing.join("\n"));
        let mut doubled = lines.clone();
        doubled.insert(header_end, "");
        push(CauseCode::CanonicalNewline, doubled.join("\n"));
        // The payload hash.
        push(CauseCode::PayloadEmptyHash, with_line(n - 1, EMPTY_SHA256));
        push(
            CauseCode::PayloadHexCase,
            with_line(n - 1, &self.payload_hash.to_ascii_uppercase()),
        );
        // The host's port.
        if let Some(index) = lines.iter().position(|l| l.starts_with("host:")) {
            let host = &lines[index]["host:".len()..];
            match host.rsplit_once(':') {
                Some((bare, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
                    push(
                        CauseCode::HostPort,
                        with_line(index, &format!("host:{bare}")),
                    );
                }
                _ => {
                    for port in [":443", ":80"] {
                        push(
                            CauseCode::HostPort,
                            with_line(index, &format!("host:{host}{port}")),
                        );
                    }
                }
            }
        }
        self.token_variants(&mut push)?;
        Ok(out)
    }

    /// The headers and the list in the order sent, not sorted.
    fn unsorted_headers(
        &self,
        lines: &[&str],
        header_end: usize,
        push: &mut impl FnMut(CauseCode, String),
    ) {
        let mut order: Vec<&str> = Vec::new();
        for (name, _) in &self.headers {
            if !order.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                order.push(name);
            }
        }
        let line_of = |name: &str| {
            lines[3..header_end]
                .iter()
                .find(|l| {
                    l.split_once(':')
                        .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name))
                })
                .copied()
        };
        let sent_lines: Option<Vec<&str>> = order.iter().map(|n| line_of(n)).collect();
        let Some(sent_lines) = sent_lines else {
            return;
        };
        let list: Vec<String> = order.iter().map(|n| n.to_ascii_lowercase()).collect();
        let mut text: Vec<&str> = lines[..3].to_vec();
        text.extend(sent_lines);
        let list = list.join(";");
        text.extend(["", &list, lines[lines.len() - 1]]);
        push(CauseCode::SignedHeadersUnsorted, text.join("\n"));
    }

    /// The session token signed when the list leaves it out, or left out when it is signed.
    fn token_variants(&self, push: &mut impl FnMut(CauseCode, String)) -> crate::Result<()> {
        let Some(token) = self.token else {
            return Ok(());
        };
        let signed = self
            .signed_list
            .split(';')
            .any(|n| n.eq_ignore_ascii_case("x-amz-security-token"));
        let mut headers = self.headers.clone();
        if signed {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-security-token"));
            push(CauseCode::TokenNotSigned, self.with_headers(&headers)?);
        } else {
            headers.push(("x-amz-security-token", token));
            push(CauseCode::TokenSigned, self.with_headers(&headers)?);
        }
        Ok(())
    }

    fn with_headers(&self, headers: &[(&str, &str)]) -> crate::Result<String> {
        let (encoding, normalize) = path_rules(is_s3_family(self.service));
        self.build(encoding, normalize, &self.query_pairs.join("&"), headers)
    }
}

/// How a client's key derivation or string to sign can go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyMistake {
    /// HMAC's key and message swapped at one step (0: date … 4: the signature), or at all.
    ArgumentOrder(Option<u8>),
    /// The secret without `AWS4` before it.
    NotPrefixed,
    /// The hex text of a step's result passed down as the next key (0: date … 2: service).
    HexStep(u8),
    /// The full timestamp in the scope (and the key).
    FullTimestampDate,
    /// Another day in the scope (and the key).
    OtherDay(i8),
    /// Region and service swapped in the scope (and the key).
    RegionServiceSwapped,
}

impl KeyMistake {
    pub const ALL: [KeyMistake; 14] = [
        KeyMistake::ArgumentOrder(None),
        KeyMistake::ArgumentOrder(Some(0)),
        KeyMistake::ArgumentOrder(Some(1)),
        KeyMistake::ArgumentOrder(Some(2)),
        KeyMistake::ArgumentOrder(Some(3)),
        KeyMistake::ArgumentOrder(Some(4)),
        KeyMistake::NotPrefixed,
        KeyMistake::HexStep(0),
        KeyMistake::HexStep(1),
        KeyMistake::HexStep(2),
        KeyMistake::FullTimestampDate,
        KeyMistake::OtherDay(-1),
        KeyMistake::OtherDay(1),
        KeyMistake::RegionServiceSwapped,
    ];

    pub fn code(self) -> CauseCode {
        match self {
            KeyMistake::ArgumentOrder(_) => CauseCode::HmacArgumentOrder,
            KeyMistake::NotPrefixed => CauseCode::KeyNotPrefixed,
            KeyMistake::HexStep(_) => CauseCode::KeyHexStep,
            KeyMistake::FullTimestampDate | KeyMistake::OtherDay(_) => CauseCode::ScopeDateFormat,
            KeyMistake::RegionServiceSwapped => CauseCode::RegionServiceSwapped,
        }
    }

    /// Where exactly, for the explanation.
    pub fn detail(self) -> String {
        const STEPS: [&str; 5] = ["date", "region", "service", "aws4_request", "signature"];
        match self {
            KeyMistake::ArgumentOrder(None) => {
                "HMAC's key and message swapped at every step (crypto-js's HmacSHA256(message, key) \
                 argument order)"
                    .to_owned()
            }
            KeyMistake::ArgumentOrder(Some(step)) => format!(
                "HMAC's key and message swapped at the {} step (crypto-js's argument order)",
                STEPS[usize::from(step)]
            ),
            KeyMistake::NotPrefixed => {
                "the key derived from the secret without \"AWS4\" before it".to_owned()
            }
            KeyMistake::HexStep(step) => format!(
                "the {} step's result passed down as hex text instead of its raw bytes",
                STEPS[usize::from(step)]
            ),
            KeyMistake::FullTimestampDate => {
                "the full timestamp (YYYYMMDDTHHMMSSZ) in the credential scope instead of the date"
                    .to_owned()
            }
            KeyMistake::OtherDay(days) => format!(
                "the credential scope dated {} day {} the request's time (local time instead of UTC?)",
                days.unsigned_abs(),
                if days < 0 { "before" } else { "after" }
            ),
            KeyMistake::RegionServiceSwapped => {
                "region and service swapped in the credential scope".to_owned()
            }
        }
    }
}

/// The signature (hex) `canonical_request` gets with `mistake` in the key or scope (or none).
pub(super) fn signature(
    subject: &Subject<'_>,
    secret: &str,
    canonical_request: &str,
    mistake: Option<KeyMistake>,
) -> String {
    let shifted;
    let date = match mistake {
        Some(KeyMistake::FullTimestampDate) => subject.amz_date,
        Some(KeyMistake::OtherDay(days)) => {
            shifted = shift_day(subject.date, days);
            &shifted
        }
        _ => subject.date,
    };
    let (region, service) = match mistake {
        Some(KeyMistake::RegionServiceSwapped) => (subject.service, subject.region),
        _ => (subject.region, subject.service),
    };
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        subject.amz_date,
        encode::hex(&sha256(canonical_request.as_bytes()))
    );
    let swapped = |step: u8| match mistake {
        Some(KeyMistake::ArgumentOrder(None)) => true,
        Some(KeyMistake::ArgumentOrder(Some(s))) => s == step,
        _ => false,
    };
    let mac = |step: u8, key: &[u8], data: &[u8]| -> Vec<u8> {
        let out = if swapped(step) {
            HmacKey::new(data).mac(key)
        } else {
            HmacKey::new(key).mac(data)
        };
        if mistake == Some(KeyMistake::HexStep(step)) {
            encode::hex(&out).into_bytes()
        } else {
            out.to_vec()
        }
    };
    let seed = match mistake {
        Some(KeyMistake::NotPrefixed) => secret.as_bytes().to_vec(),
        _ => [b"AWS4", secret.as_bytes()].concat(),
    };
    let k_date = mac(0, &seed, date.as_bytes());
    let k_region = mac(1, &k_date, region.as_bytes());
    let k_service = mac(2, &k_region, service.as_bytes());
    let k_signing = mac(3, &k_service, b"aws4_request");
    encode::hex(&mac(4, &k_signing, string_to_sign.as_bytes()))
}

/// `date` (`YYYYMMDD`) moved by `days`.
fn shift_day(date: &str, days: i8) -> String {
    let parsed = jiff::civil::Date::strptime("%Y%m%d", trim_blanks(date));
    parsed
        .ok()
        .and_then(|d| d.checked_add(jiff::Span::new().days(i64::from(days))).ok())
        .map_or_else(|| date.to_owned(), |d| d.strftime("%Y%m%d").to_string())
}
