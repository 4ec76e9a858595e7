//! Calling the component's API as a client does: the bearer token, the JSON error body.

use crate::support::host::{Answer, Host};
use serde_json::Value;

/// `api_token`'s default in spin.toml.
pub const TOKEN: &str = "dev-api-token";

/// A request with the API token and `headers`.
pub fn request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> http::Request<Vec<u8>> {
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body.to_vec()).unwrap()
}

/// Sends [`request`] and reads the whole answer.
pub async fn call(
    host: &Host,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    host.send(request(method, path, headers, body)).await
}

/// The answer's JSON body.
pub fn json_of(answer: &Answer) -> Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("not JSON: {answer:?}"))
}

/// The `error.code` of a JSON error answer ("" when there is none).
pub fn error_code(answer: &Answer) -> String {
    json_of(answer)["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A raw connection on which a PUT of `path` announcing `length` body bytes has sent its head
/// (`connection: close`, so the answer ends the connection): for clients that send their body
/// slowly, in part or not at all, which an HTTP client library does not do.
pub async fn put_head(host: &Host, path: &str, length: usize) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(host.addr()).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nhost: spinlift\r\nauthorization: Bearer {TOKEN}\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}
