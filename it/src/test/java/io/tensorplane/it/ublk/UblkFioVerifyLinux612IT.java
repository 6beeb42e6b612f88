package io.tensorplane.it.ublk;

import io.tensorplane.it.bed.TestbedTest;

/**
 * {@link UblkFioVerifyIT} on Debian's Linux 6.12, where the server moves data without 7.x's zero copy and batched
 * commands (the fallbacks).
 */
@TestbedTest(kernel = "6.12")
class UblkFioVerifyLinux612IT extends UblkFioVerifyIT {
}
