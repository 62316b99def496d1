// What every page shares: the main region, the message shown where the
// user acted, and running a call with its error shown there.
import { explain } from "./api";
import { h } from "./dom";

/** A region that says what went wrong (or right) next to a control. */
export function notice(): HTMLElement {
  return h("p", { class: "notice", role: "status", "aria-live": "polite" });
}

export function say(el: HTMLElement, text: string, ok = false): void {
  el.textContent = text;
  el.className = ok ? "notice ok" : text ? "notice error" : "notice";
  el.setAttribute("role", ok ? "status" : "alert");
}

/** Runs `fn`; on failure shows the server's status and message in `where`. */
export async function attempt<T>(where: HTMLElement, fn: () => Promise<T>): Promise<T | undefined> {
  say(where, "");
  try {
    return await fn();
  } catch (err) {
    say(where, explain(err));
    return undefined;
  }
}

export function section(title: string, ...body: (Node | null)[]): HTMLElement {
  return h("section", {}, h("h2", {}, title), ...body);
}
