/**
 * The engine's own backends, registered like any other ({@link io.tensorplane.engine.Backend}):
 * {@code null} (reads zeros, drops writes) and {@code mem} (sparse off-heap memory in 1 MiB chunks).
 * Files and block devices are the {@code backend-file} module's.
 */
package io.tensorplane.engine.backend;
