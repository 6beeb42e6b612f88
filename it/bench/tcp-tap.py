#!/usr/bin/python3
"""A TCP tap (not a test): listens on LISTEN_PORT, forwards every connection to TARGET_HOST:TARGET_PORT and records
each direction of connection N byte for byte in PREFIX-N-h2c.bin (host to target) and PREFIX-N-c2h.bin (target to
host). Used to capture what the kernel's NVMe/TCP host sends, for the codec's tests.

    tcp-tap.py LISTEN_PORT TARGET_HOST TARGET_PORT PREFIX
"""
import socket
import sys
import threading


def pump(src, dst, out):
    with open(out, "wb") as f:
        while True:
            try:
                b = src.recv(65536)
            except OSError:
                b = b""
            if not b:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            f.write(b)
            f.flush()
            dst.sendall(b)


def main():
    port, host, tport, prefix = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    n = 0
    while True:
        c, _ = ls.accept()
        t = socket.create_connection((host, tport))
        for s in (c, t):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(c, t, f"{prefix}-{n}-h2c.bin"), daemon=True).start()
        threading.Thread(target=pump, args=(t, c, f"{prefix}-{n}-c2h.bin"), daemon=True).start()
        n += 1


main()
