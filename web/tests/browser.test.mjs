// The console in Debian's Chromium (headless, playwright-core) against a
// real inspectd with the demo district, its clock warped 50,000 times so a
// working day passes in about two seconds: sign-in refused and accepted,
// a dispatcher's task and team with each member's reason and the override
// path, tasks overdue first, an alert arriving live, a department's opinion
// on a report whose photos display, another department refused its photo,
// the map, the audit trail and the dossier. Every main page is saved as a
// screenshot and checked with axe-core (no serious violation).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { launchBrowser, screenshot, seriousViolations, signIn, startServer } from "./harness.mjs";

let srv, browser, dispatcherToken;
const APP_DISPATCH = "XD-2026-001204"; // food-business, 新繁街道
const APP_OVERRIDE = "XD-2026-001208";
const APP_ALERT = "XD-2026-001206";
const APP_REPORT = "XD-2026-001226"; // hotel-special-trade: works through to PASS

before(async () => {
  srv = await startServer(["--time-warp", "50000"]);
  await srv.seed();
  dispatcherToken = await srv.token("dispatcher", "bureau-desk");
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  assert.equal(await srv.stop(), 0, "inspectd exits cleanly");
});

async function page() {
  const p = await browser.ctx.newPage();
  p.on("pageerror", (e) => process.stderr.write(`page error: ${e.message}\n`));
  return p;
}

/** A new tab signed in with `token`, on the applications page. */
async function signedIn(token) {
  const p = await page();
  await signIn(p, srv.url, token);
  await p.waitForURL(/#\/apps/);
  return p;
}

async function checked(p, name) {
  await screenshot(p, name);
  assert.deepEqual(await seriousViolations(p), [], `axe-core on ${name}`);
}

describe("console in Chromium", () => {
  test("test_console_wrong_token_refused", async () => {
    const p = await page();
    await signIn(p, srv.url, "not-a-real-token");
    const msg = p.locator("form.signin .notice.error");
    await msg.waitFor();
    assert.match(await msg.textContent(), /^Unauthenticated: .{10,}/);
    assert.equal(await p.evaluate(() => sessionStorage.getItem("inspect.token")), null, "a refused token is not kept");
    await checked(p, "01-signin-refused");
    await p.close();
  });

  test("test_console_dispatcher_creates_task_and_assigns", async () => {
    const p = await signedIn(dispatcherToken);
    await p.locator("table tbody tr").first().waitFor();
    assert.equal(await p.evaluate(() => document.cookie), "", "no cookie holds the token");
    await checked(p, "02-applications");
    await p.selectOption("#f-stage", "2");
    await p.click("form.filters button[type=submit]");
    await p.waitForFunction(() => [...document.querySelectorAll("tbody tr td:nth-child(5)")].every((td) => td.textContent === "后台审批"));
    await p.click(`a[href="#/app/${APP_DISPATCH}"]`);
    await p.click("#create-task");
    const rows = p.locator("table:has(caption) tbody tr:has(.reason)");
    await rows.first().waitFor();
    const reasons = await rows.locator(".reason").allTextContents();
    assert.ok(reasons.length >= 2, `a team of at least two: ${reasons}`);
    for (const r of reasons) assert.ok(r.trim().length > 5, `each member has the server's reason: '${r}'`);
    assert.equal(await p.textContent("#app-stage"), "现场踏勘");
    await checked(p, "03-application-team");
    await p.close();
  });

  test("test_console_override_needs_a_reason", async () => {
    const c = await srv.clients(dispatcherToken);
    const task = (await c.dispatch.createTask({ requestId: "ovr-1", applicationId: APP_OVERRIDE })).task;
    const p = await signedIn(dispatcherToken);
    await p.goto(`${srv.url}/#/app/${APP_OVERRIDE}`);
    const sel = `#ovr-${task.id}-bureau`;
    await p.locator(`${sel} option`).nth(1).waitFor({ state: "attached" });
    await p.selectOption(sel, { index: 1 });
    await p.check(`${sel}-o`);
    await p.click("form.override button[type=submit]");
    const err = p.locator("form.override .notice.error");
    await err.waitFor();
    assert.match(await err.textContent(), /^InvalidArgument: .*reason/i);
    const chosen = await p.$eval(sel, (el) => el.value);
    await p.fill(`${sel}-r`, "该同志熟悉本街道的特种行业场所");
    await p.click("form.override button[type=submit]");
    const row = p.locator(`table:has(caption) tbody tr:has-text("(${chosen})")`).first();
    await row.waitFor();
    assert.ok((await row.locator(".reason").textContent()).trim().length > 5, "the chosen member with the server's reason");
    await p.close();
  });

  test("test_console_tasks_overdue_first", async () => {
    const p = await signedIn(dispatcherToken);
    await p.goto(`${srv.url}/#/tasks`);
    await p.locator("tbody tr").first().waitFor();
    const flags = await p.$$eval("tbody tr", (trs) => trs.map((tr) => tr.querySelector(".countdown.overdue") !== null));
    const firstNot = flags.indexOf(false);
    assert.ok(firstNot === -1 || flags.slice(firstNot).every((f) => !f), `overdue rows first: ${flags}`);
    await checked(p, "04-tasks");
    await p.close();
  });

  test("test_console_alert_arrives_live", async () => {
    const p = await signedIn(dispatcherToken);
    await p.goto(`${srv.url}/#/alerts`);
    await p.locator("#alerts-live").waitFor();
    await p.waitForTimeout(500);
    const c = await srv.clients(dispatcherToken);
    const t = (await c.dispatch.createTask({ requestId: "alert-1", applicationId: APP_ALERT })).task;
    await c.dispatch.assignTeam({ requestId: "alert-2", taskId: t.id });
    const mine = p.locator(`li.alert:has-text("${t.id}")`).first();
    await mine.waitFor({ timeout: 120000 });
    const before = await p.evaluate(() => performance.getEntriesByType("navigation").length);
    assert.equal(before, 1, "no reload");
    await mine.locator("button").click();
    await p.locator(`li.alert.acked:has-text("${t.id}")`).first().waitFor();
    await checked(p, "05-alerts");
    await p.close();
  });

  test("test_console_department_opinion_with_photos", async () => {
    const work = await srv.fieldWork(APP_REPORT);
    assert.ok(work.photos.length >= 1);
    const dept = work.departments[0];
    const deskToken = await srv.token("department", `${dept}-desk`, dept);
    // The report exists for the department before its desk opens (gRPC port).
    let rep = { code: -1 };
    for (let i = 0; i < 60 && rep.code !== 0; i++) {
      rep = await srv.grpcCall("/inspect.v1.Departments/GetReconciliation", "departments_pb2.GetReconciliationRequest", "departments_pb2.Report", { reportId: work.report }, deskToken);
      if (rep.code !== 0) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(rep.code, 0, `GetReconciliation ${work.report}: ${JSON.stringify(rep)}`);
    const p = await signedIn(deskToken);
    await p.goto(`${srv.url}/#/dept`);
    const link = p.locator(`a[href="#/report/${work.report}"]`);
    try {
      await link.waitFor();
    } catch (err) { // say what the desk showed instead
      console.log(`the desk without ${work.report}:\n${await p.locator("main").innerText()}`);
      throw err;
    }
    await p.locator(`#feed li:has-text("${work.task}")`).first().waitFor(); // its change feed, followed
    await checked(p, "06-department");
    await link.click();
    await p.locator("#photos img").first().waitFor();
    await p.waitForFunction((n) => [...document.querySelectorAll("#photos img")].filter((i) => i.complete && i.naturalWidth === 48).length === n, work.photos.length);
    await p.fill("#op-reasons", "现场情况与申报一致，同意");
    await p.click("form.opinion button[type=submit]");
    await p.locator(`td:text-is("${dept}")`).first().waitFor();
    await checked(p, "07-report");
    // the same report again: the opinion is given once
    await p.click("form.opinion button[type=submit]");
    const again = p.locator("form.opinion .notice.error");
    await again.waitFor();
    assert.ok((await again.textContent()).length > 20);
    await p.close();

    const other = "culture";
    assert.ok(!work.departments.includes(other));
    const q = await signedIn(await srv.token("department", `${other}-desk`, other));
    await q.goto(`${srv.url}/#/report/${work.report}`);
    const refused = q.locator("main .notice.error").first();
    await refused.waitFor();
    assert.match(await refused.textContent(), /^PermissionDenied: department culture/);
    await q.close();
    const c = await srv.clients(await srv.token("department", `${other}-desk`, other));
    try {
      for await (const _ of c.departments.getPhoto({ photoId: work.photos[0] })) assert.fail("a chunk");
      assert.fail("GetPhoto answered");
    } catch (err) {
      assert.ok(err instanceof ConnectError);
      assert.equal(err.code, Code.PermissionDenied, err.rawMessage);
    }
  });

  test("test_console_map_audit_and_dossier", async () => {
    const p = await signedIn(dispatcherToken);
    await p.goto(`${srv.url}/#/map`);
    await p.locator("svg.map circle").first().waitFor();
    assert.ok((await p.locator("svg.map circle").count()) >= 40);
    await checked(p, "08-map");
    await p.close();
    // the audit trail and the dossier are the auditor's
    const a = await signedIn(await srv.token("auditor", "audit-li"));
    await a.goto(`${srv.url}/#/audit/${APP_REPORT}`);
    // the events stream in: wait for them rather than count the first few
    await a.waitForFunction(() => document.querySelectorAll("tbody tr").length >= 5, null, { timeout: 30000 });
    assert.ok((await a.locator("tbody tr").count()) >= 5, "the application's and its task's events");
    await checked(a, "09-audit");
    const dl = a.waitForEvent("download");
    await a.click("#dossier");
    const file = await dl;
    assert.equal(file.suggestedFilename(), `dossier-${APP_REPORT}.tar`);
    await a.close();
  });
});
