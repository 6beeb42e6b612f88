package io.tensorplane.it.ublk;

import io.tensorplane.it.bed.TestbedTest;

/**
 * {@link UblkLifecycleIT} on Debian's Linux 6.12, where del, SIGKILL and recovery go without SAFE_STOP_DEV and QUIESCE
 * (the fallbacks).
 */
@TestbedTest(kernel = "6.12")
class UblkLifecycleLinux612IT extends UblkLifecycleIT {
}
