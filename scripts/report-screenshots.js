// Screenshots of the demo's training reports for the README: run `npm run demo` first, then
// `node scripts/report-screenshots.js`. Needs Chromium (Debian: `apt-get install chromium`;
// elsewhere set S3DB_ML_CHROMIUM to its path) and the playwright-core dev dependency.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAGES = [
  ['pricePredictor', 'report-regression.png'],
  ['spamDetector', 'report-classification.png'],
  ['salesForecast', 'report-timeseries.png'],
];
const PHONE = ['salesForecast', 'report-timeseries-phone.png'];

const executablePath = process.env.S3DB_ML_CHROMIUM ?? '/usr/bin/chromium';
const out = join(root, 'docs', 'images');
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const shoot = async (model, file, width) => {
    const source = join(root, 'examples', `report-${model}.html`);
    if (!existsSync(source)) throw new Error(`${source} is missing: run \`npm run demo\` first`);
    const page = await browser.newPage({ viewport: { width, height: 800 }, deviceScaleFactor: width < 600 ? 2 : 1 });
    await page.setContent(readFileSync(source, 'utf8'), { waitUntil: 'load' });
    await page.screenshot({ path: join(out, file), fullPage: true });
    await page.close();
    console.log(join('docs', 'images', file));
  };
  for (const [model, file] of PAGES) await shoot(model, file, 1280);
  await shoot(...PHONE, 390);
} finally {
  await browser.close();
}
