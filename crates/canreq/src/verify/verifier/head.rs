//! What the head of a request decides: the claim read, its time, scope, expiry and signed
//! headers checked, the key looked up, the payload mode settled and the canonical request built.

use crate::algorithm::Algorithm;
use crate::canonical::{self, HeaderRef, Input, StackList, trim_blanks};
use crate::chunked::{ChunkSignature, ChunkedDecoder, SignatureChain, StreamingMode};
use crate::encode::{self, Hex64};
use crate::refusal::{AuthError, ErrorCode};
use crate::request::Request;
use crate::settings::{EMPTY_SHA256, STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD, is_s3_family};
use crate::sign::KeyUsed;
use crate::text::find_byte;
use crate::time::SigningTime;
use crate::verify::claim::{AuthLocation, Claim, KnownHeaders, eq_lowercase, read_claim};
use crate::verify::pending::{BodyRule, Head, KeptSignature, check_signature};
use crate::verify::policy::{CredentialStore, PresignedPayload};
use crate::verify::verified::{PayloadMode, Verified};

use super::Verifier;
use super::rules::{check_token, parse_time, signed_list_error, unsigned_headers_error};

impl<S: CredentialStore> Verifier<S> {
    /// [`begin`](Self::begin), given the body when it is at hand: a payload hash that comes
    /// from the body is then computed first, so the canonical request is built once, whole.
    /// An aws-chunked body also gets its decoder.
    pub(super) fn head(
        &self,
        request: &Request<'_>,
        now: SigningTime,
        body: Option<&[u8]>,
    ) -> Result<Head<S::Data>, AuthError> {
        if find_byte(request.target().as_bytes(), b'#').is_some() {
            return Err(fragment_error(request.target()));
        }
        let known = KnownHeaders::scan(request);
        // Borrowed where it was returned: moving the claim out of the `Result` copies it
        // whole, and it is a quarter of a kilobyte.
        let read = read_claim(request, &known);
        let claim = match read {
            Ok(ref claim) => claim,
            Err(err) => return Err(err),
        };
        let scope = ScopeFields::of(claim);
        let time = parse_time(claim)?;
        self.check_scope(claim, &scope, &time)?;
        self.check_skew(claim, &time, now)?;
        let expires = claim
            .expires
            .as_ref()
            .map(|_| self.expires(claim, &time, now))
            .transpose()?;
        // One pass picks the signed headers out, notes which listed names it met, and notices
        // any x-amz-* header left unsigned.
        // Declared before `headers`, which borrows from it, so that it is dropped after it (the
        // list's destructor could see the names; clippy's suggestion does not compile).
        #[allow(clippy::needless_late_init)]
        let not_sent: Option<Vec<String>>;
        let mut headers: StackList<HeaderRef<'_>, 24> = StackList::new();
        let mut unsigned_amz = false;
        let mut seen = 0;
        for &(name, value) in request.headers() {
            if let Some(bit) = claim.signed_bit(name) {
                seen |= bit;
                headers.push(HeaderRef { name, value });
            } else {
                unsigned_amz |= name
                    .as_bytes()
                    .get(..6)
                    .is_some_and(|p| eq_lowercase(p, b"x-amz-"));
            }
        }
        if unsigned_amz || !claim.signs_host() {
            return Err(unsigned_headers_error(claim, request));
        }
        // A name listed but not sent is signed with an empty value, as AWS does (libs3 lists a
        // `transfer-encoding` it never sends). Not `host`: a signature must bind the host.
        not_sent = (!claim.sent_all(seen)).then(|| claim.names_not_sent(request));
        for name in not_sent.iter().flatten() {
            if name == "host" {
                return Err(AuthError::new(
                    ErrorCode::InvalidRequest,
                    "The request has no Host header: host must be sent, and signed.",
                ));
            }
            headers.push(HeaderRef { name, value: "" });
        }
        let found = self
            .store
            .lookup(claim.credential.access_key_id())
            .ok_or_else(|| {
                AuthError::new(
                    ErrorCode::InvalidAccessKeyId,
                    "The AWS Access Key Id you provided does not exist in our records.",
                )
                .with_detail(
                    "AWSAccessKeyId",
                    claim.credential.access_key_id().to_owned(),
                )
            })?;
        check_token(claim, &known, &found.credentials)?;
        let PayloadClaim {
            mode: payload,
            line: declared_line,
            declared,
        } = self.payload(claim, scope.s3_family, &known)?;
        // Without a declared hash the body's own hash is signed: with the body at hand, hash it
        // now, so the canonical request is built whole, once.
        let body_hash;
        let payload_hash = match (declared_line, body) {
            (Some(line), _) => Some(line),
            (None, Some([])) => Some(EMPTY_SHA256),
            (None, Some(body)) => {
                body_hash = Hex64::new(&crate::crypto::sha256(body));
                Some(body_hash.as_str())
            }
            (None, None) => None,
        };

        let (encoding, normalize) = self.path_rules(scope.service, scope.s3_family);
        let drop_signature =
            |key: &[u8]| claim.location == AuthLocation::Query && key == b"X-Amz-Signature";
        let (path, query) = request.path_and_query();
        let canonical = canonical::build(&Input {
            method: request.method(),
            path,
            encoding,
            normalize,
            query,
            drop_query_key: &drop_signature,
            extra_query: &[],
            headers: headers.as_slice(),
            payload_hash: payload_hash.unwrap_or(""),
        })
        .map_err(|e| AuthError::new(ErrorCode::InvalidArgument, e.to_string()))?;
        // The claim's list must be the canonical request's, so that what it says is signed is
        // what was signed.
        if canonical.signed_headers() != claim.signed_headers {
            return Err(signed_list_error(claim, canonical.signed_headers()));
        }

        let key = match claim.algorithm {
            Algorithm::HmacSha256 => KeyUsed::Hmac(self.cache.get_for(
                &found.credentials,
                scope.date,
                scope.region,
                scope.service,
            )),
            Algorithm::EcdsaP256Sha256 => KeyUsed::Ecdsa(
                self.cache
                    .ecdsa_key(&found.credentials)
                    .map_err(|e| AuthError::new(ErrorCode::InvalidAccessKeyId, e.to_string()))?,
            ),
        };
        let mut verified = Verified {
            algorithm: claim.algorithm,
            region_set: claim.region_set.as_deref().map(str::to_owned),
            credential: claim.credential.text().to_owned(),
            shape: claim.credential.shape(),
            data: found.data,
            time,
            location: claim.location,
            payload,
            expires,
            canonical_request: canonical,
            string_to_sign: String::new(),
        };
        // Compared as sent with the expected signature's hex: the signer writes that hex
        // anyway, and a 64-digit compare costs less than decoding what the client sent. Kept
        // (a copy) only when the check waits for the body.
        if payload_hash.is_none() {
            let provided = KeptSignature::of(&claim.signature);
            return Ok(Head {
                verified,
                key,
                body: BodyRule::SignatureAwaits(provided),
            });
        }
        check_signature(&mut verified, &key, claim.signature.as_bytes())?;
        let body = match (payload, declared) {
            (PayloadMode::Streaming(mode), _) => {
                let chain = match mode.chunk_algorithm() {
                    None => None,
                    Some(_) => {
                        // The signature matched, so it is its algorithm's hex: the seed.
                        let seed = ChunkSignature::from_hex(verified.algorithm, &claim.signature)
                            .ok_or_else(|| {
                            AuthError::new(
                                ErrorCode::SignatureDoesNotMatch,
                                "The request's signature cannot seed the chunk signatures.",
                            )
                        })?;
                        Some(SignatureChain::from_seed(
                            key.clone(),
                            verified.time,
                            verified.credential_scope(),
                            seed,
                        ))
                    }
                };
                BodyRule::Chunked(Box::new(ChunkedDecoder::from_request(
                    mode,
                    chain,
                    request,
                    self.chunk_limits,
                )?))
            }
            (_, Some(declared)) => BodyRule::HashTo(declared),
            (_, None) => BodyRule::Nothing,
        };
        Ok(Head {
            verified,
            key,
            body,
        })
    }

    /// Header authentication: the request time must be within the allowed skew of `now`.
    fn check_skew(
        &self,
        claim: &Claim<'_>,
        time: &SigningTime,
        now: SigningTime,
    ) -> Result<(), AuthError> {
        if claim.location == AuthLocation::Header
            && (time.unix_seconds() - now.unix_seconds()).abs() > self.skew_seconds
        {
            return Err(AuthError::new(
                ErrorCode::RequestTimeTooSkewed,
                "The difference between the request time and the current time is too large.",
            )
            .with_detail("RequestTime", time.amz_date())
            .with_detail("ServerTime", now.amz_date())
            .with_detail(
                "MaxAllowedSkewMilliseconds",
                (self.skew_seconds * 1000).to_string(),
            ));
        }
        Ok(())
    }

    fn check_scope(
        &self,
        claim: &Claim<'_>,
        scope: &ScopeFields<'_>,
        time: &SigningTime,
    ) -> Result<(), AuthError> {
        if scope.date.as_bytes() != time.date_bytes() {
            return Err(AuthError::new(
                claim.malformed(),
                format!(
                    "Invalid credential date '{}': it is not the date of the request ({}).",
                    crate::error::shown(scope.date),
                    time.date()
                ),
            ));
        }
        if claim.algorithm.uses_region_set() {
            self.check_region_set(claim)?;
        } else if !self.regions.allows(scope.region) {
            return Err(AuthError::new(
                claim.malformed(),
                format!(
                    "The authorization header is malformed; the region '{}' is wrong; expecting '{}'",
                    crate::error::shown(scope.region),
                    self.regions.expected()
                ),
            )
            .with_detail("Region", self.regions.expected()));
        }
        if !self.services.allows(scope.service) {
            return Err(AuthError::new(
                claim.malformed(),
                format!(
                    "Credential should be scoped to a valid service: '{}' is wrong; expecting '{}'.",
                    crate::error::shown(scope.service),
                    self.services.expected()
                ),
            ));
        }
        Ok(())
    }

    /// SigV4a: the region set must be sent, and name a region this verifier accepts, or `*`.
    fn check_region_set(&self, claim: &Claim<'_>) -> Result<(), AuthError> {
        let Some(set) = claim.region_set.as_deref() else {
            let where_ = match claim.location {
                AuthLocation::Header => "header",
                AuthLocation::Query => "query parameter",
            };
            return Err(AuthError::new(
                claim.malformed(),
                format!(
                    "{} signatures name their regions in the X-Amz-Region-Set {where_}, which the request lacks.",
                    claim.algorithm.describe()
                ),
            ));
        };
        let regions = || set.split(',').map(trim_blanks);
        if regions().any(str::is_empty) {
            return Err(AuthError::new(
                claim.malformed(),
                format!(
                    "X-Amz-Region-Set '{}' is not a ','-separated list of regions.",
                    crate::error::shown(set)
                ),
            ));
        }
        if regions().any(|r| r == "*") || regions().any(|r| self.regions.allows(r)) {
            return Ok(());
        }
        Err(AuthError::new(
            claim.malformed(),
            format!(
                "The region set '{}' holds no region this endpoint serves; expecting '{}'",
                crate::error::shown(set),
                self.regions.expected()
            ),
        )
        .with_detail("Region", self.regions.expected()))
    }

    fn expires(
        &self,
        claim: &Claim<'_>,
        time: &SigningTime,
        now: SigningTime,
    ) -> Result<u32, AuthError> {
        let raw = claim.expires.as_deref().unwrap_or_default();
        let seconds: u32 = match raw.parse::<u32>() {
            Ok(s) if raw.bytes().all(|b| b.is_ascii_digit()) => s,
            _ => {
                return Err(AuthError::new(
                    ErrorCode::AuthorizationQueryParametersError,
                    format!(
                        "X-Amz-Expires should be a number of seconds, not '{}'.",
                        crate::error::shown(raw)
                    ),
                ));
            }
        };
        if !(1..=crate::sign::MAX_EXPIRES_SECONDS).contains(&seconds) {
            return Err(AuthError::new(
                ErrorCode::AuthorizationQueryParametersError,
                format!(
                    "X-Amz-Expires must be between 1 and 604800 seconds (7 days), not {seconds}."
                ),
            ));
        }
        if time.unix_seconds() - now.unix_seconds() > self.skew_seconds {
            return Err(
                AuthError::new(ErrorCode::AccessDenied, "Request is not valid yet")
                    .with_detail("X-Amz-Date", time.amz_date())
                    .with_detail("ServerTime", now.amz_date()),
            );
        }
        if now.unix_seconds() > time.unix_seconds() + i64::from(seconds) {
            return Err(
                AuthError::new(ErrorCode::AccessDenied, "Request has expired")
                    .with_detail("X-Amz-Expires", seconds.to_string())
                    .with_detail("ServerTime", now.amz_date()),
            );
        }
        Ok(seconds)
    }

    /// How the payload is covered, read from `x-amz-content-sha256` and the policy.
    fn payload<'r>(
        &self,
        claim: &Claim<'_>,
        s3_family: bool,
        known: &KnownHeaders<'r>,
    ) -> Result<PayloadClaim<'r>, AuthError> {
        let declared = known.content_sha256.first.map(trim_blanks);
        if known.content_sha256.repeated {
            return Err(AuthError::new(
                ErrorCode::InvalidArgument,
                "Only one x-amz-content-sha256 header is allowed.",
            ));
        }
        let unsigned = || {
            if self.allow_unsigned_payload {
                Ok(PayloadClaim::marked(
                    PayloadMode::Unsigned,
                    UNSIGNED_PAYLOAD,
                ))
            } else {
                Err(AuthError::new(
                    ErrorCode::AccessDenied,
                    "Unsigned payloads (UNSIGNED-PAYLOAD) are not accepted here.",
                ))
            }
        };
        let body_hash = PayloadClaim {
            mode: PayloadMode::BodyHash,
            line: None,
            declared: None,
        };
        let chunk_signer = declared.and_then(Algorithm::of_signed_streaming_marker);
        if let Some(algorithm) = chunk_signer.filter(|a| !a.signs_chunks()) {
            return Err(streaming_not_implemented(algorithm));
        }
        // The chunks chain from the head's signature, so the same algorithm signs both.
        if let Some(algorithm) = chunk_signer.filter(|a| *a != claim.algorithm) {
            return Err(AuthError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "x-amz-content-sha256 {} is for chunks signed with {}, but the request is \
                     signed with {}.",
                    declared.unwrap_or_default(),
                    algorithm.describe(),
                    claim.algorithm.describe()
                ),
            ));
        }
        match declared {
            None if claim.location == AuthLocation::Query => {
                let unsigned_here = match self.presigned_payload {
                    PresignedPayload::ByService => s3_family,
                    PresignedPayload::Unsigned => true,
                    PresignedPayload::BodyHash => false,
                };
                if unsigned_here {
                    unsigned()
                } else {
                    Ok(body_hash)
                }
            }
            None if s3_family => Err(AuthError::new(
                ErrorCode::InvalidRequest,
                "Missing required header for this request: x-amz-content-sha256",
            )),
            None => Ok(body_hash),
            Some(UNSIGNED_PAYLOAD) => unsigned(),
            Some(marker) if chunk_signer.is_some() => Ok(PayloadClaim::marked(
                PayloadMode::Streaming(
                    StreamingMode::from_marker(marker).unwrap_or(StreamingMode::Signed),
                ),
                marker,
            )),
            Some(STREAMING_UNSIGNED_TRAILER) if self.allow_unsigned_payload => {
                Ok(PayloadClaim::marked(
                    PayloadMode::Streaming(StreamingMode::UnsignedWithTrailer),
                    STREAMING_UNSIGNED_TRAILER,
                ))
            }
            Some(STREAMING_UNSIGNED_TRAILER) => Err(AuthError::new(
                ErrorCode::AccessDenied,
                "Unsigned payloads (STREAMING-UNSIGNED-PAYLOAD-TRAILER) are not accepted here.",
            )),
            Some(line) => {
                // Decoded once, here: the body is checked against these bytes.
                let mut digest = [0u8; 32];
                if !encode::parse_lower_hex(line, &mut digest) {
                    return Err(AuthError::new(
                        ErrorCode::InvalidArgument,
                        format!(
                            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* marker or 64 lowercase hex digits, not '{}'.",
                            crate::error::shown(line)
                        ),
                    ));
                }
                Ok(PayloadClaim {
                    mode: PayloadMode::DeclaredSha256,
                    line: Some(line),
                    declared: Some(digest),
                })
            }
        }
    }
}

/// The refusal of an aws-chunked body whose chunk signatures this crate does not implement.
#[cold]
fn streaming_not_implemented(algorithm: Algorithm) -> AuthError {
    AuthError::new(
        ErrorCode::NotImplemented,
        format!(
            "aws-chunked bodies signed with {} are not supported yet.",
            algorithm.describe()
        ),
    )
}

/// A target with `#`: a fragment is never sent on the wire, so a request holding one was not
/// sent by an HTTP client, and what it signed is unclear (the part after `#`, or not).
#[cold]
fn fragment_error(target: &str) -> AuthError {
    AuthError::new(
        ErrorCode::InvalidRequest,
        format!(
            "The request target '{}' holds '#': a URL's fragment is never sent to a server.",
            crate::error::shown(target)
        ),
    )
}

/// The credential's scope, sliced once: the scope checks, the payload rules, the canonical
/// path and the key lookup each read it.
struct ScopeFields<'c> {
    date: &'c str,
    region: &'c str,
    service: &'c str,
    s3_family: bool,
}

impl<'c> ScopeFields<'c> {
    fn of(claim: &'c Claim<'_>) -> Self {
        let service = claim.credential.service();
        ScopeFields {
            date: claim.credential.date(),
            region: claim.credential.region(),
            service,
            s3_family: is_s3_family(service),
        }
    }
}

/// What the head says about the payload: its mode, the payload-hash line of the canonical
/// request when the head decides it, and a declared body hash to check the body against.
struct PayloadClaim<'r> {
    mode: PayloadMode,
    line: Option<&'r str>,
    declared: Option<[u8; 32]>,
}

impl<'r> PayloadClaim<'r> {
    /// A mode whose payload-hash line is a fixed marker (nothing to check the body against).
    fn marked(mode: PayloadMode, marker: &'r str) -> Self {
        PayloadClaim {
            mode,
            line: Some(marker),
            declared: None,
        }
    }
}
