import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { registerQueueMetrics } from '../../src/metrics/queue-metrics.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';

const DASHBOARD = new URL('../../deploy/grafana/engage-point-follower.json', import.meta.url);

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

describe('the Grafana dashboard', () => {
  it('queries only metrics the API and the worker export', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    const metrics = createMetrics();
    registerQueueMetrics(
      metrics,
      [],
      () => new Date(),
      () => Promise.resolve(0),
    );
    const exported = new Set(metrics.registry.getMetricsAsArray().map((metric) => metric.name));

    expect(dashboard.panels.length).toBeGreaterThan(0);
    for (const panel of dashboard.panels) {
      const used = panel.targets.flatMap((target) => target.expr.match(/\bpf_[a-z_]+/g) ?? []);
      expect(used.length, panel.title).toBeGreaterThan(0);
      for (const name of used) expect(exported, `${panel.title}: ${name}`).toContain(name.replace(/_(bucket|count|sum)$/, ''));
    }
  });
});
