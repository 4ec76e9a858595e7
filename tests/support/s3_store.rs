//! A real, signature-verifying S3-compatible store for tests: `s3s-fs` on `127.0.0.1:0`.
//!
//! The binary is installed by `scripts/test` (via `scripts/lib.sh`) and found through
//! `S3S_FS_BIN` or the tools directory; a missing binary fails the test, it never skips it.
//! Each store gets its own data directory with one bucket, and is killed on `Drop`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// The dev key pair of spin.toml; the store accepts only signatures made with it.
pub const ACCESS_KEY: &str = "spinlift-dev";
/// The secret of the dev key pair.
pub const SECRET_KEY: &str = "spinlift-dev-secret";
/// The bucket every store is created with.
pub const BUCKET: &str = "spinlift-dev";

/// A running s3s-fs process.
pub struct S3Store {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    root: PathBuf,
}

/// The s3s-fs binary `scripts/test` installed.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("S3S_FS_BIN") {
        return path.into();
    }
    let tools = std::env::var_os("SPINLIFT_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/spinlift/tools")
        });
    tools.join("bin/s3s-fs")
}

impl S3Store {
    /// Starts a store with an empty `spinlift-dev` bucket and waits until it listens.
    pub fn start() -> Self {
        Self::start_with(ACCESS_KEY, SECRET_KEY)
    }

    /// As [`S3Store::start`], accepting only signatures of this key pair (to share one with
    /// another test server, e.g. moto).
    pub fn start_with(access_key: &str, secret_key: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "spinlift-s3-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        let bin = binary();
        let mut child = Command::new(&bin)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--access-key",
                access_key,
                "--secret-key",
                secret_key,
            ])
            .arg(&root)
            .env("RUST_LOG", "s3s_fs=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}); ./scripts/test installs it",
                    bin.display()
                )
            });
        // It logs "server is running at http://ADDR" once bound; read the real port from there.
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("s3s-fs exited before listening")
                .unwrap();
            if let Some(rest) = line.split("server is running at http://").nth(1) {
                break rest.trim().parse().expect("address in s3s-fs log");
            }
        };
        // Keep draining its log so the process never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, addr, root }
    }

    /// `http://127.0.0.1:PORT`, the endpoint host for path-style requests.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Multipart uploads the store still holds (s3s-fs keeps each upload's parts and its
    /// record as `.upload*` files in its root until it is completed or aborted).
    pub fn open_uploads(&self) -> Vec<String> {
        std::fs::read_dir(&self.root)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".upload"))
            .collect()
    }

    /// The directory s3s-fs keeps `bucket` in (make it to make the bucket).
    pub fn bucket_path(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    /// The file s3s-fs keeps object `key` in, to check what was really stored.
    pub fn object_path(&self, key: &str) -> PathBuf {
        self.root.join(BUCKET).join(key)
    }
}

impl Drop for S3Store {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A plain HTTP/1.1 client: sends `request` as is (no signing, no added headers but Host).
pub async fn send(request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let authority = request.uri().authority().expect("absolute url").clone();
    let stream = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(authority.as_str()),
    )
    .await
    .expect("connect timeout")
    .expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    let (mut parts, body) = request.into_parts();
    // Origin-form on the wire; the Host header is what the signature covered.
    parts
        .headers
        .insert(http::header::HOST, authority.as_str().parse().unwrap());
    parts.uri = parts
        .uri
        .path_and_query()
        .unwrap()
        .as_str()
        .parse()
        .unwrap();
    let response = sender
        .send_request(http::Request::from_parts(parts, Full::<Bytes>::from(body)))
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes().to_vec();
    connection.abort();
    http::Response::from_parts(parts, body)
}
