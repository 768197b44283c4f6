"""UDP to a closed port: one datagram to 127.0.0.1:7207 and one to [::1]:7207, where nothing listens.

Each is answered by the kernel with an ICMP destination unreachable, port unreachable
(ICMP type 3 code 3, RFC 792; RFC 1122 §4.1.3.1) or ICMPv6 type 1 code 4 (RFC 4443 §3.1);
the client's next recv() fails with ECONNREFUSED because the socket is connected.
"""
import socket
import time

PORT = 7207
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.connect((host, PORT))
    s.send(b"anyone there?")
    s.settimeout(1)
    try:
        s.recv(100)
    except ConnectionRefusedError:
        pass
    s.close()
    time.sleep(0.1)
