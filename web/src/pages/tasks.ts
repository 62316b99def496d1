// Tasks with their working-day deadline and a countdown, overdue first.
import { h, table } from "../dom";
import { t, taskStateName } from "../i18n";
import { attempt, notice } from "../ui";
import { allTasks, byUrgency, deadlineCell, isOverdue } from "./tasklib";

export async function renderTasks(main: HTMLElement, _arg: string, signal: AbortSignal): Promise<void> {
  const msg = notice();
  main.append(h("h2", {}, t("tasks")), msg);
  const tasks = await attempt(msg, () => allTasks());
  if (!tasks) return;
  tasks.sort(byUrgency);
  main.append(tasks.length
    ? table(["ID", t("applications"), t("town"), t("state"), t("deadline"), t("team")],
        tasks.map((x) => [
          h("a", { href: `#/app/${encodeURIComponent(x.applicationId)}`, class: isOverdue(x) ? "overdue" : "" }, x.id),
          x.applicationId, x.town, taskStateName(x.state), deadlineCell(x, signal),
          x.team.map((m) => m.inspectorName).join("、"),
        ]), t("tasks"))
    : h("p", {}, t("none")));
}
