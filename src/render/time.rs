//! Timestamps as tcpdump prints them (`-t` … `-ttttt`), in the local time zone, with the
//! broken-down time cached per second so that formatting costs almost nothing per packet.

use std::io::{self, Write};

use super::fmt::{push_i64, push_padded};
use crate::source::Timestamp;

/// tcpdump's timestamp styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeStyle {
    /// `HH:MM:SS.ffffff` (tcpdump's default).
    #[default]
    Clock,
    /// No timestamp (`-t`).
    None,
    /// Seconds since the epoch (`-tt`).
    Epoch,
    /// Time since the previous packet (`-ttt`).
    Delta,
    /// `YYYY-MM-DD HH:MM:SS.ffffff` (`-tttt`).
    Date,
    /// Time since the first packet (`-ttttt`).
    SinceFirst,
}

impl TimeStyle {
    /// tcpdump's mapping of the number of `-t` flags.
    pub fn from_t_count(n: u8) -> TimeStyle {
        match n {
            0 => TimeStyle::Clock,
            1 => TimeStyle::None,
            2 => TimeStyle::Epoch,
            3 => TimeStyle::Delta,
            4 => TimeStyle::Date,
            _ => TimeStyle::SinceFirst,
        }
    }
}

/// Writes timestamps in one style, remembering what it needs (first and previous packet,
/// the last second it converted to local time).
#[derive(Debug)]
pub struct TimeFormatter {
    pub style: TimeStyle,
    /// Nine fractional digits instead of six.
    pub nano: bool,
    first: Option<Timestamp>,
    prev: Option<Timestamp>,
    cached_sec: i64,
    /// "YYYY-MM-DD HH:MM:SS" for `cached_sec`.
    cached: [u8; 19],
    /// The text [`TimeFormatter::write`] builds, reused.
    scratch: Vec<u8>,
}

impl TimeFormatter {
    pub fn new(style: TimeStyle, nano: bool) -> Self {
        TimeFormatter {
            style,
            nano,
            first: None,
            prev: None,
            cached_sec: i64::MIN,
            cached: [b'0'; 19],
            scratch: Vec::new(),
        }
    }

    fn local(&mut self, sec: i64) -> &[u8; 19] {
        if sec != self.cached_sec {
            self.cached_sec = sec;
            let t = local_time(sec);
            let mut c = [0u8; 19];
            let mut w = &mut c[..];
            let _ = write!(
                w,
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                t.0, t.1, t.2, t.3, t.4, t.5
            );
            self.cached = c;
        }
        &self.cached
    }

    fn frac(&self, buf: &mut Vec<u8>, nsec: u32) {
        buf.push(b'.');
        if self.nano {
            push_padded(buf, nsec as u64, 9);
        } else {
            push_padded(buf, (nsec / 1000) as u64, 6);
        }
    }

    fn duration(&self, buf: &mut Vec<u8>, nanos: i128) {
        // tcpdump prints a negative delta with a leading '-'.
        if nanos < 0 {
            buf.push(b'-');
        }
        let n = nanos.unsigned_abs();
        let secs = n / 1_000_000_000;
        let ns = (n % 1_000_000_000) as u32;
        let h = secs / 3600;
        match u64::try_from(h) {
            Ok(h) => push_padded(
                buf,
                h,
                (h.checked_ilog10().unwrap_or(0) as usize + 1).max(2),
            ),
            Err(_) => {
                let _ = write!(buf, "{h:02}");
            }
        }
        buf.push(b':');
        push_padded(buf, ((secs / 60) % 60) as u64, 2);
        buf.push(b':');
        push_padded(buf, (secs % 60) as u64, 2);
        self.frac(buf, ns)
    }

    /// Appends the timestamp of `ts` followed by one space (nothing at all for `-t`).
    pub fn push(&mut self, buf: &mut Vec<u8>, ts: Timestamp) {
        let first = *self.first.get_or_insert(ts);
        let prev = self.prev.replace(ts).unwrap_or(ts);
        match self.style {
            TimeStyle::None => return,
            TimeStyle::Clock => {
                buf.extend_from_slice(&self.local(ts.sec)[11..]);
                self.frac(buf, ts.nsec);
            }
            TimeStyle::Date => {
                buf.extend_from_slice(self.local(ts.sec));
                self.frac(buf, ts.nsec);
            }
            TimeStyle::Epoch => {
                push_i64(buf, ts.sec);
                self.frac(buf, ts.nsec);
            }
            TimeStyle::Delta => self.duration(buf, ts.nanos_since(prev)),
            TimeStyle::SinceFirst => self.duration(buf, ts.nanos_since(first)),
        }
        buf.push(b' ');
    }

    /// Writes the timestamp of `ts` followed by one space (nothing at all for `-t`), with one
    /// call.
    pub fn write(&mut self, out: &mut dyn Write, ts: Timestamp) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        self.push(&mut buf, ts);
        let r = out.write_all(&buf);
        self.scratch = buf;
        r
    }
}

/// (year, month, day, hour, minute, second) in the local time zone (honours `TZ`).
pub fn local_time(sec: i64) -> (i32, u32, u32, u32, u32, u32) {
    unsafe extern "C" {
        fn tzset();
    }
    static TZSET: std::sync::Once = std::sync::Once::new();
    // SAFETY: tzset reads TZ once, before any localtime_r; localtime_r only writes our `tm`.
    TZSET.call_once(|| unsafe { tzset() });
    unsafe {
        let t: libc::time_t = sec as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return (1970, 1, 1, 0, 0, 0);
        }
        (
            tm.tm_year + 1900,
            (tm.tm_mon + 1) as u32,
            tm.tm_mday as u32,
            tm.tm_hour as u32,
            tm.tm_min as u32,
            tm.tm_sec as u32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(style: TimeStyle, ts: &[Timestamp]) -> Vec<String> {
        let mut f = TimeFormatter::new(style, false);
        ts.iter()
            .map(|t| {
                let mut v = Vec::new();
                f.write(&mut v, *t).unwrap();
                String::from_utf8(v).unwrap()
            })
            .collect()
    }

    #[test]
    fn styles() {
        // SAFETY: tests in this module are the only ones that read TZ in this process's
        // formatter; every test sets it to the same value.
        unsafe { std::env::set_var("TZ", "GMT0") };
        let a = Timestamp::new(1_700_000_000, 123_456_789);
        let b = Timestamp::new(1_700_000_001, 23_456_000);
        assert_eq!(fmt(TimeStyle::Clock, &[a]), ["22:13:20.123456 "]);
        assert_eq!(fmt(TimeStyle::Date, &[a]), ["2023-11-14 22:13:20.123456 "]);
        assert_eq!(fmt(TimeStyle::Epoch, &[a]), ["1700000000.123456 "]);
        assert_eq!(fmt(TimeStyle::None, &[a]), [""]);
        assert_eq!(
            fmt(TimeStyle::Delta, &[a, b]),
            ["00:00:00.000000 ", "00:00:00.899999 "]
        );
        assert_eq!(
            fmt(TimeStyle::SinceFirst, &[a, b, b]).last().unwrap(),
            "00:00:00.899999 "
        );
        assert_eq!(TimeStyle::from_t_count(4), TimeStyle::Date);
        // A step back in time, and a delta of more than 99 hours.
        let c = Timestamp::new(1_700_000_000 + 360_000 + 3_723, 5_000);
        assert_eq!(
            fmt(TimeStyle::Delta, &[b, a, c]),
            ["00:00:00.000000 ", "-00:00:00.899999 ", "101:02:02.876548 "]
        );
        let mut f = TimeFormatter::new(TimeStyle::Epoch, true);
        let mut v = Vec::new();
        f.write(&mut v, Timestamp::new(-5, 7)).unwrap();
        assert_eq!(v, b"-5.000000007 ");
    }
}
