// Shared helpers of the dashboard browser tests: launching Debian's Chromium through
// playwright-core, and a page-level guard that every request stays on the server under test.
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.PLOKE_CHROMIUM || "/usr/bin/chromium";

export async function launchBrowser() {
  const args = ["--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-dev-shm-usage"];
  // Chromium refuses to start its sandbox as root (CI containers).
  if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--no-sandbox");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 30000 });
}

/// Opens a page that records console errors, page errors and any request that leaves
/// `origin` (the dashboard must work offline).
export async function openPage(browser, origin) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("pageerror: " + e.message));
  page.on("request", (r) => { if (!r.url().startsWith(origin)) problems.push("external request: " + r.url()); });
  return { context, page, problems };
}
