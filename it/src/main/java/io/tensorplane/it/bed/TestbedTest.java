package io.tensorplane.it.bed;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks an integration test class ({@code *IT}, run by failsafe in {@code mvn verify}) that runs commands in the test
 * bed: one {@link Guest} is booted before the class's first test and powered off after its last one, and is injected
 * into test, {@code @BeforeAll}, {@code @BeforeEach} and constructor parameters of type {@link Guest}.
 * If the guest cannot boot, every test of the class fails with the reason.
 *
 * <p>{@link #kernel()} picks the guest's kernel for the class. To run a class on a second kernel without copying it,
 * extend it: {@code @TestbedTest(kernel = "6.12") class UblkLifecycleLinux612IT extends UblkLifecycleIT {}} (the
 * subclass's annotation wins; it gets its own guest, log and share).
 *
 * <p>{@link #init()} {@code "systemd"} boots the guest with systemd as PID 1 (the host's own systemd from the shared
 * root, starting only the test bed's agent until a test's units pull in more), for tests of systemd units and
 * packages; it costs a few seconds of boot. {@link #arch()} {@code "arm64"} boots an emulated aarch64 machine instead
 * (see {@code it/testbed/prepare-arm64}; it runs Debian's 6.12).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Tag("testbed")
@ExtendWith(TestbedExtension.class)
public @interface TestbedTest {

    /**
     * The kernel series of the guest: {@code "7.3"} or {@code "6.12"} (Debian's kernels, see {@code it/testbed/prepare});
     * empty (the default) for the run's default: {@code -Dtensorplane.testbed.kernel}, else the environment's
     * {@code TENSORPLANE_KERNEL_SERIES}, else 7.3. In native mode the host's own kernel runs every class; a class
     * that names a series the host is not running is then skipped (never in the VM mode CI uses).
     */
    String kernel() default "";

    /** {@code ""} (the default): the bed's own init runs the agent; {@code "systemd"}: systemd as PID 1 runs it. */
    String init() default "";

    /** {@code ""} or {@code "amd64"} (the default): the x86-64 guest; {@code "arm64"}: an emulated aarch64 guest. */
    String arch() default "";
}
