//! moto's server (PyPI `moto[server]`) as a real, signature-verifying DynamoDB, SQS, SNS and
//! STS for tests, on `127.0.0.1` with a free port.
//!
//! It starts with `INITIAL_NO_AUTH_ACTION_COUNT=3`: `tests/tools/moto_bootstrap.py` spends
//! those three unauthenticated calls on an IAM user, its key and its policy, then creates a
//! role, a table, a queue and a topic with signed calls. From then on moto checks every
//! signature. The virtualenv is installed by `scripts/test` and found through `MOTO_PYTHON`;
//! a missing one fails the test, it never skips it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use spinlift::body::Body;
use spinlift::outbound::{HttpClient, TransportError};

/// What the bootstrap made.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Fixtures {
    /// The IAM user's access key id.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: String,
    /// A role that key may assume.
    pub role_arn: String,
    /// A table with string keys `pk` (hash) and `sk` (range).
    pub table: String,
    /// A table with string key `pk` only, for the indexer.
    pub index_table: String,
    /// A queue's URL.
    pub queue_url: String,
    /// A topic's ARN.
    pub topic_arn: String,
    /// A queue subscribed to the topic with raw delivery.
    pub topic_sink_url: String,
    /// A FIFO queue's URL.
    pub fifo_queue_url: String,
    /// A FIFO topic's ARN.
    pub fifo_topic_arn: String,
    /// A FIFO queue subscribed to the FIFO topic with raw delivery.
    pub fifo_topic_sink_url: String,
    /// A Secrets Manager secret, whose value is `s3cr3t value`.
    pub secret_id: String,
    /// An S3 bucket.
    pub bucket: String,
}

/// A running moto server.
pub struct Moto {
    child: Child,
    port: u16,
    /// What the bootstrap made.
    pub fixtures: Fixtures,
}

/// The python of moto's virtualenv (it has boto3 and cfn-lint too).
pub fn python() -> PathBuf {
    std::env::var_os("MOTO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let tools = std::env::var_os("SPINLIFT_TOOLS")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").expect("HOME"))
                        .join(".cache/spinlift/tools")
                });
            tools.join("moto-venv/bin/python")
        })
}

impl Moto {
    /// Starts moto, waits for it, and bootstraps it.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// [`Moto::start`] with more environment for moto's process (e.g. `REQUESTS_CA_BUNDLE`,
    /// the certificates moto trusts when SNS delivers to an HTTPS subscription).
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let python = python();
        let log = std::env::temp_dir().join(format!("spinlift-moto-{port}.log"));
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("a log file for moto"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto with {} ({e}); ./scripts/test installs it",
                    python.display()
                )
            });
        let mut moto = Self {
            child,
            port,
            fixtures: Fixtures::default(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = moto.child.try_wait().ok().flatten();
            let log = || std::fs::read_to_string(&log).unwrap_or_default();
            assert!(exited.is_none(), "moto exited ({exited:?}): {}", log());
            assert!(
                Instant::now() < deadline,
                "moto did not start listening: {}",
                log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/moto_bootstrap.py");
        let out = Command::new(&python)
            .args([script, &moto.origin()])
            .output()
            .expect("run the moto bootstrap");
        assert!(
            out.status.success(),
            "bootstrap failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        moto.fixtures = serde_json::from_slice(&out.stdout).expect("bootstrap JSON");
        moto
    }

    /// `http://127.0.0.1:PORT`: every service's endpoint.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// spinlift's outbound seam over a plain native HTTP client, for native tests of the routes
/// that call AWS.
pub struct NativeHttp;

impl HttpClient for NativeHttp {
    async fn send(
        &self,
        request: http::Request<()>,
        body: Body,
    ) -> Result<http::Response<Body>, TransportError> {
        let bytes = body.collect(64 << 20).await.expect("a buffered test body");
        let response = super::s3_store::send(request.map(|()| bytes)).await;
        Ok(response.map(Body::Bytes))
    }
}
