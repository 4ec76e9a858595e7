//! Load: 64 concurrent keep-alive connections of mixed GET/PUT/LIST through the built
//! component (in the wasmtime test host) against the real store, for 60 s
//! (`SPINLIFT_LOAD_SECONDS` to change it). Asserted: no 5xx and no transport error, no lost
//! write (every acknowledged PUT reads back with the same bytes, through the component during
//! the run and from the store's files after it), and the host's memory flat after warm-up.
//! The figures (requests, percentiles, memory) are printed; BENCHMARKS.md reports them.
//!
//! Its own test binary, so that no other test's allocations move the memory figures.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::host::Host;
use support::load::{resident_bytes, Connection, Summary};
use support::s3_store::S3Store;

const WORKERS: usize = 64;
const KEYS_PER_WORKER: usize = 8;
const TOKEN: &str = "dev-api-token";

fn seconds() -> u64 {
    std::env::var("SPINLIFT_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

fn request(method: &str, path: &str, body: Vec<u8>) -> http::Request<Vec<u8>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(body)
        .unwrap()
}

/// What one worker saw and what it wrote last to each of its keys.
struct WorkerResult {
    summary: Summary,
    statuses: HashMap<u16, usize>,
    acknowledged: HashMap<String, Vec<u8>>,
    mismatches: Vec<String>,
}

/// A worker owns its keys (`load/w<id>/k<n>`), so it knows what each must hold.
async fn worker(id: usize, addr: std::net::SocketAddr, stop: Arc<AtomicBool>) -> WorkerResult {
    let mut connection = Connection::new(addr);
    let mut result = WorkerResult {
        summary: Summary::default(),
        statuses: HashMap::new(),
        acknowledged: HashMap::new(),
        mismatches: Vec::new(),
    };
    let mut n: usize = id * 7919;
    while !stop.load(Ordering::Relaxed) {
        n = n
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let key = format!("load/w{id}/k{}", (n >> 33) % KEYS_PER_WORKER);
        let choice = (n >> 40) % 10;
        let (method, path, body) = if choice < 4 || result.acknowledged.is_empty() {
            let size = 256 + (n >> 20) % 3840;
            let body: Vec<u8> = (0..size).map(|i| (i ^ n >> 13) as u8).collect();
            ("PUT", format!("/objects/{key}"), body)
        } else if choice < 8 {
            ("GET", format!("/objects/{key}"), Vec::new())
        } else {
            ("GET", format!("/objects?prefix=load/w{id}/"), Vec::new())
        };
        let sent = body.clone();
        let Some(reply) = connection.send(request(method, &path, body)).await else {
            result.summary.transport_errors += 1;
            connection = Connection::new(addr);
            continue;
        };
        *result.statuses.entry(reply.status).or_default() += 1;
        result.summary.latencies.push(reply.latency);
        match (method, reply.status) {
            ("PUT", 201) => {
                result.acknowledged.insert(key, sent);
            }
            ("GET", 200)
                if path.starts_with("/objects/")
                    && result.acknowledged.get(&key).map(Vec::as_slice)
                        != Some(&reply.body[..]) =>
            {
                result
                    .mismatches
                    .push(format!("GET {key}: not the last acknowledged bytes"));
            }
            ("GET", 404) if result.acknowledged.contains_key(&key) => {
                result
                    .mismatches
                    .push(format!("GET {key}: 404 after an acknowledged PUT"));
            }
            _ => {}
        }
    }
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_load_loses_nothing_and_keeps_memory_flat() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let addr = host.addr();
    let total = Duration::from_secs(seconds());
    let warm_up = total / 6;

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|id| tokio::spawn(worker(id, addr, stop.clone())))
        .collect();
    // Memory sampled every 250 ms; the baseline is the largest value seen during warm-up.
    let started = Instant::now();
    let (mut baseline, mut after) = (0usize, 0usize);
    while started.elapsed() < total {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let rss = resident_bytes();
        if started.elapsed() < warm_up {
            baseline = baseline.max(rss);
        } else {
            after = after.max(rss);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();

    let mut summary = Summary::default();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    let mut acknowledged = HashMap::new();
    let mut mismatches = Vec::new();
    for worker in workers {
        let result = worker.await.unwrap();
        summary.merge(result.summary);
        for (status, count) in result.statuses {
            *statuses.entry(status).or_default() += count;
        }
        acknowledged.extend(result.acknowledged);
        mismatches.extend(result.mismatches);
    }
    let requests = summary.latencies.len();
    let (p50, p99) = (summary.quantile(0.5), summary.quantile(0.99));
    println!(
        "load: {requests} requests in {:.1} s ({:.0}/s) over {WORKERS} connections; p50 {:.2} ms, p99 {:.2} ms; statuses {statuses:?}; host RSS {} MiB after warm-up, {} MiB peak after; component linear memory peak {} KiB",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        baseline >> 20,
        after >> 20,
        host.peak_memory() >> 10,
    );

    assert!(requests > 0);
    assert_eq!(summary.transport_errors, 0, "requests without an answer");
    let server_errors: usize = statuses
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(_, c)| c)
        .sum();
    assert_eq!(
        server_errors,
        0,
        "5xx answers: {statuses:?}\n{}",
        host.logs()
    );
    assert!(mismatches.is_empty(), "{mismatches:?}");
    // Every acknowledged write is in the store with its bytes.
    assert!(
        acknowledged.len() > WORKERS,
        "too few writes: {}",
        acknowledged.len()
    );
    for (key, bytes) in &acknowledged {
        let stored = std::fs::read(store.object_path(key)).unwrap_or_default();
        assert!(
            stored == *bytes,
            "{key}: the store does not hold the acknowledged bytes"
        );
    }
    // Flat: after warm-up the process grows by less than a quarter (and 64 MiB at most).
    let allowance = (baseline / 4).min(64 << 20);
    assert!(
        after <= baseline + allowance,
        "memory grew from {} MiB to {} MiB",
        baseline >> 20,
        after >> 20
    );
}
