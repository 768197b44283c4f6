"""HTTP/1.1 keep-alive and HTTP/1.0 close on 127.0.0.1:7208 (argument: 1.1 or 1.0).

The server is Python's http.server speaking HTTP/1.1. With `1.1` the client sends two
requests on one connection (a persistent connection, RFC 9112 §9.3) and then closes it.
With `1.0` the client sends one HTTP/1.0 request without Keep-Alive and the server closes the
connection after the response (RFC 9112 §9.3: an HTTP/1.0 request is not persistent unless it
asks), so the server's FIN comes first.
"""
import http.client
import http.server
import socket
import sys

from common import serve

PORT = 7208
BODY = b"<p>hello</p>\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "case"
    sys_version = ""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


class Server(http.server.HTTPServer):
    allow_reuse_address = True


srv = Server(("127.0.0.1", PORT), Handler)
t = serve(srv.handle_request)
if sys.argv[1] == "1.1":
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    for path in ("/a.html", "/b.html"):
        conn.request("GET", path)
        assert conn.getresponse().read() == BODY
    conn.close()
else:
    c = socket.create_connection(("127.0.0.1", PORT))
    c.sendall(b"GET /a.html HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
    reply = b""
    while True:
        data = c.recv(4096)
        if not data:
            break
        reply += data
    assert reply.endswith(BODY), reply
    c.close()
t.join()
srv.server_close()
