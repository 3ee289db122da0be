package dev.yolotrt.util;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * HTTP downloads: to a file with a progress bar (written through {@link AtomicWrite}), or into memory.
 * A server that stops sending for {@link #READ_TIMEOUT} ends the download, and an in-memory body is
 * capped at {@link #MAX_IN_MEMORY}, so neither a stalled nor an endless server can hang or exhaust us.
 */
public final class Downloads {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(Long.getLong("yolo.trt.http.timeout", 60));
    static final long MAX_IN_MEMORY = Long.getLong("yolo.trt.http.max", 256L << 20);

    private Downloads() {
    }

    /**
     * Fetches {@code url} into {@code target}. When {@code sha256} is given, a file whose digest
     * differs is discarded and reported. {@code hint} tells an offline user what to do instead.
     */
    public static Path fetch(String url, Path target, String sha256, String hint) {
        // The folders this download creates; removed again if it fails, so a failed download leaves nothing.
        List<Path> created = new ArrayList<>();
        for (Path p = target.toAbsolutePath().getParent(); p != null && !Files.exists(p); p = p.getParent()) created.add(p);
        try {
            return AtomicWrite.write(target, tmp -> {
                String digest = download(url, tmp, target.getFileName().toString());
                if (sha256 != null && !sha256.isBlank() && !digest.startsWith(sha256.toLowerCase())) {
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
                throw new YoloException("could not download " + url + " (" + oneLine(io) + "). " + hint, io);
            }
            throw e;
        }
    }

    /** The body of {@code url}; {@code what} names it in errors. */
    public static byte[] bytes(String url, String what) {
        try (InputStream in = open(url).getInputStream()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                if (out.size() + n > MAX_IN_MEMORY) {
                    throw new IOException("larger than " + (MAX_IN_MEMORY >> 20) + " MiB; download it to a file and give the path");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new YoloException("could not download " + what + " " + url + " (" + oneLine(e) + ")");
        }
    }

    /** An open GET with timeouts; non-2xx answers and malformed URLs are IOExceptions. */
    private static URLConnection open(String url) throws IOException {
        URLConnection c;
        try {
            URI uri = URI.create(url);
            if (uri.getHost() == null || uri.getHost().isBlank()) throw new IOException("not a valid URL: no host");
            c = uri.toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new IOException("not a valid URL: " + oneLine(e));
        }
        c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        c.setReadTimeout((int) READ_TIMEOUT.toMillis());
        if (c instanceof HttpURLConnection h) {
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

    private static String download(String url, Path tmp, String label) throws IOException {
        URLConnection c = open(url);
        long total = c.getContentLengthLong();
        MessageDigest md = sha();
        long done = 0;
        try (InputStream in = c.getInputStream(); OutputStream out = Files.newOutputStream(tmp);
             Progress bar = Progress.bytes("Downloading " + label, total)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                md.update(buf, 0, n);
                bar.step(n);
                done += n;
            }
        }
        if (total > 0 && done != total) throw new IOException("the transfer broke off after " + done + " of " + total + " bytes");
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first line of an exception's message, or its class name. */
    public static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        // Its message is the bare host name, which alone reads as no reason at all.
        if (e instanceof java.net.UnknownHostException) return "unknown host " + m.strip() + ": no network or no DNS";
        int nl = m.indexOf('\n');
        return (nl >= 0 ? m.substring(0, nl) : m).strip();
    }
}
