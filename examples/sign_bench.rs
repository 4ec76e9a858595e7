//! The S3 GET header-signing case of `benches/signing.rs`, timed in a loop, for comparing
//! the same code natively and inside WebAssembly: `scripts/bench` builds it for both targets
//! and runs the wasm32-wasip2 build under wasmtime (`examples/wasm_signing.rs`).
//!
//! Prints one line: the median over 15 rounds of the time per signature, in nanoseconds.
//! The first argument is the number of signatures per round (default 20,000). A second,
//! an S3 checksum algorithm (`sha256`, `crc64nvme`, ...), times hashing 1 MiB instead (the per-byte work of an upload):
//! nanoseconds per MiB, with the first argument as MiB per round.

use spinlift_core::s3::ChecksumAlgorithm;
use spinlift_core::sigv4::{
    Credentials, Payload, SignableRequest, SignatureLocation, Signer, SigningParams,
    SigningSettings, SigningTime,
};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let per_round: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    match std::env::args().nth(2).as_deref() {
        None => {}
        Some(case) => return println!("{:.0}", median(per_round, hash(case))),
    }
    let signer = Signer::new(Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
    });
    let uri: http::Uri =
        "https://examplebucket.s3.us-east-1.amazonaws.com/photos/2025/11/cat%20picture.jpg"
            .parse()
            .unwrap();
    let params = SigningParams {
        region: "us-east-1",
        service: "s3",
        time: SigningTime::from_unix_seconds(1_763_856_000),
        settings: SigningSettings::s3(),
        location: SignatureLocation::Headers,
    };
    let sign = || {
        let request = SignableRequest {
            method: "GET",
            uri: &uri,
            headers: Vec::new(),
            payload: Payload::Bytes(b""),
        };
        black_box(signer.sign(black_box(&request), &params).unwrap());
    };
    println!("{:.0}", median(per_round, sign));
}

/// Hashing one MiB with the algorithm S3 names `case`, as an upload's body is hashed.
fn hash(case: &str) -> impl FnMut() {
    let mib = vec![0x5a_u8; 1 << 20];
    let algorithm = ChecksumAlgorithm::from_name(case)
        .unwrap_or_else(|| panic!("{case}: not an S3 checksum algorithm"));
    move || {
        let mut checksum = algorithm.hasher();
        checksum.update(black_box(&mib));
        black_box(checksum.finish());
    }
}

/// The median over 15 rounds of `per_round` calls of `run`, in nanoseconds per call, after a
/// warm-up round (which also derives the signing key once, as a long-lived signer has).
fn median(per_round: u32, mut run: impl FnMut()) -> f64 {
    for _ in 0..per_round {
        run();
    }
    let mut rounds: Vec<f64> = (0..15)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..per_round {
                run();
            }
            started.elapsed().as_nanos() as f64 / f64::from(per_round)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[rounds.len() / 2]
}
