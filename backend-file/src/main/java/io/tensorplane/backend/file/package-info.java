/**
 * The {@code file:} backend: regular files and block devices on io_uring, never blocking an I/O thread,
 * with a blocking fallback where io_uring is unavailable. {@link io.tensorplane.backend.file.FileBackend}
 * registers it with the engine; nothing else here is public but the device type.
 */
package io.tensorplane.backend.file;
