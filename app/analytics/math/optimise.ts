/**
 * Small unconstrained optimiser for maximum-likelihood fits: BFGS with an
 * Armijo backtracking line search (Nocedal & Wright 2006, alg. 6.1 and 3.1),
 * plus the numerical Hessian used for standard errors.
 */

export interface Objective {
  /** The value to minimise and its gradient; a non-finite value marks a point the line search must not take. */
  (x: readonly number[]): { value: number; gradient: number[] };
}

export interface Minimum {
  x: number[];
  value: number;
  gradient: number[];
  iterations: number;
  /** The largest gradient component fell below the tolerance. */
  converged: boolean;
}

export interface BfgsOptions {
  maxIterations?: number;
  /** Convergence when every |∂f/∂xᵢ| is below this. */
  gradientTolerance?: number;
}

const ARMIJO = 1e-4;
const MAX_HALVINGS = 40;
/** Iterations in a row that improve the value by less than rounding can tell apart before giving up. */
const STALL_LIMIT = 5;

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function maxAbs(values: readonly number[]): number {
  return values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
}

function identity(n: number, scale = 1): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? scale : 0)));
}

function times(matrix: readonly (readonly number[])[], vector: readonly number[]): number[] {
  return matrix.map((row) => dot(row, vector));
}

/** Minimises `objective` from `start`. Never throws on a bad region: it backs off, and reports `converged: false` if stuck. */
export function minimiseBfgs(objective: Objective, start: readonly number[], options: BfgsOptions = {}): Minimum {
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.gradientTolerance ?? 1e-7;
  const n = start.length;
  let x = [...start];
  let current = objective(x);
  if (!Number.isFinite(current.value)) throw new RangeError(`the objective is not finite at the starting point (${start.join(", ")})`);
  let inverse = identity(n);
  let iterations = 0;
  let freshHessian = true;
  let stalled = 0;

  while (iterations < maxIterations && maxAbs(current.gradient) >= tolerance) {
    iterations++;
    let direction = times(inverse, current.gradient).map((v) => -v);
    let slope = dot(direction, current.gradient);
    if (!(slope < 0)) {
      // Not a descent direction: start again from steepest descent.
      inverse = identity(n);
      direction = current.gradient.map((v) => -v);
      slope = dot(direction, current.gradient);
      freshHessian = true;
    }
    // Keep the first step of a fresh (identity) Hessian modest in parameter space.
    let step = freshHessian ? Math.min(1, 1 / Math.max(maxAbs(direction), 1e-12)) : 1;
    let next: { value: number; gradient: number[] } | undefined;
    let candidate: number[] = x;
    for (let halving = 0; halving < MAX_HALVINGS; halving++) {
      candidate = x.map((xi, i) => xi + step * (direction[i] ?? 0));
      const trial = objective(candidate);
      if (Number.isFinite(trial.value) && trial.value <= current.value + ARMIJO * step * slope) {
        next = trial;
        break;
      }
      step /= 2;
    }
    if (!next) {
      if (freshHessian) break; // Even steepest descent cannot improve: at the precision floor.
      inverse = identity(n);
      freshHessian = true;
      continue;
    }
    const s = candidate.map((ci, i) => ci - (x[i] ?? 0));
    const y = next.gradient.map((gi, i) => gi - (current.gradient[i] ?? 0));
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (freshHessian) {
        // Scale the identity before the first update (Nocedal & Wright eq. 6.20).
        inverse = identity(n, sy / dot(y, y));
        freshHessian = false;
      }
      inverse = bfgsUpdate(inverse, s, y, sy);
    }
    stalled = current.value - next.value <= 1e-15 * Math.abs(current.value) ? stalled + 1 : 0;
    x = candidate;
    current = next;
    if (stalled >= STALL_LIMIT) break;
  }
  return { x, value: current.value, gradient: current.gradient, iterations, converged: maxAbs(current.gradient) < tolerance };
}

/** H⁺ = (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1 / yᵀs. */
function bfgsUpdate(inverse: number[][], s: number[], y: number[], sy: number): number[][] {
  const rho = 1 / sy;
  const hy = times(inverse, y);
  const yhy = dot(y, hy);
  const n = s.length;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      const hij = inverse[i]?.[j] ?? 0;
      const si = s[i] ?? 0;
      const sj = s[j] ?? 0;
      return hij - rho * ((hy[i] ?? 0) * sj + si * (hy[j] ?? 0)) + (rho * rho * yhy + rho) * si * sj;
    }),
  );
}

/** Hessian by central differences of an analytic gradient, symmetrised. */
export function numericalHessian(gradient: (x: readonly number[]) => number[], x: readonly number[], relativeStep = 1e-4): number[][] {
  const n = x.length;
  const columns: number[][] = [];
  for (let j = 0; j < n; j++) {
    const h = relativeStep * Math.max(1, Math.abs(x[j] ?? 0));
    const up = gradient(x.map((v, i) => (i === j ? v + h : v)));
    const down = gradient(x.map((v, i) => (i === j ? v - h : v)));
    columns.push(up.map((u, i) => (u - (down[i] ?? 0)) / (2 * h)));
  }
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => ((columns[j]?.[i] ?? 0) + (columns[i]?.[j] ?? 0)) / 2));
}

/** Inverse of a symmetric positive-definite matrix by Cholesky; null when it is not positive definite. */
export function invertPositiveDefinite(matrix: readonly (readonly number[])[]): number[][] | null {
  const n = matrix.length;
  // Cholesky factor L (row-major, lower triangle), A = L Lᵀ.
  const lower = new Float64Array(n * n);
  const l = (i: number, j: number) => lower[i * n + j] ?? 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i]?.[j] ?? Number.NaN;
      for (let k = 0; k < j; k++) sum -= l(i, k) * l(j, k);
      if (i === j) {
        if (!(sum > 0) || !Number.isFinite(sum)) return null;
        lower[i * n + i] = Math.sqrt(sum);
      } else {
        lower[i * n + j] = sum / l(j, j);
      }
    }
  }
  // Solve L Lᵀ X = I column by column.
  const inverse = new Float64Array(n * n);
  const y = new Float64Array(n);
  for (let col = 0; col < n; col++) {
    for (let i = 0; i < n; i++) {
      let sum = i === col ? 1 : 0;
      for (let k = 0; k < i; k++) sum -= l(i, k) * (y[k] ?? 0);
      y[i] = sum / l(i, i);
    }
    for (let i = n - 1; i >= 0; i--) {
      let sum = y[i] ?? 0;
      for (let k = i + 1; k < n; k++) sum -= l(k, i) * (inverse[k * n + col] ?? 0);
      inverse[i * n + col] = sum / l(i, i);
    }
  }
  return Array.from({ length: n }, (_, i) => Array.from(inverse.subarray(i * n, (i + 1) * n)));
}
