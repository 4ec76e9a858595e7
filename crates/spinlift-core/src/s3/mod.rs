//! Amazon S3 over hand-signed REST calls, sans IO.
//!
//! Each action is a small type that builds an unsigned `http::Request<()>` and parses the
//! response from plain data (status, headers, body bytes): nothing here sends a request.
//! [`Bucket`] knows the endpoint and addressing style and signs requests with SigV4's S3
//! rules; the Spin edge (or a test's native transport) does the IO.
//! API reference: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html>.

mod action;
mod bucket;
mod checksum;
mod copy_object;
mod delete_object;
mod error;
mod get_object;
mod head_object;
mod key;
mod list_objects_v2;
mod list_parts;
mod multipart;
mod part_plan;
mod post_policy;
mod presign;
mod put_object;
mod read_condition;
mod upload_part_copy;
mod write_condition;

pub use action::S3Action;
pub use bucket::{is_bucket_name, Bucket, S3Config, Scheme};
pub use checksum::{object_checksum, ChecksumAlgorithm, ChecksumValue, Checksummer, Integrity};
pub use copy_object::{CopyObject, CopyObjectOutput};
pub use delete_object::DeleteObject;
pub use error::{ErrorsIn200, S3ErrorKind};
pub use get_object::GetObject;
pub use head_object::{HeadObject, ObjectHead};
pub use key::{KeyError, ObjectKey, MAX_KEY_BYTES};
pub use list_objects_v2::{
    ListObjectsV2, ListObjectsV2Output, ListedObject, MAX_CONTINUATION_TOKEN_BYTES,
};
pub use list_parts::{ListParts, ListPartsOutput, ListedPart};
pub use multipart::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CreateMultipartUpload,
    UploadChecksum, UploadPart, MAX_UPLOAD_ID_BYTES,
};
pub use part_plan::{
    PartPlan, PlanError, DEFAULT_PART_SIZE, MAX_OBJECT_SIZE, MAX_PARTS, MAX_PART_SIZE,
    MIN_PART_SIZE,
};
pub use post_policy::{PostForm, PostKey, PostPolicy};
pub use presign::{PresignMethod, PresignObject, PresignPart};
pub use put_object::{PutObject, PutObjectOutput, STORED_HEADERS};
pub use read_condition::{if_range_holds, ReadConditions};
pub use upload_part_copy::UploadPartCopy;
pub use write_condition::WriteCondition;
