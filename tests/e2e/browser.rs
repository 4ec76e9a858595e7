//! `examples/upload-page` in a real browser: headless Chromium (Debian's, driven by
//! playwright-core through `tests/tools/browser_upload.mjs`) uploads a file of several parts
//! through the component's presigned multipart flow straight to the signature-verifying store,
//! with the app's CORS and the bucket's (played by the proxy in front of s3s-fs, which has
//! none) allowing only the page's origin. `scripts/test` installs both; a missing one fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use spinlift::s3::ChecksumAlgorithm;

use crate::api::TOKEN;
use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::host::Host;
use crate::support::s3_store::S3Store;

const MIB: usize = 1 << 20;

/// Where `scripts/test` installed playwright-core.
fn node_modules() -> PathBuf {
    std::env::var_os("SPINLIFT_BROWSER_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = PathBuf::from(std::env::var_os("HOME").expect("HOME"));
            home.join(".cache/spinlift/tools/browser/node_modules")
        })
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Where a test keeps what it leaves for people to look at (Cargo's temporary directory
/// for integration tests, under `target/tmp`), a stale copy removed first.
fn artifact(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// The page's screenshot was taken: a PNG file larger than a blank page's (a few KiB).
fn assert_is_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{}",
        path.display()
    );
    assert!(
        bytes.len() > 16_384,
        "{}: {} bytes",
        path.display(),
        bytes.len()
    );
}

/// The bytes the driver puts in the file: byte i is (i * 31 + 7) % 251.
fn pattern(size: usize) -> Vec<u8> {
    (0..size).map(|i| ((i * 31 + 7) % 251) as u8).collect()
}

/// Runs the page in Chromium against `app`; returns the driver's report. (On a blocking
/// thread: the host and the proxy serve the browser from this test's runtime meanwhile.)
/// The page as it ends is saved to `screenshot`.
async fn drive(
    page_port: u16,
    app: &str,
    key: &str,
    size: usize,
    reload_at: Option<u8>,
    screenshot: &Path,
) -> Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let modules = node_modules();
    let mut command = Command::new("node");
    command
        .arg(format!("{root}/tests/tools/browser_upload.mjs"))
        .arg(&modules)
        .arg(format!("{root}/examples/upload-page/index.html"))
        .args([&page_port.to_string(), app, TOKEN, key, &size.to_string()])
        .env("SCREENSHOT", screenshot);
    if let Some(percent) = reload_at {
        command.arg(percent.to_string());
    }
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| {
            panic!("cannot run node ({e}); ./scripts/test installs playwright-core and Chromium")
        });
    assert!(
        out.status.success(),
        "the browser driver failed (playwright-core in {}?): {}",
        modules.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the driver's JSON")
}

/// A store behind the CORS rule the stack gives a bucket for `origin` (its request headers
/// read from `deploy/aws/spinlift.yaml`), and the component allowing `origin` too. The
/// first `slow_parts` part uploads wait 300 ms before they reach the store, so a loopback
/// upload lasts long enough for the bar to be watched (and the page reloaded midway).
async fn stack(store: &S3Store, origin: &str, slow_parts: usize) -> (FaultProxy, Host) {
    let bucket = FaultProxy::start(store.addr).await;
    let headers = crate::deploy::bucket_cors_headers();
    bucket.allow_origin(
        origin,
        &headers.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    for _ in 0..slow_parts {
        let pause = std::time::Duration::from_millis(300);
        bucket.inject(http::Method::PUT, Fault::Stall(pause));
    }
    let host = Host::builder()
        .s3_store(&bucket.host())
        .var("cors_allowed_origins", origin)
        .start()
        .await;
    (bucket, host)
}

#[tokio::test]
async fn a_browser_uploads_in_presigned_parts_with_a_progress_bar() {
    let store = S3Store::start();
    let page_port = free_port();
    let origin = format!("http://127.0.0.1:{page_port}");
    let (bucket, host) = stack(&store, &origin, 3).await;
    let app = format!("http://{}", host.addr());
    // Three parts of spinlift's default 8 MiB (the last one short).
    let size = 20 * MIB + 12345;

    let screenshot = artifact("browser-upload.png");
    let report = drive(page_port, &app, "browser/big.bin", size, None, &screenshot).await;
    assert_eq!(report["state"], "done", "{report}");
    assert_is_png(&screenshot);
    assert!(
        report["status"]
            .as_str()
            .unwrap()
            .starts_with("stored browser/big.bin"),
        "{report}"
    );
    let stored = std::fs::read(store.object_path("browser/big.bin")).unwrap();
    assert!(stored == pattern(size), "the stored object differs");
    // The bar moved through values between empty and full, and ended full.
    let progress: Vec<u64> = report["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert!(
        progress.iter().filter(|&&p| p > 0 && p < 100).count() >= 2,
        "{progress:?}"
    );
    assert_eq!(progress.last(), Some(&100));
    // The parts went straight to the store; the component only planned, signed each part's
    // URL with the CRC32 the page computed, and completed.
    assert_eq!(bucket.count("PUT /spinlift-dev/browser/big.bin?"), 3);
    // The store checked each part against its CRC32 and keeps the object's.
    let got = crate::api::call(&host, "GET", "/objects/browser/big.bin", &[], b"").await;
    assert_eq!(
        got.headers
            .get("x-amz-checksum-crc32")
            .map(|v| v.to_str().unwrap()),
        Some(ChecksumAlgorithm::Crc32.checksum(&stored).as_str()),
        "{:?}",
        got.headers
    );
    assert_eq!(
        bucket.count("POST /spinlift-dev/browser/big.bin?uploads"),
        1
    );
    assert!(store.open_uploads().is_empty());
}

#[tokio::test]
async fn a_reloaded_page_resumes_from_the_parts_the_store_holds() {
    let store = S3Store::start();
    let page_port = free_port();
    let origin = format!("http://127.0.0.1:{page_port}");
    let (bucket, host) = stack(&store, &origin, 6).await;
    let app = format!("http://{}", host.addr());
    // Six parts of 8 MiB (the last one byte): the reload at 60% finds some held, some lost
    // in flight, some not started.
    let size = 40 * MIB + 1;

    let screenshot = artifact("browser-resumed.png");
    let report = drive(
        page_port,
        &app,
        "browser/resumed.bin",
        size,
        Some(60),
        &screenshot,
    )
    .await;
    assert_eq!(report["state"], "done", "{report}");
    assert_is_png(&screenshot);
    assert!(report["reloaded_at"].as_u64().is_some(), "{report}");
    let resumed = report["statuses"][0].as_str().unwrap_or_default();
    assert!(resumed.starts_with("resumed with "), "{report}");
    let stored = std::fs::read(store.object_path("browser/resumed.bin")).unwrap();
    assert!(stored == pattern(size), "the stored object differs");
    // One upload, started once; no part already held was sent again.
    assert_eq!(
        bucket.count("POST /spinlift-dev/browser/resumed.bin?uploads"),
        1
    );
    // "resumed with H of 6 parts held"
    let words: Vec<&str> = resumed.split(' ').collect();
    let held: usize = words[2].parse().unwrap();
    assert_eq!(words[4], "6", "{report}");
    assert!((1..6).contains(&held), "{report}");
    let puts = bucket.count("PUT /spinlift-dev/browser/resumed.bin?");
    // Each part once, and again only those lost in flight (three at a time, none held).
    let lost_at_most = 3.min(6 - held);
    assert!(
        (6..=6 + lost_at_most).contains(&puts),
        "{puts} part PUTs: {report}"
    );
    assert!(store.open_uploads().is_empty());
}
