/**
 * Deterministic generator of a Spotify-like sample in the layout of the public "Spotify Dataset
 * 2023" (albums.csv, artists.csv, tracks.csv), with realistic distributions and a small, known
 * number of dirty rows of every kind the transform quarantines.
 *
 * Same options, same bytes: all randomness comes from the seeded {@link Rng}; no clock, no
 * `Math.random`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Rng } from "./rng";
import { planDirtyRows } from "./generate-dirty";
import { Artist, BASE62_CODES, ID_MIX, ID_SPACE, createArtists } from "./generate-artists";
import {
  AlbumRow,
  ByteSink,
  MONTH_DAYS,
  albumLine,
  clamp,
  csvField,
  decimal,
  formatDate,
  formatMs,
  medianDurationMs,
  pickCycle,
  pyList,
} from "./generate-format";
import {
  BAD_BOOLEANS,
  BAD_DATES,
  BAD_FOLLOWERS,
  BAD_INT,
  EXPLICIT_SCENES,
  LABELS,
  inventAlbumName,
  inventTrackName,
} from "./generate-vocab";

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

export type AlbumPlan = Exclude<QuarantineReason, "bad_boolean">;

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

function validate(opts: GenerateOptions): string[] {
  const problems: string[] = [];
  const { tracks, seed, outDir } = opts;
  const dirtyShare = opts.dirtyShare ?? DEFAULT_DIRTY_SHARE;
  if (!Number.isInteger(tracks) || tracks < 1 || tracks > MAX_TRACKS) {
    problems.push(`tracks must be a whole number from 1 to ${MAX_TRACKS}; found ${tracks}.`);
  } else if (dirtyShare > 0 && tracks < MIN_TRACKS_WITH_DIRTY) {
    problems.push(
      `tracks must be at least ${MIN_TRACKS_WITH_DIRTY} to plant every dirty kind; found ${tracks}. ` +
        `Use ${MIN_TRACKS_WITH_DIRTY} or more tracks, or dirtyShare 0.`,
    );
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    problems.push(`seed must be a whole number >= 0; found ${seed}.`);
  }
  if (!(dirtyShare >= 0 && dirtyShare <= 0.2)) {
    problems.push(`dirtyShare must be between 0 and 0.2 (e.g. 0.01 for 1%); found ${dirtyShare}.`);
  }
  const spike = opts.orphanSpike ?? 0;
  if (!(spike >= 0 && spike <= 0.5)) {
    problems.push(`orphanSpike must be between 0 and 0.5 (e.g. 0.4 for 40%); found ${spike}.`);
  }
  if (typeof outDir !== "string" || outDir.trim() === "") {
    problems.push(`outDir must be a folder path; found ${JSON.stringify(outDir)}.`);
  }
  return problems;
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

  // ---- dirty plan and artists (planDirtyRows, local/generate-artists.ts) ----------------------
  const { baseRows, albumPlan, trackQueue } = planDirtyRows(
    total,
    share,
    rng,
    opts.orphanSpike ?? 0,
  );
  let trackQueueNext = 0;
  const { artists, artistCount, makeArtist, artistLine, zipfArtist } = createArtists(
    total,
    rng,
    newId,
  );

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
