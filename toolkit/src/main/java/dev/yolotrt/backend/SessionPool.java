package dev.yolotrt.backend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Sessions of one backend shared by any number of threads: a caller leases an idle session (or a
 * new one when all are busy) and gives it back when done, so there are never more sessions than
 * callers that ran at the same time, whatever thread they ran on. Closing the pool closes them all,
 * newest first.
 */
public final class SessionPool implements AutoCloseable {

    private final Backend backend;
    private final Deque<Backend.Session> idle = new ArrayDeque<>();
    private final List<Backend.Session> all = new ArrayList<>();
    private boolean closed;

    public SessionPool(Backend backend) {
        this.backend = backend;
    }

    /** A session for the caller alone until the lease is closed. */
    public Lease lease() {
        synchronized (this) {
            if (closed) throw new IllegalStateException("the model was closed");
            Backend.Session s = idle.pollFirst();
            if (s != null) return new Lease(s);
        }
        Backend.Session s = backend.openSession();
        synchronized (this) {
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

    private synchronized void giveBack(Backend.Session s) {
        if (closed) return;
        idle.addFirst(s);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
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
