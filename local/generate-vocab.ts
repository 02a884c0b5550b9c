/**
 * The generator's vocabulary: music scenes and their genres, famous and invented artist names,
 * album and track title parts, record labels, and the malformed values dirty rows carry.
 */
import type { Rng } from "./rng";

export const SCENES: Record<string, readonly string[]> = {
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
export const SCENE_NAMES = Object.keys(SCENES);
export const EXPLICIT_SCENES = new Set(["hiphop", "latin", "metal"]);

/** Real names (diacritics, CJK, Hangul, Cyrillic, Arabic, commas, quotes, `&`, `<`). */
export const FAMOUS: readonly (readonly [string, string])[] = [
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

export const FIRST = (
  "Ana|Zoë|José|Søren|Łukasz|Ngozi|Ayşe|Mateo|Chiara|Nkechi|Hana|Aiko|Émile|Inès|Björn" +
  "|Kai|Leila|Ravi|Priya|Oluwaseun|Mai|Linh|Dário|Joaquín|Renée|Noémie|Anaïs|Malik|Yara" +
  "|Freya|Thandiwe|Kwame|Saoirse|Siobhán|Ciarán|Dmitri|Katya|Ingrid|Mikael|Nils|Tomás" +
  "|Marisol|Catalina|Luz|Valentina|Jonah|Maya|Theo|Iris|Leo|Nina|Oscar|Ruby|Sam|Tess" +
  "|Wren|Jamal|Keisha|Dev|Aurora|Elif|Farah|Gustav|Hugo|Ida|Jules|Kenji|Lola|Milo|Nora" +
  "|Omar|Paz|Quinn|Rafael|Selin|Tariq|Uma|Vera|Wei|Xóchitl|Yusuf|Zainab"
).split("|");
export const LAST = (
  "Marquez|Okafor|Nguyễn|Sørensen|Kowalski|Yılmaz|Tanaka|Moreau|Müller|Đorđević" +
  "|Fernández|García|O'Brien|Bianchi|Haddad|Kim|Park|Silva|Santos|Novák|Virtanen" +
  "|Lindqvist|Adeyemi|Mensah|Costa|Rossi|Dubois|Jensen|Hansen|Petrov|Ivanova|Khan|Patel" +
  "|Singh|Chen|Wang|Li|Suzuki|Sato|Watanabe|Lopez|Reyes|Cruz|Morales|Ortiz|Walker|Hayes" +
  "|Brooks|Bennett|Fox|Hart|Lane|Stone|Vale|West|Young|Żak|Åberg|Ó Súilleabháin|MacLeod" +
  "|DeLuca|van Dijk|de la Cruz|St. James"
).split("|");
/** CJK family and given names per language, combined within a language only. */
export const CJK_NAMES: readonly (readonly [readonly string[], readonly string[]])[] = [
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
export const ADJ = (
  "Golden|Midnight|Velvet|Electric|Silver|Hollow|Neon|Wild|Quiet|Broken|Crimson|Paper" +
  "|Distant|Lucky|Sleepy|Cosmic|Northern|Blue|Restless|Tender|Savage|Lonely|Frozen" +
  "|Burning|Secret|Little|Pale|Bright|Heavy|Sweet|Strange|Honest|Glass|Endless|Sacred" +
  "|Lost|Young"
).split("|");
export const NOUN = (
  "Harbor|Fox|Echo|Ocean|Garden|River|Horizon|Signal|Ghost|Mirror|Summer|Winter" +
  "|Satellite|Window|Heart|Fire|Rain|Desert|Highway|Moon|Star|Island|Machine|Kingdom" +
  "|Dream|Shadow|Thunder|Orchid|Lantern|Comet|Tide|Canyon|Forest|Atlas|Prism|Static" +
  "|Engine|Wolf|Cathedral|Paradise|Telephone|Postcard|Corazón|Sakura|Ninja|Velvet"
).split("|");
export const PLURAL = (
  "Foxes|Echoes|Ghosts|Mirrors|Satellites|Wolves|Comets|Lanterns|Strangers|Kings" +
  "|Daughters|Brothers|Machines|Orchids|Tides|Sparks"
).split("|");
export const WORLD_TITLES = (
  "夜に駆ける|Привет, мир|Ça va|Über den Wolken|Hjartað|さくら|Ñandú|사랑해|Saudade|Fika|Mañana" +
  "|Déjà vu|Jóga|Sí, señor|Été indien"
).split("|");
export const PLACES = (
  "Reykjavík|Montréal|São Paulo|Tōkyō|Berlin|Lagos|Brooklyn|Düsseldorf|Ciudad de México" +
  "|Seoul|Abbey Road|the Royal Albert Hall|Red Rocks|Budokan"
).split("|");
export const LABELS = (
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
export const VERSIONS = (
  " - Remastered 2011| - Live| - Acoustic| - Radio Edit| (Demo)| - Remix| (Deluxe)" +
  "| - Instrumental| (Live at Budokan)| - 2009 Remaster"
).split("|");

/** Variants of bad values, cycled deterministically. */
export const BAD_INT = ["3:45", "A1", "twelve", "85%", "1e3x", "1,234", "--"];
export const BAD_FOLLOWERS = ["1.2M", "12k", "1,234", "lots", "~5000"];
export const BAD_DATES = ["2019-02-30", "13/05/2019", "unknown", "0000-00-00", "2019-13", "20190"];
export const BAD_BOOLEANS = ["maybe", "unknown", "explicit", "N/A", "clean?"];

export const ONSETS = "b|c|d|f|g|h|j|k|l|m|n|p|r|s|t|v|z|br|dr|kr|st|sh|th|ch|tr|gl|fl|y".split(
  "|",
);
export const VOWELS = "a|e|i|o|u|a|e|i|o|ai|ou|é|ö|å|ä".split("|");
export const CODAS = ["", "", "", "n", "r", "x", "s", "l", "th", "k"];

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** An invented one-word name like "Kavomi" or "Zaröth". */
export function inventWord(rng: Rng): string {
  const syllables = rng.int(2, 3);
  let word = "";
  for (let i = 0; i < syllables; i++) word += rng.pick(ONSETS) + rng.pick(VOWELS);
  word += rng.pick(CODAS);
  return capitalize(word);
}

export function inventAlbumName(rng: Rng, year: number): string {
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

export function inventTrackName(rng: Rng): string {
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
