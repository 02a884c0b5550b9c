/**
 * Where a generated sample's dirty rows go (part of the generator, `local/generate.ts`): which
 * album rows carry which problem, and the order of the tracks rows that have no album row.
 */
import type { Rng } from "./rng";
import type { AlbumPlan } from "./generate";

/** Where the dirty rows go: album row index -> problem, and the order of the extra tracks rows. */
export interface DirtyPlan {
  /** Album rows generated from the model (the rest are planted duplicates). */
  baseRows: number;
  /** Row index -> in-place problem or "source of a duplicate". */
  albumPlan: Map<number, AlbumPlan>;
  /** The tracks rows that have no album row of their own, in file order. */
  trackQueue: (TrackExtra | "filler")[];
}

export type TrackExtra =
  "missing_key" | "bad_number" | "bad_boolean" | "dup_row" | "dk_base" | "dk";

/** Plans the dirty rows of a sample of `total` tracks, `share` of them dirty. */
export function planDirtyRows(total: number, share: number, rng: Rng, spike = 0): DirtyPlan {
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
    orphan_artist: perAlbumKind + Math.round(total * spike),
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

  return { baseRows, albumPlan, trackQueue };
}
