/**
 * The real-kernel test bed for integration tests: Debian's Linux 7.3 or 6.12 in QEMU (or the host itself), driven from
 * JUnit 5. An IT is an ordinary failsafe test ({@code *IT}, run by {@code mvn verify}):
 *
 * <pre>{@code
 * @TestbedTest                                   // one guest booted for the class, powered off after it
 * class UblkNullIT {
 *     @BeforeAll
 *     static void server(Guest guest) {          // Guest parameters are injected (also into @Test methods)
 *         guest.runOk("tp_modprobe ublk_drv");   // guest-lib.sh helpers are always sourced
 *         guest.spawn("srv", "java -jar \"$TP_JAR\" ublk add --backend null:1G");   // background, own log
 *         guest.runOk("wait_for_path /dev/ublkb0 20", Duration.ofSeconds(30));
 *     }
 *
 *     @Test
 *     void fioReads(Guest guest) {
 *         ExecResult r = guest.runOk("fio_point /dev/ublkb0 randread 16 3", Duration.ofSeconds(60));
 *         assertTrue(Long.parseLong(r.out().split(" ")[0]) > 0, r.toString());
 *     }
 *
 *     @AfterAll
 *     static void stop(Guest guest) {
 *         String log = guest.stop("srv");        // SIGTERM to its session, then SIGKILL; returns its output
 *     }
 * }
 * }</pre>
 *
 * <p>{@link io.tensorplane.it.bed.Guest#run} returns an {@link io.tensorplane.it.bed.ExecResult} (exit code,
 * stdout, stderr); {@code runOk} throws an AssertionError showing all of it unless the exit code is 0. A guest that
 * cannot boot fails the class with the reason and the console tail. Console logs:
 * {@code it/target/testbed-logs/<TestClass>.log}; failed tests with the guest's dmesg:
 * {@code <TestClass>.failures.log}.
 */
package io.tensorplane.it.bed;
