// Sign-in: a bearer token from `inspectctl token issue`, checked with
// WhoAmI before it is kept; or the browser's client certificate where the
// listener asks for one (mutual TLS).
import { session, setToken, signOut, explain } from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import { say, notice } from "../ui";
import { signedInNow } from "../main";

export function renderSignIn(main: HTMLElement): void {
  const msg = notice();
  const input = h("textarea", { id: "token", name: "token", rows: "3", autocomplete: "off", spellcheck: "false", "aria-describedby": "token-help" }) as HTMLTextAreaElement;
  const form = h(
    "form",
    { class: "signin" },
    h("label", { for: "token" }, t("token")),
    input,
    h("p", { id: "token-help", class: "help" }, t("tokenHelp")),
    h("button", { type: "submit" }, t("signin")),
    h("button", { type: "button", id: "cert-signin", onclick: () => void check(null) }, t("certSignin")),
    msg,
  );
  async function check(tok: string | null) {
    setToken(tok);
    try {
      await session.whoAmI({});
      signedInNow();
      location.hash = "#/apps";
    } catch (err) {
      signOut();
      say(msg, explain(err));
    }
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const tok = input.value.trim();
    if (tok) void check(tok);
  });
  main.append(h("h2", {}, t("signin")), form);
}
