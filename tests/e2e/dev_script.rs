//! The README's first command, `./scripts/dev`, as far as Spin (see
//! [`crate::support::spin_stand_in`]): it starts the signature-verifying store from
//! `spin.toml`'s defaults (port, key pair, bucket; the store already installed by
//! `scripts/test`, the data in a scratch directory) and hands over to `spin build --up` with
//! the dev runtime config; the component, served by the test host with those same defaults,
//! lists, stores and reads in that store, while a wrong secret is refused. When Spin exits,
//! the store stops with it.

use std::path::Path;

use crate::support::host::Host;
use crate::support::spin_stand_in::{DevScript, DEV_PORT, SPIN_UP_WITH_DEV_CONFIG};

fn request(method: &str, path: &str, body: &[u8]) -> http::Request<Vec<u8>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", "Bearer dev-api-token")
        .body(body.to_vec())
        .unwrap()
}

#[tokio::test]
async fn scripts_dev_serves_the_defaults_against_its_store() {
    let taken = std::net::TcpStream::connect(("127.0.0.1", DEV_PORT)).is_ok();
    assert!(!taken, "127.0.0.1:{DEV_PORT} is taken");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dev");
    let mut dev = DevScript::start(&script, "SPINLIFT_DATA");
    assert_eq!(dev.spin_args(), SPIN_UP_WITH_DEV_CONFIG);

    // The store the script started is the one spin.toml's defaults name: its bucket exists
    // (a listing of a missing one is NoSuchBucket), and it takes the default key pair only.
    let host = Host::builder().start().await;
    let list = host.send(request("GET", "/objects", b"")).await;
    assert_eq!(list.status, 200, "{list:?}");
    let put = host
        .send(request("PUT", "/objects/dev/first.txt", b"hello, spin"))
        .await;
    assert_eq!(put.status, 201, "{put:?}");
    let get = host
        .send(request("GET", "/objects/dev/first.txt", b""))
        .await;
    assert_eq!((get.status, get.body.as_str()), (200, "hello, spin"));
    let stored = std::fs::read(dev.data().join("spinlift-dev/dev/first.txt")).unwrap();
    assert_eq!(stored, b"hello, spin");
    let wrong = Host::builder()
        .var("aws_secret_access_key", "not-the-dev-secret")
        .start()
        .await;
    let refused = wrong
        .send(request("GET", "/objects/dev/first.txt", b""))
        .await;
    assert_eq!(refused.status, 502, "{refused:?}");
    assert!(
        refused.body.contains("SignatureDoesNotMatch"),
        "{refused:?}"
    );

    // Spin stops; the script stops the store with it, and exits cleanly.
    let status = dev.stop(DEV_PORT);
    assert!(status.success(), "{status}");
}
