//! The smallest component over the stack the template app must carry: spin-sdk's
//! http_component over `http` types and one variable; then, by feature, a serde_json `Value`
//! parsed and written, quick-xml's pull reader, HMAC-SHA-256.
use spin_sdk::http_component;

#[http_component]
async fn handle(req: http::Request<Vec<u8>>) -> anyhow::Result<http::Response<String>> {
    let name = spin_sdk::variables::get("name").unwrap_or_default();
    #[allow(unused_mut)]
    let mut out = format!("{name} {}", req.uri().path());
    #[cfg(feature = "json")]
    {
        let v: serde_json::Value = serde_json::from_slice(req.body())?;
        let key = v["Records"][0]["s3"]["object"]["key"]
            .as_str()
            .unwrap_or("");
        out = serde_json::json!({"key": key, "n": v["n"].as_u64()}).to_string();
    }
    #[cfg(feature = "xml")]
    {
        let text = String::from_utf8_lossy(req.body()).into_owned();
        let mut r = quick_xml::Reader::from_str(&text);
        loop {
            match r.read_event() {
                Ok(quick_xml::events::Event::Text(t)) => out.push_str(&t.xml10_content()),
                Ok(quick_xml::events::Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    #[cfg(feature = "sign")]
    {
        use hmac::{Hmac, KeyInit, Mac};
        let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(name.as_bytes()).unwrap();
        m.update(req.body());
        let tag = m.finalize().into_bytes();
        for b in tag {
            out.push_str(&format!("{b:02x}"));
        }
    }
    Ok(http::Response::builder().status(200).body(out)?)
}
