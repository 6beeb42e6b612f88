/**
 * Per-device, per-operation metrics (operations, bytes, errors, latency percentiles, in flight)
 * kept in plain per-channel counters, read by Micrometer and served as Prometheus text.
 */
package io.tensorplane.engine.metrics;
