//! The Spin side of the app's seams, over `spin_sdk`.
//!
//! Kept to a few lines per seam: all logic lives in the native, tested modules.

use crate::config::{VariableError, Variables};

/// Component variables from the Spin host (`fermyon:spin/variables`).
pub(crate) struct SpinVariables;

impl Variables for SpinVariables {
    fn get(&self, name: &str) -> Result<Option<String>, VariableError> {
        use spin_sdk::variables::{get, Error};
        match get(name) {
            Ok(value) => Ok(Some(value)),
            Err(Error::Undefined(_)) => Ok(None),
            // `Display` of the other kinds carries the provider's reason, not a value.
            Err(err) => Err(VariableError(err.to_string())),
        }
    }
}
