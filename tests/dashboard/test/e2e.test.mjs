// End to end: the real binaries on loopback, the dashboard in headless Chromium.
//
// 1. `ploke-sim gateway --sim` (two in-process simulators sim-a → sim-b behind the
//    gateway): a fault plan on sim-a (POST /__admin/faults on the simulator), requests
//    through the gateway open sim-a's breaker, the gateway's dashboard shows it open; the
//    fault is cleared, after the breaker's wait the trial requests succeed, and the page
//    shows it closed again.
// 2. `ploke-sim serve`: the simulator's own dashboard shows the active fault and its fired
//    count, and GET /metrics is Prometheus text with the same counts.
//
// The simulator test skips itself (saying why) while the simulator front does not serve
// /__admin/dashboard (a 404): its route wiring is pending.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import readline from "node:readline";
import { launchBrowser, openPage } from "./helpers.mjs";

const BIN = process.env.PLOKE_SIM_BIN;
assert.ok(BIN, "PLOKE_SIM_BIN must name the ploke-sim binary");

const children = new Set();
process.on("exit", () => { for (const c of children) { try { c.kill("SIGKILL"); } catch { /* gone */ } } });

/// Starts `BIN args...`, resolves with {child, lines} once `ready(line)` returned true for
/// a stdout line (lines: every stdout line so far).
function start(args, ready, timeoutMs = 20000) {
  const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const lines = [];
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; if (stderr.length > 20000) stderr = stderr.slice(-20000); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]}: not ready in ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    const rl = readline.createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      lines.push(line);
      if (ready(line, lines)) { clearTimeout(timer); resolve({ child, lines, stderr: () => stderr }); }
    });
    child.on("exit", (code, sig) => { clearTimeout(timer); children.delete(child); reject(new Error(`${args[0]} exited (${code ?? sig})\n${stderr}`)); });
  });
}

async function stop(proc) {
  if (!proc || proc.child.exitCode !== null) return;
  const exited = new Promise((r) => proc.child.once("exit", (code, sig) => r({ code, sig })));
  proc.child.kill("SIGTERM");
  const killer = setTimeout(() => proc.child.kill("SIGKILL"), 15000);
  const res = await exited;
  clearTimeout(killer);
  children.delete(proc.child);
  return res;
}

async function chat(base, model) {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-FAKE-dashboard-e2e" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }], max_tokens: 8 }),
  });
  await res.arrayBuffer();
  return res.status;
}

/// True when `BIN name --help` describes that subcommand (an older binary prints its main
/// help instead), i.e. mentions `flag`.
function hasSubcommand(name, flag) {
  const r = spawnSync(BIN, [name, "--help"], { encoding: "utf8", timeout: 10000 });
  return r.status === 0 && r.stdout.includes(flag);
}

let browser;
async function getBrowser() { if (!browser) browser = await launchBrowser(); return browser; }
after(async () => { if (browser) await browser.close(); });

test("gateway --sim: a fault opens sim-a's breaker on the dashboard, and it closes again", async () => {
  assert.ok(hasSubcommand("gateway", "--sim-faults"), "`ploke-sim gateway --help` does not describe the gateway");
  const model = "gpt-4o-mini";
  const gw = await start(
    ["gateway", "--sim", "--host", "127.0.0.1", "--port", "0", "--sim-ttft-ms", "0", "--sim-tps", "5000",
      "--model", model, "--policy", "pinned"],
    (line) => line.startsWith("listening on "));
  try {
    const base = gw.lines.find((l) => l.startsWith("listening on ")).slice("listening on ".length).trim();
    const simA = gw.lines.map((l) => l.match(/^upstream sim-a (\S+)/)).find(Boolean)?.[1];
    assert.ok(simA, "gateway printed no 'upstream sim-a URL' line:\n" + gw.lines.join("\n"));
    const probe = await fetch(`${base}/__admin/dashboard`);
    await probe.arrayBuffer();
    assert.equal(probe.status, 200);
    assert.match(probe.headers.get("content-type"), /text\/html/);

    const b = await getBrowser();
    const { context, page, problems } = await openPage(b, base);
    try {
      await page.goto(`${base}/__admin/dashboard?interval=200`);
      const row = (breaker) => page.locator(`tr[data-endpoint="sim-a/${model}"][data-breaker="${breaker}"]`);
      await row("closed").waitFor({ timeout: 15000 });
      assert.equal(await page.getAttribute("body", "data-kind"), "gateway");

      // The fault: every chat request to sim-a gets a 503.
      const set = await fetch(`${simA}/__admin/faults`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ faults: [{ id: "down", kind: "http_error", status: 503 }] }),
      });
      assert.equal(set.status, 200, await set.text());

      // Requests through the gateway: sim-a fails, sim-b serves; the breaker opens.
      for (let i = 0; i < 40 && (await row("open").count()) === 0; i++) {
        assert.equal(await chat(base, model), 200, "the gateway falls over to sim-b");
        await page.waitForTimeout(50);
      }
      await row("open").waitFor({ timeout: 15000 });
      const badge = row("open").locator('[data-role="breaker"]');
      assert.equal((await badge.textContent()).trim(), "open");
      assert.match(await badge.getAttribute("class"), /breaker-open/);
      // Recent requests show the trace: sim-a failed (a 503 is classified "overloaded"),
      // sim-b served.
      await page.waitForFunction((m) => Array.from(document.querySelectorAll('tr[data-request-id][data-outcome="ok"]'))
        .some((tr) => new RegExp(`sim-a/${m}:(?!ok)[a-z_]+ .*→ sim-b/${m}:ok`).test(tr.textContent)),
      model, { timeout: 15000 });

      // Clear the fault; once the breaker's wait is over, trial requests succeed → closed.
      const del = await fetch(`${simA}/__admin/faults`, { method: "DELETE" });
      assert.equal(del.status, 200);
      const deadline = Date.now() + 60000;
      while ((await row("closed").count()) === 0) {
        assert.ok(Date.now() < deadline, "sim-a's breaker did not close within 60 s of clearing the fault");
        assert.equal(await chat(base, model), 200);
        await page.waitForTimeout(250);
      }
      await row("closed").waitFor({ timeout: 15000 });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  } finally {
    const res = await stop(gw);
    assert.equal(res?.code, 0, "gateway exit on SIGTERM: " + JSON.stringify(res) + "\n" + gw.stderr());
  }
});

test("serve: the simulator's dashboard shows the fault firing, /metrics agrees", async (t) => {
  const sim = await start(["serve", "--host", "127.0.0.1", "--port", "0", "--seed", "7", "--ttft-ms", "0", "--tps", "5000"],
    (line) => line.startsWith("listening on "));
  try {
    const base = sim.lines.find((l) => l.startsWith("listening on ")).slice("listening on ".length).trim();
    const probe = await fetch(`${base}/__admin/dashboard`);
    await probe.arrayBuffer();
    assert.equal(probe.status, 200);

    const set = await fetch(`${base}/__admin/faults`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ faults: [{ id: "rl", kind: "http_error", status: 429, trigger: { nth: 1, every: 2 } }] }),
    });
    assert.equal(set.status, 200, await set.text());

    const b = await getBrowser();
    const { context, page, problems } = await openPage(b, base);
    try {
      await page.goto(`${base}/__admin/dashboard?interval=200`);
      await page.locator('tr[data-fault="rl"][data-active="true"][data-fired="0"]').waitFor({ timeout: 15000 });
      assert.equal(await page.getAttribute("body", "data-kind"), "simulator");
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await chat(base, "gpt-4o"));
      assert.deepEqual(statuses, [429, 200, 429, 200]);
      await page.locator('tr[data-fault="rl"][data-fired="2"]').waitFor({ timeout: 15000 });
      await page.locator('tr[data-route="POST /v1/chat/completions"][data-count="4"]').waitFor({ timeout: 15000 });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }

    const m = await fetch(`${base}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
    const text = await m.text();
    assert.match(text, /^# TYPE ploke_sim_requests_total counter$/m);
    assert.match(text, /^ploke_sim_requests_total\{method="POST",route="\/v1\/chat\/completions",model="gpt-4o",status="429"\} 2$/m);
    assert.match(text, /^ploke_sim_requests_total\{method="POST",route="\/v1\/chat\/completions",model="gpt-4o",status="200"\} 2$/m);
    assert.match(text, /^ploke_sim_fault_fired_total\{fault="rl",kind="http_error"\} 2$/m);
    assert.match(text, /^ploke_sim_faults_fired_total\{kind="http_error"\} 2$/m);
  } finally {
    const res = await stop(sim);
    assert.equal(res?.code, 0, "serve exit on SIGTERM: " + JSON.stringify(res));
  }
});
