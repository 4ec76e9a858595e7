//! End-to-end overhead of the component (issue 7, items 5 and 6): the same requests through
//! the built component in the wasmtime test host and sent directly to the store (signed by
//! spinlift's signer natively), in one run, on loopback.
//!
//! 1. Small objects: 1 KiB GET and 1 KiB PUT, each for `E2E_SECONDS` (default 10) at 16
//!    keep-alive connections: requests per second, p50, p99, and component / direct.
//! 2. Streaming: a 1 GiB PUT and GET, through the component and directly: MiB/s, and the
//!    component's peak linear memory. The direct PUT is measured twice: as one streamed PUT,
//!    and as the multipart upload of 8 MiB signed parts the component makes of it (as the AWS
//!    CLI does above its 8 MiB threshold); the component's PUT twice too: by default, and with
//!    `s3_multipart_threshold_mib` raised so that it streams one PUT.
//! 3. Checksums: every component row twice, as configured by default (`s3_checksums =
//!    when_supported`: a CRC64NVME on every upload, every download checked) and with `off`.
//! 4. Chunk signing: the streamed PUT also with unsigned chunks and an unsigned checksum
//!    trailer (`s3_chunk_signing = unsigned`, what `auto` picks over https).
//!
//! Needs s3s-fs (`S3S_FS_BIN`, installed by `scripts/test`); `scripts/bench` runs it with
//! `cargo run --release --example e2e_bench`, a release-built host as Spin's is (an example,
//! not a bench, so it is not rebuilt for `cargo bench`).

#[path = "../tests/support/mod.rs"]
mod support;

use spinlift::client::upload::PART_SIZE;
use spinlift::config::{S3Config, Scheme};
use spinlift::s3::{
    Bucket, CompleteMultipartUpload, CompletedPart, CreateMultipartUpload, ObjectKey, UploadPart,
};
use spinlift::sigv4::{Credentials, Payload, Signer, SigningTime};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::host::Host;
use support::load::{Connection, Summary};
use support::s3_store::{S3Store, ACCESS_KEY, BUCKET, SECRET_KEY};

const CONNECTIONS: usize = 16;
const SMALL: usize = 1024;
const LARGE: usize = 1 << 30;

/// Who the requests go to.
#[derive(Clone, Copy)]
enum Target {
    Component,
    Direct,
}

/// Builds requests for either target: the API's for the component, signed S3 ones directly.
#[derive(Clone)]
struct Requests {
    store: SocketAddr,
    signer: Arc<Signer>,
    bucket: Arc<Bucket>,
}

impl Requests {
    fn new(store: SocketAddr) -> Self {
        let config = S3Config {
            bucket: BUCKET.into(),
            scheme: Scheme::Http,
            host: store.to_string(),
            path_style: true,
        };
        Self {
            store,
            signer: Arc::new(Signer::new(Credentials {
                access_key_id: ACCESS_KEY.into(),
                secret_access_key: SECRET_KEY.into(),
                session_token: None,
            })),
            bucket: Arc::new(Bucket::new(&config, "us-east-1")),
        }
    }

    fn build(
        &self,
        target: Target,
        method: &str,
        key: &str,
        body: Vec<u8>,
    ) -> http::Request<Vec<u8>> {
        match target {
            Target::Component => http::Request::builder()
                .method(method)
                .uri(format!("/objects/{key}"))
                .header("authorization", "Bearer dev-api-token")
                .body(body)
                .unwrap(),
            Target::Direct => {
                let uri = format!("http://{}/{BUCKET}/{key}", self.store);
                let mut request = http::Request::builder()
                    .method(method)
                    .uri(uri)
                    .header("content-length", body.len())
                    .body(body)
                    .unwrap();
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                self.bucket
                    .sign(
                        &mut request,
                        Payload::Unsigned,
                        &self.signer,
                        SigningTime::from_unix_seconds(now),
                    )
                    .unwrap();
                // Origin-form on the wire, as the component's host sends it.
                let path = request.uri().path_and_query().unwrap().as_str().to_owned();
                *request.uri_mut() = path.parse().unwrap();
                request
            }
        }
    }
}

impl Requests {
    /// Sends `request` (absolute URI) to the store signed with its body's hash, as the
    /// component signs buffered requests.
    async fn send_signed(&self, mut request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        let length = request.body().len();
        request
            .headers_mut()
            .entry(http::header::CONTENT_LENGTH)
            .or_insert(length.into());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let body = request.body().clone();
        self.bucket
            .sign(
                &mut request,
                Payload::Bytes(&body),
                &self.signer,
                SigningTime::from_unix_seconds(now),
            )
            .unwrap();
        support::s3_store::send(request).await
    }

    /// Uploads `body` directly as the component does a large body: a multipart upload of
    /// [`PART_SIZE`] parts, each hashed and signed, sent one after another.
    async fn multipart(&self, key: &str, body: &[u8]) -> Duration {
        let started = Instant::now();
        let key = ObjectKey::new(key).unwrap();
        let bucket = &self.bucket;
        let create = CreateMultipartUpload {
            key: &key,
            content_type: None,
            metadata: vec![],
            checksum: None,
        };
        let answer = self
            .send_signed(create.request(bucket).map(|()| Vec::new()))
            .await;
        let upload_id =
            CreateMultipartUpload::parse_response(answer.status(), answer.headers(), answer.body())
                .unwrap();
        let mut parts = Vec::new();
        for (i, bytes) in body.chunks(PART_SIZE).enumerate() {
            let part_number = u16::try_from(i + 1).unwrap();
            let upload = UploadPart {
                key: &key,
                upload_id: &upload_id,
                part_number,
                content_length: bytes.len() as u64,
                checksum: None,
            };
            let answer = self
                .send_signed(upload.request(bucket).map(|()| bytes.to_vec()))
                .await;
            let etag = UploadPart::parse_response(answer.status(), answer.headers(), answer.body())
                .unwrap();
            parts.push(CompletedPart {
                part_number,
                etag,
                checksum: None,
            });
        }
        let complete = CompleteMultipartUpload {
            key: &key,
            upload_id: &upload_id,
            parts: &parts,
            condition: None,
            checksum: None,
        };
        let answer = self.send_signed(complete.request(bucket)).await;
        CompleteMultipartUpload::parse_response(answer.status(), answer.headers(), answer.body())
            .unwrap();
        started.elapsed()
    }
}

/// `CONNECTIONS` closed loops of `method` on 1 KiB objects for `seconds`.
async fn small(
    addr: SocketAddr,
    target: Target,
    requests: &Requests,
    method: &'static str,
    seconds: u64,
) -> (f64, Summary) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|worker| {
            let (stop, requests) = (stop.clone(), requests.clone());
            tokio::spawn(async move {
                let mut connection = Connection::new(addr);
                let mut summary = Summary::default();
                let key = format!("bench/{worker}");
                while !stop.load(Ordering::Relaxed) {
                    let body = if method == "PUT" {
                        vec![7u8; SMALL]
                    } else {
                        Vec::new()
                    };
                    let request = requests.build(target, method, &key, body);
                    if matches!(target, Target::Direct) {
                        // A connection per request, as the component's own calls to the store
                        // have: s3s-fs does not disable Nagle, and on a kept-alive connection
                        // its GET answers wait out the client's delayed ACK (40 ms).
                        connection = Connection::new(addr);
                    }
                    match connection.send(request).await {
                        Some(reply) if reply.status < 300 => summary.latencies.push(reply.latency),
                        Some(reply) => panic!("{method} answered {}", reply.status),
                        None => summary.transport_errors += 1,
                    }
                }
                summary
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut summary = Summary::default();
    for worker in workers {
        summary.merge(worker.await.unwrap());
    }
    let rate = summary.latencies.len() as f64 / started.elapsed().as_secs_f64();
    assert_eq!(summary.transport_errors, 0);
    (rate, summary)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // Compile the component as Spin does (optimized), not as the tests do.
    std::env::set_var("SPINLIFT_HOST_OPTIMIZE", "1");
    let seconds: u64 = std::env::var("E2E_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let store = S3Store::start();
    // The component as configured by default (checksums on every upload and download), and
    // with `s3_checksums = off`: the cost of the checksums is the difference.
    let modes = [("", "when_supported"), (", checksums off", "off")];
    let mut hosts = Vec::new();
    for (label, mode) in modes {
        let host = Host::builder()
            .s3_store(&store.host())
            .var("s3_checksums", mode)
            .start()
            .await;
        hosts.push((label, host));
    }
    let requests = Requests::new(store.addr);

    // Objects for the GETs, one per connection, put through the component so that they have
    // the CRC64NVME a checked GET verifies.
    let mut seed = Connection::new(hosts[0].1.addr());
    for worker in 0..CONNECTIONS {
        let put = requests.build(
            Target::Component,
            "PUT",
            &format!("bench/{worker}"),
            vec![7u8; SMALL],
        );
        assert_eq!(seed.send(put).await.unwrap().status, 201);
    }

    println!("| 1 KiB, {CONNECTIONS} connections, {seconds} s | direct req/s | component req/s | component / direct | direct p50 / p99 | component p50 / p99 | added p99 |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for method in ["GET", "PUT"] {
        let (direct_rate, mut direct) =
            small(store.addr, Target::Direct, &requests, method, seconds).await;
        let (d50, d99) = (direct.quantile(0.5), direct.quantile(0.99));
        for (label, host) in &hosts {
            let (component_rate, mut component) =
                small(host.addr(), Target::Component, &requests, method, seconds).await;
            let (c50, c99) = (component.quantile(0.5), component.quantile(0.99));
            println!(
                "| {method}{label} | {direct_rate:.0} | {component_rate:.0} | {:.0}% | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.2} ms |",
                100.0 * component_rate / direct_rate,
                ms(d50), ms(d99), ms(c50), ms(c99), ms(c99.saturating_sub(d99)),
            );
        }
    }

    // Streaming: 1 GiB up and down, each through a fresh host so its peak memory is its own.
    let body: Vec<u8> = (0..LARGE).map(|i| (i % 251) as u8).collect();
    let mib = LARGE as f64 / f64::from(1 << 20);
    let mut rows = Vec::new();
    for (name, target, mode) in [
        ("direct", Target::Direct, "off"),
        ("component", Target::Component, "when_supported"),
        ("component, checksums off", Target::Component, "off"),
    ] {
        // A host only for the component's rows: the direct row talks to the store alone.
        let streamer = match target {
            Target::Direct => None,
            Target::Component => Some(
                Host::builder()
                    .s3_store(&store.host())
                    .var("s3_checksums", mode)
                    .start()
                    .await,
            ),
        };
        let addr = streamer.as_ref().map_or(store.addr, Host::addr);
        let key = format!("bench/large-{}", rows.len());
        let mut connection = Connection::new(addr);
        let put = connection
            .send(requests.build(target, "PUT", &key, body.clone()))
            .await
            .unwrap();
        assert!(put.status < 300, "PUT {name}: {}", put.status);
        // Linear memory only grows: read after the PUT, it is the upload's own peak.
        let after_put = streamer.as_ref().map(Host::peak_memory);
        let get = connection
            .send(requests.build(target, "GET", &key, Vec::new()))
            .await
            .unwrap();
        assert!(
            get.status == 200 && get.body.len() == LARGE,
            "GET {name}: {}",
            get.status
        );
        assert!(get.body[..] == body[..], "GET {name}: other bytes");
        let memory = match (after_put, &streamer) {
            (Some(after_put), Some(streamer)) => format!(
                "{:.1} / {:.1} MiB",
                after_put as f64 / f64::from(1 << 20),
                streamer.peak_memory() as f64 / f64::from(1 << 20)
            ),
            _ => "-".to_owned(),
        };
        rows.push((
            name,
            mib / put.latency.as_secs_f64(),
            mib / get.latency.as_secs_f64(),
            memory,
        ));
    }
    let in_parts = mib
        / requests
            .multipart("bench/large-direct-parts", &body)
            .await
            .as_secs_f64();
    // The same upload through a component that streams known lengths up to 2 GiB as one PUT:
    // with its chunks signed (the default over http, as here), with checksums off, and with
    // unsigned chunks and the checksum in an unsigned trailer (the default over https, where
    // TLS guards the bytes in transit): what leaving out the chunk signatures saves.
    let mut streamed = Vec::new();
    for (label, mode, chunks) in [
        ("", "when_supported", "auto"),
        (", checksums off", "off", "auto"),
        (
            ", unsigned chunks (https's default)",
            "when_supported",
            "unsigned",
        ),
    ] {
        let streaming = Host::builder()
            .s3_store(&store.host())
            .var("s3_multipart_threshold_mib", "2048")
            .var("s3_checksums", mode)
            .var("s3_chunk_signing", chunks)
            .start()
            .await;
        let put = Connection::new(streaming.addr())
            .send(requests.build(
                Target::Component,
                "PUT",
                "bench/large-streamed",
                body.clone(),
            ))
            .await
            .unwrap();
        assert!(put.status < 300, "streamed PUT: {}", put.status);
        let memory = streaming.peak_memory() as f64 / f64::from(1 << 20);
        streamed.push((label, mib / put.latency.as_secs_f64(), memory));
    }
    println!();
    println!(
        "| 1 GiB | PUT MiB/s | GET MiB/s | component linear memory peak: PUT / PUT then GET |"
    );
    println!("| --- | ---: | ---: | ---: |");
    for (name, put, get, memory) in &rows {
        println!("| {name} | {put:.0} | {get:.0} | {memory} |");
    }
    println!("| direct, 8 MiB signed parts | {in_parts:.0} | | - |");
    for (label, put, memory) in &streamed {
        println!(
            "| component{label}, `s3_multipart_threshold_mib` 2048: one streamed PUT | {put:.0} | | {memory:.1} MiB |"
        );
    }
    let direct = &rows[0];
    for (name, put, get, _) in &rows[1..] {
        println!(
            "| {name} / direct | {:.0}% | {:.0}% | |",
            100.0 * put / direct.1,
            100.0 * get / direct.2
        );
        println!(
            "| {name} / direct in parts | {:.0}% | | |",
            100.0 * put / in_parts
        );
    }
    for (label, put, _) in &streamed {
        println!(
            "| component{label} streaming / direct | {:.0}% | | |",
            100.0 * put / direct.1
        );
    }
}
