// tests/browser/room.spec.mjs — the lecture room (issue 20) in the real JupyterLab, driven in Debian's Chromium
// at a projector's 1280 x 720:
//
//   scripts/setup.sh --browser          # once: venv, GoNB kernelspec, Chromium, playwright-core, reveal.js
//   node tests/browser/room.spec.mjs
//
// - a cold fit's live loss curve grows while it trains, then gives way to the cell's final figure;
// - the RISE slideshow opens, moves forward, runs a cell inside a slide and shows its plot, which fits;
// - each knob (notebook 1's dropout rate, notebook 2's depth) redraws for a new value, with that value's
//   numbers (read from the results JSON the cell publishes, through the lab's notebook model);
// - in Presentation Mode, with the file browser open, a plot fits its output area;
// - File > Save and Export Notebook As: the sanitized HTML reads as text, PDF_handout downloads a PDF;
// - the slides handout opens from disk with no request leaving the machine, one slide per section.
// Screenshots go to artifacts/ (ARTIFACTS_DIR overrides): live-curve.png, slide.png, slides-handout.png,
// presentation-mode.png, knob-dropout-0.20.png, knob-dropout-0.30.png, knob-depth-15.png, knob-depth-13.png.
// The notebooks on disk are left as they were (autosave off; the slideshow and the exports save first, so
// after() puts the files back). Fits come from the fit cache ($LECTURE_FIT_CACHE, as scripts/test.sh leaves it
// warm after the notebook tests); the knobs' new values are fits the notebooks make (sweep rate 0.3, depth 13),
// and the live fit is new by construction.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NB1 = path.join(REPO, 'notebooks', '01_regularization.ipynb');
const NB2 = path.join(REPO, 'notebooks', '02_vanishing_gradients.ipynb');
const ARTIFACTS = path.resolve(process.env.ARTIFACTS_DIR || path.join(REPO, 'artifacts'));
const CELL_TIMEOUT_MS = 1000 * Number(process.env.CELL_TIMEOUT_S || 600);
const RESULTS_MIME = 'application/vnd.golecture.results+json';
const VIEWPORT = { width: 1280, height: 720 };
const SEL = {
  panel: '.jp-NotebookPanel:not(.lm-mod-hidden)',
  codeCell: '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell.jp-CodeCell',
  plot: '.jp-OutputArea-output img, .jp-OutputArea-output svg:not(svg svg)',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, timeoutMs, fn, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

// ---- server and browser (a throw-away lab, as lab.spec.mjs starts it, with the app exposed to read outputs) --
let server, serverExit, browser, context, base, token, tmpDir;
const originals = {}; // The notebooks' bytes, put back by after(): the slideshow and the exports save first.
const logs = [];

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'room-spec-'));
  for (const nb of [NB1, NB2]) originals[nb] = fs.readFileSync(nb);
  const settings = path.join(tmpDir, 'settings');
  const put = (plugin, file, value) => {
    fs.mkdirSync(path.join(settings, plugin), { recursive: true });
    fs.writeFileSync(path.join(settings, plugin, file), JSON.stringify(value));
  };
  put('@jupyterlab/docmanager-extension', 'plugin.jupyterlab-settings', { autosave: false });
  put('@jupyterlab/apputils-extension', 'notification.jupyterlab-settings', { fetchNews: 'false', checkForUpdates: false });
  const port = await freePort();
  token = crypto.randomBytes(24).toString('hex');
  base = `http://127.0.0.1:${port}`;
  const serverLog = fs.openSync(path.join(ARTIFACTS, 'room-jupyter.log'), 'w');
  server = spawn('bash', ['-c', 'source "$REPO/scripts/env.sh" && exec jupyter lab --no-browser --allow-root' +
    ' --ServerApp.ip=127.0.0.1 --ServerApp.port="$PORT" --ServerApp.port_retries=0 --IdentityProvider.token="$TOKEN"' +
    ' --ServerApp.root_dir="$REPO/notebooks" --LabApp.expose_app_in_browser=True'], {
    // The knobs listen until the test presses Stop (their idle end is for Run All, not for this test).
    env: { ...process.env, REPO, PORT: String(port), TOKEN: token, JUPYTERLAB_SETTINGS_DIR: settings, LECTURE_KNOB_IDLE: '300s',
      JUPYTERLAB_WORKSPACES_DIR: path.join(tmpDir, 'workspaces') },
    stdio: ['ignore', serverLog, serverLog], detached: true,
  });
  serverExit = new Promise((r) => server.on('exit', r));
  await waitFor(`JupyterLab at ${base}`, 120_000, async () => {
    if (server.exitCode !== null) throw new Error('jupyter lab exited: see artifacts/room-jupyter.log');
    try { return (await fetch(`${base}/api/status?token=${token}`)).ok; } catch { return false; }
  }, 500);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
  context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
});

after(async () => {
  if (logs.length) fs.writeFileSync(path.join(ARTIFACTS, 'room-browser.log'), logs.join('\n') + '\n');
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  if (server && server.exitCode === null) {
    await fetch(`${base}/api/shutdown?token=${token}`, { method: 'POST' }).catch(() => {});
    const gone = await Promise.race([serverExit.then(() => true), sleep(15_000).then(() => false)]);
    if (!gone) { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  for (const [nb, bytes] of Object.entries(originals)) {
    if (!fs.readFileSync(nb).equals(bytes)) {
      console.log(`# ${path.basename(nb)} was saved by the lab during the test: put back as it was`);
      fs.writeFileSync(nb, bytes);
    }
  }
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

// ---- notebook helpers -----------------------------------------------------------------------------------
async function openNotebook(file) {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') logs.push(`${path.basename(file)} console: ${m.text()}`); });
  page.on('pageerror', (e) => logs.push(`${path.basename(file)} pageerror: ${e.message}`));
  await page.goto(`${base}/lab/tree/${encodeURIComponent(path.basename(file))}?token=${token}`);
  await page.locator(SEL.panel).waitFor({ timeout: 120_000 });
  await page.locator(`${SEL.panel} .jp-KernelName`, { hasText: 'Go' }).waitFor({ timeout: 120_000 });
  return page;
}

// The code cell whose source holds snippet.
function cellWith(page, snippet) {
  return page.locator(SEL.codeCell).filter({ has: page.locator('.cm-content', { hasText: snippet }) }).first();
}

// Runs the code cell holding snippet in place (Ctrl+Enter) and, unless told not to, waits until it ran.
async function run(page, snippet, { wait = true } = {}) {
  const cell = cellWith(page, snippet);
  const before = await cell.locator('.jp-InputPrompt').innerText();
  // A key pressed while the lab is still busy starting can be lost: press again until the cell is queued.
  await waitFor('the cell to start', 60_000, async () => {
    await cell.scrollIntoViewIfNeeded();
    await cell.locator('.jp-InputPrompt').click();
    await page.keyboard.press('Control+Enter');
    await sleep(1000);
    const now = await cell.locator('.jp-InputPrompt').innerText();
    return now !== before || now.includes('*');
  }, 0);
  if (wait) await ran(cell);
  return cell;
}

async function ran(cell) {
  await waitFor('the cell to finish', CELL_TIMEOUT_MS, async () => /\[\d+\]/.test(await cell.locator('.jp-InputPrompt').innerText()));
}

// The outputs of the code cell holding snippet, from the lab's notebook model (the app is exposed for this).
async function modelOutputs(page, snippet) {
  return page.evaluate((snippet) => {
    const nb = window.jupyterapp.shell.currentWidget.content;
    for (const cell of nb.widgets) {
      if (cell.model.type === 'code' && cell.model.sharedModel.getSource().includes(snippet)) return cell.model.outputs.toJSON();
    }
    return null;
  }, snippet);
}

// The results record with the given id among a cell's outputs (the last one, as displays are updated).
async function result(page, snippet, id) {
  const outs = (await modelOutputs(page, snippet)) || [];
  const recs = outs.map((o) => o.data?.[RESULTS_MIME]).filter(Boolean)
    .map((r) => (typeof r === 'string' ? JSON.parse(r) : r)).filter((r) => r.id === id);
  return recs.at(-1);
}

// Moves the knob's slider in the cell to position pos, as a drag would (input, then change).
async function turn(cell, pos) {
  const slider = cell.locator('.golecture-knob input[type="range"]');
  await slider.waitFor({ timeout: 60_000 });
  await slider.evaluate((el, pos) => {
    el.value = String(pos);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, pos);
}

async function stopKnob(cell) {
  await cell.locator('.golecture-knob button', { hasText: 'Stop' }).click();
  await ran(cell);
}

// The scores table the knob shows, as text, and its caption.
async function knobTable(cell) {
  const caption = await cell.locator('table caption').last().innerText();
  const cells = await cell.locator('table').last().locator('td').allInnerTexts();
  return { caption, cells };
}

// Clicks through the main menu: the top menu, then each item by its exact label (submenus open on click).
async function menu(page, ...labels) {
  await page.locator('#jp-MainMenu').getByRole('menuitem', { name: labels[0], exact: true }).click();
  for (const label of labels.slice(1)) {
    await page.locator('.lm-Menu:visible .lm-Menu-item', {
      has: page.locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${label}$`) }) }).first().click();
  }
}

// ---- tests ----------------------------------------------------------------------------------------------
let nb1;
// Notebook 1 open in the lab, its first cell (imports, lecture.Setup) run; each test can run alone.
async function notebook1() {
  if (!nb1) {
    nb1 = await openNotebook(NB1);
    await run(nb1, 'lecture.Setup()');
  }
  await nb1.keyboard.press('Escape'); // No menu left open by a test before.
  return nb1;
}

test('notebook 1: a cold fit shows its loss curve growing, then the final figure', async () => {
  await notebook1();
  // A fit no cache holds: a seed from the clock. 3 x 256 for 10000 epochs trains for about 20 s here (500 epochs a
  // second), long enough for several redraws of its curve (one a second) on a fast machine.
  const seed = Date.now() % 1_000_000;
  const code = `var live = lecture.Fit(mlp.Stack(256, 256, 256).Seed(${seed}).Epochs(10000))\n\n%%\nlecture.PlotFit(live)`;
  await nb1.locator(`${SEL.panel} .jp-Notebook .jp-Cell`).last().locator('.jp-InputPrompt').click();
  await nb1.keyboard.press('Escape');
  const count = await nb1.locator(SEL.codeCell).count();
  await nb1.keyboard.press('b');
  await waitFor('the new cell', 10_000, async () => (await nb1.locator(SEL.codeCell).count()) === count + 1);
  const cell = nb1.locator(SEL.codeCell).last();
  await cell.locator('.cm-content').click();
  await nb1.keyboard.insertText(code);
  await nb1.keyboard.press('Control+Enter');
  const curve = cell.locator('.golecture-live-curve');
  const epochs = async () => Number(await curve.getAttribute('data-epochs', { timeout: 1000 }).catch(() => 0));
  const first = await waitFor('the live curve', CELL_TIMEOUT_MS, async () => ((await curve.count()) ? epochs() : 0));
  const later = await waitFor('the curve to grow', 60_000, async () => { const e = await epochs(); return e > first ? e : 0; });
  await cell.scrollIntoViewIfNeeded();
  await nb1.screenshot({ path: path.join(ARTIFACTS, 'live-curve.png') });
  console.log(`# live curve: ${first} epochs, then ${later}`);
  const pointsBefore = (await curve.locator('polyline').getAttribute('points')).trim().split(/\s+/).length;
  assert.ok(pointsBefore >= 2, 'the curve has points');
  await ran(cell);
  assert.equal(await curve.count(), 0, 'the live curve gives way when the fit ends');
  assert.equal(await cell.locator(SEL.plot).count(), 1, 'the cell ends with one figure: the final one');
  const text = await cell.locator('.jp-OutputArea').innerText();
  assert.match(text, /done in/);
  const records = ((await modelOutputs(nb1, `Seed(${seed})`)) || []).map((o) => o.data?.[RESULTS_MIME]).filter(Boolean)
    .map((r) => (typeof r === 'string' ? JSON.parse(r) : r));
  const final = records.find((r) => r.id.startsWith('fit ') && r.title.includes('10000 epochs'));
  assert.ok(final, 'the final figure publishes its results, as a warm rerun does');
});

test('notebook 1: Presentation Mode at 1280 x 720 with the file browser open: the plot fits', async () => {
  await notebook1();
  const cell = await run(nb1, 'lecture.PlotData()');
  await menu(nb1, 'View', 'Appearance', 'Presentation Mode');
  await sleep(500);
  await cell.locator(SEL.plot).first().scrollIntoViewIfNeeded();
  const fit = await cell.evaluate((el) => {
    const img = el.querySelector('.jp-OutputArea-output img');
    const area = el.querySelector('.jp-OutputArea-output');
    return { img: img.getBoundingClientRect().right, area: area.getBoundingClientRect().right, win: window.innerWidth,
      browser: !!document.querySelector('.jp-FileBrowser:not(.lm-mod-hidden)') };
  });
  await nb1.screenshot({ path: path.join(ARTIFACTS, 'presentation-mode.png') });
  console.log(`# presentation mode: plot right edge ${fit.img.toFixed(0)}, output area ${fit.area.toFixed(0)}, window ${fit.win}`);
  assert.ok(fit.browser, 'the file browser is open, as by default');
  await menu(nb1, 'View', 'Appearance', 'Presentation Mode');
  assert.ok(fit.img <= fit.area + 1 && fit.img <= fit.win, 'the plot is cut on the right');
});

test('notebook 1: the RISE slideshow opens, moves on, runs a cell in a slide and shows its plot', async () => {
  await notebook1(); // Opening the slideshow saves the notebook first: after() puts the file back.
  // The slideshow starts at the selected cell: the data section's heading.
  const heading = nb1.locator(`${SEL.panel} .jp-MarkdownCell`, { hasText: '0.1 The data' }).first();
  await heading.scrollIntoViewIfNeeded();
  await heading.locator('.jp-InputPrompt').click();
  await nb1.keyboard.press('Alt+r');
  const frame = nb1.frameLocator('iframe[src*="/rise/"]');
  await frame.locator('.reveal .slides section.present').first().waitFor({ timeout: 120_000 });
  // The slide in view: reveal.js marks it (and its parent slide) "present" and numbers it.
  const slideOf = () => frame.locator('.reveal .slides').evaluate((el) => {
    const p = [...el.querySelectorAll('section.present')].at(-1);
    return p ? `${[...p.parentElement.children].indexOf(p)}:${p.textContent.trim().slice(0, 30)}` : null;
  }).catch(() => null);
  const at = await waitFor('the slideshow', 60_000, slideOf);
  // Forward, as a presenter does: the slideshow's own arrow (the next sub-slide is the data cell's).
  await frame.locator('.reveal .controls .navigate-down').click({ timeout: 20_000 });
  const next = await waitFor('the next slide', 20_000, async () => {
    const i = await slideOf();
    return i && i !== at ? i : null;
  });
  console.log(`# slideshow: from slide ${at} to ${next}`);
  const code = frame.locator('.jp-CodeCell', { hasText: 'lecture.PlotData()' }).first();
  await code.waitFor({ state: 'visible', timeout: 20_000 }); // On the slide now in view.
  // What the cell shows now (the slideshow renders the saved notebook) is marked: only a new plot counts.
  await code.evaluate((el, sel) => el.querySelectorAll(sel).forEach((p) => { p.dataset.old = '1'; }), SEL.plot);
  const fresh = code.locator('.jp-OutputArea-output img:not([data-old]), .jp-OutputArea-output svg:not(svg svg):not([data-old])');
  await code.locator('.cm-content').click();
  await nb1.keyboard.press('Shift+Enter'); // RISE runs the cell and moves on to the next slide.
  await waitFor('the cell to draw its plot again in the slideshow', 120_000, () => fresh.count());
  await frame.locator('.reveal .controls .navigate-up, .reveal .controls .navigate-left').first().click();
  const plot = fresh.first();
  await plot.waitFor({ state: 'visible', timeout: 20_000 });
  await sleep(1000);
  const box = await plot.boundingBox();
  await nb1.screenshot({ path: path.join(ARTIFACTS, 'slide.png') });
  const frameBox = await nb1.locator('iframe[src*="/rise/"]').boundingBox();
  console.log(`# slide plot ${box.width.toFixed(0)} x ${box.height.toFixed(0)} px in a slideshow ${frameBox.width.toFixed(0)} px wide`);
  assert.ok(box.x + box.width <= frameBox.x + frameBox.width + 1, 'the plot is cut in the slideshow');
  assert.ok(box.width > 200, 'the plot is readable, not a thumbnail');
  // Close the slideshow (the second tab of that name, split to the right), back to the notebook alone.
  const tabs = nb1.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: '01_regularization' });
  await tabs.nth(1).locator('.lm-TabBar-tabCloseIcon').click();
  await waitFor('the slideshow to close', 20_000, async () => (await tabs.count()) === 1);
  await tabs.first().click();
});

test('notebook 1: the dropout-rate knob redraws with the new rate\'s numbers', async () => {
  await notebook1();
  await run(nb1, 'func dropoutNet(rate float64)');
  const cell = await run(nb1, 'lecture.DropoutKnob(', { wait: false });
  await cell.locator('.golecture-knob input[type="range"]').waitFor({ timeout: CELL_TIMEOUT_MS });
  const atDefault = await waitFor('the default rate\'s results', 60_000, () => result(nb1, 'lecture.DropoutKnob(', 'dropout knob'));
  assert.equal(atDefault.data.Value, 0.2);
  await cell.scrollIntoViewIfNeeded();
  await nb1.screenshot({ path: path.join(ARTIFACTS, 'knob-dropout-0.20.png') });
  await turn(cell, 6); // 0.30: a rate of the sweep, in the fit cache.
  const moved = await waitFor('the knob to redraw at 0.30', CELL_TIMEOUT_MS, async () => {
    const r = await result(nb1, 'lecture.DropoutKnob(', 'dropout knob');
    return r && r.data.Value === 0.3 ? r : null;
  });
  const table = await waitFor('the table at 0.30', 30_000, async () => {
    const t = await knobTable(cell);
    return t.caption.includes('0.30') ? t : null;
  });
  assert.notEqual(moved.data.Ours.Val, atDefault.data.Ours.Val, 'a new rate, new scores');
  assert.ok(table.cells.includes(moved.data.Ours.Val.toFixed(5)), `the table shows ${moved.data.Ours.Val.toFixed(5)}: ${table.cells}`);
  assert.match(await cell.locator('.jp-OutputArea').innerText(), /dropout rate, 0\.30 here/);
  await cell.scrollIntoViewIfNeeded();
  await nb1.screenshot({ path: path.join(ARTIFACTS, 'knob-dropout-0.30.png') });
  console.log(`# dropout knob: 0.20 -> validation ${atDefault.data.Ours.Val.toFixed(5)}, 0.30 -> ${moved.data.Ours.Val.toFixed(5)}`);
  await stopKnob(cell);
});

test('notebook 1: the sanitized HTML export reads as text and PDF_handout downloads a PDF', async () => {
  await notebook1(); // An export saves the notebook first: after() puts the file back.
  {
    const exportAs = (label) => menu(nb1, 'File', 'Save and Export Notebook As…?', label);
    const exported = context.waitForEvent('request', { predicate: (r) => r.url().includes('/nbconvert/html/'), timeout: 60_000 });
    await exportAs('HTML');
    await nb1.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept').click({ timeout: 20_000 });
    const url = (await exported).url();
    assert.match(url, /sanitize_html=true/);
    const html = await (await context.request.get(`${url}&token=${token}`)).text();
    fs.writeFileSync(path.join(ARTIFACTS, 'room-lab-export.html'), html);
    const escaped = html.match(/&lt;\/?(h[1-6]|p|th|caption|thead|tbody)\b[^&]{0,40}/);
    assert.equal(escaped, null, `the export prints tags as text: ${escaped?.[0]}`);
    assert.match(html, /<h2 id="0\.1-The-data">0\.1 The data/);
    assert.match(html, /<caption[^>]*>Dropout rate 0\.30<\/caption>/, 'the knob\'s table caption is a caption');
    for (const p of context.pages()) if (p !== nb1) await p.close();
    // The HTML export's own download can arrive late: wait for the PDF's.
    const download = nb1.waitForEvent('download', { predicate: (d) => d.suggestedFilename().endsWith('.pdf'), timeout: 180_000 });
    await exportAs('PDF_handout');
    const pdf = await download;
    const file = path.join(ARTIFACTS, 'room-lab-export.pdf');
    await pdf.saveAs(file);
    const head = fs.readFileSync(file).subarray(0, 5).toString();
    console.log(`# PDF_handout: ${fs.statSync(file).size} bytes`);
    assert.equal(head, '%PDF-');
  }
});

test('notebook 2: the depth knob redraws the fit and the per-layer gradients for a new depth', async () => {
  const nb2 = await openNotebook(NB2);
  await run(nb2, 'lecture.Setup()');
  await run(nb2, 'const deepSeed');
  const cell = await run(nb2, 'lecture.DepthKnob(', { wait: false });
  await cell.locator('.golecture-knob input[type="range"]').waitFor({ timeout: CELL_TIMEOUT_MS });
  const at15 = await waitFor('the default depth\'s results', 60_000, () => result(nb2, 'lecture.DepthKnob(', 'depth knob'));
  assert.equal(at15.data.Value, 15);
  await cell.scrollIntoViewIfNeeded();
  await nb2.screenshot({ path: path.join(ARTIFACTS, 'knob-depth-15.png') });
  const grads = async () => {
    const outs = (await modelOutputs(nb2, 'lecture.DepthKnob(')) || [];
    return outs.map((o) => o.data?.[RESULTS_MIME]).filter(Boolean).map((r) => JSON.parse(r))
      .filter((r) => r.id.startsWith('gradients: ')).at(-1);
  };
  assert.equal(Object.values((await grads()).data.max_abs_grad_by_layer)[0].length, 16, '15 hidden layers and the output');
  await turn(cell, 13);
  const at13 = await waitFor('the knob to redraw at 13 layers', CELL_TIMEOUT_MS, async () => {
    const r = await result(nb2, 'lecture.DepthKnob(', 'depth knob');
    return r && r.data.Value === 13 ? r : null;
  });
  const g13 = await waitFor('the gradient plot at 13 layers', 30_000, async () => {
    const g = await grads();
    return g && Object.values(g.data.max_abs_grad_by_layer)[0].length === 14 ? g : null;
  });
  assert.ok(g13.id.includes('13 hidden layers'), g13.id);
  const table = await knobTable(cell);
  assert.ok(table.caption.includes('13 hidden layers') && table.cells.includes(at13.data.Ours.Val.toFixed(5)),
    `table ${table.caption}: ${table.cells}`);
  await cell.scrollIntoViewIfNeeded();
  await nb2.screenshot({ path: path.join(ARTIFACTS, 'knob-depth-13.png') });
  console.log(`# depth knob: 15 layers -> validation ${at15.data.Ours.Val.toFixed(5)}, 13 -> ${at13.data.Ours.Val.toFixed(5)}`);
  await stopKnob(cell);
});

test('the slides handout opens from disk with no request leaving the machine, a slide per section', async () => {
  const out = path.join(tmpDir, 'slides');
  fs.mkdirSync(out);
  // The committed notebooks, exported as scripts/handouts.py does (no kernel: the slides' structure is the point).
  execFileSync(path.join(REPO, '.venv', 'bin', 'python'), ['-c', `
import sys, nbformat
sys.path.insert(0, ${JSON.stringify(path.join(REPO, 'scripts'))})
import handouts
for p in sys.argv[2:]:
    nb = nbformat.read(p, as_version=4)
    open(sys.argv[1] + "/" + p.split("/")[-1].replace(".ipynb", ".slides.html"), "w").write(handouts.to_slides(nb))
`, out, NB1, NB2]);
  for (const nbPath of [NB1, NB2]) {
    const nb = JSON.parse(fs.readFileSync(nbPath, 'utf8'));
    const sections = nb.cells.filter((c, i) => c.cell_type === 'markdown' && !(c.metadata.tags || []).includes('code-note') &&
      (i === 0 || /^## /.test([].concat(c.source).join('').split('\n').find((l) => l.startsWith('#')) || ''))).length;
    const page = await context.newPage();
    const outside = [];
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('file:') || u.startsWith('data:')) return route.continue();
      outside.push(u);
      return route.abort();
    });
    await page.goto(`file://${path.join(out, path.basename(nbPath).replace('.ipynb', '.slides.html'))}`);
    const total = await waitFor('reveal.js', 20_000, () => page.evaluate(() => window.Reveal?.isReady?.() && document.querySelectorAll('.reveal .slides > section').length));
    console.log(`# ${path.basename(nbPath)} slides: ${total} slides for ${sections} sections, requests outside: ${outside.length}`);
    assert.equal(total, sections, 'one slide per section');
    assert.deepEqual(outside, [], 'requests left the machine');
    await page.keyboard.press('ArrowRight');
    await waitFor('the second slide', 5_000, () => page.evaluate(() => window.Reveal.getIndices().h === 1));
    if (nbPath === NB1) await page.screenshot({ path: path.join(ARTIFACTS, 'slides-handout.png') });
    await page.close();
  }
});

