/**
 * Running Tensorplane as a service on a BlueField DPU's Arm cores (or any Linux machine): deployment profiles
 * ({@link io.tensorplane.dpu.profile}), preflight checks ({@link io.tensorplane.dpu.preflight}) over what a machine
 * is ({@link io.tensorplane.dpu.host}), and the packaging in {@code dpu-profile/package/}.
 */
package io.tensorplane.dpu;
