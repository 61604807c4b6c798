// An admin in headless Chromium drives the admin console (/admin/) of a real workspace, for
// tests/tests/e2e/console_browser.rs: signs in (a wrong password first), adds a person and
// invites them, the person sets their password through the one-time link, the admin edits the
// (the live queue board first: a customer who starts waiting appears, and is assigned)
// chat template and watches the toast preview change, looks at every page, and finds the
// audit log's lines; a person who is not an admin is turned away. Screenshots of each page.
// Env: HERALD_URL, ADMIN_EMAIL, ADMIN_PASSWORD, PERSON_PASSWORD, ARTIFACTS, CHROMIUM.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const url = process.env.HERALD_URL;
const out = process.env.ARTIFACTS ?? "target/test-artifacts/console";
mkdirSync(out, { recursive: true });
const step = (what) => console.log(`console: ${what}`);
const expectText = async (locator, want, what) => {
  const got = (await locator.textContent())?.trim() ?? "";
  if (!got.includes(want)) throw new Error(`${what}: expected ${JSON.stringify(want)} in ${JSON.stringify(got)}`);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("dialog", (d) => d.accept());
  const shot = (name) => page.screenshot({ path: `${out}/${name}.png` });

  // Sign in: the wrong password is refused with the API's words; the right one lets the admin in.
  await page.goto(`${url}/admin`);
  await page.getByTestId("console-sign-in").waitFor();
  await page.getByTestId("console-email").fill(process.env.ADMIN_EMAIL);
  await page.getByTestId("console-password").fill("not-the-password");
  await page.getByTestId("console-sign-in-submit").click();
  await page.getByTestId("console-sign-in-error").waitFor();
  await shot("00-sign-in-refused");
  await page.getByTestId("console-password").fill(process.env.ADMIN_PASSWORD);
  await page.getByTestId("console-sign-in-submit").click();
  // The first page is the live queue board: the test adds a waiting customer only now, and the
  // board shows her without a reload; the admin assigns her to Agent 0.
  await page.getByTestId("page-board").waitFor();
  await page.locator('[data-testid="board-live"][data-state="live"]').waitFor();
  step("board open");
  const waiting = page.locator('[data-testid="waiting-item"]', { hasText: "Ada Lovelace" });
  await waiting.waitFor();
  await shot("01-board-waiting");
  await waiting.getByTestId("direct-agent").selectOption({ label: await waiting.getByTestId("direct-agent").locator("option", { hasText: "Agent 0" }).first().textContent() });
  await waiting.getByTestId("direct-assign").click();
  await waiting.waitFor({ state: "detached" });
  step("assigned");
  await page.getByTestId("nav-people").click();
  await page.getByTestId("page-people").waitFor();
  step("signed in");

  // People: add Grace and invite her in one go; the one-time link is shown once.
  await page.getByTestId("people-table").waitFor();
  await page.getByTestId("new-person-name").fill("Grace Hopper");
  await page.getByTestId("new-person-email").fill("grace@example.com");
  await page.getByTestId("new-person-role").selectOption("agent");
  await page.getByTestId("new-person-submit").click();
  const link = (await page.getByTestId("invite-link").textContent()).trim();
  if (!link.startsWith(`${url}/admin/#/set-password?code=`)) throw new Error(`the invite link is ${link}`);
  await page.locator('[data-testid="person-row"]', { hasText: "Grace Hopper" }).waitFor();
  await shot("02-people-invited");
  step(`invited ${link}`);

  // Grace opens the link (not signed in: a fresh context) and sets her password.
  const grace = await (await browser.newContext({ viewport: { width: 800, height: 700 } })).newPage();
  grace.setDefaultTimeout(15000);
  await grace.goto(link);
  await grace.getByTestId("set-password-new").fill(process.env.PERSON_PASSWORD);
  await grace.getByTestId("set-password-repeat").fill(process.env.PERSON_PASSWORD + "x");
  await grace.getByTestId("set-password-submit").click();
  await grace.getByText("the two passwords are not the same").waitFor();
  await grace.getByTestId("set-password-repeat").fill(process.env.PERSON_PASSWORD);
  await grace.getByTestId("set-password-submit").click();
  await grace.getByTestId("set-password-done").waitFor();
  await grace.screenshot({ path: `${out}/03-set-password-done.png` });
  step("password set");

  // Templates: the chat's title gets the customer's name; the preview follows before saving.
  await page.getByTestId("nav-templates").click();
  await page.getByTestId("template-scenario").selectOption("chat");
  await page.getByTestId("template-title").fill("Chat with {customerName}");
  const name = (await page.getByTestId("sample-customer-name").inputValue()).trim();
  await expectText(page.getByTestId("preview-title"), `Chat with ${name}`, "the preview's title");
  await page.getByTestId("template-reject").check();
  await page.getByTestId("preview-reject").waitFor();
  await shot("04-template-preview");
  await page.getByTestId("template-timeout").fill("501");
  await page.getByTestId("template-save").click();
  await page.getByTestId("template-timeout-error").waitFor();
  await page.getByTestId("template-timeout").fill("45");
  await page.getByTestId("template-save").click();
  await page.getByTestId("template-saved").waitFor();
  step("template saved");

  // Every other page draws what the workspace has.
  await page.getByTestId("nav-queues").click();
  await page.getByTestId("queue-row").first().waitFor();
  await shot("05-queues");
  await page.getByTestId("nav-settings").click();
  await page.getByTestId("settings-form").waitFor();
  await shot("06-settings");
  await page.getByTestId("nav-channels").click();
  await page.getByTestId("twilio-status").waitFor();
  await page.getByTestId("widget-row").first().waitFor();
  await shot("07-channels");
  await page.getByTestId("nav-audit").click();
  for (const action of ["sign_in_failed", "sign_in", "password_set", "template_changed"]) {
    await page.locator(`[data-testid="audit-row"][data-action="${action}"]`).first().waitFor();
  }
  await shot("08-audit");
  step("pages seen");

  // Grace is not an admin: the console turns her away.
  await grace.goto(`${url}/admin/`);
  await grace.getByTestId("console-email").fill("grace@example.com");
  await grace.getByTestId("console-password").fill(process.env.PERSON_PASSWORD);
  await grace.getByTestId("console-sign-in-submit").click();
  await grace.getByTestId("console-not-admin").waitFor();
  await grace.screenshot({ path: `${out}/09-not-admin.png` });
  step("done");
} finally {
  await browser.close();
}
