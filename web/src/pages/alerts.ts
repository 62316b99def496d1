// Alerts as the server raises them: WatchAlerts streams every open alert,
// then each new one without a reload; a dispatcher acknowledges.
import { dispatch, explain, requestId } from "../api";
import { fmtTime, h } from "../dom";
import { alertName, t } from "../i18n";
import { attempt, notice, say } from "../ui";
import type { Alert } from "../gen/inspect/v1/dispatch_pb";

export async function renderAlerts(main: HTMLElement, _arg: string, signal: AbortSignal): Promise<void> {
  const msg = notice();
  const state = h("p", { class: "live", id: "alerts-live" }, t("loading"));
  const list = h("ul", { class: "alerts", id: "alert-list", "aria-live": "polite" });
  main.append(h("h2", {}, t("alerts")), state, msg, list);
  const seen = new Map<string, HTMLElement>();
  const show = (a: Alert) => {
    const ack = h("button", { type: "button" }, t("ack"));
    const amsg = notice();
    ack.addEventListener("click", async () => {
      const r = await attempt(amsg, () => dispatch.ackAlert({ requestId: requestId(), alertId: a.id }));
      if (r?.alert) show(r.alert);
    });
    const item = h("li", { class: a.acknowledged ? "alert acked" : `alert kind-${a.kind}`, "data-alert": a.id },
      h("strong", {}, alertName(a.kind)), " ",
      h("a", { href: `#/app/${encodeURIComponent(a.applicationId)}` }, a.applicationId), ` ${a.taskId} ${a.department} · ${fmtTime(a.raisedUnix)} · `,
      a.message, " ",
      a.acknowledged ? h("span", {}, `${t("acked")} (${a.acknowledgedBy})`) : ack, amsg);
    const old = seen.get(a.id);
    if (old) old.replaceWith(item);
    else list.prepend(item);
    seen.set(a.id, item);
  };
  try {
    state.textContent = t("live");
    for await (const a of dispatch.watchAlerts({}, { signal })) show(a);
  } catch (err) {
    if (!signal.aborted) say(msg, explain(err));
  }
}
