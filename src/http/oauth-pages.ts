/** The small HTML pages of "Sign in with Roblox": messages are written for Discord, so its markdown is dropped. */
export function page(title: string, paragraphs: string[], form = ""): string {
  const body = paragraphs.map((text) => `<p>${linkify(escapeHtml(text.replace(/\*\*|`/g, "")))}</p>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>rankbridge: ${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font:inherit;padding:.5rem 1rem}</style></head>
<body>
<h1>rankbridge</h1>
${body}
${form}
</body>
</html>`;
}

/** The group's join link in a "not in group" message should be clickable. */
function linkify(escaped: string): string {
  return escaped.replace(/https:\/\/[^\s<>&,]*[^\s<>&,.)]/g, (url) => `<a href="${url}">${url}</a>`);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
