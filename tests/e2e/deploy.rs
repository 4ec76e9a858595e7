//! `deploy/aws/spinlift.yaml` deployed to moto, in both delivery modes, then used.
//!
//! `tests/tools/deploy_stack.py` deploys it (to moto's CloudFormation what it implements, the
//! rest through moto's API from the template's own properties: it says which), creates the
//! user's key as the README does, and reads back what AWS holds. These tests check what was
//! made, compare the policies with the actions spinlift's code can call
//! ([`spinlift::iam`]), both ways, and then run the component with the stack's key.
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
use crate::support::host::Host;
use crate::support::moto::{self, Moto};

const TOKEN: &str = "spinlift-webhook-token-of-forty-characters";

/// Deploys the stack with `params` and returns what AWS holds.
fn deploy(moto: &Moto, params: Value) -> Value {
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

/// The parameters both tests share: the table, queue and topic are the bootstrap's.
fn params(stack: &str, delivery: &str, credentials: &str, prefix: &str) -> Value {
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

/// Every (action, resource) the policy documents allow; no statement denies or uses `*`.
fn allowed(documents: &[Value]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for document in documents {
        for statement in document["Statement"].as_array().expect("statements") {
            assert_eq!(statement["Effect"], "Allow", "{statement}");
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

/// Checks the app's policies against the code: the same actions both ways (`sts:AssumeRole`
/// only when the app assumes a role), each on the resource of its scope.
fn assert_policies_match_the_code(documents: &[Value], bucket: &str, prefix: &str, role: bool) {
    let pairs = allowed(documents);
    let granted: BTreeSet<&str> = pairs.iter().map(|(a, _)| a.as_str()).collect();
    let needed: BTreeSet<&str> = iam::actions()
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

/// A host configured from the stack's outputs, for moto: the store's origin instead of
/// AWS's endpoints, the stack's bucket, the created key.
fn host_for(moto: &Moto, held: &Value) -> crate::support::host::HostBuilder {
    let variables = held["outputs"]["SpinVariables"].as_str().unwrap();
    let bucket = variables
        .split(" --variable ")
        .find_map(|v| v.strip_prefix("s3_bucket="))
        .expect("s3_bucket in SpinVariables");
    let mut builder = Host::builder()
        .var("s3_host", moto.origin().trim_start_matches("http://"))
        .var("s3_bucket", bucket)
        .var("aws_access_key_id", held["access_key_id"].as_str().unwrap())
        .var(
            "aws_secret_access_key",
            held["secret_access_key"].as_str().unwrap(),
        )
        .var("webhook_token", TOKEN)
        .var("sts_endpoint", &moto.origin())
        .var("sqs_endpoint", &moto.origin());
    if let Some(role) = held["outputs"]["RoleArn"].as_str() {
        builder = builder.var("aws_role_arn", role);
    }
    builder
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

#[tokio::test]
async fn the_stack_via_sns_gives_a_user_exactly_what_spinlift_calls() {
    let moto = Moto::start();
    let held = deploy(&moto, params("sns-user", "sns", "user", ""));
    let bucket = "sns-user-bucket";

    // What moto's CloudFormation made, and what went through its API.
    let by_cfn = strings(&held["by_cloudformation"]);
    for made in [
        "AppUser",
        "AppPolicy",
        "TablePolicy",
        "QueuePolicy",
        "TopicPolicy",
    ] {
        assert!(by_cfn.contains(&made.to_owned()), "{by_cfn:?}");
    }
    assert!(by_cfn.contains(&"Bucket".to_owned()) && by_cfn.contains(&"EventTopic".to_owned()));
    let by_api = strings(&held["by_api"]);
    assert!(
        by_api.contains(&"EventTopicPolicy".to_owned()),
        "{by_api:?}"
    );
    assert!(
        by_api.contains(&"EventSubscription".to_owned()),
        "{by_api:?}"
    );

    assert_policies_match_the_code(held["user_policies"].as_array().unwrap(), bucket, "", false);
    assert!(held.get("role").is_none());

    // The bucket: private, abandoned uploads aborted after a day, events to the topic.
    let lifecycle = &held["bucket"]["lifecycle"][0];
    assert_eq!(lifecycle["Status"], "Enabled");
    assert_eq!(
        lifecycle["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"],
        1
    );
    let block = &held["bucket"]["public_access_block"];
    for flag in [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(block[flag], true, "{flag}");
    }
    let topic = held["topic"]["arn"].as_str().unwrap();
    let events: BTreeSet<String> = held["bucket"]["notification"]["TopicConfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|c| assert_eq!(c["TopicArn"], topic))
        .flat_map(|c| strings(&c["Events"]))
        .collect();
    assert_eq!(
        events,
        BTreeSet::from(["s3:ObjectCreated:*".into(), "s3:ObjectRemoved:*".into()])
    );
    // Only this bucket, in this account, publishes to the topic.
    let statement = &held["topic"]["policy"]["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "s3.amazonaws.com");
    assert_eq!(statement["Action"], "sns:Publish");
    assert_eq!(statement["Resource"], topic);
    assert_eq!(
        statement["Condition"]["ArnEquals"]["aws:SourceArn"],
        format!("arn:aws:s3:::{bucket}")
    );
    assert_eq!(
        statement["Condition"]["StringEquals"]["aws:SourceAccount"],
        "123456789012"
    );
    assert_eq!(
        held["topic"]["subscriptions"],
        json!([{"Protocol": "https",
                "Endpoint": format!("https://spinlift.example.com/events/s3?token={TOKEN}")}])
    );
    let variables = held["outputs"]["SpinVariables"].as_str().unwrap();
    assert!(variables.contains(&format!("--variable sns_topic_arns={topic}")));
    assert!(!variables.contains(TOKEN) && !variables.contains("aws_secret_access_key"));

    // The component, with the stack's bucket and the user's key, through moto's S3 and SQS.
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
    let event = http::Request::post("/events/s3")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(created(bucket, "report.txt"))
        .unwrap();
    let indexed = host.send(event).await;
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
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (502, "AccessDenied"),
        "{refused:?}"
    );
    let other_queue = host_for(&moto, &held)
        .var("notify_queue_url", &moto.fixtures.topic_sink_url)
        .start()
        .await;
    call(&other_queue, "PUT", "/objects/again.txt", &[], b"hello").await;
    let event = http::Request::post("/events/s3")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(created(bucket, "again.txt"))
        .unwrap();
    let failed = other_queue.send(event).await;
    assert_eq!(failed.status, 502, "{failed:?}");
    assert!(failed.body.contains("AccessDenied"), "{failed:?}");
}

#[tokio::test]
async fn the_stack_via_eventbridge_gives_a_role_the_same_under_a_prefix() {
    let moto = Moto::start();
    let held = deploy(&moto, params("eb-role", "eventbridge", "role", "app/"));
    let bucket = "eb-role-bucket";

    let by_api = strings(&held["by_api"]);
    for made in [
        "WebhookConnection",
        "WebhookDestination",
        "ObjectEventRule",
        "InvokeDestinationRole",
        "UndeliveredEventsPolicy",
    ] {
        assert!(by_api.contains(&made.to_owned()), "{by_api:?}");
    }

    // The user may only assume the role; the role holds what the code calls.
    let user = held["user_policies"].as_array().unwrap();
    let role = &held["role"];
    assert_eq!(
        allowed(user),
        vec![(
            "sts:AssumeRole".to_owned(),
            role["arn"].as_str().unwrap().to_owned()
        )]
    );
    let trust = &role["trust"]["Statement"][0];
    assert_eq!(trust["Action"], "sts:AssumeRole");
    assert!(trust["Principal"]["AWS"]
        .as_str()
        .unwrap()
        .contains(":user/eb-role-AppUser"));
    let mut documents = role["policies"].as_array().unwrap().clone();
    documents.extend(user.iter().cloned());
    assert_policies_match_the_code(&documents, bucket, "app/", true);
    let listing = role["policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["Statement"].as_array().unwrap().clone())
        .find(|s| s["Action"] == "s3:ListBucket")
        .unwrap();
    assert_eq!(listing["Condition"]["StringLike"]["s3:prefix"], "app/*");

    // EventBridge: the bucket's events, to the webhook with the token, dead letters kept.
    let eventbridge = &held["eventbridge"];
    // (moto stores a bucket's EventBridgeConfiguration but leaves it out when read back, so
    // this is what the template made the API send.)
    assert_eq!(
        held["bucket"]["notification_sent"],
        json!({"EventBridgeConfiguration": {}})
    );
    assert_eq!(held["bucket"]["notification"], json!({}));
    assert_eq!(
        eventbridge["pattern"],
        json!({"source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"],
               "detail": {"bucket": {"name": [bucket]}}})
    );
    let destination = &eventbridge["destination"];
    assert_eq!(
        destination["InvocationEndpoint"],
        "https://spinlift.example.com/events/s3"
    );
    assert_eq!(destination["HttpMethod"], "POST");
    assert_eq!(
        destination["ConnectionArn"],
        eventbridge["connection"]["arn"]
    );
    assert_eq!(eventbridge["connection"]["authorization"], "API_KEY");
    assert_eq!(eventbridge["connection"]["api_key_name"], "Authorization");
    let target = &eventbridge["targets"][0];
    assert_eq!(target["Arn"], destination["ApiDestinationArn"]);
    assert_eq!(
        target["DeadLetterConfig"]["Arn"],
        eventbridge["dead_letter_queue_arn"]
    );
    let invoke = &eventbridge["invoke_role_policy"]["Statement"][0];
    assert_eq!(invoke["Action"], "events:InvokeApiDestination");
    assert_eq!(invoke["Resource"], destination["ApiDestinationArn"]);
    let dead_letters = &eventbridge["dead_letter_queue_policy"]["Statement"][0];
    assert_eq!(dead_letters["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(
        dead_letters["Resource"],
        eventbridge["dead_letter_queue_arn"]
    );
    assert!(dead_letters["Condition"]["ArnEquals"]["aws:SourceArn"]
        .as_str()
        .unwrap()
        .contains(":rule/"));
    assert!(held.get("topic").is_none());

    // The component assumes the role (moto checks the trust policy) and works under the
    // prefix; outside it, the role's own policy refuses.
    let host = host_for(&moto, &held).start().await;
    let put = call(&host, "PUT", "/objects/app/report.txt", &[], b"hello").await;
    assert_eq!(put.status, 201, "{put:?}");
    let get = call(&host, "GET", "/objects/app/report.txt", &[], b"").await;
    assert_eq!((get.status, get.body.as_str()), (200, "hello"));
    let refused = call(&host, "PUT", "/objects/elsewhere.txt", &[], b"hello").await;
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (502, "AccessDenied"),
        "{refused:?}"
    );
    // The keys alone, without the role, may do nothing but assume it.
    let keys_alone = host_for(&moto, &held).var("aws_role_arn", "").start().await;
    let refused = call(&keys_alone, "GET", "/objects/app/report.txt", &[], b"").await;
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (502, "AccessDenied"),
        "{refused:?}"
    );
}
