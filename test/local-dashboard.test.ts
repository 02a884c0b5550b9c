import { expect } from "chai";
import { DashboardData, escapeHtml, estimateTextWidth, renderDashboard } from "../local/dashboard";

const HOSTILE = `<script>alert("x")</script> & Sons' "Band"`;

/** A run shaped like the run summary plus run.json's status and timings. */
function sampleData(): DashboardData {
  return {
    run: {
      run_id: "local-20240501T120000Z",
      engine: "duckdb",
      status: "SUCCEEDED",
      input: { albums: 100000, artists: 8439, tracks: 100000 },
      accepted: { albums: 98999, artists: 8355, tracks: 99525 },
      rejected: {
        albums: { missing_key: 143, bad_date: 858 },
        artists: { bad_number: 84 },
        tracks: { bad_boolean: 475 },
      },
      output: { tracks: 98999 },
      timings_ms: { transform: 5300, queries: 205 },
    },
    // More rows than the spec's top 20 (lib/visuals.ts): only the first 20 are charted.
    mostPopularArtists: Array.from({ length: 30 }, (_, i) => ({
      artist_name: i === 0 ? HOSTILE : i === 1 ? "Björk" : `Artist ${String(i).padStart(2, "0")}`,
      total_tracks: BigInt(2000 - i * 50), // DuckDB BIGINT
      artist_popularity: 90 - i,
      followers: BigInt(6_200_000 - i * 100_000),
    })),
    trackCountsByAlbum: Array.from({ length: 30 }, (_, i) => ({
      album_name: i === 0 ? "Homogenic" : `Album ${String(i).padStart(2, "0")}`,
      artist_name: i === 0 ? "Björk" : `Artist ${i}`,
      track_count: String(70 - i), // CSV text
    })),
    durationTrendsByYear: [1995, 1996, 1997, 2022, 2023].map((year, i) => ({
      release_year: year,
      track_count: 1000 + i * 10,
      avg_duration_min: 4.2 - i * 0.1,
      median_duration_min: 4.0 - i * 0.1,
    })),
  };
}

/** The SVG elements of the page. */
function svgs(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

describe("renderDashboard", () => {
  let html: string;

  before(async () => {
    html = await renderDashboard(sampleData());
  });

  it("renders one HTML page with the three charts under their titles", () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).to.equal(true);
    expect(svgs(html)).to.have.length(3);
    const titles = [
      ...html.matchAll(/<h2>([^<]*)<\/h2>\s*<p class="sub">[^<]*<\/p>\s*<figure[^>]*><svg/g),
    ].map((m) => m[1]);
    expect(titles).to.deep.equal([
      "Most popular artists",
      "Track counts by album",
      "Trends in track durations",
    ]);
  });

  it("charts the first 20 rows of each ranking with axis titles and thousands separators", () => {
    const [artists, albums, durations] = svgs(html) as [string, string, string];
    expect(artists).to.contain(">Björk</text>");
    expect(artists).to.contain(">Artist 19</text>");
    expect(artists).to.not.contain("Artist 20");
    expect(artists).to.contain(">1,950 · 6.1M</text>"); // tracks · followers of Björk
    expect(artists).to.contain(">Tracks in the gold table</text>");
    expect(albums).to.contain(">Homogenic — Björk</text>");
    expect(albums).to.contain(">Album 19 — Artist 19</text>");
    expect(albums).to.not.contain("Album 20");
    expect(albums).to.contain(">Tracks on the album</text>");
    expect(durations).to.contain(">Release year</text>");
    expect(durations).to.contain(">Track duration (minutes)</text>");
    // Round years as ticks (1995-2023: every 5 years), without a thousands separator.
    const yearLabels = [...durations.matchAll(/>(\d{4})<\/text>/g)].map((m) => m[1]);
    expect(yearLabels).to.deep.equal(["1995", "2000", "2005", "2010", "2015", "2020"]);
    expect(durations).to.not.contain("2,000");
    expect(durations).to.contain(">Median</text>");
    expect(durations).to.contain(">Average</text>");
  });

  it("shows the run's status, id and counts by file and reason", () => {
    expect(html).to.contain(`<span class="badge ok">SUCCEEDED</span>`);
    expect(html).to.contain(
      "run <code>local-20240501T120000Z</code> · engine duckdb · duration 5.5 s",
    );
    // KPI cards: input, accepted, rejected, gold rows.
    expect(html).to.contain(`<div class="kpi-value">208,439</div>`);
    expect(html).to.contain(`<div class="kpi-value">206,879</div>`);
    expect(html).to.contain(`<div class="kpi-value">1,560</div>`);
    expect(html).to.contain(`<div class="kpi-value">98,999</div>`);
    const row = (label: string) =>
      [
        ...html.matchAll(
          new RegExp(`<th scope="row">${label}</th>((?:<td[^>]*>[^<]*</td>)+)`, "g"),
        ),
      ].map((m) => [...(m[1] as string).matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]));
    expect(row("Input rows")).to.deep.equal([["100,000", "8,439", "100,000", "208,439"]]);
    expect(row("Accepted")).to.deep.equal([["98,999", "8,355", "99,525", "206,879"]]);
    expect(row("Rejected")).to.deep.equal([["1,001", "84", "475", "1,560"]]);
    expect(row("missing key")).to.deep.equal([["143", "0", "0", "143"]]);
    expect(row("bad date")).to.deep.equal([["858", "0", "0", "858"]]);
    expect(row("bad number")).to.deep.equal([["0", "84", "0", "84"]]);
    expect(row("bad boolean")).to.deep.equal([["0", "0", "475", "475"]]);
    expect(row("duplicate row")).to.deep.equal([]); // reasons with no rows are left out
    expect(row("Gold table rows")).to.deep.equal([["98,999"]]);
    expect(html).to.match(/<th scope="row">transform<\/th>.*?<td class="num">5\.3 s<\/td>/);
  });

  it("escapes names everywhere, so a hostile artist name stays text", () => {
    expect(html).to.not.contain("<script");
    expect(html).to.not.contain("</script>");
    // The y-axis label (truncated to fit) and the bar's aria-label are escaped.
    expect(html).to.contain(`>&lt;script&gt;alert("x")&lt;/script&gt; &amp; Son…</text>`);
    expect(html).to.contain(
      `artist_name: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons'`,
    );
    expect(escapeHtml(HOSTILE)).to.equal(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons&#39; &quot;Band&quot;",
    );
    const hostileRun = sampleData();
    hostileRun.run.run_id = `<img src=x onerror=alert(1)>`;
    hostileRun.title = `Run <b>"1"</b>`;
    return renderDashboard(hostileRun).then((page) => {
      expect(page).to.not.contain("<img");
      expect(page).to.not.contain("<b>");
      expect(page).to.contain("<title>Run &lt;b&gt;&quot;1&quot;&lt;/b&gt;</title>");
      expect(page).to.contain("run <code>&lt;img src=x onerror=alert(1)&gt;</code>");
    });
  });

  it("is self-contained: no scripts, no external resources", () => {
    const withoutXmlns = html.replace(/ xmlns(?::xlink)?="http:\/\/www\.w3\.org\/[^"]*"/g, "");
    expect(withoutXmlns).to.not.match(/https?:\/\//);
    expect(html).to.not.match(/<script|<link|<img|<iframe|\ssrc=|\shref=|@import/i);
    expect(html).to.not.match(/url\((?!#)/); // only in-document references like url(#gradient_0)
    // The xmlns declarations are the only URLs, and they are not fetched.
    expect(html.match(/https?:\/\//g)).to.have.length(6); // 3 SVGs x (svg + xlink)
  });

  it("shows a failed run and empty query results without charts failing", async () => {
    const data = sampleData();
    data.run.status = "FAILED";
    data.mostPopularArtists = [];
    data.trackCountsByAlbum = [];
    data.durationTrendsByYear = [];
    const page = await renderDashboard(data);
    expect(page).to.contain(`<span class="badge fail">FAILED</span>`);
    expect(page).to.contain(`<div class="kpi-value status">Failed</div>`);
    expect(page.match(/<p class="empty">No rows: the gold table is empty\.<\/p>/g)).to.have.length(
      3,
    );
    expect(svgs(page)).to.have.length(0);
    expect(page).to.contain("(no years)");
  });

  it("estimates label widths like Arial, wide characters at 1 em", () => {
    // (H 722 + e 556 + l 222 + l 222 + o 556) / 1000 em x 10 px x 1.04 safety margin
    expect(estimateTextWidth("Hello", 10)).to.be.closeTo(23.6912, 1e-9);
    expect(estimateTextWidth("坂本龍一", 10)).to.be.closeTo(41.6, 1e-9);
    expect(estimateTextWidth("Björk", 10)).to.be.closeTo(
      ((667 + 222 + 580 + 333 + 500) / 1000) * 10 * 1.04,
      1e-9,
    );
    expect(estimateTextWidth("Hello", 10, true)).to.be.closeTo(23.6912 * 1.06, 1e-9);
  });
});
