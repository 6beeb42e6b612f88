package io.tensorplane.daemon;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * SIGHUP for the daemon's reload. The JDK's only way is {@code sun.misc.Signal} (module jdk.unsupported,
 * present in every JDK); it is reached reflectively because the compiler warns on every direct use of it,
 * and warnings are errors in this build.
 */
public final class Signals {
    private Signals() {
    }

    /** Runs {@code action} (on the JVM's signal thread) each time the process gets SIGHUP. */
    public static void onHangUp(Runnable action) {
        on("HUP", action);
    }

    /**
     * Runs {@code action} (on the JVM's signal thread) each time the process gets {@code name} ("HUP").
     *
     * @throws IllegalStateException if this JVM cannot handle the signal
     */
    static void on(String name, Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Constructor<?> make = signal.getConstructor(String.class);
            Object sig = make.newInstance(name);
            Object h = Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler}, (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                    action.run();
                    return null;
                }
                if (method.getName().equals("toString")) {
                    return "handler of SIG" + name;
                }
                if (method.getName().equals("hashCode")) {
                    return System.identityHashCode(proxy);
                }
                if (method.getName().equals("equals")) {
                    return proxy == args[0];
                }
                return null;
            });
            Method handle = signal.getMethod("handle", signal, handler);
            handle.invoke(null, sig, h);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot handle SIG" + name + " in this JVM: " + e, e);
        }
    }
}
