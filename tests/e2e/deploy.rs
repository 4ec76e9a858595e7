//! `deploy/aws/spinlift.yaml` deployed to moto, in both delivery modes, then used.
//!
//! `tests/tools/deploy_stack.py` deploys it (to moto's CloudFormation what it implements, the
//! rest through moto's API from the template's own properties: it says which), creates the
//! user's key as the README does, and reads back what AWS holds. These tests check what was
//! made, compare the policies with the actions spinlift's code calls (those of the
//! [`spinlift::iam`] operations its routes and indexer build), both ways, and then run the
//! component configured from the stack's outputs, with the stack's key. The event paths as
//! moto runs them, with its own S3 events, are in `deploy_delivery.rs`.
//!
//! How far moto judges IAM policies (moto 5.2, `moto/iam/access_control.py`): actions and
//! resources for S3 (object and bucket ARNs), SQS (the queue's ARN) and STS AssumeRole (the
//! role's ARN and its trust policy); DynamoDB and SNS only as `*`, which no scoped statement
//! matches; `Condition` blocks not at all (a statement with one never allows). So the S3,
//! SQS and STS scopes are proven by moto refusing calls, and DynamoDB's and SNS's by the
//! policy documents alone.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{json, Value};
use spinlift::iam::{self, Scope};

use crate::api::{call, error_code, json_of};
use crate::support::host::{Host, HostBuilder};
use crate::support::moto::{self, Moto};

pub(crate) const TOKEN: &str = "spinlift-webhook-token-of-forty-characters";

/// Deploys the stack with `params` and returns what AWS holds.
pub(crate) fn deploy(moto: &Moto, params: Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/deploy_stack.py");
    let out = Command::new(moto::python())
        .args([script, &moto.origin(), &moto.fixtures.access_key_id])
        .args([&moto.fixtures.secret_access_key, &params.to_string()])
        .output()
        .expect("run deploy_stack.py");
    assert!(
        out.status.success(),
        "deploy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("deploy_stack.py's JSON")
}

/// The request headers the stack's bucket CORS rule allows (`AllowedHeaders` in
/// `deploy/aws/spinlift.yaml`): the browser tests' store allows exactly these, so the upload
/// page is shown to work under the rule the stack makes.
pub(crate) fn bucket_cors_headers() -> Vec<String> {
    let template = include_str!("../../deploy/aws/spinlift.yaml");
    let mut lines = template
        .lines()
        .skip_while(|l| l.trim() != "AllowedHeaders:");
    let indent = |line: &str| line.len() - line.trim_start().len();
    let at = lines
        .next()
        .map(indent)
        .expect("AllowedHeaders in the template");
    let headers: Vec<String> = lines
        .take_while(|l| indent(l) > at && l.trim_start().starts_with("- "))
        .map(|l| l.trim_start()[2..].trim().to_owned())
        .collect();
    assert!(
        !headers.is_empty(),
        "no AllowedHeaders list in the template"
    );
    headers
}

/// The parameters both tests share: the table, queue and topic are the bootstrap's.
pub(crate) fn params(stack: &str, delivery: &str, credentials: &str, prefix: &str) -> Value {
    json!({
        "_stack": stack,
        "AppUrl": "https://spinlift.example.com",
        "WebhookToken": TOKEN,
        "Delivery": delivery,
        "BucketName": format!("{stack}-bucket"),
        "ObjectPrefix": prefix,
        "IndexTableName": "spinlift-index",
        "NotifyQueueName": "spinlift-notify",
        "NotifyTopicName": "spinlift-notify",
        "Credentials": credentials,
    })
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        other => panic!("not a string or list: {other}"),
    }
}

/// A key ARN in the form KMS gives (the key id is the AWS documentation's example).
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// Whether a statement lets S3 use a KMS key on the caller's behalf (`kms:ViaService`): those
/// are the bucket's encryption, not calls of the app's code.
fn through_s3(statement: &Value) -> bool {
    !statement["Condition"]["StringEquals"]["kms:ViaService"].is_null()
}

/// The statements of the policy documents that let S3 use a KMS key (`BucketKmsKeyArn`).
fn bucket_key_statements(documents: &[Value]) -> Vec<Value> {
    let statements = documents
        .iter()
        .flat_map(|d| d["Statement"].as_array().unwrap());
    statements.filter(|s| through_s3(s)).cloned().collect()
}

/// Every (action, resource) the policy documents allow, but for the KMS key's through S3;
/// no statement denies or uses `*`.
fn allowed(documents: &[Value]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for document in documents {
        for statement in document["Statement"].as_array().expect("statements") {
            assert_eq!(statement["Effect"], "Allow", "{statement}");
            if through_s3(statement) {
                continue;
            }
            for action in strings(&statement["Action"]) {
                for resource in strings(&statement["Resource"]) {
                    assert!(!action.contains('*') && resource != "*", "{statement}");
                    pairs.push((action.clone(), resource));
                }
            }
        }
    }
    pairs
}

/// The `spinlift` crate's source without its test modules, file by file.
fn edge_source() -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                walk(&path, out);
            } else if name.ends_with(".rs") && !name.ends_with("_tests.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push(text.split("#[cfg(test)]").next().unwrap().to_owned());
            }
        }
    }
    let mut files = Vec::new();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/spinlift/src");
    walk(std::path::Path::new(root), &mut files);
    files
}

/// The IAM actions of the operations spinlift's own code builds (`Name {` outside a
/// `struct` line, or `PresignMethod::Get`/`Put`): what its routes and indexer call.
fn called_actions() -> BTreeSet<&'static str> {
    let source = edge_source();
    let builds = |name: &str| {
        let pattern = match name {
            "PresignObject(GET)" => "PresignMethod::Get".to_owned(),
            "PresignObject(PUT)" => "PresignMethod::Put".to_owned(),
            other => format!("{other} {{"),
        };
        source.iter().flat_map(|f| f.lines()).any(|line| {
            !line.contains("struct ")
                && line.match_indices(&pattern).any(|(at, _)| {
                    let before = line[..at].chars().last();
                    !before.is_some_and(|c| c.is_alphanumeric())
                })
        })
    };
    let called: BTreeSet<&str> = iam::OPERATIONS
        .iter()
        .filter(|(name, _)| builds(name))
        .flat_map(|(_, actions)| actions.iter().copied())
        .collect();
    // The scan sees what it should: the object API, the indexer's table and notifications.
    for action in [
        "s3:ListMultipartUploadParts",
        "dynamodb:PutItem",
        "sqs:SendMessage",
    ] {
        assert!(called.contains(action), "{action} not found in {called:?}");
    }
    // And not what only a user's handler could call.
    for action in ["dynamodb:Query", "sqs:ReceiveMessage"] {
        assert!(iam::actions().contains(action) && !called.contains(action));
    }
    called
}

/// Checks the app's policies against the code: the same actions both ways (`sts:AssumeRole`
/// only when the app assumes a role), each on the resource of its scope.
fn assert_policies_match_the_code(documents: &[Value], bucket: &str, prefix: &str, role: bool) {
    let pairs = allowed(documents);
    let granted: BTreeSet<&str> = pairs.iter().map(|(a, _)| a.as_str()).collect();
    let needed: BTreeSet<&str> = called_actions()
        .into_iter()
        .filter(|a| role || *a != "sts:AssumeRole")
        .collect();
    let refused: Vec<_> = needed.difference(&granted).collect();
    let unused: Vec<_> = granted.difference(&needed).collect();
    assert!(
        refused.is_empty(),
        "the code calls, the policy refuses: {refused:?}"
    );
    assert!(
        unused.is_empty(),
        "the policy allows, the code never calls: {unused:?}"
    );
    let arn = "arn:aws:";
    let account = "us-east-1:123456789012";
    for (action, resource) in &pairs {
        let expected = match iam::scope(action).expect("a known service") {
            Scope::Objects => format!("{arn}s3:::{bucket}/{prefix}*"),
            Scope::Bucket => format!("{arn}s3:::{bucket}"),
            Scope::Table => format!("{arn}dynamodb:{account}:table/spinlift-index"),
            Scope::Queue => format!("{arn}sqs:{account}:spinlift-notify"),
            Scope::Topic => format!("{arn}sns:{account}:spinlift-notify"),
            Scope::Role => {
                assert!(resource.starts_with(&format!("{arn}iam::123456789012:role/")));
                continue;
            }
        };
        assert_eq!(resource, &expected, "{action}");
    }
}

/// Every identity and resource policy the stack made passes parliament (`tests/tools/iam_lint.py`):
/// the actions exist, take the resources named, and take the condition keys used. moto judges
/// no conditions, so this is what checks, say, `kms:ViaService` against the KMS actions.
fn assert_iam_lint_passes(held: &Value) {
    let sources = [
        ("user", &held["user_policies"]),
        ("role", &held["role"]["policies"]),
        ("invoke role", &held["eventbridge"]["invoke_role_policy"]),
        ("topic", &held["topic"]["policy"]),
        ("dead letters", &held["dead_letters"]["policy"]),
    ];
    let mut documents = Vec::new();
    for (name, found) in sources {
        let list = found.as_array().cloned().unwrap_or(vec![found.clone()]);
        for (i, document) in list.into_iter().filter(|d| !d.is_null()).enumerate() {
            documents.push(json!({"name": format!("{name} {i}"), "document": document}));
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/iam_lint.py");
    let out = Command::new(moto::python())
        .args([script, &Value::from(documents.clone()).to_string()])
        .output()
        .expect("run iam_lint.py");
    assert!(
        out.status.success(),
        "iam_lint.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<_> = documents.iter().map(|d| d["name"].clone()).collect();
    assert_eq!(findings, json!([]), "checked {names:?}");
    assert!(names.len() >= 5, "{names:?}");
}

/// The stack's `SpinVariables` output as (name, value) pairs.
fn spin_variables(held: &Value) -> Vec<(String, String)> {
    let text = held["outputs"]["SpinVariables"].as_str().unwrap();
    text.split("--variable ")
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            let (name, value) = v.trim().split_once('=').expect("name=value");
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// A host configured as the README deploys it: the stack's outputs, the user's new key, the
/// webhook token.
fn deployed_host(held: &Value) -> HostBuilder {
    let mut builder = Host::builder();
    for (name, value) in spin_variables(held) {
        builder = builder.var(&name, &value);
    }
    let secret = held["secret_access_key"].as_str().unwrap();
    builder
        .var("aws_access_key_id", held["access_key_id"].as_str().unwrap())
        .var("aws_secret_access_key", secret)
        .var("webhook_token", TOKEN)
}

/// [`deployed_host`] with AWS's endpoints swapped for moto's. DynamoDB and SNS stay off:
/// moto judges them against `*`, which the stack's scoped statements never match, so every
/// call would be refused there (their scopes are checked in the policy documents).
pub(crate) fn host_for(moto: &Moto, held: &Value) -> HostBuilder {
    deployed_host(held)
        .var("s3_scheme", "http")
        .var("s3_host", moto.origin().trim_start_matches("http://"))
        .var("s3_path_style", "true")
        .var("sts_endpoint", &moto.origin())
        .var("sqs_endpoint", &moto.origin())
        .var("index_table", "")
        .var("notify_topic_arn", "")
}

/// The outputs as they are (AWS's endpoints) configure the app: a request gets as far as
/// calling AWS, which this machine cannot reach, instead of a configuration error.
async fn assert_the_outputs_configure_the_app(held: &Value) {
    let host = deployed_host(held).start().await;
    let answer = call(&host, "GET", "/objects/app/report.txt", &[], b"").await;
    assert_ne!(error_code(&answer), "config", "{answer:?}");
    assert!([502, 504].contains(&answer.status), "{answer:?}");
}

/// A raw S3 notification of one created object.
fn created(bucket: &str, key: &str) -> Vec<u8> {
    json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-12-03T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
               "object": {"key": key, "size": 5, "eTag": "x", "sequencer": "00A1"}}
    }]})
    .to_string()
    .into_bytes()
}

/// An EventBridge `Object Created` event, as an API destination delivers it.
fn eventbridge_created(bucket: &str, key: &str) -> Vec<u8> {
    json!({
        "version": "0", "id": "1", "detail-type": "Object Created", "source": "aws.s3",
        "account": "123456789012", "time": "2026-12-03T00:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{bucket}")],
        "detail": {"version": "0", "bucket": {"name": bucket},
                   "object": {"key": key, "size": 5, "sequencer": "00A1"},
                   "request-id": "R", "requester": "123456789012", "reason": "PutObject"}
    })
    .to_string()
    .into_bytes()
}

/// A webhook delivery with the token as a bearer credential.
pub(crate) fn delivery(body: Vec<u8>) -> http::Request<Vec<u8>> {
    http::Request::post("/events/s3")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(body)
        .unwrap()
}

fn contains_all(list: &Value, names: &[&str]) -> bool {
    let list = strings(list);
    names.iter().all(|n| list.iter().any(|l| l == n))
}

#[tokio::test]
async fn the_stack_via_sns_gives_a_user_exactly_what_spinlift_calls() {
    let moto = Moto::start();
    let held = deploy(&moto, params("sns-user", "sns", "user", ""));
    let bucket = "sns-user-bucket";

    // What moto's CloudFormation made, and what went through its API.
    let by_cfn = [
        "AppUser",
        "AppPolicy",
        "TablePolicy",
        "QueuePolicy",
        "TopicPolicy",
    ];
    assert!(contains_all(&held["by_cloudformation"], &by_cfn), "{held}");
    let by_cfn = ["Bucket", "EventTopic", "UndeliveredEvents"];
    assert!(contains_all(&held["by_cloudformation"], &by_cfn), "{held}");
    let by_api = [
        "EventTopicPolicy",
        "EventSubscription",
        "UndeliveredEventsPolicy",
    ];
    assert!(contains_all(&held["by_api"], &by_api), "{held}");

    let user_policies = held["user_policies"].as_array().unwrap();
    assert_policies_match_the_code(user_policies, bucket, "", false);
    assert_iam_lint_passes(&held);
    assert!(held.get("role").is_none());
    // No BucketKmsKeyArn: the AWS-managed key, which needs no grant.
    assert_eq!(bucket_key_statements(user_policies), Vec::<Value>::new());

    // The bucket: private, encrypted, abandoned uploads aborted after a day, events to the
    // topic. (moto drops BucketKeyEnabled, so it is not read back.)
    let lifecycle = &held["bucket"]["lifecycle"][0];
    assert_eq!(lifecycle["Status"], "Enabled");
    let abort = &lifecycle["AbortIncompleteMultipartUpload"];
    assert_eq!(abort["DaysAfterInitiation"], 1);
    let encryption = &held["bucket"]["encryption"][0]["ApplyServerSideEncryptionByDefault"];
    assert_eq!(encryption["SSEAlgorithm"], "aws:kms");
    assert_eq!(encryption["KMSMasterKeyID"], "alias/aws/s3");
    let ownership = &held["bucket"]["ownership"][0]["ObjectOwnership"];
    assert_eq!(ownership, "BucketOwnerEnforced");
    let block = &held["bucket"]["public_access_block"];
    for flag in ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy"] {
        assert_eq!(block[flag], true, "{flag}");
    }
    assert_eq!(block["RestrictPublicBuckets"], true);
    // No BrowserOrigin: no CORS rules, and no origin for the app to allow.
    assert!(held["bucket"]["cors"].is_null(), "{}", held["bucket"]);
    assert!(!spin_variables(&held)
        .iter()
        .any(|(name, _)| name == "cors_allowed_origins"));
    let topic = held["topic"]["arn"].as_str().unwrap();
    let events: BTreeSet<String> = held["bucket"]["notification"]["TopicConfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|c| assert_eq!(c["TopicArn"], topic))
        .flat_map(|c| strings(&c["Events"]))
        .collect();
    let expected = [
        "s3:ObjectCreated:*".to_owned(),
        "s3:ObjectRemoved:*".to_owned(),
        "s3:LifecycleExpiration:*".to_owned(),
    ];
    assert_eq!(events, BTreeSet::from(expected));

    // Only this bucket, in this account, publishes to the topic.
    let statement = &held["topic"]["policy"]["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "s3.amazonaws.com");
    assert_eq!(statement["Action"], "sns:Publish");
    assert_eq!(statement["Resource"], topic);
    let condition = &statement["Condition"];
    assert_eq!(
        condition["ArnEquals"]["aws:SourceArn"],
        format!("arn:aws:s3:::{bucket}")
    );
    assert_eq!(
        condition["StringEquals"]["aws:SourceAccount"],
        "123456789012"
    );

    // One HTTPS subscription with the token, retried for most of an hour, then dead letters.
    let subscriptions = held["topic"]["subscriptions"].as_array().unwrap();
    assert_eq!(subscriptions.len(), 1);
    let subscription = &subscriptions[0];
    assert_eq!(subscription["Protocol"], "https");
    let endpoint = format!("https://spinlift.example.com/events/s3?token={TOKEN}");
    assert_eq!(subscription["Endpoint"], endpoint);
    let attributes = &subscription["Attributes"];
    assert_eq!(attributes["RawMessageDelivery"], "false");
    let policy =
        |name: &str| -> Value { serde_json::from_str(attributes[name].as_str().unwrap()).unwrap() };
    assert_eq!(
        policy("DeliveryPolicy")["healthyRetryPolicy"]["numRetries"],
        20
    );
    let dead_letters = &held["dead_letters"];
    assert_eq!(
        policy("RedrivePolicy")["deadLetterTargetArn"],
        dead_letters["arn"]
    );
    // The command that asks again once the app is up makes the same subscription: run by a
    // shell (an `aws` that prints its arguments), it passes the same endpoint, with the token
    // from the shell, and the same two policies.
    let command = held["outputs"]["SubscribeCommand"].as_str().unwrap();
    let argv = run_with_fake_aws(command, Some(TOKEN)).expect("the command runs");
    let arg = |flag: &str| {
        let at = argv.iter().position(|a| a == flag);
        at.map(|i| argv[i + 1].clone()).unwrap_or_default()
    };
    assert_eq!(argv[..2], ["sns", "subscribe"], "{argv:?}");
    assert_eq!(arg("--topic-arn"), topic);
    assert_eq!(arg("--protocol"), "https");
    assert_eq!(arg("--notification-endpoint"), endpoint);
    let asked: Value = serde_json::from_str(&arg("--attributes")).unwrap();
    for name in ["DeliveryPolicy", "RedrivePolicy"] {
        let again: Value = serde_json::from_str(asked[name].as_str().unwrap()).unwrap();
        assert_eq!(again, policy(name), "{name}");
    }
    // In a shell without the token it stops before calling aws (it would subscribe a URL
    // with an empty token, a new subscription the app refuses).
    assert_eq!(run_with_fake_aws(command, None), None);
    let statement = &dead_letters["policy"]["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "sns.amazonaws.com");
    assert_eq!(statement["Condition"]["ArnEquals"]["aws:SourceArn"], topic);
    assert_eq!(dead_letters["retention"], "1209600");
    assert_eq!(dead_letters["sse"], "true");

    // The outputs: what deploy needs, no secret.
    let variables = spin_variables(&held);
    let value = |name: &str| {
        let found = variables.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.clone()).unwrap_or_default()
    };
    assert_eq!(value("sns_topic_arns"), topic);
    assert_eq!(
        value("s3_host"),
        format!("{bucket}.s3.us-east-1.amazonaws.com")
    );
    assert_eq!(value("index_table"), "spinlift-index");
    let text = held["outputs"]["SpinVariables"].as_str().unwrap();
    assert!(!text.contains(TOKEN) && !text.contains("secret"));
    assert_the_outputs_configure_the_app(&held).await;

    // The component, configured from the outputs with the user's key, through moto's S3
    // and SQS (the notify queue's URL made moto's).
    let host = host_for(&moto, &held)
        .var("notify_queue_url", &moto.fixtures.queue_url)
        .start()
        .await;
    let put = call(&host, "PUT", "/objects/report.txt", &[], b"hello").await;
    assert_eq!(put.status, 201, "{put:?}");
    let get = call(&host, "GET", "/objects/report.txt", &[], b"").await;
    assert_eq!((get.status, get.body.as_str()), (200, "hello"));
    let list = call(&host, "GET", "/objects", &[], b"").await;
    assert_eq!(list.status, 200, "{list:?}");
    // An event: the object read, its manifest written, the queue notified (moto judges the
    // queue's ARN against the policy).
    let indexed = host.send(delivery(created(bucket, "report.txt"))).await;
    assert_eq!(indexed.status, 200, "{indexed:?}");
    assert_eq!(json_of(&indexed)["processed"], 1, "{indexed:?}");
    let delete = call(&host, "DELETE", "/objects/report.txt", &[], b"").await;
    assert_eq!(delete.status, 204, "{delete:?}");

    // Outside the policy: another bucket, another queue.
    let elsewhere = host_for(&moto, &held)
        .var("s3_bucket", &moto.fixtures.bucket)
        .start()
        .await;
    let refused = call(&elsewhere, "PUT", "/objects/report.txt", &[], b"hello").await;
    let outcome = (refused.status, error_code(&refused));
    assert_eq!(outcome, (502, "AccessDenied".to_owned()), "{refused:?}");
    let other_queue = host_for(&moto, &held)
        .var("notify_queue_url", &moto.fixtures.topic_sink_url)
        .start()
        .await;
    call(&other_queue, "PUT", "/objects/again.txt", &[], b"hello").await;
    let failed = other_queue
        .send(delivery(created(bucket, "again.txt")))
        .await;
    assert_eq!(failed.status, 502, "{failed:?}");
    assert!(failed.body.contains("AccessDenied"), "{failed:?}");
}

/// Runs a command an output gives (`aws ...`) in bash, with `WEBHOOK_TOKEN` set or not, and
/// `aws` a shell function that prints its arguments: what the real CLI would receive. `None`
/// when bash refuses to run it.
fn run_with_fake_aws(command: &str, token: Option<&str>) -> Option<Vec<String>> {
    let script = format!("aws() {{ printf '%s\\0' \"$@\"; }}\n{command}");
    let mut bash = Command::new("bash");
    bash.args(["-c", &script]).env_remove("WEBHOOK_TOKEN");
    if let Some(token) = token {
        bash.env("WEBHOOK_TOKEN", token);
    }
    let out = bash.output().unwrap();
    let args = String::from_utf8(out.stdout).unwrap();
    let args = args.split_terminator('\0').map(str::to_owned).collect();
    out.status.success().then_some(args)
}

#[tokio::test]
async fn the_stack_via_eventbridge_gives_a_role_the_same_under_a_prefix() {
    let moto = Moto::start();
    let mut asked = params("eb-role", "eventbridge", "role", "app/");
    asked["BrowserOrigin"] = json!("https://files.example.com");
    asked["BucketKmsKeyArn"] = json!(KMS_KEY);
    let held = deploy(&moto, asked);
    let bucket = "eb-role-bucket";

    let by_cfn = [
        "AppUser",
        "AppRole",
        "AppPolicy",
        "AssumeRolePolicy",
        "UndeliveredEvents",
    ];
    assert!(contains_all(&held["by_cloudformation"], &by_cfn), "{held}");
    let by_api = [
        "WebhookConnection",
        "WebhookDestination",
        "ObjectEventRule",
        "InvokeDestinationRole",
        "UndeliveredEventsPolicy",
    ];
    assert!(contains_all(&held["by_api"], &by_api), "{held}");

    // The user may only assume the role; the role holds what the code calls.
    let user = held["user_policies"].as_array().unwrap();
    let role = &held["role"];
    let assume = (
        "sts:AssumeRole".to_owned(),
        role["arn"].as_str().unwrap().to_owned(),
    );
    assert_eq!(allowed(user), vec![assume]);
    let trust = &role["trust"]["Statement"][0];
    assert_eq!(trust["Action"], "sts:AssumeRole");
    let principal = trust["Principal"]["AWS"].as_str().unwrap();
    assert!(principal.contains(":user/eb-role-AppUser"), "{principal}");
    let mut documents = role["policies"].as_array().unwrap().clone();
    documents.extend(user.iter().cloned());
    assert_policies_match_the_code(&documents, bucket, "app/", true);
    assert_iam_lint_passes(&held);

    // The customer-managed key: the bucket encrypts with it, and the role (not the user) may
    // use it through this region's S3 for exactly what S3 does with it.
    let encryption = &held["bucket"]["encryption"][0]["ApplyServerSideEncryptionByDefault"];
    assert_eq!(encryption["KMSMasterKeyID"], KMS_KEY);
    assert_eq!(bucket_key_statements(user), Vec::<Value>::new());
    let key_use = json!([{
        "Sid": "BucketKey", "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": KMS_KEY,
        "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    }]);
    assert_eq!(
        json!(bucket_key_statements(role["policies"].as_array().unwrap())),
        key_use
    );

    // EventBridge: the bucket's events under the prefix, to the webhook with the token,
    // retried for a day, then dead letters. (moto stores a bucket's EventBridgeConfiguration
    // but leaves it out when read back: this is what the template made the API send.)
    let sent = &held["bucket"]["notification_sent"];
    assert_eq!(sent, &json!({"EventBridgeConfiguration": {}}));
    assert_eq!(held["bucket"]["notification"], json!({}));
    let eventbridge = &held["eventbridge"];
    let pattern = json!({
        "source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": "app/"}]}}
    });
    assert_eq!(eventbridge["pattern"], pattern);
    let destination = &eventbridge["destination"];
    let endpoint = "https://spinlift.example.com/events/s3";
    assert_eq!(destination["InvocationEndpoint"], endpoint);
    assert_eq!(destination["HttpMethod"], "POST");
    assert_eq!(destination["InvocationRateLimitPerSecond"], 10);
    let connection = &eventbridge["connection"];
    assert_eq!(destination["ConnectionArn"], connection["arn"]);
    assert_eq!(connection["authorization"], "API_KEY");
    assert_eq!(connection["api_key_name"], "Authorization");
    let targets = eventbridge["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1);
    let target = &targets[0];
    assert_eq!(target["Arn"], destination["ApiDestinationArn"]);
    let dead_letters = &held["dead_letters"];
    assert_eq!(target["DeadLetterConfig"]["Arn"], dead_letters["arn"]);
    let retry = json!({"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400});
    assert_eq!(target["RetryPolicy"], retry);
    let invoker = target["RoleArn"].as_str().unwrap();
    assert!(invoker.contains(":role/eb-role-InvokeDestinationRole"));
    // The rule is named from the stack's id, and only it, in this account, may act as the
    // invoking role.
    let rule = eventbridge["rule_arn"].as_str().unwrap();
    let (_, name) = rule.split_once(":rule/").unwrap();
    assert!(
        name.starts_with("spinlift-events-") && name.len() == 52,
        "{rule}"
    );
    let trust = &eventbridge["invoke_role_trust"]["Statement"][0];
    assert_eq!(trust["Principal"]["Service"], "events.amazonaws.com");
    let condition = json!({
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnEquals": {"aws:SourceArn": rule},
    });
    assert_eq!(trust["Condition"], condition);
    let invoke = &eventbridge["invoke_role_policy"]["Statement"][0];
    assert_eq!(invoke["Action"], "events:InvokeApiDestination");
    assert_eq!(invoke["Resource"], destination["ApiDestinationArn"]);
    let statement = &dead_letters["policy"]["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(statement["Resource"], dead_letters["arn"]);
    assert_eq!(statement["Condition"]["ArnEquals"]["aws:SourceArn"], rule);
    assert!(held.get("topic").is_none());

    let variables = spin_variables(&held);
    assert!(variables.contains(&("index_prefix".into(), "app/_index/".into())));
    // The page's origin, allowed by the bucket (its parts and their checksums, the ETags
    // read back) and by the app.
    let origin = "https://files.example.com";
    assert!(variables.contains(&("cors_allowed_origins".into(), origin.into())));
    let cors = &held["bucket"]["cors"];
    assert_eq!(cors.as_array().map(Vec::len), Some(1), "{cors}");
    assert_eq!(strings(&cors[0]["AllowedOrigins"]), [origin]);
    assert_eq!(strings(&cors[0]["AllowedMethods"]), ["GET", "PUT", "POST"]);
    assert_eq!(strings(&cors[0]["ExposeHeaders"]), ["ETag"]);
    let headers = strings(&cors[0]["AllowedHeaders"]);
    for algorithm in spinlift::s3::ChecksumAlgorithm::ALL {
        assert!(
            headers.iter().any(|h| h == algorithm.header()),
            "{headers:?}"
        );
    }
    assert_the_outputs_configure_the_app(&held).await;

    // The component assumes the role (moto checks the trust policy) and works under the
    // prefix, the indexer included; outside it, the role's own policy refuses.
    let host = host_for(&moto, &held).start().await;
    let put = call(&host, "PUT", "/objects/app/report.txt", &[], b"hello").await;
    assert_eq!(put.status, 201, "{put:?}");
    let get = call(&host, "GET", "/objects/app/report.txt", &[], b"").await;
    assert_eq!((get.status, get.body.as_str()), (200, "hello"));
    let missing = call(&host, "GET", "/objects/app/missing.txt", &[], b"").await;
    assert_eq!(missing.status, 404, "{missing:?}");
    let list = call(&host, "GET", "/objects?prefix=app/", &[], b"").await;
    assert_eq!(list.status, 200, "{list:?}");
    let indexed = host
        .send(delivery(eventbridge_created(bucket, "app/report.txt")))
        .await;
    assert_eq!(json_of(&indexed)["processed"], 1, "{indexed:?}");
    let manifest = "/objects/app/_index/app/report.txt.json";
    let manifest = call(&host, "GET", manifest, &[], b"").await;
    assert_eq!(manifest.status, 200, "{manifest:?}");
    assert_eq!(json_of(&manifest)["key"], "app/report.txt");
    let refused = call(&host, "PUT", "/objects/elsewhere.txt", &[], b"hello").await;
    let outcome = (refused.status, error_code(&refused));
    assert_eq!(outcome, (502, "AccessDenied".to_owned()), "{refused:?}");
    // The keys alone, without the role, may do nothing but assume it.
    let keys_alone = host_for(&moto, &held).var("aws_role_arn", "").start().await;
    let refused = call(&keys_alone, "GET", "/objects/app/report.txt", &[], b"").await;
    let outcome = (refused.status, error_code(&refused));
    assert_eq!(outcome, (502, "AccessDenied".to_owned()), "{refused:?}");
}

/// With `CreateBucket=false`, the stack prints the command that sends an existing bucket's
/// events (its `ExistingBucketNotification` output): under an `ObjectPrefix` it must filter to
/// it as the created bucket's notification does, or every object of a shared bucket is
/// delivered and fails. Read from the template (moto's stack needs the bucket it creates).
#[test]
fn an_existing_buckets_sns_command_filters_to_the_prefix() {
    let template = include_str!("../../deploy/aws/spinlift.yaml");
    let configurations: Vec<Value> = template
        .lines()
        .filter(|l| l.contains("--notification-configuration '{\"TopicConfigurations\""))
        .map(|line| {
            let json = &line[line.find('\'').unwrap() + 1..line.rfind('\'').unwrap()];
            let json = json
                .replace("${EventTopic}", "arn:aws:sns:us-east-1:123456789012:events")
                .replace("${ObjectPrefix}", "uploads/");
            serde_json::from_str(&json).expect("the command's configuration is JSON")
        })
        .collect();
    // One command with a prefix, one without, each for the events the created bucket sends
    // (lifecycle deletions included: they send no ObjectRemoved event).
    assert_eq!(configurations.len(), 2, "{configurations:?}");
    for configuration in &configurations {
        assert_eq!(
            configuration["TopicConfigurations"][0]["Events"],
            json!([
                "s3:ObjectCreated:*",
                "s3:ObjectRemoved:*",
                "s3:LifecycleExpiration:*"
            ])
        );
    }
    let filters: Vec<&Value> = configurations
        .iter()
        .map(|c| &c["TopicConfigurations"][0]["Filter"])
        .collect();
    let prefix = json!({"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}});
    assert!(filters.contains(&&prefix), "{filters:?}");
    assert!(filters.contains(&&Value::Null), "{filters:?}");
    let lines: Vec<&str> = template.lines().collect();
    let prefixed = lines
        .iter()
        .position(|l| l.contains("\"FilterRules\""))
        .unwrap();
    let guard = lines[prefixed.saturating_sub(4)..prefixed].concat();
    assert!(
        guard.contains("HasPrefix"),
        "the filtered command is the HasPrefix branch"
    );
}
