package dev.yolotrt.notebook;

import java.security.Permission;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps a notebook cell from ending the process: cells run in this JVM (so their values are live
 * objects), where {@code System.exit(3)} would end the kernel or the runner without writing the
 * notebook. While a cell runs, exit is refused with a SecurityException the cell's output shows.
 * Java 17 still allows this security manager (it prints a deprecation warning once); it checks
 * nothing else.
 */
@SuppressWarnings("removal")
final class ExitGuard extends SecurityManager {

    private static final AtomicInteger RUNNING = new AtomicInteger();
    private static volatile boolean installed;

    private ExitGuard() {
    }

    /** Marks a cell as running until the returned handle is closed. */
    static AutoCloseable cell() {
        install();
        RUNNING.incrementAndGet();
        return RUNNING::decrementAndGet;
    }

    private static synchronized void install() {
        if (installed) return;
        try {
            System.setSecurityManager(new ExitGuard());
        } catch (UnsupportedOperationException e) {
            // java.security.manager=disallow: cells can exit, as in a plain JShell
        }
        installed = true;
    }

    @Override
    public void checkExit(int status) {
        if (RUNNING.get() > 0) {
            throw new SecurityException("System.exit(" + status + ") is not allowed in a notebook cell: it would end the kernel; throw an exception instead");
        }
    }

    @Override
    public void checkPermission(Permission perm) {
    }

    @Override
    public void checkPermission(Permission perm, Object context) {
    }
}
