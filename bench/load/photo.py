"""A small photo for the upload round of bench/load.sh, made here so the benchmark needs
no image tool: a 320x240 grey JPEG (baseline, one component) of a gradient with noise,
a few kilobytes. Standard library only.

    python3 bench/load/photo.py OUT.jpg

Huffman tables are flat on purpose (every DC category 4 bits, every AC symbol 8 bits):
valid for any decoder, never the all-ones code JPEG reserves, and no table to get wrong.
"""

import math
import struct
import sys

W, H = 320, 240
# The JPEG example luminance table (ITU T.81 Annex K), row by row.
QUANT = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]
# Zig-zag order: row-major indices sorted by anti-diagonal, alternating direction.
ZIGZAG = sorted(range(64), key=lambda i: (i // 8 + i % 8, (i % 8) if (i // 8 + i % 8) % 2 == 0 else i // 8))
DC_SYMBOLS = list(range(12))
AC_SYMBOLS = [0x00, 0xF0] + [(run << 4) | size for run in range(16) for size in range(1, 11)]
DC_CODE = {s: (i, 4) for i, s in enumerate(DC_SYMBOLS)}
AC_CODE = {s: (i, 8) for i, s in enumerate(AC_SYMBOLS)}
COS = [[math.cos((2 * x + 1) * u * math.pi / 16) * (math.sqrt(0.5) if u == 0 else 1.0) for x in range(8)] for u in range(8)]


def pixels():
    state = 0x2545F491
    out = []
    for y in range(H):
        row = []
        for x in range(W):
            state ^= (state << 13) & 0xFFFFFFFF
            state ^= state >> 17
            state ^= (state << 5) & 0xFFFFFFFF
            row.append(max(0, min(255, 40 + x * 150 // W + y * 60 // H + state % 17 - 8)))
        out.append(row)
    return out


def dct(block):
    # Separable 8x8 DCT-II: rows, then columns.
    rows = [[sum(COS[u][x] * block[y][x] for x in range(8)) / 2 for u in range(8)] for y in range(8)]
    return [[sum(COS[v][y] * rows[y][u] for y in range(8)) / 2 for u in range(8)] for v in range(8)]


class Bits:
    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)  # byte stuffing
                self.acc, self.n = 0, 0

    def finish(self):
        while self.n:
            self.put(1, 1)
        return bytes(self.out)


def category(v):
    size = abs(v).bit_length()
    return size, (v if v >= 0 else v + (1 << size) - 1)


def scan(img):
    bits, previous = Bits(), 0
    for by in range(0, H, 8):
        for bx in range(0, W, 8):
            coef = dct([[img[by + y][bx + x] - 128 for x in range(8)] for y in range(8)])
            q = [round(coef[i // 8][i % 8] / QUANT[i]) for i in range(64)]
            zz = [q[i] for i in ZIGZAG]
            size, extra = category(zz[0] - previous)
            previous = zz[0]
            bits.put(*DC_CODE[size])
            bits.put(extra, size)
            run = 0
            last = max((k for k in range(1, 64) if zz[k]), default=0)
            for k in range(1, last + 1):
                if zz[k] == 0:
                    run += 1
                    continue
                while run > 15:
                    bits.put(*AC_CODE[0xF0])
                    run -= 16
                size, extra = category(max(-1023, min(1023, zz[k])))
                bits.put(*AC_CODE[(run << 4) | size])
                bits.put(extra, size)
                run = 0
            if last < 63:
                bits.put(*AC_CODE[0x00])
    return bits.finish()


def segment(marker, body):
    return struct.pack(">HH", marker, len(body) + 2) + body


def table(cls, symbols, length):
    counts = [0] * 16
    counts[length - 1] = len(symbols)
    return bytes([cls << 4]) + bytes(counts) + bytes(symbols)


def jpeg():
    return b"".join([
        b"\xff\xd8",
        segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        segment(0xFFDB, bytes([0]) + bytes(QUANT[i] for i in ZIGZAG)),
        segment(0xFFC0, struct.pack(">BHHB", 8, H, W, 1) + bytes([1, 0x11, 0])),
        segment(0xFFC4, table(0, DC_SYMBOLS, 4) + table(1, AC_SYMBOLS, 8)),
        segment(0xFFDA, bytes([1, 1, 0x00, 0, 63, 0])),
        scan(pixels()),
        b"\xff\xd9",
    ])


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        f.write(jpeg())
