/**
 * Driving the web dashboard in a real headless Chromium (Debian's `chromium`, through playwright-core
 * with `executablePath`; never a downloaded browser build): launching it, a fresh person's browser
 * that records Content-Security-Policy complaints, signing in through the Discord emulator's consent
 * page, and WCAG contrast checks. Screenshots go to docs/dashboard with UPDATE_DOCS_SCREENSHOTS=1.
 *
 * Without Chromium the browser tests are skipped, except in CI (CI=true), where .ci/run installs it
 * and a missing browser is a failure.
 */
import { describe, expect } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === "true") throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
export const describeWithChromium = haveChromium ? describe : describe.skip;

/** Where screenshots go: docs/dashboard when refreshing the docs, else a scratch directory. */
export const SCREENSHOTS = process.env.UPDATE_DOCS_SCREENSHOTS === "1" ? join(import.meta.dir, "..", "..", "docs", "dashboard") : mkdtempSync(join(tmpdir(), "dashboard-shots-"));

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}

/** A fresh browser profile whose every Content-Security-Policy complaint is kept. */
export async function person(browser: Browser): Promise<{ context: BrowserContext; page: Page; cspErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  const cspErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
  });
  return { context, page, cspErrors };
}

/** Opens the dashboard, is sent to Discord, picks `userId` on the consent page and authorizes. */
export async function signInAs(page: Page, urls: { publicUrl: string; discordWebUrl: string }, userId: string, screenshot?: string): Promise<void> {
  await page.goto(`${urls.publicUrl}/dashboard`);
  expect(page.url()).toStartWith(`${urls.discordWebUrl}/oauth2/authorize?`);
  await page.check(`#user-${userId}`);
  if (screenshot) await page.screenshot({ path: join(SCREENSHOTS, screenshot) });
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.waitForURL(`${urls.publicUrl}/dashboard`);
}

/** The text and background colour (the first opaque one up the tree) of each element matching `selector`. */
const COLOURS_SCRIPT = (selector: string) => `[...document.querySelectorAll(${JSON.stringify(selector)})].map((element) => {
  let node = element;
  let background = "rgb(255, 255, 255)";
  while (node) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && colour !== "transparent" && !colour.startsWith("rgba(0, 0, 0, 0")) { background = colour; break; }
    node = node.parentElement;
  }
  return { text: (element.textContent || "").trim().slice(0, 40), colour: getComputedStyle(element).color, background };
})`;

/** WCAG 2 contrast ratio of two rgb() colours. */
export function contrast(a: string, b: string): number {
  const luminance = (colour: string) => {
    const [r, g, bl] = colour.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((part) => {
      const c = Number(part) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** Every element of the selector has at least WCAG AA's 4.5:1 against its background. */
export async function expectReadable(page: Page, selector: string): Promise<void> {
  const found = (await page.evaluate(COLOURS_SCRIPT(selector))) as { text: string; colour: string; background: string }[];
  expect(found.length).toBeGreaterThan(0);
  for (const element of found) expect({ ...element, readable: contrast(element.colour, element.background) >= 4.5 }).toMatchObject({ readable: true });
}
