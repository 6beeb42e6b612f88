package io.tensorplane.it.bed;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test of a {@link TestbedTest} class whose outcome does not depend on the guest's kernel (argument checks,
 * signal handling, ...). It runs on the run's default kernel only: a copy of its class pinned to another kernel
 * (a subclass with {@code @TestbedTest(kernel = "6.12")}) skips it and says where it runs, so that a second kernel
 * costs only the tests that can tell the kernels apart.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface KernelIndependent {
}
