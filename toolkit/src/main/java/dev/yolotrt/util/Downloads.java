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
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/** Downloads a URL to a file with a progress bar: into a temporary file, checked, then moved. */
public final class Downloads {
    private Downloads() {
    }

    /**
     * Fetches {@code url} into {@code target}. When {@code sha256} is given, a file whose digest
     * differs is discarded and reported. {@code hint} tells an offline user what to do instead.
     */
    public static Path fetch(String url, Path target, String sha256, String hint) {
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), target.getFileName() + ".", ".part");
            try {
                String digest = download(url, tmp, target.getFileName().toString());
                if (sha256 != null && !sha256.isBlank() && !digest.startsWith(sha256.toLowerCase())) {
                    throw new YoloException("download of " + url + " has sha256 " + digest.substring(0, 16)
                            + "…, expected " + sha256 + "; the file was discarded. " + hint);
                }
                return Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new YoloException("could not download " + url + " (" + oneLine(e) + "). " + hint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new YoloException("download of " + url + " was interrupted. " + hint, e);
        }
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha())) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        }
    }

    private static String download(String url, Path tmp, String label) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.ALWAYS)
                .connectTimeout(Duration.ofSeconds(20)).build();
        HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
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
