/**
 * Pollers as Agrona agents with configurable idle strategies and threading modes, and the
 * {@link io.tensorplane.engine.poll.CpuAffinity} service interface for pinning.
 */
package io.tensorplane.engine.poll;
