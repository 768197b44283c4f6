//! Playing a recording at its original pace: [`Paced`] sleeps between frames as long as the
//! capture's timestamps say, divided by the speed (`--speed`; 0 plays without waiting).

use std::time::Duration;

use crate::source::{Frame, Source, SourceError, Timestamp};

/// The longest pause played between two frames: a recording with a long gap (a paused
/// recorder) should not look like a hang.
pub const MAX_GAP: Duration = Duration::from_secs(5);

/// A source that delivers each frame of `inner` when its time comes.
pub struct Paced<'a> {
    inner: &'a mut dyn Source,
    speed: f64,
    prev: Option<Timestamp>,
    sleep: &'a mut dyn FnMut(Duration),
}

impl<'a> Paced<'a> {
    /// `speed` 1 is the original pace, 2 twice as fast, 0 no waiting at all. `sleep` is
    /// `std::thread::sleep` except in tests.
    pub fn new(inner: &'a mut dyn Source, speed: f64, sleep: &'a mut dyn FnMut(Duration)) -> Self {
        Paced {
            inner,
            speed,
            prev: None,
            sleep,
        }
    }
}

/// How long to wait before a frame stamped `now` when the previous one was stamped `prev`.
pub fn gap(prev: Timestamp, now: Timestamp, speed: f64) -> Duration {
    if speed <= 0.0 || !speed.is_finite() {
        return Duration::ZERO;
    }
    let nanos = now.nanos_since(prev);
    if nanos <= 0 {
        return Duration::ZERO;
    }
    let secs = nanos as f64 / 1e9 / speed;
    Duration::try_from_secs_f64(secs).map_or(MAX_GAP, |d| d.min(MAX_GAP))
}

impl Source for Paced<'_> {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        let frame = self.inner.next_frame()?;
        if let Some(f) = &frame {
            if let Some(prev) = self.prev {
                let wait = gap(prev, f.ts, self.speed);
                if !wait.is_zero() {
                    (self.sleep)(wait);
                }
            }
            self.prev = Some(f.ts);
        }
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{LinkType, MemorySource, OwnedFrame};

    fn at(sec: i64, nsec: u32) -> OwnedFrame {
        OwnedFrame {
            ts: Timestamp::new(sec, nsec),
            link: LinkType::ETHERNET,
            orig_len: 1,
            data: vec![0],
        }
    }

    #[test]
    fn gaps_follow_the_timestamps_scaled_by_speed() {
        let t = |s, n| Timestamp::new(s, n);
        assert_eq!(
            gap(t(10, 0), t(10, 500_000_000), 1.0),
            Duration::from_millis(500)
        );
        assert_eq!(
            gap(t(10, 0), t(10, 500_000_000), 2.0),
            Duration::from_millis(250)
        );
        assert_eq!(gap(t(10, 0), t(11, 0), 0.0), Duration::ZERO);
        // Time going backwards (a merged capture) does not wait; a long gap is capped.
        assert_eq!(gap(t(11, 0), t(10, 0), 1.0), Duration::ZERO);
        assert_eq!(gap(t(0, 0), t(3600, 0), 1.0), MAX_GAP);
    }

    #[test]
    fn sleeps_between_frames_not_before_the_first() {
        let mut mem = MemorySource::new(vec![at(5, 0), at(5, 100_000_000), at(6, 100_000_000)]);
        let mut slept = Vec::new();
        let mut sleep = |d: Duration| slept.push(d);
        let mut p = Paced::new(&mut mem, 1.0, &mut sleep);
        let mut n = 0;
        while p.next_frame().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
        assert_eq!(
            slept,
            [Duration::from_millis(100), Duration::from_millis(1000)]
        );
    }
}
