//! SNS Publish and PublishBatch. Query protocol, version 2010-03-31.

use super::protocol::{query_answer, query_request};
use super::{AwsError, Endpoint, Operation, Service};
use http::{HeaderMap, Request, StatusCode};

const VERSION: &str = "2010-03-31";

/// `Publish` to a topic.
#[derive(Debug, Clone)]
pub struct Publish<'a> {
    /// The topic ARN.
    pub topic_arn: &'a str,
    /// The message (up to 256 KiB).
    pub message: &'a str,
    /// An optional subject (email subscriptions).
    pub subject: Option<&'a str>,
    /// Required by a FIFO topic (its name ends `.fifo`); a standard topic refuses the
    /// deduplication id.
    pub fifo: Option<Fifo<'a>>,
}

/// What a FIFO queue or topic requires of each message: the group it is ordered in, and the
/// id a repeat within five minutes is dropped by (optional where the queue or topic
/// deduplicates by content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fifo<'a> {
    /// `MessageGroupId`: up to 128 characters, alphanumeric or punctuation.
    pub group_id: &'a str,
    /// `MessageDeduplicationId`: the same rules.
    pub deduplication_id: Option<&'a str>,
}

impl Fifo<'_> {
    /// The request parameters, named as both SNS and SQS name them.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let group = Some(("MessageGroupId", self.group_id));
        let dedup = self
            .deduplication_id
            .map(|id| ("MessageDeduplicationId", id));
        group.into_iter().chain(dedup)
    }
}

impl Operation for Publish<'_> {
    const SERVICE: Service = Service::Sns;
    const IAM_ACTIONS: &'static [&'static str] = &["sns:Publish"];
    /// The message id.
    type Output = String;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let mut params = vec![
            ("TopicArn".to_owned(), self.topic_arn.to_owned()),
            ("Message".to_owned(), self.message.to_owned()),
        ];
        if let Some(subject) = self.subject {
            params.push(("Subject".to_owned(), subject.to_owned()));
        }
        for (name, value) in self.fifo.iter().flat_map(Fifo::params) {
            params.push((name.to_owned(), value.to_owned()));
        }
        query_request(endpoint, "Publish", VERSION, &params)
    }

    fn parse(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<String, AwsError> {
        query_answer(status, headers, body, "PublishResult", |result| {
            Ok(result.required("MessageId")?.to_owned())
        })
    }
}

/// `PublishBatch`: up to 10 messages, each with an id unique in the batch.
#[derive(Debug, Clone)]
pub struct PublishBatch<'a> {
    /// The topic ARN.
    pub topic_arn: &'a str,
    /// `(id, message)` pairs.
    pub entries: &'a [(String, String)],
}

/// Which entries of a batch were accepted and which failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Ids of accepted entries.
    pub successful: Vec<String>,
    /// `(id, code)` of failed entries.
    pub failed: Vec<(String, String)>,
}

impl Operation for PublishBatch<'_> {
    const SERVICE: Service = Service::Sns;
    const IAM_ACTIONS: &'static [&'static str] = &["sns:Publish"];
    type Output = BatchOutcome;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let mut params = vec![("TopicArn".to_owned(), self.topic_arn.to_owned())];
        for (n, (id, message)) in self.entries.iter().enumerate() {
            let prefix = format!("PublishBatchRequestEntries.member.{}", n + 1);
            params.push((format!("{prefix}.Id"), id.clone()));
            params.push((format!("{prefix}.Message"), message.clone()));
        }
        query_request(endpoint, "PublishBatch", VERSION, &params)
    }

    fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<BatchOutcome, AwsError> {
        query_answer(status, headers, body, "PublishBatchResult", |result| {
            let members = |list: &str| -> Vec<&crate::xml::Element> {
                result
                    .child(list)
                    .map(|l| l.children("member").collect())
                    .unwrap_or_default()
            };
            Ok(BatchOutcome {
                successful: members("Successful")
                    .into_iter()
                    .map(|m| m.required("Id").map(str::to_owned))
                    .collect::<Result<_, _>>()?,
                failed: members("Failed")
                    .into_iter()
                    .map(|m| Ok((m.required("Id")?.to_owned(), m.required("Code")?.to_owned())))
                    .collect::<Result<_, crate::xml::XmlError>>()?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Service;

    #[test]
    fn a_fifo_publish_names_its_group_and_deduplication_id() {
        let endpoint = Endpoint::new(Service::Sns, "http://127.0.0.1:5000", "us-east-1").unwrap();
        let publish = |fifo| Publish {
            topic_arn: "arn:t.fifo",
            message: "m",
            subject: None,
            fifo,
        };
        let group = Fifo {
            group_id: "g",
            deduplication_id: Some("d"),
        };
        assert_eq!(
            String::from_utf8(publish(Some(group)).request(&endpoint).into_body()).unwrap(),
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3At.fifo&Message=m\
             &MessageGroupId=g&MessageDeduplicationId=d"
        );
        let by_content = Fifo {
            deduplication_id: None,
            ..group
        };
        let body = publish(Some(by_content)).request(&endpoint).into_body();
        assert!(String::from_utf8(body)
            .unwrap()
            .ends_with("&Message=m&MessageGroupId=g"));
    }

    #[test]
    fn builds_publish_batch_members_and_parses_the_answer() {
        let endpoint = Endpoint::new(
            Service::Sns,
            "https://sns.us-east-1.amazonaws.com",
            "us-east-1",
        )
        .unwrap();
        let entries = [
            ("a".to_owned(), "x y".to_owned()),
            ("b".to_owned(), "z".to_owned()),
        ];
        let request = PublishBatch {
            topic_arn: "arn:t",
            entries: &entries,
        }
        .request(&endpoint);
        assert_eq!(
            String::from_utf8(request.body().clone()).unwrap(),
            "Action=PublishBatch&Version=2010-03-31&TopicArn=arn%3At\
             &PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=x+y\
             &PublishBatchRequestEntries.member.2.Id=b&PublishBatchRequestEntries.member.2.Message=z"
        );
        let answer = br#"<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishBatchResult>
    <Successful><member><Id>a</Id><MessageId>m1</MessageId></member></Successful>
    <Failed><member><Id>b</Id><Code>InvalidParameter</Code><SenderFault>true</SenderFault></member></Failed>
  </PublishBatchResult>
</PublishBatchResponse>"#;
        let outcome = PublishBatch::parse(StatusCode::OK, &HeaderMap::new(), answer).unwrap();
        assert_eq!(outcome.successful, ["a"]);
        assert_eq!(
            outcome.failed,
            [("b".to_owned(), "InvalidParameter".to_owned())]
        );
    }
}
