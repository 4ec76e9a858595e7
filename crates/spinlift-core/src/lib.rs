//! spinlift's pure core: everything that can be decided from plain data.
//!
//! - [`sigv4`]: AWS Signature Version 4, header and presigned, S3 and standard rules.
//! - [`s3`]: the S3 actions spinlift uses, as request builders and answer parsers.
//! - [`aws`]: DynamoDB, SQS (AWS JSON 1.0), SNS and STS (AWS Query) operations, each bound to
//!   its service, and the one error type AWS answers decode into.
//! - [`events`]: S3 event deliveries (raw, SNS, EventBridge) decoded, SNS signatures verified.
//! - [`lambda`]: Lambda invocation events classified, API events mapped to HTTP requests and
//!   answers mapped back to each proxy format.
//! - [`iam`]: the IAM actions each operation needs, which a deployment's policy must allow.
//! - [`xml`]: the small XML tree AWS's answers are read into.
//!
//! Nothing here performs IO, reads a clock or draws randomness: the time to sign with, the
//! bytes an answer carried, the certificate an SNS message names are all passed in. That is
//! what lets every module be tested natively, byte for byte, and what keeps the crate free of
//! `spin-sdk` (a test checks its dependency tree). The Spin edge, the `spinlift` crate, does
//! the sending, retrying and caching around these functions.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod aws;
pub mod events;
pub mod iam;
pub mod lambda;
pub mod s3;
pub mod sigv4;
pub mod xml;
