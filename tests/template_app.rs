//! The `spin new` template (`templates/spinlift`), end to end: rendered as Spin renders it,
//! pointed at this checkout's spinlift, its own `cargo test` run, built for wasm32-wasip2 with
//! the manifest's own build command, and served in the Spin-like host against the
//! signature-verifying store: its event handler writes a summary (read back from the store's
//! files), its own route answers it, its own error type answers a missing one, SNS deliveries
//! are refused without `sns-verify`, and its tokens are enforced.
//!
//! A test binary of its own: cargo runs test binaries one at a time, so the app's first
//! build (a few minutes, in its own `target/`) does not starve the timing-sensitive e2e tests.

#[path = "support/mod.rs"]
mod support;

use http::{HeaderValue, Request};
use serde_json::{json, Value};
use spinlift::cache::MemoryCache;
use spinlift::client::s3::S3Call;
use spinlift::clock::Clock;
use spinlift::env::FakeEnv;
use spinlift::s3::ObjectKey;
use spinlift::sigv4::SigningTime;
use std::collections::BTreeMap;
use std::path::Path;
use support::host::{Answer, Host};
use support::moto::NativeHttp;
use support::s3_store::{S3Store, ACCESS_KEY, BUCKET, SECRET_KEY};
use support::spin_stand_in::{DevScript, DEV_PORT, SPIN_UP_WITH_DEV_CONFIG};
use support::{template, wasm_build};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The template rendered for a project `upload-summaries` using this checkout's spinlift,
/// and built. The rendering lives under cargo's test scratch directory, so a later run
/// rebuilds it incrementally.
fn built_app() -> support::wasm_build::AppUnderTest {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("template-app/upload-summaries");
    let values = BTreeMap::from([
        ("project-description", "Summaries of uploads".to_owned()),
        (
            "spinlift-source",
            format!("path = \"{REPO}/crates/spinlift\""),
        ),
    ]);
    let files = template::render(
        &Path::new(REPO).join("templates/spinlift"),
        &dir,
        "upload-summaries",
        &values,
    );
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // Spin's own `{{ variable }}` expressions stay; no Liquid is left, nor the template's names.
        assert!(
            !text.contains("{%")
                && !text.contains("project-name")
                && !text.contains("spinlift-source"),
            "{} is not fully rendered",
            file.display()
        );
    }
    let names: Vec<_> = files
        .iter()
        .map(|f| f.strip_prefix(&dir).unwrap().to_str().unwrap().to_owned())
        .collect();
    for expected in [
        "Cargo.toml",
        "spin.toml",
        "src/lib.rs",
        "README.md",
        "scripts/dev",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no {expected} in {names:?}"
        );
    }
    // The versions this checkout is tested with (a new app resolves its own).
    std::fs::copy(Path::new(REPO).join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    // The README's second command, `cargo test`, passes in the new app.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let tests = std::process::Command::new(cargo)
        .arg("test")
        .current_dir(&dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .expect("run cargo test in the new app");
    let stdout = String::from_utf8_lossy(&tests.stdout);
    assert!(
        tests.status.success() && stdout.contains("summaries_are_named_after_their_object"),
        "`cargo test` in the new app: {stdout}{}",
        String::from_utf8_lossy(&tests.stderr)
    );
    wasm_build::build_app(&dir)
}

fn event(name: &str, key: &str) -> Vec<u8> {
    json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-12-01T00:00:00.000Z", "eventName": name,
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET},
               "object": {"key": key.replace(' ', "+"), "size": 9, "sequencer": "01"}}
    }]})
    .to_string()
    .into_bytes()
}

async fn call(host: &Host, method: &str, uri: &str, token: Option<&str>, body: Vec<u8>) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    host.send(request.body(body).unwrap()).await
}

/// An upload, as the bucket's users make them (signed, straight to the store).
async fn upload(store: &S3Store, key: &str, content_type: &'static str, body: &[u8]) {
    let vars: BTreeMap<String, String> = [
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", ACCESS_KEY),
        ("aws_secret_access_key", SECRET_KEY),
        ("s3_bucket", BUCKET),
        ("s3_scheme", "http"),
        ("s3_host", &store.host()),
        ("s3_path_style", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let env = FakeEnv::at(SigningTime::from_unix_seconds(seconds));
    let cache = MemoryCache::default();
    let clock = Clock::new(&env, &cache);
    let s3 = S3Call::load(&vars, &NativeHttp, &cache, &clock)
        .await
        .unwrap();
    let key = ObjectKey::new(key).unwrap();
    s3.put_bytes(&key, &HeaderValue::from_static(content_type), body.to_vec())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_template_app_builds_and_serves_its_route_and_its_event_handler() {
    let app = tokio::task::spawn_blocking(built_app).await.unwrap();
    let size = std::fs::metadata(&app.wasm).unwrap().len();
    println!("template app: {} ({size} bytes)", app.wasm.display());
    // Every variable the new app declares reaches its component (a value deployed for one
    // that does not is silently never read).
    let unused = support::manifest::Manifest::load_from(&app.manifest)
        .unused_app_variables()
        .join(", ");
    assert_eq!(unused, "", "the template's spin.toml never passes these on");

    let store = S3Store::start();
    let host = Host::builder()
        .app(app.clone())
        .s3_store(&store.host())
        .start()
        .await;
    let (api, webhook) = (Some("dev-api-token"), Some("dev-webhook-token"));

    let health = call(&host, "GET", "/healthz", None, vec![]).await;
    assert_eq!(health.status, 200, "{}", health.body);

    // S3's notification of a new object reaches the app's handler, which writes its summary.
    upload(
        &store,
        "photos/cat 1.jpg",
        "image/jpeg",
        b"\xff\xd8\xffimages",
    )
    .await;
    let created = event("ObjectCreated:Put", "photos/cat 1.jpg");
    let answer = call(&host, "POST", "/events/s3", webhook, created).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        serde_json::from_str::<Value>(&answer.body).unwrap()["processed"],
        1
    );
    let stored = std::fs::read(store.object_path("summaries/photos/cat 1.jpg.json")).unwrap();
    let summary: Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(
        (&summary["key"], &summary["size"], &summary["content_type"]),
        (&json!("photos/cat 1.jpg"), &json!(9), &json!("image/jpeg"))
    );
    assert!(
        summary["etag"].as_str().is_some_and(|e| e.len() > 2),
        "{summary}"
    );

    // The summary's own event is not summarized again.
    let own = event("ObjectCreated:Put", "summaries/photos/cat 1.jpg.json");
    let answer = call(&host, "POST", "/events/s3", webhook, own).await;
    assert_eq!(
        serde_json::from_str::<Value>(&answer.body).unwrap()["skipped"][0]["reason"],
        "a summary"
    );

    // The app's own route answers it, behind the API token (the webhook's is not it).
    let route = "/summaries/photos/cat%201.jpg";
    let answer = call(&host, "GET", route, api, vec![]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.bytes, stored);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(call(&host, "GET", route, webhook, vec![]).await.status, 401);
    assert_eq!(call(&host, "GET", route, None, vec![]).await.status, 401);
    assert_eq!(
        call(&host, "POST", "/events/s3", api.map(|_| "wrong"), vec![])
            .await
            .status,
        401
    );

    // Its own error type: no summary is its 404, in spinlift's error shape.
    let missing = call(&host, "GET", "/summaries/nothing.jpg", api, vec![]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&missing.body).unwrap(),
        json!({"error": {"code": "not_found", "message": "no summary of nothing.jpg"}})
    );
    // Built without spinlift's `sns-verify` feature, it refuses SNS deliveries, saying why.
    let sns = json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                     "Message": "{}", "Timestamp": "2026-12-01T00:00:00.000Z", "SignatureVersion": "2",
                     "Signature": "c2ln", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/c.pem"});
    let request = Request::post("/events/s3")
        .header("authorization", "Bearer dev-webhook-token")
        .header("x-amz-sns-message-type", "Notification")
        .body(sns.to_string().into_bytes())
        .unwrap();
    let refused = host.send(request).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        serde_json::from_str::<Value>(&refused.body).unwrap()["error"]["code"],
        "sns_unverifiable"
    );

    // A built-in it did not mount is an unknown path.
    assert_eq!(
        call(&host, "GET", "/objects", api, vec![]).await.status,
        404
    );

    // A removal while the object is there (an old version's, or a delete marker's that made
    // it current again with no creation event) summarizes it as it is: here its summary was
    // gone, and comes back. Once the object is gone, the summary goes too.
    let removed = || event("ObjectRemoved:Delete", "photos/cat 1.jpg");
    let summary = store.object_path("summaries/photos/cat 1.jpg.json");
    let kept = std::fs::read(&summary).unwrap();
    std::fs::remove_file(&summary).unwrap();
    let answer = call(&host, "POST", "/events/s3", webhook, removed()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("\"processed\":1"), "{}", answer.body);
    assert_eq!(std::fs::read(&summary).unwrap(), kept);
    std::fs::remove_file(store.object_path("photos/cat 1.jpg")).unwrap();
    let answer = call(&host, "POST", "/events/s3", webhook, removed()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(!store
        .object_path("summaries/photos/cat 1.jpg.json")
        .exists());
    assert_eq!(call(&host, "GET", route, api, vec![]).await.status, 404);

    // The new app's first command, `bash scripts/dev`, as far as Spin (a stand-in `spin`):
    // its store, from the app's spin.toml defaults, answers the app's component signed with
    // the dev keys and refuses another secret; Spin 3.5 and later get the app's dev runtime
    // config (connection pooling off for the local store).
    let dir = app.manifest.parent().unwrap().to_owned();
    // The store scripts/test installed, where the script keeps its own (else it builds one).
    let tools = dir.join(".tools/bin");
    std::fs::create_dir_all(&tools).unwrap();
    if !tools.join("s3s-fs").exists() {
        std::os::unix::fs::symlink(support::s3_store::binary(), tools.join("s3s-fs")).unwrap();
    }
    let mut dev = DevScript::start(&dir.join("scripts/dev"), "DEV_DATA");
    assert_eq!(dev.spin_args(), SPIN_UP_WITH_DEV_CONFIG);
    assert!(dir.join("runtime-config.dev.toml").exists());
    let local = Host::builder().app(app.clone()).start().await;
    let missing = call(&local, "GET", "/summaries/nothing.jpg", api, vec![]).await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    let wrong = Host::builder()
        .app(app)
        .var("aws_secret_access_key", "not-the-dev-secret")
        .start()
        .await;
    let refused = call(&wrong, "GET", "/summaries/nothing.jpg", api, vec![]).await;
    assert_eq!(refused.status, 502, "{}", refused.body);
    let status = dev.stop(DEV_PORT);
    assert!(status.success(), "{status}");
}
