//! Unit tests of the tcpdump line: options, MPTCP, UDP lengths, MPLS, one line per packet.
