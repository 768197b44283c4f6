//! How a lesson's events come on screen: at a teaching pace, a key at a time, or all at once.
//! [`Paced`] is a source that asks before each frame (a packet or a socket call) whether, and
//! when, it may go on: [`teaching_gap`] sleeps about a second per event (divided by the speed,
//! `--speed`), [`Stepper`] waits for a key (`--step`).

use std::io::{self, BufRead};
use std::time::Duration;

use super::console::Console;
use super::observe::Progress;
use crate::source::{Frame, Source, SourceError, Timestamp};
use crate::sys::term::RawKeys;

/// The pause before each event at the teaching pace (speed 1).
pub const TEACHING: Duration = Duration::from_secs(1);

/// The longest pause played between two frames: a recording with a long gap (a paused
/// recorder) should not look like a hang.
pub const MAX_GAP: Duration = Duration::from_secs(5);

/// How a lesson plays its events.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// No waiting at all (`--speed max` or `--speed 0`, and output that is not a terminal).
    Full,
    /// [`teaching_gap`] at this speed (1: about a second per event, 2: twice as fast).
    Teaching(f64),
    /// A key before each event (`--step`).
    Step,
}

/// A source that delivers each frame of `inner` once `before(previous frame's time, this
/// frame's time)` returns; it ends early when `before` returns false.
pub struct Paced<'a> {
    inner: &'a mut dyn Source,
    prev: Option<Timestamp>,
    before: &'a mut dyn FnMut(Option<Timestamp>, Timestamp) -> bool,
}

impl<'a> Paced<'a> {
    pub fn new(
        inner: &'a mut dyn Source,
        before: &'a mut dyn FnMut(Option<Timestamp>, Timestamp) -> bool,
    ) -> Self {
        Paced {
            inner,
            prev: None,
            before,
        }
    }
}

/// How long to wait before an event stamped `now` when the previous one was stamped `prev`, at
/// the teaching pace: [`TEACHING`], or the recording's own gap when longer (a retransmission
/// timeout stays visible; capped at [`MAX_GAP`]), divided by `speed`. Speed 0 waits not at all.
pub fn teaching_gap(prev: Timestamp, now: Timestamp, speed: f64) -> Duration {
    if speed <= 0.0 || !speed.is_finite() {
        return Duration::ZERO;
    }
    let nanos = now.nanos_since(prev).max(0) as u64;
    let real = Duration::from_nanos(nanos).min(MAX_GAP);
    Duration::try_from_secs_f64(real.max(TEACHING).as_secs_f64() / speed)
        .map_or(MAX_GAP, |d| d.min(MAX_GAP))
}

impl Source for Paced<'_> {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        let frame = self.inner.next_frame()?;
        if let Some(f) = &frame {
            if !(self.before)(self.prev, f.ts) {
                return Ok(None);
            }
            self.prev = Some(f.ts);
        }
        Ok(frame)
    }
}

/// Where `--step` reads its keys.
pub enum Keys {
    /// Standard input is a terminal: Enter or space, read one key at a time.
    Terminal,
    /// Anything else (a pipe, a file): one line per event.
    Lines(Box<dyn BufRead + Send>),
}

/// Waits for a key before each event (`--step`). At the end of input the rest plays without
/// pauses. A live lesson's waits for its capture do not count the time spent here
/// ([`Progress::pause`]).
pub struct Stepper<'a> {
    keys: Keys,
    /// Shows a prompt while waiting, erased once the key comes (standard output is a terminal).
    prompt: Option<Console>,
    progress: Option<&'a Progress>,
    ended: bool,
}

/// The prompt shown while `--step` waits.
pub const PROMPT: &str = "  [Enter or space: next event]";

impl<'a> Stepper<'a> {
    pub fn new(keys: Keys, prompt: Option<Console>, progress: Option<&'a Progress>) -> Self {
        Stepper {
            keys,
            prompt,
            progress,
            ended: false,
        }
    }

    /// What continues, for the line that tells the class.
    pub fn help(&self) -> &'static str {
        match self.keys {
            Keys::Terminal => {
                "Step by step (--step): press Enter or space for each next event; Ctrl-C stops."
            }
            Keys::Lines(_) => {
                "Step by step (--step): each line read from standard input shows the next event."
            }
        }
    }

    /// Waits for the key (or line) that shows the next event.
    pub fn wait(&mut self) {
        if self.ended {
            return;
        }
        if let Some(p) = self.progress {
            p.pause(true);
        }
        if let Some(c) = &self.prompt {
            let _ = c.raw(PROMPT.as_bytes());
        }
        let more = match &mut self.keys {
            Keys::Terminal => terminal_key(),
            Keys::Lines(r) => {
                let mut line = String::new();
                r.read_line(&mut line).is_ok_and(|n| n > 0)
            }
        };
        self.ended = !more;
        if let Some(c) = &self.prompt {
            // Back to the line's start and erase it (ECMA-48 CR, EL).
            let _ = c.raw(b"\r\x1b[K");
        }
        if let Some(p) = self.progress {
            p.pause(false);
        }
    }
}

/// One Enter or space on the terminal; false at the end of input or when the terminal cannot
/// be read (the rest then plays without pauses).
fn terminal_key() -> bool {
    let Ok(mut raw) = RawKeys::new() else {
        return false;
    };
    loop {
        match raw.key() {
            Ok(Some(b'\n' | b'\r' | b' ')) => return true,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return false,
        }
    }
}

/// Standard input as `--step` reads it.
pub fn stdin_lines() -> Keys {
    Keys::Lines(Box::new(io::BufReader::new(io::stdin())))
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
    fn about_a_second_per_event_scaled_by_speed() {
        let t = |s, n| Timestamp::new(s, n);
        assert_eq!(teaching_gap(t(10, 0), t(10, 5_000), 1.0), TEACHING);
        assert_eq!(
            teaching_gap(t(10, 0), t(10, 5_000), 2.0),
            Duration::from_millis(500)
        );
        assert_eq!(teaching_gap(t(10, 0), t(11, 0), 0.0), Duration::ZERO);
        // A retransmission timeout (1.5 s here) keeps its length; time going backwards (a
        // merged capture) waits the usual pause; a long gap is capped.
        assert_eq!(
            teaching_gap(t(10, 0), t(11, 500_000_000), 1.0),
            Duration::from_millis(1500)
        );
        assert_eq!(teaching_gap(t(11, 0), t(10, 0), 1.0), TEACHING);
        assert_eq!(teaching_gap(t(0, 0), t(3600, 0), 1.0), MAX_GAP);
    }

    #[test]
    fn asks_before_every_frame_and_can_stop() {
        let mut mem = MemorySource::new(vec![at(5, 0), at(5, 100_000_000), at(6, 100_000_000)]);
        let mut asked = Vec::new();
        let mut before = |prev: Option<Timestamp>, now: Timestamp| {
            asked.push((prev.map(|p| p.sec), now.sec));
            asked.len() < 3
        };
        let mut p = Paced::new(&mut mem, &mut before);
        let mut n = 0;
        while p.next_frame().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 2);
        assert_eq!(asked, [(None, 5), (Some(5), 5), (Some(5), 6)]);
    }

    #[test]
    fn steps_read_a_line_each_then_run_free_at_the_end() {
        let input = io::Cursor::new(b"\n\n".to_vec());
        let mut s = Stepper::new(Keys::Lines(Box::new(input)), None, None);
        s.wait();
        s.wait();
        assert!(!s.ended);
        s.wait();
        assert!(s.ended);
        s.wait();
    }
}
