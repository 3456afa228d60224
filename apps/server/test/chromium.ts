// Headless Chromium for the browser tests (the API reference here, the dashboard in apps/dashboard/test): Debian's
// /usr/bin/chromium, never a downloaded browser. The background-networking flags matter: without them Chromium keeps
// dialling Google's hosts, which this machine's closed network refuses.
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
