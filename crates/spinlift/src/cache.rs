//! A small cache that outlives one request.
//!
//! Spin starts a fresh instance for every request, so memory does not carry over; what
//! should (SNS signing certificates, an assumed role's session credentials) goes to Spin's
//! key-value store through this seam.
//! It is best effort: a store that fails or is not granted only means refetching.

use std::cell::RefCell;
use std::collections::HashMap;

/// A best-effort byte cache by key.
pub trait Cache {
    /// The cached value, if any (a failing store answers `None`).
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Stores `value` under `key`; failures are logged by the implementation, not returned.
    fn set(&self, key: &str, value: &[u8]);
}

/// A cache that lives as long as the value: the one request, or a native test.
#[derive(Debug, Default)]
pub struct MemoryCache(RefCell<HashMap<String, Vec<u8>>>);

impl Cache for MemoryCache {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.borrow().get(key).cloned()
    }

    fn set(&self, key: &str, value: &[u8]) {
        self.0.borrow_mut().insert(key.to_owned(), value.to_vec());
    }
}
