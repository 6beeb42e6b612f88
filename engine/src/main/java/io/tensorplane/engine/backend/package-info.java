/**
 * Backends: {@code null} (reads zeros, drops writes), {@code mem} (sparse off-heap memory in 1 MiB
 * chunks) and {@code file} (a regular file or block device with positional I/O).
 */
package io.tensorplane.engine.backend;
