//! The torture set: 200+ object keys that break naive clients, each PUT, GET (bytes equal),
//! HEAD, listed under its own prefix, copied and DELETEd through the component.
//!
//! A filesystem-backed store cannot hold some keys (`.`, `..`, `x/./y`, `a//b`, a trailing
//! `/`, very long keys). Which ones is decided per key, just before spinlift runs it, by boto3
//! taking the same steps against the same store (`tests/tools/s3_probe.py`), never by us: a
//! key the store handles through boto3 but not through spinlift fails this test.

use crate::support;

use spinlift::sigv4::{uri_encode, uri_encode_path};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use support::host::{Answer, Host};
use support::s3_store::{S3Store, ACCESS_KEY, BUCKET, SECRET_KEY};

const SCRIPTS: [&str; 13] = [
    "café",
    "naïve",
    "Ωμέγα",
    "Привет",
    "مرحبا",
    "שלום",
    "नमस्ते",
    "日本語",
    "中文",
    "한국어",
    "ไทย",
    "ქართული",
    "Ελληνικά",
];
const SPECIALS: [&str; 29] = [
    " ", "+", "%", "~", "*", "'", "(", ")", "!", "$", "&", ",", ";", "=", "@", "#", "?", ":", "[",
    "]", "{", "}", "^", "`", "|", "\\", "\"", "<", ">",
];
const EMOJI: [&str; 6] = ["😀", "🚀", "👩‍💻", "🇯🇵", "❤️", "🧑🏽‍🚀"];

/// The keys: every special character in several positions, every script, emoji, and the
/// structural cases S3 treats literally.
fn torture_keys() -> Vec<String> {
    let mut keys = BTreeSet::new();
    for (i, special) in SPECIALS.iter().enumerate() {
        let script = SCRIPTS[i % SCRIPTS.len()];
        let emoji = EMOJI[i % EMOJI.len()];
        keys.insert(format!("mixed/{script}{special}{emoji}.txt"));
        keys.insert(format!("{special}leading"));
        keys.insert(format!("trailing{special}"));
        keys.insert(format!("dir {i}/{special}{special}/x"));
        keys.insert(format!("in{special}the{special}middle"));
    }
    for (i, script) in SCRIPTS.iter().enumerate() {
        keys.insert(format!("scripts/{script} {script}"));
        keys.insert(format!("{script}/{}/{script}", EMOJI[i % EMOJI.len()]));
        keys.insert(format!(
            "{}.{script} {}",
            EMOJI[(i + 1) % EMOJI.len()],
            SPECIALS[i]
        ));
    }
    for emoji in EMOJI {
        keys.insert(format!("emoji/{emoji}"));
        keys.insert(format!("{emoji} {emoji}/x"));
    }
    for structural in [
        "a//b",
        "//double-leading",
        "./x",
        "x/./y",
        "..",
        ".",
        "a/../b",
        "../up",
        "dir/",
        "dir//",
        "/leading-slash",
        ".hidden",
        "dots...",
        "a.b.c",
        "%2F",
        "%20",
        "%",
        "%%",
        "%zz",
        "+plus+",
        "100%",
        "a  b   c",
        " ",
        "  ",
        "-_.~unreserved",
        "UPPER/lower/MiXeD",
    ] {
        keys.insert(structural.to_owned());
    }
    keys.insert("k".repeat(1024));
    keys.insert(format!("long/{}", "ü".repeat(500)));
    keys.into_iter().collect()
}

/// boto3 against the same store, one key at a time (`tests/tools/s3_probe.py`).
struct Probe {
    child: Child,
    answers: BufReader<ChildStdout>,
}

impl Probe {
    fn start(store: &S3Store) -> Self {
        let python = std::env::var("SPINLIFT_PYTHON").unwrap_or_else(|_| {
            panic!("SPINLIFT_PYTHON must name a python with boto3; ./scripts/test installs one")
        });
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/s3_probe.py");
        let mut child = Command::new(&python)
            .arg(script)
            .args([
                format!("http://{}", store.host()),
                BUCKET.into(),
                ACCESS_KEY.into(),
                SECRET_KEY.into(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
        let answers = BufReader::new(child.stdout.take().unwrap());
        Self { child, answers }
    }

    /// Whether the store itself takes `key` (copied to `copy_to`) through every step.
    fn store_handles(&mut self, key: &str, copy_to: &str) -> bool {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{}", serde_json::json!([key, copy_to])).unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        self.answers.read_line(&mut line).unwrap();
        match line.trim() {
            "true" => true,
            "false" => false,
            other => panic!("the boto3 probe answered {other:?}"),
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn object_path(key: &str) -> String {
    format!("/objects/{}", uri_encode_path(key))
}

async fn call(host: &Host, method: &str, path: &str, body: Vec<u8>) -> Answer {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", "Bearer dev-api-token")
        .body(body)
        .unwrap();
    host.send(request).await
}

/// Runs one key through every route; the first step that goes wrong is the error.
async fn round_trip(host: &Host, key: &str, copy_to: &str) -> Result<(), String> {
    let body = format!("the object called {key:?}").into_bytes();
    let path = object_path(key);
    let check = |step: &str, answer: &Answer, status: u16| match answer.status == status {
        true => Ok(()),
        false => Err(format!(
            "{step}: expected {status}, got {} {}",
            answer.status, answer.body
        )),
    };
    check("PUT", &call(host, "PUT", &path, body.clone()).await, 201)?;
    let got = call(host, "GET", &path, vec![]).await;
    check("GET", &got, 200)?;
    if got.bytes != body {
        return Err("GET: different bytes".into());
    }
    check("HEAD", &call(host, "HEAD", &path, vec![]).await, 200)?;
    let listed = call(
        host,
        "GET",
        &format!("/objects?prefix={}", uri_encode(key)),
        vec![],
    )
    .await;
    check("LIST", &listed, 200)?;
    let page: serde_json::Value =
        serde_json::from_str(&listed.body).map_err(|e| format!("LIST: {e}"))?;
    if !page["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| o["key"] == key)
    {
        return Err(format!(
            "LIST: the key is not listed under its prefix: {}",
            listed.body
        ));
    }
    let copy = serde_json::json!({ "to": copy_to })
        .to_string()
        .into_bytes();
    check(
        "COPY",
        &call(host, "POST", &format!("{path}/copy"), copy).await,
        201,
    )?;
    let copied = call(host, "GET", &object_path(copy_to), vec![]).await;
    if copied.bytes != body {
        return Err("COPY: the copy holds different bytes".into());
    }
    check("DELETE", &call(host, "DELETE", &path, vec![]).await, 204)?;
    check(
        "DELETE copy",
        &call(host, "DELETE", &object_path(copy_to), vec![]).await,
        204,
    )?;
    check(
        "GET after DELETE",
        &call(host, "GET", &path, vec![]).await,
        404,
    )
}

#[tokio::test]
async fn torture_keys_round_trip_through_every_route() {
    let keys = torture_keys();
    assert!(keys.len() >= 200, "only {} keys", keys.len());
    let store = S3Store::start();
    let mut probe = Probe::start(&store);
    let host = Host::builder()
        .var("s3_host", &store.host())
        .var("aws_access_key_id", ACCESS_KEY)
        .var("aws_secret_access_key", SECRET_KEY)
        .start()
        .await;
    let mut failures = Vec::new();
    let mut refused = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        // Copies land on a torture key of their own, unless that would pass 1024 bytes.
        let copy_to = match key.len() + ".copy".len() <= 1024 {
            true => format!("{key}.copy"),
            false => format!("copies/{i}"),
        };
        if !probe.store_handles(key, &copy_to) {
            refused.push(key.as_str());
            continue;
        }
        if let Err(err) = round_trip(&host, key, &copy_to).await {
            failures.push(format!("{key:?}: {err}"));
        }
    }
    let ran = keys.len() - refused.len();
    println!(
        "torture keys: {} in all; {ran} ran through every route, {} refused by the store itself (boto3)",
        keys.len(),
        refused.len()
    );
    let shown: Vec<String> = refused
        .iter()
        .map(|k| format!("{:?}", k.chars().take(40).collect::<String>()))
        .collect();
    println!("refused by the store: {}", shown.join(", "));
    assert!(
        failures.is_empty(),
        "{} keys failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        ran >= 150,
        "the store accepted only {ran} keys: the probe or the store is broken"
    );
}
