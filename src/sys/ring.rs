//! The TPACKET_V3 receive ring of an AF_PACKET socket: the kernel writes packets into blocks of
//! memory shared with us, and hands a block over when it is full or when its timeout expires;
//! no system call per packet or per batch, only a `poll` when nothing is ready.
//!
//! Layout (packet(7), Documentation/networking/packet_mmap.rst, `net/packet/af_packet.c`):
//! `tp_block_nr` blocks of `tp_block_size` bytes each start with a `tpacket_block_desc`; a block
//! is ours while `block_status & TP_STATUS_USER`, and goes back to the kernel when we write
//! `TP_STATUS_KERNEL`. Inside, `num_pkts` frames start at `offset_to_first_pkt`, each a
//! `tpacket3_hdr` (kernel timestamp in `tp_sec`/`tp_nsec`, `tp_snaplen` bytes captured of
//! `tp_len`, data at `tp_mac`) followed by a `sockaddr_ll` (direction in `sll_pkttype`), the next
//! one `tp_next_offset` further. A frame larger than a block is cut to fit (`tp_snaplen <
//! tp_len`). Drops (ring full) are counted by PACKET_STATISTICS as `tpacket_stats_v3.tp_drops`.

use std::io;
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use super::packet::{LinkAddr, Skip};
use crate::source::Timestamp;

/// Smallest block: one mebibyte holds the default 256 KiB snap length with room to spare.
const MIN_BLOCK: usize = 1 << 20;
/// The nominal frame size the kernel checks the geometry with (V3 packs frames tightly).
const FRAME_SIZE: usize = 2048;
/// Offset of the `sockaddr_ll` after a frame header: TPACKET_ALIGN(sizeof tpacket3_hdr).
const SLL_OFFSET: usize = (std::mem::size_of::<libc::tpacket3_hdr>() + 15) & !15;

/// One packet in the ring, borrowed until the next call to [`Ring::ready`].
#[derive(Clone, Copy, Debug)]
pub struct RingFrame<'a> {
    pub data: &'a [u8],
    /// Length on the wire.
    pub wire_len: u32,
    /// The kernel's receive time.
    pub ts: Timestamp,
    /// The kernel's `sockaddr_ll`: direction (`sll_pkttype`), interface, protocol.
    pub addr: LinkAddr,
}

/// A mapped TPACKET_V3 ring.
pub struct Ring {
    map: NonNull<u8>,
    map_len: usize,
    block_size: usize,
    block_nr: usize,
    /// The block being read (or next to be read).
    block: usize,
    /// Frames left in the current block, and the offset of the next one, while we hold it.
    left: u32,
    offset: usize,
    held: bool,
}

// SAFETY: the mapping is owned by the Ring alone (no aliasing Ring), and the kernel side is
// synchronised through block_status; moving the Ring to another thread moves that ownership.
unsafe impl Send for Ring {}

/// The geometry for `buffer_bytes` of ring and frames up to `snaplen` bytes: block size (a
/// power of two, at least [`MIN_BLOCK`], holding a whole frame of `snaplen`) and block count.
pub fn geometry(buffer_bytes: usize, snaplen: usize) -> (usize, usize) {
    let need = snaplen + SLL_OFFSET + std::mem::size_of::<libc::sockaddr_ll>() + 256;
    let block = need.next_power_of_two().max(MIN_BLOCK);
    let nr = (buffer_bytes / block).max(2);
    (block, nr)
}

impl Ring {
    /// Switches `fd` to TPACKET_V3 and maps a receive ring of about `buffer_bytes`, with frames
    /// up to `snaplen` bytes kept whole, and blocks handed over at the latest `timeout_ms` after
    /// their first packet. Call before any packet is queued (before the bind).
    pub fn new(
        fd: RawFd,
        buffer_bytes: usize,
        snaplen: usize,
        timeout_ms: u32,
    ) -> io::Result<Ring> {
        let (block_size, block_nr) = geometry(buffer_bytes, snaplen);
        Ring::with_blocks(fd, block_size, block_nr, timeout_ms)
    }

    /// As [`Ring::new`], with the geometry given: `block_nr` blocks of `block_size` bytes (a
    /// multiple of the page size). A frame larger than a block is cut to fit by the kernel, its
    /// wire length kept; [`Ring::new`]'s geometry never lets that happen below the snap length.
    pub fn with_blocks(
        fd: RawFd,
        block_size: usize,
        block_nr: usize,
        timeout_ms: u32,
    ) -> io::Result<Ring> {
        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        super::packet::set_option(fd, libc::SOL_PACKET, libc::PACKET_VERSION, &version)?;
        let req = libc::tpacket_req3 {
            tp_block_size: block_size as u32,
            tp_block_nr: block_nr as u32,
            tp_frame_size: FRAME_SIZE as u32,
            tp_frame_nr: (block_size / FRAME_SIZE * block_nr) as u32,
            tp_retire_blk_tov: timeout_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        super::packet::set_option(fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
        let map_len = block_size * block_nr;
        // SAFETY: a fresh shared mapping of the socket's ring, whose size we just set; the
        // kernel checks the length and offset.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Ring {
            map: NonNull::new(p.cast()).ok_or_else(|| io::Error::other("mmap returned null"))?,
            map_len,
            block_size,
            block_nr,
            block: 0,
            left: 0,
            offset: 0,
            held: false,
        })
    }

    /// The block size and count.
    pub fn geometry(&self) -> (usize, usize) {
        (self.block_size, self.block_nr)
    }

    /// The status word of block `i`, shared with the kernel.
    fn status(&self, i: usize) -> &AtomicU32 {
        // SAFETY: block i lies inside the mapping (i < block_nr); block_status is the first
        // u32 of `tpacket_hdr_v1` at offset 8 of the block (4-byte aligned, blocks are page
        // aligned), and the kernel and we only access it as a whole 32-bit word.
        unsafe {
            let desc = self.map.as_ptr().add(i * self.block_size);
            AtomicU32::from_ptr(desc.add(8).cast())
        }
    }

    /// Gives the current block back to the kernel and moves to the next.
    fn release(&mut self) {
        if self.held {
            // Release: our reads of the block happen before the kernel reuses it.
            self.status(self.block)
                .store(libc::TP_STATUS_KERNEL, Ordering::Release);
            self.held = false;
            self.left = 0;
            self.block = (self.block + 1) % self.block_nr;
        }
    }

    /// The header of the frame at the cursor.
    fn header(&self) -> &libc::tpacket3_hdr {
        // SAFETY: called only while we hold the block (TP_STATUS_USER) with frames left: the
        // kernel wrote a tpacket3_hdr at `offset` (its offsets stay within the block).
        unsafe {
            &*self
                .map
                .as_ptr()
                .add(self.block * self.block_size + self.offset)
                .cast::<libc::tpacket3_hdr>()
        }
    }

    /// The `sockaddr_ll` of the frame at the cursor.
    fn link_addr(&self) -> LinkAddr {
        // SAFETY: as in `header`; the kernel writes a sockaddr_ll right after the header
        // (TPACKET_ALIGNed, so aligned for it).
        LinkAddr::of(unsafe {
            &*self
                .map
                .as_ptr()
                .add(self.block * self.block_size + self.offset + SLL_OFFSET)
                .cast::<libc::sockaddr_ll>()
        })
    }

    /// Whether a packet is ready: gives finished blocks back to the kernel, takes the next one
    /// if the kernel handed it over, and steps over frames that `skip` matches.
    /// `false` when the ring is empty (then `poll` the socket). Frames already taken are
    /// given back by this call.
    pub fn ready(&mut self, skip: Option<Skip>) -> bool {
        loop {
            if self.held && self.left == 0 {
                self.release();
            }
            if !self.held {
                // Acquire: the kernel's writes to the block are visible once we see its status.
                if self.status(self.block).load(Ordering::Acquire) & libc::TP_STATUS_USER == 0 {
                    return false;
                }
                // SAFETY: the block is ours (TP_STATUS_USER); its descriptor is at its start.
                let (n, first) = unsafe {
                    let desc = &*self
                        .map
                        .as_ptr()
                        .add(self.block * self.block_size)
                        .cast::<libc::tpacket_block_desc>();
                    (desc.hdr.bh1.num_pkts, desc.hdr.bh1.offset_to_first_pkt)
                };
                self.held = true;
                self.left = n;
                self.offset = first as usize;
                continue;
            }
            if skip.is_some_and(|s| s.matches(&self.link_addr())) {
                self.advance();
                continue;
            }
            return true;
        }
    }

    fn advance(&mut self) {
        self.left -= 1;
        self.offset += self.header().tp_next_offset as usize;
    }

    /// The packet [`Ring::ready`] found, borrowed until the next call (which may give its
    /// block back); `None` if there is none.
    pub fn take(&mut self) -> Option<RingFrame<'_>> {
        if !self.held || self.left == 0 {
            return None;
        }
        let h = *self.header();
        let addr = self.link_addr();
        let block_start = self.block * self.block_size;
        let start = self.offset + h.tp_mac as usize;
        let len = (h.tp_snaplen as usize).min(self.block_size.saturating_sub(start));
        self.advance();
        // SAFETY: the data (tp_snaplen bytes at tp_mac from the header) lies inside our block,
        // clamped to its end; the slice borrows `self` mutably, so the block cannot be given
        // back while it is alive.
        let data =
            unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(block_start + start), len) };
        Some(RingFrame {
            data,
            wire_len: h.tp_len,
            ts: Timestamp::new(h.tp_sec as i64, h.tp_nsec),
            addr,
        })
    }

    /// Gives every ready block back unread (packets queued before a filter took effect).
    pub fn discard_all(&mut self) {
        while self.ready(None) {
            self.left = 0;
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by Ring::new with this length and is not used after.
        unsafe { libc::munmap(self.map.as_ptr().cast(), self.map_len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of the snap length always fits in one block, even one larger than the default
    /// block: the kernel would otherwise cut it to the block.
    #[test]
    fn a_block_holds_a_whole_frame_of_the_snap_length() {
        assert_eq!(geometry(32 << 20, 262_144), (1 << 20, 32));
        let (block, nr) = geometry(32 << 20, 3 << 20);
        assert!(block >= (3 << 20) + SLL_OFFSET + 64, "{block}");
        assert_eq!(nr, 8);
        assert_eq!(geometry(0, 100).1, 2, "at least two blocks");
    }
}
