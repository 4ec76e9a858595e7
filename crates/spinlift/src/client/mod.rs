//! The AWS client of one request: S3 ([`s3::S3Call`]) and the other services
//! ([`aws::AwsCall`]) signed with the credentials [`credentials::resolve`] settles on (the
//! configured keys, or an assumed role's session), sent through the retrying transport, and
//! re-signed once when AWS refuses the request's time. [`upload`] stores a body of any length,
//! [`copy`] copies an object of any size.
//!
//! The client sits below the routes and the event handlers, which both use it; it never
//! imports from them.

pub mod aws;
pub mod chunked;
pub mod copy;
pub mod credentials;
pub mod error;
pub mod s3;
pub mod services;
pub mod signed;
pub mod upload;
pub mod verify;

pub use error::ClientError;
