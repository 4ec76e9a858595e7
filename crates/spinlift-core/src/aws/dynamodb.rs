//! DynamoDB PutItem, GetItem, DeleteItem, Query and UpdateItem, with condition expressions.
//! AWS JSON 1.0, target prefix `DynamoDB_20120810`. Items are in DynamoDB's own JSON
//! (`{"pk": {"S": "a"}, "n": {"N": "1"}}`), which is what the wire carries.

use super::protocol::{json_answer, json_request};
use super::{AwsError, Endpoint, Operation, Service};
use http::{HeaderMap, Request, StatusCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// An item or key: attribute name to DynamoDB attribute value.
pub type Item = Map<String, Value>;

/// A condition or update expression with its placeholders (`#name`, `:value`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expression {
    /// The expression, e.g. `attribute_not_exists(pk) OR #s < :s`.
    pub text: String,
    /// `#placeholder` to attribute name.
    pub names: Map<String, Value>,
    /// `:placeholder` to attribute value.
    pub values: Item,
}

/// An attribute value of type string.
pub fn s(value: &str) -> Value {
    json!({ "S": value })
}

/// An attribute value of type number.
pub fn n(value: impl std::fmt::Display) -> Value {
    json!({ "N": value.to_string() })
}

fn target(operation: &str) -> String {
    format!("DynamoDB_20120810.{operation}")
}

/// Adds an expression's placeholders to a request body.
fn with_placeholders(body: &mut Value, names: &Map<String, Value>, values: &Item) {
    if !names.is_empty() {
        body["ExpressionAttributeNames"] = Value::Object(names.clone());
    }
    if !values.is_empty() {
        body["ExpressionAttributeValues"] = Value::Object(values.clone());
    }
}

/// `PutItem`, optionally conditional.
///
/// Retried after a server error or a lost answer, as the AWS SDKs retry it. A condition a
/// repeat would fail (`attribute_not_exists(pk)`) can therefore answer
/// `ConditionalCheckFailedException` for a write that did happen the first time: read the
/// item back before treating that as a conflict. Conditions a repeat keeps (a version or
/// sequence no newer than the item's, as the indexer's) are safe to retry as they are.
#[derive(Debug, Clone)]
pub struct PutItem<'a> {
    /// Table name.
    pub table: &'a str,
    /// The item, key attributes included.
    pub item: &'a Item,
    /// Write only if this holds (`ConditionalCheckFailedException` otherwise).
    pub condition: Option<&'a Expression>,
}

impl Operation for PutItem<'_> {
    const SERVICE: Service = Service::DynamoDb;
    const IAM_ACTIONS: &'static [&'static str] = &["dynamodb:PutItem"];
    type Output = ();
    const IDEMPOTENT: bool = true;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let mut body = json!({"TableName": self.table, "Item": self.item});
        if let Some(condition) = self.condition {
            body["ConditionExpression"] = condition.text.clone().into();
            with_placeholders(&mut body, &condition.names, &condition.values);
        }
        json_request(endpoint, &target("PutItem"), &body)
    }

    fn parse(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<(), AwsError> {
        json_answer::<Value>(status, headers, body).map(|_| ())
    }
}

/// `GetItem`.
#[derive(Debug, Clone)]
pub struct GetItem<'a> {
    /// Table name.
    pub table: &'a str,
    /// The key attributes.
    pub key: &'a Item,
    /// Strongly consistent read.
    pub consistent: bool,
}

#[derive(Deserialize)]
struct ItemAnswer {
    #[serde(rename = "Item")]
    item: Option<Item>,
}

impl Operation for GetItem<'_> {
    const SERVICE: Service = Service::DynamoDb;
    const IAM_ACTIONS: &'static [&'static str] = &["dynamodb:GetItem"];
    /// The item, if it exists.
    type Output = Option<Item>;
    const IDEMPOTENT: bool = true;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let body =
            json!({"TableName": self.table, "Key": self.key, "ConsistentRead": self.consistent});
        json_request(endpoint, &target("GetItem"), &body)
    }

    fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<Item>, AwsError> {
        json_answer::<ItemAnswer>(status, headers, body).map(|a| a.item)
    }
}

/// `DeleteItem`, optionally conditional; retried as [`PutItem`] is, with the same caveat.
#[derive(Debug, Clone)]
pub struct DeleteItem<'a> {
    /// Table name.
    pub table: &'a str,
    /// The key attributes.
    pub key: &'a Item,
    /// Delete only if this holds.
    pub condition: Option<&'a Expression>,
}

impl Operation for DeleteItem<'_> {
    const SERVICE: Service = Service::DynamoDb;
    const IAM_ACTIONS: &'static [&'static str] = &["dynamodb:DeleteItem"];
    type Output = ();
    const IDEMPOTENT: bool = true;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let mut body = json!({"TableName": self.table, "Key": self.key});
        if let Some(condition) = self.condition {
            body["ConditionExpression"] = condition.text.clone().into();
            with_placeholders(&mut body, &condition.names, &condition.values);
        }
        json_request(endpoint, &target("DeleteItem"), &body)
    }

    fn parse(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<(), AwsError> {
        json_answer::<Value>(status, headers, body).map(|_| ())
    }
}

/// `Query` on the table's key.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// Table name.
    pub table: &'a str,
    /// The key condition, e.g. `pk = :pk AND begins_with(sk, :p)`.
    pub key_condition: &'a Expression,
    /// At most this many items per page.
    pub limit: Option<u32>,
    /// Where the previous page stopped.
    pub start_key: Option<&'a Item>,
}

/// A page of query results.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct QueryPage {
    /// The items.
    #[serde(rename = "Items", default)]
    pub items: Vec<Item>,
    /// Where the next page starts; `None` on the last page.
    #[serde(rename = "LastEvaluatedKey")]
    pub last_key: Option<Item>,
}

impl Operation for Query<'_> {
    const SERVICE: Service = Service::DynamoDb;
    const IAM_ACTIONS: &'static [&'static str] = &["dynamodb:Query"];
    type Output = QueryPage;
    const IDEMPOTENT: bool = true;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let condition = self.key_condition;
        let mut body = json!({"TableName": self.table, "KeyConditionExpression": condition.text});
        with_placeholders(&mut body, &condition.names, &condition.values);
        if let Some(limit) = self.limit {
            body["Limit"] = limit.into();
        }
        if let Some(start) = self.start_key {
            body["ExclusiveStartKey"] = Value::Object(start.clone());
        }
        json_request(endpoint, &target("Query"), &body)
    }

    fn parse(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<QueryPage, AwsError> {
        json_answer(status, headers, body)
    }
}

/// `UpdateItem`, returning the item as updated.
#[derive(Debug, Clone)]
pub struct UpdateItem<'a> {
    /// Table name.
    pub table: &'a str,
    /// The key attributes.
    pub key: &'a Item,
    /// The update, e.g. `SET #c = #c + :one`; its placeholders may be shared with `condition`.
    pub update: &'a Expression,
    /// Update only if this holds. Its placeholders are merged with the update's into the one
    /// map DynamoDB takes, so a name in both must stand for the same value: where they
    /// differ, the condition's wins (write `:expected`, not a second `:v`).
    pub condition: Option<&'a Expression>,
}

#[derive(Deserialize)]
struct AttributesAnswer {
    #[serde(rename = "Attributes")]
    attributes: Option<Item>,
}

impl Operation for UpdateItem<'_> {
    const SERVICE: Service = Service::DynamoDb;
    const IAM_ACTIONS: &'static [&'static str] = &["dynamodb:UpdateItem"];
    /// All attributes after the update.
    type Output = Option<Item>;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let mut body = json!({
            "TableName": self.table,
            "Key": self.key,
            "UpdateExpression": self.update.text,
            "ReturnValues": "ALL_NEW",
        });
        let (mut names, mut values) = (self.update.names.clone(), self.update.values.clone());
        if let Some(condition) = self.condition {
            body["ConditionExpression"] = condition.text.clone().into();
            names.extend(condition.names.clone());
            values.extend(condition.values.clone());
        }
        with_placeholders(&mut body, &names, &values);
        json_request(endpoint, &target("UpdateItem"), &body)
    }

    fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<Item>, AwsError> {
        json_answer::<AttributesAnswer>(status, headers, body).map(|a| a.attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Service;

    fn endpoint() -> Endpoint {
        Endpoint::new(
            Service::DynamoDb,
            "https://dynamodb.us-east-1.amazonaws.com",
            "us-east-1",
        )
        .unwrap()
    }

    #[test]
    fn a_conditional_update_merges_its_placeholders() {
        let key: Item = [("pk".to_owned(), s("a"))].into_iter().collect();
        let update = Expression {
            text: "SET #c = #c + :one".into(),
            names: [("#c".to_owned(), json!("count"))].into_iter().collect(),
            values: [(":one".to_owned(), n(1))].into_iter().collect(),
        };
        let condition = Expression {
            text: "#c < :max".into(),
            names: Map::new(),
            values: [(":max".to_owned(), n(10))].into_iter().collect(),
        };
        let request = UpdateItem {
            table: "t",
            key: &key,
            update: &update,
            condition: Some(&condition),
        }
        .request(&endpoint());
        assert_eq!(
            request.headers()["x-amz-target"],
            "DynamoDB_20120810.UpdateItem"
        );
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        assert_eq!(
            body,
            json!({"TableName": "t", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET #c = #c + :one",
                   "ReturnValues": "ALL_NEW", "ConditionExpression": "#c < :max",
                   "ExpressionAttributeNames": {"#c": "count"},
                   "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": "10"}}})
        );
    }

    #[test]
    fn parses_items_pages_and_missing_items() {
        let missing = GetItem::parse(StatusCode::OK, &HeaderMap::new(), b"{}").unwrap();
        assert_eq!(missing, None);
        let page = Query::parse(
            StatusCode::OK,
            &HeaderMap::new(),
            br#"{"Count":1,"Items":[{"pk":{"S":"a"}}],"LastEvaluatedKey":{"pk":{"S":"a"}},"ScannedCount":1}"#,
        )
        .unwrap();
        assert_eq!(page.items.len(), 1);
        assert!(page.last_key.is_some());
    }
}
