// Applications by stage, with search (id, applicant, address) and filters
// (stage, town, service item) the server applies.
import { licensing } from "../api";
import { h, table } from "../dom";
import { outcomeName, stageName, t } from "../i18n";
import { attempt, notice } from "../ui";
import type { Application } from "../gen/inspect/v1/licensing_pb";

export async function renderApplications(main: HTMLElement): Promise<void> {
  const msg = notice();
  const stage = h("select", { id: "f-stage", name: "stage" },
    h("option", { value: "0" }, t("all")),
    ...[1, 2, 3, 4, 5, 6].map((s) => h("option", { value: String(s) }, stageName(s)))) as HTMLSelectElement;
  const town = h("input", { id: "f-town", name: "town", type: "text" }) as HTMLInputElement;
  const item = h("input", { id: "f-item", name: "item", type: "text" }) as HTMLInputElement;
  const search = h("input", { id: "f-search", name: "search", type: "search" }) as HTMLInputElement;
  const out = h("div", {});
  const form = h("form", { class: "filters", role: "search" },
    h("label", { for: "f-stage" }, t("stage")), stage,
    h("label", { for: "f-town" }, t("town")), town,
    h("label", { for: "f-item" }, t("item")), item,
    h("label", { for: "f-search" }, t("search")), search,
    h("button", { type: "submit" }, t("filter")));
  let apps: Application[] = [];
  const show = () => {
    const q = search.value.trim().toLowerCase();
    const rows = apps
      .filter((a) => !q || [a.id, a.applicantName, a.siteAddress].some((s) => s.toLowerCase().includes(q)))
      .sort((a, b) => a.stage - b.stage || a.id.localeCompare(b.id))
      .map((a) => [h("a", { href: `#/app/${encodeURIComponent(a.id)}` }, a.id), a.applicantName, a.town, a.serviceItem, stageName(a.stage), outcomeName(a.outcome)]);
    out.replaceChildren(rows.length
      ? table(["ID", t("applicant"), t("town"), t("item"), t("stage"), t("outcome")], rows, t("applications"))
      : h("p", {}, t("none")));
  };
  const load = async () => {
    apps = [];
    let pageToken = "";
    const ok = await attempt(msg, async () => {
      do {
        const r = await licensing.listApplications({ stage: Number(stage.value), town: town.value.trim(), serviceItem: item.value.trim(), pageSize: 500, pageToken });
        apps.push(...r.applications);
        pageToken = r.nextPageToken;
      } while (pageToken);
      return true;
    });
    if (ok) show();
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); void load(); });
  search.addEventListener("input", show);
  main.append(h("h2", {}, t("applications")), form, msg, out);
  await load();
}
