// Tasks: every page of ListTasks for a filter, overdue first then by
// deadline, and the working-day deadline with a countdown.
import { dispatch } from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import type { Task } from "../gen/inspect/v1/dispatch_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListTasksRequestSchema } from "../gen/inspect/v1/dispatch_pb";

const OPEN_STATES = new Set([1, 2, 3, 4, 5]);

export async function allTasks(filter: MessageInitShape<typeof ListTasksRequestSchema> = {}): Promise<Task[]> {
  const out: Task[] = [];
  let pageToken = "";
  do {
    const r = await dispatch.listTasks({ ...filter, pageSize: 500, pageToken });
    out.push(...r.tasks);
    pageToken = r.nextPageToken;
  } while (pageToken);
  return out;
}

export function isOverdue(task: Task, nowUnix = Date.now() / 1000): boolean {
  return OPEN_STATES.has(task.state) && Number(task.deadlineUnix) > 0 && Number(task.deadlineUnix) < nowUnix;
}

export function byUrgency(a: Task, b: Task): number {
  const oa = isOverdue(a) ? 0 : 1, ob = isOverdue(b) ? 0 : 1;
  return oa - ob || Number(a.deadlineUnix) - Number(b.deadlineUnix) || a.id.localeCompare(b.id);
}

function countdownText(task: Task): string {
  const left = Number(task.deadlineUnix) - Date.now() / 1000;
  if (!OPEN_STATES.has(task.state)) return "—";
  if (left < 0) return `${t("overdue")} ${Math.ceil(-left / 86400)} d`;
  const d = Math.floor(left / 86400), hr = Math.floor((left % 86400) / 3600), m = Math.floor((left % 3600) / 60);
  return `${d} d ${hr} h ${m} min`;
}

/** The deadline cell: the date, the working days, a live countdown. */
export function deadlineCell(task: Task, signal: AbortSignal): HTMLElement {
  const count = h("span", { class: isOverdue(task) ? "countdown overdue" : "countdown" }, countdownText(task));
  const timer = setInterval(() => { count.textContent = countdownText(task); }, 30000);
  signal.addEventListener("abort", () => clearInterval(timer));
  return h("span", {}, `${task.deadlineDate} (${task.limitWorkingDays} d) `, count);
}
