// A department's desk: the tasks that need it, the reports waiting for its
// opinion, and its change feed followed live (PullChanges).
import { departments, explain, session } from "../api";
import { h, table } from "../dom";
import { t, taskStateName } from "../i18n";
import { attempt, notice, say, section } from "../ui";
import { allTasks, byUrgency, deadlineCell } from "./tasklib";

export async function renderDepartment(main: HTMLElement, _arg: string, signal: AbortSignal): Promise<void> {
  const msg = notice();
  main.append(h("h2", {}, t("department")), msg);
  const me = await attempt(msg, () => session.whoAmI({}));
  if (!me) return;
  const dept = me.department;
  const tasks = (await attempt(msg, () => allTasks(dept ? { department: dept } : {}))) ?? [];
  tasks.sort(byUrgency);
  const reviews = h("div", {});
  const showReviews = (list: typeof tasks) => {
    const reconciled = list.filter((x) => x.state === 6);
    reviews.replaceChildren(reconciled.length
      ? h("ul", {}, ...reconciled.map((x) => h("li", {}, h("a", { href: `#/report/R-${encodeURIComponent(x.id)}` }, `R-${x.id}`), ` · ${x.applicationId}`)))
      : h("p", {}, t("none")));
  };
  showReviews(tasks);
  const feed = h("ol", { class: "feed", id: "feed", "aria-live": "polite", tabindex: "0", "aria-label": t("changes") });
  const fmsg = notice();
  main.append(
    section(t("ourTasks"), tasks.length
      ? table(["ID", t("applications"), t("state"), t("deadline")], tasks.map((x) => [x.id, x.applicationId, taskStateName(x.state), deadlineCell(x, signal)]))
      : h("p", {}, t("none"))),
    section(t("toReview"), reviews),
    section(t("changes"), fmsg, feed),
  );
  if (!dept) return;
  // A report reconciled while the page is open joins the list at once.
  let refreshing = false;
  const refreshReviews = async () => {
    if (refreshing) return;
    refreshing = true;
    try {
      const fresh = await attempt(msg, () => allTasks({ department: dept }));
      if (fresh && !signal.aborted) showReviews(fresh);
    } finally {
      refreshing = false;
    }
  };
  try {
    for await (const batch of departments.pullChanges({ cursor: 0n, follow: true }, { signal })) {
      if (batch.changes.some((c) => c.entityKind === "report")) void refreshReviews();
      for (const c of batch.changes) {
        feed.prepend(h("li", {}, `#${c.seq} ${new Date(Number(c.timeUnixNs / 1000000n)).toLocaleString()} · ${c.entityKind} ${c.entityId} · ${c.change}`));
        while (feed.childElementCount > 200) feed.lastElementChild?.remove();
      }
    }
  } catch (err) {
    if (!signal.aborted) say(fmsg, explain(err));
  }
}
