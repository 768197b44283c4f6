"""Nagle: ten 1-byte writes on 127.0.0.1:7205 (Nagle on) and on 127.0.0.1:7206 (TCP_NODELAY).

Both servers delay their ACKs (TCP_QUICKACK 0 puts Linux in its delayed-ACK mode), the way a
server does that answers only once the request is complete. With Nagle's algorithm
(RFC 896; RFC 1122 §4.2.3.4) the client sends the first byte at once and holds the other nine
until that byte is ACKed, then sends them as one segment. With TCP_NODELAY each write leaves
as a segment of its own. The server answers `ok` after the ten bytes.
"""
import socket
import time

from common import listener, serve

WRITES = 10


def answer(srv):
    c, _ = srv.accept()
    got = b""
    while len(got) < WRITES:
        # Re-armed before each read: Linux leaves the delayed-ACK mode after sending an ACK.
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
        got += c.recv(100)
    c.sendall(b"ok")
    c.recv(100)
    c.close()


def run(port, nodelay):
    srv = listener(port)
    t = serve(answer, srv)
    c = socket.create_connection(("127.0.0.1", port))
    if nodelay:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    time.sleep(0.1)
    for _ in range(WRITES):
        c.send(b"x")
    assert c.recv(100) == b"ok"
    c.close()
    t.join()
    srv.close()


run(7205, False)
time.sleep(0.2)
run(7206, True)
