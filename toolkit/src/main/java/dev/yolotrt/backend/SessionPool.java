package dev.yolotrt.backend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Sessions of one backend shared by any number of threads: a caller leases an idle session (the most recently used, whose
 * buffers and graphs are warm), or a new one when all are busy, and gives it back when done. There are never more
 * sessions than callers that ran at the same time, and never more than the pool's bound (each session holds device
 * buffers and graphs): past it, a caller waits for a session to come back. Closing the pool closes them all, newest first.
 */
public final class SessionPool implements AutoCloseable {

    private final Backend backend;
    private final int max;
    private final Deque<Backend.Session> idle = new ArrayDeque<>();
    private final List<Backend.Session> all = new ArrayList<>();
    /** Sessions being opened outside the lock, counted against the bound. */
    private int opening;
    private boolean closed;

    /** A pool bounded by {@link Backend#maxSessions}. */
    public SessionPool(Backend backend) {
        this(backend, backend.maxSessions());
    }

    public SessionPool(Backend backend, int max) {
        if (max < 1) throw new IllegalArgumentException("max sessions " + max);
        this.backend = backend;
        this.max = max;
    }

    /** A session for the caller alone until the lease is closed; waits while {@code max} sessions are all leased. */
    public Lease lease() {
        synchronized (this) {
            while (true) {
                if (closed) throw new IllegalStateException("the model was closed");
                Backend.Session s = idle.pollFirst();
                if (s != null) return new Lease(s);
                if (all.size() + opening < max) break;
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a session", e);
                }
            }
            opening++;
        }
        Backend.Session s;
        try {
            s = backend.openSession();
        } catch (RuntimeException e) {
            synchronized (this) {
                opening--;
                notifyAll();
            }
            throw e;
        }
        synchronized (this) {
            opening--;
            if (closed) {
                s.close();
                throw new IllegalStateException("the model was closed");
            }
            all.add(s);
        }
        return new Lease(s);
    }

    /** Sessions opened so far (for tests and leak checks). */
    public synchronized int size() {
        return all.size();
    }

    /** The most sessions this pool opens. */
    public int max() {
        return max;
    }

    private synchronized void giveBack(Backend.Session s) {
        if (closed) return;
        idle.addFirst(s);
        notifyAll();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        notifyAll();
        for (int i = all.size() - 1; i >= 0; i--) all.get(i).close();
        all.clear();
        idle.clear();
    }

    /** A leased session; closing the lease returns it to the pool. */
    public final class Lease implements AutoCloseable {
        private final Backend.Session session;
        private boolean returned;

        private Lease(Backend.Session session) {
            this.session = session;
        }

        public Backend.Session session() {
            return session;
        }

        @Override
        public void close() {
            if (returned) return;
            returned = true;
            giveBack(session);
        }
    }
}
