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

// The posture views over the demo: identities, one identity, scans, one scan, attack paths,
// top risks — through the navigation, as a person would.
async function posture(page, out) {
  const userArn = env('VIGIL_USER_ARN');
  const roleArn = env('VIGIL_ROLE_ARN');
  const secret = env('VIGIL_SECRET');
  await login(page);
  const nav = async (label, url) => {
    await Promise.all([page.waitForURL(BASE + url), page.click('header.top nav a:has-text("' + label + '")')]);
  };
  const noSecret = async (where) => {
    const html = await page.content();
    check(!html.includes(secret) && !html.includes(secret.slice(0, 12)), 'the secret is on ' + where);
  };

  await nav('Identities', '/identities');
  const rows = await page.locator('#identities tbody tr').count();
  check(rows >= 10, 'identity list has ' + rows + ' rows');
  const dmitri = page.locator('#identities tbody tr[data-arn="' + userArn + '"]');
  check(await dmitri.count() === 1, 'contractor not listed');
  check((await dmitri.locator('td.score').textContent()).includes(env('VIGIL_USER_RISK')), 'contractor risk not shown in the list');
  out.identity_rows = rows;
  await page.screenshot({ path: path.join(SHOTS, 'identities.png'), fullPage: true });

  await Promise.all([page.waitForURL(/\/identities\/arn/), dmitri.locator('a.identity-link').click()]);
  check((await page.textContent('#risk-score')).trim() === env('VIGIL_USER_RISK'), 'contractor risk score');
  const keyAge = page.locator('#risks tr[data-category="key_older_than_180_days"]');
  check(await keyAge.count() === 1, 'no key-age risk');
  check((await keyAge.textContent()).includes('days ago'), 'key-age risk has no age');
  check(await page.locator('#risks tr[data-category="hardcoded_key_exposed"]').count() === 1, 'no hard-coded key risk');
  check((await page.textContent('#can-become')).includes(roleArn), 'contractor cannot become the role');
  await noSecret('the contractor page');
  await page.screenshot({ path: path.join(SHOTS, 'identity.png'), fullPage: true });

  await Promise.all([page.waitForURL(/InterlaceOpsAdmin/), page.click('#can-become a:has-text("InterlaceOpsAdmin")')]);
  check((await page.textContent('#granted')).trim() === env('VIGIL_ROLE_GRANTED'), 'granted count');
  check((await page.textContent('#used')).trim() === env('VIGIL_ROLE_USED'), 'used count');
  check(await page.locator('#unused-services li').count() > 0 || await page.locator('#used-actions li').count() > 0, 'no used or unused detail');
  const lp = page.locator('article.remediation[data-kind="least_privilege_policy"]');
  check(await lp.count() === 1, 'no least-privilege remediation');
  check((await lp.locator('pre.policy').textContent()).includes('"Statement"'), 'policy JSON not shown');
  check((await lp.locator('.replay').textContent()).includes('Replayed'), 'replay not shown');
  await page.screenshot({ path: path.join(SHOTS, 'identity-role.png'), fullPage: true });

  await nav('Scans', '/scans');
  const target = env('VIGIL_TARGET');
  check(await page.locator('#scans tbody tr[data-target="' + target + '"]').count() === 1, 'scan not listed');
  await page.screenshot({ path: path.join(SHOTS, 'scans.png'), fullPage: true });
  await Promise.all([page.waitForURL(/\/scans\/host/), page.click('a.scan-link')]);
  const secrets = await page.textContent('#secrets');
  check(secrets.includes(env('VIGIL_FINGERPRINT')), 'fingerprint not shown');
  check(secrets.includes(env('VIGIL_KEY')), 'key id not shown');
  check(secrets.includes(env('VIGIL_KEY_PATH')), 'secret path not shown');
  const previews = await page.locator('#secrets code.preview').allTextContents();
  check(previews.length > 0 && previews.every((p) => /^.{0,4}\**$/u.test(p)), 'previews not masked: ' + previews);
  check(await page.locator('#vulnerabilities tbody tr').count() > 0, 'no vulnerabilities');
  await noSecret('the scan page');
  out.previews = previews;
  await page.screenshot({ path: path.join(SHOTS, 'scan.png'), fullPage: true });

  await nav('Attack paths', '/paths');
  await page.waitForSelector('#graph-1[data-ready]', { timeout: 30000 });
  check(await page.getAttribute('#graph-1', 'data-ready') === 'true', 'path graph failed');
  check(await page.locator('#graph-1 canvas').count() > 0, 'no canvas for the top path');
  const drawn = await page.evaluate(() => window.vigilPaths['graph-1'].nodes().map((n) => n.data('full')));
  check(drawn.length === Number(env('VIGIL_PATH_NODES')), 'top path drew ' + drawn.length + ' nodes');
  check(drawn[0].startsWith('internet'), 'top path does not start at the internet: ' + drawn[0]);
  check(drawn[drawn.length - 1] === 'data_store: ' + env('VIGIL_CLUSTER'), 'top path does not end at the RDS cluster: ' + drawn);
  const top = page.locator('section.attack-path[data-rank="1"]');
  check((await top.locator('p.fix').textContent()).includes(env('VIGIL_SG')), 'fix does not name the security group');
  check(await top.locator('.walked').count() === 1, 'top path not marked as walked');
  check((await page.textContent('#fix-first')).includes(env('VIGIL_SG')), 'fix first does not name the security group');
  await page.evaluate(() => window.vigilPaths['graph-1'].nodes().last().emit('tap'));
  check((await top.locator('.graph-detail').textContent()).includes(env('VIGIL_CLUSTER')), 'tap shows no detail');
  out.path_nodes = drawn.length;
  await page.screenshot({ path: path.join(SHOTS, 'paths.png'), fullPage: true });

  await nav('Top risks', '/risks');
  const risks = await page.locator('#risks tbody tr').count();
  check(risks > 0, 'no top risks');
  check((await page.textContent('#risks')).includes(env('VIGIL_CLUSTER')), 'the RDS cluster is not a top risk');
  out.risk_rows = risks;
  await page.screenshot({ path: path.join(SHOTS, 'risks.png'), fullPage: true });
}

async function xss(page, out) {
  const payloads = JSON.parse(env('VIGIL_PAYLOADS'));
  const alertId = env('VIGIL_ALERT');
  await login(page);
  const pages = ['/alerts', '/alerts/' + encodeURIComponent(alertId), '/graph?alert=' + encodeURIComponent(alertId)]
    .concat(JSON.parse(env('VIGIL_EVENT_PAGES')))
    .concat(JSON.parse(process.env.VIGIL_POSTURE_PAGES || '[]'));
  for (const p of pages) {
    await page.goto(BASE + p);
    if (await page.locator('.path-graph').count() > 0) {
      await page.waitForSelector('.path-graph[data-ready]', { timeout: 30000 });
      const labels = await page.evaluate(() => Object.values(window.vigilPaths).flatMap((cy) => cy.nodes().map((n) => n.data('label'))));
      check(labels.some((l) => payloads.some((x) => l.includes(x))), 'no payload drawn on ' + p);
    }
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
    const name = p === '/alerts' ? 'xss-alerts' : p.startsWith('/graph') ? 'xss-graph' : p.startsWith('/alerts') ? 'xss-alert'
      : p.startsWith('/events') ? 'xss-event-' + out.pages : 'xss-' + p.split('/')[1] + (p.split('/').length > 2 ? '-one' : '');
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
    if (MODE === 'story') { await story(page, out); } else if (MODE === 'posture') { await posture(page, out); } else { await xss(page, out); }
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
