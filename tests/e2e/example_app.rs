//! The example user app (`examples/thumbnails`): a Lambda of a team's own, lifted onto Spin
//! with the `spinlift` crate alone. Its `App` is driven natively (the real client, no
//! wasmtime) against the signature-verifying store and moto, which share one key pair and
//! check every signature: its event handler writes a derived object (read back from the
//! store's files) and a DynamoDB item, its own route reads the item back, its own error type
//! answers a missing key, and `/lambda` reaches its route with the same answer.

use crate::support::moto::{Moto, NativeHttp};
use crate::support::s3_store::{S3Store, BUCKET};
use http::{HeaderValue, Request};
use serde_json::{json, Value};
use spinlift::app::Context;
use spinlift::body::Body;
use spinlift::cache::MemoryCache;
use spinlift::client::s3::S3Call;
use spinlift::clock::Clock;
use spinlift::env::FakeEnv;
use spinlift::s3::{ObjectKey, PutObject};
use spinlift::sigv4::SigningTime;
use std::collections::BTreeMap;

fn now() -> SigningTime {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    SigningTime::from_unix_seconds(seconds)
}

fn vars(moto: &Moto, store: &S3Store) -> BTreeMap<String, String> {
    let origin = moto.origin();
    let fx = &moto.fixtures;
    [
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", fx.access_key_id.as_str()),
        ("aws_secret_access_key", fx.secret_access_key.as_str()),
        ("s3_bucket", BUCKET),
        ("s3_scheme", "http"),
        ("s3_host", &store.host()),
        ("s3_path_style", "true"),
        ("dynamodb_endpoint", &origin),
        ("sts_endpoint", &origin),
        ("api_token", "example-api-token"),
        ("webhook_token", "example-webhook-token"),
        // The app's own variables.
        ("metadata_table", fx.index_table.as_str()),
        ("derived_prefix", "derived/"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// One request through the example app: status and body.
async fn call(
    vars: &BTreeMap<String, String>,
    method: &str,
    uri: &str,
    token: &str,
    body: Vec<u8>,
) -> (u16, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::Bytes(body))
        .unwrap();
    let env = FakeEnv::at(now());
    let cx = Context {
        vars,
        client: &NativeHttp,
        cache: &MemoryCache::default(),
        env: &env,
    };
    let response = thumbnails::app().handle(request, &cx).await;
    let status = response.status().as_u16();
    let body = response.into_body().collect(1 << 20).await.unwrap();
    (status, String::from_utf8(body).unwrap())
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

#[tokio::test]
async fn the_example_app_describes_objects_and_serves_its_route() {
    let moto = Moto::start();
    let fx = moto.fixtures.clone();
    let store = S3Store::start_with(&fx.access_key_id, &fx.secret_access_key);
    let vars = vars(&moto, &store);

    // An upload, as the bucket's users make them.
    let env = FakeEnv::at(now());
    let cache = MemoryCache::default();
    let clock = Clock::new(&env, &cache);
    let s3 = S3Call::load(&vars, &NativeHttp, &cache, &clock)
        .await
        .unwrap();
    let key = ObjectKey::new("photos/cat 1.jpg").unwrap();
    let jpeg = HeaderValue::from_static("image/jpeg");
    let image = b"\xff\xd8\xffimages".to_vec();
    let put = PutObject {
        key: &key,
        content_length: image.len() as u64,
        content_type: Some(&jpeg),
        metadata: Vec::new(),
        condition: None,
        integrity: Default::default(),
    };
    s3.call_with_body(&put, image, None).await.unwrap();

    // S3's notification reaches the app's own handler.
    let webhook = "example-webhook-token";
    let created = event("ObjectCreated:Put", "photos/cat 1.jpg");
    let (status, answer) = call(&vars, "POST", "/events/s3", webhook, created).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap()["processed"],
        1
    );

    // The derived object is in the store, as the store itself keeps it.
    let derived = std::fs::read(store.object_path("derived/photos/cat 1.jpg.json")).unwrap();
    let derived: Value = serde_json::from_slice(&derived).unwrap();
    assert_eq!(derived["size"], 9);
    assert_eq!(derived["content_type"], "image/jpeg");

    // The app's own route reads the DynamoDB item back (moto checks the signature).
    let api = "example-api-token";
    let direct = call(&vars, "GET", "/metadata/photos/cat%201.jpg", api, vec![]).await;
    assert_eq!(direct.0, 200, "{}", direct.1);
    let item: Value = serde_json::from_str(&direct.1).unwrap();
    assert_eq!(
        (&item["key"], &item["size"], &item["content_type"]),
        (&json!("photos/cat 1.jpg"), &json!(9), &json!("image/jpeg"))
    );
    assert_eq!(item["etag"], derived["etag"]);

    // API Gateway's event for the same request, through /lambda, answers the same.
    let v2 = json!({
        "version": "2.0", "routeKey": "$default",
        "rawPath": "/metadata/photos/cat%201.jpg", "rawQueryString": "",
        "headers": {"accept": "application/json"},
        "requestContext": {"http": {"method": "GET", "path": "/metadata/photos/cat 1.jpg"}, "stage": "$default"},
        "isBase64Encoded": false
    });
    let (status, proxied) = call(&vars, "POST", "/lambda", api, v2.to_string().into_bytes()).await;
    assert_eq!(status, 200, "{proxied}");
    let proxied: Value = serde_json::from_str(&proxied).unwrap();
    assert_eq!(proxied["statusCode"], 200);
    assert_eq!(proxied["body"].as_str().unwrap(), direct.1);

    // The app's own error type: a key with no item is its 404, in spinlift's error shape.
    let (status, missing) = call(&vars, "GET", "/metadata/nothing.jpg", api, vec![]).await;
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&missing).unwrap(),
        json!({"error": {"code": "not_found", "message": "no metadata for nothing.jpg"}})
    );
    // Its route asks for the API token; the webhook's token is not it.
    let (status, _) = call(
        &vars,
        "GET",
        "/metadata/photos/cat%201.jpg",
        webhook,
        vec![],
    )
    .await;
    assert_eq!(status, 401);

    // A removal while the object is there (an old version's, or a delete marker's that made
    // it current again with no creation event) describes it as it is: here its derived object
    // was gone, and comes back. Once the object is gone, both go.
    let removed = || event("ObjectRemoved:Delete", "photos/cat 1.jpg");
    let derived = store.object_path("derived/photos/cat 1.jpg.json");
    let kept = std::fs::read(&derived).unwrap();
    std::fs::remove_file(&derived).unwrap();
    let (status, answer) = call(&vars, "POST", "/events/s3", webhook, removed()).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"processed\":1"), "{answer}");
    assert_eq!(std::fs::read(&derived).unwrap(), kept);
    std::fs::remove_file(store.object_path("photos/cat 1.jpg")).unwrap();
    let (status, answer) = call(&vars, "POST", "/events/s3", webhook, removed()).await;
    assert_eq!(status, 200, "{answer}");
    assert!(!store.object_path("derived/photos/cat 1.jpg.json").exists());
    let (status, _) = call(&vars, "GET", "/metadata/photos/cat%201.jpg", api, vec![]).await;
    assert_eq!(status, 404);
}
