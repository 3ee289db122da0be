package dev.yolotrt.util;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one way this toolkit fetches a URL: to a file (through {@link AtomicWrite}, so a failed or killed
 * download never leaves a file that looks whole) or into memory. Every download has a size cap, an overall
 * deadline and a stall rule (too few bytes in a window ends it), each per {@link Kind} and configurable;
 * a server that is endless, slow or silent cannot fill the disk or hang a call.
 */
public final class Downloads {

    /**
     * What is downloaded, with its defaults: the largest size (MiB) and the longest time (s). Each is
     * overridden by {@code YOLO_TRT_<KIND>_MAX_MB} / {@code YOLO_TRT_<KIND>_DEADLINE_S} (or the system
     * properties {@code yolo.trt.<kind>.max.mb} / {@code yolo.trt.<kind>.deadline.s}).
     */
    public enum Kind {
        IMAGE(64, 120), MODEL(4096, 3600), DATASET(65536, 6 * 3600);

        private final long maxMb, deadlineS;

        Kind(long maxMb, long deadlineS) {
            this.maxMb = maxMb;
            this.deadlineS = deadlineS;
        }

        public long maxBytes() {
            return Settings.positive("YOLO_TRT_" + name() + "_MAX_MB", maxMb) << 20;
        }

        public long deadlineMillis() {
            return Settings.positive("YOLO_TRT_" + name() + "_DEADLINE_S", deadlineS) * 1000;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final int CONNECT_TIMEOUT_MS = 20_000;
    /** Fewer than {@link #STALL_BYTES} in this many seconds ends a download (YOLO_TRT_STALL_S). */
    static final long STALL_S = 30, STALL_BYTES = 1024;

    private static final ScheduledExecutorService WATCH = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "yolo-trt-download-watch");
        t.setDaemon(true);
        return t;
    });

    private Downloads() {
    }

    /**
     * Fetches {@code url} into {@code target}. When {@code sha256} is given, a file whose digest
     * differs is discarded and reported. {@code hint} tells an offline user what to do instead.
     */
    public static Path fetch(String url, Path target, String sha256, Kind kind, String hint) {
        // The folders this download creates; removed again if it fails, so a failed download leaves nothing.
        List<Path> created = new ArrayList<>();
        for (Path p = target.toAbsolutePath().getParent(); p != null && !Files.exists(p); p = p.getParent()) created.add(p);
        try {
            return AtomicWrite.write(target, tmp -> {
                MessageDigest md = sha();
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    transfer(url, kind, target.getFileName().toString(), out, md);
                }
                String digest = HexFormat.of().formatHex(md.digest());
                if (sha256 != null && !sha256.isBlank() && !digest.startsWith(sha256.toLowerCase(Locale.ROOT))) {
                    throw new YoloException("download of " + url + " has sha256 " + digest.substring(0, 16)
                            + "…, expected " + sha256 + "; the file was discarded. " + hint);
                }
            });
        } catch (YoloException e) {
            for (Path p : created) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException notEmpty) {
                    break; // something else was written there meanwhile: keep it
                }
            }
            if (e.getCause() instanceof IOException io) {
                throw new YoloException("could not download " + Text.clip(url) + " (" + oneLine(io) + "). " + hint, io);
            }
            throw e;
        }
    }

    /** The body of {@code url} (an image, say); {@code what} names it in errors. */
    public static byte[] bytes(String url, Kind kind, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            transfer(url, kind, null, out, null);
        } catch (IOException e) {
            throw new YoloException("could not download " + what + " " + Text.clip(url) + " (" + oneLine(e) + ")");
        }
        return out.toByteArray();
    }

    /** Copies the body to {@code out} under the kind's cap, deadline and stall rule; a progress bar when {@code label} is given. */
    private static void transfer(String url, Kind kind, String label, OutputStream out, MessageDigest md) throws IOException {
        long cap = kind.maxBytes(), deadline = System.currentTimeMillis() + kind.deadlineMillis();
        long stallMs = Settings.positive("YOLO_TRT_STALL_S", STALL_S) * 1000;
        AtomicLong received = new AtomicLong();
        String[] why = new String[1];
        URLConnection c = open(url, (int) Math.min(Integer.MAX_VALUE, stallMs));
        long total = c.getContentLengthLong();
        if (total > cap) {
            disconnect(c);
            throw new IOException(mib(total) + " is larger than the " + kind.label() + " limit of " + mib(cap)
                    + "; raise YOLO_TRT_" + kind.name() + "_MAX_MB to allow it");
        }
        long[] window = {System.currentTimeMillis(), 0};
        ScheduledFuture<?> watch = WATCH.scheduleAtFixedRate(() -> {
            long now = System.currentTimeMillis();
            if (now > deadline) {
                why[0] = "it took longer than the " + kind.label() + " deadline of " + kind.deadlineMillis() / 1000
                        + " s; raise YOLO_TRT_" + kind.name() + "_DEADLINE_S to wait longer";
            } else if (now - window[0] >= stallMs) {
                if (received.get() - window[1] < STALL_BYTES) {
                    why[0] = "the server sent fewer than " + STALL_BYTES + " bytes in " + stallMs / 1000 + " s (stalled)";
                }
                window[0] = now;
                window[1] = received.get();
            }
            if (why[0] != null) disconnect(c); // unblocks the reading thread
        }, 100, 100, TimeUnit.MILLISECONDS);
        try (InputStream in = c.getInputStream(); Progress bar = label == null ? null : Progress.bytes("Downloading " + label, total)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                if (received.addAndGet(n) > cap) {
                    throw new IOException("the body grew past the " + kind.label() + " limit of " + mib(cap)
                            + "; raise YOLO_TRT_" + kind.name() + "_MAX_MB to allow it");
                }
                out.write(buf, 0, n);
                if (md != null) md.update(buf, 0, n);
                if (bar != null) bar.step(n);
                if (why[0] != null) break;
            }
        } catch (IOException e) {
            if (why[0] == null) throw e;
        } finally {
            watch.cancel(false);
            disconnect(c);
        }
        if (why[0] != null) throw new IOException(why[0]);
        if (total > 0 && received.get() != total) throw new IOException("the transfer broke off after " + received.get() + " of " + total + " bytes");
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static void disconnect(URLConnection c) {
        if (c instanceof HttpURLConnection h) h.disconnect();
    }

    /** An open GET (http or https only) with timeouts; non-2xx answers and malformed URLs are IOExceptions. */
    private static URLConnection open(String url, int readTimeoutMs) throws IOException {
        URLConnection c;
        try {
            URI uri = URI.create(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) throw new IOException("not an http(s) URL");
            if (uri.getHost() == null || uri.getHost().isBlank()) throw new IOException("not a valid URL: no host");
            c = uri.toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new IOException("not a valid URL: " + oneLine(e));
        }
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(readTimeoutMs);
        if (c instanceof HttpURLConnection h) {
            // Redirects are followed by the JDK within http(s) only (it never switches to file: or jar:).
            h.setInstanceFollowRedirects(true);
            int code = h.getResponseCode();
            if (code / 100 != 2) {
                h.disconnect();
                throw new IOException("HTTP " + code);
            }
        }
        return c;
    }

    public static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha().digest(data));
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first line of an exception's message (at most a few hundred characters), or its class name. */
    public static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        // Its message is the bare host name, which alone reads as no reason at all.
        if (e instanceof UnknownHostException) return "unknown host " + Text.clip(m.strip()) + ": no network or no DNS";
        int nl = m.indexOf('\n');
        return Text.line((nl >= 0 ? m.substring(0, nl) : m).strip(), 300);
    }
}
