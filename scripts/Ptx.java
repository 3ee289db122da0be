import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.bytedeco.cuda.global.nvrtc.*;

/** Compiles a .cu file to PTX with NVRTC (run by scripts/ptx.sh): java Ptx.java IN.cu OUT.ptx ARCH. */
public class Ptx {
    public static void main(String[] a) throws Exception {
        _nvrtcProgram prog = new _nvrtcProgram();
        check(nvrtcCreateProgram(prog, new BytePointer(Files.readString(Path.of(a[0]))), new BytePointer(Path.of(a[0]).getFileName().toString()),
                0, (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram", prog);
        int r = nvrtcCompileProgram(prog, 1, new PointerPointer<>("--gpu-architecture=" + a[2]));
        SizeTPointer n = new SizeTPointer(1);
        nvrtcGetProgramLogSize(prog, n);
        BytePointer log = new BytePointer(n.get());
        nvrtcGetProgramLog(prog, log);
        if (!log.getString().isBlank()) System.err.println(log.getString());
        check(r, "nvrtcCompileProgram", prog);
        nvrtcGetPTXSize(prog, n);
        BytePointer ptx = new BytePointer(n.get());
        nvrtcGetPTX(prog, ptx);
        // The source's hash, so that a test can tell a PTX left behind by an edit of the .cu.
        byte[] src = Files.readAllBytes(Path.of(a[0]));
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(src));
        Files.writeString(Path.of(a[1]), ptx.getString() + "\n// generated from " + Path.of(a[0]).getFileName() + " sha256 " + sha + "\n");
        nvrtcDestroyProgram(prog);
    }

    private static void check(int r, String what, _nvrtcProgram prog) {
        if (r != NVRTC_SUCCESS) throw new IllegalStateException(what + ": " + nvrtcGetErrorString(r).getString());
    }
}
