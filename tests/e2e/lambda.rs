//! `POST /lambda` end to end: AWS-authored invocation events (`tests/vectors/events/`)
//! through the component in the wasm host, against the real S3 store. The expected answer
//! shapes are written from AWS's documented Lambda proxy formats, not from our output.

use crate::support;

use base64ct::{Base64, Encoding};
use serde_json::{json, Value};
use spinlift::sigv4::uri_encode_path;
use support::host::{Answer, Host};
use support::s3_store::{S3Store, ACCESS_KEY, BUCKET, SECRET_KEY};

pub(crate) const API: &str = "Bearer dev-api-token";

pub(crate) fn fixture(path: &str) -> Value {
    let full = format!("{}/tests/vectors/events/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap()
}

pub(crate) async fn host_for(store: &S3Store) -> Host {
    Host::builder()
        .var("s3_host", &store.host())
        .var("aws_access_key_id", ACCESS_KEY)
        .var("aws_secret_access_key", SECRET_KEY)
        // SNS certificates only from a local origin (nothing listens): AWS's samples name
        // sns.us-east-1.amazonaws.com, which must then be refused, never fetched.
        .var("sns_cert_origin", "http://127.0.0.1:9")
        .start()
        .await
}

/// Invokes `/lambda` with `event`; returns the outer status and the JSON answer.
async fn invoke(host: &Host, event: &Value) -> (u16, Value) {
    let request = http::Request::post("/lambda")
        .header("authorization", API)
        .body(event.to_string().into_bytes())
        .unwrap();
    let answer = host.send(request).await;
    let body =
        serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("not JSON: {}", answer.body));
    (answer.status, body)
}

/// The keys of an answer object, sorted.
fn keys(answer: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = answer
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// The API fixtures, the answer keys each format documents, and how to point one at a path.
const API_FIXTURES: [(&str, &[&str]); 9] = [
    ("aws_lambda_events/example-apigw-request.json", REST),
    (
        "aws_lambda_events/example-apigw-request-multi-value-parameters.json",
        REST,
    ),
    ("powertools/apiGatewayProxyEvent.json", REST),
    (
        "aws_lambda_events/example-apigw-v2-request-no-authorizer.json",
        HTTP,
    ),
    ("powertools/apiGatewayProxyV2Event.json", HTTP),
    ("powertools/lambdaFunctionUrlEvent.json", HTTP),
    (
        "aws_lambda_events/example-alb-lambda-target-request-headers-only.json",
        ALB_SINGLE,
    ),
    (
        "aws_lambda_events/example-alb-lambda-target-request-multivalue-headers.json",
        ALB_MULTI,
    ),
    ("powertools/albMultiValueHeadersEvent.json", ALB_MULTI),
];
const REST: &[&str] = &[
    "body",
    "headers",
    "isBase64Encoded",
    "multiValueHeaders",
    "statusCode",
];
const HTTP: &[&str] = &[
    "body",
    "cookies",
    "headers",
    "isBase64Encoded",
    "statusCode",
];
const ALB_SINGLE: &[&str] = &[
    "body",
    "headers",
    "isBase64Encoded",
    "statusCode",
    "statusDescription",
];
const ALB_MULTI: &[&str] = &[
    "body",
    "isBase64Encoded",
    "multiValueHeaders",
    "statusCode",
    "statusDescription",
];

/// Points an API event at `method path` (with `query`, raw) in its own format's fields.
pub(crate) fn aim(event: &mut Value, method: &str, path: &str, query: &str) {
    if event.get("version").and_then(Value::as_str) == Some("2.0") {
        event["requestContext"]["http"]["method"] = method.into();
        event["rawPath"] = path.into();
        event["rawQueryString"] = query.into();
    } else {
        event["httpMethod"] = method.into();
        event["path"] = path.into();
        let params: serde_json::Map<String, Value> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), json!([v]))
            })
            .collect();
        let single: serde_json::Map<String, Value> = params
            .iter()
            .map(|(k, v)| (k.clone(), v[0].clone()))
            .collect();
        for (field, value) in [
            ("multiValueQueryStringParameters", Value::Object(params)),
            ("queryStringParameters", Value::Object(single)),
        ] {
            if event.get(field).is_some() {
                event[field] = value;
            }
        }
    }
}

/// Sets an API event's body (base64 when `binary`) and its content type.
fn carry(event: &mut Value, bytes: &[u8], content_type: &str, binary: bool) {
    event["body"] = match binary {
        true => Base64::encode_string(bytes).into(),
        false => String::from_utf8(bytes.to_vec()).unwrap().into(),
    };
    event["isBase64Encoded"] = binary.into();
    for field in ["headers", "multiValueHeaders"] {
        if let Some(headers) = event.get_mut(field).and_then(Value::as_object_mut) {
            headers.retain(|name, _| !name.eq_ignore_ascii_case("content-type"));
            let value = match field {
                "headers" => json!(content_type),
                _ => json!([content_type]),
            };
            headers.insert("content-type".into(), value);
        }
    }
}

fn header<'a>(answer: &'a Value, name: &str) -> Option<&'a str> {
    answer["headers"][name]
        .as_str()
        .or_else(|| answer["multiValueHeaders"][name][0].as_str())
}

fn answer_bytes(answer: &Value) -> Vec<u8> {
    let body = answer["body"].as_str().unwrap();
    match answer["isBase64Encoded"].as_bool().unwrap() {
        true => Base64::decode_vec(body).unwrap(),
        false => body.as_bytes().to_vec(),
    }
}

#[tokio::test]
async fn api_events_are_routed_and_answered_in_their_own_shape() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    for (name, shape) in API_FIXTURES {
        // As AWS sent it: its path is not a spinlift route.
        let (status, answer) = invoke(&host, &fixture(name)).await;
        assert_eq!(status, 200, "{name}: {answer}");
        assert_eq!(keys(&answer), shape, "{name}");
        assert_eq!(answer["statusCode"], 404, "{name}: {answer}");
        assert_eq!(
            header(&answer, "content-type"),
            Some("application/json"),
            "{name}"
        );
        let error: Value = serde_json::from_slice(&answer_bytes(&answer)).unwrap();
        assert_eq!(error["error"]["code"], "not_found", "{name}");

        // Aimed at the health route.
        let mut event = fixture(name);
        aim(&mut event, "GET", "/healthz", "");
        let (_, answer) = invoke(&host, &event).await;
        assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
        assert_eq!(answer["isBase64Encoded"], false, "{name}");
        let health: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(health["status"], "ok", "{name}");
        if shape == ALB_SINGLE || shape == ALB_MULTI {
            assert_eq!(answer["statusDescription"], "200 OK", "{name}");
        }
    }
}

#[tokio::test]
async fn binary_bodies_round_trip_through_rest_http_and_alb_events() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let image: Vec<u8> = (0..=255u8)
        .chain([0x89, b'P', b'N', b'G', 0, 0xff])
        .collect();
    let formats = [
        "aws_lambda_events/example-apigw-request.json",
        "powertools/apiGatewayProxyV2Event.json",
        "aws_lambda_events/example-alb-lambda-target-request-multivalue-headers.json",
    ];
    for (i, put_with) in formats.iter().enumerate() {
        let key = format!("images/{i} a+b.png");
        let path = format!("/objects/{}", uri_encode_path(&key));
        let mut put = fixture(put_with);
        aim(&mut put, "PUT", &path, "");
        carry(&mut put, &image, "image/png", true);
        let (_, answer) = invoke(&host, &put).await;
        assert_eq!(answer["statusCode"], 201, "{put_with}: {answer}");
        assert_eq!(
            std::fs::read(store.object_path(&key)).unwrap(),
            image,
            "{put_with}"
        );

        for get_with in formats {
            let mut get = fixture(get_with);
            aim(&mut get, "GET", &path, "");
            carry(&mut get, b"", "text/plain", false);
            let (_, answer) = invoke(&host, &get).await;
            assert_eq!(answer["statusCode"], 200, "{get_with}: {answer}");
            assert_eq!(answer["isBase64Encoded"], true, "{get_with}");
            assert_eq!(answer_bytes(&answer), image, "{put_with} then {get_with}");
            assert_eq!(header(&answer, "content-type"), Some("image/png"));
        }
    }
}

#[tokio::test]
async fn encoded_and_decoded_event_paths_name_the_same_key() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let key = "docs/a b+c?.txt";
    let put = http::Request::put(format!("/objects/{}", uri_encode_path(key)))
        .header("authorization", API)
        .body(b"x".to_vec())
        .unwrap();
    assert_eq!(host.send(put).await.status, 201);
    // REST APIs, Function URLs and ALBs keep the path encoded; HTTP APIs decode it.
    for (name, path) in [
        (
            "aws_lambda_events/example-apigw-request.json",
            uri_encode_path(key),
        ),
        (
            "powertools/lambdaFunctionUrlEvent.json",
            uri_encode_path(key),
        ),
        ("powertools/apiGatewayProxyV2Event.json", key.to_owned()),
    ] {
        let mut event = fixture(name);
        aim(&mut event, "HEAD", &format!("/objects/{path}"), "");
        let (_, answer) = invoke(&host, &event).await;
        assert_eq!(answer["statusCode"], 200, "{name} {path}: {answer}");
    }
}

#[tokio::test]
async fn malformed_and_misdirected_events_are_client_errors() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let mut bad_base64 = fixture("powertools/apiGatewayProxyV2Event.json");
    bad_base64["body"] = "***".into();
    bad_base64["isBase64Encoded"] = true.into();
    let (status, answer) = invoke(&host, &bad_base64).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!("invalid_event"))
    );
    // A Lambda event cannot reach /lambda again.
    let mut nested = fixture("powertools/lambdaFunctionUrlEvent.json");
    aim(&mut nested, "POST", "/lambda", "");
    let (_, answer) = invoke(&host, &nested).await;
    assert_eq!(answer["statusCode"], 404, "{answer}");
    // The /lambda call's api_token also covers the webhook it forwards to.
    let mut webhook = fixture("powertools/lambdaFunctionUrlEvent.json");
    aim(&mut webhook, "POST", "/events/s3", "");
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET});
    carry(
        &mut webhook,
        test_event.to_string().as_bytes(),
        "application/json",
        false,
    );
    let (_, answer) = invoke(&host, &webhook).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
}

#[tokio::test]
async fn a_call_through_lambda_answers_as_the_direct_call_does() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let put = http::Request::put("/objects/docs/report%201.txt")
        .header("authorization", API)
        .header("content-type", "text/plain")
        .body(b"quarterly numbers".to_vec())
        .unwrap();
    assert_eq!(host.send(put).await.status, 201);

    for (path, query) in [
        ("/objects/docs/report%201.txt", ""),
        ("/objects/docs/missing.txt", ""),
        ("/objects", "prefix=docs%2F&limit=5"),
        ("/objects", "limit=0"),
    ] {
        let target = match query.is_empty() {
            true => path.to_owned(),
            false => format!("{path}?{query}"),
        };
        let direct: Answer = host
            .send(
                http::Request::get(&target)
                    .header("authorization", API)
                    .body(Vec::new())
                    .unwrap(),
            )
            .await;
        let mut event = fixture("powertools/lambdaFunctionUrlEvent.json");
        aim(&mut event, "GET", path, query);
        let (_, answer) = invoke(&host, &event).await;
        assert_eq!(answer["statusCode"], direct.status, "{target}: {answer}");
        for name in ["content-type", "etag", "content-length", "last-modified"] {
            assert_eq!(
                header(&answer, name),
                direct.headers.get(name).map(|v| v.to_str().unwrap()),
                "{target}: {name}"
            );
        }
        assert_eq!(answer_bytes(&answer), direct.bytes, "{target}");
    }
}

#[tokio::test]
async fn non_api_events_reach_the_event_handler() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let put = http::Request::put("/objects/uploads/photo.jpg")
        .header("authorization", API)
        .body(b"jpeg bytes".to_vec())
        .unwrap();
    assert_eq!(host.send(put).await.status, 201);
    let record = json!({
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET, "arn": format!("arn:aws:s3:::{BUCKET}")},
               "object": {"key": "uploads/photo.jpg", "size": 10, "eTag": "x", "sequencer": "00A1"}}
    });
    let notification = json!({"Records": [record]}).to_string();
    let manifest = store.object_path("_index/uploads/photo.jpg.json");

    // The AWS samples as sent: their buckets are not ours, so their records are skipped.
    for name in [
        "aws_lambda_events/example-s3-event.json",
        "derived/sns-wrapping-s3-event.json",
        "powertools/s3EventBridgeNotificationObjectCreatedEvent.json",
    ] {
        let (status, answer) = invoke(&host, &fixture(name)).await;
        assert_eq!(status, 200, "{name}: {answer}");
        assert_eq!(answer["processed"], 0, "{name}");
        let reason = answer["skipped"][0]["reason"].as_str().unwrap();
        assert!(
            reason.contains("not the configured bucket"),
            "{name}: {reason}"
        );
    }
    assert!(!manifest.exists());

    // A Lambda SNS event carrying our notification runs the indexer.
    let mut sns = fixture("derived/sns-wrapping-s3-event.json");
    sns["Records"][0]["Sns"]["Message"] = notification.clone().into();
    let (status, answer) = invoke(&host, &sns).await;
    assert_eq!((status, &answer["processed"]), (200, &json!(1)), "{answer}");
    assert!(manifest.exists());
    std::fs::remove_file(&manifest).unwrap();

    // AWS's SNS samples carry text, not S3 notifications: a 400 that says so.
    for name in [
        "aws_lambda_events/example-sns-event.json",
        "powertools/snsEvent.json",
    ] {
        let (status, answer) = invoke(&host, &fixture(name)).await;
        assert_eq!(status, 400, "{name}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("not an S3 event notification"),
            "{name}: {message}"
        );
    }
    // An SNS HTTP delivery forwarded as it came is checked as /events/s3 checks it: the
    // sample's certificate is not from the trusted origin.
    let delivery = fixture("aws_lambda_events/example-sns-event.json")["Records"][0]["Sns"].clone();
    let (status, answer) = invoke(&host, &delivery).await;
    assert_eq!(status, 403, "{answer}");
    assert!(!host.logs().contains("sns.us-east-1.amazonaws.com"));

    // SQS: each message on its own; only the failed ones are reported, by messageId.
    let mut sqs = fixture("powertools/s3SqsEvent.json");
    let good = sqs["Records"][0].clone();
    let mut ours = good.clone();
    ours["messageId"] = "ours".into();
    ours["body"] = notification.into();
    let mut junk = good.clone();
    junk["messageId"] = "junk".into();
    junk["body"] = "not an event".into();
    let wrapped = fixture("powertools/snsSqsEvent.json")["Records"][0].clone();
    let wrapped_id = wrapped["messageId"].as_str().unwrap().to_owned();
    sqs["Records"] = json!([good, ours, junk, wrapped]);
    let (status, answer) = invoke(&host, &sqs).await;
    assert_eq!(status, 200, "{answer}");
    // The SNS-wrapped sample carries a message that is not an S3 event: it fails too.
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "junk"}, {"itemIdentifier": wrapped_id}]})
    );
    assert!(manifest.exists(), "the good message was processed");

    // Events spinlift does not serve get a 400 naming what it accepts.
    for event in [
        json!({}),
        json!({"Records": []}),
        json!({"Records": [{"eventSource": "aws:kinesis"}]}),
    ] {
        let (status, answer) = invoke(&host, &event).await;
        assert_eq!(status, 400, "{event}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_event");
    }
    // FIFO: after the first failure, the rest are not processed and are all reported.
    let mut fifo = fixture("powertools/s3SqsEvent.json");
    let mut first = fifo["Records"][0].clone();
    first["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:uploads.fifo".into();
    let (mut a, mut b, mut c) = (first.clone(), first.clone(), first);
    a["messageId"] = "a".into();
    b["messageId"] = "b".into();
    b["body"] = "not an event".into();
    c["messageId"] = "c".into();
    fifo["Records"] = json!([a, b, c]);
    let (_, answer) = invoke(&host, &fifo).await;
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]})
    );

    let (status, _) = invoke(&host, &fixture("powertools/eventBridgeEvent.json")).await;
    assert_eq!(status, 400, "an EventBridge event from another source");
    // AWS's SQS sample carries plain text: a message spinlift cannot use, reported as failed.
    let sample = fixture("aws_lambda_events/example-sqs-event.json");
    let id = sample["Records"][0]["messageId"].clone();
    let (status, answer) = invoke(&host, &sample).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": id}]})
    );
}

#[tokio::test]
async fn lambda_needs_the_api_token_and_post() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let event = fixture("powertools/lambdaFunctionUrlEvent.json").to_string();
    let no_token = http::Request::post("/lambda")
        .body(event.clone().into_bytes())
        .unwrap();
    assert_eq!(host.send(no_token).await.status, 401);
    let webhook = http::Request::post("/lambda")
        .header("authorization", "Bearer dev-webhook-token")
        .body(event.into_bytes())
        .unwrap();
    assert_eq!(host.send(webhook).await.status, 401);
    let get = http::Request::get("/lambda")
        .header("authorization", API)
        .body(Vec::new())
        .unwrap();
    assert_eq!(host.send(get).await.status, 405);
}

#[tokio::test]
async fn events_behind_a_stage_or_a_base_path_route_as_at_the_root() {
    let store = S3Store::start();
    let host = Host::builder()
        .s3_store(&store.host())
        .var("lambda_base_paths", "/v1, /files")
        .start()
        .await;
    let put = http::Request::put("/objects/staged.txt")
        .header("authorization", API)
        .header("content-type", "text/plain")
        .body(b"from a stage".to_vec())
        .unwrap();
    assert_eq!(host.send(put).await.status, 201);

    // An HTTP API's named stage is in rawPath; a base-path mapping in any format's path.
    let v2 = |raw_path: &str| {
        json!({"version": "2.0", "rawPath": raw_path, "rawQueryString": "", "headers": {},
            "requestContext": {"http": {"method": "GET"}, "stage": "prod"}, "isBase64Encoded": false})
    };
    let rest = |path: &str| {
        json!({"httpMethod": "GET", "path": path, "headers": {},
            "requestContext": {"stage": "live"}, "isBase64Encoded": false})
    };
    for event in [
        v2("/prod/objects/staged.txt"),
        rest("/v1/objects/staged.txt"),
        rest("/files/objects/staged.txt"),
        rest("/objects/staged.txt"),
    ] {
        let (status, answer) = invoke(&host, &event).await;
        assert_eq!(status, 200, "{event}");
        assert_eq!(
            (answer["statusCode"].clone(), answer["body"].clone()),
            (json!(200), json!("from a stage")),
            "{event}"
        );
    }
    // A prefix that is not listed is not removed.
    let (_, answer) = invoke(&host, &rest("/v2/objects/staged.txt")).await;
    assert_eq!(answer["statusCode"], 404);
}

#[tokio::test]
async fn a_lambda_at_edge_request_is_answered_as_a_generated_response() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let picture: Vec<u8> = (0..=255u8).collect();
    let put = http::Request::put("/objects/picture.jpg")
        .header("authorization", API)
        .header("content-type", "image/jpeg")
        .body(picture.clone())
        .unwrap();
    assert_eq!(host.send(put).await.status, 201);

    // AWS's sample as it is: /picture.jpg is no route here, answered 404 in CloudFront's shape.
    let sample = fixture("awsdocs/cloudfront-request-event.json");
    let (status, answer) = invoke(&host, &sample).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        keys(&answer),
        [
            "body",
            "bodyEncoding",
            "headers",
            "status",
            "statusDescription"
        ]
    );
    assert_eq!(
        (
            answer["status"].as_str(),
            answer["statusDescription"].as_str()
        ),
        (Some("404"), Some("Not Found"))
    );
    assert_eq!(answer["bodyEncoding"], "text");
    assert_eq!(
        answer["headers"]["content-type"][0]["value"],
        "application/json"
    );

    // The same event for the object, as an origin-request trigger: the bytes, base64.
    let mut event = sample.clone();
    event["Records"][0]["cf"]["config"]["eventType"] = json!("origin-request");
    event["Records"][0]["cf"]["request"]["uri"] = json!("/objects/picture.jpg");
    let (_, answer) = invoke(&host, &event).await;
    assert_eq!(answer["status"], "200", "{answer}");
    assert_eq!(answer["bodyEncoding"], "base64");
    let body = Base64::decode_vec(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, picture);
    assert_eq!(answer["headers"]["content-type"][0]["value"], "image/jpeg");
    assert!(answer["headers"].get("content-length").is_none());

    // CloudFront takes a generated response of at most 40 KB at a viewer-request trigger and
    // 1 MB at an origin-request one: a 50 KB object fits only the second.
    let large = vec![b'x'; 50_000];
    let put = http::Request::put("/objects/large.txt")
        .header("authorization", API)
        .header("content-type", "text/plain")
        .body(large.clone())
        .unwrap();
    assert_eq!(host.send(put).await.status, 201);
    event["Records"][0]["cf"]["request"]["uri"] = json!("/objects/large.txt");
    let (_, answer) = invoke(&host, &event).await;
    assert_eq!(answer["body"].as_str().map(str::len), Some(large.len()));
    let mut viewer = event.clone();
    viewer["Records"][0]["cf"]["config"]["eventType"] = json!("viewer-request");
    let (status, answer) = invoke(&host, &viewer).await;
    assert_eq!(status, 502, "{answer}");
    assert_eq!(answer["error"]["code"], "lambda_response_too_large");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("40000 bytes"));

    // A response trigger carries the request too; it is not replayed (a PUT without its
    // body would empty the object).
    let mut response_trigger = event.clone();
    let cf = &mut response_trigger["Records"][0]["cf"];
    cf["config"]["eventType"] = json!("origin-response");
    cf["request"]["method"] = json!("PUT");
    cf["response"] = json!({"status": "200", "statusDescription": "OK", "headers": {}});
    let (status, answer) = invoke(&host, &response_trigger).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("origin-response"));
    // A body CloudFront cut short is not stored as if whole.
    let mut truncated = event.clone();
    let request = &mut truncated["Records"][0]["cf"]["request"];
    request["method"] = json!("PUT");
    request["body"] =
        json!({"action": "read-only", "encoding": "text", "inputTruncated": true, "data": "x"});
    let (status, answer) = invoke(&host, &truncated).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("inputTruncated"));
    assert_eq!(
        store.object_path("large.txt").metadata().unwrap().len(),
        50_000
    );
}

#[tokio::test]
async fn answers_larger_than_an_alb_takes_are_refused_and_other_apis_get_them() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    // An ALB takes 1 MB of answer JSON from a Lambda; API Gateway and Function URLs 6 MB.
    let put = http::Request::put("/objects/big.txt")
        .header("authorization", API)
        .header("content-type", "text/plain")
        .body(vec![b'y'; 1_100_000])
        .unwrap();
    assert_eq!(host.send(put).await.status, 201);
    let alb = "aws_lambda_events/example-alb-lambda-target-request-headers-only.json";
    let http_api = "powertools/apiGatewayProxyV2Event.json";
    for (fixture_name, refused) in [(alb, true), (http_api, false)] {
        let mut event = fixture(fixture_name);
        aim(&mut event, "GET", "/objects/big.txt", "");
        let (status, answer) = invoke(&host, &event).await;
        if refused {
            assert_eq!(status, 502, "{answer}");
            assert_eq!(answer["error"]["code"], "lambda_response_too_large");
        } else {
            assert_eq!((status, &answer["statusCode"]), (200, &json!(200)));
        }
    }
}
