//! The time spinlift signs with: the host's clock, corrected when AWS says it is wrong.
//!
//! A signature carries its time, and AWS refuses one more than 5 minutes (S3: 15) away from
//! its own clock. A host whose clock drifted would then fail every call. When AWS refuses a
//! call for its time, its `Date` header says what time it is: the offset is adopted, the call
//! re-signed once, and the offset kept in the cache for later requests (Spin starts an
//! instance per request, so memory would forget it).

use crate::cache::Cache;
use crate::env::{Env, LogStream};
use crate::sigv4::SigningTime;
use http::HeaderMap;
use std::cell::Cell;
use std::time::Duration;

/// Where the learned offset (seconds, server minus host) is kept.
const OFFSET_KEY: &str = "clock-offset";

/// A server `Date` closer than this to our time cannot explain a refusal for the time.
const TOLERANCE_SECONDS: u64 = 60;

/// One request's signing time: the host's time when the request came in, plus the time
/// since, plus the offset learned from AWS.
pub struct Clock<'a> {
    env: &'a dyn Env,
    wall: SigningTime,
    started: Duration,
    offset: Cell<i64>,
    cache: &'a dyn Cache,
}

impl<'a> Clock<'a> {
    /// The host's time (`env`'s wall clock, read now and moved on by its monotonic clock),
    /// corrected by the offset an earlier request learned.
    pub fn new(env: &'a dyn Env, cache: &'a dyn Cache) -> Self {
        let offset = cache
            .get(OFFSET_KEY)
            .and_then(|bytes| String::from_utf8(bytes).ok()?.parse::<i64>().ok())
            .unwrap_or(0);
        Self {
            env,
            wall: env.wall_time(),
            started: env.monotonic(),
            offset: Cell::new(offset),
            cache,
        }
    }

    /// The environment the clock reads, for the request's other side effects (logging).
    pub fn env(&self) -> &'a dyn Env {
        self.env
    }

    /// The host's time now (a long request, e.g. a multipart upload, moves on).
    fn host_now(&self) -> SigningTime {
        let elapsed = self.env.monotonic().saturating_sub(self.started);
        SigningTime::from_unix_seconds(self.wall.unix_seconds() + elapsed.as_secs())
    }

    /// The time to sign with.
    pub fn now(&self) -> SigningTime {
        shift(self.host_now(), self.offset.get())
    }

    /// After AWS refused a call for its time: adopts the time in the answer's `Date` when it
    /// is far enough from ours to explain the refusal. Returns whether it did, that is,
    /// whether signing again can succeed.
    pub fn adopt_server_time(&self, headers: &HeaderMap) -> bool {
        self.adopt_server_time_beyond(headers, TOLERANCE_SECONDS)
    }

    /// As [`Clock::adopt_server_time`], only when the `Date` is more than `seconds` away:
    /// for refusals that do not say why (a HEAD's 403 has no body), the distance itself
    /// must be the reason.
    pub fn adopt_server_time_beyond(&self, headers: &HeaderMap, seconds: u64) -> bool {
        let Some(server) = headers
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(SigningTime::parse_http_date)
        else {
            return false;
        };
        if server.unix_seconds().abs_diff(self.now().unix_seconds()) <= seconds {
            return false;
        }
        let offset = server.unix_seconds() as i64 - self.host_now().unix_seconds() as i64;
        self.env.log(
            LogStream::Operator,
            &format!("spinlift: the host clock is {offset} s off AWS's; signing with AWS's time"),
        );
        self.offset.set(offset);
        self.cache.set(OFFSET_KEY, offset.to_string().as_bytes());
        true
    }
}

fn shift(time: SigningTime, offset: i64) -> SigningTime {
    SigningTime::from_unix_seconds(time.unix_seconds().saturating_add_signed(offset))
}

/// Whether an AWS error refuses the request for its time: S3's and the Query services'
/// codes, and the JSON services' signature errors whose message says the signature expired
/// or is not yet current.
pub fn is_time_refusal(code: &str, message: &str) -> bool {
    match code {
        "RequestTimeTooSkewed" | "RequestExpired" | "RequestInTheFuture" => true,
        "InvalidSignatureException" | "SignatureDoesNotMatch" | "AuthFailure" => {
            message.contains("Signature expired") || message.contains("Signature not yet current")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::MemoryCache;
    use crate::env::FakeEnv;

    fn date(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::DATE, value.parse().unwrap());
        headers
    }

    // 2026-11-23T09:00:00Z
    const WALL: u64 = 1_795_424_400;

    #[test]
    fn a_far_server_date_is_adopted_and_kept_for_later_requests() {
        let cache = MemoryCache::default();
        let clock_env = FakeEnv::at(SigningTime::from_unix_seconds(WALL));
        let clock = Clock::new(&clock_env, &cache);
        assert_eq!(clock.now().unix_seconds(), WALL);
        // The server is an hour and 5 s ahead.
        assert!(clock.adopt_server_time(&date("Mon, 23 Nov 2026 10:00:05 GMT")));
        assert_eq!(clock.now().unix_seconds(), WALL + 3605);
        // A later request starts from its own wall time, shifted by the kept offset.
        let later_env = FakeEnv::at(SigningTime::from_unix_seconds(WALL + 100));
        let later = Clock::new(&later_env, &cache);
        assert_eq!(later.now().unix_seconds(), WALL + 3705);
        // The host's clock is fixed meanwhile, and AWS says so: the offset comes back down.
        assert!(later.adopt_server_time(&date("Mon, 23 Nov 2026 09:01:40 GMT")));
        assert_eq!(later.now().unix_seconds(), WALL + 100);
        let fixed_env = FakeEnv::at(SigningTime::from_unix_seconds(WALL));
        let fixed = Clock::new(&fixed_env, &cache);
        assert_eq!(fixed.now().unix_seconds(), WALL);
    }

    #[test]
    fn the_signing_time_moves_on_with_the_monotonic_clock_and_a_correction_is_logged() {
        let cache = MemoryCache::default();
        let env = FakeEnv::at(SigningTime::from_unix_seconds(WALL));
        let clock = Clock::new(&env, &cache);
        env.advance(Duration::from_secs(90));
        assert_eq!(clock.now().unix_seconds(), WALL + 90);
        assert!(env.lines(LogStream::Operator).is_empty());
        // S3 says it is 10:00:00 when the host reads 09:01:30: an offset of 3510 s.
        assert!(clock.adopt_server_time(&date("Mon, 23 Nov 2026 10:00:00 GMT")));
        assert_eq!(clock.now().unix_seconds(), WALL + 3600);
        env.advance(Duration::from_secs(10));
        assert_eq!(clock.now().unix_seconds(), WALL + 3610);
        assert_eq!(
            env.lines(LogStream::Operator),
            ["spinlift: the host clock is 3510 s off AWS's; signing with AWS's time"]
        );
    }

    #[test]
    fn a_close_missing_or_unreadable_date_explains_nothing() {
        let cache = MemoryCache::default();
        let clock_env = FakeEnv::at(SigningTime::from_unix_seconds(WALL));
        let clock = Clock::new(&clock_env, &cache);
        for headers in [
            date("Mon, 23 Nov 2026 09:00:30 GMT"),
            date("Mon, 23 Nov 2026 08:59:00 GMT"),
            date("yesterday"),
            HeaderMap::new(),
        ] {
            assert!(!clock.adopt_server_time(&headers), "{headers:?}");
        }
        assert_eq!(clock.now().unix_seconds(), WALL);
        assert_eq!(cache.get(OFFSET_KEY), None);
    }

    #[test]
    fn an_unexplained_refusal_adopts_only_a_date_beyond_the_window() {
        let cache = MemoryCache::default();
        let clock_env = FakeEnv::at(SigningTime::from_unix_seconds(WALL));
        let clock = Clock::new(&clock_env, &cache);
        // 10 minutes: inside S3's 15-minute window, so not why a HEAD was refused.
        assert!(!clock.adopt_server_time_beyond(&date("Mon, 23 Nov 2026 09:10:00 GMT"), 900));
        assert!(clock.adopt_server_time_beyond(&date("Mon, 23 Nov 2026 09:20:00 GMT"), 900));
        assert_eq!(clock.now().unix_seconds(), WALL + 1200);
    }

    #[test]
    fn a_server_behind_the_host_is_adopted_too() {
        let cache = MemoryCache::default();
        let clock_env = FakeEnv::at(SigningTime::from_unix_seconds(WALL));
        let clock = Clock::new(&clock_env, &cache);
        assert!(clock.adopt_server_time(&date("Mon, 23 Nov 2026 08:40:00 GMT")));
        assert_eq!(clock.now().unix_seconds(), WALL - 1200);
        assert_eq!(cache.get(OFFSET_KEY), Some(b"-1200".to_vec()));
    }

    #[test]
    fn time_refusals_are_told_from_other_signature_errors() {
        assert!(is_time_refusal("RequestTimeTooSkewed", ""));
        assert!(is_time_refusal("RequestExpired", "Request has expired."));
        // DynamoDB's wording.
        assert!(is_time_refusal(
            "InvalidSignatureException",
            "Signature expired: 20261123T080000Z is now earlier than 20261123T084500Z"
        ));
        assert!(is_time_refusal(
            "SignatureDoesNotMatch",
            "Signature not yet current: 20261123T100000Z is still later than 20261123T091500Z"
        ));
        assert!(!is_time_refusal(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match"
        ));
        assert!(!is_time_refusal("AccessDenied", "Signature expired"));
    }
}
