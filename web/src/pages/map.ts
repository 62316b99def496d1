// Sites on a simple map: each application at its coordinates, projected
// onto an SVG (equirectangular, scaled to the district's bounding box).
// No tiles, nothing from the internet.
import { licensing } from "../api";
import { h, svg } from "../dom";
import { stageName, t } from "../i18n";
import { attempt, notice } from "../ui";
import type { Application } from "../gen/inspect/v1/licensing_pb";

const W = 720, H = 480, PAD = 30;

export async function renderMap(main: HTMLElement): Promise<void> {
  const msg = notice();
  main.append(h("h2", {}, t("map")), msg);
  const apps: Application[] = [];
  let pageToken = "";
  const ok = await attempt(msg, async () => {
    do {
      const r = await licensing.listApplications({ pageSize: 500, pageToken });
      apps.push(...r.applications);
      pageToken = r.nextPageToken;
    } while (pageToken);
    return true;
  });
  if (!ok) return;
  const placed = apps.filter((a) => a.latitude || a.longitude);
  const lats = placed.map((a) => a.latitude), lons = placed.map((a) => a.longitude);
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max((maxLon - minLon) * k, 1e-6), spanY = Math.max(maxLat - minLat, 1e-6);
  const scale = Math.min((W - 2 * PAD) / spanX, (H - 2 * PAD) / spanY);
  const x = (lon: number) => PAD + (lon - minLon) * k * scale;
  const y = (lat: number) => H - PAD - (lat - minLat) * scale;
  const map = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "group", "aria-labelledby": "map-title", class: "map" },
    svg("title", { id: "map-title" }, `${t("map")}: ${placed.length} ${t("applications")}`),
    svg("rect", { x: 0, y: 0, width: W, height: H, class: "map-bg" }));
  for (const a of placed) {
    const link = svg("a", { href: `#/app/${encodeURIComponent(a.id)}` },
      svg("circle", { cx: x(a.longitude).toFixed(1), cy: y(a.latitude).toFixed(1), r: 6, class: `site stage-${a.stage}` }),
      svg("title", {}, `${a.id} ${a.applicantName} · ${a.town} · ${stageName(a.stage)}`));
    map.append(link);
  }
  const legend = h("ul", { class: "legend" }, ...[1, 2, 3, 4, 5, 6].map((s) => h("li", { class: `stage-${s}` }, stageName(s))));
  main.append(map, legend);
}
