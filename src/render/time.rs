//! Timestamps as tcpdump prints them (`-t` … `-ttttt`), in a time zone the caller gives (the
//! command layer resolves the local one), with the broken-down time cached per second so that
//! formatting costs almost nothing per packet. Nothing here reads the environment.

use std::io::{self, Write};
use std::sync::OnceLock;

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

/// A time zone, as its offset from UTC in seconds east at a given instant (Unix seconds). The
/// command layer supplies the local one (`sys::tz::local_utc_offset`); the core never looks it
/// up.
#[derive(Clone, Copy)]
pub struct Zone(fn(i64) -> i32);

impl Zone {
    /// Coordinated Universal Time: offset 0 at every instant.
    pub const UTC: Zone = Zone(|_| 0);

    /// A zone whose offset at each instant `offset_at` tells.
    pub const fn new(offset_at: fn(i64) -> i32) -> Zone {
        Zone(offset_at)
    }

    /// Seconds east of UTC at instant `unix`.
    pub fn offset_at(&self, unix: i64) -> i32 {
        (self.0)(unix)
    }
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Zone")
    }
}

/// The zone the command layer chose for this run ([`set_process_zone`]).
static PROCESS_ZONE: OnceLock<Zone> = OnceLock::new();

/// Sets the zone that [`TimeFormatter::new`] and [`local_time`] use, once, before any output
/// (the command layer does, with the local zone). Later calls change nothing.
pub fn set_process_zone(zone: Zone) {
    let _ = PROCESS_ZONE.set(zone);
}

/// The zone set with [`set_process_zone`], else UTC.
pub fn process_zone() -> Zone {
    PROCESS_ZONE.get().copied().unwrap_or(Zone::UTC)
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
    zone: Zone,
}

impl TimeFormatter {
    /// A formatter in the zone of this run ([`process_zone`]).
    pub fn new(style: TimeStyle, nano: bool) -> Self {
        Self::in_zone(style, nano, process_zone())
    }

    /// A formatter in `zone`.
    pub fn in_zone(style: TimeStyle, nano: bool, zone: Zone) -> Self {
        TimeFormatter {
            zone,
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
            let t = civil_time(sec, self.zone);
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

/// (year, month, day, hour, minute, second) in the zone of this run ([`process_zone`]).
pub fn local_time(sec: i64) -> (i32, u32, u32, u32, u32, u32) {
    civil_time(sec, process_zone())
}

/// (year, month, day, hour, minute, second) of Unix time `sec` in `zone`, in the proleptic
/// Gregorian calendar (POSIX time: no leap seconds), as localtime_r(3) gives them.
pub fn civil_time(sec: i64, zone: Zone) -> (i32, u32, u32, u32, u32, u32) {
    let t = sec.saturating_add(i64::from(zone.offset_at(sec)));
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400) as u32);
    let (y, m, d) = civil_from_days(days);
    // localtime_r fails (EOVERFLOW) when tm_year, the year minus 1900, does not fit an int;
    // the epoch stands in for such a time, as it always has here.
    if i32::try_from(y - 1900).is_err() {
        return (1970, 1, 1, 0, 0, 0);
    }
    (y as i32, m, d, secs / 3600, secs / 60 % 60, secs % 60)
}

/// The date of day `z` after 1970-01-01: Howard Hinnant's `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html>), eras of 400 years.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(style: TimeStyle, ts: &[Timestamp]) -> Vec<String> {
        let mut f = TimeFormatter::in_zone(style, false, Zone::UTC);
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
        let mut f = TimeFormatter::in_zone(TimeStyle::Epoch, true, Zone::UTC);
        let mut v = Vec::new();
        f.write(&mut v, Timestamp::new(-5, 7)).unwrap();
        assert_eq!(v, b"-5.000000007 ");
    }

    #[test]
    fn zones_shift_the_clock_not_the_epoch() {
        const NEW_YORK_WINTER: Zone = Zone::new(|_| -5 * 3600);
        let a = Timestamp::new(1_700_000_000, 123_456_789);
        let mut f = TimeFormatter::in_zone(TimeStyle::Date, false, NEW_YORK_WINTER);
        let mut v = Vec::new();
        f.write(&mut v, a).unwrap();
        assert_eq!(v, b"2023-11-14 17:13:20.123456 ");
        let mut f = TimeFormatter::in_zone(TimeStyle::Epoch, false, NEW_YORK_WINTER);
        v.clear();
        f.write(&mut v, a).unwrap();
        assert_eq!(v, b"1700000000.123456 ");
    }

    #[test]
    fn civil_dates_across_eras_and_leap_days() {
        let utc = |s| civil_time(s, Zone::UTC);
        assert_eq!(utc(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc(-1), (1969, 12, 31, 23, 59, 59));
        assert_eq!(utc(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(utc(4_107_542_399), (2100, 2, 28, 23, 59, 59));
        assert_eq!(utc(4_107_542_400), (2100, 3, 1, 0, 0, 0));
        assert_eq!(utc(-62_135_596_800), (1, 1, 1, 0, 0, 0));
        // Every day of 1960..2100 agrees with the system's gmtime_r.
        for day in -3653..47_482i64 {
            let sec = day * 86_400 + 45_296;
            let tm = crate::sys::tz::utc(sec).unwrap();
            let want = (
                tm.year as i32,
                tm.month0 as u32 + 1,
                tm.mday as u32,
                tm.hour as u32,
                tm.min as u32,
                tm.sec as u32,
            );
            assert_eq!(utc(sec), want, "{sec}");
        }
    }
}
