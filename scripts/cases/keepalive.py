"""Keep-alive: an idle connection on 127.0.0.1:7204 whose client probes it every second.

The client sets SO_KEEPALIVE with TCP_KEEPIDLE 1 s and TCP_KEEPINTVL 1 s, then sends nothing
for 3.5 s: the kernel sends a keep-alive probe (seq one below the next byte, no data) after
1 s of silence and every second after that, each answered by an ACK (RFC 9293 §3.8.4,
RFC 1122 §4.2.3.6).
"""
import socket
import time

from common import listener, serve

PORT = 7204


def idle(srv):
    c, _ = srv.accept()
    c.recv(100)  # returns b"" at the client's close
    c.close()


srv = listener(PORT)
t = serve(idle, srv)
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5)
c.connect(("127.0.0.1", PORT))
time.sleep(3.5)
c.close()
t.join()
