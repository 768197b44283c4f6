//! The local time zone (tzset(3), localtime_r(3): `TZ`, else /etc/localtime) and broken-down
//! times (gmtime_r(3)). The command layer resolves the zone here and hands it to the renderers,
//! which never read the environment themselves.

use std::sync::Once;

/// A broken-down time, as `struct tm` holds it (tm(3type)), with the year in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tm {
    /// The year, e.g. 2026.
    pub year: i64,
    /// Month, 0 (January) to 11.
    pub month0: i32,
    /// Day of the month, 1 to 31.
    pub mday: i32,
    pub hour: i32,
    pub min: i32,
    pub sec: i32,
    /// Day of the week, 0 (Sunday) to 6.
    pub wday: i32,
    /// Seconds east of UTC (`tm_gmtoff`).
    pub utc_offset: i32,
}

impl Tm {
    fn from_libc(tm: &libc::tm) -> Tm {
        Tm {
            year: i64::from(tm.tm_year) + 1900,
            month0: tm.tm_mon,
            mday: tm.tm_mday,
            hour: tm.tm_hour,
            min: tm.tm_min,
            sec: tm.tm_sec,
            wday: tm.tm_wday,
            utc_offset: tm.tm_gmtoff as i32,
        }
    }
}

/// Reads `TZ` (or /etc/localtime) once, before the first local conversion.
fn tzset_once() {
    unsafe extern "C" {
        fn tzset();
    }
    static TZSET: Once = Once::new();
    // SAFETY: tzset takes no arguments; the Once makes it run once, before any localtime_r of
    // this module, so no conversion races with it.
    TZSET.call_once(|| unsafe { tzset() });
}

/// `unix` in the local time zone, or `None` when it cannot be represented.
pub fn local(unix: i64) -> Option<Tm> {
    tzset_once();
    let t = unix as libc::time_t;
    // SAFETY: all-zero is a valid `struct tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r reads `t` and writes only into `tm`, both ours for the call.
    let ok = !unsafe { libc::localtime_r(&t, &mut tm) }.is_null();
    ok.then(|| Tm::from_libc(&tm))
}

/// `unix` in UTC, or `None` when it cannot be represented.
pub fn utc(unix: i64) -> Option<Tm> {
    let t = unix as libc::time_t;
    // SAFETY: all-zero is a valid `struct tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: gmtime_r reads `t` and writes only into `tm`, both ours for the call.
    let ok = !unsafe { libc::gmtime_r(&t, &mut tm) }.is_null();
    ok.then(|| Tm::from_libc(&tm))
}

/// The local zone's offset from UTC, in seconds east, at instant `unix` (0 when unknown). A
/// `fn(i64) -> i32`, the shape `render::time::Zone` takes.
pub fn local_utc_offset(unix: i64) -> i32 {
    local(unix).map_or(0, |t| t.utc_offset)
}

/// Seconds since the epoch now (time(2)).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_breaks_down_the_epoch_and_a_sunday() {
        let t = utc(0).unwrap();
        assert_eq!((t.year, t.month0, t.mday, t.wday), (1970, 0, 1, 4));
        let t = utc(1_795_327_252).unwrap();
        assert_eq!(
            (t.year, t.month0, t.mday, t.hour, t.min, t.sec, t.wday),
            (2026, 10, 22, 6, 0, 52, 0)
        );
        assert_eq!(t.utc_offset, 0);
    }

    #[test]
    fn local_offset_matches_the_broken_down_time() {
        // Whatever the zone of this machine, local = UTC + offset.
        let unix = 1_700_000_000;
        let (l, u) = (
            local(unix).unwrap(),
            utc(unix + i64::from(local_utc_offset(unix))),
        );
        let u = u.unwrap();
        assert_eq!(
            (l.year, l.month0, l.mday, l.hour, l.min),
            (u.year, u.month0, u.mday, u.hour, u.min)
        );
    }
}
