/**
 * The generator's artists: names, scenes, genres, popularity and followers, and the Spotify-like
 * ids every entity gets.
 */
import type { Rng } from "./rng";
import { clamp, csvField, pyList } from "./generate-format";
import {
  ADJ,
  CJK_NAMES,
  FAMOUS,
  FIRST,
  LABELS,
  LAST,
  NOUN,
  PLACES,
  PLURAL,
  SCENES,
  SCENE_NAMES,
  capitalize,
  inventWord,
} from "./generate-vocab";

export interface Artist {
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
export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const BASE62_CODES = Array.from(BASE62, (c) => c.charCodeAt(0));
export const ID_SPACE = 62 ** 5;
/** Coprime with 62, so `n * ID_MIX mod 62^5` is a bijection: ids end in a unique suffix. */
export const ID_MIX = 1_000_003;

/** Quotes a CSV field per RFC 4180 when it holds a comma, a quote or a line break. */
/** The sample's artists and how album rows pick and print them. */
export interface ArtistPool {
  /** Every artist, by popularity rank; orphan-artist rows are never added here. */
  artists: Artist[];
  /** Artists generated from the model (before any dirty row). */
  artistCount: number;
  /** An artist of popularity rank `rank` of `count`; only referenced artists get a famous name. */
  makeArtist: (rank: number, count: number, allowFamous?: boolean) => Artist;
  /** One artists.csv line, with optional raw popularity and followers (dirty rows). */
  artistLine: (a: Artist, popularity?: string, followers?: string) => string;
  /** An artist drawn with Zipf-like weights (popular artists own many albums). */
  zipfArtist: () => Artist;
}

/**
 * Creates the artists of a sample of `total` tracks: about one per twelve tracks, with unique
 * names (famous ones among the popular), scenes, genres, popularity and followers. Draws from
 * `rng` in a fixed order, so the same seed gives the same artists.
 */
export function createArtists(total: number, rng: Rng, newId: () => string): ArtistPool {
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

  return { artists, artistCount, makeArtist, artistLine, zipfArtist };
}
