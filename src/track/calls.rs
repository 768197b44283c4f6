//! Socket calls as timed events, and the timeline that merges them with packets in time order.
//!
//! A socket call is two events: *enter*, stamped before the call can send anything, and
//! *return*, stamped after it completed. Both are CLOCK_REALTIME in nanoseconds, the clock the
//! kernel stamps captured packets with, so a call and a packet compare directly.
//!
//! Calls and packets are produced by different threads and arrive out of order; [`Timeline`]
//! holds them in a bounded min-heap and releases an item only once every input has shown an
//! item (or a watermark) later than it plus a small window.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Which half of a call an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Enter,
    Return,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Enter => "enter",
            Phase::Return => "return",
        }
    }
}

/// The transport protocol of a call's socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    /// The name in call records and JSON: `tcp`, `udp`.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
    pub fn from_name(s: &str) -> Option<Self> {
        [Proto::Tcp, Proto::Udp].into_iter().find(|p| p.name() == s)
    }
    /// The protocol of an IP socket: UDP for a datagram socket, TCP for a stream one.
    pub fn of_ip(datagram: bool) -> Self {
        if datagram { Proto::Udp } else { Proto::Tcp }
    }
}

/// The address family of a call's socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Inet,
    Inet6,
    Unix,
}

impl Family {
    /// The name in call records and JSON: `ipv4`, `ipv6`, `unix`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "ipv4",
            Family::Inet6 => "ipv6",
            Family::Unix => "unix",
        }
    }
    pub fn from_name(s: &str) -> Option<Self> {
        [Family::Inet, Family::Inet6, Family::Unix]
            .into_iter()
            .find(|f| f.name() == s)
    }
    /// The family of an IP socket address.
    pub fn of(addr: &std::net::SocketAddr) -> Self {
        if addr.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        }
    }
}

/// One half of a socket call made by a traced program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallEvent {
    /// CLOCK_REALTIME, nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Process (thread group) id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// The thread's command name (`/proc/TID/comm`).
    pub comm: String,
    /// The system call's name (`connect`, `sendto`, …).
    pub call: &'static str,
    pub phase: Phase,
    /// The socket descriptor the call works on, when it has one.
    pub fd: Option<i32>,
    /// The arguments as a learner reads them: `3, 127.0.0.1:7007`.
    pub args: String,
    /// The socket's local and remote addresses when known (`127.0.0.1:7007`, `[::1]:7007`).
    pub local: Option<String>,
    pub remote: Option<String>,
    /// Return only: the call's result (a byte count, a new descriptor, 0), when it succeeded.
    pub result: Option<i64>,
    /// Return only: the errno name when it failed (`ECONNREFUSED`).
    pub errno: Option<&'static str>,
    /// Bytes moved by a send or receive, and a short printable preview of them.
    pub bytes: Option<u64>,
    pub preview: Option<String>,
    /// The conversation index the call's socket belongs to, when known.
    pub flow: Option<u32>,
    /// The socket's transport protocol (TCP or UDP) and address family, when known (calls
    /// recorded before these were kept have neither).
    pub proto: Option<Proto>,
    pub family: Option<Family>,
}

/// An item with a timestamp, as the timeline orders it.
pub trait Timed {
    fn ts_ns(&self) -> u64;
}

impl Timed for CallEvent {
    fn ts_ns(&self) -> u64 {
        self.ts_ns
    }
}

/// A heap entry: ordered by timestamp, then by arrival (so equal stamps keep their order).
struct Entry<T> {
    ts: u64,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.ts, self.seq) == (o.ts, o.seq)
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.ts, self.seq).cmp(&(o.ts, o.seq))
    }
}

/// Merges timed items from several inputs into one stream in timestamp order.
///
/// Each input's items come in (nearly) its own order; an input's *watermark* is the newest
/// timestamp seen from it, or a later time it promises ([`Timeline::advance`]) when it knows
/// nothing earlier can still come. An item is released once every input's watermark is at least
/// its timestamp plus the window. When the heap holds `capacity` items the oldest is released
/// anyway, so memory stays bounded if one input stalls.
pub struct Timeline<T> {
    heap: BinaryHeap<Reverse<Entry<T>>>,
    marks: Vec<u64>,
    window_ns: u64,
    capacity: usize,
    seq: u64,
    /// The newest timestamp released: items older than it that still come are released at
    /// once (late), so the output never goes back in time by more than what arrived late.
    released: u64,
}

impl<T: Timed> Timeline<T> {
    /// A timeline of `inputs` inputs.
    pub fn new(inputs: usize, window_ns: u64, capacity: usize) -> Self {
        Timeline {
            heap: BinaryHeap::new(),
            marks: vec![0; inputs],
            window_ns,
            capacity: capacity.max(1),
            seq: 0,
            released: 0,
        }
    }

    /// Adds an item from `input`; its timestamp also advances that input's watermark.
    pub fn push(&mut self, input: usize, item: T) {
        let ts = item.ts_ns();
        self.advance(input, ts);
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            ts,
            seq: self.seq,
            item,
        }));
    }

    /// Promises that nothing earlier than `ts_ns` will come from `input` any more.
    pub fn advance(&mut self, input: usize, ts_ns: u64) {
        let m = &mut self.marks[input];
        *m = (*m).max(ts_ns);
    }

    /// The next item that can be released now, if any.
    pub fn pop_ready(&mut self) -> Option<T> {
        let low = self.marks.iter().copied().min().unwrap_or(0);
        let top = self.heap.peek()?;
        let ready = top.0.ts.saturating_add(self.window_ns) <= low
            || top.0.ts <= self.released
            || self.heap.len() > self.capacity;
        ready.then(|| self.take())
    }

    /// The next item in time order regardless of watermarks (at the end of input).
    pub fn flush(&mut self) -> Option<T> {
        (!self.heap.is_empty()).then(|| self.take())
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    fn take(&mut self) -> T {
        let Reverse(e) = self.heap.pop().expect("caller checked");
        self.released = self.released.max(e.ts);
        e.item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct It(u64, &'static str);
    impl Timed for It {
        fn ts_ns(&self) -> u64 {
            self.0
        }
    }

    fn drain(t: &mut Timeline<It>) -> Vec<&'static str> {
        std::iter::from_fn(|| t.pop_ready()).map(|i| i.1).collect()
    }

    #[test]
    fn holds_items_until_every_input_is_past_them_plus_the_window() {
        let mut t = Timeline::new(2, 10, 100);
        t.push(0, It(100, "call"));
        // Input 1 has said nothing yet: nothing can be released.
        assert!(drain(&mut t).is_empty());
        t.push(1, It(95, "packet"));
        assert!(drain(&mut t).is_empty());
        t.advance(0, 200);
        // Input 1 is at 95: still nothing (95 + 10 > 95).
        assert!(drain(&mut t).is_empty());
        t.advance(1, 106);
        assert_eq!(drain(&mut t), ["packet"]);
        t.advance(1, 110);
        assert_eq!(drain(&mut t), ["call"]);
    }

    #[test]
    fn merges_out_of_order_arrivals_in_time_order() {
        let mut t = Timeline::new(2, 5, 100);
        // Calls arrive before the packets they surround.
        t.push(0, It(10, "connect enter"));
        t.push(0, It(40, "connect return"));
        t.push(1, It(20, "SYN"));
        t.push(1, It(30, "SYN-ACK"));
        t.push(1, It(50, "ACK"));
        t.advance(0, 100);
        assert_eq!(
            drain(&mut t),
            ["connect enter", "SYN", "SYN-ACK", "connect return"]
        );
        let rest: Vec<_> = std::iter::from_fn(|| t.flush()).map(|i| i.1).collect();
        assert_eq!(rest, ["ACK"]);
    }

    #[test]
    fn equal_stamps_keep_arrival_order() {
        let mut t = Timeline::new(1, 0, 100);
        t.push(0, It(7, "a"));
        t.push(0, It(7, "b"));
        t.push(0, It(7, "c"));
        t.advance(0, 7);
        assert_eq!(drain(&mut t), ["a", "b", "c"]);
    }

    #[test]
    fn a_stalled_input_cannot_grow_the_heap_past_its_capacity() {
        let mut t = Timeline::new(2, 0, 3);
        for (i, name) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            t.push(0, It(i as u64, name));
        }
        assert_eq!(drain(&mut t), ["a", "b"]);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn a_late_item_older_than_what_was_released_goes_out_at_once() {
        let mut t = Timeline::new(2, 0, 100);
        t.push(0, It(50, "x"));
        t.advance(1, 60);
        assert_eq!(drain(&mut t), ["x"]);
        t.push(1, It(40, "late"));
        assert_eq!(drain(&mut t), ["late"]);
    }
}
