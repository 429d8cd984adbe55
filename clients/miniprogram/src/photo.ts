// Photo evidence: a small PNG made on the spot (different for every seed, so every upload
// is a new object) and its upload as `wx.uploadFile` sends it (multipart `POST /mp/evidence`).

import { randomUUID } from "node:crypto";
import { deflateSync } from "node:zlib";
import { type Api, type Schemas, expectStatus, write } from "./client.js";

type EvidenceForm = Schemas["EvidenceForm"];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A 64×48 RGB PNG, a gradient that differs for every `seed`. */
export function png(seed: number): Buffer {
  const width = 64;
  const height = 48;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, deflate, adaptive filter, no interlace
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // each row starts with filter type 0 (none)
    for (let x = 0; x < width; x++) {
      raw.set([(x * 4 + seed) & 0xff, (y * 5 + seed * 3) & 0xff, (seed * 7) & 0xff], row + 1 + x * 3);
    }
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array()),
  ]);
}

/**
 * The multipart form of an upload. The generated type has the photo as `file: string`
 * (openapi-typescript's rendering of `format: binary`); the loop carries the bytes there
 * base64-encoded and sends them as the `file` part.
 */
function multipart(form: EvidenceForm): FormData {
  const fd = new FormData();
  fd.set("client_id", form.client_id);
  fd.set("owner_kind", form.owner_kind);
  fd.set("owner_id", String(form.owner_id));
  fd.set("phase", form.phase);
  if (form.captured_at != null) fd.set("captured_at", form.captured_at);
  if (form.latitude != null) fd.set("latitude", String(form.latitude));
  if (form.longitude != null) fd.set("longitude", String(form.longitude));
  const bytes = Buffer.from(form.file, "base64");
  fd.set("file", new Blob([bytes], { type: "image/png" }), `${form.phase}-${form.client_id}.png`);
  return fd;
}

/** Uploads a fresh photo of `finding` in `phase`; the server's record of it. */
export async function uploadFindingPhoto(
  api: Api,
  step: string,
  finding: number,
  phase: "before" | "progress" | "after",
  seed: number,
): Promise<Schemas["EvidenceView"]> {
  const form: EvidenceForm = {
    client_id: randomUUID(),
    owner_kind: "finding",
    owner_id: finding,
    phase,
    captured_at: new Date().toISOString(),
    file: png(seed).toString("base64"),
  };
  const res = await api.POST("/mp/evidence", {
    params: { header: write() },
    body: form,
    bodySerializer: multipart,
  });
  return expectStatus(step, res, [201]);
}
