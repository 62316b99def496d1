// An application's audit trail (ListEvents on the application and on each
// of its tasks) and its dossier (ExportDossier), downloaded as one file.
import { audit } from "../api";
import { h, table } from "../dom";
import { t } from "../i18n";
import { attempt, notice, say } from "../ui";
import { allTasks } from "./tasklib";
import type { AuditEvent } from "../gen/inspect/v1/audit_pb";

const hex = (b: Uint8Array) => Array.from(b.slice(0, 6), (x) => x.toString(16).padStart(2, "0")).join("");

export async function renderAudit(main: HTMLElement, id: string, signal: AbortSignal): Promise<void> {
  const msg = notice();
  const dmsg = notice();
  const download = h("button", { type: "button", id: "dossier" }, t("dossier"));
  main.append(h("h2", {}, `${t("audit")} ${id}`), h("p", {}, download), dmsg, msg);
  download.addEventListener("click", async () => {
    const parts: Uint8Array[] = [];
    const ok = await attempt(dmsg, async () => {
      for await (const c of audit.exportDossier({ applicationId: id }, { signal })) parts.push(c.data);
      return true;
    });
    if (!ok) return;
    const size = parts.reduce((n, p) => n + p.length, 0);
    const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: "application/x-tar" }));
    const a = h("a", { href: url, download: `dossier-${id}.tar` }, `dossier-${id}.tar`);
    say(dmsg, `${size} bytes`, true);
    dmsg.append(" ", a);
    a.click();
  });
  const entities = [`application/${id}`];
  const tasks = (await attempt(msg, () => allTasks())) ?? [];
  for (const x of tasks) if (x.applicationId === id) entities.push(`task/${x.id}`);
  const events: AuditEvent[] = [];
  for (const entity of entities) {
    const ok = await attempt(msg, async () => {
      for await (const e of audit.listEvents({ entity }, { signal })) events.push(e);
      return true;
    });
    if (!ok) return;
  }
  events.sort((a, b) => Number(a.seq - b.seq));
  main.append(table(["seq", "time", "actor", "action", "entity", "hash"], events.map((e) => [
    String(e.seq), new Date(Number(e.timeUnixNs / 1000000n)).toLocaleString(), e.actor, e.action, e.entity, hex(e.hash),
  ]), t("audit")));
}
