import { constants, crc32, deflateRawSync } from "node:zlib";

/**
 * Zip archives built at test time, zip bombs among them, by a minimal writer over Node's zlib (a
 * library's wrapper would add nothing the tests need: one compression method, no streaming, no zip64).
 */
export interface ZipEntry {
  name: string;
  /** The entry's bytes, or a run of zeros given by its length (compressed without ever being held whole). */
  content: Buffer | { zeros: number };
}

interface Packed {
  name: Buffer;
  crc: number;
  size: number;
  compressed: Buffer;
}

const ZEROS_CHUNK = 1024 * 1024;

/**
 * A run of zeros as raw deflate: each 1 MB is compressed on its own and ended by a sync flush, which
 * leaves it byte-aligned and not final, so that the same ~1 kB can be repeated as often as wanted; an
 * empty final block closes the stream. The CRC-32 is carried over the chunks the same way.
 */
function packZeros(length: number): { crc: number; compressed: Buffer } {
  const zeros = Buffer.alloc(Math.min(length, ZEROS_CHUNK));
  const whole = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const parts: Buffer[] = [];
  let crc = 0;
  let left = length;
  while (left >= ZEROS_CHUNK) {
    parts.push(whole);
    crc = crc32(zeros, crc);
    left -= ZEROS_CHUNK;
  }
  if (left > 0) {
    const tail = zeros.subarray(0, left);
    parts.push(deflateRawSync(tail, { level: 9, finishFlush: constants.Z_SYNC_FLUSH }));
    crc = crc32(tail, crc);
  }
  parts.push(Buffer.from([0x03, 0x00]));
  return { crc, compressed: Buffer.concat(parts) };
}

function pack(entry: ZipEntry): Packed {
  const name = Buffer.from(entry.name, "utf8");
  if (Buffer.isBuffer(entry.content)) {
    return {
      name,
      crc: crc32(entry.content),
      size: entry.content.length,
      compressed: deflateRawSync(entry.content, { level: 9 }),
    };
  }
  return { name, size: entry.content.zeros, ...packZeros(entry.content.zeros) };
}

/** A zip archive (deflate, UTF-8 names, no zip64: every size under 4 GiB). */
export function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries.map(pack)) {
    if (e.size >= 0xffffffff) throw new Error("zip: entry too large for a zip without zip64");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 name
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.compressed.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(e.name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.compressed.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(e.name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, e.name, e.compressed);
    centrals.push(central, e.name);
    offset += local.length + e.name.length + e.compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * A zip bomb in the manner of 42.zip: `width` copies of a file of `leafBytes` zeros, zipped, then
 * `width` copies of that archive zipped, `depth` times over. A few kilobytes that unpack to
 * leafBytes × width^depth bytes.
 */
export function nestedZipBomb(options: { leafBytes: number; width: number; depth: number }): {
  archive: Buffer;
  unpackedBytes: number;
} {
  const { leafBytes, width, depth } = options;
  let level = zip(
    Array.from({ length: width }, (_, i) => ({ name: `${i}.bin`, content: { zeros: leafBytes } })),
  );
  for (let d = 1; d < depth; d++) {
    const inner = level;
    level = zip(Array.from({ length: width }, (_, i) => ({ name: `${d}-${i}.zip`, content: inner })));
  }
  return { archive: level, unpackedBytes: leafBytes * width ** depth };
}

/** An archive in an archive in an archive…, `depth` deep, around one small text file. */
export function deepZip(depth: number): Buffer {
  let level = zip([{ name: "lisez-moi.txt", content: Buffer.from("rien à voir ici\n") }]);
  for (let d = 1; d < depth; d++) level = zip([{ name: `niveau-${d}.zip`, content: level }]);
  return level;
}
