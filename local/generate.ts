/**
 * Deterministic generator of a Spotify-like sample in the layout of the public "Spotify Dataset
 * 2023" (albums.csv, artists.csv, tracks.csv), with realistic distributions and a small, known
 * number of dirty rows of every kind the transform quarantines.
 *
 * Same options, same bytes: all randomness comes from the seeded {@link Rng}; no clock, no
 * `Math.random`.
 */
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { Rng } from "./rng";

/** The three input files of a batch. */
export type InputFile = "albums" | "artists" | "tracks";

/** Row-level quarantine reasons (docs/contracts.md). */
export type QuarantineReason =
  | "missing_key"
  | "bad_number"
  | "bad_date"
  | "bad_boolean"
  | "duplicate_row"
  | "duplicate_key"
  | "orphan_artist"
  | "orphan_track";

/** The header of albums.csv, in order. */
export const ALBUMS_COLUMNS: readonly string[] = [
  "track_name",
  "track_id",
  "track_number",
  "duration_ms",
  "album_type",
  "artists",
  "total_tracks",
  "album_name",
  "release_date",
  "label",
  "album_popularity",
  "album_id",
  "artist_id",
  ...Array.from({ length: 12 }, (_, i) => `artist_${i}`),
  "duration_sec",
];

/** The header of artists.csv, in order. */
export const ARTISTS_COLUMNS: readonly string[] = [
  "id",
  "name",
  "artist_popularity",
  "artist_genres",
  "followers",
  ...Array.from({ length: 7 }, (_, i) => `genre_${i}`),
];

/** The header of tracks.csv, in order. */
export const TRACKS_COLUMNS: readonly string[] = ["id", "track_popularity", "explicit"];

type AlbumPlan = Exclude<QuarantineReason, "bad_boolean">;

/** Which dirty kinds are planted in which file. */
export const DIRTY_KINDS: Readonly<Record<InputFile, readonly QuarantineReason[]>> = {
  albums: [
    "missing_key",
    "bad_number",
    "bad_date",
    "duplicate_row",
    "duplicate_key",
    "orphan_artist",
    "orphan_track",
  ],
  artists: ["missing_key", "bad_number", "duplicate_row", "duplicate_key"],
  tracks: ["missing_key", "bad_number", "bad_boolean", "duplicate_row", "duplicate_key"],
};

/** Seed the command line uses when none is given. */
export const DEFAULT_SEED = 42;
/** Share of albums rows planted dirty when `dirtyShare` is not given. */
export const DEFAULT_DIRTY_SHARE = 0.01;
/** Smallest `tracks` that leaves room for at least one dirty row of every kind. */
export const MIN_TRACKS_WITH_DIRTY = 20;
/** Largest accepted `tracks` (keeps a typo from filling the disk). */
export const MAX_TRACKS = 50_000_000;
/** The latest release year in the sample (the dataset is from 2023). */
export const LATEST_YEAR = 2023;

/** Options of {@link generateSample}. */
export interface GenerateOptions {
  /** Rows of albums.csv (one per album track) and of tracks.csv. */
  tracks: number;
  /** Seed of the pseudo-random generator: same seed, same bytes. */
  seed: number;
  /** Folder to write the three CSVs into (created if missing; files are overwritten). */
  outDir: string;
  /**
   * Share of albums rows planted dirty, spread evenly over the albums dirty kinds; artists get
   * the same share of their rows, tracks about half of it (each tracks dirty row needs a slot
   * that no clean album row uses). Every kind gets at least one row when the share is above 0.
   * @default 0.01
   */
  dirtyShare?: number;
  /**
   * Extra share of albums rows planted as `orphan_artist` (an orphan spike, 0 to 0.5), on top of
   * `dirtyShare`: a batch the quality gates must stop.
   * @default 0
   */
  orphanSpike?: number;
  /** Called about every 100k albums rows and once at the end. */
  onProgress?: (progress: { rows: number; total: number }) => void;
}

/** Result of {@link generateSample}. */
export interface GenerateResult {
  /** Absolute paths of the files written. */
  files: Record<InputFile, string>;
  /** Data rows (header excluded) written per file. */
  rows: Record<InputFile, number>;
  /**
   * Dirty rows planted per file and reason. Each row has exactly one problem, and none causes a
   * cascade: rejected artists and tracks rows are never referenced by a clean album row.
   * `duplicate_row` rows are exact copies of a clean row written earlier. `duplicate_key` counts
   * the conflicting later rows; the earlier row with the same key is clean (a transform that
   * rejects every row of a conflicting key rejects twice this number). Albums are keyed by
   * `track_id` (the conflicting copy also keeps `album_id` and `artist_id`).
   */
  planted: Record<InputFile, Partial<Record<QuarantineReason, number>>>;
}

/** Public-dataset genres, grouped in scenes so an artist's genres belong together. */
const SCENES: Record<string, readonly string[]> = {
  pop: ["pop", "dance pop", "post-teen pop", "electropop", "art pop", "indie pop", "europop"],
  hiphop: ["rap", "hip hop", "trap", "southern hip hop", "pop rap", "melodic rap", "drill"],
  rock: ["rock", "modern rock", "alternative rock", "indie rock", "garage rock", "classic rock"],
  electronic: ["edm", "house", "electro house", "techno", "big room", "deep house", "trance"],
  latin: ["latin pop", "reggaeton", "urbano latino", "trap latino", "latin", "mexican pop"],
  kpop: ["k-pop", "k-pop boy group", "k-pop girl group", "korean r&b"],
  jpop: ["j-pop", "j-rock", "anime", "japanese singer-songwriter", "city pop"],
  classical: ["classical", "early romantic era", "compositional ambient", "neo-classical"],
  nordic: ["icelandic pop", "icelandic indie", "nordic folk", "post-rock", "scandinavian r&b"],
  rnb: ["r&b", "contemporary r&b", "neo soul", "soul", "urban contemporary"],
  country: ["country", "contemporary country", "country road", "modern country rock"],
  jazz: ["jazz", "contemporary jazz", "cool jazz", "vocal jazz", "jazz fusion"],
  metal: ["metal", "alternative metal", "nu metal", "thrash metal", "hard rock", "glam metal"],
  kids: ["children's music", "kids dance party", "cartoon", "children's folk"],
  folk: ["folk", "indie folk", "stomp and holler", "singer-songwriter", "chamber folk"],
  lofi: ["lo-fi beats", "chillhop", "study beats", "lo-fi chill"],
};
const SCENE_NAMES = Object.keys(SCENES);
const EXPLICIT_SCENES = new Set(["hiphop", "latin", "metal"]);

/** Real names (diacritics, CJK, Hangul, Cyrillic, Arabic, commas, quotes, `&`, `<`). */
const FAMOUS: readonly (readonly [string, string])[] = [
  ["Björk", "nordic"],
  ["Sigur Rós", "nordic"],
  ["坂本龍一", "classical"],
  ["Beyoncé", "rnb"],
  ["Rosalía", "latin"],
  ["Mötley Crüe", "metal"],
  ["Motörhead", "metal"],
  ["Røyksopp", "electronic"],
  ["Ólafur Arnalds", "classical"],
  ["Café Tacvba", "latin"],
  ["Maná", "latin"],
  ["宇多田ヒカル", "jpop"],
  ["방탄소년단", "kpop"],
  ["Tiësto", "electronic"],
  ["Françoise Hardy", "pop"],
  ["Jóhann Jóhannsson", "classical"],
  ["Daði Freyr", "nordic"],
  ["Die Ärzte", "rock"],
  ["Simon & Garfunkel", "folk"],
  ["Earth, Wind & Fire", "rnb"],
  ["Crosby, Stills, Nash & Young", "folk"],
  ["Tyler, The Creator", "hiphop"],
  ["Panic! At The Disco", "rock"],
  ['"Weird Al" Yankovic', "pop"],
  ["Guns N' Roses", "metal"],
  ["AC/DC", "metal"],
  ["Sunn O)))", "metal"],
  ["!!!", "electronic"],
  ["Céline Dion", "pop"],
  ["Stromae", "pop"],
  ["MØ", "pop"],
  ["Ásgeir", "nordic"],
  ["Дмитрий Шостакович", "classical"],
  ["فيروز", "jazz"],
  ["米津玄師", "jpop"],
  ["Bad Bunny", "latin"],
  ["Hozier", "folk"],
  ["Lil Nas X", "hiphop"],
  ["The Weeknd", "rnb"],
  ["Hearts <3 Static", "lofi"],
];

const FIRST = (
  "Ana|Zoë|José|Søren|Łukasz|Ngozi|Ayşe|Mateo|Chiara|Nkechi|Hana|Aiko|Émile|Inès|Björn" +
  "|Kai|Leila|Ravi|Priya|Oluwaseun|Mai|Linh|Dário|Joaquín|Renée|Noémie|Anaïs|Malik|Yara" +
  "|Freya|Thandiwe|Kwame|Saoirse|Siobhán|Ciarán|Dmitri|Katya|Ingrid|Mikael|Nils|Tomás" +
  "|Marisol|Catalina|Luz|Valentina|Jonah|Maya|Theo|Iris|Leo|Nina|Oscar|Ruby|Sam|Tess" +
  "|Wren|Jamal|Keisha|Dev|Aurora|Elif|Farah|Gustav|Hugo|Ida|Jules|Kenji|Lola|Milo|Nora" +
  "|Omar|Paz|Quinn|Rafael|Selin|Tariq|Uma|Vera|Wei|Xóchitl|Yusuf|Zainab"
).split("|");
const LAST = (
  "Marquez|Okafor|Nguyễn|Sørensen|Kowalski|Yılmaz|Tanaka|Moreau|Müller|Đorđević" +
  "|Fernández|García|O'Brien|Bianchi|Haddad|Kim|Park|Silva|Santos|Novák|Virtanen" +
  "|Lindqvist|Adeyemi|Mensah|Costa|Rossi|Dubois|Jensen|Hansen|Petrov|Ivanova|Khan|Patel" +
  "|Singh|Chen|Wang|Li|Suzuki|Sato|Watanabe|Lopez|Reyes|Cruz|Morales|Ortiz|Walker|Hayes" +
  "|Brooks|Bennett|Fox|Hart|Lane|Stone|Vale|West|Young|Żak|Åberg|Ó Súilleabháin|MacLeod" +
  "|DeLuca|van Dijk|de la Cruz|St. James"
).split("|");
/** CJK family and given names per language, combined within a language only. */
const CJK_NAMES: readonly (readonly [readonly string[], readonly string[]])[] = [
  [
    ["李", "王", "张", "陈", "刘"],
    ["娜", "伟", "芳", "静", "磊"],
  ],
  [
    ["山田", "佐藤", "鈴木", "高橋", "中村"],
    ["花子", "健", "さくら", "ゆい", "翔太"],
  ],
  [
    ["김", "박", "이", "최", "정"],
    ["민지", "서연", "지훈", "하늘", "도윤"],
  ],
];
const ADJ = (
  "Golden|Midnight|Velvet|Electric|Silver|Hollow|Neon|Wild|Quiet|Broken|Crimson|Paper" +
  "|Distant|Lucky|Sleepy|Cosmic|Northern|Blue|Restless|Tender|Savage|Lonely|Frozen" +
  "|Burning|Secret|Little|Pale|Bright|Heavy|Sweet|Strange|Honest|Glass|Endless|Sacred" +
  "|Lost|Young"
).split("|");
const NOUN = (
  "Harbor|Fox|Echo|Ocean|Garden|River|Horizon|Signal|Ghost|Mirror|Summer|Winter" +
  "|Satellite|Window|Heart|Fire|Rain|Desert|Highway|Moon|Star|Island|Machine|Kingdom" +
  "|Dream|Shadow|Thunder|Orchid|Lantern|Comet|Tide|Canyon|Forest|Atlas|Prism|Static" +
  "|Engine|Wolf|Cathedral|Paradise|Telephone|Postcard|Corazón|Sakura|Ninja|Velvet"
).split("|");
const PLURAL = (
  "Foxes|Echoes|Ghosts|Mirrors|Satellites|Wolves|Comets|Lanterns|Strangers|Kings" +
  "|Daughters|Brothers|Machines|Orchids|Tides|Sparks"
).split("|");
const WORLD_TITLES = (
  "夜に駆ける|Привет, мир|Ça va|Über den Wolken|Hjartað|さくら|Ñandú|사랑해|Saudade|Fika|Mañana" +
  "|Déjà vu|Jóga|Sí, señor|Été indien"
).split("|");
const PLACES = (
  "Reykjavík|Montréal|São Paulo|Tōkyō|Berlin|Lagos|Brooklyn|Düsseldorf|Ciudad de México" +
  "|Seoul|Abbey Road|the Royal Albert Hall|Red Rocks|Budokan"
).split("|");
const LABELS = (
  "Columbia|Interscope Records|Republic Records|Atlantic Records|XL Recordings" +
  "|One Little Independent Records|Warner Records|Domino Recording Co|Sub Pop Records" +
  "|Def Jam Recordings|Parlophone UK|Island Records|Capitol Records|Virgin Records" +
  "|Nonesuch|Rough Trade|Ninja Tune|Warp Records|4AD|Epic|RCA Records Label" +
  "|Universal Music Japan|commmons|Deutsche Grammophon (DG)|Sony Classical|BIGHIT MUSIC" +
  "|Secretly Canadian|Matador|Because Music|Ed Banger Records|Smekkleysa" +
  "|Big Machine Records, LLC|Sony Music Entertainment México, S.A. de C.V." +
  "|Self-released|Rimas Entertainment LLC|Motown Records|Chillhop Music|Nuclear Blast" +
  "|Mercury KX"
).split("|");
const VERSIONS = (
  " - Remastered 2011| - Live| - Acoustic| - Radio Edit| (Demo)| - Remix| (Deluxe)" +
  "| - Instrumental| (Live at Budokan)| - 2009 Remaster"
).split("|");

/** Variants of bad values, cycled deterministically. */
const BAD_INT = ["3:45", "A1", "twelve", "85%", "1e3x", "1,234", "--"];
const BAD_FOLLOWERS = ["1.2M", "12k", "1,234", "lots", "~5000"];
const BAD_DATES = ["2019-02-30", "13/05/2019", "unknown", "0000-00-00", "2019-13", "20190"];
const BAD_BOOLEANS = ["maybe", "unknown", "explicit", "N/A", "clean?"];

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE62_CODES = Array.from(BASE62, (c) => c.charCodeAt(0));
const ID_SPACE = 62 ** 5;
/** Coprime with 62, so `n * ID_MIX mod 62^5` is a bijection: ids end in a unique suffix. */
const ID_MIX = 1_000_003;

/** Quotes a CSV field per RFC 4180 when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Python's `repr()` of a string, as pandas wrote list columns into the public dataset. */
function pyRepr(s: string): string {
  if (s.indexOf("'") < 0 && s.indexOf("\\") < 0 && s.indexOf("\n") < 0) return `'${s}'`;
  const escaped = s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  if (s.includes("'") && !s.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/** A Python list repr like `['pop', 'dance pop']` (`[]` when empty). */
function pyList(items: readonly string[]): string {
  return `[${items.map(pyRepr).join(", ")}]`;
}

interface Artist {
  id: string;
  name: string;
  scene: string;
  popularity: number;
  followers: number;
  genres: string[];
  label: string;
  /** CSV of the `artists` field of a solo track (`['Name']`, quoted as needed). */
  csvList: string;
  /** CSV of `,artist_0,...,artist_11` of a solo track. */
  csvCols: string;
}

/** A zero-padded ISO date of the given precision. */
function formatDate(year: number, month: number, day: number, precision: number): string {
  const y = String(year);
  if (precision === 0) return y;
  const m = month < 10 ? `0${month}` : String(month);
  if (precision === 1) return `${y}-${m}`;
  return `${y}-${m}-${day < 10 ? `0${day}` : String(day)}`;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Median track length (ms) by release year: shorter in the 60s, longest in the 90s. */
function medianDurationMs(year: number): number {
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
const DECIMAL = Array.from({ length: 10_000 }, (_, i) => String(i));
/** Milliseconds 0..999 as 3 digits ("007") and as a trimmed fraction ("007" -> "007", "370" -> "37"). */
const MS3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
const FRACTION = MS3.map((s, i) => (i === 0 ? "0" : s.replace(/0+$/, "")));

/** A non-negative integer as text. */
function decimal(n: number): string {
  return n < 10_000 ? (DECIMAL[n] as string) : String(n);
}

/** Seconds with pandas' float formatting (`215.373`, `215.37`, `215.0`). */
function formatSeconds(ms: number): string {
  const whole = Math.floor(ms / 1000);
  return `${decimal(whole)}.${FRACTION[ms - whole * 1000] as string}`;
}

/** Milliseconds as an integer string, from the same tables. */
function formatMs(ms: number): string {
  const whole = Math.floor(ms / 1000);
  return whole === 0 ? String(ms) : `${decimal(whole)}${MS3[ms - whole * 1000] as string}`;
}

/** The n-th variant, cycling. */
function pickCycle(items: readonly string[], n: number): string {
  return items[n % items.length] as string;
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

function validate(opts: GenerateOptions): string[] {
  const problems: string[] = [];
  const { tracks, seed, outDir } = opts;
  const dirtyShare = opts.dirtyShare ?? DEFAULT_DIRTY_SHARE;
  if (!Number.isInteger(tracks) || tracks < 1 || tracks > MAX_TRACKS) {
    problems.push(`tracks must be a whole number from 1 to ${MAX_TRACKS}; got ${tracks}.`);
  } else if (dirtyShare > 0 && tracks < MIN_TRACKS_WITH_DIRTY) {
    problems.push(
      `tracks must be at least ${MIN_TRACKS_WITH_DIRTY} to plant every dirty kind; got ${tracks}. ` +
        `Use ${MIN_TRACKS_WITH_DIRTY} or more tracks, or dirtyShare 0.`,
    );
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    problems.push(`seed must be a whole number >= 0; got ${seed}.`);
  }
  if (!(dirtyShare >= 0 && dirtyShare <= 0.2)) {
    problems.push(`dirtyShare must be between 0 and 0.2 (e.g. 0.01 for 1%); got ${dirtyShare}.`);
  }
  const spike = opts.orphanSpike ?? 0;
  if (!(spike >= 0 && spike <= 0.5)) {
    problems.push(`orphanSpike must be between 0 and 0.5 (e.g. 0.4 for 40%); got ${spike}.`);
  }
  if (typeof outDir !== "string" || outDir.trim() === "") {
    problems.push(`outDir must be a folder path; got ${JSON.stringify(outDir)}.`);
  }
  return problems;
}

const FLUSH_AT = (4 << 20) - (1 << 20);
/** Rows encoded per native write: 256 rows of at most ~2 KiB each stay far below 1 MiB. */
const BATCH_ROWS = 256;

/**
 * Encodes CSV rows into a buffer, a batch of rows per native call, and hands full buffers to a
 * file stream (with backpressure). Only a small batch of row strings is alive at a time, so
 * garbage stays young.
 */
class ByteSink {
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
interface AlbumRow {
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
function albumLine(r: AlbumRow): string {
  return (
    `${r.trackName},${r.trackId},${r.trackNumber},${r.duration},${r.albumType},` +
    `${r.artistsList},${decimal(r.totalTracks)},${r.albumName},${r.releaseDate},${r.label},` +
    `${decimal(r.albumPopularity)},${r.albumId},${r.artistId}${r.artistCols},` +
    formatSeconds(r.durationMs)
  );
}

/**
 * Writes albums.csv, artists.csv and tracks.csv of a Spotify-like sample into `outDir`.
 *
 * albums.csv and tracks.csv get exactly `tracks` data rows each; artists.csv about one row per
 * twelve tracks plus its dirty rows. Artists are Zipf-distributed over albums (popular artists
 * have many albums), albums are singles, EPs, albums and compilations, durations are log-normal
 * around 3.5 minutes with a trend by year, release years lean recent with some year-only and
 * year-month dates, names carry unicode, commas, quotes and the odd line break (RFC 4180 quoted).
 *
 * @returns the paths written, the data rows per file and the dirty rows planted per file and
 *   reason (see {@link GenerateResult.planted}).
 * @throws Error naming every invalid option, its value and the accepted range.
 */
export async function generateSample(opts: GenerateOptions): Promise<GenerateResult> {
  const problems = validate(opts);
  if (problems.length > 0) {
    throw new Error(`generateSample: invalid options:\n- ${problems.join("\n- ")}`);
  }
  const total = opts.tracks;
  const share = opts.dirtyShare ?? DEFAULT_DIRTY_SHARE;
  const rng = new Rng(opts.seed);
  const outDir = path.resolve(opts.outDir);
  fs.mkdirSync(outDir, { recursive: true });
  const files: Record<InputFile, string> = {
    albums: path.join(outDir, "albums.csv"),
    artists: path.join(outDir, "artists.csv"),
    tracks: path.join(outDir, "tracks.csv"),
  };

  let idCounter = 0;
  const idCodes: number[] = new Array<number>(22).fill(0);
  const newId = (): string => {
    // 17 random characters, five per draw (62^5 < 2^32).
    for (let i = 0; i < 17; i += 5) {
      let r = Math.floor(rng.float() * ID_SPACE);
      for (let j = i; j < i + 5 && j < 17; j++) {
        idCodes[j] = BASE62_CODES[r % 62] as number;
        r = Math.floor(r / 62);
      }
    }
    let n = (idCounter++ * ID_MIX) % ID_SPACE;
    for (let i = 21; i >= 17; i--) {
      idCodes[i] = BASE62_CODES[n % 62] as number;
      n = Math.floor(n / 62);
    }
    return String.fromCharCode(...idCodes);
  };

  // ---- dirty plan -------------------------------------------------------------------------
  const perAlbumKind = share > 0 ? Math.max(1, Math.round((total * share) / 7)) : 0;
  const perTrackKind = share > 0 ? Math.max(1, Math.floor((2 * perAlbumKind) / 3)) : 0;
  // Every tracks dirty row (and both rows of a duplicate_key pair) needs a tracks slot that no
  // clean album row uses; orphan_track album rows free one each, so plant enough of them.
  const freedByOthers = 3 * perAlbumKind; // missing_key, duplicate_row, duplicate_key rows
  const orphanTracks = share > 0 ? Math.max(perAlbumKind, 6 * perTrackKind - freedByOthers) : 0;
  const albumCounts: Record<AlbumPlan, number> = {
    missing_key: perAlbumKind,
    bad_number: perAlbumKind,
    bad_date: perAlbumKind,
    orphan_artist: perAlbumKind + Math.round(total * (opts.orphanSpike ?? 0)),
    orphan_track: orphanTracks,
    duplicate_row: perAlbumKind,
    duplicate_key: perAlbumKind,
  };
  const extraAlbumRows = albumCounts.duplicate_row + albumCounts.duplicate_key;
  const baseRows = total - extraAlbumRows; // album rows generated from the model

  // Row index -> in-place problem or "source of a duplicate".
  const albumPlan = new Map<number, AlbumPlan>();
  for (const kind of Object.keys(albumCounts) as AlbumPlan[]) {
    for (let i = 0; i < albumCounts[kind]; i++) {
      let index: number;
      do index = rng.int(1, baseRows - 1);
      while (albumPlan.has(index));
      albumPlan.set(index, kind);
    }
  }

  // Tracks slots freed by album rows that need no tracks row of their own.
  const trackSlots =
    albumCounts.missing_key +
    albumCounts.orphan_track +
    albumCounts.duplicate_row +
    albumCounts.duplicate_key;
  type TrackExtra = "missing_key" | "bad_number" | "bad_boolean" | "dup_row" | "dk_base" | "dk";
  const trackExtras: TrackExtra[] = [];
  for (let i = 0; i < perTrackKind; i++) {
    trackExtras.push("missing_key", "bad_number", "bad_boolean", "dup_row", "dk_base", "dk");
  }
  const fillers = trackSlots - trackExtras.length;
  if (fillers < 0)
    throw new Error(`internal: ${trackSlots} tracks slots for ${trackExtras.length}`);
  rng.shuffle(trackExtras);
  // A conflicting copy must come after its clean first occurrence.
  for (let i = 0, open = 0; i < trackExtras.length; i++) {
    if (trackExtras[i] === "dk_base") open++;
    else if (trackExtras[i] === "dk") {
      if (open > 0) open--;
      else {
        const j = trackExtras.indexOf("dk_base", i + 1);
        trackExtras[j] = "dk";
        trackExtras[i] = "dk_base";
        open++;
      }
    }
  }
  // Spread clean filler rows (tracks with no album row in the sample) between the extras.
  const trackQueue: (TrackExtra | "filler")[] = [...trackExtras];
  for (let i = 0; i < fillers; i++) trackQueue.splice(rng.int(0, trackQueue.length), 0, "filler");
  let trackQueueNext = 0;

  // ---- artists ------------------------------------------------------------------------------
  const artistCount = Math.max(8, Math.ceil(total / 12));
  const usedNames = new Set<string>();
  const famous = rng.shuffle([...FAMOUS]);
  const artists: Artist[] = [];
  const cjkName = (): string => {
    const [family, given] = rng.pick(CJK_NAMES);
    return `${rng.pick(family)}${rng.pick(given)}`;
  };
  const inventName = (): string => {
    const r = rng.float();
    if (r < 0.28) {
      const middle = rng.chance(0.12) ? ` ${BASE62[rng.int(10, 35)]}.` : "";
      return `${rng.pick(FIRST)}${middle} ${rng.pick(LAST)}`;
    }
    if (r < 0.46) return inventWord(rng);
    if (r < 0.5) return `${rng.pick(["DJ", "MC", "Lil", "Yung", "Big"])} ${inventWord(rng)}`;
    if (r < 0.6) return `The ${rng.pick(ADJ)} ${rng.pick(PLURAL)}`;
    if (r < 0.7) return `${rng.pick(ADJ)} ${rng.pick(NOUN)}`;
    if (r < 0.75) return `${rng.pick(NOUN)} & the ${rng.pick(PLURAL)}`;
    if (r < 0.8) return `${inventWord(rng)} ${rng.pick(NOUN)}`;
    if (r < 0.85) {
      return `${rng.pick(FIRST)} ${rng.pick(LAST)} ${rng.pick(["Trio", "Quartet", "Band", "Ensemble"])}`;
    }
    if (r < 0.88) {
      return `${capitalize(rng.pick(PLACES))} ${rng.pick(["Philharmonic", "Orchestra", "Choir", "Collective"])}`;
    }
    if (r < 0.93) return `${rng.pick(NOUN)} ${rng.pick(NOUN)}`;
    return cjkName();
  };
  // Names are unique (the dashboard groups by name): retry, and number only as a last resort.
  const uniqueName = (candidate: () => string): string => {
    let name = candidate();
    for (let attempt = 0; usedNames.has(name) && attempt < 30; attempt++) name = candidate();
    for (let n = 2; usedNames.has(name); n++) name = `${name.replace(/ \d+$/, "")} ${n}`;
    usedNames.add(name);
    return name;
  };
  /** An artist of popularity rank `rank`; only referenced artists may get a famous name. */
  const makeArtist = (rank: number, count: number, allowFamous = true): Artist => {
    let name: string;
    let scene: string;
    const next = famous[famous.length - 1];
    if (allowFamous && next && rank < 400 && rng.chance(rank < 40 ? 0.35 : 0.05)) {
      famous.pop();
      name = uniqueName(() => next[0]);
      scene = next[1];
    } else {
      name = uniqueName(inventName);
      scene = rng.pick(SCENE_NAMES);
    }
    const rel = Math.log(rank + 1) / Math.log(count + 1);
    const popularity = Math.round(clamp(88 - 62 * rel + rng.normal() * 6, 0, 100));
    const followers = Math.round(Math.exp(6.2 + popularity * 0.12 + rng.normal() * 0.7));
    const pool = SCENES[scene] as readonly string[];
    const genreCount = rng.chance(0.22 - popularity / 600)
      ? 0
      : rng.int(1, Math.min(7, pool.length));
    const genres = rng.shuffle([...pool]).slice(0, genreCount);
    if (genreCount > 0 && genreCount < 7 && rng.chance(0.15)) {
      const other = rng.pick(SCENES[rng.pick(SCENE_NAMES)] as readonly string[]);
      if (!genres.includes(other)) genres.push(other);
    }
    const label = rng.pick(LABELS);
    const csvList = csvField(pyList([name]));
    const csvCols = `,${csvField(name)},,,,,,,,,,,`;
    return { id: newId(), name, scene, popularity, followers, genres, label, csvList, csvCols };
  };
  for (let rank = 0; rank < artistCount; rank++) artists.push(makeArtist(rank, artistCount));

  const artistLine = (
    a: Artist,
    popularity = String(a.popularity),
    followers = String(a.followers),
  ) => {
    const cols = [
      a.id,
      csvField(a.name),
      csvField(popularity),
      csvField(pyList(a.genres)),
      csvField(followers),
    ];
    for (let g = 0; g < 7; g++) cols.push(csvField(a.genres[g] ?? ""));
    return cols.join(",");
  };

  // Zipf-like album ownership: weight 1 / (rank + 8).
  const cumulative = new Float64Array(artistCount);
  {
    let sum = 0;
    for (let r = 0; r < artistCount; r++) {
      sum += 1 / (r + 8);
      cumulative[r] = sum;
    }
  }
  const zipfArtist = (): Artist => {
    const x = rng.float() * (cumulative[artistCount - 1] as number);
    let lo = 0;
    let hi = artistCount - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return artists[lo] as Artist;
  };

  // ---- writers ------------------------------------------------------------------------------
  const albumsOut = ByteSink.open(files.albums, ALBUMS_COLUMNS);
  const artistsOut = ByteSink.open(files.artists, ARTISTS_COLUMNS);
  const tracksOut = ByteSink.open(files.tracks, TRACKS_COLUMNS);
  const artistRow = (line: string): void => artistsOut.row(line);
  const trackRow = (id: string, popularity: string, explicit: string): void =>
    tracksOut.row(`${id},${csvField(popularity)},${explicit}`);
  const planted: GenerateResult["planted"] = { albums: {}, artists: {}, tracks: {} };
  const plant = (file: InputFile, reason: QuarantineReason): number => {
    const n = planted[file][reason] ?? 0;
    planted[file][reason] = n + 1;
    return n;
  };

  try {
    // artists.csv: the referenced artists in a shuffled order, dirty extras spread between.
    const perArtistKind = share > 0 ? Math.max(1, Math.round((artistCount * share) / 4)) : 0;
    const artistExtras: string[] = [];
    for (let i = 0; i < perArtistKind; i++)
      artistExtras.push("missing_key", "bad_number", "dup_row", "dk");
    const half = Math.floor(artistCount / 2);
    const order = rng.shuffle(Array.from({ length: artistCount }, (_, i) => i));
    const extraAt = new Map<number, string[]>();
    for (const kind of artistExtras) {
      const at = rng.int(1, artistCount - 1);
      extraAt.set(at, [...(extraAt.get(at) ?? []), kind]);
    }
    for (let i = 0; i < artistCount; i++) {
      for (const kind of extraAt.get(i) ?? []) {
        if (kind === "missing_key") {
          const a = makeArtist(rng.int(half, artistCount), artistCount, false);
          artistRow(artistLine({ ...a, id: "" }));
          plant("artists", "missing_key");
        } else if (kind === "bad_number") {
          const a = makeArtist(rng.int(half, artistCount), artistCount, false);
          const n = plant("artists", "bad_number");
          artistRow(
            n % 2 === 0
              ? artistLine(a, String(a.popularity), pickCycle(BAD_FOLLOWERS, n))
              : artistLine(a, pickCycle(BAD_INT, n)),
          );
        } else if (kind === "dup_row") {
          // An exact copy of a clean artist written earlier.
          const source = artists[order[rng.int(0, i - 1)] as number] as Artist;
          artistRow(artistLine(source));
          plant("artists", "duplicate_row");
        } else {
          // An unreferenced clean artist, then a conflicting row with the same id.
          const a = makeArtist(rng.int(half, artistCount), artistCount, false);
          artistRow(artistLine(a));
          artistRow(artistLine({ ...a, followers: a.followers + 1 + rng.int(0, 999) }));
          plant("artists", "duplicate_key");
        }
      }
      artistRow(artistLine(artists[order[i] as number] as Artist));
      if (artistsOut.full) await artistsOut.flush();
    }
    await artistsOut.close();

    // albums.csv and tracks.csv, album by album.
    let row = 0; // index among the model rows (0 .. baseRows - 1)
    let lastTrack: [string, string, string] = ["", "", ""];
    const dkBases: [string, string, string][] = [];
    const pendingAlbumCopies: { at: number; line: string }[] = [];
    const nextQueued = (): void => {
      const kind = trackQueue[trackQueueNext++];
      const pop = String(rng.int(0, 80));
      const explicit = rng.chance(0.15) ? "True" : "False";
      switch (kind) {
        case "missing_key":
          trackRow("", pop, explicit);
          plant("tracks", "missing_key");
          break;
        case "bad_number":
          trackRow(newId(), pickCycle(BAD_INT, plant("tracks", "bad_number")), explicit);
          break;
        case "bad_boolean":
          trackRow(newId(), pop, pickCycle(BAD_BOOLEANS, plant("tracks", "bad_boolean")));
          break;
        case "dup_row":
          trackRow(...lastTrack);
          plant("tracks", "duplicate_row");
          break;
        case "dk_base": {
          const base: [string, string, string] = [newId(), pop, explicit];
          dkBases.push(base);
          trackRow(...base);
          break;
        }
        case "dk": {
          const [id, basePop, baseExplicit] = dkBases.shift() as [string, string, string];
          if (plant("tracks", "duplicate_key") % 2 === 0) {
            trackRow(id, String((Number(basePop) + 7) % 101), baseExplicit);
          } else {
            trackRow(id, basePop, baseExplicit === "True" ? "False" : "True");
          }
          break;
        }
        default:
          trackRow(newId(), pop, explicit);
      }
    };
    const emitAlbumCopies = (): void => {
      while (pendingAlbumCopies.length > 0 && (pendingAlbumCopies[0] as { at: number }).at <= row) {
        albumsOut.row((pendingAlbumCopies.shift() as { line: string }).line);
        nextQueued();
      }
    };

    const progressEvery = 100_000;
    let nextProgress = progressEvery;
    while (row < baseRows) {
      const artist = zipfArtist();
      // Album type and size: singles (1-3), EPs (typed "single" like Spotify, 4-6), albums, compilations.
      const t = rng.float();
      let albumType: string;
      let totalTracks: number;
      if (t < 0.4) {
        albumType = "single";
        totalTracks = rng.chance(0.7) ? 1 : rng.int(2, 3);
      } else if (t < 0.5) {
        albumType = "single";
        totalTracks = rng.int(4, 6);
      } else if (t < 0.97) {
        albumType = "album";
        totalTracks = Math.round(clamp(12 + rng.normal() * 3.2, 7, 26));
      } else {
        albumType = "compilation";
        // Box sets give the long tail: most have 12-25 tracks, a few over 60.
        totalTracks = Math.min(120, 12 + Math.floor(rng.exponential(9)));
      }
      // Release date: recent years dominate; older albums more often year-only.
      const year = rng.chance(0.25)
        ? rng.int(1955, LATEST_YEAR)
        : Math.round(clamp(LATEST_YEAR - rng.exponential(8), 1955, LATEST_YEAR));
      const month = rng.int(1, 12);
      const day = rng.int(1, MONTH_DAYS[month - 1] as number);
      const pYear = year < 1985 ? 0.22 : 0.05;
      const pr = rng.float();
      const precision = pr < pYear ? 0 : pr < pYear + 0.04 ? 1 : 2;
      const releaseDate = formatDate(year, month, day, precision);
      const label = csvField(rng.chance(0.8) ? artist.label : rng.pick(LABELS));
      const recency = (year - 1950) / (LATEST_YEAR - 1950);
      const albumPopularity = Math.round(
        clamp(
          artist.popularity - rng.exponential(8) - (1 - recency) * 10 + rng.normal() * 4,
          0,
          100,
        ),
      );
      const albumId = newId();
      const albumName =
        albumType === "single" && totalTracks === 1 ? "" : csvField(inventAlbumName(rng, year));
      const medianMs = medianDurationMs(year) * (albumType === "compilation" ? 1.05 : 1);
      const classical = artist.scene === "classical";
      const explicitRate = EXPLICIT_SCENES.has(artist.scene) ? 0.55 : 0.07;

      for (let tn = 1; tn <= totalTracks && row < baseRows; tn++, row++) {
        const trackName = inventTrackName(rng);
        // Features: most tracks are by the album artist alone; classical credits run long.
        const names = [artist.name];
        const features =
          classical && rng.chance(0.3) ? rng.int(2, 11) : rng.chance(0.13) ? rng.int(1, 2) : 0;
        for (let f = 0; f < features; f++) {
          const other = zipfArtist().name;
          if (!names.includes(other)) names.push(other);
        }
        const interlude = /^(Intro|Outro|Interlude|Skit)/.test(trackName);
        const durationMs = Math.max(
          20_000,
          Math.round((interlude ? 70_000 : medianMs) * Math.exp(rng.normal() * 0.32)),
        );
        let trackId = newId();
        let artistId = artist.id;
        let trackNumber = decimal(tn);
        let duration = formatMs(durationMs);
        let date = releaseDate;
        const plan = albumPlan.get(row);
        let needsTrack = true;
        if (plan === "missing_key") {
          trackId = "";
          needsTrack = false;
          plant("albums", "missing_key");
        } else if (plan === "orphan_track") {
          trackId = newId(); // never written to tracks.csv
          needsTrack = false;
          plant("albums", "orphan_track");
        } else if (plan === "orphan_artist") {
          artistId = newId(); // never written to artists.csv
          plant("albums", "orphan_artist");
        } else if (plan === "bad_number") {
          const n = plant("albums", "bad_number");
          const bad = csvField(pickCycle(BAD_INT, n));
          if (n % 2 === 0) duration = bad;
          else trackNumber = bad;
        } else if (plan === "bad_date") {
          const n = plant("albums", "bad_date");
          date = pickCycle(BAD_DATES, n);
        }
        // `artists` and artist_0 .. artist_11, precomputed for the common solo track.
        let artistsList = artist.csvList;
        let artistCols = artist.csvCols;
        if (names.length > 1) {
          artistsList = csvField(pyList(names));
          let cols = "";
          for (let a = 0; a < 12; a++)
            cols += a < names.length ? `,${csvField(names[a] as string)}` : ",";
          artistCols = cols;
        }
        const trackField = csvField(trackName);
        const albumRow: AlbumRow = {
          trackName: trackField,
          trackId,
          trackNumber,
          duration,
          albumType,
          artistsList,
          totalTracks,
          albumName: albumName === "" ? trackField : albumName,
          releaseDate: date,
          label,
          albumPopularity,
          albumId,
          artistId,
          artistCols,
          durationMs,
        };
        albumsOut.row(albumLine(albumRow));
        if (plan === "duplicate_row" || plan === "duplicate_key") {
          if (plan === "duplicate_key") {
            // Same track, album and artist; a remastered duration conflicts.
            albumRow.durationMs += rng.int(1, 30) * 1000;
            albumRow.duration = formatMs(albumRow.durationMs);
          }
          pendingAlbumCopies.push({ at: row + rng.int(1, 400), line: albumLine(albumRow) });
          pendingAlbumCopies.sort((x, y) => x.at - y.at);
          plant("albums", plan);
        }

        if (needsTrack) {
          const popularity = Math.round(
            clamp(albumPopularity - (tn - 1) * 0.6 + rng.normal() * 7, 0, 100),
          );
          lastTrack = [trackId, decimal(popularity), rng.chance(explicitRate) ? "True" : "False"];
          trackRow(...lastTrack);
        } else {
          nextQueued();
        }
        emitAlbumCopies();
        if (row + 1 >= nextProgress) {
          opts.onProgress?.({ rows: albumsOut.lines, total });
          nextProgress += progressEvery;
        }
      }
      if (albumsOut.full) await albumsOut.flush();
      if (tracksOut.full) await tracksOut.flush();
    }
    // Copies planned past the last model row.
    for (const copy of pendingAlbumCopies) {
      albumsOut.row(copy.line);
      nextQueued();
      if (albumsOut.full) await albumsOut.flush();
      if (tracksOut.full) await tracksOut.flush();
    }
    await albumsOut.close();
    await tracksOut.close();
  } catch (error) {
    albumsOut.destroy();
    artistsOut.destroy();
    tracksOut.destroy();
    throw error;
  }
  opts.onProgress?.({ rows: albumsOut.lines, total });

  const rows = { albums: albumsOut.lines, artists: artistsOut.lines, tracks: tracksOut.lines };
  if (rows.albums !== total || rows.tracks !== total) {
    throw new Error(
      `internal: wrote ${rows.albums} albums and ${rows.tracks} tracks rows; expected ${total}`,
    );
  }
  return { files, rows, planted };
}

const ONSETS = "b|c|d|f|g|h|j|k|l|m|n|p|r|s|t|v|z|br|dr|kr|st|sh|th|ch|tr|gl|fl|y".split("|");
const VOWELS = "a|e|i|o|u|a|e|i|o|ai|ou|é|ö|å|ä".split("|");
const CODAS = ["", "", "", "n", "r", "x", "s", "l", "th", "k"];

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** An invented one-word name like "Kavomi" or "Zaröth". */
function inventWord(rng: Rng): string {
  const syllables = rng.int(2, 3);
  let word = "";
  for (let i = 0; i < syllables; i++) word += rng.pick(ONSETS) + rng.pick(VOWELS);
  word += rng.pick(CODAS);
  return capitalize(word);
}

function inventAlbumName(rng: Rng, year: number): string {
  const r = rng.float();
  if (r < 0.3) return `${rng.pick(ADJ)} ${rng.pick(NOUN)}`;
  if (r < 0.42) return rng.pick(PLURAL);
  if (r < 0.5) return `Songs for ${rng.pick(FIRST)}`;
  if (r < 0.56) return `Live at ${rng.pick(PLACES)}`;
  if (r < 0.62) return `${rng.pick(ADJ)} ${rng.pick(NOUN)} (Deluxe Edition)`;
  if (r < 0.67) return `${rng.pick(NOUN)}, ${rng.pick(NOUN)} & ${rng.pick(NOUN)}`;
  if (r < 0.72) return `${capitalize(rng.pick(PLACES))} Sessions, Vol. ${rng.int(1, 4)}`;
  if (r < 0.76) return rng.pick(WORLD_TITLES);
  if (r < 0.79) return `Greatest Hits ${year - rng.int(5, 30)}–${year}`;
  if (r < 0.82) return `"${rng.pick(NOUN)}"`;
  return `${rng.pick(NOUN)} ${rng.pick(["EP", "Tapes", "Stories", "Diaries", "Nights"])}`;
}

function inventTrackName(rng: Rng): string {
  const r = rng.float();
  let name: string;
  if (r < 0.3) name = `${rng.pick(ADJ)} ${rng.pick(NOUN)}`;
  else if (r < 0.45) name = rng.pick(NOUN);
  else if (r < 0.5) name = rng.pick(["Intro", "Outro", "Interlude", "Skit"]);
  else if (r < 0.58)
    name = `${rng.pick(["Don't", "I", "We", "You"])} ${rng.pick(["Stop", "Wait", "Run", "Fall", "Dance", "Call", "Know"])}`;
  else if (r < 0.64) name = `${rng.pick(NOUN)}, ${rng.pick(NOUN)}`;
  else if (r < 0.67) name = `The "${rng.pick(ADJ)}" ${rng.pick(NOUN)}`;
  else if (r < 0.72) name = rng.pick(WORLD_TITLES);
  else if (r < 0.76) name = `${rng.pick(NOUN)} (feat. ${rng.pick(FIRST)} ${rng.pick(LAST)})`;
  else if (r < 0.8) name = `${rng.pick(NOUN)} & ${rng.pick(NOUN)}`;
  else name = `${rng.pick(ADJ)} ${rng.pick(PLURAL)}`;
  if (rng.chance(0.08)) name += rng.pick(VERSIONS);
  if (rng.chance(0.002)) name = `${name}\n(Bonus Track)`;
  return name;
}
