//! How long a request body may take. hyper bounds the head; the body is read by the handler,
//! which reads it through a [`BodyClock`], so that a client sending a byte now and then cannot
//! hold its connection for as long as it likes. Three rules, the first broken ends the body:
//! - a total deadline, by default [`FLOOR`] or [`PER_MIB`] for each MiB of the body's length,
//!   whichever is longer (a fixed time if the operator gives one);
//! - a minimum average rate once a grace period is over (as Apache's `mod_reqtimeout` does,
//!   each byte received buys `1 / rate` seconds beyond the grace period);
//! - the longest wait for the next piece (the server's `--timeout`).

use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::{Body, Buf, Frame};
use tokio::time::Instant;

/// The least total time a body gets: small API calls, whatever the link.
pub const FLOOR: Duration = Duration::from_secs(10);
/// The time a body gets per MiB of its length: an average of 512 KiB/s (about 4 Mbit/s).
pub const PER_MIB: Duration = Duration::from_secs(2);

/// The rules for a request body's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTime {
    /// The whole body's time, whatever its length; `None`: by its length (see [`FLOOR`]).
    pub total: Option<Duration>,
    /// The least average rate, in bytes per second, once `grace` is over; 0: no such rule.
    pub min_rate: u64,
    /// The time before the rate rule applies (connection set-up, slow start, `100-continue`).
    pub grace: Duration,
    /// The longest wait for the next piece of the body.
    pub between_pieces: Duration,
}

/// Which rule a body broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdue {
    /// The total deadline passed.
    Deadline(Duration),
    /// The body came in more slowly than the least rate.
    TooSlow { received: u64, elapsed: Duration },
    /// No piece came for the longest wait.
    Stalled(Duration),
}

impl BodyTime {
    /// The total deadline of a body of `length` bytes.
    pub fn total_for(&self, length: u64) -> Duration {
        self.total.unwrap_or_else(|| {
            let mib = length as f64 / (1024.0 * 1024.0);
            FLOOR.max(PER_MIB.mul_f64(mib))
        })
    }

    /// Starts the clock of a body of `length` bytes (for a body of unknown length, the most
    /// the server would read of it).
    pub fn start(&self, length: u64) -> BodyClock {
        let now = Instant::now();
        BodyClock {
            rules: *self,
            started: now,
            total: self.total_for(length),
            last_piece: now,
            received: 0,
        }
    }
}

/// A body's time so far; hands out its frames while the rules hold.
#[derive(Debug)]
pub struct BodyClock {
    rules: BodyTime,
    started: Instant,
    total: Duration,
    last_piece: Instant,
    received: u64,
}

impl BodyClock {
    /// The next frame of `body`, or the rule it broke waiting for it.
    pub async fn next_frame<B: Body + Unpin>(
        &mut self,
        body: &mut B,
    ) -> Result<Option<Result<Frame<B::Data>, B::Error>>, Overdue> {
        let (due, overdue) = self.due();
        let frame = tokio::time::timeout_at(due, body.frame())
            .await
            .map_err(|_| overdue)?;
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
        {
            self.received += data.remaining() as u64;
            self.last_piece = Instant::now();
        }
        Ok(frame)
    }

    /// When the next piece must have come, and the rule that says so.
    fn due(&self) -> (Instant, Overdue) {
        let far = |d: Duration| d.min(Duration::from_secs(100 * 365 * 86_400));
        let mut earliest = (
            self.started + far(self.total),
            Overdue::Deadline(self.total),
        );
        let stall = self.last_piece + far(self.rules.between_pieces);
        if stall < earliest.0 {
            earliest = (stall, Overdue::Stalled(self.rules.between_pieces));
        }
        if self.rules.min_rate > 0 {
            let bought = Duration::from_secs_f64(self.received as f64 / self.rules.min_rate as f64);
            let elapsed = self.rules.grace + bought;
            let slow = self.started + far(elapsed);
            if slow < earliest.0 {
                earliest = (
                    slow,
                    Overdue::TooSlow {
                        received: self.received,
                        elapsed,
                    },
                );
            }
        }
        earliest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::convert::Infallible;

    const RULES: BodyTime = BodyTime {
        total: None,
        min_rate: 1000,
        grace: Duration::from_secs(5),
        between_pieces: Duration::from_secs(30),
    };

    #[test]
    fn the_deadline_grows_with_the_length_above_a_floor() {
        assert_eq!(RULES.total_for(0), FLOOR);
        assert_eq!(RULES.total_for(5 << 20), FLOOR);
        assert_eq!(RULES.total_for(64 << 20), Duration::from_secs(128));
        assert_eq!(RULES.total_for(5 << 30), Duration::from_secs(10_240));
        let fixed = BodyTime {
            total: Some(Duration::from_secs(3)),
            ..RULES
        };
        assert_eq!(fixed.total_for(5 << 30), Duration::from_secs(3));
    }

    /// A body whose pieces are sent by the test, one frame each.
    struct Pieces(tokio::sync::mpsc::UnboundedReceiver<Bytes>);

    impl Body for Pieces {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            self.0
                .poll_recv(cx)
                .map(|piece| piece.map(|p| Ok(Frame::data(p))))
        }
    }

    /// Reads `body` through `clock` to its end or a broken rule; returns when, and which.
    async fn read(mut clock: BodyClock, mut body: Pieces) -> (Duration, Result<u64, Overdue>) {
        let started = Instant::now();
        loop {
            match clock.next_frame(&mut body).await {
                Ok(Some(_)) => {}
                Ok(None) => return (started.elapsed(), Ok(clock.received)),
                Err(overdue) => return (started.elapsed(), Err(overdue)),
            }
        }
    }

    /// Sends `pieces` pieces of `size` bytes, one every `every`, then ends the body.
    fn send(size: usize, every: Duration, pieces: usize) -> Pieces {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            for _ in 0..pieces {
                if tx.send(Bytes::from(vec![0u8; size])).is_err() {
                    return;
                }
                tokio::time::sleep(every).await;
            }
        });
        Pieces(rx)
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_is_cut_by_the_rate_rule_once_the_grace_period_is_over() {
        // A byte every 10 s: the grace period (5 s) and the 1 ms the byte bought.
        let (when, verdict) =
            read(RULES.start(1 << 30), send(1, Duration::from_secs(10), 100)).await;
        assert!(
            matches!(verdict, Err(Overdue::TooSlow { received: 1, .. })),
            "{verdict:?}"
        );
        assert!(
            when >= Duration::from_secs(5) && when < Duration::from_millis(5010),
            "{when:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_body_above_the_rate_ends_well() {
        // 2500 B/s for 8 s: above the least rate, past the grace period, within the floor.
        let (_, verdict) = read(
            RULES.start(20_000),
            send(200, Duration::from_millis(80), 100),
        )
        .await;
        assert_eq!(verdict, Ok(20_000));
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_ends_a_body_fast_enough_for_the_rate_but_not_for_its_length() {
        // 1 MiB declared (the 10 s floor), sent at 4 KiB/s: above the rate, over the deadline.
        let (when, verdict) = read(
            RULES.start(1 << 20),
            send(4096, Duration::from_secs(1), 256),
        )
        .await;
        assert_eq!(verdict, Err(Overdue::Deadline(FLOOR)));
        assert_eq!(when, FLOOR);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_longer_than_the_wait_for_a_piece_ends_the_body() {
        let rules = BodyTime {
            min_rate: 0,
            between_pieces: Duration::from_secs(3),
            ..RULES
        };
        // One piece, then silence: without a rate rule, the wait for the next piece ends it.
        let (when, verdict) = read(rules.start(100), send(10, Duration::from_secs(60), 2)).await;
        assert_eq!(verdict, Err(Overdue::Stalled(Duration::from_secs(3))));
        assert_eq!(when, Duration::from_secs(3));
    }
}
