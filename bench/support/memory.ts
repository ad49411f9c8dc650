/** Peak resident memory of this process while `work` runs, sampled every 20 ms, in MB (2 decimals). */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakRssMb: Math.round((peak / 2 ** 20) * 100) / 100 };
  } finally {
    clearInterval(timer);
  }
}
