//! A stand-in for SNS's HTTP side, on `127.0.0.1:0`: it serves the test signing certificate
//! and answers `ConfirmSubscription`, counting every request, and signs messages the way SNS
//! does with the test key (`tests/vectors/sns/`). Plain HTTP: the component is pointed at it
//! through `sns_cert_origin`, exactly the variable that admits real SNS in production.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64ct::{Base64, Encoding};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePrivateKey;
use rsa::PrivateKey;
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The certificate's file name on the peer.
pub const CERT_NAME: &str = "SimpleNotificationService-spinlift-test.pem";
/// The confirmation token the peer accepts; any other is answered like an expired one.
pub const GOOD_TOKEN: &str = "2336412f37fb687f5d51e6e241d09c805a5a57b3";
/// The topic every message comes from.
pub const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:spinlift-events";

fn vector(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/sns/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A running peer; stops when dropped.
pub struct SnsPeer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    server: JoinHandle<()>,
    key: PrivateKey,
}

impl SnsPeer {
    /// Starts serving.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let log = log.clone();
                let service = hyper::service::service_fn(move |req| {
                    log.lock().unwrap().push(req.uri().to_string());
                    std::future::ready(Ok::<_, std::convert::Infallible>(answer(req.uri())))
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        let pem = String::from_utf8(vector("key.pem")).unwrap();
        let key = PrivateKey::from_pkcs8_pem(&pem).unwrap();
        Self {
            addr,
            requests,
            server,
            key,
        }
    }

    /// The origin to set as `sns_cert_origin`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request path and query received so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests had a path and query starting with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.starts_with(prefix))
            .count()
    }

    /// A Notification carrying `message`, signed with SignatureVersion `version`.
    pub fn notification(&self, message: &str, version: &str) -> Value {
        self.signed(
            json!({
                "Type": "Notification", "MessageId": "4b8fd1bb-1b39-5d43-a6e9-a3ff95bfd0c1",
                "TopicArn": TOPIC, "Subject": "Amazon S3 Notification", "Message": message,
                "Timestamp": "2026-11-23T06:00:00.000Z",
                "UnsubscribeURL": format!("{}/?Action=Unsubscribe&SubscriptionArn={TOPIC}:1", self.origin()),
            }),
            version,
        )
    }

    /// A SubscriptionConfirmation whose SubscribeURL carries `token`.
    pub fn subscription_confirmation(&self, token: &str) -> Value {
        self.signed(
            json!({
                "Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
                "Token": token, "TopicArn": TOPIC,
                "Message": format!("You have chosen to subscribe to the topic {TOPIC}."),
                "SubscribeURL": format!("{}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={token}", self.origin()),
                "Timestamp": "2026-11-23T06:00:00.000Z",
            }),
            "2",
        )
    }

    /// An UnsubscribeConfirmation.
    pub fn unsubscribe_confirmation(&self) -> Value {
        self.signed(
            json!({
                "Type": "UnsubscribeConfirmation", "MessageId": "47138184-6831-46b8-8f7c-afc488602d7d",
                "Token": GOOD_TOKEN, "TopicArn": TOPIC,
                "Message": format!("You have chosen to deactivate subscription {TOPIC}:1."),
                "SubscribeURL": format!("{}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={GOOD_TOKEN}", self.origin()),
                "Timestamp": "2026-11-23T06:10:00.000Z",
            }),
            "1",
        )
    }

    /// Adds SignatureVersion, Signature and SigningCertURL as SNS does (replacing any).
    pub fn signed(&self, mut message: Value, version: &str) -> Value {
        let fields: &[&str] = match message["Type"].as_str() {
            Some("Notification") => &[
                "Message",
                "MessageId",
                "Subject",
                "Timestamp",
                "TopicArn",
                "Type",
            ],
            _ => &[
                "Message",
                "MessageId",
                "SubscribeURL",
                "Timestamp",
                "Token",
                "TopicArn",
                "Type",
            ],
        };
        let text: String = fields
            .iter()
            .filter_map(|f| Some(format!("{f}\n{}\n", message.get(*f)?.as_str()?)))
            .collect();
        let signature = match version {
            "1" => self
                .key
                .sign(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(text.as_bytes())),
            _ => self.key.sign(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(text.as_bytes()),
            ),
        };
        message["SignatureVersion"] = version.into();
        message["Signature"] = Base64::encode_string(&signature.unwrap()).into();
        message["SigningCertURL"] = format!("{}/{CERT_NAME}", self.origin()).into();
        message
    }
}

impl Drop for SnsPeer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn answer(uri: &http::Uri) -> hyper::Response<Full<Bytes>> {
    let query = uri.query().unwrap_or_default();
    let (status, body) = match uri.path() {
        path if path == format!("/{CERT_NAME}") => (200, vector("cert.pem")),
        "/" if query.contains("Action=ConfirmSubscription")
            && query.ends_with(&format!("&Token={GOOD_TOKEN}")) =>
        {
            let body = format!(
                "<ConfirmSubscriptionResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
                 <ConfirmSubscriptionResult><SubscriptionArn>{TOPIC}:c9135db0</SubscriptionArn>\
                 </ConfirmSubscriptionResult><ResponseMetadata><RequestId>r1</RequestId>\
                 </ResponseMetadata></ConfirmSubscriptionResponse>"
            );
            (200, body.into_bytes())
        }
        "/" => {
            let body = "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
                        <Error><Type>Sender</Type><Code>InvalidParameter</Code>\
                        <Message>Invalid token</Message></Error><RequestId>r2</RequestId>\
                        </ErrorResponse>";
            (400, body.as_bytes().to_vec())
        }
        _ => (404, b"not found".to_vec()),
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    response
}
