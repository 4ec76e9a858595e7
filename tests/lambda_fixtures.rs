//! AWS-authored Lambda invocation events (`tests/vectors/events/`, sources in its README)
//! classified by `POST /lambda`'s decoder: each API event becomes the HTTP request it stands
//! for (method, path, query with repeated names, headers with repeated values, cookies, body),
//! and each non-API event the invocation it asks for. Expectations are written by hand from
//! each fixture and AWS's documented payload formats, not from our output.

use spinlift::lambda::{classify, ApiFormat, Invocation};

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/vectors/events/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// What an API event must become.
struct Expected {
    format: ApiFormat,
    method: &'static str,
    target: &'static str,
    /// Headers to find, each with all its values in order.
    headers: &'static [(&'static str, &'static [&'static str])],
    /// Headers the event names that must not be carried (the original connection's); `host`
    /// is carried, as lambda_http and the Lambda Web Adapter keep it.
    dropped: &'static [&'static str],
    body: &'static str,
}

fn api_request(path: &str) -> (http::Request<Vec<u8>>, ApiFormat) {
    match classify(&fixture(path)) {
        Ok(Invocation::Api { request, format }) => (*request, format),
        other => panic!("{path}: not an API event: {other:?}"),
    }
}

#[test]
fn api_events_become_the_requests_they_stand_for() {
    let cases = [
        (
            // REST API v1: multiValueQueryStringParameters and multiValueHeaders win over
            // their single-value copies, which keep only the last value.
            "aws_lambda_events/example-apigw-request-multi-value-parameters.json",
            Expected {
                format: ApiFormat::RestV1,
                method: "POST",
                target: "/hello/world?name=me&name=me2",
                headers: &[
                    ("host", &["gy415nuibc.execute-api.us-east-1.amazonaws.com"]),
                    ("headername", &["headerValue", "headerValue2"]),
                    ("content-type", &["application/json"]),
                    ("accept-encoding", &["gzip, deflate"]),
                    ("content-length", &["13"]),
                ],
                dropped: &[],
                body: "{\r\n\t\"a\": 1\r\n}",
            },
        ),
        (
            "powertools/apiGatewayProxyEvent.json",
            Expected {
                format: ApiFormat::RestV1,
                method: "GET",
                target: "/my/path?parameter1=value1&parameter1=value2&parameter2=value",
                headers: &[
                    ("header1", &["value1"]),
                    ("header2", &["value1", "value2"]),
                    ("origin", &["https://aws.amazon.com"]),
                ],
                dropped: &[],
                body: "Hello from Lambda!",
            },
        ),
        (
            // HTTP API v2: rawQueryString as sent, cookies joined into one Cookie header,
            // repeated headers already joined by commas.
            "aws_lambda_events/example-apigw-v2-request-multi-value-parameters.json",
            Expected {
                format: ApiFormat::HttpV2,
                method: "GET",
                target: "/my/path?Parameter1=value1&Parameter1=value2",
                headers: &[
                    ("header2", &["value1,value2"]),
                    ("cookie", &["cookie1; cookie2"]),
                ],
                dropped: &[],
                body: "{\r\n\t\"a\": 1\r\n}",
            },
        ),
        (
            "powertools/apiGatewayProxyV2Event.json",
            Expected {
                format: ApiFormat::HttpV2,
                method: "POST",
                target: "/my/path?parameter1=value1&parameter1=value2&parameter2=value",
                headers: &[
                    ("header1", &["value1"]),
                    ("cookie", &["cookie1; cookie2"]),
                    ("content-length", &["45"]),
                ],
                dropped: &[],
                body: "{\"message\": \"hello world\", \"username\": \"tom\"}",
            },
        ),
        (
            "aws_lambda_events/example-apigw-v2-request-no-authorizer.json",
            Expected {
                format: ApiFormat::HttpV2,
                method: "GET",
                target: "/",
                headers: &[
                    ("host", &["aaaaaaaaaa.execute-api.us-west-2.amazonaws.com"]),
                    ("accept", &["*/*"]),
                    ("x-forwarded-proto", &["https"]),
                ],
                // The event's own content-length describes the original connection.
                dropped: &["content-length"],
                body: "",
            },
        ),
        (
            // A Function URL event is payload format 2.0.
            "powertools/lambdaFunctionUrlEvent.json",
            Expected {
                format: ApiFormat::HttpV2,
                method: "GET",
                target: "/",
                headers: &[
                    ("host", &["<url-id>.lambda-url.us-east-1.on.aws"]),
                    ("accept-language", &["pt-BR,pt;q=0.9"]),
                ],
                dropped: &[],
                body: "",
            },
        ),
        (
            // ALB without multi-value headers: the query as the ALB received it.
            "aws_lambda_events/example-alb-lambda-target-request-headers-only.json",
            Expected {
                format: ApiFormat::Alb { multi_value: false },
                method: "GET",
                target: "/?key=hello",
                headers: &[
                    (
                        "host",
                        &["lambda-test-alb-1334523864.us-east-1.elb.amazonaws.com"],
                    ),
                    ("x-myheader", &["123"]),
                    ("user-agent", &["curl/7.54.0"]),
                ],
                dropped: &["connection"],
                body: "",
            },
        ),
        (
            "aws_lambda_events/example-alb-lambda-target-request-multivalue-headers.json",
            Expected {
                format: ApiFormat::Alb { multi_value: true },
                method: "GET",
                target: "/?key=hello",
                headers: &[
                    (
                        "host",
                        &["lambda-test-alb-1234567.us-east-1.elb.amazonaws.com"],
                    ),
                    ("x-myheader", &["123"]),
                    ("content-length", &["9"]),
                ],
                dropped: &["connection"],
                body: "Some text",
            },
        ),
        (
            // ALB with multi-value headers: repeated query names and header values kept.
            "powertools/albMultiValueQueryStringEvent.json",
            Expected {
                format: ApiFormat::Alb { multi_value: true },
                method: "GET",
                target: "/todos?parameter1=value1&parameter1=value2&parameter2=value",
                headers: &[
                    (
                        "host",
                        &["alb-c-LoadB-14POFKYCLBNSF-1815800096.eu-central-1.elb.amazonaws.com"],
                    ),
                    ("header2", &["value1", "value2"]),
                    ("header1", &["value1"]),
                ],
                dropped: &[],
                body: "",
            },
        ),
    ];
    for (path, expected) in cases {
        let (request, format) = api_request(path);
        assert_eq!(format, expected.format, "{path}");
        assert_eq!(request.method().as_str(), expected.method, "{path}");
        assert_eq!(request.uri().to_string(), expected.target, "{path}");
        for (name, values) in expected.headers {
            let found: Vec<&str> = request
                .headers()
                .get_all(*name)
                .iter()
                .map(|value| value.to_str().unwrap())
                .collect();
            assert_eq!(found, *values, "{path}: header {name}");
        }
        for name in expected.dropped {
            assert!(
                !request.headers().contains_key(*name),
                "{path}: {name} carried"
            );
        }
        assert_eq!(request.body(), expected.body.as_bytes(), "{path}");
    }
}

#[test]
fn sns_events_carry_each_record_message() {
    for (path, message) in [
        (
            "aws_lambda_events/example-sns-event.json",
            "Hello\r\nworld!",
        ),
        ("powertools/snsEvent.json", "Hello from SNS!"),
    ] {
        match classify(&fixture(path)) {
            Ok(Invocation::Sns(messages)) => assert_eq!(messages, [message], "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn sqs_events_are_messages_with_their_ids() {
    match classify(&fixture("aws_lambda_events/example-sqs-event.json")) {
        Ok(Invocation::Sqs { messages, fifo }) => {
            assert!(!fifo);
            let messages: Vec<(&str, &str)> = messages
                .iter()
                .map(|m| (m.id.as_str(), m.body.as_str()))
                .collect();
            assert_eq!(messages, [("MessageID_1", "Message Body")]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn authorizer_events_are_refused_not_run() {
    // Each names a method and a path; run, they would act on a request API Gateway is
    // still asking about.
    for path in [
        "aws_lambda_events/example-apigw-custom-auth-request-type-request.json",
        "aws_lambda_events/example-apigw-v2-custom-authorizer-v2-request-without-cookies.json",
    ] {
        let err = classify(&fixture(path)).unwrap_err().to_string();
        assert!(
            err.starts_with("an API Gateway authorizer event"),
            "{path}: {err}"
        );
    }
}
