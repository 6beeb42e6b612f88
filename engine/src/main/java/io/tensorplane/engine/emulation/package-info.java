/**
 * Device emulation as decorators over any backend: a latency model with seeded jitter whose
 * completions are delivered by {@code poll()} when due, and seeded, deterministic fault injection.
 */
package io.tensorplane.engine.emulation;
