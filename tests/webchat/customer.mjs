// A customer in headless Chromium, for tests/tests/e2e/webchat_browser.rs (which drives the agent
// through herald-client). Each step waits for what the customer would see; nothing sleeps.
// Env: HERALD_URL (the workspace), ARTIFACTS (screenshot folder), CHROMIUM (default /usr/bin/chromium).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const url = process.env.HERALD_URL;
const out = process.env.ARTIFACTS ?? "target/test-artifacts/webchat";
mkdirSync(out, { recursive: true });
const step = (what) => console.log(`customer: ${what}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 420, height: 640 } });
  page.setDefaultTimeout(15000);
  const shot = (name) => page.screenshot({ path: `${out}/${name}.png` });
  const line = (from, text) => page.locator(`#lines li[data-from="${from}"]`, { hasText: text });

  await page.goto(`${url}/webchat/default`);
  await page.getByLabel("Your name").fill("Ada");
  await page.getByLabel("What is it about?").fill("My bill");
  await page.getByLabel("Email (optional)").fill("ada@example.org");
  await shot("1-prechat");
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.getByText("Waiting for an agent…").waitFor();
  await shot("2-waiting");
  step("waiting");

  await page.getByText("You are chatting with Agent 0").waitFor();
  await page.getByLabel("Message", { exact: true }).fill("Hi, I was charged twice");
  await page.keyboard.press("Enter");
  await line("you", "Hi, I was charged twice").waitFor();
  await line("agent", "Sorry about that, Ada").waitFor();
  await shot("3-chatting");
  step("talking");

  // A reload keeps the chat (the token is in the tab's session storage) and its history.
  await page.reload();
  await line("agent", "Sorry about that, Ada").waitFor();
  await line("you", "Hi, I was charged twice").waitFor();
  await page.getByText("You are chatting with Agent 0").waitFor();
  await page.getByLabel("Message", { exact: true }).fill("I reloaded the page");
  await page.getByRole("button", { name: "Send" }).click();
  await line("agent", "The refund is on its way").waitFor();

  await page.getByText("This chat has ended.").waitFor();
  if (await page.getByRole("button", { name: "Send" }).isEnabled()) throw new Error("Send stays enabled after the end");
  const text = await page.locator("body").innerText();
  for (const leak of ["agent-", "presence", "Available"]) {
    if (text.includes(leak)) throw new Error(`the page shows ${leak}`);
  }
  await shot("4-ended");

  // The embeddable script on someone else's page: a button that opens the chat in a panel.
  const host = await browser.newPage({ viewport: { width: 900, height: 700 } });
  host.setDefaultTimeout(15000);
  await host.setContent(`<h1>Example shop</h1><script src="${url}/webchat/embed.js" data-widget="default"></script>`);
  await host.getByRole("button", { name: "Chat with us" }).click();
  await host.frameLocator('iframe[title="Chat"]').getByLabel("Your name").waitFor();
  await host.screenshot({ path: `${out}/5-embedded.png` });
  step("done");
} finally {
  await browser.close();
}
