"""close() with unread data: the server on 127.0.0.1:7203 closes without reading the request.

The client sends 6 bytes; the server's kernel ACKs them, the application never reads them and
calls close(): with data still in the receive queue Linux sends RST instead of FIN
(RFC 9293 §3.6: "a TCP SHOULD send a RST to show that data was lost", RFC 2525 §2.17).
"""
import socket
import time

from common import listener, serve

PORT = 7203


def rude(srv):
    c, _ = srv.accept()
    time.sleep(0.3)  # the request arrives and is ACKed, but is never read
    c.close()


srv = listener(PORT)
t = serve(rude, srv)
c = socket.create_connection(("127.0.0.1", PORT))
c.sendall(b"hello\n")
t.join()
try:
    c.recv(100)
except ConnectionResetError:
    pass
c.close()
