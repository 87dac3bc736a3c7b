// Drives the console in real headless Chromium (Debian's chromium via playwright-core).
// Called by tests/server/browser.rs with the scenario in environment variables; prints one
// JSON line of findings and exits non-zero on the first failed check.
'use strict';
const path = require('path');
const fs = require('fs');

const env = (k) => { const v = process.env[k]; if (v === undefined) { throw new Error('missing env ' + k); } return v; };
const { chromium } = require(path.join(env('VIGIL_NODE_DIR'), 'node_modules', 'playwright-core'));
const BASE = env('VIGIL_URL');
const SHOTS = env('VIGIL_SHOTS');
const MODE = env('VIGIL_MODE');

function check(cond, msg) { if (!cond) { throw new Error(msg); } }

async function waitGraph(page) {
  await page.waitForSelector('#graph[data-ready]', { timeout: 30000 });
  const state = await page.getAttribute('#graph', 'data-ready');
  check(state === 'true', 'graph failed: ' + (await page.textContent('#graph-status')));
  check(await page.locator('#graph canvas').count() > 0, 'cytoscape drew no canvas');
  return page.evaluate(() => window.vigilGraph.nodes().map((n) => ({ id: n.id(), label: n.data('label'), cls: n.classes() })));
}

async function login(page) {
  await page.goto(BASE + '/login');
  await page.fill('#token', env('VIGIL_TOKEN'));
  await Promise.all([page.waitForURL(BASE + '/alerts'), page.click('button[type=submit]')]);
}

async function story(page, out) {
  const alertId = env('VIGIL_ALERT');
  await login(page);
  const rows = await page.locator('table.alerts tbody tr').count();
  check(rows >= 5, 'alert list has ' + rows + ' rows');
  await page.screenshot({ path: path.join(SHOTS, 'alerts.png'), fullPage: true });
  // Filters narrow the list.
  await page.selectOption('select[name=severity]', 'critical');
  await Promise.all([page.waitForURL(/severity=critical/), page.click('form.filters button')]);
  const critical = await page.locator('table.alerts tbody tr').count();
  check(critical === 3, 'critical filter shows ' + critical);
  out.list_rows = rows;

  await Promise.all([page.waitForURL(BASE + '/alerts/' + alertId), page.click('a.alert-link:has-text("Potentially compromised AWS keys")')]);
  const timeline = await page.locator('#timeline tbody tr').count();
  check(timeline === Number(env('VIGIL_TIMELINE')), 'timeline has ' + timeline + ' rows');
  const tactics = await page.locator('#tactics li').allTextContents();
  check(tactics.length === 3 && tactics[0].startsWith('TA0007'), 'tactics: ' + tactics);
  const nodes = await waitGraph(page);
  const ids = nodes.map((n) => n.id);
  check(ids.includes('key:' + env('VIGIL_KEY')), 'no key node');
  check(ids.includes('session:' + env('VIGIL_SESSION')), 'no role session node');
  check(nodes.some((n) => n.label.startsWith('rds:CreateDBClusterSnapshot')), 'no snapshot call node');
  check(nodes.some((n) => n.cls.includes('new')), 'nothing marked new vs baseline');
  out.graph_nodes = nodes.length;
  out.timeline_rows = timeline;
  await page.screenshot({ path: path.join(SHOTS, 'alert.png'), fullPage: true });

  // Every evidence event is one click away.
  await Promise.all([page.waitForURL(/\/events\/cloudtrail\//), page.click('#timeline a.event-link >> nth=0')]);
  check((await page.textContent('#event-json')).includes('"cloud"'), 'event page shows the event');
  await page.screenshot({ path: path.join(SHOTS, 'event.png'), fullPage: true });
  await page.goBack();

  // The status workflow.
  await page.selectOption('#status-form select', 'investigating');
  await page.fill('#status-form input[name=reason]', 'checking with the contractor');
  await Promise.all([page.waitForLoadState('load'), page.click('#status-form button')]);
  check((await page.textContent('#alert-status')).includes('investigating'), 'status did not change');

  await page.goto(BASE + '/graph?alert=' + encodeURIComponent(alertId));
  const full = await waitGraph(page);
  await page.evaluate((id) => window.vigilGraph.$id(id).emit('tap'), 'key:' + env('VIGIL_KEY'));
  check((await page.textContent('#graph-detail')).includes(env('VIGIL_KEY')), 'node details not shown');
  await page.screenshot({ path: path.join(SHOTS, 'polygraph.png'), fullPage: true });
  out.full_graph_nodes = full.length;
}

async function xss(page, out) {
  const payloads = JSON.parse(env('VIGIL_PAYLOADS'));
  const alertId = env('VIGIL_ALERT');
  await login(page);
  const pages = ['/alerts', '/alerts/' + encodeURIComponent(alertId), '/graph?alert=' + encodeURIComponent(alertId)]
    .concat(JSON.parse(env('VIGIL_EVENT_PAGES')));
  for (const p of pages) {
    await page.goto(BASE + p);
    if (await page.locator('#graph').count() > 0) {
      const nodes = await waitGraph(page);
      const proc = nodes.find((n) => n.label.includes('<img'));
      check(proc, 'payload node drawn on ' + p);
      await page.evaluate((id) => window.vigilGraph.$id(id).emit('tap'), proc.id);
      check((await page.textContent('#graph-detail')).includes(payloads[0]), 'detail panel shows the payload as text');
    }
    const text = await page.evaluate(() => document.body.innerText);
    check(payloads.some((x) => text.includes(x)), 'no payload shown as text on ' + p);
    const injected = await page.evaluate(() => ({
      xss: window.__xss,
      imgs: document.querySelectorAll('img[src="x"], svg[onload], [onerror]').length,
      inlineScripts: Array.from(document.scripts).filter((s) => !s.src).length,
    }));
    check(injected.xss === undefined, 'a payload ran on ' + p);
    check(injected.imgs === 0, 'payload markup became elements on ' + p);
    check(injected.inlineScripts === 0, 'an inline script on ' + p);
    const name = p === '/alerts' ? 'xss-alerts' : p.startsWith('/graph') ? 'xss-graph' : p.startsWith('/alerts') ? 'xss-alert' : 'xss-event-' + out.pages;
    await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
    out.pages = (out.pages || 0) + 1;
  }
}

(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.VIGIL_CHROMIUM || '/usr/bin/chromium',
    // Playwright gives every launch a fresh temporary profile (the --user-data-dir of STACK.md).
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const out = { mode: MODE };
  const problems = [];
  let lastPage = null;
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
    });
    const page = await context.newPage();
    lastPage = page;
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => { if (m.type() === 'error') { problems.push('console error: ' + m.text()); } });
    page.on('dialog', (d) => { problems.push('a dialog opened: ' + d.message()); d.dismiss(); });
    if (MODE === 'story') { await story(page, out); } else { await xss(page, out); }
    const csp = await page.evaluate(() => window.__csp);
    check(csp.length === 0, 'CSP violations: ' + csp.join('; '));
    check(problems.length === 0, problems.join('\n'));
    console.log(JSON.stringify(out));
  } catch (e) {
    console.error(String(e && e.stack || e));
    if (lastPage) {
      console.error('at ' + lastPage.url() + ':\n' + (await lastPage.evaluate(() => document.body && document.body.innerText).catch(() => '')).slice(0, 2000));
    }
    if (problems.length) { console.error(problems.join('\n')); }
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
