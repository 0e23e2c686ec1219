/** Renders the Marketplace icon (resources/icon.png, 128x128) from media/seq2seq.svg with Debian's Chromium. Run: node --import tsx scripts/make-icon.ts */
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
(async () => {
  const svg = readFileSync(join(__dirname, '..', 'media', 'seq2seq.svg'), 'utf8').replace(/currentColor/g, '#ffffff');
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const p = await b.newPage({ viewport: { width: 128, height: 128 } });
  await p.setContent(`<html><body style="margin:0;background:transparent"><div style="width:128px;height:128px;border-radius:24px;background:linear-gradient(135deg,#3b6fd8,#6a3fc4);display:flex;align-items:center;justify-content:center">${svg.replace('<svg ', '<svg style="width:96px;height:96px" ')}</div></body></html>`);
  await p.screenshot({ path: join(__dirname, '..', 'resources', 'icon.png'), omitBackground: true });
  await b.close();
})();
