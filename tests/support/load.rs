//! A small closed-loop load generator: N workers, each on its own keep-alive HTTP/1.1
//! connection, sending one request after another for a fixed time, recording status and
//! latency. What each worker sends and checks is the caller's (see `tests/load.rs`).

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// One keep-alive connection; reconnects if the server closed it.
pub struct Connection {
    addr: SocketAddr,
    sender: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>>,
}

/// A response, read whole.
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Body.
    pub body: Bytes,
    /// From sending the request to the end of the body.
    pub latency: Duration,
}

impl Connection {
    /// A connection to `addr` (opened on first use).
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, sender: None }
    }

    /// Sends `request` (a path-only URI) and reads the whole answer; `None` if the
    /// connection failed (counted by callers as a transport error).
    pub async fn send(&mut self, mut request: http::Request<Vec<u8>>) -> Option<Reply> {
        let host = http::HeaderValue::from_str(&self.addr.to_string()).unwrap();
        request.headers_mut().insert(http::header::HOST, host);
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(self.addr).await.ok()?;
            // As HTTP clients do: no Nagle delay on small requests.
            stream.set_nodelay(true).ok()?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .ok()?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut()?;
        sender.ready().await.ok()?;
        let started = Instant::now();
        let response = sender
            .send_request(request.map(|body| Full::new(Bytes::from(body))))
            .await
            .ok()?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.ok()?.to_bytes();
        Some(Reply {
            status,
            body,
            latency: started.elapsed(),
        })
    }
}

/// Latency percentiles and counts of a run.
#[derive(Debug, Default)]
pub struct Summary {
    /// Latencies of every answered request, sorted.
    pub latencies: Vec<Duration>,
    /// Requests that got no answer.
    pub transport_errors: usize,
}

impl Summary {
    /// Adds another worker's results.
    pub fn merge(&mut self, other: Summary) {
        self.latencies.extend(other.latencies);
        self.transport_errors += other.transport_errors;
    }

    /// The `q` quantile (0..=1) of the latencies.
    pub fn quantile(&mut self, q: f64) -> Duration {
        self.latencies.sort_unstable();
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[index]
    }
}

/// The resident memory of this process, in bytes (Linux), for "memory stays flat" checks.
pub fn resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<usize>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}
