// One application: its declared facts, its tasks with team and deadline,
// "create task and assign team" (automatic, each member with the server's
// reason; or chosen members, with override and its reason), and links to
// the reconciliation report and the audit trail.
import { dispatch, licensing, directory, requestId } from "../api";
import { h, table } from "../dom";
import { outcomeName, stageName, t, taskStateName } from "../i18n";
import { attempt, notice, section } from "../ui";
import { allTasks, deadlineCell } from "./tasklib";
import type { FactValue } from "../gen/inspect/v1/licensing_pb";
import type { Task } from "../gen/inspect/v1/dispatch_pb";

export function factText(v: FactValue | undefined): string {
  if (!v) return "—";
  const val = v.value;
  const s = val.case === "flag" ? (val.value ? "✔" : "✘") : val.case ? String(val.value) : "—";
  return v.unit ? `${s} ${v.unit}` : s;
}

function teamTable(task: Task): HTMLElement {
  return table(
    [t("inspector"), "部门 / Dept", t("reason"), "km"],
    task.team.map((m) => [
      `${m.inspectorName} (${m.inspectorId})`,
      m.department,
      h("span", { class: m.override ? "reason override" : "reason" }, m.reason),
      m.distanceKm.toFixed(1),
    ]),
    `${t("team")} ${task.id}`,
  );
}

async function overrideForm(task: Task, refresh: () => void): Promise<HTMLElement> {
  const msg = notice();
  const rows: HTMLElement[] = [];
  const picks: { dept: string; sel: HTMLSelectElement; ovr: HTMLInputElement; why: HTMLInputElement }[] = [];
  for (const dept of ["bureau", ...task.requiredDepartments.filter((d) => d !== "bureau")]) {
    const list = await directory.listInspectors({ department: dept, pageSize: 500 }).catch(() => null);
    const id = `ovr-${task.id}-${dept}`;
    const sel = h("select", { id, name: id }, h("option", { value: "" }, "auto"),
      ...(list?.inspectors ?? []).map((i) => h("option", { value: i.id }, `${i.name} (${i.id})`))) as HTMLSelectElement;
    const ovr = h("input", { type: "checkbox", id: `${id}-o`, name: `${id}-o` }) as HTMLInputElement;
    const why = h("input", { type: "text", id: `${id}-r`, name: `${id}-r` }) as HTMLInputElement;
    picks.push({ dept, sel, ovr, why });
    rows.push(h("div", { class: "pick" },
      h("label", { for: id }, dept), sel,
      h("label", { for: `${id}-o` }, "override"), ovr,
      h("label", { for: `${id}-r` }, t("reason")), why));
  }
  const form = h("form", { class: "override" }, h("h3", {}, t("override")), ...rows, h("button", { type: "submit" }, t("overrideApply")), msg);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const assignments = picks.filter((p) => p.sel.value).map((p) => ({ department: p.dept, inspectorId: p.sel.value, override: p.ovr.checked, overrideReason: p.why.value.trim() }));
    const r = await attempt(msg, () => dispatch.assignTeam({ requestId: requestId(), taskId: task.id, assignments }));
    if (r) refresh();
  });
  return form;
}

export async function renderApplication(main: HTMLElement, id: string, signal: AbortSignal): Promise<void> {
  const msg = notice();
  main.append(h("h2", {}, id), msg);
  const app = await attempt(msg, () => licensing.getApplication({ id }));
  if (!app) return;
  const refresh = () => { main.replaceChildren(); void renderApplication(main, id, signal); };
  const tasks = (await attempt(msg, () => allTasks())) ?? [];
  const mine = tasks.filter((x) => x.applicationId === id);
  const actions = notice();
  const create = h("button", { type: "button", id: "create-task" }, t("createTask"));
  create.addEventListener("click", async () => {
    const r = await attempt(actions, () => dispatch.createTask({ requestId: requestId(), applicationId: id }));
    if (!r?.task) return;
    const a = await attempt(actions, () => dispatch.assignTeam({ requestId: requestId(), taskId: r.task!.id }));
    if (a) refresh();
  });
  main.append(
    h("dl", { class: "facts" },
      h("dt", {}, t("applicant")), h("dd", {}, `${app.applicantName} (${app.applicantCreditCode})`),
      h("dt", {}, t("site")), h("dd", {}, `${app.siteAddress} · ${app.town} · ${app.latitude.toFixed(5)}, ${app.longitude.toFixed(5)}`),
      h("dt", {}, t("item")), h("dd", {}, app.serviceItem),
      h("dt", {}, t("stage")), h("dd", { id: "app-stage" }, stageName(app.stage)),
      h("dt", {}, t("outcome")), h("dd", {}, outcomeName(app.outcome))),
    section(t("facts"), table([t("facts"), t("declared")], app.declaredFacts.map((f) => [f.key, factText(f.value)]))),
    h("p", { class: "actions" },
      app.stage === 2 ? create : null, " ",
      h("a", { href: `#/audit/${encodeURIComponent(id)}` }, t("audit"))),
    actions,
  );
  for (const task of mine) {
    const auto = h("button", { type: "button" }, t("autoAssign"));
    const tmsg = notice();
    auto.addEventListener("click", async () => {
      const r = await attempt(tmsg, () => dispatch.assignTeam({ requestId: requestId(), taskId: task.id }));
      if (r) refresh();
    });
    const box = section(`${t("tasks")} ${task.id} · ${taskStateName(task.state)}`,
      h("p", {}, `${t("deadline")}: `, deadlineCell(task, signal)),
      task.team.length ? teamTable(task) : h("p", {}, t("none")),
      task.state === 1 ? auto : null,
      task.state <= 2 ? await overrideForm(task, refresh) : null,
      task.state >= 6 ? h("p", {}, h("a", { href: `#/report/R-${encodeURIComponent(task.id)}` }, t("report"))) : null,
      tmsg);
    main.append(box);
  }
}
