/**
 * The analytics benchmark's comparison, in a process of its own so its memory
 * never counts against the app's: DuckDB (in memory) loads the same orders CSV
 * the benchmark COPYed into PostgreSQL, then computes what the app's recompute
 * computes for the two timed comparisons —
 *   gaps:    visits (customer × local day × location, cancelled orders out,
 *            refunds netted) and per-member features: visit count, first/last
 *            visit, spend, gaps between visit days (count, median, IQR),
 *            dominant daypart label and its share, usual minute, channel counts;
 *   cohorts: the retention matrix (first-visit month × months since, members
 *            with a visit in each cell, and cohort sizes).
 * Prints one JSON line: {"load_s","gaps_s","cohorts_s","members","cells"}.
 *
 *   tsx bench/support/duckdb-analytics.ts FILE.csv TIMEZONE
 */
import { DuckDBInstance } from "@duckdb/node-api";

const [file, timeZone] = process.argv.slice(2);
if (!file || !timeZone || !/^[A-Za-z_]+(\/[A-Za-z_+-]+)*$/.test(timeZone)) {
  console.error("usage: tsx bench/support/duckdb-analytics.ts FILE.csv TIMEZONE");
  process.exit(2);
}

const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
const db = await instance.connect();
const seconds = async (sql: string) => {
  const started = performance.now();
  await db.run(sql);
  return (performance.now() - started) / 1000;
};

const load = await seconds(`
  CREATE TABLE orders AS SELECT * FROM read_csv('${file.replaceAll("'", "''")}', header = false,
    columns = {
      'shop': 'VARCHAR', 'id': 'VARCHAR', 'customerId': 'VARCHAR', 'locationId': 'VARCHAR', 'channel': 'VARCHAR',
      'currency': 'VARCHAR', 'totalPrice': 'DECIMAL(18,4)', 'refundedAmount': 'DECIMAL(18,4)', 'processedAt': 'TIMESTAMP',
      'cancelledAt': 'TIMESTAMP', 'noteAttributes': 'VARCHAR', 'shopifyUpdatedAt': 'TIMESTAMP', 'source': 'VARCHAR', 'updatedAt': 'TIMESTAMP'
    })`);

const label = (hourExpr: string, weekdayExpr: string) => `
  CASE WHEN ${weekdayExpr} IN (0, 6) THEN 'weekend' ELSE 'weekday' END || '-' ||
  CASE WHEN ${hourExpr} >= 6 AND ${hourExpr} < 11 THEN 'morning' WHEN ${hourExpr} >= 11 AND ${hourExpr} < 14 THEN 'midday'
       WHEN ${hourExpr} >= 14 AND ${hourExpr} < 17 THEN 'afternoon' WHEN ${hourExpr} >= 17 AND ${hourExpr} < 22 THEN 'evening' END`;

const gaps = await seconds(`
  CREATE TABLE visits AS
  WITH local AS (
    SELECT customerId, coalesce(locationId, 'online') AS loc, channel, noteAttributes LIKE '%pickup_at%' AS pickup,
           totalPrice - refundedAmount AS net, processedAt,
           timezone('${timeZone}', processedAt AT TIME ZONE 'UTC') AS local_ts
    FROM orders WHERE customerId IS NOT NULL AND cancelledAt IS NULL
  )
  SELECT customerId, CAST(local_ts AS DATE) AS local_date, loc, count(*) AS orders, sum(net) AS spend,
         arg_min(local_ts, processedAt) AS first_local,
         bool_or(channel = 'pos') AS pos, bool_or(channel = 'web') AS web, bool_or(pickup) AS pickup
  FROM local GROUP BY customerId, CAST(local_ts AS DATE), loc;

  CREATE TABLE member_features AS
  WITH labelled AS (
    SELECT *, ${label("hour(first_local)", "dayofweek(first_local)")} AS label,
           hour(first_local) * 60 + minute(first_local) AS minute_of_day FROM visits
  ),
  days AS (SELECT DISTINCT customerId, local_date FROM visits),
  gaps AS (
    SELECT customerId, local_date - lag(local_date) OVER (PARTITION BY customerId ORDER BY local_date) AS gap FROM days
  ),
  gap_stats AS (
    SELECT customerId, count(gap) AS gap_count, median(gap) AS gap_median,
           quantile_cont(gap, 0.75) - quantile_cont(gap, 0.25) AS gap_spread
    FROM gaps GROUP BY customerId
  ),
  label_counts AS (SELECT customerId, label, count(*) AS n FROM labelled GROUP BY customerId, label),
  top_label AS (SELECT customerId, arg_max(label, n) AS label, max(n) AS n FROM label_counts GROUP BY customerId),
  base AS (
    SELECT customerId, min(local_date) AS first_visit, max(local_date) AS last_visit, count(*) AS visit_count,
           sum(spend) AS total_spend, avg(spend) AS avg_spend, median(minute_of_day) AS usual_minute,
           count(*) FILTER (WHERE pos) AS pos_visits, count(*) FILTER (WHERE web) AS web_visits, count(*) FILTER (WHERE pickup) AS pickup_visits
    FROM labelled GROUP BY customerId
  )
  SELECT b.*, g.gap_count, g.gap_median, g.gap_spread,
         CASE WHEN t.n * 2 > b.visit_count THEN t.label ELSE 'mixed' END AS pattern, t.n / b.visit_count AS pattern_share
  FROM base b JOIN gap_stats g USING (customerId) JOIN top_label t USING (customerId);
`);

const cohorts = await seconds(`
  CREATE TABLE retention AS
  WITH first AS (SELECT customerId, date_trunc('month', min(local_date)) AS cohort FROM visits GROUP BY customerId),
  active AS (
    SELECT DISTINCT v.customerId, f.cohort, datediff('month', f.cohort, date_trunc('month', v.local_date)) AS period
    FROM visits v JOIN first f USING (customerId)
  )
  SELECT cohort, period, count(*) AS members FROM active GROUP BY cohort, period;
`);

const members = Number((await db.runAndReadAll("SELECT count(*) FROM member_features")).getRows()[0]![0]);
const cells = Number((await db.runAndReadAll("SELECT count(*) FROM retention")).getRows()[0]![0]);
db.closeSync();
instance.closeSync();
console.log(JSON.stringify({ load_s: round(load), gaps_s: round(gaps), cohorts_s: round(cohorts), members, cells }));

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
