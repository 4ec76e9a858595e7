//! spinlift: an AWS Lambda function lifted onto Spin, talking to AWS through its own SigV4 signer.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod config;
pub mod sigv4;
