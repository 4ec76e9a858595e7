//! Object keys: any UTF-8 string of 1 to 1024 bytes, taken literally.
//!
//! S3 never normalizes keys: `a//b`, `./x`, `..` and `dir/` are real, distinct keys. A key is
//! put on the wire with every byte but the unreserved ones and `/` percent-encoded, which is
//! also its canonical form for SigV4, so what is signed is exactly what is sent.

use crate::sigv4::uri_encode_path;
use std::fmt;

/// The longest key S3 accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// A validated S3 object key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

/// Why a string is not an object key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is empty.
    Empty,
    /// The key is longer than 1024 bytes.
    TooLong(usize),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => f.write_str("the object key is empty"),
            KeyError::TooLong(len) => write!(
                f,
                "the object key is {len} bytes; the limit is {MAX_KEY_BYTES}"
            ),
        }
    }
}

impl std::error::Error for KeyError {}

impl ObjectKey {
    /// Validates `key`.
    ///
    /// # Errors
    /// The key is empty or longer than 1024 bytes.
    pub fn new(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into();
        match key.len() {
            0 => Err(KeyError::Empty),
            len if len > MAX_KEY_BYTES => Err(KeyError::TooLong(len)),
            _ => Ok(Self(key)),
        }
    }

    /// The key as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as a URL path (without the leading `/`): each byte but unreserved ones and `/` encoded.
    pub fn url_path(&self) -> String {
        uri_encode_path(&self.0)
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_literal_and_bounded() {
        assert_eq!(ObjectKey::new(""), Err(KeyError::Empty));
        assert!(ObjectKey::new("k".repeat(1024)).is_ok());
        assert_eq!(
            ObjectKey::new("é".repeat(513)),
            Err(KeyError::TooLong(1026))
        );
        for literal in ["a//b", "./x", "..", "dir/", " lead", "+%~*'()"] {
            assert_eq!(ObjectKey::new(literal).unwrap().as_str(), literal);
        }
    }

    #[test]
    fn url_path_encodes_everything_but_unreserved_and_slash() {
        let key = ObjectKey::new("a b/+%~*'()/日本/😀/./..//").unwrap();
        assert_eq!(
            key.url_path(),
            "a%20b/%2B%25~%2A%27%28%29/%E6%97%A5%E6%9C%AC/%F0%9F%98%80/./..//"
        );
    }
}
