//! `tests/tools/sns_front.py` run for a test: the HTTPS endpoint moto's SNS delivers to, which
//! forwards each delivery to the component as SNS sends it (see the script for what it adds)
//! and serves moto's signing certificate. Configured through files in its own directory.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde::Deserialize;
use serde_json::{json, Value};

/// One delivery moto made, and what the component answered.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery {
    /// Where it was posted: the subscription's path and query.
    pub path: String,
    /// The SNS message type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The topic it came from.
    pub topic: String,
    /// The signed payload (for S3's notifications, the event's JSON).
    pub message: Option<String>,
    /// The component's status (absent when it was not forwarded).
    pub status: Option<u16>,
    /// The component's answer.
    pub answer: Option<String>,
    /// Why it could not be forwarded.
    pub error: Option<String>,
}

/// A running front; stops when dropped.
pub struct SnsFront {
    child: Child,
    dir: PathBuf,
    https: u16,
    http: u16,
}

impl SnsFront {
    /// Starts the front: its certificate is written before this returns.
    pub fn start() -> Self {
        let dir = super::scratch_dir("sns-front");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/sns_front.py");
        let mut child = Command::new(super::moto::python())
            .arg(script)
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start sns_front.py");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let ports: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sns_front.py did not start ({e}): {line:?}")
        });
        let port = |name: &str| ports[name].as_u64().unwrap() as u16;
        Self {
            https: port("https"),
            http: port("http"),
            child,
            dir,
        }
    }

    /// The certificate moto must trust (`REQUESTS_CA_BUNDLE`).
    pub fn ca(&self) -> String {
        self.dir.join("ca.pem").display().to_string()
    }

    /// Where moto delivers: an `https` origin, as a deployed app has.
    pub fn https_origin(&self) -> String {
        format!("https://127.0.0.1:{}", self.https)
    }

    /// Where the component fetches the certificate (`sns_cert_origin`).
    pub fn cert_origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    /// From now on, deliveries go to `app`; with `tamper`, each `Message` is changed first.
    pub fn forward(&self, app: &str, moto: &str, tamper: bool) {
        let config = json!({"app": app, "moto": moto, "tamper": tamper});
        let temp = self.dir.join("config.json.new");
        std::fs::write(&temp, config.to_string()).unwrap();
        std::fs::rename(temp, self.dir.join("config.json")).unwrap();
    }

    /// Every delivery so far, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        let text = std::fs::read_to_string(self.dir.join("deliveries.jsonl")).unwrap_or_default();
        text.lines()
            .map(|line| serde_json::from_str(line).expect("a delivery record"))
            .collect()
    }
}

impl Drop for SnsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
