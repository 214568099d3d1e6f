# flood.py PORT CONNECTIONS SECONDS: opens CONNECTIONS TCP connections to the
# hub at 127.0.0.1:PORT from the loopback addresses 127.0.0.2, 127.0.0.3, ...
# (four from each), sends each a ZMTP 3 greeting for CURVE and then a command
# frame declared as 16 MiB, and writes its bytes for SECONDS: what a peer with
# no key can do before the handshake.  Prints how many connections took how
# many MiB before the hub shut them.
import socket, sys, threading, time
port, conns, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
greeting = b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"CURVE".ljust(20, b"\0") + b"\0" + b"\0" * 31
size = (16 << 20) - 64
frame = b"\x06" + size.to_bytes(8, "big")
sent = [0] * conns
def one(i):
    try:
        s = socket.socket()
        s.bind(("127.0.0.%d" % (2 + i // 4), 0))
        s.settimeout(secs)
        s.connect(("127.0.0.1", port))
        s.sendall(greeting + frame)
        chunk = b"\0" * 65536
        end = time.time() + secs
        while time.time() < end and sent[i] < size:
            s.sendall(chunk)
            sent[i] += len(chunk)
        time.sleep(max(0, end - time.time()))
        s.close()
    except OSError:
        pass
ts = [threading.Thread(target=one, args=(i,)) for i in range(conns)]
for t in ts: t.start()
for t in ts: t.join()
print("%d connections sent %d MiB" % (sum(1 for x in sent if x), sum(sent) >> 20))
