//! The environment seam: every side effect that is not HTTP or the cache — wall time,
//! monotonic time, sleeping, randomness and logging — goes through one [`Env`].
//!
//! The component implements it over WASI (the Spin adapter); tests use [`FakeEnv`], whose
//! time only moves when the code sleeps and whose randomness is a seeded sequence, so backoff,
//! jitter and clock-skew correction are tested exactly and without waiting. No code below the
//! edge reads a clock, sleeps, draws a random number or prints on its own.

use crate::sigv4::SigningTime;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A future the environment completes, borrowed from it.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Which log a line goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    /// The one JSON line per request (stdout, the Lambda's CloudWatch line).
    Request,
    /// An operator's note: a server error, a retry, a clock correction (stderr).
    Operator,
}

/// Time, sleep, randomness and logging, as the host provides them.
pub trait Env {
    /// The wall-clock time now, to sign with.
    fn wall_time(&self) -> SigningTime;
    /// A monotonic reading: only differences between two readings mean anything.
    fn monotonic(&self) -> Duration;
    /// Completes after `duration` without blocking the request's other futures (a multipart
    /// upload keeps reading the client while a part's retry waits).
    fn sleep(&self, duration: Duration) -> Sleep<'_>;
    /// A uniformly random number (backoff jitter, request ids; nothing secret depends on it).
    fn random_u64(&self) -> u64;
    /// Writes one line to `stream`. Never fails: a log line is never worth the answer.
    fn log(&self, stream: LogStream, line: &str);
}

/// A deterministic environment for tests and native tools: the wall clock starts where it is
/// told and moves only by [`FakeEnv::advance`] or a sleep (which completes at once), random
/// numbers come from a fixed-seed generator, and log lines are kept to be read back.
#[derive(Debug)]
pub struct FakeEnv {
    start: SigningTime,
    elapsed: Cell<Duration>,
    state: Cell<u64>,
    sleeps: RefCell<Vec<Duration>>,
    lines: RefCell<Vec<(LogStream, String)>>,
}

impl FakeEnv {
    /// An environment whose wall clock reads `start`.
    pub fn at(start: SigningTime) -> Self {
        Self {
            start,
            elapsed: Cell::new(Duration::ZERO),
            state: Cell::new(0x9E37_79B9_7F4A_7C15),
            sleeps: RefCell::default(),
            lines: RefCell::default(),
        }
    }

    /// Moves both clocks on by `by`.
    pub fn advance(&self, by: Duration) {
        self.elapsed.set(self.elapsed.get() + by);
    }

    /// Every sleep asked for, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.borrow().clone()
    }

    /// Every line logged to `stream`, in order.
    pub fn lines(&self, stream: LogStream) -> Vec<String> {
        self.lines
            .borrow()
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, line)| line.clone())
            .collect()
    }
}

impl Env for FakeEnv {
    fn wall_time(&self) -> SigningTime {
        SigningTime::from_unix_seconds(self.start.unix_seconds() + self.elapsed.get().as_secs())
    }

    fn monotonic(&self) -> Duration {
        self.elapsed.get()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        self.sleeps.borrow_mut().push(duration);
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }

    fn random_u64(&self) -> u64 {
        // xorshift64*: a fixed, well-spread sequence.
        let mut x = self.state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn log(&self, stream: LogStream, line: &str) {
        self.lines.borrow_mut().push((stream, line.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_time_moves_only_when_told_or_slept() {
        let env = FakeEnv::at(SigningTime::from_unix_seconds(1_700_000_000));
        assert_eq!(env.wall_time().unix_seconds(), 1_700_000_000);
        futures::executor::block_on(env.sleep(Duration::from_millis(1500)));
        env.advance(Duration::from_secs(2));
        assert_eq!(env.monotonic(), Duration::from_millis(3500));
        assert_eq!(env.wall_time().unix_seconds(), 1_700_000_003);
        assert_eq!(env.sleeps(), [Duration::from_millis(1500)]);
    }

    #[test]
    fn fake_randomness_is_repeatable_and_spread() {
        let draw = || {
            let env = FakeEnv::at(SigningTime::from_unix_seconds(0));
            (0..1000).map(|_| env.random_u64()).collect::<Vec<_>>()
        };
        let numbers = draw();
        assert_eq!(numbers, draw());
        // Both halves of the range are hit about equally.
        let high = numbers.iter().filter(|n| **n > u64::MAX / 2).count();
        assert!((400..600).contains(&high), "{high}");
    }
}
