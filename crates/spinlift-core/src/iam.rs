//! The IAM actions spinlift can call, collected from the operations themselves.
//!
//! Every request type declares the actions it needs next to the request it builds
//! ([`Operation::IAM_ACTIONS`], [`S3Action::IAM_ACTIONS`], and the presigning types' own), so a
//! new operation cannot be added without saying what it needs. [`OPERATIONS`] names each of
//! them; a test checks it against the source (every `impl Operation` and `S3Action` is listed),
//! and the deployment test checks `deploy/aws/spinlift.yaml`'s policy against [`actions`], both
//! ways: nothing the code calls is refused, nothing it never calls is allowed.

use std::collections::BTreeSet;

use crate::aws::dynamodb::{DeleteItem, GetItem, PutItem, Query, UpdateItem};
use crate::aws::sns::{Publish, PublishBatch};
use crate::aws::sqs::{DeleteMessage, ReceiveMessage, SendMessage, SendMessageBatch};
use crate::aws::sts::{AssumeRole, GetCallerIdentity};
use crate::aws::Operation;
use crate::s3::{
    AbortMultipartUpload, CompleteMultipartUpload, CopyObject, CreateMultipartUpload, DeleteObject,
    GetObject, HeadObject, ListObjectsV2, ListParts, PostPolicy, PresignMethod, PresignPart,
    PutObject, S3Action, UploadPart, UploadPartCopy,
};

/// Every operation spinlift can send or presign, by name, with the IAM actions it needs.
pub const OPERATIONS: &[(&str, &[&str])] = &[
    // S3, sent.
    ("GetObject", GetObject::IAM_ACTIONS),
    ("HeadObject", <HeadObject<'static> as S3Action>::IAM_ACTIONS),
    ("PutObject", <PutObject<'static> as S3Action>::IAM_ACTIONS),
    ("CopyObject", <CopyObject<'static> as S3Action>::IAM_ACTIONS),
    (
        "DeleteObject",
        <DeleteObject<'static> as S3Action>::IAM_ACTIONS,
    ),
    (
        "ListObjectsV2",
        <ListObjectsV2<'static> as S3Action>::IAM_ACTIONS,
    ),
    (
        "CreateMultipartUpload",
        <CreateMultipartUpload<'static> as S3Action>::IAM_ACTIONS,
    ),
    ("UploadPart", <UploadPart<'static> as S3Action>::IAM_ACTIONS),
    (
        "UploadPartCopy",
        <UploadPartCopy<'static> as S3Action>::IAM_ACTIONS,
    ),
    (
        "CompleteMultipartUpload",
        <CompleteMultipartUpload<'static> as S3Action>::IAM_ACTIONS,
    ),
    (
        "AbortMultipartUpload",
        <AbortMultipartUpload<'static> as S3Action>::IAM_ACTIONS,
    ),
    ("ListParts", <ListParts<'static> as S3Action>::IAM_ACTIONS),
    // S3, presigned: S3 judges them with the signing keys' permissions.
    ("PresignObject(GET)", &[PresignMethod::Get.iam_action()]),
    ("PresignObject(PUT)", &[PresignMethod::Put.iam_action()]),
    ("PresignPart", PresignPart::IAM_ACTIONS),
    ("PostPolicy", PostPolicy::IAM_ACTIONS),
    // The other services.
    ("PutItem", <PutItem<'static> as Operation>::IAM_ACTIONS),
    ("GetItem", <GetItem<'static> as Operation>::IAM_ACTIONS),
    (
        "DeleteItem",
        <DeleteItem<'static> as Operation>::IAM_ACTIONS,
    ),
    ("Query", <Query<'static> as Operation>::IAM_ACTIONS),
    (
        "UpdateItem",
        <UpdateItem<'static> as Operation>::IAM_ACTIONS,
    ),
    (
        "SendMessage",
        <SendMessage<'static> as Operation>::IAM_ACTIONS,
    ),
    (
        "SendMessageBatch",
        <SendMessageBatch<'static> as Operation>::IAM_ACTIONS,
    ),
    (
        "ReceiveMessage",
        <ReceiveMessage<'static> as Operation>::IAM_ACTIONS,
    ),
    (
        "DeleteMessage",
        <DeleteMessage<'static> as Operation>::IAM_ACTIONS,
    ),
    ("Publish", <Publish<'static> as Operation>::IAM_ACTIONS),
    (
        "PublishBatch",
        <PublishBatch<'static> as Operation>::IAM_ACTIONS,
    ),
    (
        "AssumeRole",
        <AssumeRole<'static> as Operation>::IAM_ACTIONS,
    ),
    (
        "GetCallerIdentity",
        <GetCallerIdentity as Operation>::IAM_ACTIONS,
    ),
];

/// The IAM actions of all [`OPERATIONS`], each once.
pub fn actions() -> BTreeSet<&'static str> {
    OPERATIONS
        .iter()
        .flat_map(|(_, actions)| actions.iter().copied())
        .collect()
}

/// What a policy scopes an action to: the objects (`arn:aws:s3:::bucket/*`), the bucket
/// itself, or the one resource of the service the action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `arn:aws:s3:::<bucket>/<prefix>*`.
    Objects,
    /// `arn:aws:s3:::<bucket>` (listing).
    Bucket,
    /// The DynamoDB table (`index_table`).
    Table,
    /// The SQS queue (`notify_queue_url`).
    Queue,
    /// The SNS topic (`notify_topic_arn`).
    Topic,
    /// The role to assume (`aws_role_arn`).
    Role,
}

/// The resource `action` is scoped to, or `None` for an action this module does not know.
pub fn scope(action: &str) -> Option<Scope> {
    let (service, name) = action.split_once(':')?;
    Some(match service {
        "s3" if name.starts_with("ListBucket") => Scope::Bucket,
        "s3" => Scope::Objects,
        "dynamodb" => Scope::Table,
        "sqs" => Scope::Queue,
        "sns" => Scope::Topic,
        "sts" => Scope::Role,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The type names after `impl Operation for` / `impl S3Action for`, in the S3 actions'
    /// macro, and of the inherent impls declaring `pub const IAM_ACTIONS` (the presigning
    /// types, `GetObject`), across the crate's source: the operations that exist.
    fn operations_in_source() -> BTreeSet<String> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut names = BTreeSet::new();
        for dir in ["aws", "s3"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                let mut inherent = None;
                for line in text.lines() {
                    let line = line.trim();
                    if let Some(rest) = line.strip_prefix("impl ").filter(|r| !r.contains(" for "))
                    {
                        inherent = Some(rest);
                    }
                    let with_const = inherent.filter(|_| line.starts_with("pub const IAM_ACTIONS"));
                    let declared = ["impl Operation for ", "impl S3Action for "]
                        .iter()
                        .find_map(|head| line.strip_prefix(head));
                    // `AbortMultipartUpload => (), "s3:AbortMultipartUpload";` in bodiless_action!
                    let in_macro = line
                        .split_once(" => ")
                        .filter(|(_, rest)| rest.contains(", \"s3:") && rest.ends_with("\";"))
                        .map(|(name, _)| name);
                    // (The macro's own `impl S3Action for $action` names no type.)
                    let named = declared.or(in_macro).or(with_const);
                    if let Some(name) = named.filter(|n| !n.starts_with('$')) {
                        let name: String = name
                            .chars()
                            .take_while(char::is_ascii_alphanumeric)
                            .collect();
                        names.insert(name);
                    }
                }
            }
        }
        names
    }

    #[test]
    fn every_operation_in_the_source_is_listed() {
        let listed: BTreeSet<&str> = OPERATIONS.iter().map(|(name, _)| *name).collect();
        let found = operations_in_source();
        assert!(found.len() >= 20, "the scan found too little: {found:?}");
        for inherent in ["GetObject", "PresignPart", "PostPolicy"] {
            assert!(found.contains(inherent), "the scan missed {inherent}");
        }
        let missing: Vec<_> = found
            .iter()
            .filter(|n| !listed.contains(n.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "operations missing from iam::OPERATIONS: {missing:?}"
        );
    }

    #[test]
    fn every_action_has_a_scope_and_names_its_service() {
        for action in actions() {
            assert!(scope(action).is_some(), "{action} has no scope");
        }
        assert_eq!(scope("s3:ListBucket"), Some(Scope::Bucket));
        assert_eq!(scope("s3:ListMultipartUploadParts"), Some(Scope::Objects));
        assert!(actions().contains("s3:AbortMultipartUpload"));
        assert!(!actions().contains("sts:GetCallerIdentity"));
    }
}
