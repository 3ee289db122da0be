package dev.yolotrt.backend;

import dev.yolotrt.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool's bound: eight threads at once on a pool of two open two sessions, each call waits its turn, all complete. */
class SessionPoolTest {

    /** A backend that counts the sessions open at once and in all. */
    private static final class Counting implements Backend {
        final AtomicInteger opened = new AtomicInteger(), open = new AtomicInteger(), closed = new AtomicInteger();

        @Override
        public String name() {
            return "counting";
        }

        @Override
        public long[] inputShape() {
            return new long[] {1, 3, 32, 32};
        }

        @Override
        public int maxBatch() {
            return 1;
        }

        @Override
        public Session openSession() {
            opened.incrementAndGet();
            open.incrementAndGet();
            return new Session() {
                @Override
                public FloatBuffer inputBuffer(int batch, int height, int width) {
                    return FloatBuffer.allocate(batch * 3 * height * width);
                }

                @Override
                public List<Tensor> infer(FloatBuffer input, int batch, int height, int width) {
                    return List.of();
                }

                @Override
                public void close() {
                    open.decrementAndGet();
                    closed.incrementAndGet();
                }
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void eightThreadsShareTwoSessions() throws Exception {
        Counting backend = new Counting();
        SessionPool pool = new SessionPool(backend, 2);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        AtomicInteger leasedAtOnce = new AtomicInteger(), most = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                jobs.add(threads.submit(() -> {
                    start.await();
                    for (int k = 0; k < 20; k++) {
                        try (SessionPool.Lease lease = pool.lease()) {
                            most.accumulateAndGet(leasedAtOnce.incrementAndGet(), Math::max);
                            Thread.sleep(1);
                            leasedAtOnce.decrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : jobs) f.get(60, TimeUnit.SECONDS);
        } finally {
            threads.shutdownNow();
        }
        assertEquals(2, backend.opened.get(), "sessions opened");
        assertEquals(2, pool.size());
        assertEquals(2, most.get(), "sessions leased at once");
        pool.close();
        assertEquals(0, backend.open.get(), "closing the pool closes its sessions");
        assertThrows(IllegalStateException.class, pool::lease);
    }

    @Test
    void theDefaultBoundIsTheBackends() {
        Counting backend = new Counting();
        try (SessionPool pool = new SessionPool(backend)) {
            assertEquals(backend.maxSessions(), pool.max());
            assertTrue(pool.max() >= 1);
        }
        assertThrows(IllegalArgumentException.class, () -> new SessionPool(new Counting(), 0));
    }

    @Test
    void aWaitingCallerIsReleasedWhenThePoolCloses() throws Exception {
        Counting backend = new Counting();
        SessionPool pool = new SessionPool(backend, 1);
        SessionPool.Lease held = pool.lease();
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<?> waiting = thread.submit(() -> pool.lease());
            Thread.sleep(100);
            assertTrue(!waiting.isDone(), "the second caller waits while the only session is leased");
            pool.close();
            Exception e = assertThrows(Exception.class, () -> waiting.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e));
        } finally {
            thread.shutdownNow();
            held.close();
        }
    }
}
