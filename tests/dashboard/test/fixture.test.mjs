// The dashboard page against a fixture server: node's http serving the page the binary
// embeds (core/dashboard/dashboard.html; dashboard_json_test checks page_html() is that
// file) and a mutable /__admin/dashboard.json. Proves: the page loads with no external
// request and no script error, shows a provider whose breaker is open (coloured), updates in
// place when it closes, renders queues, recent traces, sparklines, and the simulator's
// faults and routes; a failing JSON endpoint is reported and recovered from.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import { launchBrowser, openPage } from "./helpers.mjs";

const PAGE = process.env.PLOKE_DASHBOARD_HTML;
assert.ok(PAGE && fs.existsSync(PAGE), "PLOKE_DASHBOARD_HTML must name core/dashboard/dashboard.html");
const html = fs.readFileSync(PAGE);

function endpoint(id, breaker, extra = {}) {
  return {
    id, provider: id.split("/")[0], model: "gpt-4o", breaker,
    open_remaining_ms: breaker === "open" ? 4000 : 0, openings: breaker === "closed" ? 0 : 1,
    breaker_failure_rate: 0, breaker_slow_rate: 0, calls: 10, successes: 4, error_rate: 0.6, score: 0.5,
    latency_ms: {
      total: { count: 10, p50: 12, p95: 40, p99: 55, mean: 15, max: 60 },
      ttft: { count: 10, p50: 3, p95: 8, p99: 9, mean: 4, max: 9 },
    },
    errors_by_code: { server_error: 6 },
    recent_events: breaker === "open" ? [{ from: "closed", to: "open", reason: "5 failures in a row" }] : [],
    ...extra,
  };
}

function gatewayState(breaker, requests) {
  return {
    version: 1, kind: "gateway", name: "fixture gateway", uptime_s: 3,
    totals: { requests, errors: 6, in_flight: 2 },
    latency_ms: {
      total: { count: requests, p50: 11, p95: 42, p99: 57, mean: 14, max: 60 },
      ttft: { count: requests, p50: 3, p95: 7, p99: 9, mean: 4, max: 9 },
    },
    endpoints: [endpoint("alpha/gpt-4o", breaker), endpoint("beta/gpt-4o", "closed", { error_rate: 0 })],
    queue: {
      in_flight: 2, max_in_flight: 64, worker_queue: 0,
      lanes: ["interactive", "normal", "bulk"].map((lane, i) => ({
        lane, depth: i === 1 ? 3 : 0, capacity: 256, max_depth: 5, admitted: 10, queued: 1, rejected: 0, wait_p95_ms: 1.5,
      })),
    },
    recent: [{
      id: "gw-" + requests, outcome: "ok", served_by: "beta/gpt-4o", policy: "pinned", lane: "normal",
      total_ms: 12.5, queue_wait_ms: 0, cost_usd: 0.0001, error: null,
      attempts: [
        { endpoint: "alpha/gpt-4o", outcome: "server_error", ms: 2, ttft_ms: null, decision: "fall over: server_error" },
        { endpoint: "beta/gpt-4o", outcome: "ok", ms: 10, ttft_ms: 3, decision: "done" },
      ],
      notes: [],
    }, {
      id: "gw-failed", outcome: "overloaded", served_by: "", policy: "pinned", lane: "normal",
      total_ms: 1, queue_wait_ms: 0, cost_usd: 0, error: "overloaded: admission queue full", attempts: [], notes: [],
    }],
  };
}

const simulatorState = {
  version: 1, kind: "simulator", name: "fixture simulator", uptime_s: 1,
  totals: { requests: 7, errors: 2, in_flight: null, counted: 7, dropped: 0 },
  routes: [
    { method: "POST", route: "/v1/chat/completions", requests: 5, errors: 2, statuses: { "200": 3, "503": 2 } },
    { method: "GET", route: "/v1/models", requests: 2, errors: 0, statuses: { "200": 2 } },
  ],
  models: { "gpt-4o": 5 },
  faults: [
    { id: "down", kind: "http_error", summary: "http_error 503", match: "inference paths", trigger: "always",
      active: true, exhausted: false, matched: 5, fired: 2 },
    { id: "once", kind: "reset", summary: "reset", match: "inference paths", trigger: "times 1",
      active: false, exhausted: true, matched: 5, fired: 1 },
  ],
  faults_fired_by_kind: { http_error: 2, reset: 1 },
  recent: [{ id: "req_abc", seq: 7, outcome: "503", status: "503", served_by: "gpt-4o", method: "POST",
    path: "/v1/chat/completions", stream: true, at_ms: 12, total_ms: null, fault_id: "down", attempts: [],
    notes: ["fault down"] }],
};

let state = gatewayState("open", 10);
let failJson = false;
const hitTimes = [];
let server, base, browser;

before(async () => {
  server = http.createServer((req, res) => {
    const path = req.url.split("?")[0];
    if (path === "/__admin/dashboard") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(html);
    } else if (path === "/__admin/dashboard.json") {
      hitTimes.push(performance.now());
      if (failJson) { res.writeHead(503, { "content-type": "application/json" }); res.end('{"error":"down"}'); return; }
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(state));
    } else {
      res.writeHead(404); res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) { server.closeAllConnections(); await new Promise((r) => server.close(r)); }
});

test("gateway view: open breaker shown, then updates in place to closed", async () => {
  state = gatewayState("open", 10);
  const { context, page, problems } = await openPage(browser, base);
  try {
    const resp = await page.goto(`${base}/__admin/dashboard?interval=100`);
    assert.equal(resp.status(), 200);
    const alpha = page.locator('tr[data-endpoint="alpha/gpt-4o"]');
    await alpha.and(page.locator('[data-breaker="open"]')).waitFor({ timeout: 10000 });
    assert.equal(await page.getAttribute("body", "data-kind"), "gateway");
    assert.equal(await page.getAttribute("body", "data-state"), "ok");
    assert.equal((await page.textContent("#title")).trim(), "fixture gateway");
    const badge = alpha.locator('[data-role="breaker"]');
    assert.equal((await badge.textContent()).trim(), "open");
    assert.match(await badge.getAttribute("class"), /breaker-open/);
    // Coloured: the open badge is red-ish, different from the closed one.
    const openColor = await badge.evaluate((el) => getComputedStyle(el).backgroundColor);
    const closedColor = await page.locator('tr[data-endpoint="beta/gpt-4o"] [data-role="breaker"]')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(openColor, closedColor);
    assert.match(await alpha.textContent(), /60\.0%/);        // error rate
    assert.match(await alpha.textContent(), /12\.0 \/ 40\.0 \/ 55\.0/);  // total p50/p95/p99
    assert.match(await alpha.textContent(), /server_error 6/);
    // Queue lanes, recent traces, totals.
    assert.equal(await page.getAttribute('tr[data-lane="normal"]', "data-depth"), "3");
    await page.locator('tr[data-request-id="gw-10"][data-outcome="ok"]').waitFor();
    assert.match(await page.textContent('tr[data-request-id="gw-10"]'), /alpha\/gpt-4o:server_error .*→ beta\/gpt-4o:ok/);
    assert.equal(await page.getAttribute('tr[data-request-id="gw-failed"]', "data-outcome"), "overloaded");
    assert.equal((await page.textContent('#totals [data-field="requests"]')).trim(), "10");
    assert.equal((await page.textContent('#totals [data-field="total_pcts"]')).trim(), "11.0 / 42.0 / 57.0");
    assert.ok(await page.locator("#faults-section").isHidden(), "no faults section on the gateway");

    // The row element must be updated in place, not replaced.
    await alpha.evaluate((el) => { el.dataset.marker = "same-row"; });
    const polls0 = Number(await page.getAttribute("body", "data-polls"));
    state = gatewayState("closed", 30);
    await page.locator('tr[data-endpoint="alpha/gpt-4o"][data-breaker="closed"]').waitFor({ timeout: 10000 });
    assert.equal(await alpha.getAttribute("data-marker"), "same-row");
    assert.equal((await badge.textContent()).trim(), "closed");
    assert.match(await badge.getAttribute("class"), /breaker-closed/);
    assert.ok(Number(await page.getAttribute("body", "data-polls")) > polls0);
    // The old recent row is gone, the new one is there.
    await page.locator('tr[data-request-id="gw-30"]').waitFor();
    assert.equal(await page.locator('tr[data-request-id="gw-10"]').count(), 0);
    // Sparklines got points and a non-zero request rate once requests grew.
    await page.waitForFunction(() => document.querySelector("#spark-rate polyline").getAttribute("points").split(" ").length >= 2);
    await page.waitForFunction(() => document.querySelector('#totals [data-field="rate"]').textContent !== "–");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("half_open breaker state is shown", async () => {
  state = gatewayState("half_open", 40);
  const { context, page, problems } = await openPage(browser, base);
  try {
    await page.goto(`${base}/__admin/dashboard?interval=100`);
    const badge = page.locator('tr[data-endpoint="alpha/gpt-4o"][data-breaker="half_open"] [data-role="breaker"]');
    await badge.waitFor({ timeout: 10000 });
    assert.equal((await badge.textContent()).trim(), "half-open");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("simulator view: faults with fired counts, routes, no provider table", async () => {
  state = simulatorState;
  const { context, page, problems } = await openPage(browser, base);
  try {
    await page.goto(`${base}/__admin/dashboard?interval=100`);
    await page.locator('tr[data-fault="down"][data-active="true"]').waitFor({ timeout: 10000 });
    assert.equal(await page.getAttribute("body", "data-kind"), "simulator");
    assert.equal(await page.getAttribute('tr[data-fault="down"]', "data-fired"), "2");
    assert.equal(await page.getAttribute('tr[data-fault="once"]', "data-active"), "false");
    assert.match(await page.textContent('tr[data-fault="once"]'), /exhausted/);
    assert.equal(await page.getAttribute('tr[data-route="POST /v1/chat/completions"]', "data-count"), "5");
    assert.match(await page.textContent('tr[data-route="POST /v1/chat/completions"]'), /503×2/);
    assert.ok(await page.locator("#endpoints-section").isHidden());
    assert.equal(await page.getAttribute('tr[data-request-id="req_abc"]', "data-outcome"), "503");
    assert.match(await page.textContent('tr[data-request-id="req_abc"]'), /POST \/v1\/chat\/completions \(stream\) → 503 +\[fault down\]/);
    assert.ok(await page.locator('[data-field="total_pcts"]').isHidden(), "no latency cards without latency_ms");
    // A fault that fires more often is updated in place.
    state = structuredClone(simulatorState);
    state.faults[0].fired = 9;
    await page.locator('tr[data-fault="down"][data-fired="9"]').waitFor({ timeout: 10000 });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a failing JSON endpoint is reported, and the page recovers", async () => {
  state = gatewayState("open", 50);
  const { context, page } = await openPage(browser, base);
  try {
    await page.goto(`${base}/__admin/dashboard?interval=100`);
    await page.locator('body[data-state="ok"]').waitFor({ timeout: 10000 });
    failJson = true;
    await page.locator('body[data-state="error"]').waitFor({ timeout: 10000 });
    assert.match(await page.textContent("#status"), /HTTP 503/);
    // The last data stays on screen.
    assert.equal(await page.locator('tr[data-endpoint="alpha/gpt-4o"][data-breaker="open"]').count(), 1);
    failJson = false;
    state = gatewayState("closed", 60);
    await page.locator('tr[data-endpoint="alpha/gpt-4o"][data-breaker="closed"]').waitFor({ timeout: 10000 });
    assert.equal(await page.getAttribute("body", "data-state"), "ok");
  } finally {
    failJson = false;
    await context.close();
  }
});

test("the poll interval is configurable (?interval=ms)", async () => {
  state = gatewayState("closed", 70);
  const { context, page } = await openPage(browser, base);
  try {
    hitTimes.length = 0;
    await page.goto(`${base}/__admin/dashboard?interval=200`);
    await page.waitForFunction(() => Number(document.body.dataset.polls) >= 6, null, { timeout: 20000 });
    assert.equal(await page.evaluate(() => window.plokeDashboard.interval), 200);
    const gaps = hitTimes.slice(1).map((t, i) => t - hitTimes[i]).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)];
    // ~200 ms apart: not the 1 s default, and not faster than asked.
    assert.ok(median >= 150 && median < 800, "median gap " + median + " ms: " + gaps.join(","));
  } finally {
    await context.close();
  }
});
