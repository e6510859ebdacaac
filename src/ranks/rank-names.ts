/** How typed rank names are matched to the ladder: normalised, compacted, by part, or close enough to suggest. */

/** Lower case, single spaces, and " | " spacing made uniform so "E1|Soldier" equals "E1 | Soldier". */
export function normaliseName(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s*\|\s*/g, " | ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Accept the label formatRank() produces, e.g. an autocomplete choice pasted back. */
export function stripRankSuffix(text: string): string {
  return text.replace(/\s*\(\s*rank\s+\d+\s*\)\s*$/i, "");
}

export function compact(normalised: string): string {
  return normalised.replace(/[^\p{L}\p{N}]+/gu, "");
}

/** "E1 | Soldier" → ["e1", "soldier"]. Names without a separator have no parts of their own. */
export function nameParts(name: string): string[] {
  const parts = normaliseName(name).split(" | ");
  return parts.length > 1 ? parts.filter((part) => part !== "") : [];
}

/**
 * Lower is closer; null when not worth suggesting. Containment beats edit distance, because people
 * type fragments ("serg") more often than typos of the whole name.
 */
export function closeness(query: string, rankName: string): number | null {
  const name = normaliseName(rankName);
  const candidates = [name, ...nameParts(rankName)];
  if (candidates.some((candidate) => candidate.includes(query) || (query.length >= 3 && query.includes(candidate)))) return 0;
  let best = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) best = Math.min(best, editDistance(query, candidate));
  // Allow roughly one typo per three characters, at least one.
  const allowed = Math.max(1, Math.floor(query.length / 3));
  return best <= allowed ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
