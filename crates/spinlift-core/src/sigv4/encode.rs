//! Percent-encoding as SigV4 defines it, and the path and query canonicalization built on it.
//!
//! SigV4 encodes every byte except the RFC 3986 unreserved set (`A-Z a-z 0-9 - . _ ~`) as `%XY`
//! with uppercase hex. Paths additionally keep `/`.

use std::borrow::Cow;
use std::ops::Range;

/// True for the RFC 3986 unreserved characters, the only bytes SigV4 leaves unencoded.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `bytes` to `out`, percent-encoding all but unreserved bytes (and `/` when `keep_slash`).
/// Runs of bytes that stay as they are are copied whole, not pushed one char at a time.
pub(crate) fn encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    let kept = |byte: u8| is_unreserved(byte) || (keep_slash && byte == b'/');
    let mut rest = bytes;
    while !rest.is_empty() {
        let run = rest.iter().position(|&b| !kept(b)).unwrap_or(rest.len());
        out.push_str(std::str::from_utf8(&rest[..run]).expect("unreserved bytes are ASCII"));
        let Some(&byte) = rest.get(run) else { break };
        out.push('%');
        out.push(char::from(HEX_UPPER[usize::from(byte >> 4)]));
        out.push(char::from(HEX_UPPER[usize::from(byte & 0x0f)]));
        rest = &rest[run + 1..];
    }
}

/// Appends the lowercase hex of a SHA-256 or HMAC-SHA256, as SigV4 writes hashes and signatures.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8; 32]) {
    const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
    out.reserve(64);
    for &byte in bytes {
        out.push(char::from(HEX_LOWER[usize::from(byte >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(byte & 0x0f)]));
    }
}

/// Percent-encodes `value` with the SigV4 rules (nothing kept but unreserved bytes).
pub fn uri_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(&mut out, value.as_bytes(), false);
    out
}

/// Percent-encodes `value` as a URL path: like [`uri_encode`] but `/` is kept.
pub fn uri_encode_path(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(&mut out, value.as_bytes(), true);
    out
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XY` escapes (and `+` as space when `plus_is_space`); a malformed escape stays literal,
/// as browsers and the WHATWG form decoder leave it.
pub fn percent_decode(input: &str, plus_is_space: bool) -> Cow<'_, [u8]> {
    let bytes = input.as_bytes();
    if !bytes
        .iter()
        .any(|&b| b == b'%' || (plus_is_space && b == b'+'))
    {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && byte == b'+' {
            b' '
        } else {
            byte
        });
        i += 1;
    }
    Cow::Owned(out)
}

/// Writes the canonical URI of an S3-style path: the wire path's escapes decoded, then every
/// byte encoded exactly once. S3 never normalizes: `a//b`, `./x` and `..` are distinct keys.
pub(crate) fn write_single_encoded_path(out: &mut String, wire_path: &str) {
    // Between escapes, the wire path is encoded as it is; each valid escape is decoded and
    // its byte encoded again (`%2a` becomes `%2A`, `%24` becomes `$`'s escape, `%7E` is `~`).
    let bytes = wire_path.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes[i] {
            b'%' => bytes
                .get(i + 1..i + 3)
                .and_then(|pair| Some(hex_value(pair[0])? << 4 | hex_value(pair[1])?)),
            _ => None,
        };
        if let Some(byte) = escaped {
            encode_into(out, &bytes[start..i], true);
            encode_into(out, &[byte], true);
            i += 3;
            start = i;
        } else {
            i += 1;
        }
    }
    encode_into(out, &bytes[start..], true);
}

/// Writes the canonical URI of a non-S3 path: dot segments and empty segments removed
/// (RFC 3986 §5.2.4, as AWS does it), then the already-encoded wire path encoded a second time.
pub(crate) fn write_double_encoded_path(out: &mut String, wire_path: &str, normalize: bool) {
    let path = if normalize {
        normalize_path(wire_path)
    } else {
        Cow::Borrowed(wire_path)
    };
    encode_into(out, path.as_bytes(), true);
}

/// Removes `.`/`..` and empty segments, keeping a trailing slash where the input ends in a
/// directory (`/`, `/.`, `/..`), per RFC 3986 §5.2.4.
pub(crate) fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    if path.starts_with('/') && !path.contains("//") && !path.contains('.') {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    let ends_in_directory = ["/", "/.", "/..", "/./", "/../"]
        .iter()
        .any(|tail| path.ends_with(tail));
    if out.is_empty() || ends_in_directory {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Writes the canonical query string: every `name=value` pair form-decoded, re-encoded with
/// the SigV4 rules, sorted by encoded name then value; empty values and repeated names kept.
///
/// Pairs are encoded one after another into one scratch string and sorted as ranges of it,
/// so a query costs two allocations however many parameters it has.
pub(crate) fn write_canonical_query(out: &mut String, raw_query: &str, extra: &[(&str, &str)]) {
    let mut encoded = String::with_capacity(raw_query.len() + extra.len() * 64);
    let mut pairs: Vec<(Range<usize>, Range<usize>)> = Vec::with_capacity(extra.len() + 4);
    let mut push = |encoded: &mut String, name: &[u8], value: &[u8]| {
        let start = encoded.len();
        encode_into(encoded, name, false);
        let middle = encoded.len();
        encode_into(encoded, value, false);
        pairs.push((start..middle, middle..encoded.len()));
    };
    for piece in raw_query.split('&').filter(|piece| !piece.is_empty()) {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        push(&mut encoded, &form_decode(name), &form_decode(value));
    }
    for (name, value) in extra {
        push(&mut encoded, name.as_bytes(), value.as_bytes());
    }
    let text = |range: &Range<usize>| &encoded[range.clone()];
    pairs.sort_unstable_by(|a, b| text(&a.0).cmp(text(&b.0)).then(text(&a.1).cmp(text(&b.1))));
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(text(name));
        out.push('=');
        out.push_str(text(value));
    }
}

/// Decodes a query component as a form would (`+` is a space). Invalid UTF-8 after decoding
/// is replaced, as every form decoder does, before it is encoded again.
fn form_decode(component: &str) -> Cow<'_, [u8]> {
    match percent_decode(component, true) {
        Cow::Borrowed(bytes) => Cow::Borrowed(bytes),
        Cow::Owned(bytes) => match String::from_utf8_lossy(&bytes) {
            Cow::Borrowed(_) => Cow::Owned(bytes),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_unreserved_with_uppercase_hex() {
        assert_eq!(uri_encode("a b+c/~*'()"), "a%20b%2Bc%2F~%2A%27%28%29");
        assert_eq!(uri_encode_path("/ሴ/x y"), "/%E1%88%B4/x%20y");
    }

    #[test]
    fn single_encoding_normalizes_escapes_but_never_segments() {
        let mut out = String::new();
        write_single_encoded_path(&mut out, "/a//./b/../test$file%2a%2B");
        assert_eq!(out, "/a//./b/../test%24file%2A%2B");
    }

    #[test]
    fn double_encoding_reencodes_the_wire_path() {
        let mut out = String::new();
        write_double_encoded_path(&mut out, "/test/@connections/JBDvjfGEIAMCERw%3D", true);
        assert_eq!(out, "/test/%40connections/JBDvjfGEIAMCERw%253D");
    }

    #[test]
    fn normalization_follows_rfc3986_dot_segment_removal() {
        for (input, expected) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("//example//", "/example/"),
            ("/a/b/.", "/a/b/"),
            ("/a/b/..", "/a/"),
            ("/../x", "/x"),
            ("/a/./b", "/a/b"),
        ] {
            assert_eq!(normalize_path(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn query_is_sorted_by_encoded_name_then_value_keeping_empties_and_repeats() {
        let mut out = String::new();
        write_canonical_query(
            &mut out,
            "b=2&a=&a=1&lifecycle&x=a+b&%7e=%zz",
            &[("X-Y", "p/q")],
        );
        assert_eq!(out, "X-Y=p%2Fq&a=&a=1&b=2&lifecycle=&x=a%20b&~=%25zz");
    }
}
