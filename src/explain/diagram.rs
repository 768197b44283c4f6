//! RFC-style header diagrams: the 32-bit rows of RFC 791, 793, 768 and 8200 figures, with each
//! field's name and, under it, its value in this packet.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! |             54321             |               7               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

/// One box of the diagram.
#[derive(Clone, Copy, Debug)]
pub struct Cell<'a> {
    pub name: &'a str,
    /// Used when `name` does not fit.
    pub short: &'a str,
    /// Offset from the start of the header, in bits.
    pub bit_off: u32,
    pub bits: u32,
    pub value: &'a str,
}

const ROW: u32 = 32;

/// Text centred in `width` characters, cut when longer.
fn centre(s: &str, width: usize) -> String {
    let s: String = s.chars().take(width).collect();
    let n = s.chars().count();
    let left = (width - n) / 2;
    format!("{}{}{}", " ".repeat(left), s, " ".repeat(width - n - left))
}

/// Draws `cells` (which must not overlap) as a diagram of `total_bits` bits.
pub fn draw(cells: &[Cell<'_>], total_bits: u32) -> String {
    let rows = total_bits.div_ceil(ROW).max(1);
    let mut owner: Vec<Option<usize>> = vec![None; (rows * ROW) as usize];
    for (i, c) in cells.iter().enumerate() {
        for b in c.bit_off..(c.bit_off + c.bits).min(rows * ROW) {
            owner[b as usize] = Some(i);
        }
    }
    let width_of = |r: u32| -> u32 {
        if r >= rows {
            0
        } else {
            (total_bits - r * ROW).min(ROW)
        }
    };
    let at = |r: i64, i: u32| -> Option<usize> {
        if r < 0 || r as u32 >= rows || i >= width_of(r as u32) {
            None
        } else {
            owner[(r as u32 * ROW + i) as usize]
        }
    };
    let mut o = String::new();
    o.push_str(" 0                   1                   2                   3\n");
    o.push_str(" 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1\n");
    for r in 0..=rows {
        // the line between row r-1 and row r
        let w = width_of(r).max(if r > 0 { width_of(r - 1) } else { 0 });
        for i in 0..w {
            o.push('+');
            let above = at(r as i64 - 1, i);
            let below = at(r as i64, i);
            let boundary = above.is_none() || below.is_none() || above != below;
            o.push(if boundary { '-' } else { ' ' });
        }
        o.push_str("+\n");
        if r == rows {
            break;
        }
        let w = width_of(r);
        let mut names = String::new();
        let mut values = String::new();
        let mut i = 0;
        while i < w {
            let who = at(r as i64, i);
            let start = i;
            while i < w && at(r as i64, i) == who {
                i += 1;
            }
            let chars = (2 * (i - start) - 1) as usize;
            let (n, v) = match who {
                None => (String::new(), String::new()),
                Some(k) => {
                    let c = &cells[k];
                    let seg_start = r * ROW + start;
                    let first = seg_start <= c.bit_off;
                    // A value too wide for the first box of a field that spans rows goes in
                    // its box on the next row.
                    let second = !first && seg_start == (c.bit_off / ROW + 1) * ROW;
                    let first_bits = (ROW - c.bit_off % ROW).min(c.bits);
                    let in_first = c.value.chars().count() < (2 * first_bits) as usize
                        || c.bit_off % ROW + c.bits <= ROW;
                    let name = if !first {
                        ""
                    } else if c.name.chars().count() <= chars {
                        c.name
                    } else {
                        c.short
                    };
                    let value = if (first && in_first) || (second && !in_first) {
                        c.value
                    } else {
                        ""
                    };
                    (name.to_string(), value.to_string())
                }
            };
            names.push('|');
            names.push_str(&centre(&n, chars));
            values.push('|');
            values.push_str(&centre(&v, chars));
        }
        names.push('|');
        values.push('|');
        o.push_str(&names);
        o.push('\n');
        o.push_str(&values);
        o.push('\n');
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_header() {
        let cells = [
            Cell {
                name: "Source Port",
                short: "Src",
                bit_off: 0,
                bits: 16,
                value: "54321",
            },
            Cell {
                name: "Destination Port",
                short: "Dst",
                bit_off: 16,
                bits: 16,
                value: "7",
            },
            Cell {
                name: "Length",
                short: "Len",
                bit_off: 32,
                bits: 16,
                value: "13",
            },
            Cell {
                name: "Checksum",
                short: "Sum",
                bit_off: 48,
                bits: 16,
                value: "0xfe20",
            },
        ];
        let d = draw(&cells, 64);
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(
            lines[3],
            "|          Source Port          |       Destination Port        |"
        );
        assert_eq!(
            lines[4],
            "|             54321             |               7               |"
        );
        assert_eq!(lines.len(), 9);
        assert!(lines.iter().skip(2).all(|l| l.len() == 65));
    }

    #[test]
    fn long_field_spans_rows_without_inner_lines() {
        let cells = [Cell {
            name: "Source Address",
            short: "Src",
            bit_off: 0,
            bits: 128,
            value: "2001:db8::1",
        }];
        let d = draw(&cells, 128);
        let lines: Vec<&str> = d.lines().collect();
        // top rule, then name/value, then a blank separator (same field continues)
        assert!(lines[3].contains("Source Address"));
        assert!(lines[4].contains("2001:db8::1"));
        assert!(lines[5].starts_with("+ + +"));
    }
}
