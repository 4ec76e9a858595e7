//! A fault-injecting HTTP proxy in front of a real server (the S3 store): it forwards every
//! request unchanged (the `Host` header too, so signatures still verify), except those a
//! test scripted a fault for. It can also play a bucket's CORS rules, which s3s-fs lacks
//! ([`FaultProxy::allow_origin`]), for a browser talking to the store.

use futures::StreamExt;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does to one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answers this status and body itself; nothing reaches the server.
    Answer(u16, &'static str),
    /// Forwards, then breaks the connection after this many bytes of the answer's body.
    CutAnswer(usize),
    /// Forwards only this many bytes of the request body, then breaks both connections.
    CutRequest(usize),
    /// Waits this long before forwarding.
    Stall(Duration),
    /// Forwards with the request body's byte at this offset flipped (all its bits).
    FlipRequestByte(usize),
    /// Forwards, then passes the answer's body with the byte at this offset flipped.
    FlipAnswerByte(usize),
}

type Script = Arc<Mutex<VecDeque<(http::Method, Fault)>>>;

/// The one origin the bucket's CORS rules allow, if any.
/// The bucket's one CORS rule, when it has one: the origin, and the request headers it
/// allows (any case); the methods are GET, PUT and POST.
#[derive(Debug, Clone)]
struct CorsRule {
    origin: String,
    headers: Vec<String>,
}

type CorsOrigin = Arc<Mutex<Option<CorsRule>>>;

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    faults: Script,
    seen: Arc<Mutex<Vec<String>>>,
    cors: CorsOrigin,
    server: JoinHandle<()>,
}

type ProxyBody = UnsyncBoxBody<Bytes, std::io::Error>;

impl FaultProxy {
    /// Starts forwarding from `127.0.0.1:0` to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let faults = Script::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let cors = CorsOrigin::default();
        let (script, log, origin) = (faults.clone(), seen.clone(), cors.clone());
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (script, log, origin) = (script.clone(), log.clone(), origin.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let (script, log, origin) = (script.clone(), log.clone(), origin.clone());
                        async move {
                            let allowed = origin.lock().unwrap().clone();
                            match preflight(&request, allowed.as_ref()) {
                                Some(answer) => Ok::<_, std::io::Error>(answer),
                                None => {
                                    // S3 adds CORS headers only for an allowed Origin.
                                    let from = request.headers().get("origin").cloned();
                                    let cors = allowed
                                        .map(|rule| rule.origin)
                                        .filter(|a| from.is_some_and(|f| f == a));
                                    let answer = proxy(upstream, request, &script, &log).await?;
                                    Ok(with_cors(answer, cors.as_deref()))
                                }
                            }
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            faults,
            seen,
            cors,
            server,
        }
    }

    /// Answers like a bucket whose CORS rule lets `origin` `GET`, `PUT` and `POST` with the
    /// request `headers` listed and exposes `ETag`, as a browser uploading parts needs:
    /// preflights are answered here (403 from another origin, for another method, or asking
    /// for a header not listed, as S3 does), every answer forwarded gets the
    /// `Access-Control-*` headers.
    pub fn allow_origin(&self, origin: &str, headers: &[&str]) {
        *self.cors.lock().unwrap() = Some(CorsRule {
            origin: origin.to_owned(),
            headers: headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
        });
    }

    /// `host:port`, for the `s3_host` variable.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The next request with `method` suffers `fault` (faults apply in the order injected).
    pub fn inject(&self, method: http::Method, fault: Fault) {
        self.faults.lock().unwrap().push_back((method, fault));
    }

    /// Faults not yet applied.
    pub fn pending(&self) -> usize {
        self.faults.lock().unwrap().len()
    }

    /// Every request seen, as `METHOD /path?query`, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests seen start with `prefix` (e.g. `"PUT /"`).
    pub fn count(&self, prefix: &str) -> usize {
        self.seen().iter().filter(|r| r.starts_with(prefix)).count()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A CORS preflight's answer, when the bucket has CORS rules and this is one.
fn preflight(
    request: &hyper::Request<Incoming>,
    allowed: Option<&CorsRule>,
) -> Option<hyper::Response<ProxyBody>> {
    let rule = allowed?;
    let headers = request.headers();
    let method = headers.get("access-control-request-method")?;
    if request.method() != http::Method::OPTIONS {
        return None;
    }
    let text = |value: Option<&http::HeaderValue>| {
        value.and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
    };
    let asked = text(headers.get("access-control-request-headers"));
    let asked_allowed = asked
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .all(|h| rule.headers.contains(&h));
    let matches = text(headers.get("origin")) == rule.origin
        && ["GET", "PUT", "POST"].contains(&text(Some(method)).as_str())
        && asked_allowed;
    let mut answer = hyper::Response::builder().status(if matches { 200 } else { 403 });
    if matches {
        answer = answer
            .header("access-control-allow-origin", &rule.origin)
            .header("access-control-allow-methods", "GET, PUT, POST")
            .header("access-control-max-age", "600")
            .header("vary", "Origin");
        if !asked.is_empty() {
            answer = answer.header("access-control-allow-headers", asked);
        }
    }
    let empty = Full::new(Bytes::new()).map_err(io_error).boxed_unsync();
    Some(answer.body(empty).unwrap())
}

/// An answer with the CORS headers S3 adds for an allowed origin.
fn with_cors(
    mut answer: hyper::Response<ProxyBody>,
    allowed: Option<&str>,
) -> hyper::Response<ProxyBody> {
    if let Some(origin) = allowed {
        let headers = answer.headers_mut();
        headers.insert("access-control-allow-origin", origin.parse().unwrap());
        headers.insert("access-control-expose-headers", "ETag".parse().unwrap());
        headers.insert("vary", "Origin".parse().unwrap());
    }
    answer
}

fn io_error(err: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(err.to_string())
}

/// A body that breaks after `limit` bytes: what fits is sent (and given time to reach the
/// client, so the answer's head is out), then the body fails and the connection with it.
fn cut<B>(body: B, limit: usize) -> ProxyBody
where
    B: hyper::body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    enum Phase {
        Passing(usize),
        Breaking,
        Done,
    }
    let stream = futures::stream::unfold(
        (body.into_data_stream(), Phase::Passing(limit)),
        |(mut data, phase)| async move {
            match phase {
                Phase::Done => None,
                Phase::Breaking => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Some((Err(io_error("cut by the fault proxy")), (data, Phase::Done)))
                }
                Phase::Passing(left) => match data.next().await? {
                    Err(err) => Some((Err(io_error(err)), (data, Phase::Done))),
                    Ok(chunk) if chunk.len() >= left => Some((
                        Ok(Frame::data(chunk.slice(..left))),
                        (data, Phase::Breaking),
                    )),
                    Ok(chunk) => {
                        let left = left - chunk.len();
                        Some((Ok(Frame::data(chunk)), (data, Phase::Passing(left))))
                    }
                },
            }
        },
    );
    StreamBody::new(stream).boxed_unsync()
}

/// A body with the byte at `offset` inverted on its way through.
fn flip<B>(body: B, offset: usize) -> ProxyBody
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    let stream = body.into_data_stream().scan(0usize, move |seen, chunk| {
        let chunk = chunk.map(|chunk| {
            let start = *seen;
            *seen += chunk.len();
            if (start..*seen).contains(&offset) {
                let mut bytes = chunk.to_vec();
                bytes[offset - start] ^= 0xff;
                Bytes::from(bytes)
            } else {
                chunk
            }
        });
        futures::future::ready(Some(chunk.map(Frame::data).map_err(io_error)))
    });
    StreamBody::new(stream).boxed_unsync()
}

async fn proxy(
    upstream: SocketAddr,
    request: hyper::Request<Incoming>,
    script: &Script,
    log: &Mutex<Vec<String>>,
) -> Result<hyper::Response<ProxyBody>, std::io::Error> {
    let line = format!(
        "{} {}",
        request.method(),
        request.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    log.lock().unwrap().push(line);
    let fault = {
        let mut script = script.lock().unwrap();
        match script.front() {
            Some((method, _)) if method == request.method() => script.pop_front().map(|(_, f)| f),
            _ => None,
        }
    };
    let (parts, body) = request.into_parts();
    let body = match &fault {
        Some(Fault::Answer(status, text)) => {
            // Read what was sent, as a server answering an error would, then answer.
            let _ = body.collect().await;
            let response = hyper::Response::builder()
                .status(*status)
                .header("content-type", "application/xml")
                .header("x-amz-request-id", "FAULTPROXY")
                .body(
                    Full::new(Bytes::from_static(text.as_bytes()))
                        .map_err(io_error)
                        .boxed_unsync(),
                )
                .unwrap();
            return Ok(response);
        }
        Some(Fault::Stall(pause)) => {
            tokio::time::sleep(*pause).await;
            body.map_err(io_error).boxed_unsync()
        }
        Some(Fault::CutRequest(limit)) => cut(body, *limit),
        Some(Fault::FlipRequestByte(offset)) => flip(body, *offset),
        _ => body.map_err(io_error).boxed_unsync(),
    };
    let stream = TcpStream::connect(upstream).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io_error)?;
    tokio::spawn(connection);
    let response = sender
        .send_request(hyper::Request::from_parts(parts, body))
        .await
        .map_err(io_error)?;
    let (parts, body) = response.into_parts();
    let body = match fault {
        Some(Fault::CutAnswer(limit)) => cut(body, limit),
        Some(Fault::FlipAnswerByte(offset)) => flip(body, offset),
        _ => body.map_err(io_error).boxed_unsync(),
    };
    Ok(hyper::Response::from_parts(parts, body))
}
