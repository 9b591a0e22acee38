/**
 * prom-client's Registry on its own (the text writer, without the metric
 * classes, the cluster aggregator and the default process metrics with their
 * dependencies): ~85 KB less in the router and admin bundles. The package
 * has no `exports` map, so the file is importable; its type is the Registry
 * prom-client's own typings describe.
 */
declare module 'prom-client/lib/registry' {
  import { Registry } from 'prom-client';
  export = Registry;
}
