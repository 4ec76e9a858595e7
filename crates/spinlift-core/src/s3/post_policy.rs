//! Browser form uploads: an S3 POST policy and the form fields that carry it, so an HTML form
//! or `fetch` posts a file straight to the bucket, within limits S3 itself enforces (which key
//! or key prefix, how many bytes, which `Content-Type`, until when).
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>

use super::{Bucket, ObjectKey};
use crate::sigv4::{Signer, SigningTime};
use base64ct::{Base64, Encoding};
use serde_json::{json, Value};

/// Which keys a form may upload to.
#[derive(Debug, Clone, Copy)]
pub enum PostKey<'a> {
    /// Exactly this key.
    Exact(&'a ObjectKey),
    /// Any key starting with this prefix: the form's `key` field is the prefix and
    /// `${filename}`, which S3 replaces with the chosen file's name.
    Prefix(&'a str),
}

/// A POST policy.
#[derive(Debug, Clone)]
pub struct PostPolicy<'a> {
    /// The keys allowed.
    pub key: PostKey<'a>,
    /// The exact `Content-Type` the form sends (and S3 stores), if one is required.
    pub content_type: Option<&'a str>,
    /// The smallest and largest file, in bytes (`content-length-range`).
    pub size_range: (u64, u64),
    /// Validity in seconds from the signing time.
    pub expires_in: u64,
}

/// What a page needs to post a file: where, and every field before the `file` field. Its
/// `Debug` names the fields but shows only the key's and content type's values: the others
/// carry the credential, the session token and the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct PostForm {
    /// The bucket's URL, the form's `action`.
    pub url: String,
    /// The fields, in order; the file goes last, as the field `file`.
    pub fields: Vec<(String, String)>,
    /// The Unix time the policy expires at.
    pub expires_at: u64,
}

impl std::fmt::Debug for PostForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(name, value)| match name.as_str() {
                "key" | "Content-Type" => format!("{name}={value}"),
                _ => format!("{name}=** redacted **"),
            })
            .collect();
        f.debug_struct("PostForm")
            .field("url", &self.url)
            .field("fields", &fields)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl PostPolicy<'_> {
    /// What IAM must allow the signing keys: S3 stores a form post as a `PutObject`.
    pub const IAM_ACTIONS: &'static [&'static str] = &["s3:PutObject"];

    /// The signed form for `bucket`, signed at `now`.
    pub fn form(&self, bucket: &Bucket, signer: &Signer, now: SigningTime) -> PostForm {
        let credentials = signer.post_credentials(now, bucket.region());
        let expires_at = now.unix_seconds() + self.expires_in;
        let (key_condition, key_field) = match self.key {
            PostKey::Exact(key) => (json!(["eq", "$key", key.as_str()]), key.as_str().to_owned()),
            PostKey::Prefix(prefix) => (
                json!(["starts-with", "$key", prefix]),
                format!("{prefix}${{filename}}"),
            ),
        };
        let mut conditions = vec![
            json!({"bucket": bucket.name()}),
            key_condition,
            json!(["content-length-range", self.size_range.0, self.size_range.1]),
        ];
        let mut fields = vec![("key".to_owned(), key_field)];
        if let Some(content_type) = self.content_type {
            conditions.push(json!(["eq", "$Content-Type", content_type]));
            fields.push(("Content-Type".to_owned(), content_type.to_owned()));
        }
        let mut signing = vec![
            ("x-amz-algorithm", credentials.algorithm.to_owned()),
            ("x-amz-credential", credentials.credential),
            ("x-amz-date", credentials.date),
        ];
        if let Some(token) = credentials.security_token {
            signing.push(("x-amz-security-token", token));
        }
        for (name, value) in signing {
            conditions.push(json!({ name: value }));
            fields.push((name.to_owned(), value));
        }
        let document = json!({
            "expiration": expiration(SigningTime::from_unix_seconds(expires_at)),
            "conditions": Value::Array(conditions),
        });
        let policy = Base64::encode_string(document.to_string().as_bytes());
        let signature = signer.sign_post_policy(now, bucket.region(), &policy);
        fields.push(("policy".to_owned(), policy));
        fields.push(("x-amz-signature".to_owned(), signature));
        PostForm {
            url: bucket.bucket_uri(&[]).to_string(),
            fields,
            expires_at,
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.000Z`, as the policy documents of S3's examples write it.
fn expiration(time: SigningTime) -> String {
    let text = time.rfc3339().to_string();
    format!("{}.000Z", text.trim_end_matches('Z'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::tests::bucket;
    use crate::sigv4::Credentials;

    #[test]
    fn the_policy_holds_every_field_the_form_sends() {
        let signer = Signer::new(Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: Some("FQoGZXIvYXdzEXAMPLETOKEN".into()),
        });
        let policy = PostPolicy {
            key: PostKey::Prefix("uploads/"),
            content_type: Some("image/png"),
            size_range: (1, 1024),
            expires_in: 600,
        };
        let form = policy.form(
            &bucket(true),
            &signer,
            SigningTime::from_unix_seconds(1_700_000_000),
        );
        assert_eq!(form.expires_at, 1_700_000_600);
        let printed = format!("{form:?}");
        assert!(printed.contains("key=uploads/${filename}"), "{printed}");
        for (name, value) in &form.fields {
            if !matches!(name.as_str(), "key" | "Content-Type") {
                assert!(
                    !printed.contains(value.as_str()),
                    "{name} leaked: {printed}"
                );
            }
        }
        let field = |name: &str| {
            form.fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(field("key"), Some("uploads/${filename}"));
        let document: Value =
            serde_json::from_slice(&Base64::decode_vec(field("policy").unwrap()).unwrap()).unwrap();
        assert_eq!(document["expiration"], "2023-11-14T22:23:20.000Z");
        let conditions = document["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!(["starts-with", "$key", "uploads/"])));
        assert!(conditions.contains(&json!(["content-length-range", 1, 1024])));
        // Every field but the policy and its signature is held by a condition.
        for (name, value) in &form.fields {
            if matches!(name.as_str(), "policy" | "x-amz-signature" | "key") {
                continue;
            }
            let held = conditions.iter().any(|c| {
                c.get(name).and_then(Value::as_str) == Some(value)
                    || *c == json!(["eq", format!("${name}"), value])
            });
            assert!(held, "{name} is not in the policy");
        }
        assert_eq!(
            field("x-amz-security-token"),
            Some("FQoGZXIvYXdzEXAMPLETOKEN")
        );
        assert_eq!(field("x-amz-signature").map(str::len), Some(64));
    }
}
