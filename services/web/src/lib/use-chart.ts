import { Chart, type ChartConfiguration, type ChartType } from "chart.js";
import { type DependencyList, useEffect, useRef } from "react";

/** A Chart.js chart drawn on the returned canvas, drawn again when `deps` change and destroyed on the way out. */
export function useChart<T extends ChartType>(config: () => ChartConfiguration<T>, deps: DependencyList) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(
    () => {
      if (!canvas.current) return;
      const chart = new Chart(canvas.current, config());
      return () => chart.destroy();
    },
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller says what its configuration depends on
    deps,
  );
  return canvas;
}
