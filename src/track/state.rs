//! TCP connection states of each endpoint (RFC 9293 §3.3.2, figure 5), inferred from the
//! segments a capture sees: the sender moves as if it had just sent the segment and the receiver
//! as if it had just received it.

/// The states of RFC 9293's state diagram, with its names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcpState {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl TcpState {
    /// The RFC's name, e.g. `SYN-SENT`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        }
    }

    /// Whether this endpoint is done with the connection (it will send nothing new).
    pub fn is_closed(self) -> bool {
        matches!(self, TcpState::Closed | TcpState::TimeWait)
    }
}

/// What one segment does to the two endpoints' states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transition {
    /// New states of (sender, receiver), when they change.
    pub sender: Option<TcpState>,
    pub receiver: Option<TcpState>,
    /// Both ends sent a SYN without ACK (RFC 9293 figure 8).
    pub simultaneous_open: bool,
    /// Both ends sent a FIN before seeing the other's (RFC 9293 figure 13).
    pub simultaneous_close: bool,
}

/// The flags and numbers of a segment that move states.
#[derive(Clone, Copy, Debug)]
pub struct Ctl {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    /// The ACK covers the receiver's SYN (ack ≥ its ISN + 1).
    pub acks_syn: bool,
    /// The ACK covers the receiver's FIN.
    pub acks_fin: bool,
}

/// Computes the states after a segment from an endpoint in `sender` to one in `receiver`.
/// Inlined into its one caller, once per segment: the call itself cost a tenth of the step.
#[inline]
pub fn step(sender: TcpState, receiver: TcpState, c: Ctl) -> Transition {
    use TcpState::*;
    let mut t = Transition::default();
    if c.rst {
        // RFC 9293 §3.10.7: a valid reset closes the connection at once on both ends.
        t.sender = Some(Closed);
        t.receiver = Some(Closed);
        return t;
    }
    let mut s = sender;
    let mut r = receiver;
    if c.syn && !c.ack {
        match s {
            Closed | Listen => s = SynSent,
            SynReceived => {
                // We thought this end had received the peer's SYN: the two SYNs crossed.
                t.simultaneous_open = true;
            }
            _ => {}
        }
        match r {
            Listen | Closed => r = SynReceived,
            SynSent => {
                r = SynReceived;
                t.simultaneous_open = true;
            }
            _ => {}
        }
    } else if c.syn {
        if matches!(s, Closed | Listen | SynSent) {
            s = SynReceived;
        }
        if matches!(r, SynSent | SynReceived) && c.acks_syn {
            r = Established;
        }
    } else {
        // The ACK part first: it may acknowledge the receiver's SYN or FIN.
        if c.ack {
            if r == SynReceived && c.acks_syn {
                r = Established;
            }
            if c.acks_fin {
                r = match r {
                    FinWait1 => FinWait2,
                    Closing => TimeWait,
                    LastAck => Closed,
                    x => x,
                };
            }
            if matches!(s, SynSent | SynReceived) {
                // A plain ACK from a handshaking end: it has seen the other's SYN.
                s = Established;
            }
        }
        if c.fin {
            s = match s {
                Established | SynReceived => FinWait1,
                // Its FIN does not acknowledge the peer's: it had not received it yet, so
                // both FINs crossed and each end waits for the other's ACK in CLOSING.
                CloseWait if !c.acks_fin => {
                    t.simultaneous_close = true;
                    Closing
                }
                CloseWait => LastAck,
                x => x,
            };
            r = match r {
                Established | SynReceived => CloseWait,
                FinWait1 => Closing,
                FinWait2 => TimeWait,
                x => x,
            };
        }
    }
    if s != sender {
        t.sender = Some(s);
    }
    if r != receiver {
        t.receiver = Some(r);
    }
    t
}
