"""Zero window: a receiver on 127.0.0.1:7202 that does not read until its window is full.

The server's receive buffer is small (SO_RCVBUF 4096 before listen()). The client sends
24 KiB at once; the server sleeps 2 s before reading, so its window falls to zero, the
client's zero-window probes go unanswered but for ACKs repeating the zero window, and when the
server reads, window updates open the window again (RFC 9293 §3.8.6.1).
"""
import socket
import time

from common import listener, serve

PORT = 7202
TOTAL = 24 * 1024


def slow_reader(srv):
    c, _ = srv.accept()
    time.sleep(2.0)
    got = 0
    while True:
        data = c.recv(4096)
        if not data:
            break
        got += len(data)
    assert got == TOTAL, got
    c.close()


srv = listener(PORT, rcvbuf=4096)
t = serve(slow_reader, srv)
c = socket.create_connection(("127.0.0.1", PORT))
c.sendall(bytes(range(256)) * (TOTAL // 256))
c.shutdown(socket.SHUT_WR)
c.recv(10)
c.close()
t.join()
