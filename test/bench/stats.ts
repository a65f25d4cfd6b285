/** The q-th quantile (0..1) of a sample, nearest-rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`;

/** p50 and p99 of a sample of milliseconds, and its size: one table cell. */
export const spread = (values: number[]): string => `p50 ${ms(quantile(values, 0.5))}, p99 ${ms(quantile(values, 0.99))} (n=${values.length})`;
