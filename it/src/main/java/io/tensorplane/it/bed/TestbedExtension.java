package io.tensorplane.it.bed;

import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * JUnit 5 extension behind {@link TestbedTest}: boots one guest per test class, on the kernel series the class names
 * (named after the class, so its console log is {@code it/target/testbed-logs/<TestClass>.log}), resolves
 * {@link Guest} parameters, records failed tests
 * with the guest's dmesg in {@code <TestClass>.failures.log} and each command's time in {@code <TestClass>.commands.log}, and powers the guest off after the class.
 */
public final class TestbedExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback, ParameterResolver,
        TestWatcher, ExecutionCondition {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TestbedExtension.class);
    private static final String KEY = "guest";

    /** Skips a {@link KernelIndependent} test in a class pinned to a kernel other than the run's default. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestMethod().map(m -> m.isAnnotationPresent(KernelIndependent.class)).orElse(false)) {
            Class<?> testClass = context.getRequiredTestClass();
            String kernel = AnnotationSupport.findAnnotation(testClass, TestbedTest.class).map(TestbedTest::kernel).orElse("");
            String runDefault = Testbed.kernelSeries("");
            if (!kernel.isBlank() && !Testbed.kernelSeries(kernel).equals(runDefault)) {
                String home = context.getRequiredTestMethod().getDeclaringClass().getSimpleName();
                return ConditionEvaluationResult.disabled("kernel-independent: runs on Linux " + runDefault + " in " + home);
            }
        }
        return ConditionEvaluationResult.enabled("");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (context.getStore(NS).get(KEY, Guest.class) != null) {
            return; // a @Nested class uses its enclosing class's guest
        }
        Class<?> testClass = context.getRequiredTestClass();
        TestbedTest kind = AnnotationSupport.findAnnotation(testClass, TestbedTest.class).orElse(null);
        String kernel = kind == null ? "" : kind.kernel();
        String init = kind == null ? "" : kind.init();
        String arch = kind == null ? "" : kind.arch();
        if (!arch.equals("arm64") && Testbed.mode() == Testbed.Mode.NATIVE && !kernel.isBlank()) {
            String release = Testbed.hostKernelRelease();
            Assumptions.assumeTrue(release.startsWith(kernel + "."), () -> testClass.getSimpleName() + " is for Linux " + kernel
                    + "; in native mode the host's kernel runs, and it is " + release);
        }
        Guest guest = Testbed.boot(testClass.getSimpleName(), kernel, init, arch);
        context.getStore(NS).put(KEY, guest);
        context.getStore(NS).put(KEY + ".owner", context.getUniqueId());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (context.getStore(NS).get(KEY, Guest.class) instanceof AgentGuest a) {
            a.noteTestStart(context.getRequiredTestMethod().getName() + " " + context.getDisplayName());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getUniqueId().equals(context.getStore(NS).get(KEY + ".owner", String.class))) {
            Guest guest = context.getStore(NS).remove(KEY, Guest.class);
            if (guest != null) {
                guest.close();
            }
        }
    }

    /** The guest of the running test class. */
    public static Guest guest(ExtensionContext context) {
        Guest g = context.getStore(NS).get(KEY, Guest.class);
        if (g == null) {
            throw new TestbedException("no test bed guest: the test class is not annotated with @TestbedTest or its guest failed to boot");
        }
        return g;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == Guest.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return guest(extensionContext);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Guest g = context.getStore(NS).get(KEY, Guest.class);
        if (g instanceof AgentGuest a) {
            a.noteFailure(context.getDisplayName() + " [" + context.getRequiredTestMethod().getName() + "]", cause);
        }
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        // an assumption that does not hold (a test switched off, with its reason): a skip, nothing to diagnose
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        // nothing to keep
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        // nothing to keep
    }
}
