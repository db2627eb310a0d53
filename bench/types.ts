/** One benchmark figure, printed as one JSON line by `npm run bench`. */
export interface BenchMetric {
  metric: string;
  value: number;
  unit: string;
  [extra: string]: unknown;
}

export type Emit = (m: BenchMetric) => void;

/** A benchmark module's default export. It may start what it needs and must clean up after itself. */
export type Bench = (emit: Emit) => Promise<void>;
