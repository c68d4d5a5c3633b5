import { createHash } from "node:crypto";
import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
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
const MAX_LINE_CHARS = 1 << 20;

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
 * decoded (Windows-1252 for the FINESS extract, UTF-8 for a CSV) and read line by line. Memory holds
 * the region's lines only; other départements' are counted and dropped as they pass.
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
  async function* bytes() {
    for (const chunk of head) {
      hash.update(chunk);
      yield chunk;
    }
    while (!ended) {
      const next = await chunks.next();
      if (next.done) break;
      hash.update(next.value);
      yield next.value;
    }
  }
  // iconv-lite's decoder is a Transform whose readable side gives strings.
  const decoder = iconv.decodeStream(
    detected.format === "finess" ? "win1252" : "utf8",
  ) as unknown as Transform & AsyncIterable<string>;
  const decoding = pipeline(Readable.from(bytes()), decoder);
  // The pipeline's own failure (the upload cut off, the size limit) reaches the reader through the
  // decoder it destroys; this only keeps it from being reported twice.
  decoding.catch(() => {});

  const reading = new Reading(mappings, detected.format);
  if (detected.format === "finess") await reading.finess(decoder);
  else await reading.csv(decoder, detected.delimiter);
  await decoding;
  reading.refuseDuplicates();
  return { ...reading.result(), sha256: hash.digest("hex") };
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

  constructor(
    private readonly mappings: RegistryMappings,
    private readonly format: RegistryFormat,
  ) {}

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

  /** Lines of text from decoded chunks, "\r\n" or "\n", numbered from 1. */
  private async *lines(decoded: AsyncIterable<string>): AsyncGenerator<[number, string]> {
    let rest = "";
    let n = 0;
    for await (const chunk of decoded) {
      const text = rest + chunk;
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield [++n, text.slice(start, end)];
        start = nl + 1;
      }
      rest = text.slice(start);
      if (rest.length > MAX_LINE_CHARS) {
        throw new RegistryFileError(
          `has a line longer than 1 MiB (line ${n + 1}): it is not a registry file`,
        );
      }
    }
    if (rest !== "") yield [++n, rest.endsWith("\r") ? rest.slice(0, -1) : rest];
  }

  /**
   * The FINESS extract, one record per line. A line without quotes is split on ";" (what csv-parse
   * would make of it), enough to drop another département's record at once — 98 % of a national file;
   * every line the region may keep, or that holds quotes, is read by csv-parse.
   */
  async finess(decoded: AsyncIterable<string>) {
    const expected = FINESS_STRUCTURE_FIELDS.length;
    const region = this.mappings.regionDepartements;
    for await (const [n, line] of this.lines(decoded)) {
      this.lastLine = n;
      if (line.trim() === "") continue;
      if (line.startsWith("geolocalisation;")) {
        this.counts.geolocations++;
        continue;
      }
      // The first record is the extract's header (finess;etalab;…).
      if (n === 1 && !line.startsWith("structureet;")) continue;
      let fields: string[];
      const quoted = line.includes('"');
      if (!quoted && line.startsWith("structureet;")) {
        const departement = otherDepartement(line, expected);
        if (departement !== undefined && !region.has(departement)) {
          this.counts.records++;
          this.counts.outOfRegion++;
          continue;
        }
      }
      const text = detach(line);
      if (!quoted) {
        fields = text.split(";");
      } else {
        try {
          fields = readLine(text, ";");
        } catch {
          this.counts.records++;
          this.malformed(n, text.split(";"), REFUSAL_REASONS.malformedQuotes());
          continue;
        }
      }
      fields = fields.map((f) => f.trim());
      if (fields[0] === "geolocalisation") {
        this.counts.geolocations++;
        continue;
      }
      this.counts.records++;
      if (fields[0] !== "structureet") {
        this.malformed(n, fields, REFUSAL_REASONS.malformedKind(fields[0] ?? ""));
        continue;
      }
      if (fields.length === expected + 1 && fields[expected] === "") fields.pop();
      if (fields.length !== expected) {
        this.malformed(n, fields, REFUSAL_REASONS.malformedCount(fields.length, expected));
        continue;
      }
      this.take(n, judgeRecord(finessRecord(fields), this.mappings, "finess"));
    }
  }

  /**
   * A hand-made CSV, one establishment per line (a cell may be quoted, not span lines): its first line
   * names the columns. Each line is read by csv-parse on its own, so that a quote left open spoils
   * that line and no other.
   */
  async csv(decoded: AsyncIterable<string>, delimiter: string) {
    let columns: Partial<Record<RegistryCsvColumn, number>> | undefined;
    let width = 0;
    for await (const [n, line] of this.lines(decoded)) {
      this.lastLine = n;
      if (line.trim() === "") continue;
      const text = detach(line);
      let fields: string[];
      try {
        fields = readLine(text, delimiter).map((f) => f.trim());
      } catch {
        if (!columns) throw new RegistryFileError("has a first line that cannot be read as CSV column names");
        this.counts.records++;
        this.refuse(n, REFUSAL_REASONS.malformedQuotes(), { problem: "malformed" });
        continue;
      }
      if (!columns) {
        const read = csvColumns(fields);
        if ("error" in read) throw new RegistryFileError(read.error);
        columns = read.columns;
        width = fields.length;
        continue;
      }
      this.counts.records++;
      if (fields.length !== width) {
        const finess = columns.finess !== undefined ? fields[columns.finess] : undefined;
        this.refuse(n, REFUSAL_REASONS.malformedCount(fields.length, width), {
          problem: "malformed",
          ...(finess ? { finess } : {}),
        });
        continue;
      }
      this.take(n, judgeRecord(csvRecord(columns, fields), this.mappings, "csv"));
    }
  }
}

/**
 * A copy of a line that owns its characters. A line is a slice of the decoded chunk it came in, and so
 * is every field cut from it: keeping one field of a kept line would keep the whole 64 KiB chunk alive
 * (a national file's region lines, one or two per chunk, would hold the file in memory).
 */
function detach(line: string): string {
  return ` ${line}`.slice(1);
}

/**
 * The département of a well-formed structureet line without quotes (its 14th field), found without
 * splitting the line: most of a national file is only this read. undefined when the line does not have
 * the extract's field count (the full reading then says why).
 */
function otherDepartement(text: string, fields: number): string | undefined {
  let separators = 0;
  let start = -1;
  let end = -1;
  for (let at = text.indexOf(";"); at >= 0; at = text.indexOf(";", at + 1)) {
    separators++;
    if (separators === 13) start = at + 1;
    else if (separators === 14) end = at;
  }
  const trailingEmpty = separators === fields && text.endsWith(";");
  if ((separators !== fields - 1 && !trailingEmpty) || start < 0 || end < 0) return undefined;
  return text.slice(start, end).trim();
}

/** One line's fields by csv-parse: quoted cells, doubled quotes, stray quotes inside a cell. */
function readLine(text: string, delimiter: string): string[] {
  const records = parseLine(text, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][];
  return records[0] ?? [];
}
