// A reconciliation report: each declared fact against what every
// department observed, the failed items, the photos (GetPhoto, shown from
// blob: URLs), the departments' opinions with the form to give one, and
// the joint decision form for an escalated case.
import { departments, dispatch, requestId } from "../api";
import { append, fmtTime, h, table } from "../dom";
import { outcomeName, t, verdictName } from "../i18n";
import { attempt, notice, section } from "../ui";
import { factText } from "./application";
import type { Observation, Report } from "../gen/inspect/v1/departments_pb";
import type { Photo } from "../gen/inspect/v1/field_pb";

function obsText(o: Observation): string {
  const v = o.value;
  const s = v.case === "flag" ? (v.value ? "✔" : "✘") : v.case ? String(v.value) : "—";
  return `${o.department}: ${s} (${verdictName(o.verdict)})`;
}

/** Fetches a photo's bytes over the GetPhoto stream; an <img> or the refusal. */
export async function photoElement(p: Photo, signal: AbortSignal): Promise<HTMLElement> {
  const msg = notice();
  const fig = h("figure", { class: "photo" });
  try {
    const parts: Uint8Array[] = [];
    let type = p.mediaType || "image/jpeg";
    for await (const c of departments.getPhoto({ photoId: p.photoId }, { signal })) {
      if (c.mediaType) type = c.mediaType;
      parts.push(c.data);
    }
    const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type }));
    signal.addEventListener("abort", () => URL.revokeObjectURL(url));
    fig.append(h("img", { src: url, alt: `${p.itemCode} · ${p.uploadedBy}`, "data-photo": p.photoId }));
  } catch (err) {
    fig.append(msg);
    await attempt(msg, () => Promise.reject(err));
  }
  fig.append(h("figcaption", {}, `${p.itemCode} · ${p.uploadedBy} · ${fmtTime(p.uploadedUnix)}`));
  return fig;
}

function opinionForm(rep: Report, refresh: () => void): HTMLElement {
  const msg = notice();
  const reasons = h("textarea", { id: "op-reasons", name: "reasons", rows: "2" }) as HTMLTextAreaElement;
  const yes = h("input", { type: "radio", name: "op", id: "op-yes", value: "1", checked: true }) as HTMLInputElement;
  const no = h("input", { type: "radio", name: "op", id: "op-no", value: "0" });
  const form = h("form", { class: "opinion" },
    h("fieldset", {}, h("legend", {}, t("giveOpinion")),
      yes, h("label", { for: "op-yes" }, t("approve")), no, h("label", { for: "op-no" }, t("reject")),
      h("label", { for: "op-reasons" }, t("reasons")), reasons,
      h("button", { type: "submit" }, t("submit"))), msg);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await attempt(msg, () => departments.submitOpinion({ requestId: requestId(), reportId: rep.id, approve: yes.checked, reasons: reasons.value.trim() }));
    if (r) refresh();
  });
  return form;
}

function decisionForm(rep: Report, refresh: () => void): HTMLElement {
  const msg = notice();
  const reasons = h("textarea", { id: "jd-reasons", name: "jd-reasons", rows: "2" }) as HTMLTextAreaElement;
  const depts = h("input", { id: "jd-depts", name: "jd-depts", type: "text", value: rep.facts.flatMap((f) => f.observed.map((o) => o.department)).filter((d, i, a) => a.indexOf(d) === i).join(",") }) as HTMLInputElement;
  const approve = h("input", { type: "checkbox", id: "jd-approve", name: "jd-approve" }) as HTMLInputElement;
  const form = h("form", { class: "decision" },
    h("fieldset", {}, h("legend", {}, t("decision")),
      approve, h("label", { for: "jd-approve" }, t("approve")),
      h("label", { for: "jd-depts" }, t("departments")), depts,
      h("label", { for: "jd-reasons" }, t("reasons")), reasons,
      h("button", { type: "submit" }, t("submit"))), msg);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const list = depts.value.split(",").map((s) => s.trim()).filter(Boolean);
    const r = await attempt(msg, () => dispatch.recordJointDecision({ requestId: requestId(), reportId: rep.id, approve: approve.checked, departments: list, reasons: reasons.value.trim() }));
    if (r) refresh();
  });
  return form;
}

export async function renderReport(main: HTMLElement, id: string, signal: AbortSignal): Promise<void> {
  const msg = notice();
  main.append(h("h2", {}, `${t("report")} ${id}`), msg);
  const rep = await attempt(msg, () => departments.getReconciliation({ reportId: id }));
  if (!rep) return;
  const refresh = () => { main.replaceChildren(); void renderReport(main, id, signal); };
  const photos = h("div", { class: "photos", id: "photos" });
  append(main,
    h("p", {}, `${t("outcome")}: `, h("strong", { id: "report-outcome" }, outcomeName(rep.outcome)), ` · ${rep.applicationId} · ${rep.taskId} · ${fmtTime(rep.createdUnix)}`),
    rep.reasons.length ? h("ul", {}, ...rep.reasons.map((r) => h("li", {}, r))) : null,
    section(t("facts"), table([t("facts"), t("declared"), t("observed"), t("verdict"), t("reason")],
      rep.facts.map((f) => [f.fact, factText(f.declared), h("span", {}, ...f.observed.map((o) => h("div", {}, obsText(o)))), verdictName(f.verdict), f.reason]))),
    rep.failures.length ? section(t("failures"), table(["部门 / Dept", "item", t("reason")], rep.failures.map((f) => [f.department, `${f.itemCode} ${f.text}`, f.reason]))) : null,
    section(t("photos"), photos),
    section(t("opinions"), rep.opinions.length
      ? table(["部门 / Dept", t("verdict"), t("reasons"), "by"], rep.opinions.map((o) => [o.department, o.approve ? t("approve") : t("reject"), o.reasons, `${o.by} · ${fmtTime(o.givenUnix)}`]))
      : h("p", {}, t("none")), opinionForm(rep, refresh)),
    rep.outcome === 4
      ? section(t("decision"), rep.jointDecision
          ? h("p", { id: "joint-decision" }, `${rep.jointDecision.approve ? t("approve") : t("reject")} · ${rep.jointDecision.departments.join(",")} · ${rep.jointDecision.reasons}`)
          : decisionForm(rep, refresh))
      : null,
  );
  for (const p of rep.photos) photos.append(await photoElement(p, signal));
}
