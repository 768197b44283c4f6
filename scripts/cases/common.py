"""Shared helpers of the case programs: a listening socket and a thread running a server."""
import socket
import threading


def listener(port, family=socket.AF_INET, host="127.0.0.1", rcvbuf=0):
    """A listening TCP socket on host:port (SO_REUSEADDR, optionally a small receive buffer)."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        # Set before listen() so that the accepted socket inherits it and the SYN-ACK
        # already announces the small window.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((host, port))
    s.listen(4)
    return s


def serve(target, *args):
    """Runs target(*args) in a thread; returns the thread to join."""
    t = threading.Thread(target=target, args=args)
    t.start()
    return t


def echo_once(srv):
    """Accepts one connection, echoes until the peer closes, then closes."""
    c, _ = srv.accept()
    while True:
        data = c.recv(4096)
        if not data:
            break
        c.sendall(data)
    c.close()
