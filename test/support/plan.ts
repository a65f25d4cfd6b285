/** Counts of the operations an engine run performs or would perform, without the unchanged ones. */
export function pendingChanges(summary: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && n > 0));
}
