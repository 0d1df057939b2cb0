//! Sending a signed request: one HTTP/1.1 connection (TCP or rustls), the target sent byte for
//! byte as signed, the body streamed.
//!
//! hyper's connection API rather than a URL-based client: URL types re-encode and normalize
//! paths, and a path changed after signing is a `SignatureDoesNotMatch`.

use std::future::Future;
use std::io::Read;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use canreq::chunked::ChunkedEncoder;

use crate::body::{self, Body, Progress};
use crate::error::CliError;
use crate::resolve::Prepared;

/// TLS and timeout options.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Extra PEM CA certificates to trust (e.g. a local server's self-signed certificate);
    /// `AWS_CA_BUNDLE` when not given.
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for the TCP connection and TLS handshake.
    pub connect_timeout: u64,
    /// Longest wait without a byte either way once connected (`None`: no limit).
    pub read_timeout: Option<Duration>,
    /// Accept any server certificate (curl's `-k`).
    pub insecure: bool,
}

/// The request body as hyper sees it: in memory, or pieces read from a file by a thread.
pub struct OutBody {
    inner: OutInner,
}

enum OutInner {
    Full(Option<Bytes>),
    Channel {
        rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
        len: u64,
    },
}

impl hyper::body::Body for OutBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match &mut self.inner {
            OutInner::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            OutInner::Channel { rx, .. } => rx
                .poll_recv(cx)
                .map(|piece| piece.map(|r| r.map(Frame::data))),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            OutInner::Full(Some(d)) => SizeHint::with_exact(d.len() as u64),
            OutInner::Full(None) => SizeHint::with_exact(0),
            OutInner::Channel { len, .. } => SizeHint::with_exact(*len),
        }
    }
}

impl OutBody {
    /// A body for `body`; a file is read on a blocking thread in pieces, with a progress bar.
    pub fn new(body: &Body) -> Result<OutBody, CliError> {
        Ok(OutBody {
            inner: match body {
                Body::Empty => OutInner::Full(None),
                Body::Bytes(b) => OutInner::Full(Some(Bytes::copy_from_slice(b))),
                Body::File { path, len, .. } => {
                    let mut file = body::open(path)?;
                    let (tx, rx) = mpsc::channel(4);
                    let total = *len;
                    std::thread::spawn(move || {
                        let mut progress = Progress::new("uploading", total);
                        let mut sent = 0u64;
                        loop {
                            let mut buf = vec![0u8; body::PIECE];
                            match file.read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => {
                                    buf.truncate(n);
                                    sent += n as u64;
                                    progress.update(sent);
                                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                                        break;
                                    }
                                }
                                Err(e) => {
                                    let _ = tx.blocking_send(Err(e));
                                    break;
                                }
                            }
                        }
                        progress.done();
                    });
                    OutInner::Channel { rx, len: total }
                }
            },
        })
    }
}

impl OutBody {
    /// The body framed as aws-chunked. A file is read once, one chunk at a time, on a blocking
    /// thread; each chunk goes out as size line, data and CRLF without being copied.
    pub fn chunked(body: &Body, mut encoder: ChunkedEncoder) -> Result<OutBody, CliError> {
        let plan = encoder.plan();
        let (path, len) = match body {
            Body::File { path, len, .. } => (path.clone(), *len),
            Body::Empty | Body::Bytes(_) => {
                let data = match body {
                    Body::Bytes(b) => b.as_slice(),
                    _ => &[],
                };
                let mut wire = Vec::with_capacity(plan.encoded_length(data.len() as u64) as usize);
                encoder.push(data, &mut wire);
                encoder.finish(&mut wire);
                return Ok(OutBody {
                    inner: OutInner::Full(Some(Bytes::from(wire))),
                });
            }
        };
        let mut file = body::open(&path)?;
        let (tx, rx) = mpsc::channel(8);
        std::thread::spawn(move || {
            let mut progress = Progress::new("uploading", len);
            let mut sent = 0u64;
            let send = |piece: Result<Bytes, std::io::Error>| tx.blocking_send(piece).is_ok();
            loop {
                let mut chunk = vec![0u8; plan.chunk_size()];
                let n = match read_full(&mut file, &mut chunk) {
                    Ok(n) => n,
                    Err(e) => {
                        send(Err(e));
                        return;
                    }
                };
                if n == 0 {
                    break;
                }
                chunk.truncate(n);
                sent += n as u64;
                let line = match encoder.frame(&chunk) {
                    Ok(line) => Bytes::copy_from_slice(line.as_bytes()),
                    Err(e) => {
                        send(Err(std::io::Error::other(e)));
                        return;
                    }
                };
                if !(send(Ok(line))
                    && send(Ok(Bytes::from(chunk)))
                    && send(Ok(Bytes::from_static(b"\r\n"))))
                {
                    return;
                }
                progress.update(sent);
            }
            progress.done();
            if sent != len {
                send(Err(std::io::Error::other(format!(
                    "{} changed size while being sent ({len} then {sent} bytes)",
                    path.display()
                ))));
                return;
            }
            let mut end = Vec::new();
            encoder.finish(&mut end);
            send(Ok(Bytes::from(end)));
        });
        Ok(OutBody {
            inner: OutInner::Channel {
                rx,
                len: plan.encoded_length(len),
            },
        })
    }
}

/// Reads until `buf` is full or the file ends; the count read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Opens a connection to the request's host and sends it; the response body is left to read.
pub async fn send(
    prepared: &Prepared,
    chunked: Option<ChunkedEncoder>,
    options: &ClientOptions,
) -> Result<hyper::Response<Incoming>, CliError> {
    let url = &prepared.url;
    let address = (url.bare_host().to_owned(), url.port);
    let timeout = Duration::from_secs(options.connect_timeout.max(1));
    let where_ = format!("{}:{}", url.host, url.port);
    let tcp = tokio::time::timeout(timeout, TcpStream::connect(address))
        .await
        .map_err(|_| {
            CliError::timeout(format!(
                "connecting to {where_} timed out after {} s (--connect-timeout)",
                timeout.as_secs()
            ))
        })?
        .map_err(|e| CliError::network(format!("cannot connect to {where_}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let tcp = Idle::new(tcp, options.read_timeout);

    let mut builder = hyper::Request::builder()
        .method(prepared.method.as_str())
        .uri(prepared.url.target.as_str());
    for (name, value) in &prepared.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let request = builder
        .body(match chunked {
            Some(encoder) => OutBody::chunked(&prepared.body, encoder)?,
            None => OutBody::new(&prepared.body)?,
        })
        .map_err(|e| CliError::usage(format!("cannot build the HTTP request: {e}")))?;

    if prepared.is_tls() {
        let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config(options)?));
        let name = rustls::pki_types::ServerName::try_from(url.bare_host().to_owned())
            .map_err(|e| CliError::usage(format!("{} is not a TLS server name: {e}", url.host)))?;
        let tls = tokio::time::timeout(timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| CliError::timeout(format!("TLS handshake with {where_} timed out")))?
            .map_err(|e| {
                let hint = if options.insecure {
                    ""
                } else {
                    " (--cacert FILE or AWS_CA_BUNDLE trusts a private CA; -k skips the check)"
                };
                failure(&e, &format!("TLS handshake with {where_} failed{hint}"))
            })?;
        exchange(TokioIo::new(tls), request, &where_).await
    } else {
        exchange(TokioIo::new(tcp), request, &where_).await
    }
}

/// An I/O failure as the user's error: a timeout (exit 28, as curl) when the connection was
/// idle too long, else a network failure.
pub fn failure(e: &(dyn std::error::Error + 'static), what: &str) -> CliError {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return CliError::timeout(format!("{what}: {io}"));
        }
        cause = c.source();
    }
    CliError::network(format!("{what}: {e}"))
}

/// A stream that fails with `TimedOut` when no byte has gone either way for a while: a
/// server that accepts and never answers (or stops halfway) cannot hang the command. Writes
/// count, so a long upload is not idle.
struct Idle<S> {
    inner: S,
    limit: Option<Duration>,
    last: tokio::time::Instant,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl<S> Idle<S> {
    fn new(inner: S, limit: Option<Duration>) -> Self {
        let now = tokio::time::Instant::now();
        Idle {
            inner,
            limit,
            last: now,
            timer: Box::pin(tokio::time::sleep_until(now)),
        }
    }

    /// Pending until the limit has passed since the last byte, then the error.
    fn expired(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Error> {
        let Some(limit) = self.limit else {
            return Poll::Pending;
        };
        let deadline = self.last + limit;
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        self.timer.as_mut().poll(cx).map(|()| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "nothing received for {} s (--read-timeout)",
                    limit.as_secs_f64()
                ),
            )
        })
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Idle<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    self.last = tokio::time::Instant::now();
                }
                Poll::Ready(result)
            }
            Poll::Pending => self.expired(cx).map(Err),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Idle<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, data) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.last = tokio::time::Instant::now();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.expired(cx).map(Err),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn exchange<T>(
    io: T,
    request: hyper::Request<OutBody>,
    where_: &str,
) -> Result<hyper::Response<Incoming>, CliError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .title_case_headers(false)
        .handshake(io)
        .await
        .map_err(|e| failure(&e, &format!("HTTP handshake with {where_} failed")))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
        .send_request(request)
        .await
        .map_err(|e| failure(&e, &format!("request to {where_} failed")))
}

pub fn tls_config(options: &ClientOptions) -> Result<rustls::ClientConfig, CliError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    if options.insecure {
        let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| CliError::usage(format!("TLS setup failed: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        return Ok(config);
    }
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    let bundle = std::env::var_os("AWS_CA_BUNDLE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    if let Some(path) = options.ca_file.as_ref().or(bundle.as_ref()) {
        let pem = std::fs::read(path)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
        let mut added = 0;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| {
                CliError::usage(format!("{} is not a PEM certificate: {e}", path.display()))
            })?;
            roots
                .add(cert)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
            added += 1;
        }
        if added == 0 {
            return Err(CliError::usage(format!(
                "{} holds no certificate",
                path.display()
            )));
        }
    }
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::usage(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// `-k`: every certificate accepted, the handshake's signatures still checked (they prove the
/// server holds the key of the certificate it sent, whoever issued it).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Reads a whole response body, up to `limit` bytes.
pub async fn read_limited(body: &mut Incoming, limit: usize) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| failure(&e, "reading the response failed"))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(CliError::network(format!(
                    "the response body is over {limit} bytes"
                )));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}
