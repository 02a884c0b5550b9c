/**
 * How the generator writes values: CSV quoting (RFC 4180), Python list literals, dates, durations,
 * and {@link ByteSink}, the batched CSV writer with backpressure.
 */
import { once } from "node:events";
import * as fs from "node:fs";

export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Python's `repr()` of a string, as pandas wrote list columns into the public dataset. */
export function pyRepr(s: string): string {
  if (s.indexOf("'") < 0 && s.indexOf("\\") < 0 && s.indexOf("\n") < 0) return `'${s}'`;
  const escaped = s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  if (s.includes("'") && !s.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/** A Python list repr like `['pop', 'dance pop']` (`[]` when empty). */
export function pyList(items: readonly string[]): string {
  return `[${items.map(pyRepr).join(", ")}]`;
}

export function formatDate(year: number, month: number, day: number, precision: number): string {
  const y = String(year);
  if (precision === 0) return y;
  const m = month < 10 ? `0${month}` : String(month);
  if (precision === 1) return `${y}-${m}`;
  return `${y}-${m}-${day < 10 ? `0${day}` : String(day)}`;
}

export const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Median track length (ms) by release year: shorter in the 60s, longest in the 90s. */
export function medianDurationMs(year: number): number {
  const knots: readonly [number, number][] = [
    [1950, 165_000],
    [1970, 215_000],
    [1990, 262_000],
    [2005, 238_000],
    [2015, 215_000],
    [2023, 188_000],
  ];
  const first = knots[0] as [number, number];
  if (year <= first[0]) return first[1];
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i] as [number, number];
    const [x0, y0] = knots[i - 1] as [number, number];
    if (year <= x1) return y0 + ((y1 - y0) * (year - x0)) / (x1 - x0);
  }
  return (knots[knots.length - 1] as [number, number])[1];
}

/** Decimal strings of 0..9999, to skip number-to-string conversions in the hot loop. */
export const DECIMAL = Array.from({ length: 10_000 }, (_, i) => String(i));
/** Milliseconds 0..999 as 3 digits ("007") and as a trimmed fraction ("007" -> "007", "370" -> "37"). */
export const MS3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
export const FRACTION = MS3.map((s, i) => (i === 0 ? "0" : s.replace(/0+$/, "")));

/** A non-negative integer as text. */
export function decimal(n: number): string {
  return n < 10_000 ? (DECIMAL[n] as string) : String(n);
}

/** Seconds with pandas' float formatting (`215.373`, `215.37`, `215.0`). */
export function formatSeconds(ms: number): string {
  const whole = Math.floor(ms / 1000);
  return `${decimal(whole)}.${FRACTION[ms - whole * 1000] as string}`;
}

/** Milliseconds as an integer string, from the same tables. */
export function formatMs(ms: number): string {
  const whole = Math.floor(ms / 1000);
  return whole === 0 ? String(ms) : `${decimal(whole)}${MS3[ms - whole * 1000] as string}`;
}

/** The n-th variant, cycling. */
export function pickCycle(items: readonly string[], n: number): string {
  return items[n % items.length] as string;
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

export const FLUSH_AT = (4 << 20) - (1 << 20);
/** Rows encoded per native write: 256 rows of at most ~2 KiB each stay far below 1 MiB. */
export const BATCH_ROWS = 256;

/**
 * Encodes CSV rows into a buffer, a batch of rows per native call, and hands full buffers to a
 * file stream (with backpressure). Only a small batch of row strings is alive at a time, so
 * garbage stays young.
 */
export class ByteSink {
  private buf = Buffer.allocUnsafe(4 << 20);
  private pos = 0;
  private pending: string[] = [];
  /** Data rows written so far (the header is not counted). */
  lines = 0;

  constructor(private readonly stream?: fs.WriteStream) {}

  /** Opens `file` for writing and writes the header line. */
  static open(file: string, header: readonly string[]): ByteSink {
    const sink = new ByteSink(fs.createWriteStream(file));
    sink.pos = sink.buf.write(`${header.join(",")}\n`, 0);
    return sink;
  }

  /** Writes one data row (fields already quoted); rows are encoded in batches. */
  row(line: string): void {
    this.pending.push(line);
    this.lines++;
    if (this.pending.length >= BATCH_ROWS) this.encodePending();
  }

  /** Encodes the pending rows with one native call (the per-call cost outweighs the bytes). */
  private encodePending(): void {
    if (this.pending.length === 0) return;
    this.pending.push("");
    this.pos += this.buf.write(this.pending.join("\n"), this.pos);
    this.pending = [];
  }

  /** True once the buffer should be handed to the stream with {@link ByteSink.flush}. */
  get full(): boolean {
    return this.pos >= FLUSH_AT;
  }

  /** Hands the buffer to the stream, waiting while the stream is backed up. */
  async flush(): Promise<void> {
    this.encodePending();
    if (this.pos === 0 || !this.stream) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.pos = 0;
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    await this.flush();
    if (!this.stream) return;
    const finished = once(this.stream, "finish");
    this.stream.end();
    await finished;
  }

  destroy(): void {
    this.stream?.destroy();
  }
}

/** The fields of one albums.csv row, text already CSV-quoted where needed. */
export interface AlbumRow {
  trackName: string;
  trackId: string;
  trackNumber: string;
  duration: string;
  albumType: string;
  /** CSV of the `artists` field. */
  artistsList: string;
  totalTracks: number;
  albumName: string;
  releaseDate: string;
  label: string;
  albumPopularity: number;
  albumId: string;
  artistId: string;
  /** CSV of `,artist_0,...,artist_11`. */
  artistCols: string;
  durationMs: number;
}

/** One albums.csv line; text fields of {@link AlbumRow} arrive already quoted. */
export function albumLine(r: AlbumRow): string {
  return (
    `${r.trackName},${r.trackId},${r.trackNumber},${r.duration},${r.albumType},` +
    `${r.artistsList},${decimal(r.totalTracks)},${r.albumName},${r.releaseDate},${r.label},` +
    `${decimal(r.albumPopularity)},${r.albumId},${r.artistId}${r.artistCols},` +
    formatSeconds(r.durationMs)
  );
}
