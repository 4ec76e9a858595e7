//! Retries of AWS calls that failed for a reason that may pass: capped exponential backoff
//! with full jitter, the way AWS's SDKs retry
//! (<https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/>).
//!
//! [`Resilient`] wraps the outbound client for one request, so every call (S3, the other
//! services, STS) gets the same policy and is counted for the request's log line. What may
//! be sent again:
//! - a throttled call (429, `SlowDown`, `ThrottlingException`, ...): AWS refused it before
//!   doing anything, so any call may be repeated; so may a call that found no connection
//!   (refused, DNS, TLS handshake), which sent nothing;
//! - a server error (500/502/503/504, `InternalError`, S3's `RequestTimeout`) or a lost
//!   connection or timeout: the call may have taken effect, so only idempotent ones (GET,
//!   HEAD, PUT, DELETE, or a request marked [`Idempotent`], such as a DynamoDB read). A
//!   conditional write (`If-Match`, `If-None-Match`) is not: repeated after it took effect,
//!   it would be refused 412 and the client told its write failed;
//! - never a streamed body: it cannot be read twice. Multipart parts are buffered, so each
//!   part is retried on its own.

use crate::aws::AwsError;
use crate::body::Body;
use crate::env::{Env, LogStream};
use crate::outbound::{copy_request, HttpClient, Timeouts, TransportError, TransportErrorKind};
use crate::s3::ErrorsIn200;
use http::{header, HeaderMap, Method, Request, Response, StatusCode};
use std::cell::{Cell, RefCell};
use std::time::Duration;

/// No backoff sleeps longer than this.
const MAX_DELAY: Duration = Duration::from_secs(5);

/// Retries go out with the first attempt's signature, and AWS refuses one older than five
/// minutes (S3: fifteen) as expired: no retry starts later than this after the first attempt,
/// so a call that kept timing out ends with its own error rather than a refusal of its
/// signature. With the defaults (3 attempts, 60 s to the first byte) it never applies;
/// `aws_max_attempts` 10 with slow answers, or a first-byte timeout of minutes, reaches it.
const SIGNATURE_AGE_LIMIT: Duration = Duration::from_secs(240);

/// The most of an error answer read to find its code.
const MAX_ERROR_BYTES: usize = 1 << 20;

/// How often and how patiently to retry (`aws_max_attempts`, `aws_retry_base_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retries).
    pub max_attempts: u32,
    /// The backoff before the first retry, doubled for each further one (before jitter).
    pub base_delay: Duration,
}

impl RetryPolicy {
    /// How long to wait before retry number `retry` (0 for the first): a uniformly random
    /// duration up to `min(MAX_DELAY, base × 2^retry)`, `random` being any random number.
    pub fn delay(&self, retry: u32, random: u64) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1 << retry.min(20))
            .min(MAX_DELAY);
        let ceiling_ms = ceiling.as_millis() as u64;
        Duration::from_millis(random % (ceiling_ms + 1))
    }
}

/// Marks a request that may be sent again even though its method is POST (reads of the
/// JSON and Query protocol services).
#[derive(Debug, Clone, Copy)]
pub struct Idempotent;

/// One request's record for its log line: its own id, and its outbound calls.
#[derive(Debug, Default)]
pub struct CallStats {
    id: String,
    calls: Cell<u32>,
    retries: Cell<u32>,
    aws_request_id: RefCell<Option<String>>,
}

impl CallStats {
    /// The record of the request `id` names.
    pub fn for_request(id: String) -> Self {
        Self {
            id,
            ..Self::default()
        }
    }

    /// The request's own id (empty for a record made without one).
    pub fn request_id(&self) -> &str {
        &self.id
    }

    /// Calls sent, retries included.
    pub fn calls(&self) -> u32 {
        self.calls.get()
    }

    /// Calls that were retries.
    pub fn retries(&self) -> u32 {
        self.retries.get()
    }

    /// The AWS request id of the last answer that carried one (a retried one included).
    pub fn aws_request_id(&self) -> Option<String> {
        self.aws_request_id.borrow().clone()
    }

    fn note_answer(&self, headers: &HeaderMap) {
        let id = ["x-amz-request-id", "x-amzn-requestid"]
            .iter()
            .find_map(|name| headers.get(*name)?.to_str().ok());
        if let Some(id) = id {
            *self.aws_request_id.borrow_mut() = Some(id.to_owned());
        }
    }
}

/// The outbound client with retries, timeouts and counting.
pub struct Resilient<'a, C> {
    inner: &'a C,
    policy: RetryPolicy,
    timeouts: Timeouts,
    stats: &'a CallStats,
    env: &'a dyn Env,
}

impl<'a, C> Resilient<'a, C> {
    /// Wraps `inner`; every request gets `timeouts` and is counted in `stats`; backoff
    /// sleeps, jitter and retry notes come from `env`.
    pub fn new(
        inner: &'a C,
        policy: RetryPolicy,
        timeouts: Timeouts,
        stats: &'a CallStats,
        env: &'a dyn Env,
    ) -> Self {
        Self {
            inner,
            policy,
            timeouts,
            stats,
            env,
        }
    }
}

/// What to do with one attempt's outcome.
enum Verdict {
    Done(Result<Response<Body>, TransportError>),
    /// Send it again, for this reason; the outcome is returned if no retry is made after all.
    Retry(String, Result<Response<Body>, TransportError>),
}

impl<C: HttpClient> HttpClient for Resilient<'_, C> {
    async fn send(
        &self,
        mut request: Request<()>,
        body: Body,
    ) -> Result<Response<Body>, TransportError> {
        request.extensions_mut().insert(self.timeouts);
        let conditional_write = !matches!(*request.method(), Method::GET | Method::HEAD)
            && (request.headers().contains_key(header::IF_MATCH)
                || request.headers().contains_key(header::IF_NONE_MATCH));
        let idempotent = (matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        ) || request.extensions().get::<Idempotent>().is_some())
            && !conditional_write;
        let errors_in_200 = request.extensions().get::<ErrorsIn200>().is_some();
        let signed_at = self.env.monotonic();
        let mut body = Some(body);
        let mut retry = 0;
        loop {
            // The original body is kept while attempts remain and a copy can be sent.
            let mut last = retry + 1 >= self.policy.max_attempts;
            let copy = if last {
                None
            } else {
                body.as_ref().and_then(Body::try_clone)
            };
            let sent = match copy {
                Some(copy) => copy,
                None => {
                    last = true;
                    body.take().unwrap_or(Body::Empty)
                }
            };
            self.stats.calls.set(self.stats.calls.get() + 1);
            let result = self.inner.send(copy_request(&request), sent).await;
            if let Ok(response) = &result {
                self.stats.note_answer(response.headers());
            }
            let verdict = if last {
                Verdict::Done(result)
            } else {
                judge(result, idempotent, errors_in_200).await
            };
            match verdict {
                Verdict::Done(result) => return result,
                Verdict::Retry(reason, result) => {
                    let delay = self.policy.delay(retry, self.env.random_u64());
                    let age = self.env.monotonic().saturating_sub(signed_at);
                    if age + delay >= SIGNATURE_AGE_LIMIT {
                        // The retry would carry a signature AWS may call expired.
                        return result;
                    }
                    self.env.log(
                        LogStream::Operator,
                        &format!(
                            "spinlift: {} {} failed ({reason}); retry {} in {} ms",
                            request.method(),
                            request.uri().host().unwrap_or(""),
                            retry + 1,
                            delay.as_millis()
                        ),
                    );
                    self.env.sleep(delay).await;
                    retry += 1;
                    self.stats.retries.set(self.stats.retries.get() + 1);
                }
            }
        }
    }
}

/// Decides whether an attempt that may be repeated should be. Error answers whose code
/// matters are read (they are small) and handed back in memory, as the outcome to return if
/// no retry is made after all.
async fn judge(
    result: Result<Response<Body>, TransportError>,
    idempotent: bool,
    errors_in_200: bool,
) -> Verdict {
    let retry = |reason: String, result| Verdict::Retry(reason, result);
    let response = match result {
        // Nothing reached the peer: any call may go again.
        Err(err) if err.kind == TransportErrorKind::Unconnected => {
            return retry("unconnected".into(), Err(err));
        }
        Err(err)
            if idempotent
                && matches!(
                    err.kind,
                    TransportErrorKind::Timeout | TransportErrorKind::Unreachable
                ) =>
        {
            return retry(format!("{:?}", err.kind).to_ascii_lowercase(), Err(err));
        }
        Err(err) => return Verdict::Done(Err(err)),
        Ok(response) => response,
    };
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return retry("429".into(), Ok(response));
    }
    if status == StatusCode::OK && errors_in_200 {
        return judge_ok(response, idempotent).await;
    }
    // 403 is read too: SQS answers `RequestThrottled` with it (the status its query
    // protocol gave it), and every SDK retries that; any other 403 stays final.
    let readable = matches!(status, StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN);
    if !(readable || status.is_server_error()) {
        return Verdict::Done(Ok(response));
    }
    let (parts, body) = response.into_parts();
    let bytes = match body.collect(MAX_ERROR_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            let broken = Err(TransportError {
                kind: TransportErrorKind::Unreachable,
                message: format!("the {status} answer broke off: {err}"),
            });
            return match idempotent {
                true => retry(format!("{status}, answer broke off"), broken),
                false => Verdict::Done(broken),
            };
        }
    };
    let error = AwsError::from_response(status, &parts.headers, &bytes);
    let again = error.is_throttling() || (error.is_transient() && idempotent);
    let response = Ok(Response::from_parts(parts, Body::Bytes(bytes)));
    match again {
        true => retry(format!("{} {}", status.as_u16(), error.code), response),
        false => Verdict::Done(response),
    }
}

/// A `200` that may carry S3's error ([`ErrorsIn200`]): read whole (such answers are small
/// XML documents), and sent again when the error is transient, since the action did not
/// happen. One that breaks off is sent again when the call is idempotent (a copy), and is
/// otherwise handed on still broken, for the caller to report as such.
async fn judge_ok(response: Response<Body>, idempotent: bool) -> Verdict {
    let (parts, body) = response.into_parts();
    let bytes = match body.collect(MAX_ERROR_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            let reason = format!("200, answer broke off ({err})");
            let broken = Body::stream(futures::stream::once(async move { Err(err) }));
            let broken = Ok(Response::from_parts(parts, broken));
            return match idempotent {
                true => Verdict::Retry(reason, broken),
                false => Verdict::Done(broken),
            };
        }
    };
    let error = AwsError::from_s3_embedded(parts.status, &parts.headers, &bytes)
        .filter(|error| error.is_transient() || error.is_throttling());
    let response = Ok(Response::from_parts(parts, Body::Bytes(bytes)));
    match error {
        Some(error) => Verdict::Retry(format!("200 {}", error.code), response),
        None => Verdict::Done(response),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::FakeEnv;
    use crate::sigv4::SigningTime;
    use futures::executor::block_on;
    use std::collections::VecDeque;

    #[test]
    fn backoff_is_capped_exponential_with_full_jitter() {
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
        };
        // The ceiling doubles: 100, 200, 400 ms ... then stays at MAX_DELAY.
        for (retry, ceiling) in [(0, 100), (1, 200), (2, 400), (6, 5000), (40, 5000)] {
            assert_eq!(
                policy.delay(retry, u64::MAX).as_millis() as u64,
                u64::MAX % (ceiling + 1)
            );
            assert_eq!(policy.delay(retry, ceiling).as_millis() as u64, ceiling);
            assert_eq!(policy.delay(retry, ceiling + 1).as_millis(), 0);
        }
        // Full jitter spreads over the whole range.
        let env = FakeEnv::at(SigningTime::from_unix_seconds(0));
        let delays: Vec<u128> = (0..200)
            .map(|_| policy.delay(1, env.random_u64()).as_millis())
            .collect();
        assert!(delays.iter().all(|d| *d <= 200));
        for quarter in 0..4 {
            assert!(delays.iter().any(|d| d / 50 == quarter), "{delays:?}");
        }
    }

    /// What the scripted client was sent: method, body, timeouts.
    type Sent = (String, Vec<u8>, Option<Timeouts>);

    /// A client that answers from a script and records what it was sent.
    struct Scripted {
        answers: RefCell<VecDeque<Result<(u16, &'static str), TransportErrorKind>>>,
        sent: RefCell<Vec<Sent>>,
    }

    impl Scripted {
        fn new(answers: Vec<Result<(u16, &'static str), TransportErrorKind>>) -> Self {
            Self {
                answers: RefCell::new(answers.into()),
                sent: RefCell::default(),
            }
        }
    }

    impl HttpClient for Scripted {
        async fn send(
            &self,
            request: Request<()>,
            body: Body,
        ) -> Result<Response<Body>, TransportError> {
            let bytes = body.collect(usize::MAX).await.unwrap();
            let timeouts = request.extensions().get::<Timeouts>().copied();
            self.sent
                .borrow_mut()
                .push((request.method().to_string(), bytes, timeouts));
            match self
                .answers
                .borrow_mut()
                .pop_front()
                .expect("no more answers")
            {
                Ok((status, body)) => Ok(Response::builder()
                    .status(status)
                    .header("x-amz-request-id", format!("req-{status}"))
                    .body(Body::Bytes(body.as_bytes().to_vec()))
                    .unwrap()),
                Err(kind) => Err(TransportError {
                    kind,
                    message: "scripted".into(),
                }),
            }
        }
    }

    const SLOW_DOWN: &str = "<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>";
    const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow"}"#;
    const INTERNAL: &str = "<Error><Code>InternalError</Code></Error>";
    const DENIED: &str = "<Error><Code>AccessDenied</Code></Error>";

    type Run = (
        Result<(u16, String), TransportErrorKind>,
        Scripted,
        CallStats,
    );

    fn run(
        method: &str,
        body: Body,
        marked: bool,
        answers: Vec<Result<(u16, &'static str), TransportErrorKind>>,
    ) -> Run {
        let mut request = Request::builder()
            .method(method)
            .uri("http://s3.test/k")
            .body(())
            .unwrap();
        if marked {
            request.extensions_mut().insert(Idempotent);
        }
        run_request(request, body, answers)
    }

    fn run_request(
        request: Request<()>,
        body: Body,
        answers: Vec<Result<(u16, &'static str), TransportErrorKind>>,
    ) -> Run {
        let client = Scripted::new(answers);
        let stats = CallStats::default();
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::ZERO,
        };
        let timeouts = Timeouts::default();
        let env = FakeEnv::at(SigningTime::from_unix_seconds(0));
        let resilient = Resilient::new(&client, policy, timeouts, &stats, &env);
        let outcome = block_on(async {
            match resilient.send(request, body).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.into_body().collect(usize::MAX).await.unwrap();
                    Ok((status, String::from_utf8(body).unwrap()))
                }
                Err(err) => Err(err.kind),
            }
        });
        (outcome, client, stats)
    }

    #[test]
    fn idempotent_calls_are_retried_through_server_errors_with_the_same_body() {
        let (outcome, client, stats) = run(
            "PUT",
            Body::Bytes(b"part".to_vec()),
            false,
            vec![
                Ok((500, INTERNAL)),
                Err(TransportErrorKind::Unreachable),
                Ok((200, "ok")),
            ],
        );
        assert_eq!(outcome, Ok((200, "ok".into())));
        let sent = client.sent.borrow();
        assert_eq!(sent.len(), 3);
        assert!(sent.iter().all(|(_, body, _)| body == b"part"));
        assert!(sent.iter().all(|(_, _, t)| *t == Some(Timeouts::default())));
        assert_eq!((stats.calls(), stats.retries()), (3, 2));
        assert_eq!(stats.aws_request_id().as_deref(), Some("req-200"));
    }

    #[test]
    fn retries_wait_through_the_env_within_the_jitter_ceiling_and_say_so() {
        let client = Scripted::new(vec![
            Ok((503, SLOW_DOWN)),
            Err(TransportErrorKind::Timeout),
            Ok((503, SLOW_DOWN)),
            Ok((200, "ok")),
        ]);
        let stats = CallStats::default();
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
        };
        let env = FakeEnv::at(SigningTime::from_unix_seconds(0));
        let resilient = Resilient::new(&client, policy, Timeouts::default(), &stats, &env);
        let request = Request::get("http://s3.test/k").body(()).unwrap();
        let status = block_on(resilient.send(request, Body::Empty))
            .unwrap()
            .status();
        assert_eq!(status, 200);
        // One sleep per retry, each under its doubling ceiling, drawn from the env's sequence.
        let sleeps = env.sleeps();
        assert_eq!(sleeps.len(), 3);
        for (sleep, ceiling) in sleeps.iter().zip([100, 200, 400]) {
            assert!(sleep.as_millis() <= ceiling, "{sleeps:?}");
        }
        let replay = FakeEnv::at(SigningTime::from_unix_seconds(0));
        let expected: Vec<Duration> = (0..3)
            .map(|retry| policy.delay(retry, replay.random_u64()))
            .collect();
        assert_eq!(sleeps, expected);
        // The request's time moved on by the sleeps, and each retry left an operator note.
        assert_eq!(env.monotonic(), sleeps.iter().sum::<Duration>());
        let notes = env.lines(LogStream::Operator);
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].starts_with("spinlift: GET s3.test failed (503 SlowDown); retry 1 in "));
        assert!(notes[1].starts_with("spinlift: GET s3.test failed (timeout); retry 2 in "));
    }

    #[test]
    fn attempts_are_capped_and_the_last_answer_is_returned_whole() {
        let (outcome, client, stats) = run(
            "GET",
            Body::Empty,
            false,
            vec![
                Ok((503, SLOW_DOWN)),
                Ok((503, SLOW_DOWN)),
                Ok((503, SLOW_DOWN)),
            ],
        );
        assert_eq!(outcome, Ok((503, SLOW_DOWN.into())));
        assert_eq!(client.sent.borrow().len(), 3);
        assert_eq!(stats.retries(), 2);
        let (outcome, _, _) = run(
            "GET",
            Body::Empty,
            false,
            vec![Err(TransportErrorKind::Timeout); 3],
        );
        assert_eq!(outcome, Err(TransportErrorKind::Timeout));
    }

    #[test]
    fn conditional_writes_are_retried_only_when_throttled() {
        let conditional = |method: &str, header: &str, value: &str| {
            Request::builder()
                .method(method)
                .uri("http://s3.test/k")
                .header(header, value)
                .body(())
                .unwrap()
        };
        for (method, header) in [
            ("PUT", "if-none-match"),
            ("PUT", "if-match"),
            ("DELETE", "if-match"),
        ] {
            // It may have been stored or deleted: sent again, it would be refused 412.
            for answer in [Ok((500, INTERNAL)), Err(TransportErrorKind::Timeout)] {
                let request = conditional(method, header, "*");
                let (_, client, stats) = run_request(request, Body::Empty, vec![answer]);
                assert_eq!((client.sent.borrow().len(), stats.retries()), (1, 0));
            }
            let request = conditional(method, header, "*");
            let throttled = vec![Ok((503, SLOW_DOWN)), Ok((200, ""))];
            let (outcome, _, stats) = run_request(request, Body::Empty, throttled);
            assert_eq!((outcome, stats.retries()), (Ok((200, String::new())), 1));
        }
        // A conditional read changes nothing: retried as any GET.
        let request = conditional("GET", "if-none-match", "\"e\"");
        let answers = vec![Ok((500, INTERNAL)), Ok((304, ""))];
        let (outcome, _, stats) = run_request(request, Body::Empty, answers);
        assert_eq!((outcome, stats.retries()), (Ok((304, String::new())), 1));
    }

    #[test]
    fn posts_are_retried_only_when_throttled_or_marked_idempotent() {
        // Throttled: refused before anything happened, so even a POST goes again.
        let (outcome, client, _) = run(
            "POST",
            Body::Bytes(b"{}".to_vec()),
            false,
            vec![Ok((400, THROTTLED)), Ok((503, SLOW_DOWN)), Ok((200, "{}"))],
        );
        assert_eq!(outcome, Ok((200, "{}".into())));
        assert_eq!(client.sent.borrow().len(), 3);
        // No connection was made: nothing was sent, so a POST goes again too.
        let (outcome, client, stats) = run(
            "POST",
            Body::Bytes(b"{}".to_vec()),
            false,
            vec![Err(TransportErrorKind::Unconnected), Ok((200, "{}"))],
        );
        assert_eq!(outcome, Ok((200, "{}".into())));
        assert_eq!((client.sent.borrow().len(), stats.retries()), (2, 1));
        // A server error or a lost connection may have taken effect: not again.
        for answer in [Ok((500, INTERNAL)), Err(TransportErrorKind::Unreachable)] {
            let (outcome, client, stats) = run("POST", Body::Empty, false, vec![answer]);
            assert!(outcome != Ok((200, String::new())));
            assert_eq!((client.sent.borrow().len(), stats.retries()), (1, 0));
        }
        // Unless the caller marked it idempotent (a read).
        let (outcome, _, stats) = run(
            "POST",
            Body::Empty,
            true,
            vec![Ok((500, INTERNAL)), Ok((200, "{}"))],
        );
        assert_eq!((outcome, stats.retries()), (Ok((200, "{}".into())), 1));
    }

    /// Times out each attempt after its first-byte timeout, as the host would, and notes
    /// when each started.
    struct TimingOut<'e>(&'e FakeEnv, RefCell<Vec<Duration>>);

    impl HttpClient for TimingOut<'_> {
        async fn send(
            &self,
            request: Request<()>,
            _: Body,
        ) -> Result<Response<Body>, TransportError> {
            self.1.borrow_mut().push(self.0.monotonic());
            self.0
                .advance(request.extensions().get::<Timeouts>().unwrap().first_byte);
            Err(TransportError {
                kind: TransportErrorKind::Timeout,
                message: "timed out".into(),
            })
        }
    }

    #[test]
    fn no_retry_starts_when_its_signature_could_have_expired() {
        let env = FakeEnv::at(SigningTime::from_unix_seconds(0));
        let client = TimingOut(&env, RefCell::default());
        let stats = CallStats::default();
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
        };
        let timeouts = Timeouts {
            first_byte: Duration::from_secs(60),
            ..Timeouts::default()
        };
        let resilient = Resilient::new(&client, policy, timeouts, &stats, &env);
        let request = Request::get("http://s3.test/k").body(()).unwrap();
        let outcome = block_on(resilient.send(request, Body::Empty));
        assert_eq!(outcome.unwrap_err().kind, TransportErrorKind::Timeout);
        // Attempts at 0, 60, 120 and 180 s (plus backoff): a fifth could start past 240 s.
        let starts = client.1.borrow();
        assert_eq!(starts.len(), 4, "{starts:?}");
        assert!(starts[3] > Duration::from_secs(180) && starts[3] < SIGNATURE_AGE_LIMIT);
        // With the defaults (`aws_max_attempts` 3, 60 s) the attempts run out first.
        let env = FakeEnv::at(SigningTime::from_unix_seconds(0));
        let client = TimingOut(&env, RefCell::default());
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
        };
        let resilient = Resilient::new(&client, policy, Timeouts::default(), &stats, &env);
        let request = Request::get("http://s3.test/k").body(()).unwrap();
        assert!(block_on(resilient.send(request, Body::Empty)).is_err());
        assert_eq!(client.1.borrow().len(), policy.max_attempts as usize);
        // A first-byte timeout of minutes: the one attempt that timed out is not repeated...
        let env = FakeEnv::at(SigningTime::from_unix_seconds(0));
        let client = TimingOut(&env, RefCell::default());
        let slow = Timeouts {
            first_byte: Duration::from_secs(300),
            ..Timeouts::default()
        };
        let resilient = Resilient::new(&client, policy, slow, &stats, &env);
        let request = Request::get("http://s3.test/k").body(()).unwrap();
        assert!(block_on(resilient.send(request, Body::Empty)).is_err());
        assert_eq!(client.1.borrow().len(), 1);
        // ...but answers that come fast (throttling) are retried as ever.
        let throttled = Scripted::new(vec![Ok((429, "")), Ok((200, "ok"))]);
        let resilient = Resilient::new(&throttled, policy, slow, &stats, &env);
        let request = Request::get("http://s3.test/k").body(()).unwrap();
        let answer = block_on(resilient.send(request, Body::Empty)).unwrap();
        assert_eq!(
            (answer.status().as_u16(), throttled.sent.borrow().len()),
            (200, 2)
        );
    }

    #[test]
    fn an_error_s3_sends_in_a_200_is_retried_when_the_request_may_get_one() {
        // CompleteMultipartUpload (a POST) and CopyObject can fail after their 200: the action
        // did not happen, so a transient error goes again whatever the method.
        let done =
            "<CompleteMultipartUploadResult><ETag>\"e-2\"</ETag></CompleteMultipartUploadResult>";
        let marked = |method: &str| {
            let mut request = Request::builder()
                .method(method)
                .uri("http://s3.test/k?uploadId=u")
                .body(())
                .unwrap();
            request.extensions_mut().insert(ErrorsIn200);
            request
        };
        for method in ["POST", "PUT"] {
            let answers = vec![Ok((200, INTERNAL)), Ok((200, SLOW_DOWN)), Ok((200, done))];
            let (outcome, client, stats) = run_request(marked(method), Body::Empty, answers);
            assert_eq!(outcome, Ok((200, done.into())));
            assert_eq!((client.sent.borrow().len(), stats.retries()), (3, 2));
        }
        // A refusal in the 200 is final, and so is a 200 of a request that cannot get one.
        let (outcome, client, _) =
            run_request(marked("POST"), Body::Empty, vec![Ok((200, DENIED))]);
        assert_eq!(
            (outcome, client.sent.borrow().len()),
            (Ok((200, DENIED.into())), 1)
        );
        let (outcome, client, _) = run("POST", Body::Empty, false, vec![Ok((200, INTERNAL))]);
        assert_eq!(
            (outcome, client.sent.borrow().len()),
            (Ok((200, INTERNAL.into())), 1)
        );
    }

    /// Answers a 200 whose body breaks off, then a whole one.
    struct BreaksOnce(RefCell<usize>);

    impl HttpClient for BreaksOnce {
        async fn send(&self, _: Request<()>, _: Body) -> Result<Response<Body>, TransportError> {
            *self.0.borrow_mut() += 1;
            let body = match *self.0.borrow() {
                1 => Body::stream(futures::stream::iter([
                    Ok(b"<CopyObj".to_vec()),
                    Err(crate::body::BodyError::io("reset")),
                ])),
                _ => Body::Bytes(b"<CopyObjectResult/>".to_vec()),
            };
            Ok(Response::new(body))
        }
    }

    #[test]
    fn a_200_that_breaks_off_is_retried_when_idempotent_and_else_handed_on_broken() {
        for (method, sends) in [("PUT", 2), ("POST", 1)] {
            let client = BreaksOnce(RefCell::new(0));
            let stats = CallStats::default();
            let policy = RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::ZERO,
            };
            let env = FakeEnv::at(SigningTime::from_unix_seconds(0));
            let resilient = Resilient::new(&client, policy, Timeouts::default(), &stats, &env);
            let mut request = Request::builder()
                .method(method)
                .uri("http://s3.test/k")
                .body(())
                .unwrap();
            request.extensions_mut().insert(ErrorsIn200);
            let answer = block_on(resilient.send(request, Body::Empty)).unwrap();
            assert_eq!(*client.0.borrow(), sends, "{method}");
            let body = block_on(answer.into_body().collect(1 << 20));
            match method {
                // A copy may go again; a completion's answer stays broken for the caller.
                "PUT" => assert_eq!(body.unwrap(), b"<CopyObjectResult/>"),
                _ => assert_eq!(body.unwrap_err().message, "reset"),
            }
        }
    }

    #[test]
    fn throttling_answered_403_is_retried_for_any_call() {
        // SQS's throttling, as its model has it: JSON 1.0, status 403.
        const SQS_THROTTLED: &str =
            r#"{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"}"#;
        let answers = vec![Ok((403, SQS_THROTTLED)), Ok((200, "{}"))];
        let (outcome, client, stats) = run("POST", Body::Bytes(b"{}".to_vec()), false, answers);
        assert_eq!(outcome, Ok((200, "{}".into())));
        assert_eq!((client.sent.borrow().len(), stats.retries.get()), (2, 1));
    }

    #[test]
    fn refusals_and_successes_are_final_and_streams_are_never_resent() {
        for answer in [(403, DENIED), (404, ""), (400, DENIED), (200, "x")] {
            let (outcome, client, _) = run("GET", Body::Empty, false, vec![Ok(answer)]);
            assert_eq!(outcome, Ok((answer.0, answer.1.into())));
            assert_eq!(client.sent.borrow().len(), 1);
        }
        let stream = Body::stream(futures::stream::iter(vec![Ok(b"data".to_vec())]));
        let (outcome, client, _) = run("PUT", stream, false, vec![Ok((500, INTERNAL))]);
        assert_eq!(outcome, Ok((500, INTERNAL.into())));
        assert_eq!(client.sent.borrow()[0].1, b"data");
        // Denied hosts and broken client uploads are not the network's fault.
        for kind in [TransportErrorKind::Denied, TransportErrorKind::RequestBody] {
            let (outcome, client, _) = run("GET", Body::Empty, false, vec![Err(kind)]);
            assert_eq!((outcome, client.sent.borrow().len()), (Err(kind), 1));
        }
    }
}
