//! CORS end to end: preflights and answers follow `cors_allowed_origins` (errors and
//! answers carried by a Lambda event included), and nothing is added with CORS off.

use crate::lambda::{aim, fixture, host_for, API};
use crate::support;

use serde_json::Value;
use support::host::Host;
use support::s3_store::S3Store;

#[tokio::test]
async fn cors_preflights_and_answers_follow_the_allowed_origins() {
    let store = S3Store::start();
    let host = Host::builder()
        .var("s3_host", &store.host())
        .var("cors_allowed_origins", "https://app.example.com")
        .start()
        .await;
    let preflight = |origin: &str| {
        http::Request::builder()
            .method("OPTIONS")
            .uri("/objects/a.txt")
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .body(Vec::new())
            .unwrap()
    };
    let allowed = host.send(preflight("https://app.example.com")).await;
    assert_eq!(allowed.status, 204, "{}", allowed.body);
    assert_eq!(
        allowed.headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(allowed.headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("PUT"));
    assert_eq!(allowed.headers["vary"], "origin");
    let refused = host.send(preflight("https://evil.example")).await;
    assert_eq!(refused.status, 403);
    assert!(refused.headers.get("access-control-allow-origin").is_none());

    let simple = |origin: &str| {
        http::Request::get("/healthz")
            .header("origin", origin)
            .body(Vec::new())
            .unwrap()
    };
    let answer = host.send(simple("https://app.example.com")).await;
    assert_eq!(
        answer.headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(answer.headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("etag"));
    let answer = host.send(simple("https://evil.example")).await;
    assert_eq!(answer.status, 200);
    assert!(answer.headers.get("access-control-allow-origin").is_none());
    assert_eq!(answer.headers["vary"], "origin");
    // Without an Origin, the answer still varies by it: a shared cache must not hand it to
    // a browser that would get the CORS headers.
    let plain = host
        .send(http::Request::get("/healthz").body(Vec::new()).unwrap())
        .await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.headers["vary"], "origin");
    assert!(plain.headers.get("access-control-allow-origin").is_none());
    // Errors carry the header too, so a browser client can read them.
    let unauthenticated = http::Request::get("/objects")
        .header("origin", "https://app.example.com")
        .body(Vec::new())
        .unwrap();
    let answer = host.send(unauthenticated).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.headers["access-control-allow-origin"],
        "https://app.example.com"
    );

    // A request carried by a Lambda event gets the same treatment.
    let mut event = fixture("powertools/apiGatewayProxyV2Event.json");
    aim(&mut event, "GET", "/healthz", "");
    event["headers"]["origin"] = "https://app.example.com".into();
    let request = http::Request::post("/lambda")
        .header("authorization", API)
        .body(event.to_string().into_bytes())
        .unwrap();
    let answer: Value = serde_json::from_str(&host.send(request).await.body).unwrap();
    assert_eq!(
        answer["headers"]["access-control-allow-origin"],
        "https://app.example.com"
    );

    // With CORS off (the default), nothing is added and a preflight is just unauthenticated.
    let off = host_for(&store).await;
    let answer = off.send(preflight("https://app.example.com")).await;
    assert_eq!(answer.status, 401);
    assert!(answer.headers.get("access-control-allow-origin").is_none());
    let plain = off
        .send(http::Request::get("/healthz").body(Vec::new()).unwrap())
        .await;
    assert!(plain.headers.get("vary").is_none());
}
