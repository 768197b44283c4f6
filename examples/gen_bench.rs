//! Generates a large, realistic capture for `scripts/bench-replay.sh`: many TCP conversations
//! (handshake, request/response data, FIN teardown) over IPv4 and IPv6, plus UDP exchanges,
//! between a few hundred hosts, told apart mostly by port, interleaved as on a busy server.
//!
//! Usage: cargo run --release --example gen_bench -- OUT.pcap [PACKETS]
//! Deterministic: the same arguments give the same file.

use std::fs::File;
use std::io::{BufWriter, Write};

/// xorshift64*: a tiny deterministic generator, so the file is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy)]
enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
}

/// One conversation still producing packets.
struct Conv {
    client: Addr,
    server: Addr,
    cport: u16,
    sport: u16,
    udp: bool,
    step: u32,
    /// Request/response exchanges left.
    exchanges: u32,
    cseq: u32,
    sseq: u32,
}

const SNAPLEN: u32 = 262_144;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).map(String::as_str).unwrap_or("bench.pcap");
    let total: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut w = BufWriter::with_capacity(1 << 20, File::create(out).expect("create output"));
    // pcap header, microseconds, little-endian, Ethernet.
    w.write_all(&0xa1b2_c3d4u32.to_le_bytes()).unwrap();
    w.write_all(&2u16.to_le_bytes()).unwrap();
    w.write_all(&4u16.to_le_bytes()).unwrap();
    w.write_all(&[0; 8]).unwrap();
    w.write_all(&SNAPLEN.to_le_bytes()).unwrap();
    w.write_all(&1u32.to_le_bytes()).unwrap();

    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    // 300 IPv4 clients, 40 IPv4 servers, 80 IPv6 clients, 10 IPv6 servers.
    let v4 = |n: u64| Addr::V4([10, 1 + (n / 250) as u8, (n % 250) as u8 + 1, 10]);
    let v6 = |n: u64| {
        let mut a = [0u8; 16];
        a[0] = 0xfd;
        a[1] = 0x42;
        a[14] = (n >> 8) as u8;
        a[15] = n as u8 + 1;
        Addr::V6(a)
    };
    let mut active: Vec<Conv> = Vec::new();
    let mut ts_us: u64 = 1_700_000_000_000_000;
    let mut written = 0u64;
    let mut next_port: u16 = 32768;
    let mut frame = Vec::with_capacity(2048);
    let payload = [b'x'; 1400];
    while written < total {
        while active.len() < 64 {
            let v6conv = rng.below(5) == 0;
            let (client, server) = if v6conv {
                (v6(rng.below(80)), v6(1000 + rng.below(10)))
            } else {
                (v4(rng.below(300)), v4(300 + rng.below(40)))
            };
            next_port = if next_port >= 60999 {
                32768
            } else {
                next_port + 1
            };
            let udp = rng.below(6) == 0;
            let sport = if udp {
                12000 + rng.below(4) as u16
            } else {
                [7, 443, 5432, 9000, 3000][rng.below(5) as usize]
            };
            active.push(Conv {
                client,
                server,
                cport: next_port,
                sport,
                udp,
                step: 0,
                exchanges: 1 + rng.below(4) as u32,
                cseq: rng.next() as u32,
                sseq: rng.next() as u32,
            });
        }
        let i = rng.below(active.len() as u64) as usize;
        let c = &mut active[i];
        ts_us += 1 + rng.below(20);
        frame.clear();
        let done = if c.udp {
            // request, response, repeated
            let to_server = c.step.is_multiple_of(2);
            let len = 20 + rng.below(200) as usize;
            push_packet(&mut frame, c, to_server, 17, 0, &payload[..len]);
            c.step += 1;
            c.step >= c.exchanges * 2
        } else {
            // 0 SYN, 1 SYN-ACK, 2 ACK, then per exchange: request, ack, response(s), ack; then FINs
            let data_steps = c.exchanges * 4;
            let s = c.step;
            const SYN: u8 = 0x02;
            const ACK: u8 = 0x10;
            const PSH: u8 = 0x08;
            const FIN: u8 = 0x01;
            if s == 0 {
                push_packet(&mut frame, c, true, 6, SYN, &[]);
            } else if s == 1 {
                push_packet(&mut frame, c, false, 6, SYN | ACK, &[]);
            } else if s == 2 {
                push_packet(&mut frame, c, true, 6, ACK, &[]);
            } else if s < 3 + data_steps {
                let k = (s - 3) % 4;
                let len = match k {
                    0 => 40 + rng.below(400) as usize,
                    2 => 200 + rng.below(1200) as usize,
                    _ => 0,
                };
                let to_server = k == 0 || k == 3;
                let flags = if len > 0 { PSH | ACK } else { ACK };
                push_packet(&mut frame, c, to_server, 6, flags, &payload[..len]);
            } else if s == 3 + data_steps {
                push_packet(&mut frame, c, true, 6, FIN | ACK, &[]);
            } else if s == 4 + data_steps {
                push_packet(&mut frame, c, false, 6, FIN | ACK, &[]);
            } else {
                push_packet(&mut frame, c, true, 6, ACK, &[]);
            }
            c.step += 1;
            c.step > 5 + data_steps
        };
        let len = frame.len() as u32;
        w.write_all(&((ts_us / 1_000_000) as u32).to_le_bytes())
            .unwrap();
        w.write_all(&((ts_us % 1_000_000) as u32).to_le_bytes())
            .unwrap();
        w.write_all(&len.to_le_bytes()).unwrap();
        w.write_all(&len.to_le_bytes()).unwrap();
        w.write_all(&frame).unwrap();
        written += 1;
        if done {
            active.swap_remove(i);
        }
    }
    w.flush().unwrap();
    eprintln!("wrote {written} packets to {out}");
}

/// Appends Ethernet + IP + TCP/UDP headers and `data` for one segment of `c`, advancing its
/// sequence numbers. Checksums are left zero (as with checksum offload on loopback).
fn push_packet(f: &mut Vec<u8>, c: &mut Conv, to_server: bool, proto: u8, flags: u8, data: &[u8]) {
    let (src, dst, sp, dp) = if to_server {
        (c.client, c.server, c.cport, c.sport)
    } else {
        (c.server, c.client, c.sport, c.cport)
    };
    let l4_len = if proto == 6 { 32 } else { 8 } + data.len();
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
    match (src, dst) {
        (Addr::V4(s), Addr::V4(d)) => {
            f.extend_from_slice(&[0x08, 0x00]);
            let tot = (20 + l4_len) as u16;
            f.extend_from_slice(&[
                0x45,
                0,
                (tot >> 8) as u8,
                tot as u8,
                0,
                0,
                0x40,
                0,
                64,
                proto,
                0,
                0,
            ]);
            f.extend_from_slice(&s);
            f.extend_from_slice(&d);
        }
        (Addr::V6(s), Addr::V6(d)) => {
            f.extend_from_slice(&[0x86, 0xdd]);
            let pl = l4_len as u16;
            f.extend_from_slice(&[0x60, 0, 0, 0, (pl >> 8) as u8, pl as u8, proto, 64]);
            f.extend_from_slice(&s);
            f.extend_from_slice(&d);
        }
        _ => unreachable!("conversations never mix families"),
    }
    f.extend_from_slice(&sp.to_be_bytes());
    f.extend_from_slice(&dp.to_be_bytes());
    if proto == 6 {
        let (seq, ack) = if to_server {
            (c.cseq, c.sseq)
        } else {
            (c.sseq, c.cseq)
        };
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&(if flags & 0x10 != 0 { ack } else { 0 }).to_be_bytes());
        f.extend_from_slice(&[0x80, flags, 0xff, 0xd7, 0, 0, 0, 0]);
        // nop, nop, TS val/ecr
        f.extend_from_slice(&[1, 1, 8, 10]);
        f.extend_from_slice(&(seq ^ 0x55aa).to_be_bytes());
        f.extend_from_slice(&(ack ^ 0xaa55).to_be_bytes());
        let used = data.len() as u32 + u32::from(flags & 0x03 != 0);
        if to_server {
            c.cseq = c.cseq.wrapping_add(used);
        } else {
            c.sseq = c.sseq.wrapping_add(used);
        }
    } else {
        let ul = (8 + data.len()) as u16;
        f.extend_from_slice(&ul.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
    }
    f.extend_from_slice(data);
}
