"""Handshake loss: a short echo exchange on 127.0.0.1:7201 whose handshake loses a packet.

The recording script drops the first SYN (case-syn-loss) or the first SYN-ACK
(case-synack-loss) with an nftables rule in the input hook, after tcpdump has seen it. Either
way the client hears nothing and retransmits its SYN when its initial retransmission timeout
(1 s, RFC 6298 §2.1 and Linux's TCP_TIMEOUT_INIT) expires.
"""
import socket
import time

from common import echo_once, listener, serve

PORT = 7201
srv = listener(PORT)
t = serve(echo_once, srv)
c = socket.create_connection(("127.0.0.1", PORT), timeout=10)
c.sendall(b"hello\n")
assert c.recv(100) == b"hello\n"
time.sleep(0.05)
c.close()
t.join()
