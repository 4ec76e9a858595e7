//! AWS-authored event samples (`tests/vectors/events/`, sources in its README) decoded into
//! object events. Expectations are written by hand from each fixture, not from our output.

use spinlift::events::{decode, Deletion, Delivery, EventOrigin, ObjectEvent, ObjectEventKind};

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/vectors/events/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn event(
    kind: ObjectEventKind,
    name: &str,
    bucket: &str,
    key: &str,
    size: Option<u64>,
    sequencer: &str,
) -> (ObjectEventKind, String, String, String, Option<u64>, String) {
    (
        kind,
        name.into(),
        bucket.into(),
        key.into(),
        size,
        sequencer.into(),
    )
}

fn summary(e: &ObjectEvent) -> (ObjectEventKind, String, String, String, Option<u64>, String) {
    (
        e.kind,
        e.name.clone(),
        e.bucket.clone(),
        e.key.clone(),
        e.size,
        e.sequencer.clone().unwrap_or_default(),
    )
}

#[test]
fn s3_and_eventbridge_fixtures_decode_to_object_events() {
    use ObjectEventKind::{Created, Removed};
    let cases = [
        (
            "aws_lambda_events/example-s3-event.json",
            event(
                Created,
                "ObjectCreated:Put",
                "sourcebucket",
                "Happy Face.jpg",
                Some(1024),
                "Happy Sequencer",
            ),
        ),
        (
            "aws_lambda_events/example-s3-event-with-decoded.json",
            event(
                Created,
                "ObjectCreated:Put",
                "sourcebucket",
                "Happy Face.jpg",
                Some(1024),
                "Happy Sequencer",
            ),
        ),
        (
            "powertools/s3Event.json",
            event(
                Created,
                "ObjectCreated:Put",
                "lambda-artifacts-deafc19498e3f2df",
                "b21b84d653bb07b05b1e6b33684dc11b",
                Some(1305107),
                "0C0F6F405D6ED209E1",
            ),
        ),
        (
            "powertools/s3EventDecodedKey.json",
            event(
                Created,
                "ObjectCreated:Put",
                "sourcebucket",
                "Happy Face.jpg",
                Some(1024),
                "Happy Sequencer",
            ),
        ),
        (
            "powertools/s3EventDeleteObject.json",
            event(
                Removed,
                "ObjectRemoved:Delete",
                "lambda-artifacts-deafc19498e3f2df",
                "b21b84d653bb07b05b1e6b33684dc11b",
                None,
                "0C0F6F405D6ED209E1",
            ),
        ),
        (
            "powertools/s3EventBridgeNotificationObjectCreatedEvent.json",
            event(
                Created,
                "Object Created",
                "example-bucket",
                "IMG_m7fzo3.jpg",
                Some(184662),
                "006408CAD69598B05E",
            ),
        ),
        (
            "powertools/s3EventBridgeNotificationObjectDeletedEvent.json",
            event(
                Removed,
                "Object Deleted",
                "example-bucket",
                "IMG_m7fzo3.jpg",
                None,
                "006408CAD69598B05E",
            ),
        ),
        (
            "powertools/s3EventBridgeNotificationObjectExpiredEvent.json",
            event(
                Removed,
                "Object Deleted",
                "example-bucket",
                "IMG_m7fzo3.jpg",
                Some(184662),
                "006408CAD69598B05E",
            ),
        ),
    ];
    for (path, expected) in cases {
        let Delivery::Objects { events, others } = decode(&fixture(path), None).unwrap() else {
            panic!("{path}: not object events");
        };
        assert!(others.is_empty(), "{path}");
        assert_eq!(
            events.iter().map(summary).collect::<Vec<_>>(),
            [expected],
            "{path}"
        );
        println!("ok   {path}");
    }
}

#[test]
fn versions_and_what_a_removal_did_are_read_from_both_shapes() {
    for (path, version_id, deletion) in [
        (
            "aws_lambda_events/example-s3-event.json",
            Some("version"),
            None,
        ),
        (
            "powertools/s3EventDeleteObject.json",
            None,
            Some(Deletion::Permanent),
        ),
        (
            "powertools/s3EventBridgeNotificationObjectCreatedEvent.json",
            None,
            None,
        ),
        (
            "powertools/s3EventBridgeNotificationObjectDeletedEvent.json",
            None,
            Some(Deletion::DeleteMarker),
        ),
        (
            "powertools/s3EventBridgeNotificationObjectExpiredEvent.json",
            None,
            Some(Deletion::DeleteMarker),
        ),
    ] {
        let Delivery::Objects { events, .. } = decode(&fixture(path), None).unwrap() else {
            panic!("{path}: not object events");
        };
        assert_eq!(
            (events[0].version_id.as_deref(), events[0].deletion),
            (version_id, deletion),
            "{path}"
        );
    }
    // The documented names of the other cases, as S3 and EventBridge spell them.
    let record = |name: &str| {
        format!(
            r#"{{"Records":[{{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"{name}","s3":{{"bucket":{{"name":"b"}},"object":{{"key":"k","versionId":"v2"}}}}}}]}}"#
        )
    };
    for (name, deletion) in [
        ("ObjectRemoved:DeleteMarkerCreated", Deletion::DeleteMarker),
        ("LifecycleExpiration:Delete", Deletion::Permanent),
        (
            "LifecycleExpiration:DeleteMarkerCreated",
            Deletion::DeleteMarker,
        ),
    ] {
        let Delivery::Objects { events, .. } = decode(record(name).as_bytes(), None).unwrap()
        else {
            panic!("{name}: not object events");
        };
        assert_eq!(
            (events[0].version_id.as_deref(), events[0].deletion),
            (Some("v2"), Some(deletion)),
            "{name}"
        );
    }
    let permanent = r#"{"source":"aws.s3","detail-type":"Object Deleted","detail":{"bucket":{"name":"b"},"object":{"key":"k","version-id":"v1"},"deletion-type":"Permanently Deleted"}}"#;
    let Delivery::Objects { events, .. } = decode(permanent.as_bytes(), None).unwrap() else {
        panic!("not object events");
    };
    assert_eq!(
        (events[0].version_id.as_deref(), events[0].deletion),
        (Some("v1"), Some(Deletion::Permanent))
    );
}

#[test]
fn events_that_are_not_creations_or_removals_are_others() {
    let Delivery::Objects { events, others } = decode(
        &fixture("powertools/s3EventBridgeNotificationObjectRestoreCompletedEvent.json"),
        None,
    )
    .unwrap() else {
        panic!("not object events");
    };
    assert!(events.is_empty());
    assert_eq!(
        (others[0].name.as_str(), others[0].key.as_str()),
        ("Object Restore Completed", "IMG_m7fzo3.jpg")
    );
    // What a rule on `source: aws.s3` alone also lets through: CloudTrail's API calls, which
    // name no object. Skipped like the rest, not a refused delivery.
    let api_call = r#"{"source":"aws.s3","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"PutBucketPolicy","requestParameters":{"bucketName":"b"}}}"#;
    let Delivery::Objects { events, others } = decode(api_call.as_bytes(), None).unwrap() else {
        panic!("not object events");
    };
    assert!(events.is_empty());
    assert_eq!(
        (others[0].name.as_str(), others[0].key.as_str()),
        ("AWS API Call via CloudTrail", "")
    );
    // A Glacier-restore record is an ObjectCreated:Put with restore data: still a creation.
    let Delivery::Objects { events, .. } =
        decode(&fixture("powertools/s3EventGlacier.json"), None).unwrap()
    else {
        panic!("not object events");
    };
    assert_eq!(events[0].kind, ObjectEventKind::Created);
}

#[test]
fn what_an_event_says_of_its_making_is_passed_on() {
    let origin = |path: &str| match decode(&fixture(path), None).unwrap() {
        Delivery::Objects { events, .. } => events[0].origin.clone(),
        other => panic!("{path}: {other:?}"),
    };
    let text = |value: &str| Some(value.to_owned());
    assert_eq!(
        origin("powertools/s3Event.json"),
        EventOrigin {
            time: text("2019-09-03T19:37:27.192Z"),
            region: text("us-east-2"),
            requester: text("AWS:AIDAINPONIXQXHT3IKHL2"),
            source_ip: text("205.255.255.255"),
            configuration_id: text("828aa6fc-f7b5-4305-8584-487c791949c1"),
        }
    );
    assert_eq!(
        origin("powertools/s3EventBridgeNotificationObjectCreatedEvent.json"),
        EventOrigin {
            time: text("2023-03-08T17:50:14Z"),
            region: text("eu-west-1"),
            requester: text("123456789012"),
            source_ip: text("34.252.34.74"),
            configuration_id: None,
        }
    );
}

#[test]
fn every_s3_event_version_from_2_1_to_2_6_decodes_alike() {
    // S3 sent 2.1 (most events), 2.2 (replication) and 2.3 (lifecycle, tagging, ACL,
    // restores), and since 2.4 one unified version for every event type, raised with each
    // schema change (2.5, 2.6 in the User Guide's "Event message structure"). The fields
    // spinlift reads are the same in all of them: the AWS sample, relabelled, decodes alike.
    let sample = String::from_utf8(fixture("powertools/s3Event.json")).unwrap();
    assert!(sample.contains(r#""eventVersion": "2.1""#));
    let decoded = |version: &str| {
        let body = sample.replace(
            r#""eventVersion": "2.1""#,
            &format!(r#""eventVersion": "{version}""#),
        );
        match decode(body.as_bytes(), None) {
            Ok(Delivery::Objects { events, .. }) => {
                Ok(events.iter().map(summary).collect::<Vec<_>>())
            }
            Ok(other) => panic!("{version}: {other:?}"),
            Err(err) => Err(err.to_string()),
        }
    };
    let expected = decoded("2.1").unwrap();
    assert_eq!(expected.len(), 1);
    for version in ["2.2", "2.3", "2.4", "2.5", "2.6"] {
        assert_eq!(decoded(version).as_ref(), Ok(&expected), "{version}");
    }
    // A major version spinlift does not know is refused, not guessed at.
    assert!(decoded("3.0").unwrap_err().contains("version 2.x"));
}
