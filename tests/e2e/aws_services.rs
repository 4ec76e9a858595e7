//! DynamoDB, SQS, SNS and STS through spinlift's own signer and protocol code, and Secrets
//! Manager through an operation written as a user's crate would, against moto's server, which
//! verifies every signature after its bootstrap. The server first proves it judges: the same
//! call with a wrong secret is refused.

use crate::support;

use serde_json::{json, Value};
use spinlift::aws::dynamodb::{
    self, DeleteItem, Expression, GetItem, Item, PutItem, Query, UpdateItem,
};
use spinlift::aws::sns::{Publish, PublishBatch};
use spinlift::aws::sqs::{DeleteMessage, ReceiveMessage, SendMessage, SendMessageBatch};
use spinlift::aws::sts::GetCallerIdentity;
use spinlift::aws::{protocol, AwsError, Endpoint, Operation, Service};
use spinlift::cache::MemoryCache;
use spinlift::client::aws::AwsCall;
use spinlift::client::credentials;
use spinlift::client::ClientError;
use spinlift::clock::Clock;
use spinlift::env::FakeEnv;
use spinlift::sigv4::{Credentials, Signer, SigningTime};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use support::host::Host;
use support::moto::{Moto, NativeHttp};

fn now() -> SigningTime {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    SigningTime::from_unix_seconds(seconds)
}

fn vars(moto: &Moto, secret: &str) -> BTreeMap<String, String> {
    let origin = moto.origin();
    [
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", moto.fixtures.access_key_id.as_str()),
        ("aws_secret_access_key", secret),
        ("dynamodb_endpoint", &origin),
        ("sqs_endpoint", &origin),
        ("sns_endpoint", &origin),
        ("sts_endpoint", &origin),
        ("secretsmanager_endpoint", &origin),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn signer(moto: &Moto, secret: &str) -> Signer {
    Signer::new(Credentials {
        access_key_id: moto.fixtures.access_key_id.clone(),
        secret_access_key: secret.to_owned(),
        session_token: None,
    })
}

/// Calls `operation` on moto signed with `secret`; the AWS error when refused.
pub(crate) async fn call<O: Operation>(
    moto: &Moto,
    secret: &str,
    op: &O,
) -> Result<O::Output, AwsError> {
    let vars = vars(moto, secret);
    let cache = MemoryCache::default();
    let env = FakeEnv::at(now());
    let clock = Clock::new(&env, &cache);
    let aws = AwsCall::new(
        &vars,
        &NativeHttp,
        signer(moto, secret),
        "us-east-1".into(),
        &clock,
    );
    match aws.call(op).await {
        Ok(output) => Ok(output),
        Err(ClientError::Service { error, .. }) => Err(error),
        Err(other) => panic!("not an AWS error: {other:?}"),
    }
}

/// Receives what `queue` holds (up to 10 messages, without waiting) and deletes it: the bodies,
/// parsed as JSON.
pub(crate) async fn drain_queue(moto: &Moto, secret: &str, queue: &str) -> Vec<Value> {
    let receive = ReceiveMessage {
        queue_url: queue,
        max_messages: 10,
        wait_seconds: 0,
    };
    let messages = call(moto, secret, &receive).await.unwrap();
    for message in &messages {
        let delete = DeleteMessage {
            queue_url: queue,
            receipt_handle: &message.receipt_handle,
        };
        call(moto, secret, &delete).await.unwrap();
    }
    let parse = |body: &str| serde_json::from_str::<Value>(body).unwrap();
    messages.iter().map(|m| parse(&m.body)).collect()
}

pub(crate) fn item(pairs: &[(&str, Value)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Secrets Manager's `GetSecretValue`, written as a user's crate writes an operation of a
/// service spinlift has none for: `Service::Other` and the protocol helpers.
struct GetSecretValue<'a> {
    secret_id: &'a str,
}

impl Operation for GetSecretValue<'_> {
    type Output = String;
    const SERVICE: Service = Service::Other {
        signing_name: "secretsmanager",
        endpoint_variable: "secretsmanager_endpoint",
    };
    const IAM_ACTIONS: &'static [&'static str] = &["secretsmanager:GetSecretValue"];
    const IDEMPOTENT: bool = true;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        let body = json!({"SecretId": self.secret_id});
        protocol::json_1_1_request(endpoint, "secretsmanager.GetSecretValue", &body)
    }

    fn parse(
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<String, AwsError> {
        let answer: Value = protocol::json_answer(status, headers, body)?;
        let value = answer["SecretString"].as_str().map(str::to_owned);
        value.ok_or_else(|| AwsError::malformed(status, "the answer has no SecretString"))
    }
}

#[tokio::test]
async fn an_operation_of_the_users_own_reaches_a_service_spinlift_does_not_name() {
    let moto = Moto::start();
    let secret = moto.fixtures.secret_access_key.clone();
    let get = GetSecretValue {
        secret_id: &moto.fixtures.secret_id,
    };
    let forged = call(&moto, "not-the-secret", &get).await.unwrap_err();
    assert!(
        forged.is_auth(),
        "moto judges this service's signatures too: {forged:?}"
    );
    assert_eq!(call(&moto, &secret, &get).await.unwrap(), "s3cr3t value");
    let missing = GetSecretValue { secret_id: "nope" };
    let err = call(&moto, &secret, &missing).await.unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException", "{err:?}");
}

#[tokio::test]
async fn moto_refuses_a_wrong_secret_and_accepts_our_signature() {
    let moto = Moto::start();
    let secret = moto.fixtures.secret_access_key.clone();
    let forged = call(&moto, "not-the-secret", &GetCallerIdentity).await;
    let err = forged.unwrap_err();
    assert_eq!(err.code, "SignatureDoesNotMatch", "{err:?}");
    assert!(err.is_auth());
    for service in [Service::DynamoDb, Service::Sqs, Service::Sns] {
        let refused = match service {
            Service::DynamoDb => {
                let key = item(&[("pk", dynamodb::s("a")), ("sk", dynamodb::s("b"))]);
                let get = GetItem {
                    table: &moto.fixtures.table,
                    key: &key,
                    consistent: true,
                };
                call(&moto, "not-the-secret", &get).await.map(|_| ())
            }
            Service::Sqs => {
                let send = SendMessage {
                    queue_url: &moto.fixtures.queue_url,
                    body: "x",
                    fifo: None,
                };
                call(&moto, "not-the-secret", &send).await.map(|_| ())
            }
            _ => {
                let publish = Publish {
                    topic_arn: &moto.fixtures.topic_arn,
                    message: "x",
                    subject: None,
                    fifo: None,
                };
                call(&moto, "not-the-secret", &publish).await.map(|_| ())
            }
        };
        assert_eq!(
            refused.unwrap_err().code,
            "SignatureDoesNotMatch",
            "{service:?}"
        );
    }

    let identity = call(&moto, &secret, &GetCallerIdentity).await.unwrap();
    assert_eq!(identity.account, "123456789012");
    assert!(identity.arn.ends_with(":user/spinlift"), "{}", identity.arn);
}

#[tokio::test]
async fn dynamodb_items_round_trip_with_conditions() {
    let moto = Moto::start();
    let secret = moto.fixtures.secret_access_key.clone();
    let table = moto.fixtures.table.clone();
    let key = item(&[
        ("pk", dynamodb::s("photos/a b+c.jpg")),
        ("sk", dynamodb::s("manifest")),
    ]);
    let mut stored = key.clone();
    stored.insert("seq".into(), dynamodb::s("0A"));
    stored.insert("size".into(), dynamodb::n(10));
    let first_only = Expression {
        text: "attribute_not_exists(pk)".into(),
        ..Expression::default()
    };
    let put = PutItem {
        table: &table,
        item: &stored,
        condition: Some(&first_only),
    };
    call(&moto, &secret, &put).await.unwrap();
    let again = call(&moto, &secret, &put).await.unwrap_err();
    assert_eq!(again.code, "ConditionalCheckFailedException");

    let get = GetItem {
        table: &table,
        key: &key,
        consistent: true,
    };
    let read = call(&moto, &secret, &get).await.unwrap().unwrap();
    assert_eq!(read, stored);

    // Newer sequencers only: the update applies for 0B, not again for 0A.
    let newer = |seq: &str| Expression {
        text: "#seq < :seq".into(),
        names: [("#seq".to_owned(), json!("seq"))].into_iter().collect(),
        values: item(&[(":seq", dynamodb::s(seq))]),
    };
    // `size` is a reserved word: it needs a placeholder, as DynamoDB insists.
    let set = |seq: &str, size: u64| Expression {
        text: "SET #seq = :seq, #size = :size".into(),
        names: [
            ("#seq".to_owned(), json!("seq")),
            ("#size".to_owned(), json!("size")),
        ]
        .into_iter()
        .collect(),
        values: item(&[(":seq", dynamodb::s(seq)), (":size", dynamodb::n(size))]),
    };
    let update = set("0B", 20);
    let condition = newer("0B");
    let op = UpdateItem {
        table: &table,
        key: &key,
        update: &update,
        condition: Some(&condition),
    };
    let updated = call(&moto, &secret, &op).await.unwrap().unwrap();
    assert_eq!(updated["size"], dynamodb::n(20));
    let (stale, stale_condition) = (set("0A", 30), newer("0A"));
    let op = UpdateItem {
        table: &table,
        key: &key,
        update: &stale,
        condition: Some(&stale_condition),
    };
    let refused = call(&moto, &secret, &op).await.unwrap_err();
    assert_eq!(refused.code, "ConditionalCheckFailedException");

    let mut second = key.clone();
    second.insert("sk".into(), dynamodb::s("thumbnail"));
    let put = PutItem {
        table: &table,
        item: &second,
        condition: None,
    };
    call(&moto, &secret, &put).await.unwrap();
    let by_key = Expression {
        text: "pk = :pk".into(),
        values: item(&[(":pk", dynamodb::s("photos/a b+c.jpg"))]),
        ..Expression::default()
    };
    let query = Query {
        table: &table,
        key_condition: &by_key,
        limit: Some(1),
        start_key: None,
    };
    let page = call(&moto, &secret, &query).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let start = page.last_key.expect("a second page");
    let query = Query {
        table: &table,
        key_condition: &by_key,
        limit: Some(1),
        start_key: Some(&start),
    };
    let page = call(&moto, &secret, &query).await.unwrap();
    assert_eq!(page.items[0]["sk"], dynamodb::s("thumbnail"));

    let delete = DeleteItem {
        table: &table,
        key: &key,
        condition: None,
    };
    call(&moto, &secret, &delete).await.unwrap();
    assert_eq!(call(&moto, &secret, &get).await.unwrap(), None);
}

#[tokio::test]
async fn sqs_messages_are_sent_received_and_deleted() {
    let moto = Moto::start();
    let secret = moto.fixtures.secret_access_key.clone();
    let queue = moto.fixtures.queue_url.clone();
    let send = SendMessage {
        queue_url: &queue,
        body: "{\"key\":\"a b\"}",
        fifo: None,
    };
    let id = call(&moto, &secret, &send).await.unwrap();
    assert!(!id.is_empty());
    let entries = [
        ("one".to_owned(), "first".to_owned()),
        ("two".to_owned(), "second".to_owned()),
    ];
    let batch = SendMessageBatch {
        queue_url: &queue,
        entries: &entries,
    };
    let outcome = call(&moto, &secret, &batch).await.unwrap();
    assert_eq!(outcome.successful, ["one", "two"]);
    assert!(outcome.failed.is_empty());

    let receive = ReceiveMessage {
        queue_url: &queue,
        max_messages: 10,
        wait_seconds: 0,
    };
    let messages = call(&moto, &secret, &receive).await.unwrap();
    let mut bodies: Vec<&str> = messages.iter().map(|m| m.body.as_str()).collect();
    bodies.sort_unstable();
    assert_eq!(bodies, ["first", "second", "{\"key\":\"a b\"}"]);
    for message in &messages {
        let delete = DeleteMessage {
            queue_url: &queue,
            receipt_handle: &message.receipt_handle,
        };
        call(&moto, &secret, &delete).await.unwrap();
    }
    let bad = DeleteMessage {
        queue_url: &queue,
        receipt_handle: "not-a-handle",
    };
    let err = call(&moto, &secret, &bad).await.unwrap_err();
    assert_eq!(err.code, "ReceiptHandleIsInvalid", "{err:?}");
}

#[tokio::test]
async fn sns_publishes_reach_a_subscribed_queue() {
    let moto = Moto::start();
    let secret = moto.fixtures.secret_access_key.clone();
    let topic = moto.fixtures.topic_arn.clone();
    let publish = Publish {
        topic_arn: &topic,
        message: "indexed a b+c.jpg",
        subject: Some("spinlift"),
        fifo: None,
    };
    assert!(!call(&moto, &secret, &publish).await.unwrap().is_empty());
    let entries = [
        ("1".to_owned(), "batch one".to_owned()),
        ("2".to_owned(), "batch two".to_owned()),
    ];
    let batch = PublishBatch {
        topic_arn: &topic,
        entries: &entries,
    };
    let outcome = call(&moto, &secret, &batch).await.unwrap();
    assert_eq!(outcome.successful, ["1", "2"]);

    let sink = moto.fixtures.topic_sink_url.clone();
    let receive = ReceiveMessage {
        queue_url: &sink,
        max_messages: 10,
        wait_seconds: 0,
    };
    let mut bodies: Vec<String> = call(&moto, &secret, &receive)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    bodies.sort_unstable();
    assert_eq!(bodies, ["batch one", "batch two", "indexed a b+c.jpg"]);

    let missing = Publish {
        topic_arn: "arn:aws:sns:us-east-1:123456789012:nope",
        message: "x",
        subject: None,
        fifo: None,
    };
    let err = call(&moto, &secret, &missing).await.unwrap_err();
    assert_eq!(err.code, "NotFound", "{err:?}");
}

/// Counts AssumeRole calls on their way to moto.
struct Counting(AtomicUsize);

impl spinlift::outbound::HttpClient for Counting {
    async fn send(
        &self,
        request: http::Request<()>,
        body: spinlift::body::Body,
    ) -> Result<http::Response<spinlift::body::Body>, spinlift::outbound::TransportError> {
        if let spinlift::body::Body::Bytes(bytes) = &body {
            if bytes.starts_with(b"Action=AssumeRole&") {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        NativeHttp.send(request, body).await
    }
}

#[tokio::test]
async fn an_assumed_role_signs_calls_and_is_renewed_before_it_expires() {
    let moto = Moto::start();
    let mut vars = vars(&moto, &moto.fixtures.secret_access_key);
    vars.insert("aws_role_arn".into(), moto.fixtures.role_arn.clone());
    let (client, cache) = (Counting(AtomicUsize::new(0)), MemoryCache::default());
    let clock_cache = MemoryCache::default();
    let start = now();

    let resolved = credentials::resolve(
        &vars,
        &client,
        &cache,
        &Clock::new(&FakeEnv::at(start), &clock_cache),
    )
    .await
    .unwrap();
    let expires_at = resolved.expires_at.expect("a session expires");
    let start_env = FakeEnv::at(start);
    let start_clock = Clock::new(&start_env, &clock_cache);
    let sts = AwsCall::new(
        &vars,
        &client,
        Signer::new(resolved.credentials),
        "us-east-1".into(),
        &start_clock,
    );
    let identity = sts.call(&GetCallerIdentity).await.unwrap();
    assert!(
        identity
            .arn
            .contains(":assumed-role/spinlift-exec/spinlift"),
        "{}",
        identity.arn
    );
    assert_eq!(client.0.load(Ordering::Relaxed), 1);

    // The cached session serves the next requests...
    credentials::resolve(
        &vars,
        &client,
        &cache,
        &Clock::new(&FakeEnv::at(start), &clock_cache),
    )
    .await
    .unwrap();
    assert_eq!(client.0.load(Ordering::Relaxed), 1, "served from the cache");
    // ...until 45 minutes before it expires, and not before.
    let early = SigningTime::from_unix_seconds(expires_at - 2701);
    credentials::resolve(
        &vars,
        &client,
        &cache,
        &Clock::new(&FakeEnv::at(early), &clock_cache),
    )
    .await
    .unwrap();
    assert_eq!(
        client.0.load(Ordering::Relaxed),
        1,
        "still 45 min 1 s to go"
    );
    let late = SigningTime::from_unix_seconds(expires_at - 2699);
    credentials::resolve(
        &vars,
        &client,
        &cache,
        &Clock::new(&FakeEnv::at(late), &clock_cache),
    )
    .await
    .unwrap();
    assert_eq!(client.0.load(Ordering::Relaxed), 2, "renewed near expiry");

    // Without the role, the keys sign for the user itself.
    vars.remove("aws_role_arn");
    let resolved = credentials::resolve(
        &vars,
        &client,
        &cache,
        &Clock::new(&FakeEnv::at(start), &clock_cache),
    )
    .await
    .unwrap();
    assert_eq!(resolved.expires_at, None);
    let identity = AwsCall::new(
        &vars,
        &client,
        Signer::new(resolved.credentials),
        "us-east-1".into(),
        &Clock::new(&FakeEnv::at(start), &clock_cache),
    )
    .call(&GetCallerIdentity)
    .await
    .unwrap();
    assert!(identity.arn.ends_with(":user/spinlift"));
}

#[tokio::test]
async fn the_deep_health_check_shows_who_the_component_is() {
    let moto = Moto::start();
    let host = |secret: &str, role: Option<&str>| {
        let mut builder = Host::builder()
            .var("aws_access_key_id", &moto.fixtures.access_key_id)
            .var("aws_secret_access_key", secret)
            .var("sts_endpoint", &moto.origin());
        if let Some(role) = role {
            builder = builder.var("aws_role_arn", role);
        }
        builder.start()
    };
    let deep = || {
        http::Request::get("/healthz?deep=1")
            .header("authorization", "Bearer dev-api-token")
            .body(Vec::new())
            .unwrap()
    };
    let good = host(&moto.fixtures.secret_access_key, None).await;
    let answer = good.send(deep()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["aws"]["account"], "123456789012");
    assert!(body["aws"]["arn"]
        .as_str()
        .unwrap()
        .ends_with(":user/spinlift"));
    assert!(
        !answer.body.contains(&moto.fixtures.access_key_id),
        "never the keys"
    );
    let unauthenticated = http::Request::get("/healthz?deep=1")
        .body(Vec::new())
        .unwrap();
    assert_eq!(good.send(unauthenticated).await.status, 401);

    let role = host(
        &moto.fixtures.secret_access_key,
        Some(&moto.fixtures.role_arn),
    )
    .await;
    let body: Value = serde_json::from_str(&role.send(deep()).await.body).unwrap();
    assert!(body["aws"]["arn"]
        .as_str()
        .unwrap()
        .contains(":assumed-role/spinlift-exec/"));

    let bad = host("not-the-secret", None).await;
    let answer = bad.send(deep()).await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["error"]["code"], "SignatureDoesNotMatch");
    assert!(!answer.body.contains("not-the-secret"));
}
