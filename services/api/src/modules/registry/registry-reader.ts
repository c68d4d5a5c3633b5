import { createHash } from "node:crypto";
import {
  csvColumns,
  csvRecord,
  FINESS_STRUCTURE_FIELDS,
  finessRecord,
  isDepartement,
  isFiness,
  judgeRecord,
  type LineVerdict,
  REFUSAL_REASONS,
  type RefusedData,
  type RegistryCsvColumn,
  type RegistryFields,
  type RegistryMappings,
} from "@pris/domain";
import { parse as parseLine } from "csv-parse/sync";
import iconv from "iconv-lite";
import { ValidationError } from "../../errors.ts";

/** Refused lines listed in a preview; a file refused beyond this is mostly garbage: the rest is counted. */
export const MAX_LISTED_REFUSALS = 5_000;
/** Enough of the file's start to tell its format (a FINESS header record and a first structureet). */
const HEAD_BYTES = 64 * 1024;
/** No line of either format comes near this: past it the file is not text we read. */
const MAX_LINE_BYTES = 1 << 20;

export type RegistryFormat = "finess" | "csv";

export interface ReadCounts {
  records: number;
  geolocations: number;
  outOfRegion: number;
  notFollowed: number;
  refusedNotListed: number;
}

export interface RegistryFileReading {
  format: RegistryFormat;
  sha256: string;
  counts: ReadCounts;
  /** The region's lines that make an establishment, in file order. */
  accepted: { line: number; fields: RegistryFields }[];
  refused: { line: number; reason: string; data: RefusedData }[];
  /** Every FINESS of the region the file names, whatever became of its line: not "missing". */
  seen: Set<string>;
  lastLine: number;
}

/** The whole file is unusable (not a registry file, not text, a line without end): 400 naming /file. */
export class RegistryFileError extends ValidationError {
  constructor(message: string) {
    super([{ field: "/file", message }], "The file cannot be read as a registry extract");
  }
}

type Detected = { format: "finess" } | { format: "csv"; delimiter: string };

function detect(head: Buffer): Detected {
  if (head.length === 0) throw new RegistryFileError("is empty");
  if (head.includes(0)) throw new RegistryFileError("is not a text file");
  // Both formats start in ASCII: latin1 reads the start whatever the encoding.
  const lines = head.toString("latin1").replace(/^ï»¿/, "").split(/\r?\n/, 3);
  if (lines.slice(0, 2).some((l) => /^"?(structureet|geolocalisation)"?;/.test(l)))
    return { format: "finess" };
  const header = lines[0] ?? "";
  const delimiter = header.split(";").length >= header.split(",").length ? ";" : ",";
  const names = header.split(delimiter).map((n) => n.replace(/"/g, "").trim().toLowerCase());
  if (names.includes("finess") && names.includes("name")) return { format: "csv", delimiter };
  throw new RegistryFileError(
    "is neither a FINESS extract (semicolon-separated structureet records) nor a CSV whose first line names its columns (finess, name, …)",
  );
}

/**
 * Reads a registry file as it arrives, never whole: its first bytes tell the format, then the bytes are
 * cut into lines. Another département's line of the FINESS extract is told apart on its bytes and
 * dropped; every other line is decoded by iconv-lite (Windows-1252 for the FINESS extract, UTF-8 for a
 * CSV) and read by csv-parse. Decoding only what may be kept is what keeps memory flat: decoding the
 * whole national file filled the API's young generation with 48 MB of text (+60 MB resident). Memory
 * holds the region's lines only.
 */
export async function readRegistryFile(
  source: AsyncIterable<Buffer>,
  mappings: RegistryMappings,
): Promise<RegistryFileReading> {
  const hash = createHash("sha256");
  const chunks = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < HEAD_BYTES) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    headLength += next.value.length;
  }
  const detected = detect(Buffer.concat(head));
  const reading = new Reading(mappings, detected);
  const lines = new LineSplitter((buf, from, to) => reading.line(buf, from, to));
  for (const chunk of head) {
    hash.update(chunk);
    lines.push(chunk);
  }
  while (!ended) {
    const next = await chunks.next();
    if (next.done) break;
    hash.update(next.value);
    lines.push(next.value);
  }
  lines.end();
  reading.refuseDuplicates();
  return { ...reading.result(), sha256: hash.digest("hex") };
}

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const SEMICOLON = 0x3b;
const QUOTE = 0x22;
const GEOLOCATION = Buffer.from("geolocalisation;");
const STRUCTURE = Buffer.from("structureet;");

/**
 * Cuts bytes into lines ("\n" or "\r\n") as they arrive, without decoding them: both encodings read here
 * (Windows-1252, UTF-8) never use the newline byte inside a character. A line is handed over as a range
 * of the chunk it is in; only a line across two chunks is copied.
 */
class LineSplitter {
  private carry: Buffer | null = null;
  private count = 0;

  constructor(private readonly onLine: (buf: Buffer, from: number, to: number) => void) {}

  push(chunk: Buffer) {
    let start = 0;
    if (this.carry) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        this.check();
        return;
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
      this.carry = null;
      this.emit(line, 0, line.length);
      start = nl + 1;
    }
    for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      this.emit(chunk, start, nl);
      start = nl + 1;
    }
    // A copy: the rest of a line must not keep the whole chunk.
    if (start < chunk.length) this.carry = Buffer.from(chunk.subarray(start));
    this.check();
  }

  end() {
    if (this.carry) this.emit(this.carry, 0, this.carry.length);
    this.carry = null;
  }

  private check() {
    if (this.carry && this.carry.length > MAX_LINE_BYTES) {
      throw new RegistryFileError(
        `has a line longer than 1 MiB (line ${this.count + 1}): it is not a registry file`,
      );
    }
  }

  private emit(buf: Buffer, from: number, to: number) {
    this.count++;
    this.onLine(buf, from, to > from && buf[to - 1] === RETURN ? to - 1 : to);
  }
}

function startsWith(buf: Buffer, from: number, to: number, prefix: Buffer): boolean {
  if (to - from < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[from + i] !== prefix[i]) return false;
  return true;
}

function blank(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0x20 && buf[i] !== 0x09) return false;
  return true;
}

class Reading {
  readonly counts: ReadCounts = {
    records: 0,
    geolocations: 0,
    outOfRegion: 0,
    notFollowed: 0,
    refusedNotListed: 0,
  };
  accepted: { line: number; fields: RegistryFields }[] = [];
  readonly refused: { line: number; reason: string; data: RefusedData }[] = [];
  /** Lines of each FINESS of the region: a number on two lines is refused on both. */
  readonly linesOf = new Map<string, number[]>();
  lastLine = 0;
  private readonly format: RegistryFormat;
  private readonly encoding: string;
  private columns: Partial<Record<RegistryCsvColumn, number>> | undefined;
  private width = 0;

  constructor(
    private readonly mappings: RegistryMappings,
    private readonly detected: Detected,
  ) {
    this.format = detected.format;
    this.encoding = detected.format === "finess" ? "win1252" : "utf8";
  }

  /** One line of the file, as bytes; numbered from 1, blank ones included. */
  line(buf: Buffer, from: number, to: number) {
    const n = ++this.lastLine;
    if (blank(buf, from, to)) return;
    if (this.detected.format === "finess") this.finess(n, buf, from, to);
    else this.csv(n, iconv.decode(buf.subarray(from, to), this.encoding), this.detected.delimiter);
  }

  result() {
    return {
      format: this.format,
      counts: this.counts,
      accepted: this.accepted,
      refused: this.refused.sort((a, b) => a.line - b.line),
      seen: new Set(this.linesOf.keys()),
      lastLine: this.lastLine,
    };
  }

  private refuse(line: number, reason: string, data: RefusedData, noted = false) {
    this.lastLine = Math.max(this.lastLine, line);
    if (!noted && data.finess && isFiness(data.finess)) this.note(data.finess, line);
    if (this.refused.length < MAX_LISTED_REFUSALS) this.refused.push({ line, reason, data });
    else this.counts.refusedNotListed++;
  }

  private note(finess: string, line: number) {
    const lines = this.linesOf.get(finess);
    if (lines) lines.push(line);
    else this.linesOf.set(finess, [line]);
  }

  private take(line: number, verdict: LineVerdict) {
    switch (verdict.kind) {
      case "out_of_region":
        this.counts.outOfRegion++;
        return;
      case "not_followed":
        this.counts.notFollowed++;
        this.note(verdict.finess, line);
        return;
      case "refused":
        this.refuse(line, verdict.reason, verdict.data);
        return;
      case "accepted":
        this.note(verdict.fields.finess, line);
        this.accepted.push({ line, fields: verdict.fields });
    }
  }

  /** A line whose fields cannot be trusted: another département's if its département field says so. */
  private malformed(line: number, fields: readonly string[], reason: string) {
    const departement = fields[13]?.trim() ?? "";
    if (isDepartement(departement) && !this.mappings.regionDepartements.has(departement)) {
      this.counts.outOfRegion++;
      return;
    }
    const finess = fields[1]?.trim();
    this.refuse(line, reason, {
      problem: "malformed",
      ...(finess ? { finess } : {}),
      ...(isDepartement(departement) ? { departement } : {}),
    });
  }

  /** A number on several lines: none of them is imported, each says where the others are. */
  refuseDuplicates() {
    const kept: typeof this.accepted = [];
    for (const row of this.accepted) {
      const lines = this.linesOf.get(row.fields.finess)!;
      if (lines.length === 1) {
        kept.push(row);
        continue;
      }
      this.refuse(
        row.line,
        REFUSAL_REASONS.duplicate(row.fields.finess, lines),
        { problem: "duplicate", finess: row.fields.finess, name: row.fields.name },
        true,
      );
    }
    this.accepted = kept;
  }

  /**
   * The FINESS extract, one record per line. A line without quotes is split on ";" (what csv-parse
   * would make of it), enough to drop another département's record at once — 98 % of a national file;
   * every line the region may keep, or that holds quotes, is read by csv-parse.
   */
  private finess(n: number, buf: Buffer, from: number, to: number) {
    const expected = FINESS_STRUCTURE_FIELDS.length;
    if (startsWith(buf, from, to, GEOLOCATION)) {
      this.counts.geolocations++;
      return;
    }
    const structure = startsWith(buf, from, to, STRUCTURE);
    // The first record is the extract's header (finess;etalab;…).
    if (n === 1 && !structure) return;
    const quote = buf.indexOf(QUOTE, from);
    const quoted = quote >= 0 && quote < to;
    if (!quoted && structure) {
      const departement = otherDepartement(buf, from, to, expected);
      if (departement !== undefined && !this.mappings.regionDepartements.has(departement)) {
        this.counts.records++;
        this.counts.outOfRegion++;
        return;
      }
    }
    // Decoded on its own: nothing kept from this line holds on to the chunk it came in.
    const text = iconv.decode(buf.subarray(from, to), this.encoding);
    let fields: string[];
    if (!quoted) {
      fields = text.split(";");
    } else {
      try {
        fields = readLine(text, ";");
      } catch {
        this.counts.records++;
        this.malformed(n, text.split(";"), REFUSAL_REASONS.malformedQuotes());
        return;
      }
    }
    fields = fields.map((f) => f.trim());
    if (fields[0] === "geolocalisation") {
      this.counts.geolocations++;
      return;
    }
    this.counts.records++;
    if (fields[0] !== "structureet") {
      this.malformed(n, fields, REFUSAL_REASONS.malformedKind(fields[0] ?? ""));
      return;
    }
    if (fields.length === expected + 1 && fields[expected] === "") fields.pop();
    if (fields.length !== expected) {
      this.malformed(n, fields, REFUSAL_REASONS.malformedCount(fields.length, expected));
      return;
    }
    this.take(n, judgeRecord(finessRecord(fields), this.mappings, "finess"));
  }

  /**
   * A hand-made CSV, one establishment per line (a cell may be quoted, not span lines): its first line
   * names the columns. Each line is read by csv-parse on its own, so that a quote left open spoils
   * that line and no other.
   */
  private csv(n: number, text: string, delimiter: string) {
    let fields: string[];
    try {
      fields = readLine(text, delimiter).map((f) => f.trim());
    } catch {
      if (!this.columns)
        throw new RegistryFileError("has a first line that cannot be read as CSV column names");
      this.counts.records++;
      this.refuse(n, REFUSAL_REASONS.malformedQuotes(), { problem: "malformed" });
      return;
    }
    if (!this.columns) {
      const read = csvColumns(fields);
      if ("error" in read) throw new RegistryFileError(read.error);
      this.columns = read.columns;
      this.width = fields.length;
      return;
    }
    this.counts.records++;
    if (fields.length !== this.width) {
      const finess = this.columns.finess !== undefined ? fields[this.columns.finess] : undefined;
      this.refuse(n, REFUSAL_REASONS.malformedCount(fields.length, this.width), {
        problem: "malformed",
        ...(finess ? { finess } : {}),
      });
      return;
    }
    this.take(n, judgeRecord(csvRecord(this.columns, fields), this.mappings, "csv"));
  }
}

/**
 * The département of a well-formed structureet line without quotes (its 14th field), found without
 * splitting the line: most of a national file is only this read. undefined when the line does not have
 * the extract's field count (the full reading then says why).
 */
function otherDepartement(buf: Buffer, from: number, to: number, fields: number): string | undefined {
  let separators = 0;
  let start = -1;
  let end = -1;
  for (let at = buf.indexOf(SEMICOLON, from); at >= 0 && at < to; at = buf.indexOf(SEMICOLON, at + 1)) {
    separators++;
    if (separators === 13) start = at + 1;
    else if (separators === 14) end = at;
  }
  const trailingEmpty = separators === fields && buf[to - 1] === SEMICOLON;
  if ((separators !== fields - 1 && !trailingEmpty) || start < 0 || end < 0) return undefined;
  return buf.toString("latin1", start, end).trim();
}

/** One line's fields by csv-parse: quoted cells, doubled quotes, stray quotes inside a cell. */
function readLine(text: string, delimiter: string): string[] {
  const records = parseLine(text, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][];
  return records[0] ?? [];
}
