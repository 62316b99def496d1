// The console's shell: header, navigation, language switch and the hash
// router. Each page renders into <main> and stops its streams (the signal)
// when the user leaves it.
import "./style.css";
import { session, signedIn, signOut, isUnauthenticated } from "./api";
import { h } from "./dom";
import { t, toggleLang, type Label } from "./i18n";
import { renderSignIn } from "./pages/signin";
import { renderApplications } from "./pages/applications";
import { renderApplication } from "./pages/application";
import { renderTasks } from "./pages/tasks";
import { renderAlerts } from "./pages/alerts";
import { renderReport } from "./pages/report";
import { renderDepartment } from "./pages/department";
import { renderAudit } from "./pages/audit";
import { renderMap } from "./pages/map";

export type Page = (main: HTMLElement, arg: string, signal: AbortSignal) => void | Promise<void>;

const routes: Record<string, Page> = {
  signin: renderSignIn,
  apps: renderApplications,
  app: renderApplication,
  tasks: renderTasks,
  alerts: renderAlerts,
  report: renderReport,
  dept: renderDepartment,
  audit: renderAudit,
  map: renderMap,
};

const nav: [string, Label][] = [
  ["#/apps", "applications"],
  ["#/tasks", "tasks"],
  ["#/alerts", "alerts"],
  ["#/dept", "department"],
  ["#/map", "map"],
];

let current: AbortController | null = null;
let who = "";

async function loadWho(): Promise<void> {
  try {
    const me = await session.whoAmI({});
    who = `${me.principal}${me.department ? " · " + me.department : ""}`;
  } catch (err) {
    who = "";
    if (isUnauthenticated(err)) {
      signOut();
      location.hash = "#/signin";
    }
  }
}

function header(): HTMLElement {
  return h(
    "header",
    {},
    h("h1", {}, t("title")),
    signedIn()
      ? h(
          "nav",
          { "aria-label": t("title") },
          h("ul", {}, ...nav.map(([href, label]) => h("li", {}, h("a", { href }, t(label))))),
        )
      : null,
    h(
      "div",
      { class: "who" },
      who ? h("span", {}, `${t("signedInAs")}: ${who}`) : null,
      h("button", { type: "button", onclick: () => { toggleLang(); route(); } }, t("language")),
      signedIn()
        ? h("button", { type: "button", onclick: () => { signOut(); who = ""; location.hash = "#/signin"; } }, t("signout"))
        : null,
    ),
  );
}

export async function route(): Promise<void> {
  current?.abort();
  current = new AbortController();
  const [, name = "", ...rest] = location.hash.replace(/^#/, "").split("/");
  const arg = decodeURIComponent(rest.join("/"));
  if (!signedIn() && name !== "signin") {
    location.hash = "#/signin";
    return;
  }
  if (signedIn() && !who) await loadWho();
  const page = routes[name] ?? (signedIn() ? renderApplications : renderSignIn);
  const app = document.getElementById("app")!;
  const main = h("main", { id: "main" });
  app.replaceChildren(header(), main);
  await page(main, arg, current.signal);
}

export function signedInNow(): void {
  who = "";
}

window.addEventListener("hashchange", () => void route());
void route();
