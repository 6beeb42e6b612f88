/**
 * The engine's contract: {@link io.tensorplane.engine.BlockDevice} (shared, thread-safe),
 * {@link io.tensorplane.engine.IoChannel} (one per I/O thread), {@link io.tensorplane.engine.IoCompletion}
 * (results are bytes or negative {@link io.tensorplane.engine.Errno} values), and
 * {@link io.tensorplane.engine.Devices}, which opens devices from spec strings such as {@code mem:8G}.
 */
package io.tensorplane.engine;
