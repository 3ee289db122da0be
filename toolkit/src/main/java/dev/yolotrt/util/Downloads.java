package dev.yolotrt.util;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/** HTTP downloads: to a file with a progress bar (written through {@link AtomicWrite}), or into memory. */
public final class Downloads {

    private static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.ALWAYS)
            .connectTimeout(Duration.ofSeconds(20)).build();

    private Downloads() {
    }

    /**
     * Fetches {@code url} into {@code target}. When {@code sha256} is given, a file whose digest
     * differs is discarded and reported. {@code hint} tells an offline user what to do instead.
     */
    public static Path fetch(String url, Path target, String sha256, String hint) {
        try {
            return AtomicWrite.write(target, tmp -> {
                String digest = download(url, tmp, target.getFileName().toString());
                if (sha256 != null && !sha256.isBlank() && !digest.startsWith(sha256.toLowerCase())) {
                    throw new YoloException("download of " + url + " has sha256 " + digest.substring(0, 16)
                            + "…, expected " + sha256 + "; the file was discarded. " + hint);
                }
            });
        } catch (YoloException e) {
            if (e.getCause() instanceof IOException io) {
                throw new YoloException("could not download " + url + " (" + oneLine(io) + "). " + hint, io);
            }
            throw e;
        }
    }

    /** The body of {@code url}; {@code what} names it in errors. */
    public static byte[] bytes(String url, String what) {
        try {
            HttpResponse<byte[]> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() / 100 != 2) throw new IOException("HTTP " + r.statusCode());
            return r.body();
        } catch (IOException e) {
            throw new YoloException("could not download " + what + " " + url + " (" + oneLine(e) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new YoloException("download of " + url + " was interrupted");
        }
    }

    public static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha().digest(data));
    }

    private static String download(String url, Path tmp, String label) throws IOException {
        HttpResponse<InputStream> response;
        try {
            response = CLIENT.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (response.statusCode() / 100 != 2) {
            response.body().close();
            throw new IOException("HTTP " + response.statusCode());
        }
        long total = response.headers().firstValueAsLong("content-length").orElse(-1);
        MessageDigest md = sha();
        try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(tmp);
             Progress bar = Progress.bytes("Downloading " + label, total)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                md.update(buf, 0, n);
                bar.step(n);
            }
        }
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
        int nl = m.indexOf('\n');
        return (nl >= 0 ? m.substring(0, nl) : m).strip();
    }
}
