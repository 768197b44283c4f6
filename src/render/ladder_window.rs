//! A window of the ladder (`ladder --skip N -c M`): every packet before it goes through the
//! tracker and the notes as in the full ladder, so that the window's states, relative numbers,
//! analysis and notes are those the full ladder shows for the same packets; only the window's
//! arrows are drawn, each diagram opening with the states its conversation had reached.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::ladder::{Diagram, Row};

/// Which of the packets that reach the ladder (after the filter) are drawn: skip `skip`, then
/// draw `count` (all the rest when `None`). Counted as `replay --skip/-c` counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub skip: u64,
    pub count: Option<u64>,
}

/// Rows kept before the window in a diagram (older ones are folded into its initial states as
/// they come, so that memory stays bounded however many packets are skipped).
pub const KEEP: usize = 32;

/// Where a packet falls with respect to the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Before,
    In,
    After,
}

impl Window {
    /// The place of the `n`-th packet (from 1).
    pub fn place(&self, n: u64) -> Place {
        if n <= self.skip {
            Place::Before
        } else if self.count.is_some_and(|c| n > self.skip.saturating_add(c)) {
            Place::After
        } else {
            Place::In
        }
    }

    /// How many packets the pipeline needs to read: the skipped ones and the window.
    pub fn reads(&self) -> Option<u64> {
        self.count.map(|c| self.skip.saturating_add(c))
    }

    /// Whether the window is the whole capture.
    pub fn is_all(&self) -> bool {
        self.skip == 0 && self.count.is_none()
    }
}

/// What a windowed ladder remembers: packets counted, the frames the window starts and ends
/// at, and the first frame of each conversation.
#[derive(Clone, Debug, Default)]
pub struct WindowState {
    pub window: Window,
    offered: u64,
    first: Option<u64>,
    last: Option<u64>,
    opened_at: HashMap<u32, u64>,
}

impl WindowState {
    pub fn new(window: Window) -> WindowState {
        WindowState {
            window,
            ..WindowState::default()
        }
    }

    /// Counts one packet (frame `number`) and tells where it falls.
    pub fn offer(&mut self, number: u64) -> Place {
        self.offered += 1;
        let place = self.window.place(self.offered);
        if place == Place::In {
            self.first.get_or_insert(number);
            self.last = Some(number);
        }
        place
    }

    /// Conversation `flow` opened at frame `number`.
    pub fn opened(&mut self, flow: u32, number: u64) {
        self.opened_at.entry(flow).or_insert(number);
    }

    /// Keeps the diagrams that have an arrow in the window, each cut to the window: the rows
    /// before its first arrow there fold into its initial states. Idempotent.
    pub fn cut(&self, diagrams: &mut Vec<Diagram>) {
        if self.window.is_all() {
            return;
        }
        let Some(first) = self.first else {
            diagrams.clear();
            return;
        };
        diagrams.retain_mut(|d| {
            let Some(at) = d
                .rows
                .iter()
                .position(|r| matches!(r, Row::Arrow(a) if a.number >= first))
            else {
                return false;
            };
            fold(d, at);
            true
        });
    }

    /// The sentence a windowed diagram's summary ends with.
    pub fn note(&self, d: &Diagram) -> Option<String> {
        if self.window.is_all() {
            return None;
        }
        let numbers = |r: &Row| match r {
            Row::Arrow(a) => Some(a.number),
            Row::States { .. } => None,
        };
        let from = d.rows.iter().find_map(numbers)?;
        let to = d.rows.iter().rev().find_map(numbers)?;
        let mut s = if from == to {
            format!(" · window: frame {from} drawn")
        } else {
            format!(" · window: frames {from}–{to} drawn")
        };
        if let Some(opened) = self.opened_at.get(&d.index).filter(|o| **o < from) {
            let _ = write!(
                s,
                "; states and relative numbers carry on from frame {opened}, where it began"
            );
        }
        if let Some(last) = self.last {
            let _ = write!(s, "; counts up to frame {last}");
        }
        Some(s)
    }
}

/// Folds the first `n` rows of `d` into its initial states, and drops them.
pub fn fold(d: &mut Diagram, n: usize) {
    for r in d.rows.drain(..n) {
        if let Row::States { client, server } = r {
            for (i, st) in [client, server].into_iter().enumerate() {
                if st.is_some() {
                    d.initial[i] = st;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_follow_skip_and_count() {
        let w = Window {
            skip: 2,
            count: Some(3),
        };
        let p: Vec<Place> = (1..=6).map(|n| w.place(n)).collect();
        use Place::*;
        assert_eq!(p, [Before, Before, In, In, In, After]);
        assert_eq!(w.reads(), Some(5));
        assert!(Window::default().is_all());
        assert_eq!(Window::default().place(1), In);
    }
}
