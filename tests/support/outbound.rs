//! `allowed_outbound_hosts`, enforced the way Spin does.
//!
//! Each entry is `scheme://host[:port]`; `*` may stand for the scheme, the host
//! or the port, `*.example.com` for any subdomain, and a missing port means
//! the scheme's default (80 for http, 443 for https). A request is allowed when
//! one entry matches its scheme, host and port (the request's port also
//! defaulting from its scheme); otherwise the guest gets the wasi-http error
//! `HTTP-request-denied`, as from Spin. An entry that expands to nothing
//! (`""`, `http://`), or names a variable without a value, makes Spin 4.0.2 refuse
//! the whole list (`outbound-networking-config/src/allowed_hosts.rs`: only later
//! releases skip such an entry), so every request is denied. CIDR and port ranges, which
//! Spin also accepts, are rejected here so the harness never silently differs.
//! [`OutboundPolicy`] is the host's `wasi:http` hook that applies the list.

use http::Uri;
use hyper::body::Bytes;
use std::future::Future;
use std::sync::Arc;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::OutputStream;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

/// A parsed `allowed_outbound_hosts` list.
#[derive(Debug)]
pub struct AllowedHosts(Vec<Entry>);

#[derive(Debug)]
struct Entry {
    /// `None`: any scheme.
    scheme: Option<String>,
    host: HostPattern,
    /// `None`: any port.
    port: Option<u16>,
}

#[derive(Debug)]
enum HostPattern {
    Any,
    /// `*.example.com`, stored as `.example.com`.
    Subdomain(String),
    Exact(String),
}

impl AllowedHosts {
    /// Parses expanded entries; panics on a shape the harness does not model. One empty
    /// entry denies everything, as in Spin 4.0.2.
    pub fn parse(entries: &[String]) -> Self {
        let entries: Option<Vec<Entry>> = entries.iter().map(|e| parse_entry(e.trim())).collect();
        Self(entries.unwrap_or_default())
    }

    /// Whether a request to `uri` may leave the component.
    pub fn allows(&self, uri: &Uri) -> bool {
        let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let Some(port) = uri.port_u16().or_else(|| default_port(scheme)) else {
            return false;
        };
        self.0.iter().any(|entry| {
            entry.scheme.as_deref().is_none_or(|s| s == scheme)
                && entry.port.is_none_or(|p| p == port)
                && match &entry.host {
                    HostPattern::Any => true,
                    HostPattern::Subdomain(suffix) => host.ends_with(suffix.as_str()),
                    HostPattern::Exact(exact) => *exact == host,
                }
        })
    }
}

fn parse_entry(entry: &str) -> Option<Entry> {
    if entry.is_empty() || entry == "http://" || entry == "https://" {
        return None;
    }
    let (scheme, authority) = entry
        .split_once("://")
        .unwrap_or_else(|| panic!("{entry:?}: allowed host needs scheme://host[:port]"));
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !authority.ends_with(']') => (host, Some(port)),
        _ => (authority, None),
    };
    let port = match port {
        Some("*") => None,
        Some(port) => Some(
            port.parse()
                .unwrap_or_else(|_| panic!("{entry:?}: bad port")),
        ),
        None => Some(default_port(scheme).unwrap_or_else(|| panic!("{entry:?}: no port"))),
    };
    let host = host.to_ascii_lowercase();
    let host = match host.strip_prefix("*.") {
        _ if host == "*" => HostPattern::Any,
        Some(domain) => HostPattern::Subdomain(format!(".{domain}")),
        None if host.contains(['*', '/']) => panic!("{entry:?}: unsupported host pattern"),
        None => HostPattern::Exact(host),
    };
    Some(Entry {
        scheme: (scheme != "*").then(|| scheme.to_owned()),
        host,
        port,
    })
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// `wasi:http` hooks that refuse hosts outside `allowed_outbound_hosts`.
pub struct OutboundPolicy {
    pub allowed: Arc<AllowedHosts>,
    pub log: MemoryOutputPipe,
}

/// The future `WasiHttpHooks::send_request` returns: the response and its I/O driver.
type Sent =
    Box<dyn Future<Output = wasmtime_wasi_http::Result<(http::Response<WasiBody>, Io)>> + Send>;
type Io = Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Io,
    ) -> Sent {
        if !self.allowed.allows(request.uri()) {
            let note = format!("harness: outbound request denied: {}\n", request.uri());
            note_log(&self.log, &note);
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        wasmtime_wasi_http::default_hooks().send_request(request, options, fut)
    }
}

/// Appends a line of the host's own to the log tests read.
pub fn note_log(log: &MemoryOutputPipe, line: &str) {
    let _ = log.clone().write(Bytes::copy_from_slice(line.as_bytes()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::manifest::Manifest;

    fn allowed(entries: &[&str], uri: &str) -> bool {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        AllowedHosts::parse(&entries).allows(&uri.parse().unwrap())
    }

    #[test]
    fn outbound_exact_entries_match_scheme_host_and_port() {
        let list = ["http://127.0.0.1:8014"];
        assert!(allowed(&list, "http://127.0.0.1:8014/bucket/key?x=1"));
        assert!(!allowed(&list, "https://127.0.0.1:8014/"), "scheme differs");
        assert!(!allowed(&list, "http://127.0.0.1:8015/"), "port differs");
        assert!(!allowed(&list, "http://127.0.0.2:8014/"), "host differs");
        assert!(
            !allowed(&list, "http://127.0.0.1/"),
            "default port 80 differs"
        );
        assert!(!allowed(&list, "/relative"), "no scheme or host");
    }

    #[test]
    fn outbound_default_ports_and_wildcards() {
        assert!(allowed(
            &["https://s3.amazonaws.com"],
            "https://S3.amazonaws.com:443/"
        ));
        assert!(!allowed(
            &["https://s3.amazonaws.com"],
            "https://s3.amazonaws.com:8443/"
        ));
        assert!(allowed(
            &["https://*.amazonaws.com"],
            "https://b.s3.amazonaws.com/"
        ));
        assert!(!allowed(
            &["https://*.amazonaws.com"],
            "https://amazonaws.com.evil/"
        ));
        assert!(allowed(&["*://localhost:*"], "http://localhost:1234/"));
        assert!(allowed(&["http://*:8014"], "http://10.0.0.1:8014/"));
        assert!(
            !allowed(&[], "http://127.0.0.1:8014/"),
            "empty list denies all"
        );
        for empty in ["", "http://", "https://"] {
            assert!(
                !allowed(&["http://127.0.0.1:*", empty], "http://127.0.0.1/"),
                "{empty:?} denies every request, as in Spin 4.0.2"
            );
        }
    }

    #[test]
    fn outbound_manifest_entries_expand_from_the_s3_and_sns_variables() {
        let manifest = Manifest::load();
        let defaults = manifest.allowed_outbound_hosts(&Default::default());
        assert_eq!(
            defaults,
            [
                "http://127.0.0.1:8014",
                "https://sns.us-east-1.amazonaws.com",
                "https://dynamodb.us-east-1.amazonaws.com",
                "https://sqs.us-east-1.amazonaws.com",
                "https://sns.us-east-1.amazonaws.com",
                "https://sts.us-east-1.amazonaws.com",
            ]
        );
        let overrides = [
            ("s3_scheme".to_owned(), Some("https".to_owned())),
            (
                "s3_host".to_owned(),
                Some("s3.us-west-2.amazonaws.com".to_owned()),
            ),
        ]
        .into();
        let aws = AllowedHosts::parse(&manifest.allowed_outbound_hosts(&overrides));
        assert!(aws.allows(&"https://s3.us-west-2.amazonaws.com/b/k".parse().unwrap()));
        assert!(!aws.allows(&"http://127.0.0.1:8014/b/k".parse().unwrap()));
        let sns = [(
            "sns_cert_origin".to_owned(),
            Some("https://sns.eu-west-1.amazonaws.com".to_owned()),
        )]
        .into();
        let sns = AllowedHosts::parse(&manifest.allowed_outbound_hosts(&sns));
        assert!(sns.allows(
            &"https://sns.eu-west-1.amazonaws.com/cert.pem"
                .parse()
                .unwrap()
        ));
        // Only the configured regions' hosts: the certificate origin and the four endpoints.
        assert!(!sns.allows(
            &"https://sns.ap-south-1.amazonaws.com/cert.pem"
                .parse()
                .unwrap()
        ));
    }

    #[tokio::test]
    async fn outbound_policy_refuses_hosts_outside_the_list_with_request_denied() {
        use http_body_util::{BodyExt, Empty};
        use std::pin::Pin;
        let log = MemoryOutputPipe::new(1024);
        let mut policy = OutboundPolicy {
            allowed: Arc::new(AllowedHosts::parse(&["http://127.0.0.1:8014".into()])),
            log: log.clone(),
        };
        let body = Empty::<Bytes>::new().map_err(|never| match never {});
        let request = http::Request::get("http://127.0.0.1:8015/bucket/key")
            .body(body.boxed_unsync())
            .unwrap();
        let sent = policy.send_request(request, None, Box::new(async { Ok(()) }));
        let result = Pin::from(sent).await;
        assert!(matches!(
            result,
            Err(wasmtime_wasi_http::Error::HttpRequestDenied)
        ));
        assert_eq!(
            String::from_utf8_lossy(&log.contents()),
            "harness: outbound request denied: http://127.0.0.1:8015/bucket/key\n"
        );
    }
}
