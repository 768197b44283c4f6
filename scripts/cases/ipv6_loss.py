"""IPv6 loss: a 64 KiB transfer from [::1] to [::1]:7209 while nftables drops some segments.

The recording script drops every 12th data segment from the client in the input hook, after
tcpdump has seen it (lo's MTU is 1500 there and segmentation offloads are off, so each segment
is one packet): the capture shows each lost segment, the duplicate ACKs with SACK blocks that
report the data past the hole (RFC 2018), and the retransmission (RFC 6675, RFC 5681 §3.2).
"""
import socket

from common import listener, serve

PORT = 7209
TOTAL = 64 * 1024


def drain(srv):
    c, _ = srv.accept()
    got = 0
    while True:
        data = c.recv(65536)
        if not data:
            break
        got += len(data)
    assert got == TOTAL, got
    c.close()


srv = listener(PORT, family=socket.AF_INET6, host="::1")
t = serve(drain, srv)
c = socket.create_connection(("::1", PORT))
c.sendall(bytes(range(256)) * (TOTAL // 256))
c.shutdown(socket.SHUT_WR)
c.recv(10)
c.close()
t.join()
