//! SQS SendMessage, SendMessageBatch, ReceiveMessage and DeleteMessage. AWS JSON 1.0,
//! target prefix `AmazonSQS`.

use super::protocol::{json_answer, json_request};
use super::sns::{BatchOutcome, Fifo};
use super::{AwsError, Endpoint, Operation, Service};
use http::{HeaderMap, Request, StatusCode};
use serde::Deserialize;
use serde_json::json;

/// `SendMessage`.
#[derive(Debug, Clone)]
pub struct SendMessage<'a> {
    /// The queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`).
    pub queue_url: &'a str,
    /// The message body.
    pub body: &'a str,
    /// Required by a FIFO queue (its URL ends `.fifo`); a standard queue takes a group id
    /// (fair queuing) but refuses the deduplication id.
    pub fifo: Option<Fifo<'a>>,
}

#[derive(Deserialize)]
struct SendAnswer {
    #[serde(rename = "MessageId")]
    message_id: String,
}

impl Operation for SendMessage<'_> {
    const SERVICE: Service = Service::Sqs;
    const IAM_ACTIONS: &'static [&'static str] = &["sqs:SendMessage"];
    /// The message id.
    type Output = String;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let mut body = json!({"QueueUrl": self.queue_url, "MessageBody": self.body});
        for (name, value) in self.fifo.iter().flat_map(Fifo::params) {
            body[name] = value.into();
        }
        json_request(endpoint, "AmazonSQS.SendMessage", &body)
    }

    fn parse(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<String, AwsError> {
        json_answer::<SendAnswer>(status, headers, body).map(|a| a.message_id)
    }
}

/// `SendMessageBatch`: up to 10 `(id, body)` entries.
#[derive(Debug, Clone)]
pub struct SendMessageBatch<'a> {
    /// The queue URL.
    pub queue_url: &'a str,
    /// `(id, body)` pairs, ids unique in the batch.
    pub entries: &'a [(String, String)],
}

#[derive(Deserialize)]
struct BatchAnswer {
    #[serde(rename = "Successful", default)]
    successful: Vec<BatchSuccess>,
    #[serde(rename = "Failed", default)]
    failed: Vec<BatchFailure>,
}

#[derive(Deserialize)]
struct BatchSuccess {
    #[serde(rename = "Id")]
    id: String,
}

#[derive(Deserialize)]
struct BatchFailure {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Code")]
    code: String,
}

impl Operation for SendMessageBatch<'_> {
    const SERVICE: Service = Service::Sqs;
    const IAM_ACTIONS: &'static [&'static str] = &["sqs:SendMessage"];
    type Output = BatchOutcome;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let entries: Vec<_> = self
            .entries
            .iter()
            .map(|(id, body)| json!({"Id": id, "MessageBody": body}))
            .collect();
        let body = json!({"QueueUrl": self.queue_url, "Entries": entries});
        json_request(endpoint, "AmazonSQS.SendMessageBatch", &body)
    }

    fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<BatchOutcome, AwsError> {
        let answer = json_answer::<BatchAnswer>(status, headers, body)?;
        Ok(BatchOutcome {
            successful: answer.successful.into_iter().map(|s| s.id).collect(),
            failed: answer.failed.into_iter().map(|f| (f.id, f.code)).collect(),
        })
    }
}

/// `ReceiveMessage`.
#[derive(Debug, Clone)]
pub struct ReceiveMessage<'a> {
    /// The queue URL.
    pub queue_url: &'a str,
    /// 1 to 10.
    pub max_messages: u8,
    /// Long polling, 0 to 20 seconds.
    pub wait_seconds: u8,
}

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Message {
    /// The message id.
    #[serde(rename = "MessageId")]
    pub message_id: String,
    /// The handle that deletes it.
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    /// The body.
    #[serde(rename = "Body")]
    pub body: String,
}

#[derive(Deserialize)]
struct ReceiveAnswer {
    #[serde(rename = "Messages", default)]
    messages: Vec<Message>,
}

impl Operation for ReceiveMessage<'_> {
    const SERVICE: Service = Service::Sqs;
    const IAM_ACTIONS: &'static [&'static str] = &["sqs:ReceiveMessage"];
    type Output = Vec<Message>;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let body = json!({
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": self.max_messages,
            "WaitTimeSeconds": self.wait_seconds,
        });
        json_request(endpoint, "AmazonSQS.ReceiveMessage", &body)
    }

    fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Vec<Message>, AwsError> {
        json_answer::<ReceiveAnswer>(status, headers, body).map(|a| a.messages)
    }
}

/// `DeleteMessage`.
#[derive(Debug, Clone)]
pub struct DeleteMessage<'a> {
    /// The queue URL.
    pub queue_url: &'a str,
    /// From the received message.
    pub receipt_handle: &'a str,
}

impl Operation for DeleteMessage<'_> {
    const SERVICE: Service = Service::Sqs;
    const IAM_ACTIONS: &'static [&'static str] = &["sqs:DeleteMessage"];
    type Output = ();
    const IDEMPOTENT: bool = true;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let body = json!({"QueueUrl": self.queue_url, "ReceiptHandle": self.receipt_handle});
        json_request(endpoint, "AmazonSQS.DeleteMessage", &body)
    }

    fn parse(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<(), AwsError> {
        json_answer::<serde_json::Value>(status, headers, body).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Service;

    #[test]
    fn speaks_json_with_a_target() {
        let endpoint = Endpoint::new(
            Service::Sqs,
            "https://sqs.us-east-1.amazonaws.com",
            "us-east-1",
        )
        .unwrap();
        let request = SendMessage {
            queue_url: "https://q",
            body: "hi",
            fifo: None,
        }
        .request(&endpoint);
        assert_eq!(request.headers()["x-amz-target"], "AmazonSQS.SendMessage");
        assert_eq!(
            request.headers()["content-type"],
            "application/x-amz-json-1.0"
        );
        let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
        assert_eq!(body, json!({"QueueUrl": "https://q", "MessageBody": "hi"}));
        let fifo = SendMessage {
            queue_url: "https://q.fifo",
            body: "hi",
            fifo: Some(Fifo {
                group_id: "g",
                deduplication_id: Some("d"),
            }),
        }
        .request(&endpoint);
        let body: serde_json::Value = serde_json::from_slice(fifo.body()).unwrap();
        assert_eq!(
            body,
            json!({"QueueUrl": "https://q.fifo", "MessageBody": "hi",
                   "MessageGroupId": "g", "MessageDeduplicationId": "d"})
        );
        let empty = ReceiveMessage::parse(StatusCode::OK, &HeaderMap::new(), b"{}").unwrap();
        assert!(empty.is_empty(), "no Messages key means no messages");
    }
}
