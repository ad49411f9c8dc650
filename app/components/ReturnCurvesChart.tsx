import { LineChart, PolarisVizProvider } from "@shopify/polaris-viz";

/** Return curves (P(returned within d days), d = 1…60) drawn with Polaris Viz; loaded in the browser only. */
export default function ReturnCurvesChart({ curves }: { curves: Array<{ name: string; points: Array<{ day: number; p: number }> }> }) {
  const data = curves.map((curve) => ({ name: curve.name, data: curve.points.map((point) => ({ key: point.day, value: Math.round(point.p * 1000) / 10 })) }));
  return (
    <PolarisVizProvider>
      <div style={{ height: 320 }}>
        <LineChart
          data={data}
          theme="Light"
          xAxisOptions={{ labelFormatter: (value) => `day ${String(value)}` }}
          yAxisOptions={{ labelFormatter: (value) => `${String(value)} %` }}
        />
      </div>
    </PolarisVizProvider>
  );
}
