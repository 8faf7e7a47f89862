// tests/browser/lab.spec.mjs — drives the project's JupyterLab in Debian's Chromium as a person would.
//
//   scripts/setup.sh --browser          # once: venv, GoNB kernelspec, Chromium, playwright-core
//   node tests/browser/lab.spec.mjs NOTEBOOK.ipynb [MIN_SVG] [--allow-stderr]
//
// It starts JupyterLab from the venv on a free loopback port with a random token, opens NOTEBOOK in a
// fresh headless Chromium profile, runs Run > Run All Cells, waits until the kernel is idle and every
// non-empty code cell has an execution count, and asserts:
//   - no error output: no Jupyter error output, no GoNB compile error (GoNB renders those as HTML holding
//     a .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]), and, unless --allow-stderr,
//     no stderr stream output either;
//   - at least MIN_SVG (default 0) plots in the output areas: inline <svg> (gonbui.DisplaySVG sends SVG
//     wrapped in HTML) or SVG images;
// then appends a cell with a fit far too long to finish (its progress line shows it running), interrupts
// it with Kernel > Interrupt Kernel, and checks that the kernel stops it and answers a trivial cell within ANSWER_TIMEOUT_S.
// Screenshots go to artifacts/ (ARTIFACTS_DIR overrides), with the server log. The notebook file is not
// modified: autosave is off in the throw-away settings dir and the page is closed without saving.
// Environment: RUN_TIMEOUT_S (default 1200) for Run All, ANSWER_TIMEOUT_S (default 120).
//
// A lab that already runs (in the Docker container of scripts/docker-test.sh, say): set LAB_URL (e.g.
// http://127.0.0.1:8888) and LAB_TOKEN, and NOTEBOOK must be the local path of a notebook at the top of
// that lab's root directory (the container mounts ./notebooks). No server is started then; the lab's
// autosave is turned off through its settings API for the test and put back afterwards; and Run All is
// Kernel > Restart Kernel and Run All Cells, since the lab may already have a kernel for the notebook.
// A student's lab on the class hub (scripts/hub-test.sh): LAB_URL=http://HOST/user/NAME, LAB_TOKEN one of the
// student's API tokens, and LAB_HUB_LOGIN=NAME:PASSWORD, with which the browser signs in on the hub's login page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---- arguments ------------------------------------------------------------------------------------------
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const ALLOW_STDERR = process.argv.includes('--allow-stderr');
if (positional.length < 1 || positional.length > 2 || !/^\d*$/.test(positional[1] ?? '')) {
  console.error('usage: node tests/browser/lab.spec.mjs NOTEBOOK.ipynb [MIN_SVG] [--allow-stderr]');
  process.exit(2);
}
const NOTEBOOK = path.resolve(positional[0]);
const MIN_SVG = Number(positional[1] ?? 0);
if (!fs.existsSync(NOTEBOOK)) {
  console.error(`lab.spec: no such notebook: ${NOTEBOOK}`);
  process.exit(2);
}
const NB_NAME = path.basename(NOTEBOOK, '.ipynb');
const ARTIFACTS = path.resolve(process.env.ARTIFACTS_DIR || path.join(REPO, 'artifacts'));
const RUN_TIMEOUT_MS = 1000 * Number(process.env.RUN_TIMEOUT_S || 1200);
const ANSWER_TIMEOUT_MS = 1000 * Number(process.env.ANSWER_TIMEOUT_S || 120);
const CHROMIUM = '/usr/bin/chromium';
const REMOTE = Boolean(process.env.LAB_URL);
if (REMOTE && !process.env.LAB_TOKEN) {
  console.error('lab.spec: LAB_URL needs LAB_TOKEN, the lab\'s token');
  process.exit(2);
}

// ---- selectors (JupyterLab 4 DOM, checked against the real page) ---------------------------------------
const SEL = {
  panel: '.jp-NotebookPanel',
  codeCell: '.jp-NotebookPanel .jp-Notebook .jp-Cell.jp-CodeCell',
  status: '.jp-NotebookPanel .jp-Notebook-ExecutionIndicator',
  // Error outputs: Jupyter "error" messages (GoNB sends none so far, other kernels do), and GoNB's
  // compile errors, an HTML output (the .jp-OutputArea-output element itself has data-mime-type
  // "text/html") holding a stderr-styled div.
  errors: [
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]',
    '.jp-OutputArea-output[data-mime-type="text/html"] .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]',
  ].join(', '),
  // Stream output to stderr. GoNB reports a failed build, a panic or a non-zero exit only there (as
  // 'failed to run "go build ..."', "panic: ...", "exit status 2"), so those count as errors even with
  // --allow-stderr, which only lets other stderr text (logs, progress) pass.
  stderr: '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
  // Plots: outermost inline <svg> elements and SVG images, inside output areas.
  svg: '.jp-OutputArea-output svg:not(svg svg), .jp-OutputArea-output img[src^="data:image/svg+xml"]',
};

// ---- helpers --------------------------------------------------------------------------------------------
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what, timeoutMs, fn, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

// State of the notebook's cells, read from the DOM in one go.
async function cellStates(page) {
  return page.evaluate((sel) => {
    const cells = [...document.querySelectorAll(sel.codeCell)].map((c) => ({
      prompt: (c.querySelector('.jp-InputPrompt')?.textContent || '').trim(),
      empty: (c.querySelector('.cm-content')?.textContent || '').trim() === '',
    }));
    const status = document.querySelector(sel.status)?.getAttribute('data-status') || '';
    return { cells, status };
  }, SEL);
}

// Idle kernel and no cell queued or running ("[*]:"), seen twice in a row a second apart: between two
// cells of Run All the kernel is briefly idle, and a queued cell shows "[*]" before it starts.
// Each change of state is logged, so a hang in CI shows where it stopped.
async function waitSettled(page, timeoutMs) {
  let streak = 0;
  let last = '';
  return waitFor('the kernel to finish all cells', timeoutMs, async () => {
    const s = await cellStates(page);
    const summary = `kernel ${s.status}, prompts ${s.cells.map((c) => c.prompt || '-').join(' ')}`;
    if (summary !== last) console.log(`# ${summary}`);
    last = summary;
    const busy = s.status !== 'idle' || s.cells.some((c) => c.prompt.includes('*'));
    streak = busy ? 0 : streak + 1;
    return streak >= 2 ? s : null;
  }, 1000);
}

async function outputsText(page, selector) {
  return page.$$eval(selector, (els) => els.map((e) => e.textContent.trim().slice(0, 2000)));
}

async function menu(page, top, item) {
  await page.locator('#jp-MainMenu').getByRole('menuitem', { name: top, exact: true }).click();
  await page.locator('.lm-Menu').getByRole('menuitem', { name: item, exact: false }).first().click();
}

// Appends a code cell at the end of the notebook holding `code`, and runs it (Ctrl+Enter: run in place).
async function appendAndRun(page, code) {
  // Select the very last cell (of any kind) by its prompt, in command mode.
  await page.locator('.jp-NotebookPanel .jp-Notebook .jp-Cell').last().locator('.jp-InputPrompt').click();
  await page.keyboard.press('Escape');
  const before = await page.locator(SEL.codeCell).count();
  await page.keyboard.press('b'); // insert a code cell below, in command mode
  await waitFor('the new cell', 10_000, async () => (await page.locator(SEL.codeCell).count()) === before + 1);
  const cell = page.locator(SEL.codeCell).last();
  await cell.locator('.cm-content').click();
  // insertText types it in one go: no auto-closed brackets or auto-indent doubling the code.
  await page.keyboard.insertText(code);
  await page.keyboard.press('Control+Enter');
  return cell;
}

// ---- server and browser -----------------------------------------------------------------------------
let server;
let serverExit;
let context;
let page;
let base;
let token;
let tmpDir;
let nbHashBefore;
let autosaveBefore; // REMOTE: the lab's own docmanager settings (raw JSON text), put back by after().
const logs = [];
const AUTOSAVE_SETTINGS = '/lab/api/settings/@jupyterlab/docmanager-extension:plugin';

// A request to the lab's REST API, authenticated by its token.
async function api(method, pathname, body) {
  const res = await fetch(`${base}${pathname}`, {
    method,
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json().catch(() => null);
}

// Waits until the lab at base answers its status API (server: the process that serves it, if ours).
async function waitForLab(serverProc) {
  await waitFor(`JupyterLab to answer at ${base}`, 120_000, async () => {
    if (serverProc && serverProc.exitCode !== null) throw new Error(`jupyter lab exited with ${serverProc.exitCode}; see artifacts/${NB_NAME}-jupyter.log`);
    try {
      return (await fetch(`${base}/api/status`, { headers: { Authorization: `token ${token}` } })).ok;
    } catch {
      return false;
    }
  });
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-spec-'));
  nbHashBefore = sha256(NOTEBOOK);

  if (REMOTE) {
    base = process.env.LAB_URL.replace(/\/+$/, '');
    token = process.env.LAB_TOKEN;
    await waitForLab(null);
    // Autosave off while the test runs, as in the throw-away settings below; after() restores the lab's own.
    autosaveBefore = (await api('GET', AUTOSAVE_SETTINGS)).raw;
    await api('PUT', AUTOSAVE_SETTINGS, { raw: JSON.stringify({ autosave: false }) });
  } else {
    await startServer();
  }
  await launchBrowser();
});

async function startServer() {
  // Throw-away JupyterLab user settings: autosave off, so running cells never rewrites the notebook.
  const settingsDir = path.join(tmpDir, 'settings');
  fs.mkdirSync(path.join(settingsDir, '@jupyterlab', 'docmanager-extension'), { recursive: true });
  fs.writeFileSync(path.join(settingsDir, '@jupyterlab', 'docmanager-extension', 'plugin.jupyterlab-settings'),
    JSON.stringify({ autosave: false }));
  // No "get notified about Jupyter news?" toast over the cells (the lab makes no outside call anyway).
  fs.mkdirSync(path.join(settingsDir, '@jupyterlab', 'apputils-extension'), { recursive: true });
  fs.writeFileSync(path.join(settingsDir, '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'),
    JSON.stringify({ fetchNews: 'false', checkForUpdates: false }));

  const port = await freePort();
  token = crypto.randomBytes(24).toString('hex');
  base = `http://127.0.0.1:${port}`;
  const serverLog = fs.openSync(path.join(ARTIFACTS, `${NB_NAME}-jupyter.log`), 'w');
  // env.sh gives the same PATH, GOEXPERIMENT and JUPYTER_PATH (hence the project's GoNB kernelspec) as lab.sh.
  const cmd = [
    'source "$REPO/scripts/env.sh"',
    'exec jupyter lab --no-browser --allow-root --ServerApp.ip=127.0.0.1 --ServerApp.port="$PORT"' +
      ' --ServerApp.port_retries=0 --IdentityProvider.token="$TOKEN" --ServerApp.root_dir="$ROOT"' +
      ' --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
  ].join(' && ');
  server = spawn('bash', ['-c', cmd], {
    env: {
      ...process.env, REPO, PORT: String(port), TOKEN: token, ROOT: path.dirname(NOTEBOOK),
      JUPYTERLAB_SETTINGS_DIR: settingsDir,
      JUPYTERLAB_WORKSPACES_DIR: path.join(tmpDir, 'workspaces'),
    },
    stdio: ['ignore', serverLog, serverLog],
    detached: true, // its own process group, so that after() can stop it and its kernels by its id
  });
  serverExit = new Promise((r) => server.on('exit', r));
  await waitForLab(server);
}

async function launchBrowser() {
  context = await chromium.launchPersistentContext(path.join(tmpDir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') logs.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  if (process.env.LAB_HUB_LOGIN) await hubLogin(process.env.LAB_HUB_LOGIN);
}

// A lab that a JupyterHub serves (LAB_URL .../user/NAME) takes no token in the page's URL: the student signs in
// through the hub's login page first (LAB_HUB_LOGIN=name:password), as a person does.
async function hubLogin(login) {
  const sep = login.indexOf(':');
  await page.goto(`${new URL(base).origin}/hub/login`);
  await page.locator('#username_input').fill(login.slice(0, sep));
  await page.locator('#password_input').fill(login.slice(sep + 1));
  await Promise.all([page.waitForNavigation({ timeout: 60_000 }), page.locator('#password_input').press('Enter')]);
  assert.ok(!page.url().includes('/hub/login'), `signing in to the hub failed (still on ${page.url()})`);
}

after(async () => {
  if (logs.length) fs.writeFileSync(path.join(ARTIFACTS, `${NB_NAME}-browser.log`), logs.join('\n') + '\n');
  if (context) await context.close({ reason: 'test done' }).catch(() => {}); // closes without saving
  if (REMOTE && autosaveBefore !== undefined) {
    await api('PUT', AUTOSAVE_SETTINGS, { raw: autosaveBefore }).catch((e) => console.log(`# could not restore the lab's autosave setting: ${e.message}`));
  }
  if (server && server.exitCode === null) {
    // Graceful: the server shuts its kernels down too. Then, if still alive, its process group.
    await fetch(`${base}/api/shutdown?token=${token}`, { method: 'POST' }).catch(() => {});
    const gone = await Promise.race([serverExit.then(() => true), sleep(15_000).then(() => false)]);
    if (!gone) {
      try { process.kill(-server.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

// ---- tests ----------------------------------------------------------------------------------------------
// Like test(), plus a screenshot of the page when the test fails, for looking at what went wrong.
function uiTest(name, fn) {
  test(name, async (t) => {
    try {
      await fn(t);
    } catch (err) {
      const shot = path.join(ARTIFACTS, `${NB_NAME}-failed-${name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 40)}.png`);
      await page?.screenshot({ path: shot }).catch(() => {});
      console.log(`# failure screenshot: ${shot}`);
      throw err;
    }
  });
}

uiTest(`Run All Cells of ${path.basename(NOTEBOOK)}: no errors, >= ${MIN_SVG} SVG plots`, async () => {
  await page.goto(`${base}/lab/tree/${encodeURIComponent(path.basename(NOTEBOOK))}?token=${token}`);
  await page.locator(SEL.panel).waitFor({ timeout: 120_000 });
  // GoNB publishes no status until its first execution (the indicator says "unknown"), so "ready" is the
  // toolbar naming the kernel; Run All is queued by JupyterLab until the kernel connection is up anyway.
  await page.locator('.jp-NotebookPanel .jp-KernelName', { hasText: 'Go' }).waitFor({ timeout: 120_000 });

  const t0 = Date.now();
  if (REMOTE) {
    // The restart is confirmed in a dialog; Run All follows once the new kernel is up, which marks the
    // cells "[*]": wait for that (the status alone goes non-idle during the restart itself).
    await menu(page, 'Kernel', 'Restart Kernel and Run All Cells');
    await page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept').click({ timeout: 20_000 });
    await waitFor('Restart and Run All to start', 120_000, async () => {
      const s = await cellStates(page);
      return s.cells.some((c) => c.prompt.includes('*') || /\[\d+\]/.test(c.prompt));
    }, 200);
  } else {
    await menu(page, 'Run', 'Run All Cells');
    // Run All first marks the cells "[*]"; wait for that so that "settled" below is not the state before.
    await waitFor('Run All to start', 30_000, async () => {
      const s = await cellStates(page);
      return s.status !== 'idle' || s.cells.some((c) => c.prompt.includes('*') || /\[\d+\]/.test(c.prompt));
    }, 200);
  }
  const s = await waitSettled(page, RUN_TIMEOUT_MS);
  console.log(`# ran ${s.cells.length} code cells in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  await page.screenshot({ path: path.join(ARTIFACTS, `${NB_NAME}-run-all.png`) });

  const stderr = await outputsText(page, SEL.stderr);
  const fatal = /(^|\n)(panic: |fatal error: |exit status \d+|failed to run ")/;
  const errors = [...(await outputsText(page, SEL.errors)), ...stderr.filter((t) => fatal.test(t))];
  assert.deepEqual(errors, [], 'error output in the notebook');
  if (!ALLOW_STDERR) assert.deepEqual(stderr, [], 'stderr output in the notebook (pass --allow-stderr to permit it)');
  const notRun = s.cells.map((c, i) => ({ ...c, i })).filter((c) => !c.empty && !/\[\d+\]/.test(c.prompt));
  assert.deepEqual(notRun, [], 'code cells without an execution count');

  const svgs = await page.locator(SEL.svg).count();
  console.log(`# ${svgs} SVG plot(s) rendered`);
  // The backend the notebook's first cell announces (e.g. "backend: xla (PJRT CPU plugin, local)").
  const backend = (await outputsText(page, '.jp-OutputArea-output'))
    .map((t) => t.match(/backend: [^\n]*/)?.[0]).find(Boolean);
  console.log(`# ${backend ?? 'backend: (no line announces it)'}`);
  assert.ok(svgs >= MIN_SVG, `expected at least ${MIN_SVG} SVG plots in the outputs, found ${svgs}`);
});

// JupyterLab's own export (File > Save and Export Notebook As > HTML) asks whether to sanitize, ticked by
// default; sanitizing escapes inline HTML (an <svg> inside text/html became pages of text), so plots must
// travel as images: image/svg+xml, which the export embeds as an <img>, with a PNG rendition beside it. The
// text must read as text too: nbconvert's own sanitizer escapes h2, p, th and caption; scripts/setup.sh
// installs one that keeps them.
// The export saves the notebook first: the file is put back as it was afterwards.
uiTest('File > Save and Export Notebook As > HTML, sanitized, keeps every plot and reads as text', async () => {
  const original = fs.readFileSync(NOTEBOOK);
  try {
    await page.locator('#jp-MainMenu').getByRole('menuitem', { name: 'File', exact: true }).click();
    // Lumino menu items by their label: the submenu entry, then the format in the submenu it opens.
    const item = (label) => page.locator('.lm-Menu .lm-Menu-item', { has: page.locator('.lm-Menu-itemLabel', { hasText: label }) });
    await item(/^Save and Export Notebook As/).first().click();
    const exported = context.waitForEvent('request', { predicate: (r) => r.url().includes('/nbconvert/html/'), timeout: 60_000 });
    await item(/^HTML$/).first().click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.waitFor({ timeout: 20_000 });
    assert.ok(await dialog.locator('input[type="checkbox"]').isChecked(), 'sanitizing should be ticked by default');
    await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
    const url = (await exported).url();
    assert.match(url, /sanitize_html=true/, 'the export should be sanitized');
    const res = await context.request.get(`${url}&token=${token}`); // The page the browser downloads.
    assert.ok(res.ok(), `the export answered ${res.status()}`);
    const html = await res.text();
    fs.writeFileSync(path.join(ARTIFACTS, `${NB_NAME}-lab-export.html`), html);
    // A plot survives as an image: its SVG (base64, which sanitizing keeps) or its PNG rendition.
    const plots = (html.match(/<img[^>]*src="data:image\/(svg\+xml|png);base64,/g) || []).length;
    console.log(`# JupyterLab's sanitized export: ${plots} plot(s), ${html.length} bytes`);
    assert.ok(plots >= MIN_SVG, `expected at least ${MIN_SVG} plots in the sanitized export, found ${plots}`);
    assert.ok(!html.includes('&lt;svg'), 'the export shows SVG source as text');
    // The text reads as text: headings, paragraphs and tables are HTML, not escaped tags (scripts/labexport).
    const escaped = html.match(/&lt;\/?(h[1-6]|p|th|caption|thead|tbody)\b[^&]{0,40}/);
    assert.equal(escaped, null, `the export prints tags as text: ${escaped?.[0]}`);
    assert.match(html, /<h1 id="[^"]+">/, 'the title is a heading');
    for (const p of context.pages()) if (p !== page) await p.close();
  } finally {
    fs.writeFileSync(NOTEBOOK, original);
  }
});

uiTest('Kernel > Interrupt Kernel stops a long fit, and the kernel answers the next cell', async () => {
  // A fit far too long to finish (a million epochs), uncached; its progress line shows it is running.
  const long = await appendAndRun(page, '%%\nlecture.Fit(mlp.Stack(256, 256, 256, 256, 256).Seed(1).Epochs(1000000))');
  await waitFor('the long fit to show its progress', ANSWER_TIMEOUT_MS,
    async () => /epoch \d+\/1000000/.test(await long.locator('.jp-OutputArea').innerText()));

  const tInt = Date.now();
  await menu(page, 'Kernel', 'Interrupt Kernel');
  await waitSettled(page, 30_000);
  const interruptS = (Date.now() - tInt) / 1000;
  const longOut = await long.locator('.jp-OutputArea').innerText();
  const epochs = [...longOut.matchAll(/epoch (\d+)\/1000000/g)].map((m) => Number(m[1]));
  console.log(`# interrupted at epoch ${Math.max(...epochs)}; kernel idle ${interruptS.toFixed(1)}s after the click`);
  assert.ok(!longOut.includes('done in'), 'the long fit ran to its end');

  const tAns = Date.now();
  const trivial = await appendAndRun(page, '%%\nfmt.Println("alive", 6*7)');
  await waitFor('the trivial cell to answer', ANSWER_TIMEOUT_MS,
    async () => (await trivial.locator('.jp-OutputArea').innerText()).includes('alive 42'));
  console.log(`# trivial cell answered in ${((Date.now() - tAns) / 1000).toFixed(1)}s`);
  await trivial.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, `${NB_NAME}-interrupt.png`) });
});

test('the notebook file is unchanged on disk', () => {
  assert.equal(sha256(NOTEBOOK), nbHashBefore, 'the test modified the notebook file');
});
