// Drives examples/upload-page in headless Chromium (Debian's, through playwright-core) as a
// person would: serves the page on 127.0.0.1:PAGE_PORT, fills in the app's URL and token,
// picks a file of SIZE bytes (byte i is (i * 31 + 7) % 251), clicks Upload, and watches the
// progress bar until the page says done or failed. Prints JSON:
// {state, status, progress: [every distinct value the bar showed, in order]}.
// With RELOAD_AT (a percentage), reloads the page once the bar reaches it (a tab closed
// mid-upload: the parts in flight are lost, those S3 holds are not), picks the file again and
// clicks Upload: the page must resume from the parts S3 holds. The status lines seen are kept.
// With SCREENSHOT set (a file path), the page as it ends is saved there, a PNG.
//
// Usage: node browser_upload.mjs NODE_MODULES PAGE_FILE PAGE_PORT APP TOKEN KEY SIZE [RELOAD_AT]
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";

const [modules, pageFile, pagePort, app, token, key, size, reloadAt] = process.argv.slice(2);
const { chromium } = createRequire(join(modules, "noop.js"))("playwright-core");

const html = readFileSync(pageFile);
const server = createServer((req, res) => {
  res.writeHead(req.url === "/" ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
  res.end(req.url === "/" ? html : "");
});
await new Promise((resolve) => server.listen(Number(pagePort), "127.0.0.1", resolve));

const bytes = Buffer.alloc(Number(size));
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 251;
// A real file, so the one picked again after a reload is the same (name, size, mtime).
const file = join(mkdtempSync(join(tmpdir(), "spinlift-upload-")), "big.bin");
writeFileSync(file, bytes);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const result = { state: "", status: "", progress: [], statuses: [], reloaded_at: null, errors: [] };
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => result.errors.push(String(e)));
  // Every value the bar takes and every status line, recorded in the page as they change
  // (polling from here could miss the short ones).
  await page.addInitScript(() => {
    window.__bar = [];
    window.__status = [];
    document.addEventListener("DOMContentLoaded", () => {
      const bar = document.getElementById("progress");
      new MutationObserver(() => window.__bar.push(bar.value))
        .observe(bar, { attributes: true, attributeFilter: ["value"] });
      const status = document.getElementById("status");
      new MutationObserver(() => window.__status.push(status.textContent))
        .observe(status, { childList: true, characterData: true, subtree: true });
    });
  });
  page.on("console", (m) => m.type() === "error" && result.errors.push(m.text()));
  await page.goto(`http://127.0.0.1:${pagePort}/`);
  await page.fill("#app", app);
  await page.fill("#token", token);
  await page.fill("#key", key);
  await page.setInputFiles("#file", file);
  const watch = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [state, value, bar, lines] = await page.evaluate(() => [
        document.body.dataset.state || "", document.getElementById("progress").value,
        window.__bar.splice(0), window.__status.splice(0),
      ]);
      for (const v of bar) if (result.progress.at(-1) !== v) result.progress.push(v);
      for (const line of lines) {
        const note = line.split(";")[0];
        if (note.startsWith("resumed") && !result.statuses.includes(note)) result.statuses.push(note);
      }
      if (reloadAt && result.reloaded_at === null && value >= Number(reloadAt) && value < 100) {
        result.reloaded_at = value;
        return "reload";
      }
      if (state === "done" || state === "failed") return state;
      if (Date.now() > deadline) return "timeout";
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await page.click("#upload");
  let state = await watch();
  if (state === "reload") {
    // (Abort would drop the upload: DELETE /uploads/{id}. A reload only loses what is in flight.)
    result.progress.push("reload");
    await page.reload();
    await page.fill("#key", key);
    await page.setInputFiles("#file", file);
    await page.click("#upload");
    state = await watch();
  }
  result.state = state;
  result.status = await page.textContent("#status");
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify(result));
