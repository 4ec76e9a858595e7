//! Conditional writes through the object API (`If-None-Match: *`, `If-Match: <etag>`), and
//! conditional reads, judged by the stores themselves: the component passes conditions to S3
//! and never evaluates them (but `If-Range`, which S3 does not take), so every 412 here is the
//! store's. s3s-fs judges PutObject, CompleteMultipartUpload and the
//! copy source's `x-amz-copy-source-if-match`; it ignores `If-Match` on DELETE, which moto's
//! S3 judges, so deletes are proven against moto (signatures verified after its bootstrap).

use crate::api::{call, error_code, json_of};
use crate::support;

use support::host::{Answer, Host};
use support::moto::Moto;
use support::s3_store::S3Store;

/// The component on moto's S3, with its keys (signatures verified after its bootstrap).
async fn on_moto(moto: &Moto) -> Host {
    let fixtures = &moto.fixtures;
    Host::builder()
        .var("s3_host", moto.origin().trim_start_matches("http://"))
        .var("s3_bucket", &fixtures.bucket)
        .var("aws_access_key_id", &fixtures.access_key_id)
        .var("aws_secret_access_key", &fixtures.secret_access_key)
        .start()
        .await
}

fn etag_of(answer: &Answer) -> String {
    json_of(answer)["etag"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn conditional_puts_and_copies_are_judged_by_the_store() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let read = |key: &str| std::fs::read(store.object_path(key)).ok();

    let first = call(&host, "PUT", "/objects/c.txt", &[], b"one").await;
    assert_eq!(first.status, 201, "{first:?}");
    let one = etag_of(&first);

    // Create-only on a key that exists, and replace-if on another version: refused, kept.
    for condition in [("if-none-match", "*"), ("if-match", "\"0123456789abcdef\"")] {
        let refused = call(&host, "PUT", "/objects/c.txt", &[condition], b"two").await;
        assert_eq!(
            (refused.status, error_code(&refused).as_str()),
            (412, "PreconditionFailed"),
            "{condition:?}: {refused:?}"
        );
        assert_eq!(read("c.txt").as_deref(), Some(&b"one"[..]), "{condition:?}");
    }
    // Replace-if on the version read, and create-only on a new key: stored.
    let replaced = call(
        &host,
        "PUT",
        "/objects/c.txt",
        &[("if-match", &one)],
        b"three",
    )
    .await;
    assert_eq!(replaced.status, 201, "{replaced:?}");
    assert_eq!(read("c.txt").as_deref(), Some(&b"three"[..]));
    let three = etag_of(&replaced);
    let created = call(
        &host,
        "PUT",
        "/objects/new.txt",
        &[("if-none-match", "*")],
        b"n",
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");

    // Multipart (over the 8 MiB threshold): the condition goes with the completion; a failed
    // one stores nothing and leaves no upload open.
    let big: Vec<u8> = (0..(8u32 << 20) + 1000).map(|i| (i % 251) as u8).collect();
    let refused = call(
        &host,
        "PUT",
        "/objects/c.txt",
        &[("if-none-match", "*")],
        &big,
    )
    .await;
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (412, "PreconditionFailed"),
        "{refused:?}"
    );
    assert_eq!(read("c.txt").as_deref(), Some(&b"three"[..]));
    assert_eq!(
        store.open_uploads(),
        Vec::<String>::new(),
        "an upload was left open"
    );
    let replaced = call(
        &host,
        "PUT",
        "/objects/c.txt",
        &[("if-match", &three)],
        &big,
    )
    .await;
    assert_eq!(replaced.status, 201, "{replaced:?}");
    assert!(etag_of(&replaced).ends_with("-2\""), "{replaced:?}");
    assert_eq!(read("c.txt").as_deref(), Some(&big[..]));
    let big_etag = etag_of(&replaced);

    // Copy: If-Match names the version of the source (the object in the URL) to copy.
    let to = br#"{"to": "d.txt"}"#;
    let stale = call(
        &host,
        "POST",
        "/objects/c.txt/copy",
        &[("if-match", &three)],
        to,
    )
    .await;
    assert_eq!(
        (stale.status, error_code(&stale).as_str()),
        (412, "PreconditionFailed"),
        "{stale:?}"
    );
    assert_eq!(read("d.txt"), None, "a stale copy was made");
    let copied = call(
        &host,
        "POST",
        "/objects/c.txt/copy",
        &[("if-match", &big_etag)],
        to,
    )
    .await;
    assert_eq!(copied.status, 201, "{copied:?}");
    assert_eq!(read("d.txt").as_deref(), Some(&big[..]));
}

#[tokio::test]
async fn conditions_a_route_cannot_honour_are_refused_before_any_write() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    for (method, path, headers, body) in [
        (
            "PUT",
            "/objects/x",
            &[("if-none-match", "\"abc\"")][..],
            &b"x"[..],
        ),
        (
            "PUT",
            "/objects/x",
            &[("if-none-match", "*"), ("if-match", "\"a\"")][..],
            b"x",
        ),
        ("DELETE", "/objects/x", &[("if-none-match", "*")][..], b""),
        (
            "POST",
            "/objects/x/copy",
            &[("if-none-match", "*")][..],
            br#"{"to":"y"}"#,
        ),
    ] {
        let answer = call(&host, method, path, headers, body).await;
        assert_eq!(
            (answer.status, error_code(&answer).as_str()),
            (400, "invalid_condition"),
            "{method} {path} {headers:?}: {answer:?}"
        );
    }
    assert!(!store.object_path("x").exists() && !store.object_path("y").exists());
}

#[tokio::test]
async fn conditional_deletes_are_judged_by_moto() {
    let moto = Moto::start();
    let host = on_moto(&moto).await;
    let put = call(&host, "PUT", "/objects/doomed.txt", &[], b"bytes").await;
    assert_eq!(put.status, 201, "{put:?}");
    let etag = etag_of(&put);

    let stale = call(
        &host,
        "DELETE",
        "/objects/doomed.txt",
        &[("if-match", "\"00ff\"")],
        b"",
    )
    .await;
    assert_eq!(
        (stale.status, error_code(&stale).as_str()),
        (412, "PreconditionFailed"),
        "{stale:?}"
    );
    let kept = call(&host, "GET", "/objects/doomed.txt", &[], b"").await;
    assert_eq!((kept.status, kept.body.as_str()), (200, "bytes"));

    let deleted = call(
        &host,
        "DELETE",
        "/objects/doomed.txt",
        &[("if-match", &etag)],
        b"",
    )
    .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let gone = call(&host, "GET", "/objects/doomed.txt", &[], b"").await;
    assert_eq!(gone.status, 404, "{gone:?}");
}

#[tokio::test]
async fn conditional_reads_are_judged_by_moto_and_if_range_by_the_component() {
    // s3s-fs ignores read conditions; moto's S3 judges If-Match, If-None-Match,
    // If-Modified-Since and If-Unmodified-Since on GET and HEAD. Neither takes If-Range: the
    // component judges it from the ranged answer.
    let moto = Moto::start();
    let host = on_moto(&moto).await;
    let put = call(&host, "PUT", "/objects/read.txt", &[], b"0123456789").await;
    assert_eq!(put.status, 201, "{put:?}");
    let etag = etag_of(&put);
    let get = call(&host, "GET", "/objects/read.txt", &[], b"").await;
    let modified = get.headers["last-modified"].to_str().unwrap().to_owned();
    let stale = "\"00ff\"";
    let past = "Sat, 01 Jan 2000 00:00:00 GMT";
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";

    for method in ["GET", "HEAD"] {
        for (condition, status) in [
            (("if-match", stale), 412),
            (("if-match", etag.as_str()), 200),
            (("if-unmodified-since", past), 412),
            (("if-none-match", etag.as_str()), 304),
            (("if-none-match", stale), 200),
            (("if-modified-since", future), 304),
        ] {
            let answer = call(&host, method, "/objects/read.txt", &[condition], b"").await;
            assert_eq!(answer.status, status, "{method} {condition:?}: {answer:?}");
            if method == "GET" && status == 200 {
                assert_eq!(answer.body, "0123456789");
            }
        }
    }

    // If-Range with the object's ETag or date: the range (or its 416). With another
    // version's, or a weak ETag: all of it, whatever the range.
    let whole = (200, "0123456789");
    for (range, validator, expected) in [
        ("bytes=2-4", etag.as_str(), (206, "234")),
        ("bytes=2-4", modified.as_str(), (206, "234")),
        ("bytes=2-4", stale, whole),
        ("bytes=2-4", past, whole),
        ("bytes=2-4", "W/\"weak\"", whole),
        ("bytes=50-60", stale, whole),
    ] {
        let conditions = [("range", range), ("if-range", validator)];
        let answer = call(&host, "GET", "/objects/read.txt", &conditions, b"").await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            expected,
            "{conditions:?}"
        );
        let ranged = answer.headers.get("content-range").is_some();
        assert_eq!(ranged, expected.0 == 206, "{answer:?}");
    }
    for validator in [etag.as_str(), modified.as_str()] {
        let conditions = [("range", "bytes=50-60"), ("if-range", validator)];
        let answer = call(&host, "GET", "/objects/read.txt", &conditions, b"").await;
        assert_eq!(
            (answer.status, error_code(&answer).as_str()),
            (416, "InvalidRange"),
            "{conditions:?}: {answer:?}"
        );
    }
}
